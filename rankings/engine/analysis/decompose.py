"""Why did a unit's score and rank move between two periods?

The change of a node's score (the total or a group) is split into items that add up to it:

- ``removed`` / ``added``: indicators or groups that exist in only one framework;
- ``aggregation``, ``weight``: a node's aggregation, or its children's weights and
  maxima, changed (measured on last year's fractions);
- ``rule``: an indicator's rule changed (last year's answer scored by this year's rule
  minus last year's fraction);
- ``value``: the answers changed (this year's fraction minus last year's answer under this
  year's rule);
- ``rescale``: a ``rescale = minmax`` group moved because the cohort moved;
- ``maximum``: the node's own maximum changed.

Method: at every node the changes are made one after the other in that order (removed,
aggregation, weights, added, then each common child in tree order), each evaluated with the
engine's own aggregation; the step of a child group is then shared among that group's own
items in proportion (its items add up to the group's change). The steps telescope, so the
items add up to the change of the node's exact score (up to floating-point rounding,
≤ 1e-12 of the scale). For sums and weighted means without caps the value item of an
indicator is exactly its (new) effective weight × its change of fraction, and the order of
steps does not matter; for geometric means and capped sums the order is the tree order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..compute import EngineResult, _aggregate
from ..rules import fraction, read_column
from ..spec import FrameworkSpec
from ..tree import CohortTree, Tree

ITEM_COLUMNS = ["top", "parent", "code", "kind", "points"]


@dataclass
class Decomposition:
    """The change of ``unit``'s score on ``node`` (``""`` = the total).

    ``items``: top (the child of ``node`` the item lies under, ``""`` for the node itself),
    parent, code, kind, points; Σ points = ``change``. ``by_top``: the items summed per top
    child. ``passed``: units that the unit passed on ``node`` (ahead last time, behind
    now); ``passed_by``: units that passed it; both as frames unit_code, previous_rank,
    rank. ``groups``: per top-level group, the previous and current rank and the units
    passed and passing (only for the total).
    """

    unit: str
    node: str
    score_previous: float
    score_now: float
    change: float
    rank_previous: int | None
    rank_now: int | None
    items: pd.DataFrame
    by_top: pd.DataFrame
    passed: pd.DataFrame
    passed_by: pd.DataFrame
    groups: list[dict] = field(default_factory=list)
    reason: str = ""


class _Side:
    """One period: framework, the unit's cohort tree and its fractions."""

    def __init__(self, framework: FrameworkSpec, result: EngineResult, unit: str):
        self.unit_code = unit
        self.framework = framework
        self.result = result
        row = result.units[result.units["unit_code"] == unit]
        if row.empty:
            raise ValueError(f"unit {unit!r} is not in the result of {framework.code}")
        self.cohort = str(row["cohort"].iloc[0])
        self.tree: CohortTree = Tree(framework).for_cohort(self.cohort)
        self.specs = {g.code: g for g in framework.groups}
        self.indicators = {i.code: i for i in framework.indicators}
        groups = result.groups[result.groups["unit_code"] == unit]
        indicators = result.indicators[result.indicators["unit_code"] == unit]
        self.fractions: dict[str, float] = dict(zip(
            indicators["indicator_code"], indicators["fraction"].astype(float), strict=True))
        self.fractions.update(zip(groups["group_code"], groups["fraction"].astype(float),
                                  strict=True))
        self.fractions[""] = float(row["score_exact"].iloc[0]) / float(framework.scale)
        self.rank = row["rank"].iloc[0]

    def aggregation(self, node: str) -> str:
        return self.framework.aggregation if node == "" else self.specs[node].aggregation

    def weight(self, kind: str, code: str) -> float:
        return float((self.specs[code] if kind == "group" else self.indicators[code]).weight)

    def exists(self, node: str) -> bool:
        return node == "" or node in self.tree.children


def _evaluate(how: str, kids: list[tuple[str, str]], fractions: dict, maxima: dict,
              weights: dict, maximum: float, skip: bool) -> float:
    if not kids:
        return math.nan
    value = _aggregate(how, [np.array([fractions[c]]) for _, c in kids],
                       [maxima[c] for _, c in kids], [weights[c] for _, c in kids],
                       maximum, skip, 1)
    return float(value[0])


