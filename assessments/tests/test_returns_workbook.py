"""The one-unit Excel round trip: the pre-filled template (names, units, guidance, data
validation that matches the import), differences shown before applying, all or nothing, and
only the unit's own row."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments import services
from assessments.models import Answer, AnswerChange
from assessments.workbooks.template import HEADER_ROW, VALUE_ROW

from . import returns_support
from .returns_support import PASSWORD, form_data, form_url

pytestmark = pytest.mark.django_db

# fixtures shared by the returns tests
media = returns_support.media
mine = returns_support.mine
people = returns_support.people


@pytest.fixture
def staff_client(client, people):
    client.login(username="so-tttt", password=PASSWORD)
    return client


def template_of(client, submission):
    response = client.get(reverse("returns:workbook_template", args=[submission.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    return load_workbook(io.BytesIO(response.content))


def columns(sheet) -> dict[str, int]:
    return {sheet.cell(HEADER_ROW, c).value: c for c in range(1, sheet.max_column + 1)}


def as_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_template_is_prefilled_with_names_guidance_and_validation(staff_client, mine):
    staff_client.post(form_url(mine), form_data(mine, may_tinh="120,5", lan="co", muc_do="B"))
    sheet = template_of(staff_client, mine)["returns"]
    cols = columns(sheet)
    assert list(cols)[:2] == ["unit_code", "unit_name"]
    assert set(cols) - {"unit_code", "unit_name"} == {"may_tinh", "can_bo", "lan", "ty_le_dvc",
                                                      "muc_do", "ghi_chu"}  # no derived
    assert sheet.cell(VALUE_ROW, 1).value == "SO-TTTT"
    assert sheet.cell(VALUE_ROW, cols["may_tinh"]).value == 120.5
    assert sheet.cell(VALUE_ROW, cols["lan"]).value == "Có"
    assert sheet.cell(VALUE_ROW, cols["muc_do"]).value == "B"
    assert sheet.cell(2, cols["may_tinh"]).value == "Số máy tính"          # name
    assert sheet.cell(3, cols["may_tinh"]).value == "máy"                  # unit of measure
    assert sheet.cell(4, cols["may_tinh"]).value == "Tổng số máy tính đang dùng"  # guidance
    rules = {}
    for rule in sheet.data_validations.dataValidation:
        for ref in str(rule.sqref).split():
            rules[ref] = rule
    letter = {code: sheet.cell(VALUE_ROW, c).column_letter for code, c in cols.items()}
    lan = rules[f"{letter['lan']}{VALUE_ROW}"]
    assert (lan.type, lan.formula1) == ("list", '"Có,Không"')
    choice = rules[f"{letter['muc_do']}{VALUE_ROW}"]
    assert (choice.type, choice.formula1) == ("list", '"A,B,C"')
    percent = rules[f"{letter['ty_le_dvc']}{VALUE_ROW}"]
    assert (percent.type, percent.operator, percent.formula1, percent.formula2) == (
        "decimal", "between", "0.0", "100.0")
    integer = rules[f"{letter['can_bo']}{VALUE_ROW}"]
    assert (integer.type, integer.operator, integer.formula1) == (
        "whole", "greaterThanOrEqual", "0.0")


def test_the_template_is_what_import_returns_accepts(staff_client, mine, period):
    staff_client.post(form_url(mine), form_data(mine, may_tinh="120", lan="co", muc_do="B",
                                                ty_le_dvc="97,5", can_bo="40"))
    content = as_bytes(template_of(staff_client, mine))
    summary = services.import_returns(period=period, source=content, file_name="mau.xlsx",
                                      dry_run=True)
    assert summary.counts["units"] == 1
    assert summary.counts["answers_unchanged"] == 5


def test_round_trip_shows_differences_before_applying_all_of_them(staff_client, mine):
    staff_client.post(form_url(mine), form_data(mine, may_tinh="120", lan="co"))
    book = template_of(staff_client, mine)
    sheet = book["returns"]
    cols = columns(sheet)
    sheet.cell(VALUE_ROW, cols["may_tinh"]).value = 300
    sheet.cell(VALUE_ROW, cols["lan"]).value = "Không"
    sheet.cell(VALUE_ROW, cols["muc_do"]).value = "C"
    url = reverse("returns:workbook_upload", args=[mine.pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = staff_client.post(url, {"file": SimpleUploadedFile("bao-cao.xlsx", as_bytes(book))})
    page = html.unescape(re.sub(r"\s+", " ", response.content.decode()))
    assert response.status_code == 200
    rows = re.findall(r"<tr><td><code>(\w+)</code>[^<]*</td><td>([^<]*)</td><td><strong>([^<]*)<",
                      page)
    assert rows == [("may_tinh", "120", "300"), ("lan", "Có", "Không"), ("muc_do", "–", "C")]
    # nothing applied yet
    assert Answer.objects.get(submission=mine, indicator__code="may_tinh").value_number == 120
    sha256 = re.search(r'name="sha256" value="(\w+)"', page).group(1)
    mine.refresh_from_db()
    response = staff_client.post(url, {"action": "apply", "sha256": sha256,
                                       "version": mine.version})
    assert response.status_code == 302
    values = {a.indicator.code: a.value for a in Answer.objects.filter(submission=mine)}
    assert values["may_tinh"] == 300 and values["lan"] is False and values["muc_do"] == "C"
    assert set(AnswerChange.objects.filter(source="workbook").values_list(
        "answer__indicator__code", flat=True)) == {"may_tinh", "lan", "muc_do"}


def test_a_row_of_another_unit_is_an_error_naming_the_cell(staff_client, mine):
    book = template_of(staff_client, mine)
    sheet = book["returns"]
    cols = columns(sheet)
    sheet.cell(VALUE_ROW, cols["may_tinh"]).value = 5
    sheet.cell(VALUE_ROW + 1, 1).value = "SO-GD"
    sheet.cell(VALUE_ROW + 1, cols["may_tinh"]).value = 999
    with pytest.raises(services.ValidationError) as refused:
        services.apply_unit_workbook(submission=mine, source=as_bytes(book), file_name="x.xlsx",
                                     actor=mine.unit.staff.first(), expected_version=1)
    assert any(f"ô A{VALUE_ROW + 1}" in m and "đơn vị khác (SO-GD)" in m
               for m in refused.value.messages)
    assert Answer.objects.count() == 0


def test_one_bad_cell_applies_nothing(staff_client, mine):
    book = template_of(staff_client, mine)
    sheet = book["returns"]
    cols = columns(sheet)
    sheet.cell(VALUE_ROW, cols["may_tinh"]).value = 5
    sheet.cell(VALUE_ROW, cols["ty_le_dvc"]).value = 140
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = staff_client.post(reverse("returns:workbook_upload", args=[mine.pk]),
                                 {"file": SimpleUploadedFile("x.xlsx", as_bytes(book))})
    assert response.status_code == 400
    letter = sheet.cell(VALUE_ROW, cols["ty_le_dvc"]).column_letter
    assert f"ô {letter}{VALUE_ROW}" in html.unescape(response.content.decode())
    assert Answer.objects.count() == 0


def test_applying_after_someone_else_saved_is_refused(staff_client, mine, people):
    book = template_of(staff_client, mine)
    sheet = book["returns"]
    sheet.cell(VALUE_ROW, columns(sheet)["may_tinh"]).value = 5
    services.save_answers(submission=mine, data={"may_tinh": {"value": "7"}},
                          actor=people["colleague"], expected_version=1)
    with pytest.raises(services.SubmissionConflict):
        services.apply_unit_workbook(submission=mine, source=as_bytes(book), file_name="x.xlsx",
                                     actor=people["staff"], expected_version=1)
    assert Answer.objects.get(submission=mine).value_number == 7
