"""The admin's returns import for a period: upload, preview (every error, or the changes per
unit), the annotated workbook of errors, confirmation all or nothing (refused when the file
or the period's data changed meanwhile), the import history, the bulk template and who may
use these pages."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments import admin_imports
from assessments.models import Answer, ImportRecord, Submission, User

from .conftest import db_state
from .factories import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["unit_code", "unit_name", "may_tinh", "can_bo", "lan", "ty_le_dvc", "muc_do",
          "ghi_chu", "diem_huyen"]
#          A           B                               C     D    E     F    G    H     I
SO_TTTT = ["SO-TTTT", "Sở Thông tin và Truyền thông", 120, 100, "có", 97, "A", "Đủ máy", None]
H_A = ["H-A", "Huyện A", 50, 10, "x", 80, "B", None, 7]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def admin_user(db):
    return User.objects.create_user("quan-tri", password="pw", role=User.Role.ADMIN,
                                    is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def import_url(period):
    return reverse("admin:assessments_period_import_returns", args=[period.pk])


def upload(client, period, path, **extra):
    with open(path, "rb") as handle:
        return client.post(import_url(period), {"file": handle, **extra})


def text(response) -> str:
    return html.unescape(response.content.decode())


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def stored_answers():
    return sorted(Answer.objects.values_list("submission__unit__code", "indicator__code",
                                             "value_number", "value_text"))


def test_the_period_page_offers_import_template_and_history(admin_client, period):
    response = admin_client.get(reverse("admin:assessments_period_change", args=[period.pk]))
    page = text(response)
    assert "Nhập báo cáo từ Excel" in page and "Tải mẫu nhập hàng loạt" in page
    assert import_url(period) in page and "Lịch sử nhập" in page


def test_preview_counts_then_confirm_imports_everything(admin_client, admin_user, period,
                                                        tmp_path):
    path = write_xlsx(tmp_path / "bao-cao.xlsx", {"returns": [HEADER, SO_TTTT, H_A]})
    before = db_state()
    response = upload(admin_client, period, path)
    assert response.status_code == 200
    page = text(response)
    assert db_state() == before  # a preview writes nothing
    counts = re.sub(r"\s+", " ", re.search(r'id="import-counts">(.*?)</p>', page, re.S).group(1))
    assert re.sub(r"<[^>]+>", "", counts) == (
        "Bố cục wide: 2 đơn vị; câu trả lời: 12 mới, 0 thay đổi, 0 không đổi.")
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td><td>([^<]+)</td><td>(\d+)</td>"
                      r"<td[^>]*>(\d+)</td><td>(\d+)</td></tr>", page)
    assert rows == [("SO-TTTT", "chưa có phiếu → Đã nộp", "6", "0", "0"),
                    ("H-A", "chưa có phiếu → Đã nộp", "6", "0", "0")]

    response = admin_client.post(import_url(period), {"action": "confirm",
                                                       "token": token_of(response)})
    assert response.status_code == 302
    assert response["Location"] == admin_imports.history_url(period)
    assert len(stored_answers()) == 12
    record = ImportRecord.objects.get(kind="returns")
    assert (record.actor, record.period, record.file_name) == (admin_user, period,
                                                                 "bao-cao.xlsx")
    # the upload waiting for confirmation is gone
    assert not list(admin_imports.upload_dir().glob("*.xlsx"))

    history = text(admin_client.get(response["Location"]))
    assert "bao-cao.xlsx" in history and record.sha256[:12] in history
    assert "2 đơn vị; câu trả lời: 12 mới, 0 thay đổi, 0 không đổi" in history
    assert "quan-tri" in history
    assert "Đã nhập tệp bao-cao.xlsx vào kỳ 2017" in history


def test_a_second_import_shows_changed_and_unchanged_answers(admin_client, period, tmp_path):
    from assessments.services import import_returns

    import_returns(period=period, source=write_xlsx(tmp_path / "a.xlsx",
                                                    {"returns": [HEADER, SO_TTTT, H_A]}))
    changed = list(H_A)
    changed[2] = 55
    path = write_xlsx(tmp_path / "b.xlsx", {"returns": [HEADER, SO_TTTT, changed]})
    page = text(upload(admin_client, period, path, approve="on"))
    assert "câu trả lời: 0 mới, 1 thay đổi, 11 không đổi." in re.sub(r"<[^>]+>", "", page)
    assert "Đã nộp → Đã duyệt" in page
    assert "Các phiếu được nhập sẽ được duyệt luôn." in page


def test_every_error_is_listed_with_sheet_cell_unit_and_indicator(admin_client, period,
                                                                  tmp_path):
    bad = list(H_A)
    bad[5] = 140          # F3: percent out of range
    bad[6] = "Z"          # G3: not an option
    path = write_xlsx(tmp_path / "loi.xlsx", {"returns": [HEADER, SO_TTTT, bad,
                                                          ["H-X", "?", 1]]})
    before = db_state()
    response = upload(admin_client, period, path)
    page = text(response)
    assert db_state() == before
    assert "Tệp loi.xlsx có 3 lỗi: chưa nhập gì." in page
    rows = re.findall(r"<tr><td>([^<]*)</td><td><code>([^<]*)</code></td><td>([^<]*)</td>"
                      r"<td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    assert [r[:4] for r in rows] == [("returns", "F3", "H-A", "ty_le_dvc"),
                                     ("returns", "G3", "H-A", "muc_do"),
                                     ("returns", "A4", "H-X", "")]
    assert "140" in rows[0][4] and "0–100" in rows[0][4]
    assert "'Z'" in rows[1][4]
    assert "H-X" in rows[2][4]
    assert 'name="token"' not in page  # nothing to confirm

    # the workbook of errors: a copy with the bad cells marked, and the list
    link = re.search(r'href="([^"]+)" id="download-errors"', response.content.decode()).group(1)
    download = admin_client.get(html.unescape(link))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="loi-loi.xlsx"'
    book = load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["returns", "loi"]
    sheet = book["returns"]
    for ref in ("F3", "G3", "A4"):
        assert sheet[ref].fill.fgColor.rgb.endswith("FFC7CE"), ref
        assert sheet[ref].comment is not None
    assert "0–100" in sheet["F3"].comment.text
    assert sheet["C2"].comment is None
    listed = [tuple(c.value or "" for c in row) for row in book["loi"].iter_rows(min_row=2)]
    assert [r[:4] for r in listed] == [r[:4] for r in rows]
    assert db_state() == before


def test_the_fixed_copy_of_the_errors_workbook_imports(admin_client, period, tmp_path):
    bad = list(H_A)
    bad[5] = 140
    response = upload(admin_client, period,
                      write_xlsx(tmp_path / "loi.xlsx", {"returns": [HEADER, SO_TTTT, bad]}))
    link = re.search(r'href="([^"]+)" id="download-errors"', response.content.decode()).group(1)
    book = load_workbook(io.BytesIO(admin_client.get(html.unescape(link)).content))
    book["returns"]["F3"] = 80
    fixed = tmp_path / "da-sua.xlsx"
    book.save(fixed)
    response = upload(admin_client, period, fixed)
    assert "12 mới" in re.sub(r"<[^>]+>", "", text(response))


def test_a_csv_file_in_the_long_layout(admin_client, period, tmp_path):
    path = write_csv(tmp_path / "dai.csv", [["unit_code", "indicator_code", "value"],
                                            ["H-B", "may_tinh", "12"], ["H-B", "lan", "không"]])
    response = upload(admin_client, period, path)
    assert "Bố cục long: 1 đơn vị; câu trả lời: 2 mới" in re.sub(r"<[^>]+>", "", text(response))
    admin_client.post(import_url(period), {"action": "confirm", "token": token_of(response)})
    assert stored_answers() == [("H-B", "lan", 0.0, ""), ("H-B", "may_tinh", 12.0, "")]


def test_confirmation_is_refused_when_the_data_changed_meanwhile(admin_client, period,
                                                                 province, tmp_path):
    path = write_xlsx(tmp_path / "bao-cao.xlsx", {"returns": [HEADER, SO_TTTT, H_A]})
    token = token_of(upload(admin_client, period, path))
    Submission.objects.create(period=period, unit=province["H-A"])  # someone started H-A
    before = db_state()
    response = admin_client.post(import_url(period), {"action": "confirm", "token": token})
    assert response.status_code == 409
    assert db_state() == before
    page = text(response)
    assert "Dữ liệu của kỳ đã thay đổi từ lúc xem trước" in page
    assert "Nháp → Đã nộp" in page  # the fresh preview
    # the fresh preview can be confirmed
    admin_client.post(import_url(period), {"action": "confirm", "token": token_of(response)})
    assert len(stored_answers()) == 12


def test_confirmation_is_refused_when_the_stored_file_changed_or_is_gone(admin_client, period,
                                                                         tmp_path):
    path = write_xlsx(tmp_path / "bao-cao.xlsx", {"returns": [HEADER, SO_TTTT, H_A]})
    token = token_of(upload(admin_client, period, path))
    (stored,) = admin_imports.upload_dir().glob("*.xlsx")
    before = db_state()
    stored.write_bytes(stored.read_bytes() + b"x")
    response = admin_client.post(import_url(period), {"action": "confirm", "token": token},
                                 follow=True)
    assert "Tệp lưu trên máy chủ đã thay đổi" in text(response)
    stored.unlink()
    response = admin_client.post(import_url(period), {"action": "confirm", "token": token},
                                 follow=True)
    assert "Tệp đã tải lên không còn trên máy chủ" in text(response)
    response = admin_client.post(import_url(period), {"action": "confirm", "token": "gia-mao"},
                                 follow=True)
    assert "Yêu cầu không hợp lệ" in text(response)
    assert db_state() == before


def test_the_upload_is_kept_on_disk_by_its_hash_for_any_server(admin_client, period, tmp_path):
    import hashlib

    path = write_xlsx(tmp_path / "bao-cao.xlsx", {"returns": [HEADER, SO_TTTT]})
    upload(admin_client, period, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (admin_imports.upload_dir() / f"{digest}.xlsx").read_bytes() == path.read_bytes()


def test_bulk_template_has_a_row_per_unit_of_the_chosen_cohorts(admin_client, period, province):
    url = reverse("admin:assessments_period_bulk_template", args=[period.pk])
    page = text(admin_client.get(url))
    assert "Sở, ban, ngành (depts, 2)" in page and "Tỉnh" not in page
    depts = period.cohorts.get(code="depts")
    response = admin_client.get(url, {"cohorts": [depts.pk]})
    assert response["Content-Disposition"] == 'attachment; filename="mau-nhap-2017.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["returns", "huong_dan"]
    sheet = book["returns"]
    assert [sheet.cell(r, 1).value for r in range(6, sheet.max_row + 1)] == ["SO-GD", "SO-TTTT"]
    header = [c.value for c in sheet[5]]
    # derived indicators have no column; district-only diem_huyen is not there for depts
    assert header == ["unit_code", "unit_name", "may_tinh", "can_bo", "lan", "ty_le_dvc",
                      "muc_do", "ghi_chu"]
    legend = [tuple(c.value for c in row)[:3] for row in book["huong_dan"].iter_rows()]
    assert legend[0] == ("Mã tiêu chí", "Tên tiêu chí", "Kiểu giá trị")
    assert legend[1][:2] == ("may_tinh", "Số máy tính")


def test_bulk_template_of_every_cohort_marks_cells_that_do_not_apply(admin_client, period):
    url = reverse("admin:assessments_period_bulk_template", args=[period.pk])
    response = admin_client.get(url, {"cohorts": [c.pk for c in period.cohorts.all()]})
    sheet = load_workbook(io.BytesIO(response.content))["returns"]
    units = [sheet.cell(r, 1).value for r in range(6, sheet.max_row + 1)]
    assert units == ["SO-GD", "SO-TTTT", "H-A", "H-B"]
    column = [c.value for c in sheet[5]].index("diem_huyen") + 1
    letter = sheet.cell(5, column).column_letter
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert rules[f"{letter}8:{letter}9"].type == "decimal"       # the districts
    empty = next(v for v in rules.values() if v.type == "textLength" and v.operator == "equal")
    assert set(str(empty.sqref).split()) == {f"{letter}6", f"{letter}7"}


def test_the_bulk_template_filled_in_imports(admin_client, period, tmp_path):
    url = reverse("admin:assessments_period_bulk_template", args=[period.pk])
    response = admin_client.get(url, {"cohorts": [c.pk for c in period.cohorts.all()]})
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["returns"]
    header = [c.value for c in sheet[5]]
    sheet.cell(8, header.index("may_tinh") + 1, 33)       # H-A
    sheet.cell(8, header.index("lan") + 1, "Có")
    sheet.cell(8, header.index("diem_huyen") + 1, 9)
    path = tmp_path / "mau.xlsx"
    book.save(path)
    response = upload(admin_client, period, path)
    page = text(response)
    assert "4 đơn vị; câu trả lời: 3 mới" in re.sub(r"<[^>]+>", "", page)
    # the rows left empty are named: their returns would still be created
    warning = re.search(r'id="import-empty-units">(.*?)</div>', page, re.S).group(1)
    assert "3 đơn vị có dòng trong tệp nhưng không có giá trị nào" in warning
    assert "SO-GD, SO-TTTT, H-B" in warning


# --- who may use these pages ----------------------------------------------------------------

@pytest.fixture
def urls(period, tmp_path, admin_client):
    path = write_xlsx(tmp_path / "x.xlsx", {"returns": [HEADER, ["H-X"]]})
    response = upload(admin_client, period, path)
    link = re.search(r'href="([^"]+)" id="download-errors"', response.content.decode()).group(1)
    admin_client.logout()
    return [import_url(period), html.unescape(link),
            reverse("admin:assessments_period_bulk_template", args=[period.pk])]


@pytest.mark.parametrize("who", ["unit_staff", "unit_staff_with_admin_flag", "reviewer"])
def test_only_admins_may_use_the_import_pages(client, who, urls, province, period, tmp_path):
    kwargs = {"unit_staff": {"unit": province["SO-TTTT"]},
              "unit_staff_with_admin_flag": {"unit": province["SO-TTTT"], "is_staff": True},
              "reviewer": {"role": User.Role.REVIEWER, "is_staff": True}}[who]
    client.force_login(User.objects.create_user(who, password="pw", **kwargs))
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"]
    before = db_state()
    path = write_xlsx(tmp_path / "r.xlsx", {"returns": [HEADER, SO_TTTT]})
    with open(path, "rb") as handle:
        response = client.post(urls[0], {"file": handle})
    assert response.status_code in (302, 403)
    assert db_state() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- formula injection -----------------------------------------------------------------------

def test_templates_hold_no_formula_and_read_back_unchanged(period, province, tmp_path):
    """Shown text (guidance) is escaped; values read back (text answers, names) stay as
    stored, as string cells that Excel never evaluates."""
    from assessments.models import Indicator
    from assessments.services import import_returns
    from assessments.workbooks.template import bulk_template

    Indicator.objects.filter(code="ghi_chu").update(guidance="=HYPERLINK(\"http://x\")")
    import_returns(period=period, source=write_xlsx(tmp_path / "a.xlsx", {"returns": [
        HEADER, SO_TTTT, with_text(H_A, "- gạch đầu dòng")]}))
    Answer.objects.filter(indicator__code="ghi_chu", submission__unit__code="SO-TTTT").update(
        value_text="=1+1")  # as typed in the web form
    book = load_workbook(io.BytesIO(bulk_template(period)))
    sheet = book["returns"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    column = [c.value for c in sheet[5]].index("ghi_chu") + 1
    assert sheet.cell(4, column).value == "'=HYPERLINK(\"http://x\")"
    texts = {sheet.cell(r, 1).value: sheet.cell(r, column).value for r in range(6, 10)}
    assert texts["SO-TTTT"] == "=1+1" and texts["H-A"] == "- gạch đầu dòng"
    path = tmp_path / "mau.xlsx"
    book.save(path)
    summary = import_returns(period=period, source=path, dry_run=True)
    assert summary.counts["answers_changed"] == 0
    assert summary.counts["answers_unchanged"] == 13  # 12 + the H-A text


def with_text(row, text):
    changed = list(row)
    changed[HEADER.index("ghi_chu")] = text
    return changed


def test_the_errors_copy_of_a_csv_keeps_its_values(admin_client, period, tmp_path):
    path = write_csv(tmp_path / "dai.csv", [["unit_code", "indicator_code", "value"],
                                            ["H-B", "may_tinh", "-5"],
                                            ["H-B", "ghi_chu", "=1+1"]])
    response = upload(admin_client, period, path)
    link = re.search(r'href="([^"]+)" id="download-errors"', response.content.decode()).group(1)
    book = load_workbook(io.BytesIO(admin_client.get(html.unescape(link)).content))
    sheet = book.worksheets[0]
    assert sheet["C2"].value == "-5" and sheet["C2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["C3"].value == "=1+1" and sheet["C3"].data_type == "s"
    errors = book["loi"]
    assert all(c.data_type != "f" for row in errors.iter_rows() for c in row)
