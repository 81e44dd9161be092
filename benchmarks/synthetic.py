"""Deterministic synthetic data: one framework, units and their answers (no Django).

The framework ``BENCH`` has 4 top-level groups of 25 answered indicators each (100 answered
columns) plus one derived indicator, 101 indicators in all:

- every group cycles through the rules ``boolean``, ``bands``, ``ratio``, ``goalpost``,
  ``minmax``, ``choice`` and ``direct`` (yes/no, percent, number, integer and choice
  answers; some ``goalpost`` and ``minmax`` indicators are ``inverse``);
- group ``HT`` also holds two reference figures (rule ``none``: computers and staff) and the
  derived ``ht_mt_cb = ht_may_tinh / ht_can_bo * 100`` scored as a ``ratio``;
- groups ``HT``, ``UD`` and ``AT`` add their points (``sum``), ``NL`` is a weighted mean
  with 25 points; the total is the groups' weighted mean (0.3, 0.3, 0.2, 0.2) on a scale
  of 100, with four bands.

Answers follow a hidden "maturity" per unit so that scores spread out (few ties), with
about 2 % of cells left empty. Everything comes from ``numpy.random.default_rng(seed)``:
the same arguments give the same data, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rankings.engine import Band, FrameworkSpec, GroupSpec, IndicatorSpec

FRAMEWORK_CODE = "BENCH"
GROUPS = (  # code, name, aggregation, weight in the total
    ("HT", "Hạ tầng kỹ thuật công nghệ thông tin", "sum", 0.3),
    ("UD", "Ứng dụng công nghệ thông tin trong nội bộ", "sum", 0.3),
    ("NL", "Nhân lực công nghệ thông tin", "weighted_mean", 0.2),
    ("AT", "An toàn thông tin mạng", "sum", 0.2),
)
PER_GROUP = 25
KINDS = ("boolean", "bands", "ratio", "goalpost", "minmax", "choice", "direct")
EMPTY_SHARE = 0.02
SYLLABLES = ("An", "Bình", "Châu", "Đông", "Đức", "Giang", "Hà", "Hải", "Hòa", "Hưng", "Khánh",
             "Lâm", "Long", "Minh", "Mỹ", "Nam", "Ninh", "Phú", "Phước", "Quảng", "Sơn", "Tân",
             "Thạnh", "Thanh", "Thuận", "Tiên", "Trung", "Vĩnh", "Xuân", "Yên")


# --- the framework ------------------------------------------------------------------------

def _indicator(group: str, number: int, kind: str, order: int) -> IndicatorSpec:
    code = f"{group.lower()}_{number:02d}"
    name = f"Tiêu chí {group}.{number:02d}"
    points = float(1 + number % 3)  # 1, 2 or 3 points
    if kind == "boolean":
        return IndicatorSpec(code, group, name, "boolean", rule="boolean", max_points=points,
                             order=order)
    if kind == "bands":
        params = {"0": "0", "25": str(points / 4), "50": str(points / 2),
                  "75": str(points * 3 / 4), "95": str(points)}
        return IndicatorSpec(code, group, name, "percent", "%", "bands", params, points,
                             order=order, min=0, max=100)
    if kind == "ratio":
        return IndicatorSpec(code, group, name, "number", rule="ratio",
                             params={"target": "100"}, max_points=points, order=order, min=0)
    if kind == "goalpost":
        return IndicatorSpec(code, group, name, "percent", "%", "goalpost",
                             {"lo": "10", "hi": "90"}, points, inverse=number % 4 == 0,
                             order=order, min=0, max=100)
    if kind == "minmax":
        return IndicatorSpec(code, group, name, "integer", rule="minmax", max_points=points,
                             inverse=number % 5 == 0, order=order, min=0)
    if kind == "choice":
        params = {"A": str(points), "B": str(points / 2), "C": "0"}
        return IndicatorSpec(code, group, name, "choice", rule="choice", params=params,
                             max_points=points, order=order)
    if kind == "direct":
        return IndicatorSpec(code, group, name, "number", rule="direct", max_points=points,
                             order=order, min=0, max=points)
    raise ValueError(kind)


def framework() -> FrameworkSpec:
    """The benchmark framework (valid: ``validate_framework`` returns ``[]``)."""
    groups, indicators = [], []
    for position, (code, name, aggregation, weight) in enumerate(GROUPS, start=1):
        groups.append(GroupSpec(code, name, aggregation=aggregation, weight=weight,
                                order=position,
                                max_points=25.0 if aggregation != "sum" else None))
        scored = PER_GROUP - 2 if code == "HT" else PER_GROUP
        for number in range(1, scored + 1):
            indicators.append(_indicator(code, number, KINDS[(number - 1) % len(KINDS)],
                                         number))
        if code == "HT":
            indicators += [
                IndicatorSpec("ht_may_tinh", "HT", "Số máy tính đang dùng", "integer", "máy",
                              "none", min=0, order=90),
                IndicatorSpec("ht_can_bo", "HT", "Số cán bộ, công chức", "integer", "người",
                              "none", min=1, order=91),
                IndicatorSpec("ht_mt_cb", "HT", "Máy tính trên 100 cán bộ", "number", rule="ratio",
                              params={"target": "100"}, max_points=3, required=False,
                              formula="ht_may_tinh / ht_can_bo * 100", order=92),
            ]
    bands = (Band("Tốt", 80), Band("Khá", 65), Band("Trung bình", 50), Band("Yếu", 0))
    return FrameworkSpec(FRAMEWORK_CODE, "Bộ chỉ số đo kiểm hiệu năng", scale=100,
                         aggregation="weighted_mean", decimals=2, groups=tuple(groups),
                         indicators=tuple(indicators), bands=bands)


def answered_indicators(spec: FrameworkSpec) -> list[IndicatorSpec]:
    """The indicators a return answers (every one but the derived), in framework order."""
    return [i for i in spec.indicators if not i.derived]


# --- units --------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitSet:
    cohort: str
    cohort_name: str
    codes: list[str]
    names: list[str]


def units(cohort: str, cohort_name: str, prefix: str, count: int, *, seed: int) -> UnitSet:
    """``count`` units of one cohort: codes ``<prefix>0001``…, Vietnamese-looking names."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(SYLLABLES), size=(count, 2))
    width = max(4, len(str(count)))
    codes = [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]
    names = [f"{cohort_name} {SYLLABLES[a]} {SYLLABLES[b]} {i}"
             for i, (a, b) in enumerate(picks.tolist(), start=1)]
    return UnitSet(cohort, cohort_name, codes, names)


