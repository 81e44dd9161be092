"""Two imports of one period, two staff on one return, two starts of one return — at once.

Each test runs the two calls in two threads (two PostgreSQL connections), the second one
started while the first holds its locks (see ``concurrency.py``), and checks that the
second one waited, and that the end state is exactly the outcome of running them one after
the other: never both half applied. PostgreSQL only (SQLite has no row locks and one writer).
"""

from __future__ import annotations

import pytest

from assessments import services
from assessments.models import (
    AnswerChange,
    ImportRecord,
    Period,
    Submission,
    SubmissionTransition,
)

from . import returns_support
from .concurrency import POSTGRES_ONLY, run_overlapping
from .factories import write_xlsx

pytestmark = [POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]

people = returns_support.people  # unit staff of SO-TTTT (two), reviewers: a fixture

FIRST = {"returns": [["unit_code", "may_tinh", "lan"], ["H-A", 12, "có"],
                     ["SO-GD", 30, "không"]]}
SECOND = {"returns": [["unit_code", "may_tinh", "lan"], ["H-A", 15, "có"],
                      ["SO-TTTT", 40, "có"]]}


def period_state(period: Period) -> dict:
    """What the imports of ``period`` wrote, comparable between two periods."""
    submissions = Submission.objects.filter(period=period)
    return {
        "submissions": sorted(submissions.values_list("unit__code", "status", "version")),
        "answers": sorted(submissions.values_list(
            "unit__code", "answers__indicator__code", "answers__value_number",
            "answers__value_text", "answers__explanation")),
        "transitions": sorted(SubmissionTransition.objects.filter(
            submission__period=period).values_list("submission__unit__code", "from_status",
                                                   "to_status")),
        "imports": ImportRecord.objects.filter(period=period).count(),
    }


def test_two_imports_of_one_period_run_one_after_the_other(period, tmp_path):
    first = write_xlsx(tmp_path / "first.xlsx", FIRST)
    second = write_xlsx(tmp_path / "second.xlsx", SECOND)

    run = run_overlapping(lambda: services.import_returns(period=period, source=first),
                          lambda: services.import_returns(period=period, source=second),
                          pause_in="assessments.services.read_returns")

    assert run.errors == []
    assert run.second_waited, "the second import must wait for the period's lock"
    # The same two files imported one after the other into a twin period.
    twin = services.create_period(code="2018", framework=period.framework,
                                  cohorts=["depts", "districts"])
    services.import_returns(period=twin, source=first)
    services.import_returns(period=twin, source=second)
    assert period_state(period) == period_state(twin)
    assert ("H-A", "submitted", 2) in period_state(period)["submissions"]


def test_an_import_waits_for_an_approving_import_and_is_then_refused(period, tmp_path):
    """The first import approves H-A's return: the second, naming H-A, then finds it locked
    and writes nothing (as it would after it)."""
    first = write_xlsx(tmp_path / "first.xlsx", FIRST)
    second = write_xlsx(tmp_path / "second.xlsx", SECOND)

    run = run_overlapping(
        lambda: services.import_returns(period=period, source=first, approve=True),
        lambda: services.import_returns(period=period, source=second),
        pause_in="assessments.services.read_returns")

    assert run.first.error is None and run.second_waited
    assert "đã được duyệt (khoá)" in " ".join(run.second.error.messages)
    twin = services.create_period(code="2018", framework=period.framework,
                                  cohorts=["depts", "districts"])
    services.import_returns(period=twin, source=first, approve=True)
    assert period_state(period) == period_state(twin)
    assert ImportRecord.objects.filter(period=period).count() == 1


def test_two_staff_saving_one_return_at_once_one_is_told_of_the_conflict(people, period,
                                                                          province):
    return_ = services.start_submission(period=period, unit=province["SO-TTTT"],
                                        actor=people["staff"])
    version = return_.version

    def save(user, value):
        return lambda: services.save_answers(
            submission=Submission.objects.get(pk=return_.pk), actor=user,
            data={"may_tinh": {"value": value}}, expected_version=version)

    run = run_overlapping(save(people["staff"], "10"), save(people["colleague"], "20"),
                          pause_in="assessments.services.form_indicators")

    assert run.second_waited
    assert run.first.error is None and run.first.value.version == version + 1
    assert isinstance(run.second.error, services.SubmissionConflict)
    return_.refresh_from_db()
    assert return_.version == version + 1
    answer = return_.answers.get(indicator__code="may_tinh")
    assert answer.value_number == 10
    assert list(AnswerChange.objects.filter(answer=answer).values_list("old", "new")) == [
        ("", "10")]


def test_two_staff_starting_one_return_at_once_get_the_same_one(people, period, province):
    unit = province["SO-TTTT"]

    run = run_overlapping(
        lambda: services.start_submission(period=period, unit=unit, actor=people["staff"]),
        lambda: services.start_submission(period=period, unit=unit, actor=people["colleague"]),
        pause_in="assessments.access.can_start_submission")

    assert run.errors == []
    assert run.second_waited, "the second start must wait for the first"
    assert run.first.value.pk == run.second.value.pk
    assert Submission.objects.filter(period=period, unit=unit).count() == 1
    assert SubmissionTransition.objects.filter(submission__unit=unit).count() == 1
