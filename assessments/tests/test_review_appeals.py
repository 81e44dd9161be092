"""Appeal (phúc khảo) life cycle (issue 4): filed by the unit within the window on named
answers, decided item by item with a reason, accepted values rescored, a correction
published with a public note of what changed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import AnswerChange, Appeal, AppealItem, Period
from rankings.models import UnitResult
from rankings.selectors import public_snapshot
from rankings.services import compute_snapshot

from .review_data import FAIR, FULL, World, submit

ROLES = ["unit_staff", "other_staff", "reviewer", "admin", "anonymous"]


@pytest.fixture
def published(db):
    world = World()
    first = submit(world.period, world.units[0], FAIR, actor=world.staff)
    second = submit(world.period, world.units[1], FULL)
    for submission in (first, second):
        services.approve_submission(submission=submission, reviewer=world.reviewer)
    services.publish_results(snapshot=compute_snapshot(period=world.period),
                             reviewer=world.reviewer)
    world.period.refresh_from_db()
    world.period.appeal_until = timezone.localdate() + datetime.timedelta(days=7)
    world.period.save()
    world.submission = first
    return world


def _form(world, value="90", reason="Số liệu kiểm kê mới"):
    answer = world.submission.answers.get(indicator__code="may_tinh")
    return {f"pick-{answer.pk}": "1", f"value-{answer.pk}": value,
            f"reason-{answer.pk}": reason, "message": "Đề nghị xem lại"}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_units_own_staff_file_an_appeal(client, published, role):
    user = published.user(role)
    if user:
        client.force_login(user)
    response = client.post(reverse("review:appeal_file", args=[published.submission.pk]),
                           _form(published))
    filed = Appeal.objects.exists()
    assert filed == (role == "unit_staff")
    if role == "other_staff":
        assert response.status_code == 404
    elif role in ("reviewer", "admin"):
        assert response.status_code == 403
    elif role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_appeal_refused_outside_the_window_and_without_reason(published):
    answer = published.submission.answers.get(indicator__code="may_tinh")
    with pytest.raises(ValidationError, match="lý do"):
        services.file_appeal(submission=published.submission,
                             items=[{"answer": answer, "reason": ""}], user=published.staff)
    late = published.period.appeal_until + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="thời hạn phúc khảo"):
        services.file_appeal(submission=published.submission,
                             items=[{"answer": answer, "reason": "x"}], user=published.staff,
                             today=late)
    assert not Appeal.objects.exists()


def test_appeal_life_cycle_to_a_corrected_publication(client, published):
    client.force_login(published.staff)
    client.post(reverse("review:appeal_file", args=[published.submission.pk]),
                _form(published))
    appeal = Appeal.objects.get()
    published.period.refresh_from_db()
    assert published.period.status == Period.Status.APPEAL
    item = appeal.items.get()
    assert (item.requested_number, item.reason) == (90, "Số liệu kiểm kê mới")
    with pytest.raises(ValidationError, match="thời hạn|một đề nghị"):
        services.file_appeal(submission=published.submission,
                             items=[{"answer": item.answer, "reason": "lần hai"}],
                             user=published.staff)

    client.force_login(published.reviewer)
    page = client.get(reverse("review:appeal", args=[appeal.pk])).content.decode()
    assert "Số liệu kiểm kê mới" in page
    client.post(reverse("review:appeal_decide", args=[item.pk]),
                {"decision": "accepted", "reason": ""})
    item.refresh_from_db()
    assert item.decision == ""  # a decision needs a reason
    client.post(reverse("review:appeal_decide", args=[item.pk]),
                {"decision": "accepted", "reason": "Có biên bản kiểm kê"})
    item.refresh_from_db()
    appeal.refresh_from_db()
    assert item.decision == AppealItem.Decision.ACCEPTED and item.old_value == "50"
    assert appeal.status == Appeal.Status.DECIDED
    change = AnswerChange.objects.get(source="appeal")
    assert (change.old, change.new) == ("50", "90")

    client.post(reverse("review:compute", args=["Y2026"]))
    preview = client.get(reverse("review:preview", args=["Y2026"])).content.decode()
    assert "Đính chính sau phúc khảo" in preview and "50 → 90" in preview
    client.post(reverse("review:publish", args=["Y2026", 2]), {"note": ""})
    assert public_snapshot(published.period).number == 1  # a correction needs a note
    note = "Đính chính sau phúc khảo:\nSở số 1, may_tinh (Tỷ lệ máy tính): 50 → 90"
    client.post(reverse("review:publish", args=["Y2026", 2]), {"note": note})
    snapshot = public_snapshot(published.period)
    assert snapshot.number == 2
    assert UnitResult.objects.get(snapshot=snapshot, unit=published.units[0]).score == 76
    published.period.refresh_from_db()
    assert published.period.status == Period.Status.PUBLISHED
    public = client.get(reverse("rankings:period_leaderboard", args=["Y2026"])).content
    assert "Sở số 1, may_tinh (Tỷ lệ máy tính): 50 → 90" in public.decode()

    client.force_login(published.staff)
    history = client.get(reverse("review:history", args=[published.submission.pk]))
    assert "Có biên bản kiểm kê" in history.content.decode()


def test_rejected_item_keeps_the_value(published):
    answer = published.submission.answers.get(indicator__code="vb")
    appeal = services.file_appeal(submission=published.submission,
                                  items=[{"answer": answer, "requested_value": "a",
                                          "reason": "Đã triển khai"}], user=published.staff)
    item = appeal.items.get()
    services.decide_appeal_item(item=item, decision="rejected", reason="Chưa có minh chứng",
                                reviewer=published.reviewer)
    answer.refresh_from_db()
    assert answer.verdict == "accepted" and answer.scored_value == "b"
    with pytest.raises(ValidationError, match="đã được quyết định"):
        services.decide_appeal_item(item=item, decision="accepted", reason="x",
                                    reviewer=published.reviewer)


@pytest.mark.parametrize("role", ROLES)
def test_only_reviewers_decide_an_appeal(client, published, role):
    answer = published.submission.answers.get(indicator__code="may_tinh")
    appeal = services.file_appeal(submission=published.submission,
                                  items=[{"answer": answer, "requested_value": "90",
                                          "reason": "Kiểm kê"}], user=published.staff)
    item = appeal.items.get()
    user = published.user(role)
    if user:
        client.force_login(user)
    response = client.post(reverse("review:appeal_decide", args=[item.pk]),
                           {"decision": "accepted", "reason": "Có biên bản"})
    item.refresh_from_db()
    assert (item.decision == "accepted") == (role in ("reviewer", "admin"))
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif role not in ("reviewer", "admin"):
        assert response.status_code == 403
