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


def _blank_text(values: np.ndarray) -> np.ndarray:
    """Which of ``values`` (object array) are text made only of spaces."""
    return np.array([isinstance(v, str) and not v.strip() for v in values], dtype=bool)


def _string_mask(series: pd.Series) -> np.ndarray:
    """Which entries of an object Series are ``str`` (vectorised through ``.str``)."""
    try:
        return series.str.len().notna().to_numpy()
    except AttributeError:  # no text at all
        return np.zeros(len(series), dtype=bool)


def _numbers(values: np.ndarray) -> np.ndarray:
    """Object array -> float64 (bool as 1/0, numeric text parsed, anything else NaN)."""
    if values.dtype != object:
        return values.astype(float)
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)


def _bad(indicator: IndicatorSpec, raw: np.ndarray, units: np.ndarray, bad: np.ndarray,
         expected: str):
    who = ", ".join(repr(str(u)) for u in units[bad][:5])
    shown = ", ".join(repr(v) for v in raw[bad][:3])
    raise ValueError(
        f"indicator {indicator.code!r} expects {expected}; unit(s) {who} gave {shown}")


def read_column(indicator: IndicatorSpec, raw, unit_codes=None) -> Column:
    """Type the raw answers of one indicator (an object array, one entry per unit).

    ``raw`` may be a Series indexed by unit code; ``unit_codes`` name the units in error
    messages. Missing: ``None``, NaN, ``pd.NA`` and blank text. Raises ``ValueError``
    naming the units when an answer does not fit the indicator.
    """
    if isinstance(raw, pd.Series):
        unit_codes = raw.index.to_numpy() if unit_codes is None else unit_codes
        raw = raw.to_numpy(dtype=object)
    raw = np.asarray(raw, dtype=object)
    units = np.asarray(unit_codes if unit_codes is not None else np.arange(len(raw)),
                       dtype=object)
    length = len(raw)
    missing = np.asarray(pd.isna(raw), dtype=bool)
    kind = value_kind(indicator)
    if kind in ("number", "boolean"):
        numbers = _numbers(raw)
        suspect = ~missing & np.isnan(numbers)
        if kind == "number":
            suspect |= ~missing & ~np.isfinite(numbers)
        if suspect.any():
            blank = np.zeros(length, dtype=bool)
            blank[suspect] = _blank_text(raw[suspect])
            missing |= blank
            suspect &= ~blank
        if kind == "number":
            if suspect.any():
                _bad(indicator, raw, units, suspect, "a finite number")
            numbers[missing] = np.nan
            values = numbers.astype(object)
            values[missing] = None
            return Column(values, numbers, missing)
        truth = np.where(np.isnan(numbers), np.nan, (numbers != 0).astype(float))
        if suspect.any():  # words: yes / no, có / không, ...
            words = pd.Series(raw[suspect], dtype=object).astype(str).str.strip()
            words = words.str.normalize("NFC").str.casefold()
            yes = words.isin(TRUE_WORDS).to_numpy()
            no = words.isin(FALSE_WORDS).to_numpy()
            if not (yes | no).all():
                bad = np.zeros(length, dtype=bool)
                bad[np.flatnonzero(suspect)[~(yes | no)]] = True
                _bad(indicator, raw, units, bad, "yes or no")
            truth[suspect] = yes.astype(float)
        truth[missing] = np.nan
        values = np.full(length, None, dtype=object)
        values[~missing] = truth[~missing] == 1.0
        return Column(values, truth, missing)
    # choice and text: stripped strings (a number such as 2.0 reads as the option "2");
    # formulas see the numbers that the text spells
    present = pd.Series(raw[~missing], dtype=object)
    is_text = _string_mask(present)
    text = np.empty(len(present), dtype=object)
    if is_text.any():
        text[is_text] = present[is_text].str.strip().to_numpy(dtype=object)
    if (~is_text).any():
        others = present[~is_text]
        numeric = _numbers(others.to_numpy(dtype=object))
        whole = np.isfinite(numeric) & (numeric == np.round(numeric))
        shown = others.astype(str).str.strip().to_numpy(dtype=object)
        if whole.any():
            shown[whole] = numeric[whole].astype(np.int64).astype(str).astype(object)
        text[~is_text] = shown
    blank = text == ""
    values = np.full(length, None, dtype=object)
    where = np.flatnonzero(~missing)
    missing[where[blank]] = True
    values[where[~blank]] = text[~blank]
    numbers = _numbers(values)
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
