"""Review pages (issue 4) through the views: every transition allowed and refused for every
role, the board's filters, export and fixed number of queries, verdict forms, flags."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessments import services
from assessments.models import Answer, Period, ReviewFlag, Submission, Unit

from .review_data import APPROVED, FAIR, FULL, World, submit

ROLES = ["unit_staff", "other_staff", "reviewer", "admin", "anonymous"]
ALLOWED = {"reviewer", "admin"}


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def handed_in(world):
    return submit(world.period, world.units[0], FAIR, actor=world.staff)


def client_for(client, world, role):
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    return client


def refused(response, role) -> bool:
    if role == "anonymous":
        return response.status_code == 302 and "/login/" in response["Location"]
    return response.status_code in (403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_return_allowed_only_for_reviewers(client, world, handed_in, role):
    lan = handed_in.answers.get(indicator__code="lan")
    response = client_for(client, world, role).post(
        reverse("review:return", args=[handed_in.pk]),
        {"answers": [lan.pk], "message": "Bổ sung quyết định"})
    handed_in.refresh_from_db()
    if role in ALLOWED:
        assert response.status_code == 302
        assert handed_in.status == Submission.Status.RETURNED
    else:
        assert refused(response, role)
        assert handed_in.status == Submission.Status.SUBMITTED


@pytest.mark.parametrize("role", ROLES)
def test_approve_allowed_only_for_reviewers(client, world, handed_in, role):
    response = client_for(client, world, role).post(
        reverse("review:approve", args=[handed_in.pk]))
    handed_in.refresh_from_db()
    assert (handed_in.status == APPROVED) == (role in ALLOWED)
    if role not in ALLOWED:
        assert refused(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_reopen_allowed_only_for_reviewers(client, world, handed_in, role):
    services.approve_submission(submission=handed_in, reviewer=world.reviewer)
    lan = handed_in.answers.get(indicator__code="lan")
    response = client_for(client, world, role).post(
        reverse("review:reopen", args=[handed_in.pk]),
        {"answers": [lan.pk], "reason": "Sai số liệu"})
    handed_in.refresh_from_db()
    assert (handed_in.status == Submission.Status.RETURNED) == (role in ALLOWED)
    if role not in ALLOWED:
        assert refused(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_answer_verdict_allowed_only_for_reviewers(client, world, handed_in, role):
    answer = handed_in.answers.get(indicator__code="may_tinh")
    response = client_for(client, world, role).post(
        reverse("review:answer_review", args=[handed_in.pk, answer.pk]),
        {"verdict": "adjusted", "adjusted_value": "80", "comment": "Theo kiểm kê"})
    answer.refresh_from_db()
    assert (answer.verdict == "adjusted" and answer.adjusted_number == 80) == (
        role in ALLOWED)
    if role not in ALLOWED:
        assert refused(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_pages_of_the_office_refuse_others(client, world, handed_in, role):
    c = client_for(client, world, role)
    for url in (reverse("review:index"), reverse("review:board", args=["Y2026"]),
                reverse("review:board_export", args=["Y2026", "csv"]),
                reverse("review:submission", args=[handed_in.pk]),
                reverse("review:preview", args=["Y2026"])):
        response = c.get(url)
        if role in ALLOWED:
            assert response.status_code == 200, url
        else:
            assert refused(response, role), url


@pytest.mark.parametrize("role", ROLES)
def test_compute_and_publish_only_for_reviewers(client, world, handed_in, role):
    services.approve_submission(submission=handed_in, reviewer=world.reviewer)
    c = client_for(client, world, role)
    c.post(reverse("review:compute", args=["Y2026"]))
    c.post(reverse("review:publish", args=["Y2026", 1]))
    world.period.refresh_from_db()
    computed = world.period.snapshots.filter(number=1).exists()
    assert computed == (role in ALLOWED)
    assert (world.period.status == Period.Status.PUBLISHED) == (role in ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_history_for_the_unit_and_the_office_only(client, world, handed_in, role):
    services.return_submission(submission=handed_in,
                               answers=[handed_in.answers.get(indicator__code="lan")],
                               message="Thông điệp cho đơn vị", reviewer=world.reviewer)
    response = client_for(client, world, role).get(reverse("review:history",
                                                           args=[handed_in.pk]))
    if role in ALLOWED or role == "unit_staff":
        assert response.status_code == 200
        assert "Thông điệp cho đơn vị" in response.content.decode()
    elif role == "other_staff":
        assert response.status_code == 404
    else:
        assert refused(response, role)


def test_verdict_without_comment_shows_the_error_and_writes_nothing(client, world,
                                                                      handed_in):
    answer = handed_in.answers.get(indicator__code="may_tinh")
    client.force_login(world.reviewer)
    response = client.post(reverse("review:answer_review", args=[handed_in.pk, answer.pk]),
                           {"verdict": "needs_info", "comment": ""}, follow=True)
    assert "cần có ý kiến thẩm định" in response.content.decode()
    answer.refresh_from_db()
    assert answer.verdict == ""


def test_after_resubmission_the_page_shows_only_changed_answers(client, world, handed_in):
    from assessments.models import AnswerChange

    services.return_submission(submission=handed_in,
                               answers=[handed_in.answers.get(indicator__code="may_tinh")],
                               message="Kiểm tra tỷ lệ", reviewer=world.reviewer)
    answer = handed_in.answers.get(indicator__code="may_tinh")
    answer.value_number = 65
    answer.save()
    AnswerChange.objects.create(answer=answer, field="value", old="50", new="65",
                                source="form", actor=world.staff)
    services.transition_submission(submission=handed_in, to_status="resubmitted",
                                   actor=world.staff)
    client.force_login(world.reviewer)
    page = client.get(reverse("review:submission", args=[handed_in.pk])).content.decode()
    assert 'data-indicator="may_tinh"' in page
    assert 'data-indicator="vb"' not in page and 'data-indicator="lan"' not in page
    assert "<del>50</del> → <ins>65</ins>" in page
    everything = client.get(reverse("review:submission", args=[handed_in.pk]) + "?all=1")
    assert 'data-indicator="vb"' in everything.content.decode()


def test_board_export_escapes_formulas(client, world, handed_in):
    world.units[2].name = "=HYPERLINK(\"http://x\")"
    world.units[2].save()
    client.force_login(world.reviewer)
    text = client.get(reverse("review:board_export", args=["Y2026", "csv"])).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["cohort", "unit_code", "unit_name", "status"]
    by_code = {row[1]: row for row in rows[1:]}
    assert by_code["S3"][2] == "'=HYPERLINK(\"http://x\")"
    assert by_code["S1"][3] == "submitted" and by_code["S1"][7:9] == ["4", "4"]
    book = load_workbook(io.BytesIO(client.get(
        reverse("review:board_export", args=["Y2026", "xlsx"])).content))
    cells = {row[1]: row for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert cells["S3"][2] == "'=HYPERLINK(\"http://x\")"
    assert cells["S1"][3] == "submitted" and cells["S1"][7] == 4


def test_board_filters_by_status(client, world, handed_in):
    client.force_login(world.reviewer)
    page = client.get(reverse("review:board", args=["Y2026"]), {"status": "not_started"})
    html = page.content.decode()
    assert 'data-unit="S2"' in html and 'data-unit="S1"' not in html


def _units(world, n):
    Unit.objects.bulk_create(Unit(code=f"X{i:03}", name=f"Đơn vị {i}", cohort=world.cohort)
                             for i in range(n))
    for unit in Unit.objects.filter(code__startswith="X")[: n // 2]:
        submit(world.period, unit, FULL)


def _board_queries(client, world) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("review:board", args=["Y2026"]))
    assert response.status_code == 200
    return len(queries)


def test_board_runs_a_fixed_number_of_queries(client, world, handed_in):
    client.force_login(world.reviewer)
    _units(world, 10)
    services.compute_flags(period=world.period)
    few = _board_queries(client, world)
    _units_more = Unit.objects.bulk_create(
        Unit(code=f"Y{i:03}", name=f"Đơn vị Y {i}", cohort=world.cohort) for i in range(50))
    for unit in _units_more[:25]:
        submit(world.period, unit, FAIR)
    services.compute_flags(period=world.period)
    assert ReviewFlag.objects.exists()
    assert _board_queries(client, world) == few


def test_bulk_approve_from_the_board(client, world, handed_in):
    from assessments.models import EvidenceBlob, EvidenceFile

    blob = EvidenceBlob.objects.create(sha256="b" * 64, file="evidence/bb/x", size=1,
                                       content_type="application/pdf")
    clean = submit(world.period, world.units[1], FULL)
    EvidenceFile.objects.create(answer=clean.answers.get(indicator__code="lan"), blob=blob,
                                original_name="qd.pdf")
    client.force_login(world.reviewer)
    page = client.get(reverse("review:board", args=["Y2026"])).content.decode()
    assert f'name="submission" value="{clean.pk}"' in page
    assert f'name="submission" value="{handed_in.pk}"' not in page  # evidence missing
    client.post(reverse("review:bulk_approve", args=["Y2026"]),
                {"submission": [clean.pk, handed_in.pk]})
    clean.refresh_from_db()
    assert clean.status == Submission.Status.SUBMITTED  # refused as a whole
    client.post(reverse("review:bulk_approve", args=["Y2026"]), {"submission": [clean.pk]})
    clean.refresh_from_db()
    assert clean.status == APPROVED


def test_flag_can_be_marked_checked(client, world, handed_in):
    services.compute_flags(period=world.period)
    flag = ReviewFlag.objects.get(kind="evidence")
    client.force_login(world.reviewer)
    client.post(reverse("review:flag_check", args=[flag.pk]), {"checked": "1"})
    flag.refresh_from_db()
    assert flag.checked_by == world.reviewer and flag.checked_at is not None
    services.compute_flags(period=world.period)
    flag.refresh_from_db()
    assert flag.checked_at is not None  # still applies, keeps the mark


def test_answer_page_shows_last_year_median_and_points(client, world, handed_in):
    submit(world.previous, world.units[0], {"so_may": 20, "lan": True, "may_tinh": 40,
                                            "vb": "b"}, status=APPROVED)
    client.force_login(world.reviewer)
    page = client.get(reverse("review:submission", args=[handed_in.pk])).content.decode()
    row = page[page.index('data-indicator="may_tinh"'):]
    row = row[:row.index("</tr>")]
    assert "40" in row  # last year
    assert "20/40" in row  # points: ratio 50 % of 40
    assert Answer.objects.filter(submission=handed_in).count() == 4
    assert datetime.date.today()  # the page renders whatever the date


def test_answer_page_links_the_evidence_files(client, world, handed_in):
    from assessments.models import EvidenceBlob, EvidenceFile

    blob = EvidenceBlob.objects.create(sha256="c" * 64, file="evidence/cc/x", size=1,
                                       content_type="application/pdf")
    evidence = EvidenceFile.objects.create(answer=handed_in.answers.get(indicator__code="lan"),
                                           blob=blob, original_name="quyet-dinh-lan.pdf",
                                           document_number="12/QĐ-STTTT")
    client.force_login(world.reviewer)
    page = client.get(reverse("review:submission", args=[handed_in.pk])).content.decode()
    assert f'href="{reverse("returns:evidence", args=[evidence.pk])}"' in page
    assert "quyet-dinh-lan.pdf" in page and "12/QĐ-STTTT" in page


@pytest.mark.parametrize("role", ROLES)
def test_flags_and_bulk_approve_only_for_reviewers(client, world, handed_in, role):
    c = client_for(client, world, role)
    c.post(reverse("review:flags_compute", args=["Y2026"]))
    assert ReviewFlag.objects.exists() == (role in ALLOWED)
    ReviewFlag.objects.all().delete()
    from assessments.models import EvidenceBlob, EvidenceFile

    blob = EvidenceBlob.objects.create(sha256="d" * 64, file="evidence/dd/x", size=1,
                                       content_type="application/pdf")
    EvidenceFile.objects.create(answer=handed_in.answers.get(indicator__code="lan"),
                                blob=blob, original_name="qd.pdf")
    response = c.post(reverse("review:bulk_approve", args=["Y2026"]),
                      {"submission": [handed_in.pk]})
    handed_in.refresh_from_db()
    assert (handed_in.status == APPROVED) == (role in ALLOWED)
    if role not in ALLOWED:
        assert refused(response, role)
