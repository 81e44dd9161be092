"""One test per scoring rule, with figures worked by hand."""

import math

import pandas as pd
import pytest

from rankings.engine import FrameworkSpec, GroupSpec, IndicatorSpec, compute


def run(indicators, answers, cohorts=None, missing="zero", groups=None, **settings):
    """Compute a one-group framework; ``answers`` is {unit: {indicator: value}}."""
    spec = FrameworkSpec(code="T", missing=missing,
                         groups=groups or (GroupSpec("G", rescale=settings.pop("rescale", "")),),
                         indicators=tuple(indicators), **settings)
    units = pd.DataFrame({"unit_code": list(answers),
                          "cohort": [(cohorts or {}).get(u, "C") for u in answers]})
    values = pd.DataFrame(
        [(u, code, v) for u, row in answers.items() for code, v in row.items()],
        columns=["unit_code", "indicator_code", "value"])
    return compute(spec, units, values)


def points(result, code="x"):
    rows = result.indicators[result.indicators["indicator_code"] == code]
    return dict(zip(rows["unit_code"], rows["points"], strict=True))


def fractions(result, code="x"):
    rows = result.indicators[result.indicators["indicator_code"] == code]
    return dict(zip(rows["unit_code"], rows["fraction"], strict=True))


def one(x, **kwargs):
    return IndicatorSpec("x", "G", **kwargs)


def test_direct_is_x_over_max_points_clipped():
    result = run([one("x", max_points=10)],
                 {"a": {"x": 7}, "b": {"x": 12}, "c": {"x": -1}, "d": {"x": 0}})
    assert points(result) == {"a": 7.0, "b": 10.0, "c": 0.0, "d": 0.0}
    assert fractions(result)["a"] == 0.7


def test_direct_inverse_is_the_complement():
    result = run([one("x", max_points=10, inverse=True)], {"a": {"x": 7}, "b": {"x": 0}})
    assert points(result) == {"a": pytest.approx(3.0), "b": 10.0}


def test_boolean():
    result = run([one("x", value_type="boolean", rule="boolean", max_points=5)],
                 {"a": {"x": True}, "b": {"x": False}, "c": {"x": "có"}, "d": {"x": "không"},
                  "e": {"x": 1}, "f": {"x": "No"}, "g": {"x": "x"}, "h": {"x": 0.0}})
    assert points(result) == {"a": 5.0, "b": 0.0, "c": 5.0, "d": 0.0, "e": 5.0, "f": 0.0,
                              "g": 5.0, "h": 0.0}
    values = result.indicators.set_index("unit_code")["value"]
    assert values["c"] is True and values["d"] is False


def test_boolean_inverse_and_bad_answer():
    result = run([one("x", value_type="boolean", rule="boolean", inverse=True)],
                 {"a": {"x": True}, "b": {"x": False}})
    assert points(result) == {"a": 0.0, "b": 1.0}
    with pytest.raises(ValueError, match=r"'x'.*yes or no.*'b'"):
        run([one("x", value_type="boolean", rule="boolean")], {"a": {"x": 1}, "b": {"x": "maybe"}})


def test_boolean_rule_on_a_number_counts_non_zero_as_yes():
    result = run([one("x", rule="boolean", max_points=2)], {"a": {"x": 3}, "b": {"x": 0}})
    assert points(result) == {"a": 2.0, "b": 0.0}


def test_ratio_is_capped_at_the_target():
    result = run([one("x", rule="ratio", params={"target": "100"}, max_points=5)],
                 {"a": {"x": 97}, "b": {"x": 150}, "c": {"x": -3}, "d": {"x": 50}})
    assert points(result) == {"a": pytest.approx(4.85), "b": 5.0, "c": 0.0, "d": 2.5}


def test_bands_highest_threshold_reached():
    spec = one("x", rule="bands", params={"0": "0", "50": "2", "80": "4", "100": "5"},
               max_points=5)
    result = run([spec], {"a": {"x": 49.9}, "b": {"x": 50}, "c": {"x": 79}, "d": {"x": 80},
                          "e": {"x": 120}, "f": {"x": -1}})
    assert points(result) == {"a": 0.0, "b": 2.0, "c": 2.0, "d": 4.0, "e": 5.0, "f": 0.0}
    assert fractions(result)["b"] == 0.4


def test_bands_thresholds_sort_as_numbers_not_text():
    spec = one("x", rule="bands", params={"10": "2", "9": "1", "100": "3"}, max_points=3)
    result = run([spec], {"a": {"x": 9.5}, "b": {"x": 10}, "c": {"x": 8}, "d": {"x": 99}})
    assert points(result) == {"a": 1.0, "b": 2.0, "c": 0.0, "d": 2.0}


