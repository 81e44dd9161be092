"""Uploading the unit's own workbook to a returned submission: only the answers the reviewer
opened may change; a change to any other answer is an error naming its cell (row and
column), the indicator's code and name, and nothing is applied."""

from __future__ import annotations

import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from assessments import services
from assessments.models import Answer, AnswerChange, Review, Submission
from assessments.workbooks.template import HEADER_ROW, VALUE_ROW

from . import returns_support
from .returns_support import COMPLETE, PASSWORD, form_data, form_url

pytestmark = pytest.mark.django_db

media = returns_support.media
mine = returns_support.mine
people = returns_support.people


@pytest.fixture
def returned(client, mine, people):
    """SO-TTTT's return sent back with only may_tinh open for correction."""
    client.login(username="so-tttt", password=PASSWORD)
    client.post(form_url(mine), form_data(mine, action="submit", **COMPLETE))
    flagged = Answer.objects.get(submission=mine, indicator__code="may_tinh")
    Answer.objects.filter(pk=flagged.pk).update(open_for_correction=True)
    services.transition_submission(submission=mine, to_status=Submission.Status.RETURNED,
                                   actor=people["reviewer"], message="Xem lại số máy tính.")
    review = Review.objects.create(submission=mine, outcome=Review.Outcome.RETURNED,
                                   message="Sửa số máy tính.", reviewer=people["reviewer"])
    review.answers.add(flagged)
    mine.refresh_from_db()
    return mine


def workbook(client, submission, **changes) -> tuple[bytes, dict[str, str]]:
    response = client.get(reverse("returns:workbook_template", args=[submission.pk]))
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["returns"]
    cols = {sheet.cell(HEADER_ROW, c).value: c for c in range(1, sheet.max_column + 1)}
    for code, value in changes.items():
        sheet.cell(VALUE_ROW, cols[code]).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    letters = {code: sheet.cell(VALUE_ROW, c).column_letter for code, c in cols.items()}
    return buffer.getvalue(), letters


def test_changing_a_closed_answer_names_its_cell_and_indicator(client, returned, people):
    content, letters = workbook(client, returned, may_tinh=110, can_bo=7)
    with pytest.raises(services.ValidationError) as refused:
        services.apply_unit_workbook(submission=returned, source=content, file_name="x.xlsx",
                                     actor=people["staff"], expected_version=returned.version,
                                     dry_run=True)
    messages = refused.value.messages
    assert len(messages) == 1, messages
    message = messages[0]
    assert f"ô {letters['can_bo']}{VALUE_ROW}" in message
    assert f"dòng {VALUE_ROW}" in message
    assert "can_bo" in message and "Số cán bộ" in message
    assert "không mở để sửa" in message
    assert "may_tinh" not in message


def test_the_upload_page_shows_the_error_and_applies_nothing(client, returned):
    content, letters = workbook(client, returned, may_tinh=110, can_bo=7)
    response = client.post(reverse("returns:workbook_upload", args=[returned.pk]),
                           {"file": SimpleUploadedFile("bao-cao.xlsx", content)})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert f"ô {letters['can_bo']}{VALUE_ROW}" in page and "không mở để sửa" in page
    values = {a.indicator.code: a.value_number for a in Answer.objects.filter(
        submission=returned, indicator__code__in=["may_tinh", "can_bo"])}
    assert values == {"may_tinh": 120.0, "can_bo": 100.0}
    assert not AnswerChange.objects.filter(source="workbook").exists()


def test_changing_only_the_open_answer_is_applied(client, returned, people):
    content, _letters = workbook(client, returned, may_tinh=110)
    plan = services.apply_unit_workbook(submission=returned, source=content,
                                        file_name="x.xlsx", actor=people["staff"],
                                        expected_version=returned.version)
    assert plan.applied and [c["code"] for c in plan.changes] == ["may_tinh"]
    assert Answer.objects.get(submission=returned, indicator__code="may_tinh").value_number == 110
