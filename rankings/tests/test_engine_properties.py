"""The guarantees of scoring.md, as properties checked on generated inputs (Hypothesis)."""

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankings.engine import FrameworkSpec, GroupSpec, IndicatorSpec, compute, inputs_digest

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

CHOICES = {"A": "2", "B": "1", "C": "0"}

# Every rule, nesting, a derived indicator, an indicator for one cohort only, a rescaled
# group of z-scores.
INDICATORS = (
    IndicatorSpec("direct", "G1", max_points=10),
    IndicatorSpec("ratio", "G1", rule="ratio", params={"target": "50"}, max_points=5),
    IndicatorSpec("bands", "G1", rule="bands", params={"0": "0", "20": "2", "60": "5"},
                  max_points=5),
    IndicatorSpec("yes", "G1", value_type="boolean", rule="boolean", max_points=2),
    IndicatorSpec("pick", "G1", value_type="choice", rule="choice", params=CHOICES,
                  max_points=2),
    IndicatorSpec("goal", "G2", rule="goalpost", params={"lo": "10", "hi": "90"}, weight=2),
    IndicatorSpec("rel", "G2", rule="minmax", inverse=True),
    IndicatorSpec("count", "G2", rule="none"),
    IndicatorSpec("derived", "G2", rule="ratio", params={"target": "2"},
                  formula="direct / count"),
    IndicatorSpec("only_b", "G21", rule="goalpost", params={"lo": "0", "hi": "100"},
                  applies_to=("B",)),
    IndicatorSpec("z1", "G3", rule="zscore"),
    IndicatorSpec("z2", "G3", rule="zscore", weight=3),
)
GROUPS = (
    GroupSpec("G1", max_points=20, order=1),
    GroupSpec("G2", aggregation="weighted_mean", max_points=30, order=2),
    GroupSpec("G21", parent="G2", aggregation="weighted_mean", weight=2),
    GroupSpec("G3", aggregation="weighted_mean", rescale="minmax", max_points=50, order=3),
)


def framework(**settings_):
    return FrameworkSpec("P", groups=GROUPS, indicators=INDICATORS, **settings_)


numbers = st.one_of(st.none(), st.integers(-5, 120).map(float),
                    st.floats(-5, 120, allow_nan=False).map(lambda x: round(x, 3)))
VALUE = {
    "yes": st.one_of(st.none(), st.booleans()),
    "pick": st.one_of(st.none(), st.sampled_from(sorted(CHOICES))),
    "count": st.one_of(st.none(), st.integers(0, 20).map(float)),
}


@st.composite
def inputs(draw, min_units=1):
    codes = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=min_units,
                          max_size=12, unique=True))
    cohorts = draw(st.lists(st.sampled_from(["A", "B"]), min_size=len(codes),
                            max_size=len(codes)))
    rows = []
    for code in codes:
        for indicator in INDICATORS:
            if draw(st.booleans()) or indicator.derived:
                # a derived value given is ignored: it must not matter either
                rows.append((code, indicator.code, draw(VALUE.get(indicator.code, numbers))))
    units = pd.DataFrame({"unit_code": codes, "cohort": cohorts})
    values = pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"], dtype=object)
    return units, values


frameworks = st.builds(
    framework,
    aggregation=st.sampled_from(["sum", "weighted_mean", "geometric_mean"]),
    decimals=st.integers(0, 4),
    rank_on=st.sampled_from(["rounded", "exact"]),
    ties=st.sampled_from(["competition", "dense"]),
    missing=st.sampled_from(["zero", "skip", "unranked"]),
    scale=st.sampled_from([1, 100, 1000]),
)


def assert_same(first, second):
    for name in ("units", "groups", "indicators"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name),
                                      check_exact=True)
    assert first.digest == second.digest


@SETTINGS
@given(frameworks, inputs(), st.randoms(use_true_random=False))
def test_reordering_units_answers_and_columns_changes_nothing(spec, data, random):
    units, values = data
    result = compute(spec, units, values)
    unit_order = list(range(len(units)))
    value_order = list(range(len(values)))
    random.shuffle(unit_order)
    random.shuffle(value_order)
    shuffled_units = units.iloc[unit_order][["cohort", "unit_code"]]
    shuffled_values = values.iloc[value_order][["value", "unit_code", "indicator_code"]]
    shuffled = compute(spec, shuffled_units.set_index(np.arange(len(units))[::-1]),
                       shuffled_values)
    assert_same(result, shuffled)


