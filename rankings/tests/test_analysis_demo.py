"""The analysis on the demo (issue 6's "done when"): why Cao Bằng fell four places in
internal IT application in 2017, online public services at twice the weight, how robust
the top ten are; the whatif command; saved scenarios; the comparable series.

The demo is loaded once for the module inside a transaction rolled back at the end.
"""

from __future__ import annotations

import io
import math

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from assessments.models import Indicator, Period, Unit
from rankings import analysis_services as analysis
from rankings.models import IndicatorCrosswalk, RankingSnapshot, Scenario, UnitResult

pytestmark = pytest.mark.django_db

CAO_BANG = "VN-CAOBANG"
INTERNAL_IT = "UDNB"   # Ứng dụng CNTT trong hoạt động nội bộ
ONLINE_SERVICES = "DVC"  # Cung cấp dịch vụ công trực tuyến, weight 0.25
DOUBLE_DVC = {"groups": {ONLINE_SERVICES: {"weight": 0.5}}}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def mic2017(demo):
    return Period.objects.select_related("framework").get(code="MIC-2017")


@pytest.fixture
def cao_bang(demo):
    return Unit.objects.get(code=CAO_BANG)


def test_why_cao_bang_fell_four_places_in_internal_it_application(mic2017, cao_bang):
    result = analysis.explain_rank_change(unit=cao_bang, period=mic2017, node=INTERNAL_IT)
    assert (result.rank_previous, result.rank_now) == (54, 58)
    assert result.change < 0
    assert math.fsum(result.items["points"]) == pytest.approx(result.change, abs=1e-12)
    # the same framework for the group both years: only its three answers moved, all down
    assert set(result.items["kind"]) == {"value"}
    assert set(result.items["code"]) == {"nb_email", "nb_edocs", "nb_docmgmt"}
    assert (result.items["points"] < 0).all()
    # four provinces passed it, it passed none
    assert len(result.passed_by) == 4 and result.passed.empty
    assert set(result.passed_by["unit_code"]) == {"VN-LANGSON", "VN-LAICHAU", "VN-GIALAI",
                                                  "VN-KONTUM"}


def test_the_reviewer_preview_is_explained_from_a_given_snapshot(mic2017, cao_bang):
    snapshot = RankingSnapshot.objects.get(period=mic2017, is_public=True)
    result = analysis.explain_rank_change(unit=cao_bang, period=mic2017, node="HT",
                                          snapshot=snapshot)
    assert (result.rank_previous, result.rank_now) == (57, 43)
    assert len(result.passed) - len(result.passed_by) == 14  # 57 → 43
    with pytest.raises(ValueError):
        analysis.explain_rank_change(unit=cao_bang, period=mic2017, snapshot=RankingSnapshot
                                     .objects.get(period__code="MIC-2016", is_public=True))


def test_cao_bang_total_change_is_not_decomposed_without_a_2016_total(mic2017, cao_bang):
    result = analysis.explain_rank_change(unit=cao_bang, period=mic2017)
    assert result.reason == "missing" and result.rank_previous is None
    assert result.rank_now == 56
    by_group = {g["group_code"]: (g["previous_rank"], g["rank"]) for g in result.groups}
    assert by_group["HT"] == (57, 43) and by_group[INTERNAL_IT] == (54, 58)
    assert by_group[ONLINE_SERVICES] == (None, 18)


def test_no_explanation_without_a_comparison_period(demo, cao_bang):
    assert analysis.explain_rank_change(unit=cao_bang,
                                        period=Period.objects.get(code="MIC-2016")) is None


def test_the_official_scenario_is_the_published_snapshot(mic2017):
    result = analysis.period_whatif(period=mic2017, changes={})
    stored = {r.unit.code: (r.score, r.rank) for r in UnitResult.objects.filter(
        snapshot__period=mic2017, snapshot__is_public=True, assessed=True).select_related("unit")}
    assert {row.unit_code: (row.score, row.rank) for row in result.units.itertuples()} == stored
    assert (result.units["shift"] == 0).all()


def test_online_services_at_twice_the_weight(mic2017):
    before = RankingSnapshot.objects.get(period=mic2017, is_public=True).inputs_digest
    result = analysis.period_whatif(period=mic2017, changes=DOUBLE_DVC)
    table = result.units.set_index("unit_code")
    assert table.loc[CAO_BANG, "official_rank"] == 56
    assert table.loc[CAO_BANG, "rank"] == 38 and table.loc[CAO_BANG, "shift"] == 18
    assert (table["shift"] != 0).sum() == 52
    assert table.loc["VN-LAOCAI", "rank"] == 1
    # the official snapshot is untouched
    assert RankingSnapshot.objects.get(period=mic2017, is_public=True).inputs_digest == before


