"""The returns workbook, in either layout, told apart by the first sheet's header row:

- wide: ``unit_code``, optional ``unit_name``, then one column per indicator code;
- long: ``unit_code``, ``indicator_code``, ``value``, optional ``explanation``.

:func:`read_returns` checks every cell against the period's indicators and units (given as
plain data, no ORM) and returns the parsed values; the service writes them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat

from django.utils.translation import gettext as _

from .errors import Problems, cell_name
from .reader import HEADER_SEARCH_ROWS, INVALID, Row, Sheet, Workbook, normalize_header, read_table
from .values import ValueProblem, is_empty, parse_answer, parse_text

WIDE, LONG = "wide", "long"
MAX_CELLS_LISTED = 5


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    code: str
    value_type: str
    options: Mapping[str, str] | None = None  # option codes of a choice indicator
    min: float | None = None
    max: float | None = None
    derived: bool = False
    applies_to: tuple[str, ...] = ()

    def applies(self, cohort: str) -> bool:
        return not self.applies_to or cohort in self.applies_to


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    cohort: str


@dataclass
class ParsedValue:
    unit: UnitInfo
    indicator: IndicatorInfo
    number: float | None
    text: str
    explanation: str | None  # None: the file says nothing about it (wide layout)


class ReturnValues:
    """The checked values of a file as columns (no object per cell): a million values take
    about 30 MB. ``numbers`` holds NaN for "no number" (a parsed number is always finite);
    ``explanations`` is ``None`` when the layout has no explanation column, else one entry
    per value (``None``: the row says nothing about it)."""

    def __init__(self, *, explanations: bool = False):
        self.unit_ids = array("q")
        self.indicator_ids = array("q")
        self.numbers = array("d")
        self.texts: list[str] = []
        self.explanations: list[str | None] | None = [] if explanations else None

    def __len__(self) -> int:
        return len(self.unit_ids)

    def append(self, unit_id: int, indicator_id: int, number: float | None, text: str,
               explanation: str | None = None) -> None:
        self.unit_ids.append(unit_id)
        self.indicator_ids.append(indicator_id)
        self.numbers.append(math.nan if number is None else number)
        self.texts.append(text)
        if self.explanations is not None:
            self.explanations.append(explanation)

    def rows(self) -> Iterator[tuple[int, int, float | None, str, str | None]]:
        """``(unit_id, indicator_id, number or None, text, explanation or None)``."""
        explanations = self.explanations
        for position, (unit_id, indicator_id, number, text) in enumerate(zip(
                self.unit_ids, self.indicator_ids, self.numbers, self.texts, strict=True)):
            yield (unit_id, indicator_id, None if number != number else number, text,
                   explanations[position] if explanations is not None else None)


@dataclass
class ParsedReturns:
    layout: str
    columns: ReturnValues = field(default_factory=ReturnValues)
    unit_rows: dict[str, Row] = field(default_factory=dict)  # unit code -> its first row
    sheet: str = ""
    units_by_id: dict[int, UnitInfo] = field(default_factory=dict)
    indicators_by_id: dict[int, IndicatorInfo] = field(default_factory=dict)

    @property
    def values(self) -> list[ParsedValue]:
        """The values as objects (for small files; big imports read ``columns``)."""
        return [ParsedValue(self.units_by_id[unit_id], self.indicators_by_id[indicator_id],
                            number, text, explanation)
                for unit_id, indicator_id, number, text, explanation in self.columns.rows()]

    def add(self, unit: UnitInfo, indicator: IndicatorInfo, number: float | None, text: str,
            explanation: str | None = None) -> None:
        self.units_by_id.setdefault(unit.id, unit)
        self.indicators_by_id.setdefault(indicator.id, indicator)
        self.columns.append(unit.id, indicator.id, number, text, explanation)


class _Lookup:
    """Codes matched exactly, else regardless of case when that is unambiguous."""

    def __init__(self, mapping: Mapping[str, object]):
        self.mapping = mapping
        folded: dict[str, list] = {}
        for code, item in mapping.items():
            folded.setdefault(code.casefold(), []).append(item)
        self.folded = {k: v[0] for k, v in folded.items() if len(v) == 1}

    def get(self, code: str):
        item = self.mapping.get(code)
        return item if item is not None else self.folded.get(code.casefold())


def detect_layout(sheet: Sheet) -> str | None:
    for values in sheet.rows[:HEADER_SEARCH_ROWS]:
        names = {normalize_header(v) for v in values}
        if "unit_code" in names:
            return LONG if {"indicator_code", "value"} <= names else WIDE
    return None


class _Reader:
    def __init__(self, problems: Problems, indicators: Mapping[str, IndicatorInfo],
                 units: Mapping[str, UnitInfo], cohorts: set[str]):
        self.problems = problems
        self.indicators = _Lookup(indicators)
        self.units = _Lookup(units)
        self.cohorts = cohorts
        self.ignored_derived: dict[str, list[str]] = {}

    def unit(self, row: Row, result: ParsedReturns) -> tuple[str, UnitInfo | None]:
        """The row's unit; its errors recorded (unknown, outside the period's cohorts)."""
        code = row.value("unit_code", parse_text, default="")
        if code is INVALID:
            return "", None
        if not code:
            row.error("unit_code", "", _("thiếu mã đơn vị (unit_code)."))
            return "", None
        unit = self.units.get(code)
        if unit is None:
            row.error("unit_code", code, _("mã đơn vị '%(code)s' không có trong hệ thống.")
                      % {"code": code})
            return code, None
        if unit.cohort not in self.cohorts:
            row.error("unit_code", unit.code, _(
                "đơn vị thuộc nhóm '%(cohort)s', không tham gia kỳ đánh giá này (các nhóm tham "
                "gia: %(cohorts)s).") % {"cohort": unit.cohort,
                                         "cohorts": ", ".join(sorted(self.cohorts))})
            return unit.code, None
        result.unit_rows.setdefault(unit.code, row)
        return unit.code, unit

    def value(self, sheet: Sheet, row_number: int, column: int, indicator: IndicatorInfo,
              unit: UnitInfo | None, code: str):
        """``(number, text)`` of one answer cell, or INVALID (error recorded) or None
        (ignored: a derived indicator)."""
        where = cell_name(row_number, column)
        try:
            raw = sheet.raw(row_number, column)
            if is_empty(raw):
                return None, ""
            if indicator.derived:
                self.ignored_derived.setdefault(indicator.code, []).append(where)
                return None
            if unit is not None and not indicator.applies(unit.cohort):
                self.problems.error(sheet.name, where, code, _(
                    "tiêu chí %(indicator)s không áp dụng cho nhóm đơn vị '%(cohort)s'; ô phải "
                    "để trống.") % {"indicator": indicator.code, "cohort": unit.cohort})
                return INVALID
            return parse_answer(raw, value_type=indicator.value_type,
                                options=indicator.options,
                                percent_format=sheet.is_percent(row_number, column),
                                minimum=indicator.min, maximum=indicator.max)
        except ValueProblem as problem:
            self.problems.error(sheet.name, where, code, _("tiêu chí %(indicator)s: %(message)s")
                                % {"indicator": indicator.code, "message": problem.message})
            return INVALID

    def warn_ignored(self, sheet: str) -> None:
        for code, cells in self.ignored_derived.items():
            listed = ", ".join(cells[:MAX_CELLS_LISTED]) + (", …" if len(cells) >
                                                            MAX_CELLS_LISTED else "")
            self.problems.warn(sheet, cells[0], code, _(
                "tiêu chí %(code)s được tính theo công thức; %(n)d giá trị trong tệp bị bỏ qua "
                "(%(cells)s).") % {"code": code, "n": len(cells), "cells": listed})


def read_returns(book: Workbook, problems: Problems, *, indicators: Mapping[str, IndicatorInfo],
                 units: Mapping[str, UnitInfo], cohorts: set[str]) -> ParsedReturns | None:
    """Every value of the first sheet, checked; ``None`` when the sheet has no usable header."""
    sheet = book.first_sheet()
    layout = detect_layout(sheet)
    if layout is None:
        problems.error(sheet.name, "", "", _(
            "không tìm thấy dòng tiêu đề có cột 'unit_code' trong %(n)d dòng đầu của sheet "
            "đầu tiên.") % {"n": HEADER_SEARCH_ROWS})
        return None
    reader = _Reader(problems, indicators, units, cohorts)
    result = ParsedReturns(layout=layout, sheet=sheet.name)
    if layout == WIDE:
        _read_wide(reader, sheet, result)
    else:
        _read_long(reader, sheet, result)
    reader.warn_ignored(sheet.name)
    return result


def _read_wide(reader: _Reader, sheet: Sheet, result: ParsedReturns) -> None:
    table = read_table(sheet, reader.problems, required=["unit_code"], optional=["unit_name"],
                       extra="keep")
    if table is None:
        return
    columns: list[tuple[int, IndicatorInfo]] = []
    seen: dict[str, str] = {}
    for header, index in table.extra.items():
        where = cell_name(table.header_number, index)
        if header.startswith("#"):
            continue
        indicator = reader.indicators.get(str(sheet.rows[table.header_number - 1][index]).strip())
        if indicator is None:
            reader.problems.error(sheet.name, where, header, _(
                "cột '%(code)s' không phải là mã tiêu chí của bộ tiêu chí này.")
                % {"code": header})
        elif indicator.code in seen:
            reader.problems.error(sheet.name, where, indicator.code, _(
                "tiêu chí %(code)s đã có ở cột %(cell)s.")
                % {"code": indicator.code, "cell": seen[indicator.code]})
        else:
            seen[indicator.code] = where
            columns.append((index, indicator))
    plans = _column_plans(columns, sheet)
    rows_of: dict[str, int] = {}
    for row in table.rows():
        code, unit = reader.unit(row, result)
        if code and code in rows_of:
            row.error("unit_code", code, _("đơn vị '%(code)s' đã có ở dòng %(row)d.")
                      % {"code": code, "row": rows_of[code]})
            unit = None  # its values are still checked, never kept
        elif code:
            rows_of[code] = row.number
        if unit is not None and "unit_name" in table.columns:
            name = row.value("unit_name", parse_text, code=code, default="")
            if name and name.casefold() != unit.name.strip().casefold():
                row.warn("unit_name", code, _(
                    "tên đơn vị trong tệp ('%(given)s') khác tên trong hệ thống ('%(name)s').")
                    % {"given": name, "name": unit.name})
        _read_wide_cells(reader, sheet, result, row, plans, unit, code)
    for unit_code in result.unit_rows:
        info = reader.units.get(unit_code)
        result.units_by_id[info.id] = info
    for _index, indicator in columns:
        result.indicators_by_id[indicator.id] = indicator


# Kinds of the fast path of wide cells (anything else takes the general path).
_NUMBER, _INTEGER, _PERCENT, _WORDS, _OTHER = range(5)
_EMPTY = (None, "")


@dataclass
class _ColumnPlan:
    """How the cells of one indicator column are read quickly.

    A number cell of a ``number``/``integer``/``percent`` column within the range is taken
    as it is; a text cell of a ``boolean``/``choice`` column seen before in the column is
    taken from ``memo``; an empty cell is empty. Everything else (text in a number column,
    a value out of range, a percent-formatted or unusable cell (``special`` rows), an
    indicator that may not apply to the unit's cohort, a derived indicator) goes through
    :meth:`_Reader.value`, which records the error with its sheet, cell and codes.
    """

    index: int
    indicator: IndicatorInfo
    kind: int
    low: float
    high: float
    special: frozenset[int]
    memo: dict = field(default_factory=dict)


def _column_plans(columns: list[tuple[int, IndicatorInfo]], sheet: Sheet) -> list[_ColumnPlan]:
    special: dict[int, set[int]] = {}
    for row_number, column in (*sheet.percent_cells, *sheet.bad_cells):
        special.setdefault(column, set()).add(row_number)
    plans = []
    for index, indicator in columns:
        kind = {"number": _NUMBER, "integer": _INTEGER, "percent": _PERCENT,
                "boolean": _WORDS, "choice": _WORDS}.get(indicator.value_type, _OTHER)
        if indicator.derived:
            kind = _OTHER
        low, high = indicator.min, indicator.max
        if kind == _PERCENT:
            low = 0.0 if low is None else low
            high = 100.0 if high is None else high
        plans.append(_ColumnPlan(index, indicator, kind,
                                 -math.inf if low is None else float(low),
                                 math.inf if high is None else float(high),
                                 frozenset(special.get(index, ()))))
    return plans


def _read_wide_cells(reader: _Reader, sheet: Sheet, result: ParsedReturns, row: Row,
                     plans: list[_ColumnPlan], unit: UnitInfo | None, code: str) -> None:
    """Check and keep the answer cells of one row (about half a microsecond a cell on the
    fast path; :meth:`_Reader.value` for the rest, with the same results and messages)."""
    values = row.values
    width = len(values)
    number = row.number
    cohort = unit.cohort if unit is not None else None
    columns = result.columns
    unit_id = unit.id if unit is not None else 0
    append_indicator = columns.indicator_ids.append
    append_number, append_text = columns.numbers.append, columns.texts.append
    nan = math.nan
    kept = len(columns.indicator_ids)
    for plan in plans:
        index = plan.index
        raw = values[index] if index < width else None
        kind = plan.kind
        parsed = None
        if (kind != _OTHER and not (plan.special and number in plan.special)
                and not (plan.indicator.applies_to and cohort is not None
                         and cohort not in plan.indicator.applies_to)):
            if raw is None or raw == "":
                parsed = _EMPTY
            elif kind == _WORDS:
                if raw.__class__ is str:
                    parsed = plan.memo.get(raw)
            elif raw.__class__ is float or raw.__class__ is int:
                if plan.low <= raw <= plan.high and raw - raw == 0 and (
                        kind != _INTEGER or float(raw).is_integer()):
                    parsed = (float(raw), "")
        if parsed is None:
            parsed = reader.value(sheet, number, index, plan.indicator, unit, code)
            if kind == _WORDS and raw.__class__ is str and parsed.__class__ is tuple:
                plan.memo[raw] = parsed  # the same text always reads the same in a column
            if parsed is None or parsed is INVALID:
                continue
        if unit_id:
            append_indicator(plan.indicator.id)
            append_number(nan if parsed[0] is None else parsed[0])
            append_text(parsed[1])
    if unit_id:
        columns.unit_ids.extend(repeat(unit_id, len(columns.indicator_ids) - kept))


def _read_long(reader: _Reader, sheet: Sheet, result: ParsedReturns) -> None:
    table = read_table(sheet, reader.problems, required=["unit_code", "indicator_code", "value"],
                       optional=["explanation", "unit_name"])
    if table is None:
        return
    value_column = table.columns["value"]
    has_explanation = "explanation" in table.columns
    result.columns = ReturnValues(explanations=has_explanation)
    rows_of: dict[tuple[str, str], int] = {}
    for row in table.rows():
        code, unit = reader.unit(row, result)
        indicator_code = row.value("indicator_code", parse_text, code=code, default="")
        indicator = None
        if indicator_code == "":
            row.error("indicator_code", code, _("thiếu mã tiêu chí (indicator_code)."))
        elif indicator_code is not INVALID:
            indicator = reader.indicators.get(indicator_code)
            if indicator is None:
                row.error("indicator_code", code, _(
                    "mã tiêu chí '%(code)s' không có trong bộ tiêu chí của kỳ đánh giá.")
                    % {"code": indicator_code})
        if indicator is None:
            continue
        key = (code, indicator.code)
        if code and key in rows_of:
            row.error("indicator_code", code, _(
                "đơn vị '%(unit)s', tiêu chí %(indicator)s đã có ở dòng %(row)d.")
                % {"unit": code, "indicator": indicator.code, "row": rows_of[key]})
            unit = None  # its value is still checked, never kept
        else:
            rows_of[key] = row.number
        parsed = reader.value(sheet, row.number, value_column, indicator, unit, code)
        explanation = None
        if has_explanation:
            explanation = row.value("explanation", parse_text, code=code, default="")
        if unit is None or parsed is None or parsed is INVALID or explanation is INVALID:
            continue
        result.add(unit, indicator, parsed[0], parsed[1], explanation)
