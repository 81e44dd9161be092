"""compute(): aggregations, settings, missing answers, cohorts, ranks, bands and outputs."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rankings.engine import (
    Band,
    FrameworkError,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
    compute,
    inputs_digest,
)


def long(answers):
    return pd.DataFrame(
        [(u, code, v) for u, row in answers.items() for code, v in row.items()],
        columns=["unit_code", "indicator_code", "value"])


def unit_frame(answers, cohorts=None):
    return pd.DataFrame({"unit_code": list(answers),
                         "cohort": [(cohorts or {}).get(u, "C") for u in answers]})


def run(spec, answers, cohorts=None, previous=None):
    return compute(spec, unit_frame(answers, cohorts), long(answers), previous)


def by_unit(result, column="score"):
    return dict(zip(result.units["unit_code"], result.units[column], strict=True))


def group_rows(result):
    return result.groups.set_index(["unit_code", "group_code"])


def ind(code, group, **kwargs):
    return IndicatorSpec(code, group, **kwargs)


# --- aggregations -------------------------------------------------------------------------

def test_sum_group_adds_points_and_its_maximum_is_the_sum_of_maxima():
    spec = FrameworkSpec("T", groups=(GroupSpec("A"), GroupSpec("B")), indicators=(
        ind("a1", "A", max_points=30), ind("a2", "A", max_points=20),
        ind("b1", "B", max_points=50)))
    result = run(spec, {"u": {"a1": 15, "a2": 20, "b1": 10}})
    rows = group_rows(result)
    assert rows.loc[("u", "A"), "max_score"] == 50.0
    assert rows.loc[("u", "A"), "score"] == 35.0 and rows.loc[("u", "A"), "fraction"] == 0.7
    assert rows.loc[("u", "B"), "score"] == 10.0
    assert by_unit(result) == {"u": 45.0}
    assert by_unit(result, "max_score") == {"u": 100.0}


def test_sum_group_is_capped_at_its_max_points():
    spec = FrameworkSpec("T", groups=(GroupSpec("A", max_points=10),), indicators=(
        ind("a1", "A", max_points=6), ind("a2", "A", max_points=6)), scale=10)
    result = run(spec, {"full": {"a1": 6, "a2": 6}, "part": {"a1": 6, "a2": 1}})
    rows = group_rows(result)
    assert rows.loc[("full", "A"), "score"] == 10.0 and rows.loc[("full", "A"), "fraction"] == 1
    assert rows.loc[("part", "A"), "score"] == 7.0
    assert by_unit(result) == {"full": 10.0, "part": 7.0}


def test_weighted_mean_group():
    spec = FrameworkSpec("T", scale=1, decimals=4, groups=(
        GroupSpec("A", aggregation="weighted_mean"),), indicators=(
        ind("a1", "A", weight=1), ind("a2", "A", weight=3)))
    result = run(spec, {"u": {"a1": 1.0, "a2": 0.5}})
    rows = group_rows(result)
    assert rows.loc[("u", "A"), "fraction"] == 0.625  # (1*1 + 3*0.5) / 4
    assert rows.loc[("u", "A"), "max_score"] == 1.0
    assert by_unit(result) == {"u": 0.625}


def test_weighted_mean_group_with_max_points():
    spec = FrameworkSpec("T", groups=(GroupSpec("A", aggregation="weighted_mean", max_points=40),
                                      GroupSpec("B")), indicators=(
        ind("a1", "A"), ind("a2", "A"), ind("b1", "B", max_points=60)))
    result = run(spec, {"u": {"a1": 1.0, "a2": 0.25, "b1": 30}})
    assert group_rows(result).loc[("u", "A"), "score"] == 25.0  # 0.625 * 40
    assert by_unit(result) == {"u": 55.0}


def test_geometric_mean_group():
    spec = FrameworkSpec("T", scale=1, decimals=4, groups=(
        GroupSpec("A", aggregation="geometric_mean"),), indicators=(
        ind("a1", "A", weight=1), ind("a2", "A", weight=3)))
    result = run(spec, {"u": {"a1": 0.0625, "a2": 1.0}, "v": {"a1": 0.25, "a2": 0.0},
                        "w": {"a1": 0.81, "a2": 0.81}})
    fraction = group_rows(result)["fraction"]
    assert fraction[("u", "A")] == pytest.approx(0.5)   # 0.0625 ** (1/4) * 1 ** (3/4)
    assert fraction[("v", "A")] == 0.0                  # any zero gives zero
    assert fraction[("w", "A")] == pytest.approx(0.81)


def test_root_aggregation_weighted_mean_and_scale():
    spec = FrameworkSpec("T", scale=1000, aggregation="weighted_mean", groups=(
        GroupSpec("A", aggregation="weighted_mean", weight=2),
        GroupSpec("B", aggregation="weighted_mean", weight=1)), indicators=(
        ind("a", "A"), ind("b", "B")))
    result = run(spec, {"u": {"a": 0.5, "b": 0.8}})
    assert by_unit(result) == {"u": 600.0}  # (2*0.5 + 1*0.8) / 3 * 1000
    assert by_unit(result, "max_score") == {"u": 1000.0}


def test_root_aggregation_geometric_mean():
    spec = FrameworkSpec("T", scale=1, decimals=4, aggregation="geometric_mean", groups=(
        GroupSpec("A", aggregation="weighted_mean"),
        GroupSpec("B", aggregation="weighted_mean")), indicators=(ind("a", "A"), ind("b", "B")))
    result = run(spec, {"u": {"a": 0.25, "b": 1.0}})
    assert by_unit(result) == {"u": 0.5}


def test_nested_groups():
    spec = FrameworkSpec("T", groups=(
        GroupSpec("P", max_points=60, order=1),
        GroupSpec("Q", parent="P", aggregation="weighted_mean", max_points=40, order=2),
        GroupSpec("R", parent="Q", aggregation="weighted_mean", weight=3, order=1),
        GroupSpec("S", order=2)), indicators=(
        ind("p1", "P", max_points=20),
        ind("q1", "Q", weight=1),
        ind("r1", "R"), ind("r2", "R"),
        ind("s1", "S", max_points=40)))
    result = run(spec, {"u": {"p1": 10, "q1": 1.0, "r1": 0.2, "r2": 0.4, "s1": 20}})
    rows = group_rows(result)
    assert result.groups["group_code"].tolist() == ["P", "Q", "R", "S"]  # tree order
    assert result.groups["depth"].tolist() == [1, 2, 3, 1]
    assert result.groups["parent"].tolist() == ["", "P", "Q", ""]
    assert rows.loc[("u", "R"), "fraction"] == pytest.approx(0.3)
    assert rows.loc[("u", "Q"), "fraction"] == pytest.approx(0.475)  # (1*1 + 3*0.3) / 4
    assert rows.loc[("u", "Q"), "score"] == 19.0
    assert rows.loc[("u", "P"), "score"] == 29.0  # 10 + 19 out of 60
    assert by_unit(result) == {"u": 49.0}


def test_rescale_minmax_on_a_group():
    spec = FrameworkSpec("T", scale=1, decimals=4, groups=(
        GroupSpec("A", aggregation="weighted_mean", rescale="minmax"),), indicators=(
        ind("a", "A"),))
    result = run(spec, {"u": {"a": 0.2}, "v": {"a": 0.5}, "w": {"a": 0.8}, "x": {"a": 0.8},
                        "y": {"a": 0.3}}, cohorts={"y": "D"})
    fraction = group_rows(result)["fraction"]
    assert fraction[("u", "A")] == 0.0 and fraction[("v", "A")] == pytest.approx(0.5)
    assert fraction[("w", "A")] == 1.0 and fraction[("x", "A")] == 1.0
    assert fraction[("y", "A")] == 1.0  # alone in its cohort: all equal -> 1


# --- applies_to ---------------------------------------------------------------------------

def test_applies_to_changes_the_tree_per_cohort():
    spec = FrameworkSpec("T", groups=(GroupSpec("A"), GroupSpec("ONLINE")), indicators=(
        ind("a1", "A", max_points=50),
        ind("a2", "A", max_points=50, applies_to=("DEPT",)),
        ind("dvc", "ONLINE", max_points=50, applies_to=("DEPT",))))
    answers = {"d1": {"a1": 25, "a2": 50, "dvc": 25},
               "h1": {"a1": 25, "a2": 50, "dvc": 50}}  # answers that do not apply are ignored
    result = run(spec, answers, cohorts={"d1": "DEPT", "h1": "DIST"})
    rows = group_rows(result)
    assert rows.loc[("d1", "A"), "max_score"] == 100.0
    assert rows.loc[("h1", "A"), "max_score"] == 50.0
    assert ("h1", "ONLINE") not in rows.index  # no child exists for the district cohort
    assert rows.loc[("d1", "ONLINE"), "score"] == 25.0
    assert by_unit(result) == {"d1": 100.0, "h1": 25.0}
    codes = result.indicators.groupby("unit_code")["indicator_code"].apply(list).to_dict()
    assert codes == {"d1": ["a1", "a2", "dvc"], "h1": ["a1"]}
    assert by_unit(result, "rank") == {"d1": 1, "h1": 1}  # ranked within their own cohort


# --- settings -----------------------------------------------------------------------------

def test_decimals_round_half_away_from_zero():
    def total(decimals, value):
        spec = FrameworkSpec("T", decimals=decimals, groups=(GroupSpec("A"),),
                             indicators=(ind("a", "A", max_points=100),))
        result = run(spec, {"u": {"a": value}})
        return result.units["score"].iloc[0], result.units["score_exact"].iloc[0]

    assert total(0, 12.5) == (13.0, 12.5)
    assert total(1, 12.25) == (12.3, 12.25)
    assert total(2, 2.675) == (2.68, pytest.approx(2.675))
    assert total(2, 1.005)[0] == 1.01


def test_scores_are_rounded_per_group_too():
    spec = FrameworkSpec("T", decimals=1, groups=(GroupSpec("A"),),
                         indicators=(ind("a", "A", max_points=100),))
    rows = group_rows(run(spec, {"u": {"a": 33.25}}))
    assert rows.loc[("u", "A"), "score"] == 33.3
    assert rows.loc[("u", "A"), "score_exact"] == 33.25


def test_rank_on_rounded_ties_scores_that_publish_equal():
    def ranks(rank_on):
        spec = FrameworkSpec("T", rank_on=rank_on, groups=(GroupSpec("A"),),
                             indicators=(ind("a", "A", max_points=100),))
        result = run(spec, {"p": {"a": 95.004}, "q": {"a": 94.996}, "r": {"a": 96}})
        return by_unit(result, "rank"), by_unit(result)

    rounded, scores = ranks("rounded")
    assert scores == {"p": 95.0, "q": 95.0, "r": 96.0}
    assert rounded == {"p": 2, "q": 2, "r": 1}
    assert ranks("exact")[0] == {"p": 2, "q": 3, "r": 1}


def test_ties_competition_and_dense():
    answers = {"u1": {"a": 99}, "u2": {"a": 95}, "u3": {"a": 95}, "u4": {"a": 95},
               "u5": {"a": 90}}

    def ranks(ties):
        spec = FrameworkSpec("T", ties=ties, groups=(GroupSpec("A"),),
                             indicators=(ind("a", "A", max_points=100),))
        return list(by_unit(run(spec, answers), "rank").values())

    assert ranks("competition") == [1, 2, 2, 2, 5]
    assert ranks("dense") == [1, 2, 2, 2, 3]


MISSING_SPEC = dict(groups=(GroupSpec("A", aggregation="weighted_mean", max_points=50),
                            GroupSpec("B", max_points=50)),
                    indicators=(ind("a1", "A"), ind("a2", "A", weight=3),
                                ind("b1", "B", max_points=25), ind("b2", "B", max_points=25)))
MISSING_ANSWERS = {
    "full": {"a1": 1.0, "a2": 0.5, "b1": 25, "b2": 5},
    "gap": {"a1": 1.0, "a2": None, "b1": 20},          # a2 given empty, b2 not given at all
    "none_a": {"b1": 10, "b2": 10},                     # nothing on group A
}


def test_missing_zero():
    result = run(FrameworkSpec("T", missing="zero", **MISSING_SPEC), MISSING_ANSWERS)
    rows = group_rows(result)
    assert rows.loc[("gap", "A"), "fraction"] == 0.25   # (1*1 + 3*0) / 4
    assert rows.loc[("gap", "B"), "score"] == 20.0
    assert rows.loc[("none_a", "A"), "score"] == 0.0
    assert by_unit(result) == {"full": 31.25 + 30, "gap": 12.5 + 20, "none_a": 20.0}
    points = result.indicators.set_index(["unit_code", "indicator_code"])["points"]
    assert points[("gap", "a2")] == 0.0 and points[("gap", "b2")] == 0.0


def test_missing_skip_renormalises_weights_and_skips_upward():
    result = run(FrameworkSpec("T", missing="skip", **MISSING_SPEC), MISSING_ANSWERS)
    rows = group_rows(result)
    assert rows.loc[("gap", "A"), "fraction"] == 1.0     # only a1 counts
    assert rows.loc[("gap", "B"), "score"] == 20.0       # under sum b2 adds nothing
    assert rows.loc[("gap", "B"), "max_score"] == 50.0   # and the maximum is unchanged
    assert math.isnan(rows.loc[("none_a", "A"), "score"])  # all children missing
    assert pd.isna(rows.loc[("none_a", "A"), "rank"])
    assert by_unit(result) == {"full": 61.25, "gap": 70.0, "none_a": 20.0}
    points = result.indicators.set_index(["unit_code", "indicator_code"])["points"]
    assert math.isnan(points[("gap", "a2")]) and math.isnan(points[("gap", "b2")])


def test_missing_skip_total_missing_is_not_ranked():
    spec = FrameworkSpec("T", missing="skip", groups=(GroupSpec("A"),),
                         indicators=(ind("a", "A"),))
    result = run(spec, {"u": {"a": 1}, "v": {"a": None}})
    assert by_unit(result, "rank") == {"u": 1, "v": pd.NA}
    assert math.isnan(by_unit(result)["v"]) and by_unit(result, "band")["v"] is None


def test_missing_unranked_drops_the_group_and_the_total_only():
    result = run(FrameworkSpec("T", missing="unranked", **MISSING_SPEC), MISSING_ANSWERS)
    rows = group_rows(result)
    assert math.isnan(rows.loc[("gap", "A"), "score"])
    assert math.isnan(rows.loc[("gap", "B"), "score"])     # b2 missing too
    assert math.isnan(rows.loc[("none_a", "A"), "score"])
    assert rows.loc[("none_a", "B"), "score"] == 20.0       # the other group still counts
    assert rows.loc[("none_a", "B"), "rank"] == 2           # ... and is ranked
    assert rows.loc[("full", "B"), "rank"] == 1
    assert pd.isna(rows.loc[("gap", "B"), "rank"])
    totals = by_unit(result)
    assert totals["full"] == 61.25 and math.isnan(totals["gap"])
    assert math.isnan(totals["none_a"])
    assert by_unit(result, "rank") == {"full": 1, "gap": pd.NA, "none_a": pd.NA}


def test_missing_derived_value_counts_as_missing():
    spec = FrameworkSpec("T", missing="skip", groups=(GroupSpec("A", aggregation="weighted_mean"),),
                         indicators=(ind("n", "A", rule="none"), ind("d", "A", rule="none"),
                                     ind("r", "A", formula="n / d"), ind("b", "A")))
    result = run(spec, {"u": {"n": 1, "d": 0, "b": 0.4}})
    assert group_rows(result).loc[("u", "A"), "fraction"] == 0.4


# --- previous ranks and rank change -------------------------------------------------------

def test_rank_change_from_the_national_ranking_2016_to_2017():
    """Cao Bằng: infrastructure 57 -> 43 is +14; internal IT 54 -> 58 is -4; online services
    not ranked -> 18 is empty."""
    groups = (GroupSpec("HT", order=1), GroupSpec("UD", order=2), GroupSpec("DVC", order=3))
    spec = FrameworkSpec("NATIONAL", groups=groups, indicators=(
        ind("ht", "HT", max_points=100), ind("ud", "UD", max_points=100),
        ind("dvc", "DVC", max_points=100)))
    # 63 provinces; CBG is 43rd, 58th and 18th: the others get distinct scores around it
    others = [f"P{i:02d}" for i in range(62)]
    answers = {}
    for i, code in enumerate(others):
        answers[code] = {"ht": 100 - i if i < 42 else 40 - (i - 42) * 0.5,
                         "ud": 100 - i if i < 57 else 40 - (i - 57) * 0.5,
                         "dvc": 100 - i if i < 17 else 50 - (i - 17) * 0.5}
    answers["CBG"] = {"ht": 50, "ud": 41, "dvc": 60}
    previous = pd.DataFrame({"unit_code": ["CBG", "CBG", "CBG", "P00"],
                             "node": ["HT", "UD", "__total__", "HT"],
                             "rank": [57, 54, 60, 1]})
    result = run(spec, answers, previous=previous)
    rows = group_rows(result)
    assert rows.loc[("CBG", "HT"), "rank"] == 43 and rows.loc[("CBG", "HT"), "rank_change"] == 14
    assert rows.loc[("CBG", "UD"), "rank"] == 58 and rows.loc[("CBG", "UD"), "rank_change"] == -4
    assert rows.loc[("CBG", "DVC"), "rank"] == 18
    assert pd.isna(rows.loc[("CBG", "DVC"), "previous_rank"])
    assert pd.isna(rows.loc[("CBG", "DVC"), "rank_change"])
    assert rows.loc[("P00", "HT"), "rank_change"] == 0
    units = result.units.set_index("unit_code")
    assert units.loc["CBG", "previous_rank"] == 60
    assert units.loc["CBG", "rank_change"] == 60 - units.loc["CBG", "rank"]
    assert pd.isna(units.loc["P01", "rank_change"])
    assert str(result.groups["rank_change"].dtype) == "Int64"


def test_rank_change_is_empty_when_not_ranked_now():
    spec = FrameworkSpec("T", missing="skip", groups=(GroupSpec("A"),), indicators=(ind("a", "A"),))
    previous = pd.DataFrame({"unit_code": ["v"], "node": ["__total__"], "rank": [3]})
    result = run(spec, {"u": {"a": 1}, "v": {"a": None}}, previous=previous)
    units = result.units.set_index("unit_code")
    assert units.loc["v", "previous_rank"] == 3 and pd.isna(units.loc["v", "rank_change"])


def test_previous_with_a_rank_twice_is_refused():
    spec = FrameworkSpec("T", groups=(GroupSpec("A"),), indicators=(ind("a", "A"),))
    previous = pd.DataFrame({"unit_code": ["u", "u"], "node": ["A", "A"], "rank": [1, 2]})
    with pytest.raises(ValueError, match="twice"):
        run(spec, {"u": {"a": 1}}, previous=previous)


# --- bands --------------------------------------------------------------------------------

def test_bands_on_the_published_total():
    spec = FrameworkSpec("T", groups=(GroupSpec("A"),), indicators=(
        ind("a", "A", max_points=100),), bands=(
        Band("Khá", 65), Band("Tốt", 80), Band("Trung bình", 50), Band("Yếu", 0)))
    result = run(spec, {"u1": {"a": 80}, "u2": {"a": 79.996}, "u3": {"a": 79.99},
                        "u4": {"a": 65}, "u5": {"a": 49.99}, "u6": {"a": 0}})
    assert by_unit(result, "band") == {"u1": "Tốt", "u2": "Tốt", "u3": "Khá", "u4": "Khá",
                                       "u5": "Yếu", "u6": "Yếu"}


def test_no_band_below_the_lowest_minimum():
    spec = FrameworkSpec("T", groups=(GroupSpec("A"),), indicators=(
        ind("a", "A", max_points=100),), bands=(Band("Tốt", 80),))
    assert by_unit(run(spec, {"u": {"a": 10}}), "band") == {"u": None}
    no_bands = FrameworkSpec("T", groups=(GroupSpec("A"),), indicators=(ind("a", "A"),))
    assert by_unit(run(no_bands, {"u": {"a": 1}}), "band") == {"u": None}


# --- outputs, inputs and errors -----------------------------------------------------------

SIMPLE = FrameworkSpec("S", groups=(GroupSpec("B", order=2), GroupSpec("A", order=1)),
                       indicators=(ind("b", "B", max_points=50), ind("a", "A", max_points=50)))


def test_output_columns_dtypes_and_order():
    answers = {"z": {"a": 10, "b": 20}, "m": {"a": 30, "b": 5}, "k": {"a": 1, "b": 1}}
    result = run(SIMPLE, answers, cohorts={"k": "X2", "z": "X1", "m": "X1"})
    assert result.units.columns.tolist() == [
        "unit_code", "cohort", "score", "score_exact", "max_score", "rank", "previous_rank",
        "rank_change", "band"]
    assert result.groups.columns.tolist() == [
        "unit_code", "cohort", "group_code", "parent", "depth", "fraction", "score_exact",
        "score", "max_score", "rank", "previous_rank", "rank_change"]
    assert result.indicators.columns.tolist() == [
        "unit_code", "cohort", "indicator_code", "group_code", "value", "fraction", "points",
        "max_points"]
    assert result.units[["cohort", "unit_code"]].values.tolist() == [
        ["X1", "m"], ["X1", "z"], ["X2", "k"]]
    assert result.groups["group_code"].tolist()[:2] == ["A", "B"]
    for column in ("rank", "previous_rank", "rank_change"):
        assert str(result.units[column].dtype) == "Int64"
        assert str(result.groups[column].dtype) == "Int64"
    for column in ("score", "score_exact", "max_score"):
        assert result.units[column].dtype == np.float64
    assert result.indicators["value"].dtype == object
    assert result.groups["depth"].dtype == np.int64
    assert len(result.digest) == 64
    assert list(result.units.index) == [0, 1, 2]


def test_no_units_gives_empty_frames_with_the_columns():
    result = compute(SIMPLE, pd.DataFrame({"unit_code": [], "cohort": []}),
                     pd.DataFrame({"unit_code": [], "indicator_code": [], "value": []}))
    assert result.units.empty and result.groups.empty and result.indicators.empty
    assert "rank_change" in result.groups.columns and "band" in result.units.columns
    assert str(result.units["rank"].dtype) == "Int64"


def test_unknown_indicator_codes_are_named():
    values = pd.DataFrame({"unit_code": ["u", "u"], "indicator_code": ["a", "zz"],
                           "value": [1, 2]})
    with pytest.raises(ValueError, match="zz"):
        compute(SIMPLE, pd.DataFrame({"unit_code": ["u"], "cohort": ["C"]}), values)


def test_duplicates_and_missing_columns_are_refused():
    units = pd.DataFrame({"unit_code": ["u", "u"], "cohort": ["C", "C"]})
    with pytest.raises(ValueError, match="twice"):
        compute(SIMPLE, units, long({"u": {"a": 1}}))
    values = long({"u": {"a": 1}})
    with pytest.raises(ValueError, match="twice"):
        compute(SIMPLE, units.iloc[:1], pd.concat([values, values]))
    with pytest.raises(ValueError, match="cohort"):
        compute(SIMPLE, pd.DataFrame({"unit_code": ["u"]}), values)


def test_answers_of_units_not_assessed_are_ignored():
    values = long({"u": {"a": 10}, "ghost": {"a": 50}})
    result = compute(SIMPLE, pd.DataFrame({"unit_code": ["u"], "cohort": ["C"]}), values)
    assert result.units["unit_code"].tolist() == ["u"]


def test_an_invalid_framework_raises_framework_error():
    bad = FrameworkSpec("T", groups=(GroupSpec("A"),), indicators=(ind("a", "NOPE"),))
    with pytest.raises(FrameworkError) as caught:
        compute(bad, unit_frame({"u": {}}), long({}))
    assert any(issue.field == "group" for issue in caught.value.issues)


def test_digest_ignores_order_and_sees_changes():
    answers = {"u": {"a": 10, "b": 20}, "v": {"a": 30, "b": None}}
    units, values = unit_frame(answers), long(answers)
    digest = inputs_digest(SIMPLE, units, values)
    shuffled = values.sample(frac=1, random_state=3)[["value", "indicator_code", "unit_code"]]
    assert inputs_digest(SIMPLE, units.iloc[::-1], shuffled) == digest
    assert inputs_digest(SIMPLE, units, values[values["value"].notna()]) == digest
    changed = values.copy()
    changed.loc[0, "value"] = 11
    assert inputs_digest(SIMPLE, units, changed) != digest
    assert run(SIMPLE, answers).digest == digest
    other_cohort = units.assign(cohort=["C", "D"])
    assert inputs_digest(SIMPLE, other_cohort, values) != digest


def test_same_inputs_same_result_to_the_bit():
    answers = {f"u{i}": {"a": (i * 7919) % 50 / 3, "b": (i * 104729) % 50 / 7} for i in range(40)}
    first, second = run(SIMPLE, answers), run(SIMPLE, answers)
    for name in ("units", "groups", "indicators"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name),
                                      check_exact=True)


def test_many_units_in_one_pass():
    """A vectorisation check: 5,000 units in two cohorts are scored in one call."""
    rng = np.random.default_rng(7)
    n = 5000
    codes = [f"U{i:05d}" for i in range(n)]
    units = pd.DataFrame({"unit_code": codes, "cohort": np.where(np.arange(n) % 2, "A", "B")})
    values = pd.DataFrame({"unit_code": codes * 2, "indicator_code": ["a"] * n + ["b"] * n,
                           "value": list(rng.uniform(0, 50, 2 * n).round(2))})
    result = compute(SIMPLE, units, values)
    assert len(result.units) == n and len(result.groups) == 2 * n
    assert result.units.groupby("cohort")["rank"].min().tolist() == [1, 1]


def test_un_egdi_like_framework():
    """EGDI = mean of three component indices; TII and HCI are means of z-scores rescaled
    to 0..1 over the countries, the OSI is given as an index. Scale 1, four decimals."""
    spec = FrameworkSpec(
        "EGDI", scale=1, aggregation="weighted_mean", decimals=4,
        groups=(GroupSpec("OSI", aggregation="weighted_mean", order=1),
                GroupSpec("HCI", aggregation="weighted_mean", rescale="minmax", order=2),
                GroupSpec("TII", aggregation="weighted_mean", rescale="minmax", order=3)),
        indicators=(ind("osi", "OSI"),
                    ind("literacy", "HCI", rule="zscore", weight=1),
                    ind("enrolment", "HCI", rule="zscore", weight=2),
                    ind("internet", "TII", rule="zscore"),
                    ind("mobile", "TII", rule="zscore")))
    answers = {
        "AAA": {"osi": 0.9, "literacy": 1, "enrolment": 3, "internet": 10, "mobile": 50},
        "BBB": {"osi": 0.5, "literacy": 2, "enrolment": 2, "internet": 20, "mobile": 100},
        "CCC": {"osi": 0.2, "literacy": 3, "enrolment": 1, "internet": 30, "mobile": 150},
    }
    result = run(spec, answers)
    # z of (1, 2, 3) is (-a, 0, a); HCI = (z_lit + 2 z_enr) / 3 = (a/3, 0, -a/3) -> 1, .5, 0
    # TII = (z + z) / 2 = (-a, 0, a) -> 0, .5, 1
    fraction = group_rows(result)["fraction"]
    assert [fraction[(u, "HCI")] for u in answers] == [1.0, 0.5, 0.0]
    assert [fraction[(u, "TII")] for u in answers] == [0.0, 0.5, 1.0]
    # EGDI = (0.9 + 1 + 0) / 3 = 0.6333; (0.5 + .5 + .5) / 3 = 0.5; (0.2 + 0 + 1) / 3 = 0.4
    assert by_unit(result) == {"AAA": 0.6333, "BBB": 0.5, "CCC": 0.4}
    assert by_unit(result, "rank") == {"AAA": 1, "BBB": 2, "CCC": 3}
    assert by_unit(result, "max_score") == {"AAA": 1.0, "BBB": 1.0, "CCC": 1.0}


def test_province_100_point_criteria_with_two_cohorts():
    """Quảng Nam 2015 style: four criteria out of 100, departments and districts ranked
    apart, a ratio of computers to staff scored in bands, yes/no points."""
    spec = FrameworkSpec("QN-2015", bands=(Band("Tốt", 80), Band("Khá", 65)), groups=(
        GroupSpec("HT", max_points=30, order=1), GroupSpec("NL", order=2),
        GroupSpec("UD", order=3), GroupSpec("MT", order=4)), indicators=(
        ind("computers", "HT", rule="none"), ind("staff", "HT", rule="none"),
        ind("pc_ratio", "HT", rule="bands", params={"0": "0", "50": "10", "80": "15", "95": "20"},
            max_points=20, formula="computers / staff * 100"),
        ind("lan", "HT", value_type="boolean", rule="boolean", max_points=10),
        ind("it_staff", "NL", rule="ratio", params={"target": "2"}, max_points=20),
        ind("portal", "UD", value_type="choice", rule="choice",
            params={"none": "0", "basic": "10", "full": "20"}, max_points=20),
        ind("one_stop", "UD", value_type="boolean", rule="boolean", max_points=10),
        ind("plan", "MT", value_type="boolean", rule="boolean", max_points=20)))
    answers = {
        "TAMKY": {"computers": 98, "staff": 100, "lan": "có", "it_staff": 2, "portal": "full",
                  "one_stop": "có", "plan": "có"},
        "STNMT": {"computers": 97, "staff": 100, "lan": "có", "it_staff": 2, "portal": "full",
                  "one_stop": "không", "plan": "có"},
        "STTTT": {"computers": 90, "staff": 100, "lan": "có", "it_staff": 3, "portal": "full",
                  "one_stop": "có", "plan": "có"},
        "CTHUE": {"computers": 100, "staff": 100, "lan": "có", "it_staff": 4,
                  "portal": "full", "one_stop": "có", "plan": "có"},
    }
    result = run(spec, answers, cohorts={"TAMKY": "HUYEN"})
    # TAMKY: 20+10 (of 30), 20, 20+10, 20 = 100; STNMT: 30, 20, 20, 20 = 90;
    # STTTT: 15+10=25, 20, 30, 20 = 95; CTHUE: 30, 20, 30, 20 = 100
    assert by_unit(result) == {"CTHUE": 100.0, "STNMT": 90.0, "STTTT": 95.0, "TAMKY": 100.0}
    assert by_unit(result, "rank") == {"CTHUE": 1, "STNMT": 3, "STTTT": 2, "TAMKY": 1}
    assert by_unit(result, "band") == {"CTHUE": "Tốt", "STNMT": "Tốt", "STTTT": "Tốt",
                                       "TAMKY": "Tốt"}


def test_a_group_of_reference_figures_is_not_scored():
    spec = FrameworkSpec("T", groups=(GroupSpec("INFO"), GroupSpec("A")), indicators=(
        ind("computers", "INFO", rule="none"), ind("staff", "INFO", rule="none"),
        ind("ratio", "A", rule="ratio", params={"target": "100"}, max_points=100,
            formula="computers / staff * 100")))
    result = run(spec, {"u": {"computers": 97, "staff": 100}})
    assert result.groups["group_code"].tolist() == ["A"]
    assert by_unit(result) == {"u": 97.0}
    assert result.indicators["indicator_code"].tolist() == ["ratio", "computers", "staff"]


def test_the_engine_imports_no_django():
    import subprocess
    import sys

    code = ("import sys, rankings.engine; "
            "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))")
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
