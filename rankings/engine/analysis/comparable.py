"""A comparable series: last year's answers scored on this year's framework.

When a framework changes between two periods, the published ranks of the earlier period
were made with other rules. Mapping the earlier answers onto the later framework's
indicators (a crosswalk) and scoring them with the engine gives the earlier period "as if"
measured this year, beside the series as published.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..compute import EngineResult, compute
from ..spec import FrameworkSpec


def crosswalk_values(values: pd.DataFrame, framework: FrameworkSpec,
                     crosswalk: Iterable[tuple[str, str, float]] = (),
                     same_code: bool = True) -> pd.DataFrame:
    """``values`` (long: unit_code, indicator_code, value) renamed onto ``framework``.

    ``crosswalk`` gives ``(source_code, target_code, factor)``: numbers are multiplied by
    ``factor`` (yes/no and text are copied). With ``same_code``, a target indicator without
    a crosswalk entry takes the answer of the earlier indicator with the same code.
    Indicators of ``framework`` that nothing maps to stay unanswered (missing).
    """
    targets = {i.code for i in framework.indicators if not i.derived}
    mapping: list[tuple[str, str, float]] = [(s, t, float(f)) for s, t, f in crosswalk]
    unknown = sorted({t for _, t, _ in mapping} - targets)
    if unknown:
        raise ValueError(f"crosswalk targets not answered in {framework.code}: "
                         f"{', '.join(unknown)}")
    mapped = {t for _, t, _ in mapping}
    present = set(values["indicator_code"].astype(str))
    if same_code:
        mapping += [(code, code, 1.0) for code in sorted(targets - mapped) if code in present]
    parts = []
    for source, target, factor in mapping:
        rows = values[values["indicator_code"].astype(str) == source]
        if rows.empty:
            continue
        column = rows["value"].to_numpy(dtype=object).copy()
        if factor != 1.0:
            numeric = np.array([isinstance(v, (int, float, np.floating, np.integer))
                                and not isinstance(v, (bool, np.bool_)) for v in column],
                               dtype=bool)
            column[numeric] = [float(v) * factor for v in column[numeric]]
        parts.append(pd.DataFrame({"unit_code": rows["unit_code"].to_numpy(dtype=object),
                                   "indicator_code": target, "value": column}, dtype=object))
    if not parts:
        return pd.DataFrame({"unit_code": [], "indicator_code": [], "value": []}, dtype=object)
    return pd.concat(parts, ignore_index=True)


def comparable_series(framework: FrameworkSpec, units: pd.DataFrame, values: pd.DataFrame,
                      crosswalk: Iterable[tuple[str, str, float]] = (), *,
                      same_code: bool = True, previous: pd.DataFrame | None = None
                      ) -> EngineResult:
    """The earlier period's ``units``/``values`` scored on the later ``framework``."""
    return compute(framework, units, crosswalk_values(values, framework, crosswalk, same_code),
                   previous)
