"""What would raise a unit's score most: the next step on each indicator.

For every scored indicator of the unit the next step is the value that reaches the next
band threshold (``bands``), the target (``ratio``: target; ``goalpost``: hi, or lo when
inverse; ``direct``: max_points), "yes" (``boolean``), or the best option (``choice``);
``minmax``/``zscore`` indicators are relative and step to the best value in the cohort.
Each step is scored by the engine (the unit's answer changed, everything else as is) and
reported with the points it adds to the total and the rank it would give; the steps are
sorted by points gained per unit of fraction moved (the cheapest first), and the rank
reached with the best ``combine`` steps together is computed as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..compute import EngineResult, compute
from ..rules import band_table, choice_points
from ..spec import FrameworkSpec, IndicatorSpec


@dataclass
class Improvements:
    """``steps``: indicator_code, group_code, value, target, fraction, target_fraction,
    gain (points of the total), rank (with that step alone), cheapness (gain per unit of
    fraction moved); ``combined_rank``/``combined_score``: with the first ``combined``
    steps together."""

    unit: str
    score: float
    rank: int | None
    steps: pd.DataFrame
    combined: list[str]
    combined_score: float | None
    combined_rank: int | None


def _number(value) -> float | None:
    if value is None or isinstance(value, str):
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    return None if (isinstance(value, float) and math.isnan(value)) else float(value)


def next_value(indicator: IndicatorSpec, value, cohort_values: pd.Series):
    """The answer of the next step on ``indicator`` from ``value`` (``None``: no step)."""
    rule, params, x = indicator.rule, indicator.params, _number(value)
    if rule == "boolean":
        best = not indicator.inverse
        return None if value is not None and bool(value) == best else best
    if rule == "choice":
        table = choice_points(indicator)
        best = max(table, key=lambda k: table[k])
        return None if str(value) == best else best
    if rule == "bands":
        thresholds, _ = band_table(indicator)
        if indicator.inverse:
            below = thresholds[thresholds < x] if x is not None else thresholds
            return float(below.max()) if len(below) else None
        above = thresholds[thresholds > x] if x is not None else thresholds
        return float(above.min()) if len(above) else None
    if rule == "ratio":
        target = float(params["target"])
        goal = 0.0 if indicator.inverse else target
    elif rule == "goalpost":
        goal = float(params["lo"] if indicator.inverse else params["hi"])
    elif rule == "direct":
        goal = 0.0 if indicator.inverse else float(indicator.max_points)
    else:  # minmax, zscore: the best value in the cohort
        numbers = pd.to_numeric(cohort_values, errors="coerce").dropna()
        if numbers.empty:
            return None
        goal = float(numbers.min() if indicator.inverse else numbers.max())
    return None if x is not None and x == goal else goal


def _score_with(framework, units, values, unit, changes: dict) -> tuple[float, int | None,
                                                                         EngineResult]:
    table = values[~((values["unit_code"] == unit)
                     & values["indicator_code"].isin(list(changes)))]
    extra = pd.DataFrame({"unit_code": unit, "indicator_code": list(changes),
                          "value": list(changes.values())}, dtype=object)
    result = compute(framework, units, pd.concat([table, extra], ignore_index=True))
    row = result.units[result.units["unit_code"] == unit].iloc[0]
    rank = None if pd.isna(row["rank"]) else int(row["rank"])
    return float(row["score_exact"]), rank, result


def improvements(framework: FrameworkSpec, units: pd.DataFrame, values: pd.DataFrame,
                 unit: str, *, result: EngineResult | None = None, combine: int = 3
                 ) -> Improvements:
    """The next steps of ``unit`` (see the module), scored by the engine."""
    result = result or compute(framework, units, values)
    me = result.units[result.units["unit_code"] == unit]
    if me.empty:
        raise ValueError(f"unit {unit!r} is not assessed")
    score = float(me["score_exact"].iloc[0])
    rank = None if pd.isna(me["rank"].iloc[0]) else int(me["rank"].iloc[0])
    cohort = me["cohort"].iloc[0]
    mine = result.indicators[result.indicators["unit_code"] == unit]
    specs = {i.code: i for i in framework.indicators}
    cohort_units = set(result.units[result.units["cohort"] == cohort]["unit_code"])
    rows = []
    for row in mine.itertuples(index=False):
        indicator = specs[row.indicator_code]
        if not indicator.scored or indicator.derived:
            continue
        others = result.indicators[(result.indicators["indicator_code"] == indicator.code)
                                   & result.indicators["unit_code"].isin(cohort_units)]
        target = next_value(indicator, row.value, others["value"])
        if target is None:
            continue
        new_score, new_rank, new_result = _score_with(framework, units, values, unit,
                                                      {indicator.code: target})
        gain = new_score - score
        if not gain > 0:
            continue
        after = new_result.indicators[(new_result.indicators["unit_code"] == unit)
                                      & (new_result.indicators["indicator_code"]
                                         == indicator.code)]["fraction"].iloc[0]
        moved = float(after) - (0.0 if math.isnan(row.fraction) else float(row.fraction))
        rows.append({"indicator_code": indicator.code, "group_code": indicator.group,
                     "value": row.value, "target": target, "fraction": row.fraction,
                     "target_fraction": float(after), "gain": gain, "rank": new_rank,
                     "cheapness": gain / moved if moved > 0 else gain})
    steps = pd.DataFrame(rows, columns=["indicator_code", "group_code", "value", "target",
                                        "fraction", "target_fraction", "gain", "rank",
                                        "cheapness"])
    steps = steps.sort_values(["cheapness", "gain", "indicator_code"],
                              ascending=[False, False, True]).reset_index(drop=True)
    chosen = steps.head(combine)
    combined_score = combined_rank = None
    if len(chosen):
        combined_score, combined_rank, _ = _score_with(
            framework, units, values, unit, dict(zip(chosen["indicator_code"],
                                                     chosen["target"], strict=True)))
    return Improvements(unit, score, rank, steps, chosen["indicator_code"].tolist(),
                        combined_score, combined_rank)
