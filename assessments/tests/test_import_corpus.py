"""A corpus of malformed returns files, each made here by the test itself, each refused by
``import_returns`` with a message that names the cell (or, for a file that is no workbook
at all, says why), and none of them changing the database, hanging or ending in a
traceback: through the service and through the admin's import page alike.

Columns of the wide files: A unit_code, B unit_name, C may_tinh (number ≥ 0), D can_bo
(integer ≥ 0), E lan (boolean), F ty_le_dvc (percent), G muc_do (choice A/B/C), H ghi_chu
(text), I diem_huyen (number 0–10, districts only). Row 1 is the header.
"""

from __future__ import annotations

import datetime
import html
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook

from assessments.models import Period, Submission, User
from assessments.services import import_returns
from assessments.workbooks import WorkbookError

from .conftest import db_state
from .factories import rewrite_member, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["unit_code", "unit_name", "may_tinh", "can_bo", "lan", "ty_le_dvc", "muc_do",
          "ghi_chu", "diem_huyen"]
SO = ["SO-TTTT", "Sở Thông tin và Truyền thông", 120, 100, "có", 97, "A", "Đủ máy", None]
HA = ["H-A", "Huyện A", 50, 10, "x", 80, "B", None, 7]
LONG = ["unit_code", "indicator_code", "value", "explanation"]


def with_cells(row: list, **cells) -> list:
    """``row`` with cells replaced by column name (``may_tinh="abc"``)."""
    changed = list(row)
    for name, value in cells.items():
        changed[HEADER.index(name)] = value
    return changed


def wide(*rows, header=HEADER) -> Callable[[Path], Path]:
    return lambda tmp: write_xlsx(tmp / "bao-cao.xlsx", {"returns": [list(header), *rows]})


def long(*rows) -> Callable[[Path], Path]:
    return lambda tmp: write_xlsx(tmp / "bao-cao.xlsx", {"returns": [LONG, *rows]})


def raw_file(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path
    return build


def zipped(name: str, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED):
    def build(tmp: Path) -> Path:
        path = tmp / name
        with zipfile.ZipFile(path, "w", method) as archive:
            for member, data in members.items():
                archive.writestr(member, data)
        return path
    return build


def rewritten(member: str, change, *rows) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        return rewrite_member(wide(*rows)(tmp), member, change)
    return build


def truncated(tmp: Path) -> Path:
    path = wide(SO)(tmp)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def with_vba(tmp: Path) -> Path:
    path = wide(SO)(tmp)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0" * 512)
    return path


def renamed(name: str, build) -> Callable[[Path], Path]:
    def rename(tmp: Path) -> Path:
        return build(tmp).rename(tmp / name)
    return rename


def csv_file(rows, *, encoding="utf-8", delimiter=",") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        text = "\n".join(delimiter.join("" if v is None else str(v) for v in row)
                         for row in rows) + "\n"
        path = tmp / "bao-cao.csv"
        path.write_bytes(text.encode(encoding))
        return path
    return build


def empty_sheet(tmp: Path) -> Path:
    book = Workbook()
    book.active.title = "returns"
    path = tmp / "trong.xlsx"
    book.save(path)
    return path


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "&lol;") * 10 + '">'
                    for i in range(1, 10)) + "]>")


def laughing(xml: bytes) -> bytes:
    """An XML part with a "billion laughs" DTD, its first text expanding the last entity."""
    text = xml.decode()
    declaration, _, body = text.partition("?>") if text.startswith("<?xml") else ("", "", text)
    body = body.replace("<t>SO-TTTT</t>", "<t>&lol9;</t>", 1)
    return (declaration + "?>" + LAUGHS + body).encode() if declaration else (
        LAUGHS + body).encode()


def approve_so_tttt(period) -> None:
    from assessments.models import Unit

    Submission.objects.create(period=period, unit=Unit.objects.get(code="SO-TTTT"),
                              status=Submission.Status.APPROVED)


def publish(period) -> None:
    Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)


@dataclass
class Case:
    id: str
    build: Callable[[Path], Path]
    cell: str | None           # the cell the message names; None: the whole file
    says: str                  # a part of the message
    settings: dict = field(default_factory=dict)
    setup: Callable | None = None