# --- answers ------------------------------------------------------------------------------

def answers(spec: FrameworkSpec, unit_codes: list[str], *, seed: int) -> pd.DataFrame:
    """Wide answers: one row per unit (index ``unit_code``), one column per answered
    indicator, typed as the engine reads them (float, bool, option code; ``None`` empty)."""
    rng = np.random.default_rng(seed)
    n = len(unit_codes)
    maturity = rng.beta(2.5, 2.0, size=n)
    columns: dict[str, np.ndarray] = {}
    for indicator in answered_indicators(spec):
        noise = rng.normal(0.0, 0.15, size=n)
        level = np.clip(maturity + noise, 0.0, 1.0)
        if indicator.code == "ht_may_tinh":
            column = np.round(20 + level * 400).astype(object)
        elif indicator.code == "ht_can_bo":
            column = np.round(30 + rng.random(n) * 300).astype(object)
        elif indicator.value_type == "boolean":
            column = (rng.random(n) < level).astype(object)
        elif indicator.value_type == "choice":
            column = np.where(level > 0.66, "A", np.where(level > 0.33, "B", "C")).astype(object)
        elif indicator.value_type == "percent":
            column = np.round(level * 100, 1).astype(object)
        elif indicator.rule == "ratio":
            column = np.round(level * 130, 2).astype(object)
        elif indicator.rule == "minmax":
            column = np.round(level * 500).astype(object)
        else:  # direct
            column = np.round(level * indicator.max_points, 2).astype(object)
        column = np.array([_plain(v) for v in column], dtype=object)
        column[rng.random(n) < EMPTY_SHARE] = None
        columns[indicator.code] = column
    frame = pd.DataFrame(columns, index=pd.Index(unit_codes, name="unit_code"), dtype=object)
    return frame


