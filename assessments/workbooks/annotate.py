"""The errors of a refused returns file, located and written back for the person who fixes it.

- :func:`describe_errors`: each :class:`~.errors.CellError` as a row of the preview (sheet,
  cell, unit, indicator, reason), the unit and the indicator read from the file itself
  (the row's ``unit_code``; the column's header in the wide layout, the row's
  ``indicator_code`` in the long one);
- :func:`error_workbook`: a copy of the uploaded workbook (a CSV file becomes a sheet) with
  every bad cell filled red and a comment giving the reason, plus a last sheet ``loi``
  listing every error (the first sheet stays first: the fixed copy can be uploaded again).
  A file that could not be opened safely is never parsed again: its copy is the errors
  sheet alone. Every text written is escaped against formula injection.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from rankings.services import escape_text

from .errors import CellError, WorkbookError
from .reader import HEADER_SEARCH_ROWS, normalize_header, open_workbook
from .values import parse_text

ERRORS_SHEET = "loi"
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
#: A copy is made of workbooks up to this size; a bigger one gets the errors sheet alone.
MAX_COPY_BYTES = 20 * 1024 * 1024
#: Cells commented in the copy (every error is listed in the errors sheet anyway).
MAX_COMMENTS = 5000
_CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")


@dataclass(frozen=True)
class ErrorRow:
    sheet: str
    cell: str
    unit: str
    indicator: str
    message: str


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _text(value) -> str:
    try:
        return parse_text(value)
    except Exception:  # noqa: BLE001 - a cell that cannot be shown is shown empty
        return ""


class _Locator:
    """Finds the unit and indicator of a cell of the first sheet of a returns file."""

    def __init__(self, data: bytes | None, file_name: str):
        self.sheet = None
        self.header_index = None
        self.columns: dict[str, int] = {}
        if data is None:
            return
        try:
            book = open_workbook(data, file_name=file_name)
            self.sheet = book.first_sheet()
        except WorkbookError:
            return
        for index, values in enumerate(self.sheet.rows[:HEADER_SEARCH_ROWS]):
            names = [normalize_header(v) for v in values]
            if "unit_code" in names:
                self.header_index = index
                self.columns = {name: i for i, name in enumerate(names) if name}
                break

    def _value(self, row_index: int, column: int) -> str:
        try:
            return _text(self.sheet.rows[row_index][column])
        except IndexError:
            return ""

    def locate(self, error: CellError) -> tuple[str, str]:
        unit, indicator = error.code, ""
        match = _CELL.match(error.cell or "")
        if self.sheet is None or self.header_index is None or not match or (
                error.sheet and error.sheet != self.sheet.name):
            return unit, indicator
        row_index, column = int(match.group(2)) - 1, _column_index(match.group(1))
        header = self.sheet.rows[self.header_index]
        long_layout = "indicator_code" in self.columns and "value" in self.columns
        if row_index == self.header_index:
            name = _text(header[column]) if column < len(header) else ""
            if name and normalize_header(name) not in ("unit_code", "unit_name"):
                return "", name
            return "", ""
        if row_index > self.header_index:
            unit = self._value(row_index, self.columns["unit_code"]) or unit
            if long_layout:
                indicator = self._value(row_index, self.columns["indicator_code"])
            elif column < len(header):
                name = normalize_header(header[column])
                if name not in ("unit_code", "unit_name", ""):
                    indicator = _text(header[column])
        return unit, indicator


def describe_errors(errors: list[CellError], *, data: bytes | None = None,
                    file_name: str = "") -> list[ErrorRow]:
    """The rows of the preview's error table, in the order the importer found them."""
    locator = _Locator(data, file_name) if any(_CELL.match(e.cell or "") for e in errors) else (
        _Locator(None, file_name))
    rows = []
    for error in errors:
        unit, indicator = locator.locate(error)
        rows.append(ErrorRow(error.sheet, error.cell, unit, indicator, error.message))
    return rows


def _sheet_title(name: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", name or "sheet")[:31]
    return title or "sheet"


def _copy_of(data: bytes, file_name: str):
    """(workbook, sheet name mapping) of the copy, or ``(None, {})`` when there is none."""
    try:
        book = open_workbook(data, file_name=file_name)
    except WorkbookError:
        return None, {}
    if book.is_csv:
        copy = Workbook()
        sheet = copy.active
        sheet.title = _sheet_title(book.sheet_names[0])
        for row in book.first_sheet().rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # the file's text as it is, never a formula
        return copy, {book.sheet_names[0]: sheet.title}
    if len(data) > MAX_COPY_BYTES:
        return None, {}
    try:  # the file has passed the reader's checks (size, zip bomb, macros, DTDs)
        copy = load_workbook(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - openpyxl may dislike what calamine read: no copy then
        return None, {}
    return copy, {name: name for name in copy.sheetnames}


def error_workbook(errors: list[ErrorRow], *, data: bytes | None, file_name: str) -> bytes:
    """The uploaded workbook with its bad cells marked, and a sheet listing every error."""
    copy, names = _copy_of(data, file_name) if data is not None else (None, {})
    book = copy or Workbook()
    if copy is None:
        book.remove(book.active)
    commented = 0
    if copy is not None:
        for error in errors:
            match = _CELL.match(error.cell or "")
            title = names.get(error.sheet)
            if not match or title is None or commented >= MAX_COMMENTS:
                continue
            cell = book[title][error.cell]
            cell.fill = ERROR_FILL
            text = error.message if cell.comment is None else (
                f"{cell.comment.text}\n{error.message}")
            cell.comment = Comment(text, "ICT Index")
            commented += 1
    if ERRORS_SHEET in book.sheetnames:
        del book[ERRORS_SHEET]
    # last, so that the fixed copy can be uploaded again (the importer reads the first sheet)
    sheet = book.create_sheet(ERRORS_SHEET)
    sheet.append([_("Sheet"), _("Ô"), _("Đơn vị"), _("Tiêu chí"), _("Lỗi")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for error in errors:
        sheet.append([escape_text(v) if v else None for v in (
            error.sheet, error.cell, error.unit, error.indicator, error.message)])
    for letter, width in zip("ABCDE", (18, 8, 16, 18, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
