"""Admins browse the trail (read-only, filtered) and export it as CSV or XLSX, answers'
history merged in, text cells safe from formula injection."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from openpyxl import load_workbook

from assessments.models import Answer, Cohort, Unit
from audit.context import acting_as
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = "/admin/audit/auditentry/"


@pytest.fixture
def trail(portal_admin, reviewer, period_2017):
    from assessments.services import review_answer

    with acting_as(portal_admin):
        cohort = Cohort.objects.create(code="xa", name="Xã")
        unit = Unit.objects.create(code="X1", name="Xã A", cohort=cohort)
        unit.name = "=HYPERLINK(\"http://x.example\",\"bấm\")"
        unit.save()
    answer = Answer.objects.filter(submission__unit__code="SNV",
                                   indicator__code="may_tinh").get()
    review_answer(answer=answer, verdict=Answer.Verdict.ADJUSTED, adjusted_value="80",
                  comment="Theo biên bản", reviewer=reviewer)
    return unit


def test_admins_browse_the_trail_with_filters(admin_client, trail):
    html = admin_client.get(URL).content.decode()
    assert "Nhật ký hệ thống" in html or "nhật ký hệ thống" in html.lower()
    assert "Xuất CSV" in html and "Xuất Excel" in html
    unit_type = ContentType.objects.get_for_model(Unit)
    filtered = admin_client.get(URL, {"content_type__id__exact": unit_type.pk,
                                      "action__exact": "update"}).content.decode()
    assert "HYPERLINK" in filtered
    assert "Xã, Xã" not in filtered
    entry = AuditEntry.objects.get(action="update", content_type=unit_type)
    detail = admin_client.get(f"{URL}{entry.pk}/change/").content.decode()
    assert "Xã A" in detail and "HYPERLINK" in detail
    # read-only: nothing to add, change or delete
    assert admin_client.get(f"{URL}add/").status_code == 403
    assert admin_client.post(f"{URL}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_only_portal_admins_see_the_trail(client, reviewer, trail):
    reviewer.is_staff = True
    reviewer.save()
    client.force_login(reviewer)
    for url in (URL, f"{URL}export/csv/"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"HYPERLINK" not in response.content


def test_csv_export_escapes_formulas_and_merges_answer_history(admin_client, trail):
    response = admin_client.get(f"{URL}export/csv/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="nhat-ky-')
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Thời điểm", "Người thực hiện", "Địa chỉ IP", "Hành động"]
    rename = [r for r in rows if r[7] == "name" and r[4] == "đơn vị" and r[3] == "Sửa"]
    assert rename and rename[0][8] == "Xã A"
    assert rename[0][9] == "'=HYPERLINK(\"http://x.example\",\"bấm\")"
    assert rename[0][1] == "quantri"
    answers = [r for r in rows if r[4] == "câu trả lời"]
    assert {r[7] for r in answers} >= {"giá trị điều chỉnh", "kết quả thẩm định"}
    assert all(r[1] == "reviewer" and r[10] == "thẩm định" for r in answers)
    assert all(r[6].startswith("SNV / 2017 / may_tinh") for r in answers)
    # no cell of the export starts with a formula character
    assert not [c for r in rows[1:] for c in r if c[:1] in ("=", "+", "-", "@")]


def test_xlsx_export_with_the_lists_filters(admin_client, trail):
    unit_type = ContentType.objects.get_for_model(Unit)
    response = admin_client.get(f"{URL}export/xlsx/", {"content_type__id__exact":
                                                        unit_type.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Thời điểm"
    assert {r[4] for r in rows[1:]} == {"đơn vị"}  # the filter left answers and cohorts out
    names = [r for r in rows[1:] if r[7] == "name" and r[3] == "Sửa"]
    assert names[0][9].startswith("'=HYPERLINK")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type in ("s", "inlineStr")  # text, never a formula ("f")


def test_unknown_export_format_is_refused(admin_client):
    assert admin_client.get(f"{URL}export/pdf/").status_code == 403