@SETTINGS
@given(frameworks, inputs())
def test_same_inputs_same_snapshot_to_the_bit(spec, data):
    units, values = data
    first = compute(spec, units, values)
    second = compute(spec, units.copy(), values.copy())
    assert_same(first, second)
    assert inputs_digest(spec, units, values) == first.digest


@SETTINGS
@given(frameworks, inputs())
def test_ranks_are_a_ranking_of_the_published_scores(spec, data):
    units, values = data
    result = compute(spec, units, values)
    frames = [(result.units, "score", "score_exact", ["cohort"])]
    frames.append((result.groups, "score", "score_exact", ["cohort", "group_code"]))
    for frame, rounded, exact, keys in frames:
        for _, part in frame.groupby(keys):
            scores = part[exact if spec.rank_on == "exact" else rounded].to_numpy()
            ranks = part["rank"]
            for score, rank in zip(scores, ranks, strict=True):
                if np.isnan(score):
                    assert pd.isna(rank)
                    continue
                present = scores[~np.isnan(scores)]
                if spec.ties == "competition":
                    expected = 1 + int((present > score).sum())
                else:
                    expected = 1 + len(np.unique(present[present > score]))
                assert rank == expected
    # the rounded scores are the exact ones rounded; max_score is the scale
    assert np.allclose(result.units["score"], result.units["score_exact"],
                       atol=0.5 * 10.0 ** -spec.decimals + 1e-9, equal_nan=True)
    assert (result.units["max_score"] == float(spec.scale)).all()


MONOTONE = FrameworkSpec("M", groups=(
    GroupSpec("S", order=1),
    GroupSpec("W", aggregation="weighted_mean", max_points=40, order=2),
    GroupSpec("WS", parent="W", weight=2)), indicators=(
    IndicatorSpec("direct", "S", max_points=10),
    IndicatorSpec("ratio", "S", rule="ratio", params={"target": "50"}, max_points=5),
    IndicatorSpec("bands", "W", rule="bands", params={"0": "0", "20": "0.5", "60": "1"}),
    IndicatorSpec("goal", "W", rule="goalpost", params={"lo": "10", "hi": "90"}, weight=3),
    IndicatorSpec("yes", "WS", value_type="boolean", rule="boolean", max_points=3),
    IndicatorSpec("ratio2", "WS", rule="ratio", params={"target": "7"}, max_points=3),
))
MONOTONE_NUMERIC = ["direct", "ratio", "bands", "goal", "ratio2"]


@SETTINGS
@given(inputs(), st.sampled_from(MONOTONE_NUMERIC + ["yes"]),
       st.floats(0, 200, allow_nan=False), st.sampled_from(["sum", "weighted_mean"]),
       st.sampled_from(["zero", "skip", "unranked"]), st.data())
def test_raising_a_value_never_lowers_the_units_points_or_total(data, code, raise_by,
                                                                aggregation, missing, draw):
    units, values = data
    spec = replace(MONOTONE, aggregation=aggregation, missing=missing)
    rows = []
    for unit in units["unit_code"]:
        for name in MONOTONE_NUMERIC:
            rows.append((unit, name, draw.draw(st.floats(-5, 120, allow_nan=False))))
        rows.append((unit, "yes", draw.draw(st.booleans())))
    values = pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"], dtype=object)
    target = draw.draw(st.sampled_from(list(units["unit_code"])))
    raised = values.copy()
    at = (raised["unit_code"] == target) & (raised["indicator_code"] == code)
    old = raised.loc[at, "value"].iloc[0]
    raised.loc[at, "value"] = True if code == "yes" else old + raise_by
    before, after = compute(spec, units, values), compute(spec, units, raised)

    def points(result):
        rows = result.indicators
        return rows[(rows["unit_code"] == target) & (rows["indicator_code"] == code)][
            "points"].iloc[0]

    def total(result):
        return result.units.set_index("unit_code").loc[target, "score_exact"]

    assert points(after) >= points(before)
    assert total(after) >= total(before)
