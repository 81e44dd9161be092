"""The units workbook: sheet ``cohorts`` (optional: code, name) and sheet ``units``
(code, name, cohort, optional parent and active). A CSV file is the ``units`` sheet."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .errors import Problems
from .reader import INVALID, Row, Workbook, read_table
from .values import parse_bool, parse_text

COHORTS_SHEET, UNITS_SHEET = "cohorts", "units"
CODE = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class CohortRow:
    code: str
    name: str
    row: Row


@dataclass
class UnitRow:
    code: str
    name: str
    cohort: str
    parent: str
    active: bool
    row: Row


def _code(row: Row, column: str, what: str, *, code: str = "", required: bool = True) -> str:
    """A cohort or unit code in ``column``: letters, digits, '-' and '_', up to 40."""
    value = row.value(column, parse_text, code=code, default="")
    if value is INVALID:
        return ""
    if not value:
        if required:
            row.error(column, code, _("thiếu mã %(what)s.") % {"what": what})
        return ""
    if len(value) > 40 or not CODE.match(value):
        row.error(column, code or value, _(
            "mã %(what)s '%(code)s' chỉ được gồm chữ cái, chữ số, '-' và '_' (tối đa 40 ký tự).")
            % {"what": what, "code": value})
        return ""
    return value


def _name(row: Row, code: str, max_length: int) -> str:
    name = row.value("name", parse_text, code=code, default="", max_length=max_length)
    if name == "":
        row.error("name", code, _("thiếu tên."))
    return name if name is not INVALID else ""


def read_units(book: Workbook, problems: Problems) -> tuple[list[CohortRow], list[UnitRow]]:
    """The cohorts and units of ``book``, checked one row at a time (codes, names, booleans,
    duplicates); references between rows and to the database are the service's to check."""
    cohorts: list[CohortRow] = []
    sheet = None if book.is_csv else book.sheet(COHORTS_SHEET, required=False)
    if sheet is not None:
        table = read_table(sheet, problems, required=["code", "name"])
        seen: dict[str, int] = {}
        for row in table.rows() if table else ():
            code = _code(row, "code", _("nhóm đơn vị"))
            name = _name(row, code, 200)
            if not code:
                continue
            if code in seen:
                row.error("code", code, _("mã '%(code)s' đã có ở dòng %(row)d.")
                          % {"code": code, "row": seen[code]})
                continue
            seen[code] = row.number
            cohorts.append(CohortRow(code, name, row))

    units: list[UnitRow] = []
    sheet = book.sheet(UNITS_SHEET, problems=problems)
    table = sheet and read_table(sheet, problems, required=["code", "name", "cohort"],
                                 optional=["parent", "active"])
    seen = {}
    for row in table.rows() if table else ():
        code = _code(row, "code", _("đơn vị"))
        name = _name(row, code, 255)
        cohort = _code(row, "cohort", _("nhóm đơn vị"), code=code)
        parent = _code(row, "parent", _("đơn vị cấp trên"), code=code, required=False)
        active = row.value("active", parse_bool, code=code, default=True)
        if not code:
            continue
        if code in seen:
            row.error("code", code, _("mã '%(code)s' đã có ở dòng %(row)d.")
                      % {"code": code, "row": seen[code]})
            continue
        seen[code] = row.number
        if parent == code:
            row.error("parent", code, _("đơn vị không thể là cấp trên của chính nó."))
        units.append(UnitRow(code, name, cohort, parent, active is not False, row))
    return cohorts, units