def _mid_fractions(prev: _Side, now: _Side) -> dict[str, float]:
    """Last year's answers scored by this year's rule, for indicators whose rule changed."""
    result: dict[str, float] = {}
    unit_frame = prev.result.units
    cohort_units = unit_frame[unit_frame["cohort"] == prev.cohort]["unit_code"].to_numpy(
        dtype=object)
    table = prev.result.indicators
    for code, spec in now.indicators.items():
        old = prev.indicators.get(code)
        if old is None or not spec.scored or not old.scored:
            continue
        same = (old.rule, dict(old.params), float(old.max_points), old.inverse,
                old.value_type) == (spec.rule, dict(spec.params), float(spec.max_points),
                                    spec.inverse, spec.value_type)
        if same:
            continue
        rows = table[(table["indicator_code"] == code) & (table["cohort"] == prev.cohort)]
        raw = rows.set_index("unit_code")["value"].reindex(cohort_units).to_numpy(dtype=object)
        column = read_column(spec, raw, cohort_units)
        fractions = fraction(spec, column, cohort_units)
        if now.framework.missing == "zero":
            fractions = np.where(np.isnan(fractions), 0.0, fractions)
        at = int(np.flatnonzero(cohort_units == prev.unit_code)[0])
        result[code] = float(fractions[at])
    return result


class _Walker:
    def __init__(self, prev: _Side, now: _Side, mid: dict[str, float], root: str):
        self.prev, self.now, self.mid, self.root = prev, now, mid, root
        self.skip_prev = prev.framework.missing == "skip"
        self.skip_now = now.framework.missing == "skip"

    def node(self, node: str, top: str) -> list[tuple]:
        """Items (top, parent, code, kind, amount in ``node`` fraction) adding up to the
        change of ``node``'s fraction. A state that has no value (every child missing under
        ``missing = skip``) is passed over: the next step with a value takes the difference
        from the last one with a value, so the steps still telescope."""
        prev, now = self.prev, self.now
        kids_old = prev.tree.children.get(node, [])
        kids_new = now.tree.children.get(node, [])
        new_codes = {c for _, c in kids_new}
        old_codes = {c for _, c in kids_old}
        fr = {c: prev.fractions[c] for _, c in kids_old}
        maxima = {c: prev.tree.maxima[c] for _, c in kids_old}
        weights = {c: prev.weight(k, c) for k, c in kids_old}
        how = prev.aggregation(node)
        maximum = prev.tree.maxima[node]
        skip = self.skip_prev
        kids = list(kids_old)
        items: list[tuple] = []
        state = {"current": _evaluate(how, kids, fr, maxima, weights, maximum, skip)}
        raw_prev = state["current"]

        def advance(value: float) -> float:
            if math.isnan(value):
                return 0.0
            step = value - state["current"]
            state["current"] = value
            return step

        def child_top(code: str) -> str:
            return top or (code if node == self.root else "")

        for _kind, code in kids_old:  # removed children
            if code in new_codes:
                continue
            kids = [k for k in kids if k[1] != code]
            step = advance(_evaluate(how, kids, fr, maxima, weights, maximum, skip))
            items.append((child_top(code), node, code, "removed", step))
        if now.aggregation(node) != how:
            how = now.aggregation(node)
            step = advance(_evaluate(how, kids, fr, maxima, weights, maximum, skip))
            items.append((top, node, node, "aggregation", step))
        common = [(k, c) for k, c in kids_new if c in old_codes]
        weights = {c: now.weight(k, c) for k, c in kids_new}
        maxima = {c: now.tree.maxima[c] for _, c in kids_new}
        maximum, skip = now.tree.maxima[node], self.skip_now
        included = {c for _, c in common}
        step = advance(_evaluate(how, common, fr, maxima, weights, maximum, skip))
        items.append((top, node, node, "weight", step))
        for _kind, code in kids_new:  # added children, with this year's fractions
            if code in old_codes:
                continue
            included.add(code)
            kids = [k for k in kids_new if k[1] in included]
            fr[code] = now.fractions[code]
            step = advance(_evaluate(how, kids, fr, maxima, weights, maximum, skip))
            items.append((child_top(code), node, code, "added", step))
        kids = list(kids_new)
        for kind, code in kids_new:  # value changes, child by child
            if code not in old_codes:
                continue
            before = fr[code]
            fr[code] = now.fractions[code]
            step = advance(_evaluate(how, kids, fr, maxima, weights, maximum, skip))
            items += self._share(kind, code, node, child_top(code), before, fr[code], step)
        raw_now = state["current"]
        stored_prev, stored_now = prev.fractions[node], now.fractions[node]
        rescale = (stored_now - raw_now) - (stored_prev - raw_prev)
        if not math.isnan(rescale):
            items.append((top, node, node, "rescale", rescale))
        return [item for item in items if item[4] != 0]

    def _share(self, kind, code, parent, top, before, after, step) -> list[tuple]:
        delta = after - before
        if step == 0 and (delta == 0 or math.isnan(delta)):
            return []
        if kind == "indicator":
            mid = self.mid.get(code)
            if mid is None or math.isnan(mid) or math.isnan(delta) or delta == 0:
                return [(top, parent, code, "value", step)]
            rule, value = mid - before, after - mid
            return [(top, parent, code, k, step * part / delta)
                    for k, part in (("rule", rule), ("value", value)) if part != 0]
        if math.isnan(delta) or delta == 0:
            return [(top, parent, code, "value", step)]
        inner = self.node(code, top)
        return [(t, p, c, k, amount * step / delta) for t, p, c, k, amount in inner]


