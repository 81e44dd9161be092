"""``compute``: from a framework, the assessed units and their answers to a ranking snapshot.

Each cohort is computed on its own (relative rules, rescaling and the tree's maxima are
per cohort). Within a cohort everything is vectorised over units; the only loops are over
cohorts, groups and indicators.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .ranking import band_labels, rank_array, round_half_away
from .rules import Column, fraction, read_column, value_kind
from .spec import TOTAL_NODE, FrameworkError, FrameworkSpec
from .tree import CohortTree, Tree
from .validate import validate_framework

ENGINE_VERSION = "1"
#: Derived values are rounded to this many decimals, so that 57 / 100 * 100 is 57 and not
#: 56.99999999999999 (which would miss a band threshold of 57).
DERIVED_DECIMALS = 10

UNIT_COLUMNS = ["unit_code", "cohort", "score", "score_exact", "max_score", "rank",
                "previous_rank", "rank_change", "band"]
GROUP_COLUMNS = ["unit_code", "cohort", "group_code", "parent", "depth", "fraction",
                 "score_exact", "score", "max_score", "rank", "previous_rank", "rank_change"]
INDICATOR_COLUMNS = ["unit_code", "cohort", "indicator_code", "group_code", "value", "fraction",
                     "points", "max_points"]


@dataclass
class EngineResult:
    """The snapshot: per unit, per unit × group and per unit × indicator, plus the digest."""

    units: pd.DataFrame
    groups: pd.DataFrame
    indicators: pd.DataFrame
    digest: str


# --- inputs -------------------------------------------------------------------------------

@dataclass
class _Inputs:
    unit_codes: np.ndarray            # sorted
    cohorts: np.ndarray               # aligned with unit_codes
    columns: dict[str, Column]        # every indicator (derived included), aligned


def _require(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} lacks column(s) {', '.join(absent)}")


def _codes(series: pd.Series, what: str) -> pd.Series:
    if series.isna().any():
        raise ValueError(f"{what} is empty on some rows")
    return series.astype(str)


def _prepare(tree: Tree, units: pd.DataFrame, values: pd.DataFrame) -> _Inputs:
    _require(units, "units", ["unit_code", "cohort"])
    _require(values, "values", ["unit_code", "indicator_code", "value"])
    table = pd.DataFrame({"unit_code": _codes(units["unit_code"], "units.unit_code"),
                          "cohort": _codes(units["cohort"], "units.cohort")})
    twice = table["unit_code"][table["unit_code"].duplicated()]
    if len(twice):
        raise ValueError(f"units lists unit(s) twice: {sorted(set(twice))[:10]}")
    table = table.sort_values("unit_code", kind="mergesort").reset_index(drop=True)
    unit_codes = table["unit_code"].to_numpy(dtype=object)
    cohorts = table["cohort"].to_numpy(dtype=object)

    answers = pd.DataFrame({
        "unit_code": _codes(values["unit_code"], "values.unit_code"),
        "indicator_code": _codes(values["indicator_code"], "values.indicator_code"),
    })
    unknown = sorted(set(answers["indicator_code"].unique()) - set(tree.indicators))
    if unknown:
        raise ValueError(f"values name unknown indicator code(s): {', '.join(unknown[:20])}")
    # one matrix of raw answers, units (sorted) x answered indicators (sorted codes)
    answered = sorted(code for code in tree.indicators if code not in tree.formulas)
    unit_at = pd.Index(unit_codes).get_indexer(answers["unit_code"])
    indicator_at = pd.Index(answered).get_indexer(answers["indicator_code"])
    keep = (unit_at >= 0) & (indicator_at >= 0)  # units not assessed, derived: ignored
    unit_at, indicator_at = unit_at[keep], indicator_at[keep]
    cell = unit_at.astype(np.int64) * max(len(answered), 1) + indicator_at
    twice = pd.Series(cell).duplicated().to_numpy()
    if twice.any():
        pairs = sorted({(unit_codes[u], answered[i])
                        for u, i in zip(unit_at[twice], indicator_at[twice], strict=True)})
        raise ValueError(f"values give an answer twice for (unit, indicator): {pairs[:10]}")
    raw = np.full((len(unit_codes), len(answered)), None, dtype=object)
    raw[unit_at, indicator_at] = values["value"].to_numpy(dtype=object)[keep]

    columns: dict[str, Column] = {}
    for j, code in enumerate(answered):
        indicator = tree.indicators[code]
        column = raw[:, j]
        if indicator.applies_to:  # answers where the indicator does not exist are ignored
            column = np.where(np.isin(cohorts, list(indicator.applies_to)), column, None)
        columns[code] = read_column(indicator, column, unit_codes)
    numbers = {code: column.numbers for code, column in columns.items()}
    for code in tree.derived_order:
        result = tree.formulas[code].evaluate_arrays(numbers, len(unit_codes))
        result = np.round(result, DERIVED_DECIMALS) + 0.0
        missing = np.isnan(result)
        shown = result.astype(object)
        shown[missing] = None
        columns[code] = Column(shown, result, missing)
        numbers[code] = result
    return _Inputs(unit_codes, cohorts, columns)


# --- digest -------------------------------------------------------------------------------

def _canonical_framework(spec: FrameworkSpec) -> dict:
    data = asdict(spec)
    data["scale"] = float(spec.scale)
    data["decimals"] = int(spec.decimals)
    data["groups"] = sorted(
        ({**g, "weight": float(g["weight"]),
          "max_points": None if g["max_points"] is None else float(g["max_points"])}
         for g in data["groups"]), key=lambda g: g["code"])
    indicators = []
    for item in data["indicators"]:
        item = dict(item)
        item["params"] = sorted([str(k), str(v)] for k, v in dict(item["params"]).items())
        item["applies_to"] = sorted(set(item["applies_to"]))
        for key in ("max_points", "weight"):
            item[key] = float(item[key])
        for key in ("min", "max"):
            item[key] = None if item[key] is None else float(item[key])
        indicators.append(item)
    data["indicators"] = sorted(indicators, key=lambda i: i["code"])
    data["bands"] = sorted(({"label": b["label"], "min_score": float(b["min_score"])}
                            for b in data["bands"]), key=lambda b: (b["min_score"], b["label"]))
    return data


def _digest(spec: FrameworkSpec, tree: Tree, inputs: _Inputs) -> str:
    """SHA-256 of the canonical inputs: framework and units as JSON, answers column by
    column (sorted codes; numbers and yes/no as little-endian float64 with a missing mask,
    choices and text as JSON)."""
    digest = hashlib.sha256()

    def feed(obj) -> None:
        text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False, default=str)
        digest.update(len(text.encode("utf-8")).to_bytes(8, "little"))
        digest.update(text.encode("utf-8"))

    feed({"engine": ENGINE_VERSION, "framework": _canonical_framework(spec)})
    feed([inputs.unit_codes.tolist(), inputs.cohorts.tolist()])
    for code in sorted(inputs.columns):
        if code in tree.formulas:
            continue
        column = inputs.columns[code]
        kind = value_kind(tree.indicators[code])
        feed([code, kind])
        digest.update(column.missing.astype(np.uint8).tobytes())
        if kind in ("number", "boolean"):
            numbers = np.where(column.missing, 0.0, column.numbers) + 0.0
            digest.update(numbers.astype("<f8").tobytes())
        else:
            feed(column.values[~column.missing].tolist())
    return digest.hexdigest()


def _checked(framework: FrameworkSpec) -> Tree:
    issues = validate_framework(framework)
    if issues:
        raise FrameworkError(issues)
    return Tree(framework)


def inputs_digest(framework: FrameworkSpec, units: pd.DataFrame, values: pd.DataFrame) -> str:
    """SHA-256 (hex) of the framework and the inputs in a canonical form.

    Independent of the order of rows and columns; missing answers count as absent rows;
    answers that cannot affect the result (units not listed, derived indicators,
    indicators that do not apply to the unit's cohort) are left out.
    """
    tree = _checked(framework)
    return _digest(framework, tree, _prepare(tree, units, values))


# --- aggregation --------------------------------------------------------------------------

def _aggregate(how: str, fractions: list[np.ndarray], maxima: list[float],
               weights: list[float], maximum: float, skip: bool, length: int) -> np.ndarray:
    """A group's fraction from its children's (NaN = missing child).

    ``skip``: missing children are left out (weights renormalised; all missing -> NaN);
    otherwise NaN propagates (``zero`` has no NaN left, ``unranked`` wants it).
    """
    if not fractions:
        return np.full(length, np.nan)
    anything = np.zeros(length, dtype=bool)
    with np.errstate(all="ignore"):
        if how == "sum":
            total = np.zeros(length)
            for f, m in zip(fractions, maxima, strict=True):
                if skip:
                    present = ~np.isnan(f)
                    anything |= present
                    total = total + np.where(present, f * m, 0.0)
                else:
                    total = total + f * m
            result = np.minimum(total, maximum) / maximum
        else:
            weight_sum = np.zeros(length)
            for f, w in zip(fractions, weights, strict=True):
                if skip:
                    present = ~np.isnan(f)
                    anything |= present
                    weight_sum = weight_sum + np.where(present, w, 0.0)
                else:
                    weight_sum = weight_sum + w
            if how == "weighted_mean":
                total = np.zeros(length)
                for f, w in zip(fractions, weights, strict=True):
                    term = w * f
                    total = total + (np.where(np.isnan(f), 0.0, term) if skip else term)
                result = total / weight_sum
            else:  # geometric_mean
                result = np.ones(length)
                for f, w in zip(fractions, weights, strict=True):
                    term = np.power(f, w / weight_sum)
                    result = result * (np.where(np.isnan(f), 1.0, term) if skip else term)
    if skip:
        result = np.where(anything, result, np.nan)
    return result


def _minmax(values: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    result = np.full(len(values), np.nan)
    if present.any():
        low, high = values[present].min(), values[present].max()
        result[present] = 1.0 if high == low else (values[present] - low) / (high - low)
    return result


@dataclass
class _CohortResult:
    tree: CohortTree
    codes: np.ndarray
    total: np.ndarray                 # root fraction
    group_fractions: dict[str, np.ndarray]
    indicator_fractions: dict[str, np.ndarray]


def _compute_cohort(spec: FrameworkSpec, ctree: CohortTree, inputs: _Inputs,
                    rows: np.ndarray) -> _CohortResult:
    codes = inputs.unit_codes[rows]
    length = len(rows)
    skip = spec.missing == "skip"
    fractions: dict[str, np.ndarray] = {}
    shown: dict[str, np.ndarray] = {}
    for indicator in ctree.indicators:
        column = inputs.columns[indicator.code]
        part = Column(column.values[rows], column.numbers[rows], column.missing[rows])
        f = fraction(indicator, part, codes)
        if indicator.scored and spec.missing == "zero":
            f = np.where(np.isnan(f), 0.0, f)
        shown[indicator.code] = f
        if indicator.scored:
            fractions[indicator.code] = f
    tree = ctree
    groups = {g.code: g for g in tree.groups}
    spec_indicators = {i.code: i for i in tree.indicators}
    group_fractions: dict[str, np.ndarray] = {}
    for group in reversed(tree.groups):  # children before parents
        kids = tree.children[group.code]
        f = _aggregate(
            group.aggregation,
            [fractions[code] for _, code in kids],
            [tree.maxima[code] for _, code in kids],
            [float((groups[code] if kind == "group" else spec_indicators[code]).weight)
             for kind, code in kids],
            tree.maxima[group.code], skip, length)
        if group.rescale == "minmax":
            f = _minmax(f)
        fractions[group.code] = f
        group_fractions[group.code] = f
    kids = tree.children[""]
    total = _aggregate(spec.aggregation, [fractions[code] for _, code in kids],
                       [tree.maxima[code] for _, code in kids],
                       [float(groups[code].weight) for _, code in kids],
                       tree.maxima[""], skip, length)
    return _CohortResult(tree, codes, total, group_fractions, shown)


# --- assembly -----------------------------------------------------------------------------

def _int_array(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.asarray(values, dtype="int64"), np.asarray(mask, bool))


def _ranks(scores: np.ndarray, ties: str) -> tuple[np.ndarray, np.ndarray]:
    ranks = rank_array(scores, ties)
    return ranks.to_numpy(dtype="int64", na_value=0), np.asarray(ranks.isna())


def _previous(frame: pd.DataFrame, previous: pd.DataFrame | None, node_column: str | None
              ) -> pd.DataFrame:
    """Add ``previous_rank`` and ``rank_change`` (Int64) to ``frame``."""
    if previous is None or previous.empty or frame.empty:
        prior = pd.array([pd.NA] * len(frame), dtype="Int64")
    else:
        keys = ["unit_code", "node"]
        left = pd.DataFrame({"unit_code": frame["unit_code"].to_numpy(dtype=object),
                             "node": (frame[node_column].to_numpy(dtype=object) if node_column
                                      else np.full(len(frame), TOTAL_NODE, dtype=object))})
        prior = left.merge(previous, on=keys, how="left", validate="many_to_one")["rank"]
        prior = prior.astype("Int64")
    frame["previous_rank"] = pd.array(prior, dtype="Int64")
    frame["rank_change"] = frame["previous_rank"] - frame["rank"]
    return frame


def _clean_previous(previous: pd.DataFrame | None) -> pd.DataFrame | None:
    if previous is None:
        return None
    _require(previous, "previous", ["unit_code", "node", "rank"])
    table = pd.DataFrame({"unit_code": previous["unit_code"].astype(str),
                          "node": previous["node"].astype(str),
                          "rank": pd.to_numeric(previous["rank"], errors="coerce")})
    table = table[table["rank"].notna() & previous["unit_code"].notna().to_numpy()]
    if (table["rank"] % 1 != 0).any():
        raise ValueError("previous ranks must be whole numbers")
    twice = table[table.duplicated(["unit_code", "node"])]
    if len(twice):
        raise ValueError("previous gives a rank twice for (unit, node): "
                         f"{list(zip(twice['unit_code'], twice['node'], strict=True))[:10]}")
    table["rank"] = table["rank"].astype("int64")
    return table


def _empty(columns: list[str], ints: tuple[str, ...], floats: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    for c in ints:
        frame[c] = pd.Series([], dtype="Int64")
    for c in floats:
        frame[c] = pd.Series([], dtype=float)
    return frame


def compute(framework: FrameworkSpec, units: pd.DataFrame, values: pd.DataFrame,
            previous: pd.DataFrame | None = None) -> EngineResult:
    """Score and rank ``units`` (columns ``unit_code``, ``cohort``) on ``framework``.

    ``values`` is long (``unit_code``, ``indicator_code``, ``value``); ``previous`` is
    long (``unit_code``, ``node``, ``rank``) with ``node`` a group code or ``__total__``.
    Raises :class:`FrameworkError` for an invalid framework and ``ValueError`` for inputs
    that do not fit it.
    """
    tree = _checked(framework)
    inputs = _prepare(tree, units, values)
    prior = _clean_previous(previous)
    decimals = int(framework.decimals)
    exact = framework.rank_on == "exact"
    scale = float(framework.scale)

    unit_parts, group_parts, indicator_parts = [], [], []
    for cohort in sorted(set(inputs.cohorts.tolist())):
        rows = np.flatnonzero(inputs.cohorts == cohort)
        ctree = tree.for_cohort(cohort)
        result = _compute_cohort(framework, ctree, inputs, rows)
        n = len(rows)
        codes = result.codes

        score_exact = result.total * scale
        score = round_half_away(score_exact, decimals)
        rank, rank_na = _ranks(score_exact if exact else score, framework.ties)
        unit_parts.append(pd.DataFrame({
            "unit_code": codes, "cohort": np.full(n, cohort, dtype=object),
            "score": score, "score_exact": score_exact, "max_score": np.full(n, scale),
            "rank": _int_array(rank, rank_na),
            "band": band_labels(score, framework.bands),
        }))

        groups = ctree.groups
        if groups:
            g = len(groups)
            frac = np.column_stack([result.group_fractions[x.code] for x in groups])
            maxima = np.array([ctree.maxima[x.code] for x in groups])
            exact_scores = frac * maxima
            rounded = round_half_away(exact_scores, decimals)
            ranked = [_ranks((exact_scores if exact else rounded)[:, j], framework.ties)
                      for j in range(g)]
            group_parts.append(pd.DataFrame({
                "unit_code": np.repeat(codes, g),
                "cohort": np.full(n * g, cohort, dtype=object),
                "group_code": np.tile(np.array([x.code for x in groups], dtype=object), n),
                "parent": np.tile(np.array([x.parent or "" for x in groups], dtype=object), n),
                "depth": np.tile(np.array([tree.depth[x.code] for x in groups], dtype="int64"),
                                 n),
                "fraction": frac.ravel(), "score_exact": exact_scores.ravel(),
                "score": rounded.ravel(), "max_score": np.tile(maxima, n),
                "rank": _int_array(np.column_stack([r for r, _ in ranked]).ravel(),
                                   np.column_stack([m for _, m in ranked]).ravel()),
            }))

        indicators = ctree.indicators
        if indicators:
            k = len(indicators)
            values_matrix = np.column_stack(
                [inputs.columns[i.code].values[rows] for i in indicators]).astype(object)
            frac = np.column_stack([result.indicator_fractions[i.code] for i in indicators])
            max_points = np.array([float(i.max_points) if i.scored else np.nan
                                   for i in indicators])
            indicator_parts.append(pd.DataFrame({
                "unit_code": np.repeat(codes, k),
                "cohort": np.full(n * k, cohort, dtype=object),
                "indicator_code": np.tile(np.array([i.code for i in indicators], dtype=object),
                                          n),
                "group_code": np.tile(np.array([i.group for i in indicators], dtype=object), n),
                "value": values_matrix.ravel(),
                "fraction": frac.ravel(),
                "points": np.round(frac * max_points, DERIVED_DECIMALS).ravel() + 0.0,
                "max_points": np.tile(max_points, n),
            }))

    if unit_parts:
        units_out = pd.concat(unit_parts, ignore_index=True)
    else:
        units_out = _empty(UNIT_COLUMNS, ("rank",), ("score", "score_exact", "max_score"))
    units_out = _previous(units_out, prior, None)[UNIT_COLUMNS]
    if group_parts:
        groups_out = pd.concat(group_parts, ignore_index=True)
    else:
        groups_out = _empty(GROUP_COLUMNS, ("rank",),
                            ("fraction", "score_exact", "score", "max_score"))
        groups_out["depth"] = groups_out["depth"].astype("int64")
    groups_out = _previous(groups_out, prior, "group_code")[GROUP_COLUMNS]
    if indicator_parts:
        indicators_out = pd.concat(indicator_parts, ignore_index=True)[INDICATOR_COLUMNS]
    else:
        indicators_out = _empty(INDICATOR_COLUMNS, (), ("fraction", "points", "max_points"))
    return EngineResult(units_out, groups_out, indicators_out,
                        _digest(framework, tree, inputs))
