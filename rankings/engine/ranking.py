"""Rounding half away from zero, ranks, rank changes and bands."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .spec import Band

#: Relative slack when deciding whether a value lies on a rounding midpoint: binary floats
#: such as 2.675 (stored as 2.67499999999999982236431605997495353221893310546875) count
#: as the decimal number that was meant. It is thousands of times a double's precision and
#: far below any difference that matters in a score.
_MIDPOINT_SLACK = 1e-12


def round_half_away(x, decimals: int):
    """Round half away from zero to ``decimals`` places: 2.675 -> 2.68, -2.5 -> -3.

    Accepts a scalar, an array or a Series and returns the same kind (float values;
    NaN stays NaN, and -0.0 becomes 0.0).
    """
    decimals = int(decimals)
    if isinstance(x, pd.Series):
        return pd.Series(round_half_away(x.to_numpy(dtype=float, na_value=np.nan), decimals),
                         index=x.index, name=x.name)
    scalar = np.ndim(x) == 0
    values = np.asarray(x, dtype=float)
    factor = 10.0 ** decimals
    with np.errstate(all="ignore"):
        scaled = np.abs(values) * factor
        whole = np.floor(scaled)
        up = (scaled - whole) >= 0.5 - _MIDPOINT_SLACK * np.maximum(scaled, 1.0)
        rounded = np.where(np.isfinite(scaled), whole + up, scaled)
        result = np.copysign(rounded, values) / factor + 0.0
        result = np.where(np.isinf(values), values, result)
    return float(result) if scalar else result


def rank_scores(scores: pd.Series, ties: str = "competition") -> pd.Series:
    """Ranks, highest first: ``competition`` 1, 2, 2, 4 or ``dense`` 1, 2, 2, 3.

    NaN scores are not ranked (``<NA>``). Returns an ``Int64`` Series on the same index.
    """
    if ties not in ("competition", "dense"):
        raise ValueError(f"ties must be 'competition' or 'dense', not {ties!r}")
    series = pd.Series(scores, dtype=float) if not isinstance(scores, pd.Series) else scores
    values = series.to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(rank_array(values, ties), index=series.index, dtype="Int64",
                     name=series.name)


def rank_array(values: np.ndarray, ties: str) -> pd.arrays.IntegerArray:
    """Ranks of a float array (NaN unranked) as a nullable integer array."""
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    ranks = np.zeros(len(values), dtype="int64")
    if present.any():
        scored = values[present]
        distinct = np.unique(scored)  # ascending
        if ties == "competition":
            # 1 + the number of strictly higher scores
            higher = len(scored) - np.searchsorted(np.sort(scored), scored, side="right")
            ranks[present] = higher + 1
        else:
            ranks[present] = len(distinct) - np.searchsorted(distinct, scored, side="left")
    return pd.arrays.IntegerArray(ranks, ~present)


def band_labels(scores: np.ndarray, bands: tuple[Band, ...]) -> np.ndarray:
    """The label with the highest ``min_score`` reached by each score (``None`` if none)."""
    scores = np.asarray(scores, dtype=float)
    result = np.full(len(scores), None, dtype=object)
    if not bands:
        return result
    ordered = sorted(bands, key=lambda band: float(band.min_score))
    minima = np.array([float(band.min_score) for band in ordered])
    labels = np.array([band.label for band in ordered], dtype=object)
    at = np.searchsorted(minima, np.where(np.isnan(scores), -np.inf, scores), side="right") - 1
    hit = ~np.isnan(scores) & (at >= 0)
    result[hit] = labels[at[hit]]
    return result
