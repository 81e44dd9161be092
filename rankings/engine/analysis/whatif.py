"""What-if: the official ranking recomputed with other weights or aggregations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..compute import EngineResult, compute
from ..spec import FrameworkSpec
from .fast import Reaggregator
from .scenario import apply_changes


@dataclass
class WhatIfResult:
    """``spec``: the scenario's framework; ``units``: one row per unit with the official
    ``official_score``/``official_rank`` beside the scenario's ``score``, ``score_exact``,
    ``rank``, ``band`` and ``shift`` = official rank − scenario rank (positive: moves up);
    ``groups``: unit × group scores and ranks under the scenario, with ``official_rank``
    and ``shift`` likewise."""

    spec: FrameworkSpec
    units: pd.DataFrame
    groups: pd.DataFrame


def _official(result: EngineResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    units = result.units[["unit_code", "score", "rank"]].rename(
        columns={"score": "official_score", "rank": "official_rank"})
    groups = result.groups[["unit_code", "group_code", "score", "rank"]].rename(
        columns={"score": "official_score", "rank": "official_rank"})
    return units, groups


def whatif(framework: FrameworkSpec, result: EngineResult, changes: Mapping | None, *,
           reaggregator: Reaggregator | None = None, units: pd.DataFrame | None = None,
           values: pd.DataFrame | None = None) -> WhatIfResult:
    """Recompute the ranking of ``result`` (computed on ``framework``) under ``changes``.

    By default the official indicator fractions are re-aggregated (:class:`Reaggregator`;
    pass one to reuse it between calls). With ``units`` and ``values`` the engine computes
    the scenario from the answers instead (``compute``): the same figures, slower. The
    official snapshot is never modified. Raises ``ScenarioError``/``FrameworkError``.
    """
    spec = apply_changes(framework, changes)
    if units is not None and values is not None:
        scenario = compute(spec, units, values)
        unit_frame = scenario.units[["unit_code", "cohort", "score", "score_exact",
                                     "max_score", "rank", "band"]]
        group_frame = scenario.groups[["unit_code", "cohort", "group_code", "score_exact",
                                       "score", "rank"]]
    else:
        reaggregator = reaggregator or Reaggregator(framework, result)
        unit_frame, group_frame = reaggregator.leaderboard(spec)
    official_units, official_groups = _official(result)
    unit_frame = unit_frame.merge(official_units, on="unit_code", how="left")
    unit_frame["shift"] = (unit_frame["official_rank"].astype("Int64")
                           - unit_frame["rank"].astype("Int64"))
    group_frame = group_frame.merge(official_groups, on=["unit_code", "group_code"],
                                    how="left")
    group_frame["shift"] = (group_frame["official_rank"].astype("Int64")
                            - group_frame["rank"].astype("Int64"))
    return WhatIfResult(spec, unit_frame.reset_index(drop=True),
                        group_frame.reset_index(drop=True))
