"""Roles and unit scoping, decided in one place (assessments.access)."""

import datetime

import pytest
from django.http import Http404

from assessments import access
from assessments.models import (
    Answer,
    Cohort,
    CriterionGroup,
    Extension,
    Framework,
    Indicator,
    Period,
    Submission,
    Unit,
    User,
)

pytestmark = pytest.mark.django_db
DEADLINE = datetime.date(2015, 11, 30)


@pytest.fixture
def world():
    cohort = Cohort.objects.create(code="districts", name="Huyện")
    tamky = Unit.objects.create(code="tamky", name="Tam Kỳ", cohort=cohort)
    hoian = Unit.objects.create(code="hoian", name="Hội An", cohort=cohort)
    fw = Framework.objects.create(code="F", name="F")
    group = CriterionGroup.objects.create(framework=fw, code="HT", name="Hạ tầng")
    a = Indicator.objects.create(framework=fw, group=group, code="a", name="A")
    b = Indicator.objects.create(framework=fw, group=group, code="b", name="B")
    period = Period.objects.create(code="2015", name="2015", framework=fw,
                                   status=Period.Status.OPEN, deadline=DEADLINE)
    period.cohorts.add(cohort)
    mine = Submission.objects.create(period=period, unit=tamky)
    theirs = Submission.objects.create(period=period, unit=hoian)
    users = {
        "staff": User.objects.create_user("tk", password="x", unit=tamky),
        "other": User.objects.create_user("ha", password="x", unit=hoian),
        "reviewer": User.objects.create_user("rv", password="x", role="reviewer"),
        "admin": User.objects.create_user("ad", password="x", role="admin"),
    }
    return {"mine": mine, "theirs": theirs, "period": period, "tamky": tamky, "a": a, "b": b,
            **users}


def test_staff_see_only_their_own_unit(world):
    assert list(access.submissions_visible_to(world["staff"])) == [world["mine"]]
    assert access.get_submission_for(world["staff"], world["mine"].pk) == world["mine"]
    with pytest.raises(Http404):
        access.get_submission_for(world["staff"], world["theirs"].pk)
    with pytest.raises(Http404):  # a missing id looks exactly like a forbidden one
        access.get_submission_for(world["staff"], 999_999)


def test_reviewers_and_admins_see_every_unit_and_the_public_none(world, rf):
    from django.contrib.auth.models import AnonymousUser

    for role in ("reviewer", "admin"):
        assert access.submissions_visible_to(world[role]).count() == 2
    assert access.submissions_visible_to(AnonymousUser()).count() == 0
    assert access.is_reviewer(world["admin"]) and not access.is_reviewer(world["staff"])
    assert access.is_portal_admin(world["admin"]) and not access.is_portal_admin(
        world["reviewer"])


def test_inactive_accounts_see_nothing(world):
    world["reviewer"].is_active = False
    assert access.submissions_visible_to(world["reviewer"]).count() == 0


def test_deadline_locks_the_form_unless_the_unit_has_an_extension(world):
    staff, mine = world["staff"], world["mine"]
    assert access.can_edit_submission(staff, mine, today=DEADLINE)
    assert not access.can_edit_submission(staff, mine, today=DEADLINE + datetime.timedelta(1))
    assert not access.can_edit_submission(world["other"], mine, today=DEADLINE)
    assert not access.can_edit_submission(world["reviewer"], mine, today=DEADLINE)
    Extension.objects.create(period=world["period"], unit=world["tamky"],
                             until=DEADLINE + datetime.timedelta(10))
    assert access.can_edit_submission(staff, mine, today=DEADLINE + datetime.timedelta(5))
    world["period"].status = Period.Status.CLOSED
    world["period"].save()
    assert access.can_edit_submission(staff, mine, today=DEADLINE + datetime.timedelta(5))


def test_submitted_and_approved_returns_are_not_editable(world):
    mine = world["mine"]
    for status in (Submission.Status.SUBMITTED, Submission.Status.RESUBMITTED,
                   Submission.Status.APPROVED):
        mine.status = status
        assert not access.can_edit_submission(world["staff"], mine, today=DEADLINE)


def test_a_returned_submission_opens_only_the_answers_named(world):
    mine = world["mine"]
    mine.status = Submission.Status.RETURNED
    mine.save()
    named = Answer.objects.create(submission=mine, indicator=world["a"], value_number=1,
                                  open_for_correction=True)
    other = Answer.objects.create(submission=mine, indicator=world["b"], value_number=2)
    late = DEADLINE + datetime.timedelta(days=3)  # the office sent it back after the deadline
    assert access.can_edit_answer(world["staff"], named, today=late)
    assert not access.can_edit_answer(world["staff"], other, today=late)
