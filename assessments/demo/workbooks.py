"""Write the units and returns workbooks of the demo, in the contract's layouts.

Framework workbooks are written by the import's own writer
(:func:`assessments.workbooks.framework.write_framework`), so that they read back exactly.
Booleans in returns are written as "có" / "không", the way officials fill them in.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from rankings.engine import FrameworkSpec

from .scoring import Returns
from .units import DemoCohort, DemoUnit

YES, NO = "có", "không"
#: The time stamped in every demo workbook, so that regenerating gives the same bytes.
STAMP = (2026, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)")


def cell(value):
    """A Python value as the cell a person would type: yes/no in words, nothing for None."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sheet(book: Workbook, title: str, header: list[str], rows: Iterable[Iterable]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for column in sheet[1]:
        column.font = Font(bold=True)
    for row in rows:
        sheet.append([cell(value) for value in row])
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGH", (16, 48, 16, 14, 10, 10, 10, 10), strict=False):
        sheet.column_dimensions[letter].width = width


def _save(book: Workbook, path: Path) -> None:
    del book[book.sheetnames[0]]  # the empty default sheet
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def make_reproducible(path: Path) -> None:
    """Rewrite the workbook at ``path`` with fixed times (file entries, created/modified),
    so that the same cells always give the same bytes and regenerating shows no change."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*STAMP).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>" + stamp + rb"\g<3>", data)
            archive.writestr(zipfile.ZipInfo(info.filename, date_time=STAMP), data,
                             compress_type=zipfile.ZIP_DEFLATED)


def write_units(path: Path, cohorts: Iterable[DemoCohort], units: Iterable[DemoUnit]) -> None:
    book = Workbook()
    _sheet(book, "cohorts", ["code", "name"], ((c.code, c.name) for c in cohorts))
    _sheet(book, "units", ["code", "name", "cohort", "parent", "active"],
           ((u.code, u.name, u.cohort, u.parent or None, True) for u in units))
    _save(book, path)


def answered_codes(spec: FrameworkSpec, cohorts: Iterable[str]) -> list[str]:
    """The columns of a returns workbook: indicators a unit answers (not derived), in order."""
    cohorts = set(cohorts)
    return [i.code for i in spec.indicators
            if not i.derived and (not i.applies_to or cohorts & set(i.applies_to))]


def write_returns(path: Path, spec: FrameworkSpec, units: Iterable[DemoUnit],
                  returns: Returns) -> None:
    """The bulk returns workbook, wide layout: one row per unit, one column per indicator."""
    units = [u for u in units if u.code in returns]
    codes = answered_codes(spec, {u.cohort for u in units})
    book = Workbook()
    _sheet(book, "returns", ["unit_code", "unit_name", *codes],
           ([u.code, u.name, *(returns[u.code].get(code) for code in codes)] for u in units))
    _save(book, path)
