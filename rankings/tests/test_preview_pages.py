"""The reviewers' preview (issue 4): compute from approved returns, previews never public,
rank changes against the last preview and against the previous period, publish."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from assessments.tests.review_data import FAIR, FULL, World, submit
from rankings.services import compute_snapshot, publish_snapshot


@pytest.fixture
def world(db):
    world = World()
    # last year: S1 first, S2 second (published)
    for unit, values in ((world.units[0], FULL), (world.units[1], FAIR)):
        submit(world.previous, unit, values, status="approved")
    publish_snapshot(snapshot=compute_snapshot(period=world.previous))
    return world


def _row(html: str, unit: str) -> str:
    part = html[html.index(f'data-unit="{unit}"'):]
    return part[:part.index("</tr>")]


def test_preview_is_for_reviewers_and_never_public(client, world):
    for unit, values in ((world.units[0], FAIR), (world.units[1], FULL)):
        services.approve_submission(submission=submit(world.period, unit, values),
                                    reviewer=world.reviewer)
    client.force_login(world.reviewer)
    client.post(reverse("review:compute", args=["Y2026"]))
    assert world.period.snapshots.count() == 1
    client.logout()
    assert client.get(reverse("rankings:period_leaderboard", args=["Y2026"])).status_code == 404
    client.force_login(world.staff)
    assert client.get(reverse("review:preview", args=["Y2026"])).status_code == 403


def test_preview_shows_changes_against_last_year_and_the_last_preview(client, world):
    first = submit(world.period, world.units[0], FAIR)
    second = submit(world.period, world.units[1], FULL)
    for submission in (first, second):
        services.approve_submission(submission=submission, reviewer=world.reviewer)
    client.force_login(world.reviewer)
    client.post(reverse("review:compute", args=["Y2026"]))
    html = client.get(reverse("review:preview", args=["Y2026"])).content.decode()
    assert "▲ 1" in _row(html, "S2") and "▼ 1" in _row(html, "S1")  # against 2025
    # a reopened, corrected and re-approved return changes the order of the next preview
    services.reopen_submission(submission=first, reason="Sai tỷ lệ",
                               answers=[first.answers.get(indicator__code="vb")],
                               reviewer=world.reviewer)
    services.transition_submission(submission=first, to_status="resubmitted",
                                   actor=world.staff)
    services.review_answer(answer=first.answers.get(indicator__code="may_tinh"),
                           verdict="adjusted", adjusted_value="100", comment="Kiểm kê",
                           reviewer=world.reviewer)
    services.review_answer(answer=first.answers.get(indicator__code="vb"),
                           verdict="adjusted", adjusted_value="a", comment="Có phần mềm",
                           reviewer=world.reviewer)
    services.approve_submission(submission=first, reviewer=world.reviewer)
    client.post(reverse("review:compute", args=["Y2026"]))
    html = client.get(reverse("review:preview", args=["Y2026"])).content.decode()
    assert "So với lần tính 1" in html
    s1 = _row(html, "S1")
    assert "100,00" in s1 and "▲ 1" in s1 and "=" in _row(html, "S2")
    # publish: the public page shows it
    client.post(reverse("review:publish", args=["Y2026", 2]), {"note": ""})
    public = client.get(reverse("rankings:period_leaderboard", args=["Y2026"]))
    assert public.status_code == 200


def test_compute_without_approved_returns_says_why(client, world):
    client.force_login(world.reviewer)
    response = client.post(reverse("review:compute", args=["Y2026"]), follow=True)
    assert "chưa có phiếu báo cáo nào được duyệt" in response.content.decode()
    assert not world.period.snapshots.exists()
