"""End to end, as a new admin would: download the demo province's bulk template for the open
period, fill it (here with openpyxl, standing for Excel) with two mistakes, upload it, read
the preview naming both, fix them, upload again, confirm, and find the answers stored."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from assessments.models import Answer, ImportRecord, Period, Submission, Unit
from assessments.workbooks.template import HEADER_ROW, VALUE_ROW

ARTIFACTS = "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    return live_server


def rules_of(sheet) -> dict[str, object]:
    """Column letter -> the data validation of its input cells (not the "stay empty" one)."""
    rules = {}
    for validation in sheet.data_validations.dataValidation:
        if validation.type == "textLength" and validation.operator == "equal":
            continue
        for ref in str(validation.sqref).split():
            rules["".join(ch for ch in ref.split(":")[0] if ch.isalpha())] = validation
    return rules


def a_valid_value(validation):
    """A value the cell's own data validation accepts (what a careful person types)."""
    if validation is None:
        return None
    if validation.type == "list":
        return validation.formula1.strip('"').split(",")[0]
    if validation.type in ("whole", "decimal"):
        low = validation.formula1 if validation.operator in ("between", "greaterThanOrEqual") \
            else None
        high = validation.formula2 if validation.operator == "between" else (
            validation.formula1 if validation.operator == "lessThanOrEqual" else None)
        low = None if low in (None, "-1E+300") else float(low)
        high = None if high in (None, "1E+300") else float(high)
        value = low if low is not None else (min(high, 1) if high is not None else 1)
        if high is not None and low is not None:
            value = low + (high - low) / 2
        return int(value) if validation.type == "whole" else value
    return "Đã điền"


def fill(path, out):
    """The template filled in for every unit; returns the cells of one number column and one
    list column of the second unit, where the mistakes go."""
    book = load_workbook(path)
    sheet = book["returns"]
    rules = rules_of(sheet)
    number_cell = list_cell = None
    for row in range(VALUE_ROW, sheet.max_row + 1):
        for column in range(3, sheet.max_column + 1):
            cell = sheet.cell(row, column)
            validation = rules.get(cell.column_letter)
            if cell.fill.fgColor.rgb.endswith("D9D9D9") or validation is None:
                continue  # does not apply to the unit, or free text: left empty
            cell.value = a_valid_value(validation)
            if row == VALUE_ROW + 1 and validation.type == "decimal" and number_cell is None \
                    and validation.operator == "between":
                number_cell = cell.coordinate
            if row == VALUE_ROW + 1 and validation.type == "list" and list_cell is None:
                list_cell = cell.coordinate
    book.save(out)
    return number_cell, list_cell


def upload(page, path):
    page.locator("input[name=file]").set_input_files(str(path))
    page.get_by_role("button", name="Kiểm tra và xem trước").click()


