"""Run the real scoring engine on the demo's returns, as the generator checks its targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from rankings.engine import TOTAL_NODE, EngineResult, FrameworkSpec, compute

from .units import DemoUnit

#: One period's answers: unit code -> indicator code -> value (``None`` when left empty).
Returns = dict[str, dict[str, object]]


def score(spec: FrameworkSpec, units: Iterable[DemoUnit], returns: Returns,
          previous: EngineResult | None = None) -> EngineResult:
    """The engine's result for ``returns``, compared with ``previous`` (an earlier result)."""
    units_df = pd.DataFrame([(u.code, u.cohort) for u in units], columns=["unit_code", "cohort"])
    values_df = pd.DataFrame(
        [(unit, code, value) for unit, answers in returns.items()
         for code, value in answers.items() if value is not None],
        columns=["unit_code", "indicator_code", "value"],
    )
    return compute(spec, units_df, values_df, previous_ranks(previous))


def previous_ranks(result: EngineResult | None) -> pd.DataFrame | None:
    """``result``'s ranks in the long layout ``compute`` takes as ``previous``."""
    if result is None:
        return None
    totals = result.units[["unit_code", "rank"]].assign(node=TOTAL_NODE)
    groups = result.groups[["unit_code", "group_code", "rank"]].rename(
        columns={"group_code": "node"})
    frame = pd.concat([totals, groups], ignore_index=True)
    return frame[frame["rank"].notna()][["unit_code", "node", "rank"]]


def rank_table(result: EngineResult) -> pd.DataFrame:
    """Ranks and changes by unit and node (``__total__`` or a group code), one row each."""
    totals = result.units.assign(node=TOTAL_NODE)
    groups = result.groups.rename(columns={"group_code": "node"})
    columns = ["unit_code", "cohort", "node", "score", "rank", "previous_rank", "rank_change"]
    return pd.concat([totals[columns], groups[columns]], ignore_index=True)


def ties(result: EngineResult) -> list[tuple[str, str, int, list[str]]]:
    """Every shared rank: (cohort, node, rank, unit codes), total and groups alike."""
    table = rank_table(result)
    table = table[table["rank"].notna()]
    found = []
    for (cohort, node, rank), rows in table.groupby(["cohort", "node", "rank"], sort=True):
        if len(rows) > 1:
            found.append((cohort, node, int(rank), sorted(rows["unit_code"])))
    return found


def ranks_of(result: EngineResult, unit_code: str) -> Mapping[str, tuple]:
    """``node -> (rank, previous_rank, rank_change)`` of one unit, ``None`` where empty."""
    table = rank_table(result)
    rows = table[table["unit_code"] == unit_code]

    def plain(value):
        return None if pd.isna(value) else int(value)

    return {row.node: (plain(row.rank), plain(row.previous_rank), plain(row.rank_change))
            for row in rows.itertuples()}
