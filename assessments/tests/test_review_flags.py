"""Data-quality flags (issue 4) on crafted data: far from last year, far from the cohort
(median and MAD, with MAD = 0), a percentage above 100 %, required evidence missing."""

from __future__ import annotations

import pandas as pd
import pytest

from assessments import services
from assessments.flags import compute, robust_z
from assessments.models import ReviewFlag

from .review_data import APPROVED, World, submit

COLUMNS = ["answer_id", "unit_code", "cohort", "indicator_code", "value_type",
           "evidence_required", "evidence_count", "x"]


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def kinds(found, kind):
    return sorted(f.answer_id for f in found if f.kind == kind)


NO_PREVIOUS = pd.DataFrame(columns=["unit_code", "indicator_code", "x0"])


def test_far_from_the_cohort_by_median_and_mad():
    values = [10, 11, 12, 12, 13, 14, 60]
    answers = frame([(i, f"U{i}", "so", "n", "number", False, 1, v)
                     for i, v in enumerate(values)])
    found = compute(answers, NO_PREVIOUS)
    assert kinds(found, "cohort") == [6]
    # the mean and SD rule would miss it: (60 - 18.9) / 17.6 < 3
    series = pd.Series(values, dtype=float)
    assert (series.iloc[-1] - series.mean()) / series.std() < 3


def test_cohorts_and_indicators_are_separate_groups():
    rows = [(i, f"U{i}", "so", "n", "number", False, 1, v)
            for i, v in enumerate([10, 11, 12, 13])]
    rows += [(10 + i, f"H{i}", "huyen", "n", "number", False, 1, v)
             for i, v in enumerate([1000, 1010, 1020, 1030])]
    assert kinds(compute(frame(rows), NO_PREVIOUS), "cohort") == []


def test_mad_zero_falls_back_to_the_mean_absolute_deviation():
    values = [5, 5, 5, 5, 5, 5, 9]  # MAD = 0
    answers = frame([(i, f"U{i}", "so", "n", "number", False, 1, v)
                     for i, v in enumerate(values)])
    z = robust_z(answers["x"], [answers["cohort"], answers["indicator_code"]])
    assert z.iloc[0] == 0 and z.iloc[-1] == pytest.approx(4 / (1.2533 * 4 / 7))
    assert kinds(compute(answers, NO_PREVIOUS), "cohort") == [6]


def test_all_equal_values_and_small_cohorts_are_not_flagged():
    equal = frame([(i, f"U{i}", "so", "n", "number", False, 1, 7.0) for i in range(6)])
    assert kinds(compute(equal, NO_PREVIOUS), "cohort") == []
    small = frame([(i, f"U{i}", "so", "n", "number", False, 1, v)
                   for i, v in enumerate([1, 2, 900])])
    assert kinds(compute(small, NO_PREVIOUS), "cohort") == []


def test_far_from_last_year_beyond_half_up_or_down_and_from_zero():
    answers = frame([(1, "A", "so", "n", "number", False, 1, 150.0),   # +50 %: not flagged
                     (2, "B", "so", "n", "number", False, 1, 151.0),   # +51 %
                     (3, "C", "so", "n", "number", False, 1, 40.0),    # -60 %
                     (4, "D", "so", "n", "number", False, 1, 3.0),     # from 0
                     (5, "E", "so", "n", "number", False, 1, 9.0)])    # no last year
    previous = pd.DataFrame([("A", "n", 100.0), ("B", "n", 100.0), ("C", "n", 100.0),
                             ("D", "n", 0.0)], columns=["unit_code", "indicator_code", "x0"])
    found = compute(answers, previous)
    assert kinds(found, "last_year") == [2, 3, 4]
    assert "100" in next(f.message for f in found if f.answer_id == 2)


def test_percent_above_100_and_missing_evidence():
    answers = frame([(1, "A", "so", "p", "percent", False, 0, 100.0),
                     (2, "B", "so", "p", "percent", False, 0, 100.5),
                     (3, "C", "so", "n", "number", False, 0, 250.0),
                     (4, "D", "so", "b", "boolean", True, 0, 1.0),
                     (5, "E", "so", "b", "boolean", True, 2, 1.0)])
    found = compute(answers, NO_PREVIOUS)
    assert kinds(found, "ratio_100") == [2]
    assert kinds(found, "evidence") == [4]


@pytest.mark.django_db
def test_compute_flags_on_a_period_uses_adjusted_values_and_last_year():
    world = World(units=6)
    for unit, so_may in zip(world.units, [50, 52, 48, 51, 49, 400], strict=True):
        submit(world.period, unit, {"lan": True, "may_tinh": 120 if so_may == 400 else 80,
                                    "vb": "a", "so_may": so_may})
    submit(world.previous, world.units[0], {"so_may": 20, "may_tinh": 80, "lan": True,
                                            "vb": "a"}, status=APPROVED)
    counts = services.compute_flags(period=world.period)
    assert counts["created"] == ReviewFlag.objects.count()
    flags = set(ReviewFlag.objects.values_list("answer__submission__unit__code",
                                               "answer__indicator__code", "kind"))
    assert ("S6", "so_may", "cohort") in flags
    assert ("S6", "may_tinh", "ratio_100") in flags
    assert ("S1", "so_may", "last_year") in flags
    assert ("S1", "lan", "evidence") in flags
    # the reviewer adjusts S6's figure: the cohort flag goes away on recomputation
    answer = world.answer(world.period.submissions.get(unit=world.units[5]), "so_may")
    services.review_answer(answer=answer, verdict="adjusted", adjusted_value="50",
                           comment="Nhập nhầm", reviewer=world.reviewer)
    counts = services.compute_flags(period=world.period)
    assert counts["removed"] == 1
    assert not ReviewFlag.objects.filter(answer=answer, kind="cohort").exists()
