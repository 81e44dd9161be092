"""From a column of answers to typed values and from a scored value x to a fraction f.

Every function works on one indicator for all units of one cohort at once (numpy arrays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .spec import IndicatorSpec

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "1.0", "x", "có", "co", "đạt", "dat"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "0.0", "không", "khong", "không đạt"})


def as_float(value) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not one (used by validation)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def value_kind(indicator: IndicatorSpec) -> str:
    """How answers are read: ``number``, ``boolean``, ``choice`` or ``text``."""
    if indicator.derived:
        return "number"
    if indicator.value_type in ("boolean", "choice", "text"):
        return indicator.value_type
    return "number"


@dataclass
class Column:
    """One indicator's answers for a list of units.

    ``values``: object array of typed values (float, bool or str; ``None`` when missing);
    ``numbers``: float64 array as formulas see them (bool as 1/0, text as a number or NaN);
    ``missing``: bool array.
    """

    values: np.ndarray
    numbers: np.ndarray
    missing: np.ndarray


def _choice_key(value) -> str:
    """An answer as an option code: ``2.0`` -> ``"2"``, ``" A "`` -> ``"A"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _blank(series: pd.Series) -> np.ndarray:
    missing = series.isna().to_numpy()
    if series.dtype == object:
        is_text = series.map(type).eq(str).to_numpy()  # per value type check, vectorised map
        if is_text.any():
            stripped = series[is_text].str.strip()
            missing[is_text] = (stripped == "").to_numpy()
    return missing


def _bad(indicator: IndicatorSpec, series: pd.Series, bad: np.ndarray, expected: str):
    units = ", ".join(repr(str(u)) for u in series.index[bad][:5])
    shown = ", ".join(repr(v) for v in series[bad].iloc[:3])
    raise ValueError(
        f"indicator {indicator.code!r} expects {expected}; unit(s) {units} gave {shown}")


