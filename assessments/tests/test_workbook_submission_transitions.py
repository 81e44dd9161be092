"""transition_submission: the submission life cycle of domain.md, every change recorded."""

import pytest
from django.core.exceptions import ValidationError

from assessments.models import Period, Submission, SubmissionTransition, User
from assessments.services import transition_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(period, province):
    return Submission.objects.create(period=period, unit=province["H-A"])


@pytest.fixture
def reviewer(db):
    return User.objects.create_user("reviewer", role=User.Role.REVIEWER)


def history(submission):
    return list(submission.transitions.values_list("from_status", "to_status", "message"))


def test_the_whole_cycle_is_recorded_with_actor_and_message(submission, reviewer):
    transition_submission(submission=submission, to_status="submitted", actor=reviewer)
    assert submission.status == "submitted" and submission.submitted_at is not None
    transition_submission(submission=submission, to_status="returned", actor=reviewer,
                          message="Bổ sung tài liệu cho tiêu chí lan")
    transition_submission(submission=submission, to_status="resubmitted")
    transition_submission(submission=submission, to_status="approved", actor=reviewer)
    submission.refresh_from_db()
    assert submission.status == "approved" and submission.approved_at is not None
    assert submission.version == 5
    assert history(submission) == [
        ("draft", "submitted", ""),
        ("submitted", "returned", "Bổ sung tài liệu cho tiêu chí lan"),
        ("returned", "resubmitted", ""),
        ("resubmitted", "approved", ""),
    ]
    assert SubmissionTransition.objects.filter(actor=reviewer).count() == 3


def test_a_unit_may_recall_a_submitted_return(submission):
    transition_submission(submission=submission, to_status="submitted")
    transition_submission(submission=submission, to_status="draft")
    assert Submission.objects.get().status == "draft"


@pytest.mark.parametrize("start, target", [
    ("draft", "approved"), ("draft", "returned"), ("draft", "resubmitted"),
    ("returned", "approved"), ("returned", "submitted"), ("resubmitted", "draft"),
    ("approved", "draft"), ("approved", "submitted"), ("submitted", "submitted"),
])
def test_illegal_transitions_are_refused_and_not_recorded(submission, start, target):
    Submission.objects.filter(pk=submission.pk).update(status=start)
    with pytest.raises(ValidationError):
        transition_submission(submission=submission, to_status=target, message="x")
    assert Submission.objects.get().status == start
    assert SubmissionTransition.objects.count() == 0


def test_returning_needs_a_message(submission):
    Submission.objects.filter(pk=submission.pk).update(status="submitted")
    with pytest.raises(ValidationError, match="cần có nội dung"):
        transition_submission(submission=submission, to_status="returned", message="  ")


def test_an_approved_submission_reopens_only_explicitly_with_a_reason(submission, reviewer):
    Submission.objects.filter(pk=submission.pk).update(status="approved")
    with pytest.raises(ValidationError, match="mở lại có lý do"):
        transition_submission(submission=submission, to_status="returned", message="Sai số liệu")
    with pytest.raises(ValidationError, match="cần có nội dung"):
        transition_submission(submission=submission, to_status="returned", reopen=True)
    transition_submission(submission=submission, to_status="returned", reopen=True,
                          actor=reviewer, message="Phúc khảo: sai số liệu máy tính")
    submission.refresh_from_db()
    assert submission.status == "returned" and submission.approved_at is None
    assert history(submission) == [("approved", "returned", "Phúc khảo: sai số liệu máy tính")]


def test_a_published_period_refuses_every_change(submission):
    Period.objects.filter(pk=submission.period_id).update(status=Period.Status.PUBLISHED)
    with pytest.raises(ValidationError, match="đã công bố"):
        transition_submission(submission=submission, to_status="submitted")
    assert Submission.objects.get().status == "draft"