def _ranks(result: EngineResult, node: str) -> pd.DataFrame:
    if node == "":
        frame = result.units[["unit_code", "cohort", "rank"]]
    else:
        frame = result.groups[result.groups["group_code"] == node][
            ["unit_code", "cohort", "rank"]]
    return frame


def overtakes(result_prev: EngineResult, result_now: EngineResult, unit: str, node: str = ""
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(passed, passed_by)`` on ``node`` (``""`` = total) within the unit's current cohort:
    units ahead of ``unit`` last time and behind it now, and the reverse."""
    empty = pd.DataFrame({"unit_code": [], "previous_rank": [], "rank": []})
    now = _ranks(result_now, node)
    mine = now[now["unit_code"] == unit]
    if mine.empty or pd.isna(mine["rank"].iloc[0]):
        return empty, empty
    cohort = mine["cohort"].iloc[0]
    prev = _ranks(result_prev, node)[["unit_code", "rank"]].rename(
        columns={"rank": "previous_rank"})
    both = now[now["cohort"] == cohort].merge(prev, on="unit_code")
    both = both[both["rank"].notna() & both["previous_rank"].notna()]
    me = both[both["unit_code"] == unit]
    if me.empty:
        return empty, empty
    rank, previous = int(me["rank"].iloc[0]), int(me["previous_rank"].iloc[0])
    others = both[both["unit_code"] != unit]
    passed = others[(others["previous_rank"] < previous) & (others["rank"] > rank)]
    passed_by = others[(others["previous_rank"] > previous) & (others["rank"] < rank)]
    columns = ["unit_code", "previous_rank", "rank"]
    return (passed.sort_values("rank")[columns].reset_index(drop=True),
            passed_by.sort_values("rank")[columns].reset_index(drop=True))


def decompose(framework_prev: FrameworkSpec, result_prev: EngineResult,
              framework_now: FrameworkSpec, result_now: EngineResult, unit: str,
              node: str = "") -> Decomposition:
    """Split the change of ``unit``'s exact score on ``node`` (``""``: the total; else a
    group code present in both periods) between two results (see the module)."""
    prev, now = _Side(framework_prev, result_prev, unit), _Side(framework_now, result_now, unit)
    if not (prev.exists(node) and now.exists(node)):
        raise ValueError(f"group {node!r} does not exist for {unit!r} in both periods")
    maximum_prev, maximum_now = prev.tree.maxima[node], now.tree.maxima[node]
    f_prev, f_now = prev.fractions[node], now.fractions[node]
    score_prev, score_now = f_prev * maximum_prev, f_now * maximum_now
    passed, passed_by = overtakes(result_prev, result_now, unit, node)
    rank_prev = _rank_of(result_prev, unit, node)
    rank_now = _rank_of(result_now, unit, node)
    groups = []
    if node == "":
        for _kind, code in now.tree.children[""]:
            g_passed, g_by = overtakes(result_prev, result_now, unit, code)
            groups.append({"group_code": code, "previous_rank": _rank_of(result_prev, unit, code),
                           "rank": _rank_of(result_now, unit, code),
                           "passed": g_passed["unit_code"].tolist(),
                           "passed_by": g_by["unit_code"].tolist()})
    empty = pd.DataFrame({c: [] for c in ITEM_COLUMNS})
    if math.isnan(f_prev) or math.isnan(f_now):
        return Decomposition(unit, node, score_prev, score_now, math.nan, rank_prev, rank_now,
                             empty, empty[["top", "points"]], passed, passed_by, groups,
                             reason="missing")
    walker = _Walker(prev, now, _mid_fractions(prev, now), node)
    rows = [(t, p, c, k, amount * maximum_now)
            for t, p, c, k, amount in walker.node(node, "")]
    if maximum_now != maximum_prev:
        rows.append(("", node, node, "maximum", f_prev * (maximum_now - maximum_prev)))
    items = pd.DataFrame(rows, columns=ITEM_COLUMNS) if rows else empty
    items = items[items["points"] != 0].reset_index(drop=True)
    by_top = (items.groupby("top", sort=False)["points"].sum().reset_index()
              if len(items) else empty[["top", "points"]])
    return Decomposition(unit, node, score_prev, score_now, score_now - score_prev, rank_prev,
                         rank_now, items, by_top, passed, passed_by, groups)


def _rank_of(result: EngineResult, unit: str, node: str) -> int | None:
    frame = _ranks(result, node)
    row = frame[frame["unit_code"] == unit]
    if row.empty or pd.isna(row["rank"].iloc[0]):
        return None
    return int(row["rank"].iloc[0])