CORPUS = [
    # --- wrong types ----------------------------------------------------------------------
    Case("text-in-number", wide(with_cells(HA, may_tinh="abc")), "C2", "không phải là số"),
    Case("ambiguous-number", wide(with_cells(HA, may_tinh="6.477")), "C2", "không rõ nghĩa"),
    Case("infinite-number", wide(with_cells(HA, may_tinh="inf")), "C2", "không phải là số"),
    Case("date-in-number", wide(with_cells(HA, may_tinh=datetime.datetime(2017, 3, 4))), "C2",
         "không phải là số"),
    Case("excel-true-in-number", wide(with_cells(HA, may_tinh=True)), "C2",
         "không phải là số"),
    Case("percent-sign-in-number", wide(with_cells(HA, may_tinh="5%")), "C2", "dấu %"),
    Case("fraction-in-integer", wide(with_cells(HA, can_bo=10.5)), "D2", "số nguyên"),
    Case("word-in-boolean", wide(with_cells(HA, lan="có lẽ")), "E2", "có/không"),
    Case("number-in-boolean", wide(with_cells(HA, lan=2)), "E2", "có/không"),
    Case("unknown-choice", wide(with_cells(HA, muc_do="Z")), "G2", "lựa chọn hợp lệ"),
    Case("text-too-long", wide(with_cells(SO, ghi_chu="x" * 2001)), "H2", "2000"),
    # --- out of range ---------------------------------------------------------------------
    Case("percent-over-100", wide(with_cells(HA, ty_le_dvc=140)), "F2", "0–100"),
    Case("percent-text-over-100", wide(with_cells(HA, ty_le_dvc="120%")), "F2", "0–100"),
    Case("below-minimum", wide(with_cells(HA, may_tinh=-1)), "C2", "nhỏ hơn"),
    Case("above-maximum", wide(with_cells(HA, diem_huyen=11)), "I2", "0–10"),
    # --- codes ----------------------------------------------------------------------------
    Case("unknown-unit", wide(with_cells(HA, unit_code="H-X")), "A2",
         "không có trong hệ thống"),
    Case("duplicate-unit", wide(HA, HA), "A3", "đã có ở dòng 2"),
    Case("missing-unit-code", wide(with_cells(HA, unit_code=None)), "A2", "thiếu mã đơn vị"),
    Case("unit-outside-the-period", wide(with_cells(HA, unit_code="P-X")), "A2",
         "không tham gia"),
    Case("indicator-not-for-the-cohort", wide(with_cells(SO, diem_huyen=5)), "I2",
         "không áp dụng"),
    Case("unknown-indicator-column", wide(HA, header=HEADER + ["xyz"]), "J1",
         "không phải là mã tiêu chí"),
    Case("duplicate-indicator-column", wide(HA + [3], header=HEADER + ["may_tinh"]), "J1",
         "xuất hiện hai lần"),
    Case("duplicate-unit-code-column", wide(["H-A", 1, "H-A"],
                                            header=["unit_code", "may_tinh", "unit_code"]),
         "C1", "hai lần"),
    Case("approved-return-is-locked", wide(SO), "A2", "đã được duyệt", setup=approve_so_tttt),
    Case("period-not-taking-returns", wide(SO), None, "không nhận nhập báo cáo",
         setup=publish),
    # --- a valid row before an invalid one ------------------------------------------------
    Case("valid-row-then-invalid", wide(SO, with_cells(HA, can_bo="mười")), "D3",
         "không phải là số"),
    # --- the long layout ------------------------------------------------------------------
    Case("long-unknown-indicator", long(["H-A", "khong_co", 1, None]), "B2",
         "không có trong bộ tiêu chí"),
    Case("long-duplicate-pair", long(["H-A", "may_tinh", 1, None], ["H-A", "may_tinh", 2, None]),
         "B3", "đã có ở dòng 2"),
    Case("long-missing-indicator", long(["H-A", None, 1, None]), "B2", "thiếu mã tiêu chí"),
    Case("long-bad-value", long(["H-A", "lan", "có lẽ", None]), "C2", "có/không"),
    # --- mixed layouts --------------------------------------------------------------------
    Case("wide-with-an-indicator-code-column",
         wide(["H-A", "may_tinh", 5], header=["unit_code", "indicator_code", "may_tinh"]), "B1",
         "không phải là mã tiêu chí"),
    Case("long-rows-under-a-wide-header",
         wide(["H-A", "may_tinh", 5], header=["unit_code", "indicator", "value"]), "B1",
         "không phải là mã tiêu chí"),
    # --- not a usable workbook ------------------------------------------------------------
    Case("empty-file", raw_file("bao-cao.xlsx", b""), None, "không phải là bảng tính"),
    Case("sheet-without-header", empty_sheet, None, "không tìm thấy dòng tiêu đề"),
    Case("header-never-found", wide([1, 2, 3], header=["a", "b", "c"]), None,
         "không tìm thấy dòng tiêu đề"),
    Case("not-a-workbook", raw_file("bao-cao.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
         None, "không phải là bảng tính"),
    Case("zip-that-is-no-workbook", zipped("bao-cao.xlsx", {"readme.txt": b"hello"}), None,
         "không phải bảng tính .xlsx"),
    Case("damaged-zip", truncated, None, "hỏng"),
    Case("old-xls", raw_file("bao-cao.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
         None, ".xls"),
    # --- attacks --------------------------------------------------------------------------
    Case("zip-bomb", zipped("bom.xlsx", {"[Content_Types].xml": b"<Types/>",
                                         "xl/workbook.xml": b"<workbook/>",
                                         "xl/worksheets/sheet1.xml": b"0" * (30 * 2 ** 20)}),
         None, "bom nén"),
    Case("uncompressed-size-over-limit", wide(SO, HA), None, "vượt giới hạn",
         settings={"IMPORT_MAX_UNCOMPRESSED_BYTES": 4000}),
    Case("billion-laughs-in-the-sheet", rewritten("xl/worksheets/sheet1.xml", laughing, SO),
         None, "<!ENTITY>"),
    Case("billion-laughs-in-the-workbook-part",
         rewritten("xl/workbook.xml", lambda x: LAUGHS.encode() + x.split(b"?>", 1)[-1], SO),
         None, "<!DOCTYPE>"),
    Case("macro-extension", renamed("bao-cao.xlsm", wide(SO)), None, "macro"),
    Case("macro-inside-an-xlsx", with_vba, None, "macro"),
    Case("formula-without-a-computed-value", wide(with_cells(HA, may_tinh="=B9*2")), "C2",
         "công thức"),
    Case("excel-error-value", rewritten(
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace(b'<c r="C2" t="n"><v>50</v></c>',
                            b'<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'), HA),
         "C2", "#DIV/0!"),
    Case("too-many-cells", wide(SO, HA), None, "quá nhiều ô", settings={"IMPORT_MAX_CELLS": 12}),
    Case("file-too-big", wide(SO, HA), None, "quá lớn", settings={"IMPORT_MAX_FILE_BYTES": 500}),
    # --- CSV ------------------------------------------------------------------------------
    Case("csv-in-windows-1258", csv_file([HEADER, with_cells(HA, unit_name="Huyê\u0323n A")],
                                         encoding="cp1258"), None, "UTF-8"),
    Case("csv-in-utf-16", csv_file([HEADER, HA], encoding="utf-16"), None, "UTF-8"),
    Case("csv-with-semicolons", csv_file([HEADER, HA], delimiter=";"), "A1", "dấu chấm phẩy"),
    Case("csv-with-tabs", csv_file([HEADER, HA], delimiter="\t"), "A1", "dấu tab"),
    Case("csv-bad-value", csv_file([HEADER, with_cells(HA, ty_le_dvc="150")]), "F2",
         "0–100"),
]


def test_the_corpus_is_large_and_named_uniquely():
    assert len(CORPUS) >= 30
    assert len({case.id for case in CORPUS}) == len(CORPUS)


def prepare(case: Case, period, tmp_path, settings) -> Path:
    path = case.build(tmp_path)
    if case.setup:
        case.setup(period)
    for name, value in case.settings.items():
        setattr(settings, name, value)
    return path


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_the_service_refuses_naming_the_cell_and_changes_nothing(case, period, tmp_path,
                                                                 settings):
    path = prepare(case, period, tmp_path, settings)
    before = db_state()
    with pytest.raises(WorkbookError) as refused:
        import_returns(period=period, source=path, approve=True)
    errors = refused.value.errors
    assert any(case.says in str(error) for error in errors), [str(e) for e in errors]
    if case.cell:
        named = [e for e in errors if case.says in str(e)]
        assert any(e.cell == case.cell for e in named), [(e.cell, str(e)) for e in errors]
        assert f"ô {case.cell}" in str(refused.value)
    assert db_state() == before


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_user(
        "quan-tri", password="pw", role=User.Role.ADMIN, is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_the_admin_page_lists_the_error_and_changes_nothing(case, period, tmp_path, settings,
                                                            admin_client):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = prepare(case, period, tmp_path, settings)
    before = db_state()
    url = reverse("admin:assessments_period_import_returns", args=[period.pk])
    with open(path, "rb") as handle:
        response = admin_client.post(url, {"file": handle, "approve": "on"})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert case.says in page
    if case.cell:
        assert f"<code>{case.cell}</code>" in page
    assert 'name="token"' not in page   # nothing to confirm
    assert db_state() == before
    # the workbook of errors downloads for every case, and lists the error
    marker = 'id="download-errors"'
    if marker in response.content.decode():
        link = response.content.decode().split(marker)[0].rsplit('href="', 1)[1].split('"')[0]
        download = admin_client.get(html.unescape(link))
        assert download.status_code == 200
        from openpyxl import load_workbook

        errors = load_workbook(io.BytesIO(download.content))["loi"]
        assert any(case.says in (row[4].value or "") for row in errors.iter_rows(min_row=2))
    assert db_state() == before


def test_an_svg_image_with_a_doctype_is_no_reason_to_refuse(period, tmp_path):
    """Only the XML parts that are parsed are searched for DTDs: media may carry one."""
    path = wide(SO)(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/media/logo.svg", b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC '
                         b'"-//W3C//DTD SVG 1.1//EN" "x.dtd"><svg/>')
    assert import_returns(period=period, source=path, dry_run=True).counts["units"] == 1
