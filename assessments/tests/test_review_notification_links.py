"""Every notification e-mail (issue 4 §8: handed in, returned, approved, published, deadline,
appeals) ends with an absolute link to the page to act on, built from settings.SITE_URL."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from assessments import notifications, services
from assessments.models import Period

from .factories import run_command
from .review_data import FAIR, World, submit

SITE = "https://ict.quangnam.gov.vn"


@pytest.fixture
def world(db, settings):
    settings.SITE_URL = SITE
    world = World()
    return world


def link(message) -> str:
    line = message.body.rstrip().splitlines()[-1]
    assert ": " + SITE in line, message.body
    return line.split(": ", 1)[1]


def test_handed_in_links_the_reviewer_to_the_submission(world,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sub = submit(world.period, world.units[0], FAIR, actor=world.staff)
    assert [m.to for m in mail.outbox] == [["ad@example.org"], ["rv@example.org"]]
    assert link(mail.outbox[0]) == f"{SITE}/tham-dinh/phieu/{sub.pk}/"


def test_returned_and_approved_link_the_unit_to_its_return(world,
                                                           django_capture_on_commit_callbacks):
    sub = submit(world.period, world.units[0], FAIR)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_submission(submission=sub, answers=[world.answer(sub, "lan")],
                                   message="Thiếu tài liệu.", reviewer=world.reviewer)
    assert link(mail.outbox[-1]) == f"{SITE}/bao-cao/phieu/{sub.pk}/"
    assert "Sửa báo cáo tại" in mail.outbox[-1].body
    other = submit(world.period, world.units[1], FAIR)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_submission(submission=other, reviewer=world.reviewer)
    assert mail.outbox[-1].to == ["s2@example.org"]
    assert link(mail.outbox[-1]) == f"{SITE}/bao-cao/phieu/{other.pk}/"


def test_publication_links_to_the_public_results(world, django_capture_on_commit_callbacks):
    from rankings.services import compute_snapshot

    sub = submit(world.period, world.units[0], FAIR)
    services.approve_submission(submission=sub, reviewer=world.reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(snapshot=compute_snapshot(period=world.period),
                                 reviewer=world.reviewer)
    assert mail.outbox and all(link(m) == f"{SITE}/ky/Y2026/" for m in mail.outbox)


def test_deadline_reminder_links_to_the_units_returns(world):
    world.period.status = Period.Status.OPEN
    world.period.deadline = timezone.localdate() + datetime.timedelta(days=2)
    world.period.save()
    status, _out, err = run_command("notify_deadlines", "--days", "3")
    assert status == 0, err
    assert mail.outbox and link(mail.outbox[0]) == f"{SITE}/bao-cao/"


def test_appeal_mails_link_to_the_appeal_and_to_the_return(world):
    sub = submit(world.period, world.units[0], FAIR)
    items = SimpleNamespace(select_related=lambda *a: [])
    appeal = SimpleNamespace(pk=7, submission=sub, items=items)
    notifications.appeal_filed(appeal)
    assert link(mail.outbox[-1]) == f"{SITE}/tham-dinh/phuc-khao/7/"
    notifications.appeal_decided(appeal)
    assert link(mail.outbox[-1]) == f"{SITE}/bao-cao/phieu/{sub.pk}/"


def test_site_url_default_and_trailing_slash(settings):
    settings.SITE_URL = "https://example.org/"
    assert notifications.absolute_url("returns:index") == "https://example.org/bao-cao/"
    del settings.SITE_URL
    assert notifications.absolute_url("returns:index") == "http://localhost:8000/bao-cao/"
