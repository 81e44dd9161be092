"""compute_snapshot: engine inputs from the database, stored results, digests, comparison."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Answer, CriterionGroup, Indicator, Submission
from rankings.engine import TOTAL_NODE, compute
from rankings.inputs import engine_inputs
from rankings.models import GroupResult, IndicatorResult, RankingSnapshot, UnitResult
from rankings.services import compute_snapshot, publish_snapshot

from .conftest import FAIR, FULL, GOOD, POOR

pytestmark = pytest.mark.django_db


def units_by_code(snapshot):
    return {r.unit.code: r for r in snapshot.unit_results.select_related("unit")}


def group_results(snapshot, group_code):
    return {r.unit.code: r for r in GroupResult.objects.filter(snapshot=snapshot,
                                                               group__code=group_code)
            .select_related("unit")}


def test_compute_stores_totals_ranks_and_bands_per_cohort(period_2017):
    snapshot = compute_snapshot(period=period_2017, note="thử")
    results = units_by_code(snapshot)

    assert (results["STTTT"].score, results["STTTT"].rank, results["STTTT"].band) == (100, 1,
                                                                                      "Tốt")
    assert (results["STC"].score, results["STC"].rank, results["STC"].band) == (95, 2, "Tốt")
    assert (results["SXD"].score, results["SXD"].rank) == (60, 3)
    assert results["SXD"].band == "Trung bình"
    # districts are ranked apart from departments
    assert (results["TAMKY"].rank, results["DAILOC"].rank) == (1, 2)
    assert results["DAILOC"].band == "Yếu"
    assert results["DAILOC"].cohort.code == "huyen"
    assert snapshot.number == 1
    assert snapshot.framework_code == "F-2017"
    assert snapshot.units_count == 5
    assert snapshot.note == "thử"
    assert snapshot.published_at is None and not snapshot.is_public


def test_compute_stores_exactly_what_the_engine_returns(period_2017):
    inputs = engine_inputs(period_2017)
    expected = compute(inputs.framework, inputs.units, inputs.values, inputs.previous)
    snapshot = compute_snapshot(period=period_2017)

    stored = units_by_code(snapshot)
    for row in expected.units.itertuples():
        unit = stored[row.unit_code]
        assert unit.assessed
        assert unit.score == row.score and unit.score_exact == row.score_exact
        assert unit.rank == row.rank and unit.max_score == row.max_score
        assert unit.band == row.band
    groups = {(g.unit.code, g.group.code): g for g in
              GroupResult.objects.filter(snapshot=snapshot).select_related("unit", "group")}
    assert len(groups) == len(expected.groups) == 5 * 4
    for row in expected.groups.itertuples():
        group = groups[(row.unit_code, row.group_code)]
        assert (group.score, group.rank, group.max_score) == (row.score, row.rank,
                                                              row.max_score)
        assert math.isclose(group.fraction, row.fraction)
    indicators = {(i.unit.code, i.indicator.code): i for i in IndicatorResult.objects.filter(
        snapshot=snapshot).select_related("unit", "indicator")}
    assert len(indicators) == len(expected.indicators) == 5 * 4
    assert indicators[("STC", "may_tinh")].points == 15
    assert indicators[("STC", "may_tinh")].value_number == 75
    assert indicators[("STC", "vb")].value_text == "a"
    assert indicators[("STC", "lan")].value_number == 1
    assert group_results(snapshot, "HT")["STC"].score == 35
    assert group_results(snapshot, "UD")["SXD"].score == 30


def test_units_without_an_approved_submission_are_listed_not_assessed(period_2017):
    snapshot = compute_snapshot(period=period_2017)
    results = units_by_code(snapshot)

    # submitted but not approved, and no submission at all
    for code in ("SNV", "SYT"):
        assert results[code].assessed is False
        assert results[code].score is None and results[code].rank is None
        assert results[code].band == ""
        assert not GroupResult.objects.filter(snapshot=snapshot, unit__code=code).exists()
    # an inactive unit is not listed at all, even with an approved submission
    assert "SCU" not in results
    assert set(results) == {"STTTT", "STC", "SXD", "SNV", "SYT", "TAMKY", "DAILOC"}


def test_the_reviewers_adjusted_value_is_scored(period_2017):
    snapshot = compute_snapshot(period=period_2017)
    # Tam Kỳ answered FAIR (60) but the reviewer adjusted three answers (95)
    assert units_by_code(snapshot)["TAMKY"].score == 95
    value = IndicatorResult.objects.get(snapshot=snapshot, unit__code="TAMKY",
                                        indicator__code="vb")
    assert value.value_text == "a"


def test_engine_inputs_are_typed_by_value_type_in_a_fixed_number_of_queries(period_2017,
                                                                             build, cohorts):
    with CaptureQueriesContext(connection) as few:
        inputs = engine_inputs(period_2017)
    values = {(r.unit_code, r.indicator_code): r.value for r in inputs.values.itertuples()}
    assert values[("STC", "lan")] is True
    assert values[("DAILOC", "lan")] is False
    assert isinstance(values[("STC", "may_tinh")], float)
    assert values[("STC", "vb")] == "a"
    assert values[("TAMKY", "dvc")] == 100.0  # adjusted
    assert sorted(inputs.units["unit_code"]) == ["DAILOC", "STC", "STTTT", "SXD", "TAMKY"]
    assert inputs.previous is None

    for i in range(30):
        unit = build.unit(f"X{i}", f"Xã {i}", cohorts[1])
        build.submit(period_2017, unit, FULL)
    with CaptureQueriesContext(connection) as many:
        engine_inputs(period_2017)
    assert len(many) == len(few)


def test_a_missing_answer_is_none_and_an_empty_adjustment_is_missing(period_2017, build,
                                                                     cohorts):
    unit = build.unit("SCT", "Sở Công Thương", cohorts[0])
    build.submit(period_2017, unit, {"lan": True, "dvc": 50}, adjusted={"dvc": None})
    inputs = engine_inputs(period_2017)
    values = {(r.unit_code, r.indicator_code): r.value for r in inputs.values.itertuples()}
    assert values[("SCT", "dvc")] is None
    assert ("SCT", "may_tinh") not in values
    snapshot = compute_snapshot(period=period_2017)
    assert units_by_code(snapshot)["SCT"].score == 20  # missing = zero


def test_same_inputs_give_the_same_digest_and_a_new_number(period_2017):
    first = compute_snapshot(period=period_2017)
    second = compute_snapshot(period=period_2017)
    assert (first.number, second.number) == (1, 2)
    assert first.inputs_digest == second.inputs_digest
    assert len(first.inputs_digest) == 64

    answer = Answer.objects.get(submission__unit__code="SXD", indicator__code="dvc")
    answer.value_number = 100
    answer.save()
    third = compute_snapshot(period=period_2017)
    assert third.inputs_digest != first.inputs_digest
    assert units_by_code(third)["SXD"].score == 75
    assert units_by_code(first)["SXD"].score == 60  # earlier snapshots are untouched


def test_compute_refuses_a_period_without_approved_submissions(build, cohorts):
    period = build.period("2018", build.standard_framework("F-2018"), cohorts)
    unit = build.unit("A", "Sở A", cohorts[0])
    build.submit(period, unit, FULL, status=Submission.Status.SUBMITTED)
    with pytest.raises(ValidationError, match="chưa có phiếu báo cáo nào được duyệt"):
        compute_snapshot(period=period)
    assert not RankingSnapshot.objects.exists()


def test_compute_with_an_invalid_framework_writes_nothing(period_2017):
    CriterionGroup.objects.create(framework=period_2017.framework, code="RONG",
                                  name="Nhóm không có tiêu chí")
    with pytest.raises(ValidationError, match="F-2017"):
        compute_snapshot(period=period_2017)
    assert not RankingSnapshot.objects.exists()
    assert not UnitResult.objects.exists()


def test_rank_change_compares_with_the_previous_public_snapshot_across_frameworks(build,
                                                                                cohorts):
    """2016 on another framework (other rows, other tree, group codes HT and UD shared)."""
    so, _huyen = cohorts
    old = build.standard_framework("F-2016", name="Bộ tiêu chí 2016")
    CriterionGroup.objects.filter(framework=old, code="UD_VB").update(code="UD_VANBAN")
    units = [build.unit(code, name, so) for code, name in
             [("A", "Sở A"), ("B", "Sở B"), ("C", "Sở C"), ("D", "Sở D")]]
    p2016 = build.period("2016", old, [so])
    # 2016: A 25, B 60, C 95; D not assessed
    for unit, values in zip(units, [POOR, FAIR, GOOD], strict=False):
        build.submit(p2016, unit, values)
    publish_snapshot(snapshot=compute_snapshot(period=p2016))
    # a later 2016 preview with other ranks must not be used: only the public snapshot counts
    Answer.objects.filter(submission__period=p2016, submission__unit__code="A").update(
        value_number=100, value_text="a")
    compute_snapshot(period=p2016)

    p2017 = build.period("2017", build.standard_framework("F-2017"), [so], previous=p2016)
    # 2017: A 100 (from 3rd to 1st), D 95 (new), B 60 (from 2nd to 3rd), C 25 (1st to 4th)
    for unit, values in zip(units, [FULL, FAIR, POOR, GOOD], strict=True):
        build.submit(p2017, unit, values)
    snapshot = compute_snapshot(period=p2017)
    totals = units_by_code(snapshot)

    assert [(totals[c].previous_rank, totals[c].rank, totals[c].rank_change)
            for c in "ABCD"] == [(3, 1, 2), (2, 3, -1), (1, 4, -3), (None, 2, None)]
    ht = group_results(snapshot, "HT")
    # HT 2016: A 10, B 30, C 35 -> 3, 2, 1; 2017: A 40, B 30, C 10, D 35 -> 1, 3, 4, 2
    assert [(ht[c].previous_rank, ht[c].rank, ht[c].rank_change) for c in "ABCD"] == [
        (3, 1, 2), (2, 3, -1), (1, 4, -3), (None, 2, None)]
    # UD_VB exists only in 2017 (2016 called it UD_VANBAN): no previous rank
    vb = group_results(snapshot, "UD_VB")
    assert all(vb[c].previous_rank is None and vb[c].rank_change is None for c in "ABCD")


def test_previous_ranks_change_the_digest(build, cohorts):
    so, _ = cohorts
    a = build.unit("A", "Sở A", so)
    b = build.unit("B", "Sở B", so)
    p2016 = build.period("2016", build.standard_framework("F-2016"), [so])
    build.submit(p2016, a, FULL)
    build.submit(p2016, b, POOR)
    p2017 = build.period("2017", build.standard_framework("F-2017"), [so], previous=p2016)
    build.submit(p2017, a, FULL)
    build.submit(p2017, b, POOR)
    before = compute_snapshot(period=p2017)
    publish_snapshot(snapshot=compute_snapshot(period=p2016))
    after = compute_snapshot(period=p2017)
    assert before.inputs_digest != after.inputs_digest
    inputs = engine_inputs(p2017)
    assert set(inputs.previous["node"]) == {TOTAL_NODE, "HT", "UD", "UD_DVC", "UD_VB"}


def test_answers_to_an_indicator_not_applying_to_the_cohort_are_ignored(period_2017):
    Indicator.objects.filter(code="vb").update(applies_to="so")
    snapshot = compute_snapshot(period=period_2017)
    results = units_by_code(snapshot)
    assert results["TAMKY"].score == 65  # 20 + 15 + 30, out of 70 points of its tree
    assert not IndicatorResult.objects.filter(snapshot=snapshot, unit__code="TAMKY",
                                              indicator__code="vb").exists()