def _plain(value):
    """numpy scalars as Python ones (bool, float or str)."""
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, str):
        return value
    return float(value)


def change_some(spec: FrameworkSpec, wide: pd.DataFrame, share: float, *, seed: int
                ) -> tuple[pd.DataFrame, int]:
    """A copy of ``wide`` with ``share`` of its cells given another valid answer: (copy,
    number of cells changed). Empty cells that are picked get an answer."""
    rng = np.random.default_rng(seed)
    changed = wide.copy()
    rows, cols = changed.shape
    count = max(1, round(rows * cols * share))
    cells = rng.choice(rows * cols, size=count, replace=False)
    kinds = {i.code: i for i in answered_indicators(spec)}
    for cell in cells.tolist():
        row, col = divmod(cell, cols)
        code = changed.columns[col]
        indicator = kinds[code]
        old = changed.iat[row, col]
        if indicator.value_type == "boolean":
            new = not old if old is not None else True
        elif indicator.value_type == "choice":
            new = {"A": "B", "B": "C", "C": "A"}.get(old, "A")
        elif indicator.code == "ht_can_bo":
            new = float((old or 30) + 1)
        elif indicator.value_type == "percent":
            new = 50.0 if old is None else float(round(100 - old, 1))
        elif indicator.rule == "direct":
            new = round(indicator.max_points / 3, 2) if old != round(
                indicator.max_points / 3, 2) else 0.0
        else:
            new = float((old or 0) + 1)
        changed.iat[row, col] = new
    return changed, count


def long_values(wide: pd.DataFrame) -> pd.DataFrame:
    """The engine's ``values`` frame (long) from wide answers, empty cells left out."""
    stacked = wide.stack(future_stack=True)
    stacked = stacked[stacked.notna()]
    return pd.DataFrame({
        "unit_code": stacked.index.get_level_values(0).to_numpy(dtype=object),
        "indicator_code": stacked.index.get_level_values(1).to_numpy(dtype=object),
        "value": stacked.to_numpy(dtype=object),
    })


def engine_inputs(count: int, *, seed: int = 2025) -> tuple[FrameworkSpec, pd.DataFrame,
                                                             pd.DataFrame]:
    """``(framework, units, values)`` for :func:`rankings.engine.compute`: ``count`` units
    of one cohort, 100 answers each (about 2 % empty)."""
    spec = framework()
    unit_set = units("xa", "Xã", "U", count, seed=seed)
    wide = answers(spec, unit_set.codes, seed=seed + 1)
    frame = pd.DataFrame({"unit_code": unit_set.codes, "cohort": unit_set.cohort}, dtype=object)
    return spec, frame, long_values(wide)


# --- workbooks ----------------------------------------------------------------------------

BOOLEAN_WORDS = {True: "có", False: "không"}


def write_returns(path: Path, spec: FrameworkSpec, unit_set: UnitSet, wide: pd.DataFrame) -> Path:
    """A wide returns workbook (``unit_code``, ``unit_name``, one column per answered
    indicator; yes/no written as có/không), with openpyxl's write-only mode."""
    from openpyxl import Workbook

    codes = [i.code for i in answered_indicators(spec)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("returns")
    sheet.append(["unit_code", "unit_name", *codes])
    names = dict(zip(unit_set.codes, unit_set.names, strict=True))
    for unit_code, row in zip(wide.index, wide[codes].itertuples(index=False, name=None),
                              strict=True):
        sheet.append([unit_code, names[unit_code],
                      *(BOOLEAN_WORDS[v] if isinstance(v, bool) else v for v in row)])
    book.save(path)
    return path


def write_units(path: Path, unit_sets: list[UnitSet]) -> Path:
    """A units workbook (sheets ``cohorts`` and ``units``)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    cohorts = book.create_sheet("cohorts")
    cohorts.append(["code", "name"])
    for unit_set in unit_sets:
        cohorts.append([unit_set.cohort, unit_set.cohort_name])
    sheet = book.create_sheet("units")
    sheet.append(["code", "name", "cohort"])
    for unit_set in unit_sets:
        for code, name in zip(unit_set.codes, unit_set.names, strict=True):
            sheet.append([code, name, unit_set.cohort])
    book.save(path)
    return path