def test_bands_inverse_thresholds_are_upper_limits():
    spec = one("x", rule="bands", params={"1": "5", "3": "3", "7": "1"}, max_points=5,
               inverse=True)
    result = run([spec], {"a": {"x": 0.5}, "b": {"x": 1}, "c": {"x": 2}, "d": {"x": 7},
                          "e": {"x": 8}})
    assert points(result) == {"a": 5.0, "b": 5.0, "c": 3.0, "d": 1.0, "e": 0.0}


def test_choice_points_over_max_points():
    spec = one("x", value_type="choice", rule="choice",
               params={"A": "2", "B": "1", "C": "0"}, max_points=2)
    result = run([spec], {"a": {"x": "A"}, "b": {"x": " B "}, "c": {"x": "C"}})
    assert fractions(result) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert points(result) == {"a": 2.0, "b": 1.0, "c": 0.0}


def test_choice_numeric_option_codes_match_numbers():
    spec = one("x", value_type="choice", rule="choice", params={"1": "0", "2": "1", "3": "2"},
               max_points=2)
    result = run([spec], {"a": {"x": 3.0}, "b": {"x": 2}, "c": {"x": "1"}})
    assert points(result) == {"a": 2.0, "b": 1.0, "c": 0.0}


def test_choice_unknown_option_names_unit_and_indicator():
    spec = one("x", value_type="choice", rule="choice", params={"A": "1"})
    with pytest.raises(ValueError, match=r"'x'.*'D'.*'u2'"):
        run([spec], {"u1": {"x": "A"}, "u2": {"x": "D"}})


def test_goalpost_clipped():
    spec = one("x", rule="goalpost", params={"lo": "0", "hi": "0.66"})
    result = run([spec], {"a": {"x": 0.33}, "b": {"x": 1.0}, "c": {"x": -1}, "d": {"x": 0.66}})
    assert fractions(result) == {"a": pytest.approx(0.5), "b": 1.0, "c": 0.0, "d": 1.0}


def test_goalpost_inverse():
    spec = one("x", rule="goalpost", params={"lo": "0", "hi": "10"}, inverse=True, max_points=4)
    result = run([spec], {"a": {"x": 2}, "b": {"x": 12}, "c": {"x": -5}})
    assert points(result) == {"a": pytest.approx(3.2), "b": 0.0, "c": 4.0}


def test_minmax_over_the_units_of_the_cohort_that_have_a_value():
    spec = one("x", rule="minmax", max_points=3)
    answers = {"a": {"x": 10}, "b": {"x": 20}, "c": {"x": 40}, "d": {"x": None},
               "z": {"x": 1000}}
    result = run([spec], answers, cohorts={"z": "OTHER"})
    f = fractions(result)
    assert f["a"] == 0.0 and f["b"] == pytest.approx(1 / 3) and f["c"] == 1.0
    assert f["d"] == 0.0  # missing = zero: scores 0, and does not count as the minimum
    assert f["z"] == 1.0  # alone in its cohort: max = min
    inverse = fractions(run([one("x", rule="minmax", inverse=True)], answers,
                            cohorts={"z": "OTHER"}))
    assert inverse["a"] == 1.0 and inverse["b"] == pytest.approx(2 / 3) and inverse["c"] == 0.0


def test_minmax_all_equal_is_one():
    result = run([one("x", rule="minmax")], {"a": {"x": 5}, "b": {"x": 5}})
    assert fractions(result) == {"a": 1.0, "b": 1.0}


def test_zscore_population_sd():
    data = [2, 4, 4, 4, 5, 5, 7, 9]  # mean 5, population sd 2
    answers = {f"u{i}": {"x": v} for i, v in enumerate(data)}
    groups = (GroupSpec("G", aggregation="weighted_mean", rescale="minmax"),)
    result = run([one("x", rule="zscore")], answers, groups=groups)
    f = fractions(result)
    assert f["u0"] == -1.5 and f["u1"] == -0.5 and f["u4"] == 0.0 and f["u7"] == 2.0
    group = result.groups.set_index("unit_code")["fraction"]
    # the group's minmax rescale brings it back to 0..1: (x - 2) / 7
    assert group["u0"] == 0.0 and group["u7"] == 1.0 and group["u6"] == pytest.approx(5 / 7)
    inverse = fractions(run([one("x", rule="zscore", inverse=True)], answers, groups=groups))
    assert inverse["u7"] == -2.0


