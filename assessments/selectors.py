"""Reads shared by several views, commands and services of the assessments app."""

from __future__ import annotations

from django.db.models import Prefetch

from rankings.engine import Band as BandSpec
from rankings.engine import FrameworkSpec, GroupSpec, IndicatorSpec, parse_params

from .models import CriterionGroup, Framework, Indicator


def framework_tree(framework: Framework) -> Framework:
    """The framework with its groups, indicators and bands fetched in three queries."""
    return (
        Framework.objects.filter(pk=framework.pk)
        .prefetch_related(
            Prefetch("groups", queryset=CriterionGroup.objects.select_related("parent")
                     .order_by("order", "code")),
            Prefetch("indicators", queryset=Indicator.objects.select_related("group")
                     .order_by("order", "code")),
            "bands",
        )
        .get()
    )


def framework_spec(framework: Framework) -> FrameworkSpec:
    """The engine's plain description of a stored framework (no ORM beyond this point)."""
    framework = framework_tree(framework)
    groups = tuple(
        GroupSpec(
            code=g.code,
            name=g.name,
            parent=g.parent.code if g.parent_id else "",
            aggregation=g.aggregation,
            weight=g.weight,
            max_points=g.max_points,
            rescale=g.rescale or "",
            order=g.order,
        )
        for g in framework.groups.all()
    )
    indicators = tuple(
        IndicatorSpec(
            code=i.code,
            group=i.group.code,
            name=i.name,
            value_type=i.value_type,
            unit=i.unit_of_measure,
            rule=i.rule,
            params=parse_params(i.params) if i.params.strip() else {},
            max_points=i.max_points,
            weight=i.weight,
            inverse=i.inverse,
            applies_to=i.applies_to_codes,
            required=i.required,
            evidence=i.evidence_required,
            min=i.min_value,
            max=i.max_value,
            formula=i.formula,
            guidance=i.guidance,
            order=i.order,
        )
        for i in framework.indicators.all()
    )
    bands = tuple(BandSpec(label=b.label, min_score=b.min_score) for b in framework.bands.all())
    return FrameworkSpec(
        code=framework.code,
        name=framework.name,
        scale=framework.scale,
        aggregation=framework.aggregation,
        decimals=framework.decimals,
        rank_on=framework.rank_on,
        ties=framework.ties,
        missing=framework.missing,
        groups=groups,
        indicators=indicators,
        bands=bands,
    )
