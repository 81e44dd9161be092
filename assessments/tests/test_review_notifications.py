"""E-mails of the review (issue 4): deadline reminders (command notify_deadlines),
publication, imports by an administrator send nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from assessments import services
from assessments.models import Extension, Period

from .factories import run_command
from .review_data import FAIR, World, submit


@pytest.fixture
def world(db):
    world = World()
    world.period.status = Period.Status.OPEN
    world.period.deadline = timezone.localdate() + datetime.timedelta(days=2)
    world.period.save()
    return world


def test_notify_deadlines_reminds_units_that_have_not_handed_in(world):
    submit(world.period, world.units[1], FAIR)  # S2 handed in: no reminder
    status, out, err = run_command("notify_deadlines", "--days", "1")
    assert status == 0 and "0" in out and not mail.outbox  # 2 days left > 1
    status, out, err = run_command("notify_deadlines", "--days", "3")
    assert status == 0, err
    assert [m.to for m in mail.outbox] == [["s1@example.org"]]  # S3, S4 have no address
    assert "còn 2 ngày" in out and "S3" in out and "S2" not in out
    assert "Còn 2 ngày" in mail.outbox[0].subject


def test_extension_moves_the_reminder(world):
    Extension.objects.create(period=world.period, unit=world.units[0],
                             until=world.period.deadline + datetime.timedelta(days=20))
    run_command("notify_deadlines", "--days", "3")
    assert [m.to for m in mail.outbox] == [["s2@example.org"]]  # not S1: extended
    status, out, err = run_command("notify_deadlines", "--days", "-1")
    assert status == 1 and "0" in err


def test_publication_mails_every_unit(world, django_capture_on_commit_callbacks):
    from rankings.services import compute_snapshot

    sub = submit(world.period, world.units[0], FAIR)
    services.approve_submission(submission=sub, reviewer=world.reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(snapshot=compute_snapshot(period=world.period),
                                 reviewer=world.reviewer)
    assert sorted(m.to[0] for m in mail.outbox) == ["s1@example.org", "s2@example.org"]


def test_transition_without_actor_sends_nothing(world, django_capture_on_commit_callbacks):
    sub = submit(world.period, world.units[0], FAIR, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_submission(submission=sub, to_status="approved")
    assert not mail.outbox