def test_robustness_of_the_top_ten(mic2017):
    result = analysis.period_robustness(period=mic2017, weight_range=0.25, draws=300, seed=0)
    top = result.units.head(10)
    assert top["official_rank"].tolist() == list(range(1, 11))
    assert (top["p05"] <= top["median_rank"]).all() and (top["median_rank"] <= top["p95"]).all()
    assert top.iloc[0]["unit_code"] == "VN-LAOCAI" and top.iloc[0]["width"] == 0
    assert top["width"].max() <= 5  # the leaders stay near their ranks
    assert result.average_shift > 0
    still = analysis.period_robustness(period=mic2017, weight_range=0, draws=20,
                                       aggregation_switch=False)
    assert (still.units["width"] == 0).all()
    assert (still.units["median_rank"] == still.units["official_rank"]).all()
    with pytest.raises(ValidationError):
        analysis.period_robustness(period=mic2017, weight_range=1.5, draws=10)


def test_improvements_of_cao_bang(mic2017, cao_bang):
    result = analysis.unit_improvements(unit=cao_bang, period=mic2017)
    assert result.rank == 56
    assert (result.steps["gain"] > 0).all()
    assert result.combined_rank < 56


def test_whatif_command_prints_the_changed_leaderboard(mic2017, tmp_path):
    weights = tmp_path / "weights.csv"
    weights.write_text("node,weight\nDVC,0.5\n", encoding="utf-8")
    out = io.StringIO()
    call_command("whatif", period="MIC-2017", weights=str(weights), stdout=out)
    text = out.getvalue()
    assert "DVC.weight=0.5" in text and "52/63" in text
    line = next(line for line in text.splitlines() if line.endswith("Cao Bằng"))
    assert line.split()[:3] == ["38", "56", "+18"]
    assert "0,4669" in line  # Vietnamese number format


def test_whatif_command_reads_json_and_saves_the_scenario(mic2017, tmp_path):
    weights = tmp_path / "weights.json"
    weights.write_text('{"root": {"aggregation": "geometric_mean"}}', encoding="utf-8")
    out = io.StringIO()
    call_command("whatif", period="MIC-2017", weights=str(weights), all=True,
                 save="Trung bình nhân", stdout=out)
    assert "root.aggregation=geometric_mean" in out.getvalue()
    assert len(out.getvalue().splitlines()) > 63
    assert Scenario.objects.get(period=mic2017, name="Trung bình nhân").changes == {
        "root": {"aggregation": "geometric_mean"}}


def test_whatif_command_names_the_bad_rows(mic2017, tmp_path):
    weights = tmp_path / "weights.csv"
    weights.write_text("node,weight\nDVC,abc\nXYZ,1\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("whatif", period="MIC-2017", weights=str(weights), stdout=io.StringIO())
    assert "dòng 2" in str(error.value) and "dòng 3" in str(error.value)
    assert "XYZ" in str(error.value)
    with pytest.raises(CommandError):
        call_command("whatif", period="NOPE", weights=str(weights), stdout=io.StringIO())


def test_scenarios_are_saved_checked_and_exported(mic2017):
    scenario = analysis.save_scenario(period=mic2017, name="DVC x2", changes=DOUBLE_DVC)
    assert scenario.changes == DOUBLE_DVC
    with pytest.raises(ValidationError):
        analysis.save_scenario(period=mic2017, name="DVC x2", changes={})
    with pytest.raises(ValidationError):
        analysis.save_scenario(period=mic2017, name="Sai", changes={"groups": {"X": {}}} | {
            "groups": {"X": {"weight": 1}}})
    assert not Scenario.objects.filter(name="Sai").exists()
    content = analysis.scenario_csv(period=mic2017, changes=scenario.changes).decode("utf-8-sig")
    lines = content.splitlines()
    assert lines[0].startswith("cohort,unit_code,unit_name,official_score,official_rank")
    assert any("Cao Bằng" in line and ",38,18," in line for line in lines)
    analysis.delete_scenario(scenario=scenario)
    assert not Scenario.objects.filter(pk=scenario.pk).exists()


def test_comparable_series_through_the_crosswalk(mic2017):
    # without a crosswalk the 2017 indicator dvc_online has no 2016 answer: unranked
    assert analysis.comparable_result(period=mic2017).units["rank"].isna().all()
    IndicatorCrosswalk.objects.create(
        source=Indicator.objects.get(framework__code="MIC-2016", code="dvc_level4"),
        target=Indicator.objects.get(framework__code="MIC-2017", code="dvc_online"),
        factor=2.0)
    result = analysis.comparable_result(period=mic2017)
    ranked = result.units["rank"].notna()
    assert ranked.sum() >= 60  # every province with its 2016 online services answered
