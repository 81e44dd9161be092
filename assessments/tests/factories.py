"""Workbooks for tests, written with openpyxl (or as CSV) into a test's tmp_path, and the
sample framework's sheets."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

# --- workbook builders --------------------------------------------------------------------


def write_xlsx(path: Path, sheets: dict[str, list[list]], *,
               formats: dict[tuple[str, str], str] | None = None) -> Path:
    """An .xlsx with ``sheets`` (name -> rows, first row first); ``formats`` sets number
    formats by (sheet, cell), e.g. ``{("returns", "C2"): "0%"}``."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    for (name, ref), number_format in (formats or {}).items():
        book[name][ref].number_format = number_format
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], *, bom: bool = False) -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def rewrite_member(path: Path, member: str, change) -> Path:
    """Rewrite one member of a zip archive with ``change(bytes) -> bytes``."""
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    contents[member] = change(contents[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return path


def set_cached_values(path: Path, values: dict[str, str], sheet_part="xl/worksheets/sheet1.xml"):
    """Give formula cells a cached value, as Excel does when it saves (openpyxl never does)."""
    def change(xml: bytes) -> bytes:
        text = xml.decode()
        for ref, value in values.items():
            text, n = re.subn(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/>',
                              rf"\g<1>\g<2><v>{value}</v>", text)
            assert n == 1, ref
        return text.encode()

    return rewrite_member(path, sheet_part, change)


# --- the framework workbook used by most tests ------------------------------------------------

FRAMEWORK_SETTINGS = [
    ["key", "value"],
    ["code", "MIC-2017"],
    ["name", "Bộ chỉ số ICT 2017"],
    ["description", "Đánh giá mức độ ứng dụng CNTT"],
    ["scale", 100],
    ["aggregation", "sum"],
    ["decimals", 2],
    ["rank_on", "rounded"],
    ["ties", "competition"],
    ["missing", "zero"],
]
FRAMEWORK_GROUPS = [
    ["code", "name", "parent", "aggregation", "weight", "max_points", "rescale", "order"],
    ["HT", "Hạ tầng kỹ thuật CNTT", None, "sum", 1, None, None, 1],
    ["HT1", "Máy tính", "HT", "sum", 1, 20, None, 2],
    ["UD", "Ứng dụng CNTT", None, "sum", 2, None, None, 3],
]
FRAMEWORK_INDICATORS = [
    ["code", "group", "name", "value_type", "unit", "rule", "params", "max_points", "weight",
     "inverse", "applies_to", "required", "evidence", "min", "max", "formula", "guidance"],
    ["may_tinh", "HT1", "Số máy tính", "number", "máy", "none", None, 1, 1, "no", None, "yes",
     "no", 0, None, None, "Tổng số máy tính đang dùng"],
    ["can_bo", "HT1", "Số cán bộ", "integer", "người", "none", None, 1, 1, "no", None, "yes",
     "no", 0, None, None, None],
    ["mt_per_cb", "HT1", "Máy tính trên 100 cán bộ", "number", None, "ratio", "target=100", 10,
     1, "no", None, "no", "no", None, None, "may_tinh / can_bo * 100", None],
    ["lan", "HT", "Có mạng LAN", "boolean", None, "boolean", None, 5, 1, "no", None, "yes",
     "yes", None, None, None, None],
    ["ty_le_dvc", "UD", "Tỷ lệ dịch vụ công trực tuyến", "percent", "%", "goalpost",
     "lo=0;hi=100", 20, 1, "no", None, "yes", "no", 0, 100, None, None],
    ["muc_do", "UD", "Mức độ", "choice", None, "choice", "A=5;B=3;C=0", 5, 1, "no", None, "yes",
     "no", None, None, None, None],
    ["ghi_chu", "UD", "Ghi chú", "text", None, "none", None, 1, 1, "no", None, "no", "no", None,
     None, None, None],
    ["diem_huyen", "UD", "Điểm riêng của huyện", "number", None, "direct", None, 10, 1, "no",
     "districts", "yes", "no", 0, 10, None, None],
]
FRAMEWORK_BANDS = [
    ["label", "min_score"],
    ["Tốt", 80],
    ["Khá", 65],
    ["Trung bình", 50],
    ["Yếu", 0],
]


def framework_sheets(**changes) -> dict[str, list[list]]:
    """The sample framework's sheets (fresh copies); keyword arguments replace sheets."""
    sheets = {
        "settings": [list(r) for r in FRAMEWORK_SETTINGS],
        "groups": [list(r) for r in FRAMEWORK_GROUPS],
        "indicators": [list(r) for r in FRAMEWORK_INDICATORS],
        "bands": [list(r) for r in FRAMEWORK_BANDS],
    }
    sheets.update(changes)
    return sheets


def set_cell(rows: list[list], code: str, column: str, value) -> list[list]:
    """Set ``column`` of the row whose first cell is ``code`` (the header names columns)."""
    index = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == code:
            row[index] = value
            return rows
    raise KeyError(code)


# --- running commands as from a shell -----------------------------------------------------

def run_command(*argv: str) -> tuple[int, str, str]:
    """Run ``manage.py <argv>`` in this process (on the test database):
    (exit status, stdout, stderr).

    ``run_from_argv`` closes every database connection when it ends, which would end the
    test's transaction on PostgreSQL; that closing is skipped here.
    """
    from contextlib import redirect_stderr, redirect_stdout
    from unittest import mock

    from django.core.management import ManagementUtility

    out, err = io.StringIO(), io.StringIO()
    status = 0
    with redirect_stdout(out), redirect_stderr(err), mock.patch(
            "django.core.management.base.connections.close_all"):
        try:
            ManagementUtility(["manage.py", *argv]).execute()
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 1
    return status, out.getvalue(), err.getvalue()