def test_none_is_reported_but_takes_no_part():
    indicators = [one("x", max_points=10),
                  IndicatorSpec("n", "G", rule="none", unit="computers")]
    result = run(indicators, {"a": {"x": 5, "n": 6477}, "b": {"x": 5, "n": None}})
    rows = result.indicators.set_index(["unit_code", "indicator_code"])
    assert rows.loc[("a", "n"), "value"] == 6477.0
    assert math.isnan(rows.loc[("a", "n"), "points"])
    assert math.isnan(rows.loc[("a", "n"), "fraction"])
    assert math.isnan(rows.loc[("a", "n"), "max_points"])
    groups = result.groups.set_index("unit_code")
    assert groups.loc["a", "max_score"] == 10.0  # the none indicator adds no maximum
    assert groups.loc["a", "score"] == groups.loc["b", "score"] == 5.0


def test_none_does_not_dilute_a_weighted_mean_nor_make_missing():
    groups = (GroupSpec("G", aggregation="weighted_mean"),)
    indicators = [one("x"), IndicatorSpec("n", "G", rule="none")]
    result = run(indicators, {"a": {"x": 0.5}}, groups=groups, missing="unranked")
    assert result.groups["fraction"].tolist() == [0.5]
    assert result.units["rank"].tolist() == [1]


def test_text_values_are_kept_for_reports():
    indicators = [one("x"), IndicatorSpec("note", "G", value_type="text", rule="none")]
    result = run(indicators, {"a": {"x": 1, "note": "  cổng thông tin  "}})
    rows = result.indicators.set_index("indicator_code")
    assert rows.loc["note", "value"] == "cổng thông tin"


def test_derived_indicator_from_a_formula():
    indicators = [
        IndicatorSpec("computers", "G", rule="none"),
        IndicatorSpec("staff", "G", rule="none"),
        IndicatorSpec("x", "G", rule="bands", params={"0": "0", "57": "1", "97": "2"},
                      max_points=2, formula="computers / staff * 100"),
    ]
    answers = {
        "a": {"computers": 57, "staff": 100, "x": 0},   # 57/100*100 is 56.99999999999999 in floats
        "b": {"computers": 97, "staff": 100},
        "c": {"computers": 10, "staff": 0},              # division by zero: missing
        "d": {"computers": None, "staff": 10},           # missing operand: missing
    }
    result = run(indicators, answers)
    rows = result.indicators.set_index(["unit_code", "indicator_code"])
    assert rows.loc[("a", "x"), "value"] == 57.0         # the given 0 is ignored
    assert points(result) == {"a": 1.0, "b": 2.0, "c": 0.0, "d": 0.0}
    assert rows.loc[("c", "x"), "value"] is None and rows.loc[("d", "x"), "value"] is None


def test_derived_from_derived_in_dependency_order():
    indicators = [
        IndicatorSpec("z", "G", rule="direct", max_points=100, formula="y * 2"),
        IndicatorSpec("y", "G", rule="none", formula="max(a, b) - min(a, b)"),
        IndicatorSpec("a", "G", rule="none"),
        IndicatorSpec("b", "G", rule="none"),
    ]
    result = run(indicators, {"u": {"a": 3, "b": 10}})
    rows = result.indicators.set_index("indicator_code")
    assert rows.loc["y", "value"] == 7.0 and rows.loc["z", "value"] == 14.0
    assert rows.loc["z", "points"] == 14.0


def test_numeric_answers_must_be_numbers():
    with pytest.raises(ValueError, match=r"'x'.*number.*'b'"):
        run([one("x")], {"a": {"x": "3"}, "b": {"x": "three"}})
    result = run([one("x", max_points=5)], {"a": {"x": "3"}, "b": {"x": "  "}})
    assert points(result) == {"a": 3.0, "b": 0.0}  # text that is a number; blank is missing


def test_blank_text_is_missing_for_every_kind():
    indicators = [one("x", max_points=5),
                  IndicatorSpec("y", "G", value_type="boolean", rule="boolean"),
                  IndicatorSpec("c", "G", value_type="choice", rule="choice", params={"A": "1"})]
    result = run(indicators, {"a": {"x": " ", "y": "", "c": "  "}, "b": {"x": 5, "y": 1, "c": "A"}},
                 missing="skip")
    rows = result.indicators.set_index(["unit_code", "indicator_code"])
    for code in ("x", "y", "c"):
        assert rows.loc[("a", code), "value"] is None
        assert math.isnan(rows.loc[("a", code), "points"])
    assert math.isnan(result.units.set_index("unit_code").loc["a", "score"])


def test_infinite_numbers_are_refused():
    with pytest.raises(ValueError, match="finite number"):
        run([one("x")], {"a": {"x": float("inf")}})