def read_column(indicator: IndicatorSpec, series: pd.Series) -> Column:
    """Type the raw answers (``series`` indexed by unit code) of one indicator.

    Raises ``ValueError`` naming the units when an answer does not fit the indicator.
    """
    kind = value_kind(indicator)
    missing = _blank(series)
    present = series.where(~missing, None).astype(object)
    length = len(series)
    if kind == "number":
        if series.dtype == bool:
            numbers = series.to_numpy(dtype=float)
        else:
            numbers = pd.to_numeric(present, errors="coerce").to_numpy(dtype=float,
                                                                       na_value=np.nan)
        bad = ~missing & ~np.isfinite(numbers)
        if bad.any():
            _bad(indicator, series, bad, "a finite number")
        numbers[missing] = np.nan
        values = numbers.astype(object)
        values[missing] = None
        return Column(values, numbers, missing)
    if kind == "boolean":
        numbers = np.full(length, np.nan)
        is_bool = present.map(type).eq(bool).to_numpy()
        is_num = ~is_bool & pd.to_numeric(present, errors="coerce").notna().to_numpy()
        numeric = pd.to_numeric(present.where(is_num, None), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
        numbers[is_bool] = present[is_bool].astype(bool).to_numpy(dtype=float)
        numbers[is_num] = (numeric[is_num] != 0).astype(float)
        rest = ~missing & ~is_bool & ~is_num
        if rest.any():
            words = present[rest].astype(str).str.strip().str.normalize("NFC").str.casefold()
            truth = words.isin(TRUE_WORDS).to_numpy()
            falsity = words.isin(FALSE_WORDS).to_numpy()
            if not (truth | falsity).all():
                bad = np.zeros(length, dtype=bool)
                bad[np.flatnonzero(rest)[~(truth | falsity)]] = True
                _bad(indicator, series, bad, "yes or no")
            numbers[rest] = truth.astype(float)
        values = np.full(length, None, dtype=object)
        values[~missing] = numbers[~missing] == 1.0
        return Column(values, numbers, missing)
    # choice and text: codes/text as stripped strings; formulas see numbers where they parse
    text = pd.Series(None, index=series.index, dtype=object)
    text[~missing] = present[~missing].map(_choice_key).to_numpy(dtype=object)
    values = text.to_numpy(dtype=object)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return Column(values, numbers, missing)


def band_table(indicator: IndicatorSpec) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds (ascending) and their points from a ``bands`` rule's params."""
    pairs = sorted((float(t), float(p)) for t, p in indicator.params.items())
    thresholds = np.array([t for t, _ in pairs], dtype=float)
    points = np.array([p for _, p in pairs], dtype=float)
    return thresholds, points


def choice_points(indicator: IndicatorSpec) -> dict[str, float]:
    return {str(k).strip(): float(v) for k, v in indicator.params.items()}




def fraction(indicator: IndicatorSpec, column: Column, unit_codes) -> np.ndarray:
    """The fraction f in [0, 1] (unbounded for ``zscore``) of each unit; NaN when missing.

    ``minmax`` and ``zscore`` are relative: the statistics are taken over the units of
    ``column`` (one cohort) that have a value. ``none`` gives NaN everywhere.
    """
    rule, params = indicator.rule, indicator.params
    present = ~column.missing
    x = column.numbers
    result = np.full(len(x), np.nan)
    with np.errstate(all="ignore"):
        if rule == "none":
            return result
        if rule == "choice":
            table = choice_points(indicator)
            keys = pd.Series(column.values[present], dtype=object)
            points = keys.map(table).to_numpy(dtype=float, na_value=np.nan)
            unknown = np.isnan(points)
            if unknown.any():
                units = np.asarray(unit_codes, dtype=object)[present][unknown]
                chosen = keys[unknown].tolist()
                raise ValueError(
                    f"indicator {indicator.code!r}: unknown option(s) {chosen[:5]!r} for "
                    f"unit(s) {[str(u) for u in units[:5]]!r}; options are {sorted(table)!r}")
            result[present] = np.clip(points / float(indicator.max_points), 0.0, 1.0)
            return result
        if rule == "boolean":
            f = (x != 0).astype(float)
        elif rule == "direct":
            f = np.clip(x / float(indicator.max_points), 0.0, 1.0)
        elif rule == "ratio":
            f = np.minimum(np.maximum(x, 0.0) / float(params["target"]), 1.0)
        elif rule == "goalpost":
            lo, hi = float(params["lo"]), float(params["hi"])
            f = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
            if indicator.inverse:
                f = 1.0 - f  # (hi - x) / (hi - lo), clipped
        elif rule == "bands":
            thresholds, points = band_table(indicator)
            if indicator.inverse:
                at = np.searchsorted(thresholds, x, side="left")  # lowest t >= x
                hit = at < len(thresholds)
            else:
                at = np.searchsorted(thresholds, x, side="right") - 1  # highest t <= x
                hit = at >= 0
            got = np.where(hit, points[np.clip(at, 0, len(points) - 1)], 0.0)
            f = np.clip(got / float(indicator.max_points), 0.0, 1.0)
        elif rule == "minmax":
            f = np.full(len(x), np.nan)
            if present.any():
                low, high = x[present].min(), x[present].max()
                if high == low:
                    f[present] = 1.0
                elif indicator.inverse:
                    f[present] = (high - x[present]) / (high - low)
                else:
                    f[present] = (x[present] - low) / (high - low)
        elif rule == "zscore":
            f = np.full(len(x), np.nan)
            if present.any():
                sample = x[present]
                mean = sample.mean()
                sd = np.sqrt(((sample - mean) ** 2).mean())
                z = np.zeros(len(sample)) if sd == 0 else (sample - mean) / sd
                f[present] = -z if indicator.inverse else z
        else:  # pragma: no cover - validate_framework refuses unknown rules
            raise ValueError(f"unknown rule {rule!r}")
        if indicator.inverse and rule in ("direct", "boolean", "ratio"):
            f = 1.0 - f
    result[present] = f[present]
    return result
