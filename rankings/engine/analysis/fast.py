"""Re-aggregation from an engine result: new weights or aggregations without re-scoring.

An indicator's fraction depends on the answers and the rule (and, for ``minmax`` and
``zscore``, on the cohort), never on a weight or an aggregation. So a what-if or a Monte
Carlo draw only has to re-aggregate the fractions that :func:`rankings.engine.compute`
already produced (``EngineResult.indicators.fraction``). ``Reaggregator`` keeps them as
one matrix per cohort and runs the engine's own aggregation (``compute._aggregate``, the
same additions in the same order, so the same bits) over a whole batch of draws at once:
every weight may be an array with one entry per draw.

Group ``rescale = minmax`` is re-applied per draw with the engine's ``_minmax``; ranks,
rounding and bands are the engine's (``rank_array``, ``round_half_away``,
``band_labels``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..compute import EngineResult, _aggregate, _minmax
from ..ranking import band_labels, rank_array, round_half_away
from ..spec import FrameworkSpec
from ..tree import CohortTree, Tree


def _means_by_product(how: str, fractions: list[np.ndarray], weights: list[np.ndarray],
                      shape: tuple[int, int]) -> np.ndarray | None:
    """Weighted or geometric means of children that do not vary between draws, as one
    matrix product (units × children) @ (children × draws); ``None`` when a child varies.
    Not bit-identical to the engine's child-by-child sums (the order of the additions
    differs), so only used where no official figure is to be reproduced."""
    if any(f.shape[1] != 1 for f in fractions):
        return None
    matrix = np.hstack(fractions)                                  # units × children
    table = np.vstack([np.broadcast_to(w, (shape[1],)) for w in weights])  # children × draws
    table = table / table.sum(axis=0)
    with np.errstate(all="ignore"):
        if how == "weighted_mean":
            return matrix @ table
        zero = (matrix == 0).any(axis=1)
        logs = np.log(np.where(matrix > 0, matrix, 1.0))
        result = np.exp(logs @ table)
        result[zero] = 0.0
        result[np.isnan(matrix).any(axis=1)] = np.nan
        return result


def aggregate_batch(how: str, fractions: list[np.ndarray], maxima: list[float],
                    weights: list[np.ndarray], maximum: float, skip: bool,
                    shape: tuple[int, int], exact: bool = True) -> np.ndarray:
    """The engine's ``_aggregate`` for a batch of draws without missing children (``zero``
    and ``unranked``: a NaN simply propagates, as there), written with in-place operations.

    The same operations in the same order as ``compute._aggregate`` (``total + w * f``
    child after child, then ``/ Σ w``; ``Π f ** (w / Σ w)``; ``min(Σ f m, M) / M``), so the
    same bits; the sums of weights have one row (they do not depend on the unit). Only the
    memory traffic differs. ``skip`` is handled by ``compute._aggregate`` itself. With
    ``exact=False`` means over children that do not vary are one matrix product.
    """
    if skip:  # pragma: no cover - the caller sends skip to the engine's own function
        raise ValueError("aggregate_batch does not handle missing = skip")
    if not fractions:
        return np.full(shape, np.nan)
    if not exact and how != "sum":
        product = _means_by_product(how, fractions, weights, shape)
        if product is not None:
            return product
    total = np.zeros(shape)
    term = np.empty(shape)
    with np.errstate(all="ignore"):
        if how == "sum":
            for f, m in zip(fractions, maxima, strict=True):
                np.multiply(f, m, out=term)
                np.add(total, term, out=total)
            np.minimum(total, maximum, out=total)
            np.divide(total, maximum, out=total)
            return total
        weight_sum = np.zeros((1, shape[1]))
        for w in weights:
            weight_sum = weight_sum + w
        if how == "weighted_mean":
            for f, w in zip(fractions, weights, strict=True):
                np.multiply(w, f, out=term)
                np.add(total, term, out=total)
            np.divide(total, weight_sum, out=total)
            return total
        total.fill(1.0)
        for f, w in zip(fractions, weights, strict=True):
            np.power(f, w / weight_sum, out=term)
            np.multiply(total, term, out=total)
        return total


@dataclass
class _Cohort:
    cohort: str
    codes: np.ndarray                 # unit codes (the order of result.units)
    rows: np.ndarray                  # positions in result.units
    fractions: dict[str, np.ndarray]  # scored indicator -> (n, 1)


@dataclass
class Aggregated:
    """One batch of draws: ``totals`` (units × draws, fractions of the root) and, when asked,
    ``groups`` (group code -> units × draws fractions); units in ``result.units`` order."""

    totals: np.ndarray
    groups: dict[str, np.ndarray]
    exists: dict[str, np.ndarray]     # group code -> bool per unit (the group exists there)


class Reaggregator:
    """The indicator fractions of an :class:`EngineResult`, ready to be re-aggregated.

    ``framework`` must be the framework ``result`` was computed on (or one differing only
    in weights and aggregations, see :func:`apply_changes`).
    """

    def __init__(self, framework: FrameworkSpec, result: EngineResult):
        self.framework = framework
        self.result = result
        self.units = result.units[["unit_code", "cohort"]].reset_index(drop=True)
        self.official_rank = result.units["rank"].to_numpy(dtype=float, na_value=np.nan)
        indicators = result.indicators
        self.cohorts: list[_Cohort] = []
        cohort_column = self.units["cohort"].to_numpy(dtype=object)
        for cohort in sorted(set(cohort_column.tolist())):
            rows = np.flatnonzero(cohort_column == cohort)
            codes = self.units["unit_code"].to_numpy(dtype=object)[rows]
            part = indicators[indicators["cohort"] == cohort]
            wide = part.pivot(index="unit_code", columns="indicator_code", values="fraction")
            wide = wide.reindex(index=codes)
            fractions = {code: wide[code].to_numpy(dtype=float).reshape(-1, 1)
                         for code in wide.columns}
            self.cohorts.append(_Cohort(cohort, codes, rows, fractions))

    # -- aggregation ------------------------------------------------------------------------

    @staticmethod
    def _weights(spec: FrameworkSpec, weights: dict[str, np.ndarray] | None, draws: int
                 ) -> dict[str, np.ndarray]:
        table = {g.code: np.full(draws, float(g.weight)) for g in spec.groups}
        table.update({i.code: np.full(draws, float(i.weight)) for i in spec.indicators})
        for code, values in (weights or {}).items():
            table[code] = np.broadcast_to(np.asarray(values, dtype=float), (draws,))
        return table

    def _cohort(self, spec: FrameworkSpec, ctree: CohortTree, part: _Cohort,
                weights: dict[str, np.ndarray], draws: int, keep_groups: bool,
                exact: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        skip = spec.missing == "skip"
        shape = (len(part.rows), draws)
        groups = {g.code: g for g in ctree.groups}
        fractions: dict[str, np.ndarray] = dict(part.fractions)
        if skip or draws == 1:
            aggregate = _aggregate
        else:
            def aggregate(*args):
                return aggregate_batch(*args, exact=exact)
        for group in reversed(ctree.groups):
            kids = ctree.children[group.code]
            f = aggregate(group.aggregation, [fractions[code] for _, code in kids],
                          [ctree.maxima[code] for _, code in kids],
                          [weights[code] for _, code in kids],
                          ctree.maxima[group.code], skip, shape)
            if group.rescale == "minmax":
                f = np.broadcast_to(f, shape)
                f = np.column_stack([_minmax(f[:, d]) for d in range(draws)])
            fractions[group.code] = f
        kids = ctree.children[""]
        total = aggregate(spec.aggregation, [fractions[code] for _, code in kids],
                          [ctree.maxima[code] for _, code in kids],
                          [weights[code] for _, code in kids], ctree.maxima[""], skip, shape)
        total = np.broadcast_to(total, shape)
        kept = {code: fractions[code] for code in groups} if keep_groups else {}
        return total, kept

    def aggregate(self, spec: FrameworkSpec | None = None,
                  weights: dict[str, np.ndarray] | None = None, draws: int = 1,
                  keep_groups: bool = False, exact: bool = True) -> Aggregated:
        """Root fractions for ``draws`` draws: ``weights`` maps a group or indicator code
        to one weight per draw (codes not given keep ``spec``'s weight); ``spec`` (default
        the official framework) gives the aggregations. ``exact=False`` allows matrix
        products whose additions run in another order (equal to ~1e-15)."""
        spec = spec or self.framework
        tree = Tree(spec)
        table = self._weights(spec, weights, draws)
        totals = np.full((len(self.units), draws), np.nan)
        groups: dict[str, np.ndarray] = {}
        exists: dict[str, np.ndarray] = {}
        for part in self.cohorts:
            ctree = tree.for_cohort(part.cohort)
            total, kept = self._cohort(spec, ctree, part, table, draws, keep_groups, exact)
            totals[part.rows] = total
            for code, f in kept.items():
                block = groups.setdefault(code, np.full((len(self.units), draws), np.nan))
                block[part.rows] = f * ctree.maxima[code]  # scores, as the engine reports
                mask = exists.setdefault(code, np.zeros(len(self.units), dtype=bool))
                mask[part.rows] = True
        return Aggregated(totals, groups, exists)

    # -- ranks ------------------------------------------------------------------------------

    def ranks(self, spec: FrameworkSpec, scores_exact: np.ndarray) -> np.ndarray:
        """Ranks (float, NaN unranked) of ``scores_exact`` (units × draws) within each
        cohort, by the framework's ``rank_on`` and ``ties``."""
        scores = scores_exact if spec.rank_on == "exact" else round_half_away(
            scores_exact, int(spec.decimals))
        ranks = np.full(scores.shape, np.nan)
        for part in self.cohorts:
            block = scores[part.rows]
            for d in range(block.shape[1]):
                ranked = rank_array(block[:, d], spec.ties)
                ranks[part.rows, d] = ranked.to_numpy(dtype=float, na_value=np.nan)
        return ranks

    def leaderboard(self, spec: FrameworkSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``spec``'s units and groups frames, shaped as the engine's (without the previous
        ranks): ``units`` unit_code, cohort, score, score_exact, max_score, rank, band;
        ``groups`` unit_code, cohort, group_code, score_exact, score, rank."""
        scale = float(spec.scale)
        aggregated = self.aggregate(spec, keep_groups=True)
        score_exact = aggregated.totals[:, 0] * scale
        score = round_half_away(score_exact, int(spec.decimals))
        rank = self.ranks(spec, score_exact.reshape(-1, 1))[:, 0]
        units = self.units.copy()
        units["score"] = score
        units["score_exact"] = score_exact
        units["max_score"] = scale
        units["rank"] = pd.array(np.where(np.isnan(rank), 0, rank).astype("int64"),
                                 dtype="Int64")
        units.loc[np.isnan(rank), "rank"] = pd.NA
        units["band"] = band_labels(score, spec.bands)
        rows = []
        for code, block in aggregated.groups.items():
            exact = block[:, 0]
            ranks = self.ranks(spec, exact.reshape(-1, 1))[:, 0]
            present = aggregated.exists[code]
            frame = self.units[present].copy()
            frame["group_code"] = code
            frame["score_exact"] = exact[present]
            frame["score"] = round_half_away(exact[present], int(spec.decimals))
            frame["rank"] = pd.array(ranks[present], dtype="Float64").astype("Int64")
            rows.append(frame)
        groups = (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
            columns=["unit_code", "cohort", "group_code", "score_exact", "score", "rank"]))
        return units, groups
