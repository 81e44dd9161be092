"""From a stored period to the scoring engine's inputs (the only ORM on the way in).

``engine_inputs(period)`` reads everything the engine needs in a fixed number of queries,
whatever the number of units and answers:

- the framework (``assessments.selectors.framework_spec``: four queries);
- the units: active units of the period's cohorts with an *approved* submission (one query);
- the values: the scored value of every answer of those submissions (one query): the
  reviewer's adjusted value where the verdict is ``adjusted``, else the unit's, typed by
  the indicator's ``value_type`` (boolean -> ``bool``, choice/text -> ``str``, numbers ->
  ``float``; ``None`` when missing);
- the previous ranks: from the comparison period's (``period.previous``) *public* snapshot,
  the total (node ``__total__``) and each group, matched by unit code and group code, so
  that a comparison across two frameworks works (two queries; none without a previous
  period).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from assessments.models import Answer, Period, Submission, Unit
from assessments.selectors import framework_spec
from rankings.engine import TOTAL_NODE, FrameworkSpec

from .models import GroupResult, UnitResult


@dataclass(frozen=True)
class EngineInputs:
    """What :func:`rankings.engine.compute` takes for one period."""

    framework: FrameworkSpec
    units: pd.DataFrame          # unit_code, cohort
    values: pd.DataFrame         # unit_code, indicator_code, value (object)
    previous: pd.DataFrame | None  # unit_code, node, rank; None without a comparison


def assessed_units(period: Period):
    """Active units of the period's cohorts whose submission for it is approved."""
    return Unit.objects.filter(
        active=True,
        cohort__in=period.cohorts.all(),
        submissions__period=period,
        submissions__status=Submission.Status.APPROVED,
    )


def _units_frame(period: Period) -> pd.DataFrame:
    rows = assessed_units(period).order_by("code").values_list("code", "cohort__code")
    return pd.DataFrame(list(rows), columns=["unit_code", "cohort"], dtype=object)


def _values_frame(period: Period) -> pd.DataFrame:
    answers = (
        Answer.objects.filter(
            submission__period=period,
            submission__status=Submission.Status.APPROVED,
            submission__unit__active=True,
            submission__unit__cohort__in=period.cohorts.all(),
            indicator__framework_id=period.framework_id,
        )
        .order_by("submission__unit__code", "indicator__code")
        .values_list("submission__unit__code", "indicator__code", "indicator__value_type",
                     "verdict", "value_number", "value_text", "adjusted_number",
                     "adjusted_text")
    )
    rows = []
    for unit_code, code, value_type, verdict, number, text, adj_number, adj_text in answers:
        if verdict == Answer.Verdict.ADJUSTED:
            number, text = adj_number, adj_text
        value = Answer.raw_value(number, text, value_type)
        if value is not None and not isinstance(value, (bool, str)):
            value = float(value)
        rows.append((unit_code, code, value))
    frame = pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"], dtype=object)
    return frame


def _previous_frame(period: Period) -> pd.DataFrame | None:
    if period.previous_id is None:
        return None
    public = {"snapshot__period_id": period.previous_id, "snapshot__is_public": True,
              "rank__isnull": False}
    totals = UnitResult.objects.filter(**public).values_list("unit__code", "rank")
    groups = GroupResult.objects.filter(**public).values_list("unit__code", "group__code",
                                                              "rank")
    rows = [(unit_code, TOTAL_NODE, rank) for unit_code, rank in totals]
    rows += list(groups)
    return pd.DataFrame(rows, columns=["unit_code", "node", "rank"]).astype(
        {"unit_code": object, "node": object, "rank": "int64"})


def engine_inputs(period: Period) -> EngineInputs:
    """The engine's inputs for ``period`` (see the module's docstring)."""
    return EngineInputs(
        framework=framework_spec(period.framework),
        units=_units_frame(period),
        values=_values_frame(period),
        previous=_previous_frame(period),
    )


def snapshot_digest(engine_digest: str, previous: pd.DataFrame | None) -> str:
    """The digest stored on a snapshot: the engine's (framework, units, values) and the
    previous ranks, which also shape a snapshot (previous rank, rank change).

    Independent of the order of the previous ranks' rows.
    """
    ranks = [] if previous is None else sorted(
        (str(u), str(n), int(r)) for u, n, r in previous[["unit_code", "node", "rank"]]
        .itertuples(index=False, name=None))
    payload = json.dumps({"engine": engine_digest, "previous": ranks}, ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