def test_admin_imports_the_demo_returns_from_the_bulk_template(page, demo, tmp_path):
    period = Period.objects.get(code="QNAM-2016")
    page.goto(f"{demo.url}/admin/assessments/period/{period.pk}/change/")
    if page.locator("#id_username").count():  # the admin's or the portal's sign-in page
        page.fill("#id_username", "admin")
        page.fill("#id_password", "demo-ict-2026")
        page.get_by_role("button", name=re.compile("^(Đăng nhập|Log in)$")).click()
    page.wait_for_selector("#site-name")
    page.get_by_role("link", name="Tải mẫu nhập hàng loạt").first.click()
    page.screenshot(path=f"{ARTIFACTS}/admin_import_1_template.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải mẫu Excel").click()
    template = tmp_path / "mau.xlsx"
    download.value.save_as(template)
    assert download.value.suggested_filename == "mau-nhap-QNAM-2016.xlsx"

    sheet = load_workbook(template)["returns"]
    units = [sheet.cell(r, 1).value for r in range(VALUE_ROW, sheet.max_row + 1)]
    assert len(units) == Unit.objects.filter(cohort__in=period.cohorts.all(), active=True).count()
    header = [c.value for c in sheet[HEADER_ROW]]

    # two mistakes: a number out of its range, a choice that is not one
    filled = tmp_path / "bao-cao-qnam.xlsx"
    number_cell, list_cell = fill(template, filled)
    assert number_cell and list_cell
    book = load_workbook(filled)
    book["returns"][number_cell] = 1_000_000
    book["returns"][list_cell] = "khong-co"
    wrong = tmp_path / "bao-cao-qnam-loi.xlsx"
    book.save(wrong)

    page.get_by_role("link", name="Nhập báo cáo từ Excel").click()
    upload(page, wrong)
    page.wait_for_selector("#import-errors")
    page.screenshot(path=f"{ARTIFACTS}/admin_import_2_errors.png", full_page=True)
    assert "có 2 lỗi: chưa nhập gì" in page.inner_text("#import-errors-box")
    rows = page.locator("#import-errors tbody tr").all_inner_texts()
    assert len(rows) == 2
    second_unit = units[1]
    assert number_cell in rows[0] + rows[1] and list_cell in rows[0] + rows[1]
    assert all(second_unit in row for row in rows)
    assert "1000000" in " ".join(rows) and "khong-co" in " ".join(rows)
    assert Answer.objects.filter(submission__period=period).count() == 0

    # fixed as the page said, uploaded again, confirmed
    book = load_workbook(filled)
    fixed = tmp_path / "bao-cao-qnam-da-sua.xlsx"
    book.save(fixed)
    upload(page, fixed)
    page.wait_for_selector("#import-preview")
    page.screenshot(path=f"{ARTIFACTS}/admin_import_3_preview.png", full_page=True)
    counts = page.inner_text("#import-counts")
    assert f": {len(units)} đơn vị" in counts
    filled_sheet = load_workbook(fixed)["returns"]
    expected = sum(1 for r in range(VALUE_ROW, VALUE_ROW + len(units))
                   for c in range(3, len(header) + 1)
                   if filled_sheet.cell(r, c).value is not None)
    assert f"{expected} mới" in counts
    page.get_by_role("button", name="Xác nhận nhập").click()
    page.wait_for_selector(".messagelist .success")
    page.screenshot(path=f"{ARTIFACTS}/admin_import_4_history.png", full_page=True)
    assert "Đã nhập tệp bao-cao-qnam-da-sua.xlsx" in page.inner_text(".messagelist")
    assert "bao-cao-qnam-da-sua.xlsx" in page.inner_text("#result_list")

    stored = Answer.objects.filter(submission__period=period)
    assert stored.count() == expected
    assert set(stored.values_list("submission__unit__code", flat=True)) == set(units)
    assert set(Submission.objects.filter(period=period).values_list("status", flat=True)) == {
        Submission.Status.SUBMITTED}
    record = ImportRecord.objects.get(kind="returns", period=period)
    assert record.actor.username == "admin"
    assert record.summary["counts"]["answers_created"] == expected


def test_admin_imports_units_through_the_import_export_page(page, live_server, tmp_path,
                                                            django_user_model):
    from .factories import write_xlsx

    django_user_model.objects.create_user("quan-tri", password="mat-khau-dai-9",
                                          role="admin", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/assessments/unit/")
    page.fill("#id_username", "quan-tri")
    page.fill("#id_password", "mat-khau-dai-9")
    page.get_by_role("button", name=re.compile("^(Đăng nhập|Log in)$")).click()
    page.get_by_role("link", name="Nhập từ Excel").click()
    rows = [["code", "name", "cohort", "parent"], ["SO-TTTT", "Sở TT&TT", "depts", None],
            ["PHONG-1", "Phòng CNTT", "depts", "SO-TTTX"]]
    wrong = write_xlsx(tmp_path / "don-vi.xlsx", {"units": rows})
    page.locator("input[name=import_file]").set_input_files(str(wrong))
    page.get_by_role("button", name="Kiểm tra và xem trước").click()
    page.wait_for_selector("#import-errors")
    page.screenshot(path=f"{ARTIFACTS}/admin_units_1_errors.png", full_page=True)
    assert "D3" in page.inner_text("#import-errors") and "SO-TTTX" in page.inner_text(
        "#import-errors")
    rows[2][3] = "SO-TTTT"
    fixed = write_xlsx(tmp_path / "don-vi-da-sua.xlsx", {"units": rows})
    page.locator("input[name=import_file]").set_input_files(str(fixed))
    page.get_by_role("button", name="Kiểm tra và xem trước").click()
    page.wait_for_selector("#import-summary")
    page.screenshot(path=f"{ARTIFACTS}/admin_units_2_preview.png", full_page=True)
    assert "Đơn vị: 2 mới" in page.inner_text("#import-summary")
    assert Unit.objects.count() == 0
    page.get_by_role("button", name="Xác nhận nhập").click()
    page.wait_for_selector(".messagelist")
    page.screenshot(path=f"{ARTIFACTS}/admin_units_3_done.png", full_page=True)
    assert "Đã nhập tệp don-vi-da-sua.xlsx." in page.inner_text(".messagelist")
    assert sorted(Unit.objects.values_list("code", "parent__code")) == [
        ("PHONG-1", "SO-TTTT"), ("SO-TTTT", None)]
