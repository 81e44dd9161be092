"""Two computations, two publications, two ``compute_rankings --publish`` of one period at
once: the second waits for the first (the period's row lock) and the end state is exactly
that of running them one after the other — one public snapshot, numbers 1, 2, ... — never
both half applied. PostgreSQL only (see ``assessments/tests/concurrency.py``).
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.models import Period
from assessments.tests.concurrency import POSTGRES_ONLY, run_overlapping
from rankings.models import GroupResult, IndicatorResult, RankingSnapshot, UnitResult
from rankings.services import compute_snapshot, publish_snapshot

pytestmark = [POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def results(snapshot: RankingSnapshot) -> list:
    return sorted(UnitResult.objects.filter(snapshot=snapshot).values_list(
        "unit__code", "assessed", "score_exact", "rank", "band"))


def test_two_computations_of_one_period_get_numbers_one_and_two(period_2017):
    run = run_overlapping(lambda: compute_snapshot(period=period_2017),
                          lambda: compute_snapshot(period=period_2017),
                          pause_in="rankings.services._run_engine")

    assert run.errors == []
    assert run.second_waited, "the second computation must wait for the period's lock"
    assert sorted(o.value.number for o in run.outcomes) == [1, 2]
    one, two = RankingSnapshot.objects.filter(period=period_2017).order_by("number")
    assert one.inputs_digest == two.inputs_digest
    assert results(one) == results(two) and len(results(one)) == 7
    for model in (UnitResult, GroupResult, IndicatorResult):
        assert (model.objects.filter(snapshot=one).count()
                == model.objects.filter(snapshot=two).count() > 0)


def test_two_publications_of_one_snapshot_publish_it_once(period_2017, django_user_model):
    snapshot = compute_snapshot(period=period_2017)
    first = django_user_model.objects.create_user("reviewer-1", role="reviewer")
    second = django_user_model.objects.create_user("reviewer-2", role="reviewer")

    run = run_overlapping(lambda: publish_snapshot(snapshot=snapshot, actor=first),
                          lambda: publish_snapshot(snapshot=snapshot, actor=second),
                          pause_in="rankings.services._locked_period", after=True)

    assert run.second_waited
    assert run.first.error is None
    assert isinstance(run.second.error, ValidationError)
    assert "đã được công bố" in run.second.error.messages[0]
    snapshot.refresh_from_db()
    assert snapshot.is_public and snapshot.published_by == first
    assert RankingSnapshot.objects.filter(period=period_2017, is_public=True).count() == 1


def test_two_publications_of_one_period_leave_one_public_snapshot(period_2017):
    """Snapshots 1 and 2 published at once without a note: whichever comes second would
    replace a publication without saying why, so it is refused, as it is when run after."""
    one = compute_snapshot(period=period_2017)
    two = compute_snapshot(period=period_2017)

    run = run_overlapping(lambda: publish_snapshot(snapshot=one),
                          lambda: publish_snapshot(snapshot=two),
                          pause_in="rankings.services._locked_period", after=True)

    assert run.second_waited and run.first.error is None
    assert "ghi chú" in " ".join(run.second.error.messages)
    assert list(RankingSnapshot.objects.filter(period=period_2017, is_public=True)
                .values_list("number", flat=True)) == [1]
    two.refresh_from_db()
    assert two.published_at is None
    period_2017.refresh_from_db()
    assert period_2017.status == Period.Status.PUBLISHED


def _command(*args):
    return lambda: call_command("compute_rankings", "--period", "2017", *args,
                                stdout=io.StringIO(), stderr=io.StringIO())


def test_two_compute_rankings_publish_at_once_keep_one_snapshot(period_2017):
    """The second run computes after the first published, then may not replace it without
    a note: its whole run (computation included) is undone."""
    run = run_overlapping(_command("--publish"), _command("--publish"),
                          pause_in="rankings.services._run_engine")

    assert run.second_waited and run.first.error is None
    assert isinstance(run.second.error, CommandError)
    assert list(RankingSnapshot.objects.filter(period=period_2017)
                .values_list("number", "is_public")) == [(1, True)]


def test_two_compute_rankings_publish_with_a_note_publish_one_after_the_other(period_2017):
    run = run_overlapping(_command("--publish", "--note", "Lần 1"),
                          _command("--publish", "--note", "Đính chính"),
                          pause_in="rankings.services._run_engine")

    assert run.errors == [] and run.second_waited
    snapshots = list(RankingSnapshot.objects.filter(period=period_2017).order_by("number"))
    assert [(s.number, s.is_public, s.published_at is not None) for s in snapshots] == [
        (1, False, True), (2, True, True)]
    assert [s.note for s in snapshots] == ["Lần 1", "Đính chính"]
    assert results(snapshots[0]) == results(snapshots[1])
