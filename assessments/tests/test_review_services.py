"""Review services (issue 4): verdicts, return naming answers, approve, reopen, bulk
approve, adjusted values change the score, the diff after resubmission, e-mails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from assessments import services
from assessments.models import Answer, AnswerChange, Review, Submission
from assessments.review_selectors import (
    changes_since_return,
    progress_board,
    submission_points,
    timeline,
)
from rankings.models import UnitResult
from rankings.services import compute_snapshot

from .review_data import APPROVED, FAIR, FULL, World, submit

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def handed_in(world):
    return submit(world.period, world.units[0], FAIR, actor=world.staff)


def test_adjusted_verdict_needs_a_comment_and_a_value(world, handed_in):
    answer = world.answer(handed_in, "may_tinh")
    with pytest.raises(ValidationError, match="ý kiến"):
        services.review_answer(answer=answer, verdict="adjusted", adjusted_value="80",
                               comment="", reviewer=world.reviewer)
    with pytest.raises(ValidationError, match="cần nhập giá trị"):
        services.review_answer(answer=answer, verdict="adjusted", adjusted_value="",
                               comment="Theo báo cáo quý", reviewer=world.reviewer)
    with pytest.raises(ValidationError, match="ý kiến"):
        services.review_answer(answer=answer, verdict="needs_info", comment=" ",
                               reviewer=world.reviewer)
    answer.refresh_from_db()
    assert answer.verdict == "" and not AnswerChange.objects.exists()


def test_adjusted_value_is_recorded_and_changes_the_score(world, handed_in):
    before = submission_points(handed_in)
    assert before.by_indicator["may_tinh"][0] == pytest.approx(20)
    assert before.score == pytest.approx(60)
    services.review_answer(answer=world.answer(handed_in, "may_tinh"), verdict="adjusted",
                           adjusted_value="75", comment="Đối chiếu số liệu kiểm kê",
                           reviewer=world.reviewer)
    change = AnswerChange.objects.get(field="adjusted")
    assert (change.source, change.old, change.new, change.actor) == (
        "review", "", "75", world.reviewer)
    after = submission_points(handed_in)
    assert after.by_indicator["may_tinh"][0] == pytest.approx(30)
    assert after.score == pytest.approx(70)
    services.approve_submission(submission=handed_in, reviewer=world.reviewer)
    snapshot = compute_snapshot(period=world.period)
    assert UnitResult.objects.get(snapshot=snapshot, unit=world.units[0]).score == 70
    assert submission_points(handed_in).source.startswith("lần tính")


def test_return_opens_only_the_named_answers_and_needs_a_message(world, handed_in):
    lan, vb = world.answer(handed_in, "lan"), world.answer(handed_in, "vb")
    with pytest.raises(ValidationError, match="nội dung"):
        services.return_submission(submission=handed_in, answers=[lan], message="",
                                   reviewer=world.reviewer)
    with pytest.raises(ValidationError, match="ít nhất một"):
        services.return_submission(submission=handed_in, answers=[], message="Sửa",
                                   reviewer=world.reviewer)
    review = services.return_submission(submission=handed_in, answers=[lan],
                                        message="Bổ sung quyết định LAN",
                                        reviewer=world.reviewer)
    handed_in.refresh_from_db()
    assert handed_in.status == Submission.Status.RETURNED
    assert review.outcome == Review.Outcome.RETURNED
    assert list(review.answers.all()) == [lan]
    assert set(Answer.objects.filter(submission=handed_in, open_for_correction=True)) == {lan}
    vb.refresh_from_db()
    assert not vb.open_for_correction
    assert handed_in.transitions.last().message == "Bổ sung quyết định LAN"


def test_return_refuses_answers_of_another_submission(world, handed_in):
    other = submit(world.period, world.units[1], FULL)
    with pytest.raises(ValidationError, match="không thuộc"):
        services.return_submission(submission=handed_in, answers=[world.answer(other, "lan")],
                                   message="Sửa", reviewer=world.reviewer)
    handed_in.refresh_from_db()
    assert handed_in.status == Submission.Status.SUBMITTED


def test_after_resubmission_the_reviewer_sees_only_what_changed(world, handed_in):
    services.return_submission(submission=handed_in,
                               answers=[world.answer(handed_in, "may_tinh")],
                               message="Kiểm tra lại tỷ lệ", reviewer=world.reviewer)
    answer = world.answer(handed_in, "may_tinh")
    # a change before the return does not count; the unit's change after it does
    AnswerChange.objects.create(answer=world.answer(handed_in, "vb"), field="value", old="a",
                                new="b", source="form", actor=world.staff,
                                at=handed_in.reviews.get().at.replace(year=2020))
    AnswerChange.objects.create(answer=answer, field="value", old="50", new="65",
                                source="form", actor=world.staff)
    answer.value_number = 65
    answer.save()
    services.transition_submission(submission=handed_in, to_status="resubmitted",
                                   actor=world.staff)
    review, changes = changes_since_return(handed_in)
    assert review.message == "Kiểm tra lại tỷ lệ"
    assert [(c.answer.indicator.code, c.old, c.new) for c in changes] == [
        ("may_tinh", "50", "65")]


def test_approve_locks_and_needs_info_blocks(world, handed_in):
    services.review_answer(answer=world.answer(handed_in, "lan"), verdict="needs_info",
                           comment="Thiếu quyết định", reviewer=world.reviewer)
    with pytest.raises(ValidationError, match="cần bổ sung"):
        services.approve_submission(submission=handed_in, reviewer=world.reviewer)
    services.review_answer(answer=world.answer(handed_in, "lan"), verdict="accepted",
                           reviewer=world.reviewer)
    services.approve_submission(submission=handed_in, reviewer=world.reviewer)
    handed_in.refresh_from_db()
    assert handed_in.status == APPROVED
    assert set(handed_in.answers.values_list("verdict", flat=True)) == {"accepted"}
    with pytest.raises(ValidationError, match="Đã duyệt"):
        services.review_answer(answer=world.answer(handed_in, "vb"), verdict="accepted",
                               reviewer=world.reviewer)
    with pytest.raises(ValidationError):
        services.approve_submission(submission=handed_in, reviewer=world.reviewer)


def test_reopen_is_explicit_with_a_reason(world, handed_in):
    services.approve_submission(submission=handed_in, reviewer=world.reviewer)
    lan = world.answer(handed_in, "lan")
    with pytest.raises(ValidationError, match="nội dung"):
        services.reopen_submission(submission=handed_in, reason="", answers=[lan],
                                   reviewer=world.reviewer)
    with pytest.raises(ValidationError, match="Không thể trả lại"):
        services.return_submission(submission=handed_in, answers=[lan], message="Sửa",
                                   reviewer=world.reviewer)
    review = services.reopen_submission(submission=handed_in, reason="Phát hiện sai sót",
                                        answers=[lan], reviewer=world.reviewer)
    handed_in.refresh_from_db()
    assert handed_in.status == Submission.Status.RETURNED
    assert review.outcome == Review.Outcome.REOPENED


def test_bulk_approve_only_clean_submissions(world, handed_in):
    clean = submit(world.period, world.units[1], FULL)
    from assessments.models import EvidenceBlob, EvidenceFile

    blob = EvidenceBlob.objects.create(sha256="a" * 64, file="evidence/aa/x", size=1,
                                       content_type="application/pdf")
    for submission in (clean, handed_in):
        EvidenceFile.objects.create(answer=world.answer(submission, "lan"), blob=blob,
                                    original_name="qd.pdf")
    services.review_answer(answer=world.answer(handed_in, "vb"), verdict="needs_info",
                           comment="Chưa rõ", reviewer=world.reviewer)
    with pytest.raises(ValidationError, match="S1"):
        services.bulk_approve(submissions=[clean, handed_in], reviewer=world.reviewer)
    clean.refresh_from_db()
    assert clean.status == Submission.Status.SUBMITTED
    services.bulk_approve(submissions=[clean], reviewer=world.reviewer)
    clean.refresh_from_db()
    assert clean.status == APPROVED


def test_emails_for_return_and_approval_go_to_the_unit(world, handed_in,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.return_submission(submission=handed_in,
                                   answers=[world.answer(handed_in, "lan")],
                                   message="Bổ sung quyết định", reviewer=world.reviewer)
    assert [m.to for m in mail.outbox] == [["s1@example.org"]]
    assert "Bổ sung quyết định" in mail.outbox[0].body and "lan" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_submission(submission=handed_in, to_status="resubmitted",
                                       actor=world.staff)
    assert sorted(mail.outbox[1].to + mail.outbox[2].to) == ["ad@example.org",
                                                             "rv@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_submission(submission=handed_in, reviewer=world.reviewer)
    assert mail.outbox[-1].to == ["s1@example.org"] and "duyệt" in mail.outbox[-1].subject


def test_timeline_lists_transitions_reviews_and_adjustments(world, handed_in):
    services.review_answer(answer=world.answer(handed_in, "may_tinh"), verdict="adjusted",
                           adjusted_value="70", comment="Theo kiểm kê",
                           reviewer=world.reviewer)
    services.return_submission(submission=handed_in, answers=[world.answer(handed_in, "lan")],
                               message="Bổ sung LAN", reviewer=world.reviewer)
    kinds = [(e.kind, e.actor) for e in timeline(handed_in)]
    assert ("transition", "s1") in kinds
    assert ("review", "rv") in kinds
    assert ("change", "rv") in kinds
    review_event = next(e for e in timeline(handed_in) if e.kind == "review")
    assert review_event.text == "Bổ sung LAN" and review_event.items[0].startswith("lan.")


def test_board_statuses_completeness_and_deadline(world, handed_in):
    import datetime

    submit(world.period, world.units[1], {"lan": True}, status=Submission.Status.DRAFT)
    board = progress_board(world.period, today=datetime.date(2026, 1, 12))
    rows = {r.unit_code: r for r in board.rows}
    assert rows["S1"].status == "submitted" and (rows["S1"].given, rows["S1"].required) == (
        4, 4)
    assert rows["S2"].status == "draft" and rows["S2"].given == 1
    assert rows["S3"].status == "not_started" and rows["S3"].days_past == 2
    assert rows["S1"].evidence_missing == 1
    assert board.counts["not_started"] == 2 and board.counts["submitted"] == 1
    filtered = progress_board(world.period, status="draft")
    assert [r.unit_code for r in filtered.rows] == ["S2"]
    assert filtered.counts["not_started"] == 2
