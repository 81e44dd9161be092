"""Uncertainty analysis over weights and aggregation (the JRC/OECD handbook's, as COINr).

Each draw multiplies every group and indicator weight by its own factor drawn uniformly in
``[1 − weight_range, 1 + weight_range]`` and, with ``aggregation_switch``, tosses a coin
between the framework's means and the other mean (every ``weighted_mean`` node, root
included, becomes ``geometric_mean`` and back; ``sum`` nodes and groups that must stay
arithmetic, those holding ``zscore`` indicators, are kept). The units are re-ranked per
draw with the engine's rounding and ties (:class:`Reaggregator`: the indicator fractions
are computed once, each batch of draws is aggregated with array operations; means over
indicators are matrix products when weights vary, child-by-child sums in the engine's
order when they do not, so that zero variation gives the official ranking exactly).

Reported per unit: the median rank, the 5th and 95th percentiles (lower/higher order
statistics, so whole ranks), and the mean absolute shift of rank against the official
one; overall, the average shift of ranks R̄s = mean over units and draws of
|official rank − rank in the draw| (handbook, step 7).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..compute import EngineResult
from ..spec import FrameworkSpec
from ..validate import validate_framework
from .fast import Reaggregator

SWAP = {"weighted_mean": "geometric_mean", "geometric_mean": "weighted_mean"}


@dataclass
class MonteCarloResult:
    """``units``: unit_code, cohort, official_rank, median_rank, p05, p95, width,
    mean_shift (sorted by cohort, official rank); ``average_shift``: R̄s over every unit;
    ``switched``: the number of draws aggregated with the other mean."""

    units: pd.DataFrame
    average_shift: float
    n_draws: int
    weight_range: float
    aggregation_switch: bool
    switched: int
    seed: int


def _order_statistics(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: median, 5th percentile (``lower``) and 95th (``higher``), ignoring NaN;
    rows without NaN (all, in practice) in one sort."""
    median = np.full(len(block), np.nan)
    low = np.full(len(block), np.nan)
    high = np.full(len(block), np.nan)
    gaps = np.isnan(block).any(axis=1)
    full = block[~gaps]
    if len(full):
        median[~gaps] = np.median(full, axis=1)
        low[~gaps] = np.percentile(full, 5, axis=1, method="lower")
        high[~gaps] = np.percentile(full, 95, axis=1, method="higher")
    if gaps.any():
        part = block[gaps]
        median[gaps] = np.nanmedian(part, axis=1)
        low[gaps] = np.nanpercentile(part, 5, axis=1, method="lower")
        high[gaps] = np.nanpercentile(part, 95, axis=1, method="higher")
    return median, low, high


def switched_framework(framework: FrameworkSpec) -> FrameworkSpec | None:
    """``framework`` with arithmetic and geometric means exchanged where the engine allows
    it; ``None`` when nothing can be exchanged."""
    zscore_groups = {i.group for i in framework.indicators if i.rule == "zscore"}
    groups = tuple(replace(g, aggregation=SWAP[g.aggregation])
                   if g.aggregation in SWAP and g.code not in zscore_groups else g
                   for g in framework.groups)
    spec = replace(framework, aggregation=SWAP.get(framework.aggregation,
                                                   framework.aggregation), groups=groups)
    if spec == framework or validate_framework(spec):
        return None
    return spec


def monte_carlo(framework: FrameworkSpec, result: EngineResult, n_draws: int = 1000,
                weight_range: float = 0.25, aggregation_switch: bool = True, seed: int = 0,
                *, batch: int = 100, reaggregator: Reaggregator | None = None
                ) -> MonteCarloResult:
    """Run ``n_draws`` draws over the official ``result`` (computed on ``framework``)."""
    if n_draws < 1:
        raise ValueError("n_draws must be at least 1")
    if not 0 <= weight_range < 1:
        raise ValueError("weight_range must lie in [0, 1)")
    reaggregator = reaggregator or Reaggregator(framework, result)
    other = switched_framework(framework) if aggregation_switch else None
    rng = np.random.default_rng(seed)
    nodes = [g.code for g in framework.groups] + [i.code for i in framework.indicators]
    base = np.array([float(g.weight) for g in framework.groups]
                    + [float(i.weight) for i in framework.indicators])
    factors = (rng.uniform(1 - weight_range, 1 + weight_range, size=(n_draws, len(nodes)))
               if weight_range > 0 else np.ones((n_draws, len(nodes))))
    weights_all = base * factors
    switch = (rng.random(n_draws) < 0.5) if other is not None else np.zeros(n_draws, bool)
    scale = float(framework.scale)
    n = len(reaggregator.units)
    ranks = np.full((n, n_draws), np.nan, dtype=np.float32)
    for start in range(0, n_draws, batch):
        stop = min(start + batch, n_draws)
        for spec, chosen in ((framework, ~switch[start:stop]), (other, switch[start:stop])):
            if spec is None or not chosen.any():
                continue
            columns = np.arange(start, stop)[chosen]
            weights = {code: weights_all[columns, k] for k, code in enumerate(nodes)}
            # without variation a draw is the official framework: its means add child after
            # child as the engine does (the official ranking, bit for bit); drawn weights are
            # not official figures, so their means may be matrix products (~1e-15 apart)
            exact = spec is framework and weight_range == 0
            totals = reaggregator.aggregate(spec, weights, len(columns), exact=exact).totals
            ranks[:, columns] = reaggregator.ranks(spec, totals * scale)
    official = reaggregator.official_rank
    ranked = ~np.isnan(official)
    median = np.full(n, np.nan)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    shift = np.full(n, np.nan)
    if ranked.any():
        block = ranks[ranked].astype(float)
        median[ranked], low[ranked], high[ranked] = _order_statistics(block)
        shift[ranked] = np.nanmean(np.abs(block - official[ranked, None]), axis=1)
    units = reaggregator.units.copy()
    units["official_rank"] = official
    units["median_rank"] = median
    units["p05"] = low
    units["p95"] = high
    units["width"] = high - low
    units["mean_shift"] = shift
    units = units.sort_values(["cohort", "official_rank", "unit_code"],
                              na_position="last", kind="mergesort").reset_index(drop=True)
    average = float(np.nanmean(shift)) if ranked.any() else float("nan")
    return MonteCarloResult(units, average, n_draws, float(weight_range),
                            bool(aggregation_switch), int(switch.sum()), int(seed))
