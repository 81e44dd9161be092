"""The framework's tree in the shapes the computation needs (built once per compute)."""

from __future__ import annotations

from dataclasses import dataclass

from .formula import parse_formula
from .spec import FrameworkSpec, GroupSpec, IndicatorSpec


def _sort_key(node) -> tuple:
    return (node.order, node.code)


@dataclass
class CohortTree:
    """The part of the tree that exists for one cohort."""

    cohort: str
    indicators: list[IndicatorSpec]     # applying to the cohort, in tree order
    groups: list[GroupSpec]             # existing groups, in tree order (pre-order)
    children: dict[str, list[tuple[str, str]]]   # group ("" = root) -> [(kind, code)]
    maxima: dict[str, float]            # code -> maximum (groups and scored indicators)


class Tree:
    """Groups in pre-order (siblings by ``order`` then ``code``), indicators grouped likewise."""

    def __init__(self, spec: FrameworkSpec):
        self.spec = spec
        self.groups = {g.code: g for g in spec.groups}
        self.indicators = {i.code: i for i in spec.indicators}
        self.subgroups: dict[str, list[GroupSpec]] = {}
        for group in sorted(spec.groups, key=_sort_key):
            self.subgroups.setdefault(group.parent or "", []).append(group)
        self.leaves: dict[str, list[IndicatorSpec]] = {}
        for indicator in sorted(spec.indicators, key=_sort_key):
            self.leaves.setdefault(indicator.group, []).append(indicator)
        self.group_order: list[GroupSpec] = []
        self.depth: dict[str, int] = {}
        self._walk("", 0)
        self.indicator_order = [i for g in self.group_order for i in self.leaves.get(g.code, [])]
        self.formulas = {i.code: parse_formula(i.formula) for i in spec.indicators if i.derived}
        self.derived_order = self._derived_order()
        self._cohorts: dict[str, CohortTree] = {}

    def _walk(self, parent: str, depth: int) -> None:
        for group in self.subgroups.get(parent, []):
            self.group_order.append(group)
            self.depth[group.code] = depth + 1
            self._walk(group.code, depth + 1)

    def _derived_order(self) -> list[str]:
        done: list[str] = []
        seen: set[str] = set()

        def visit(code: str) -> None:
            if code in seen:
                return
            seen.add(code)
            for name in sorted(self.formulas[code].codes):
                if name in self.formulas:
                    visit(name)
            done.append(code)

        for code in sorted(self.formulas):
            visit(code)
        return done

    def for_cohort(self, cohort: str) -> CohortTree:
        if cohort not in self._cohorts:
            self._cohorts[cohort] = self._build(cohort)
        return self._cohorts[cohort]

    def _build(self, cohort: str) -> CohortTree:
        applying = [i for i in self.indicator_order if i.applies(cohort)]
        scored = {i.code for i in applying if i.scored}
        children: dict[str, list[tuple[str, str]]] = {}
        maxima: dict[str, float] = {code: float(self.indicators[code].max_points)
                                    for code in scored}
        for group in reversed(self.group_order):  # children before parents
            kids = [("indicator", i.code) for i in self.leaves.get(group.code, [])
                    if i.code in scored]
            kids += [("group", g.code) for g in self.subgroups.get(group.code, [])
                     if g.code in children]
            if not kids:
                continue
            children[group.code] = kids
            if group.max_points is not None:
                maxima[group.code] = float(group.max_points)
            elif group.aggregation == "sum":
                maxima[group.code] = _sum(maxima[code] for _, code in kids)
            else:
                maxima[group.code] = 1.0
        children[""] = [("group", g.code) for g in self.subgroups.get("", [])
                        if g.code in children]
        maxima[""] = float(self.spec.scale)
        groups = [g for g in self.group_order if g.code in children]
        return CohortTree(cohort, applying, groups, children, maxima)


def _sum(values) -> float:
    total = 0.0
    for value in values:
        total += value
    return total
