"""The analysis API (rankings.engine.analysis): decomposition, what-if, Monte Carlo,
improvements and the comparable series, on frames only (no database)."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankings.engine import FrameworkError, FrameworkSpec, GroupSpec, IndicatorSpec, compute
from rankings.engine.analysis import (
    Reaggregator,
    ScenarioError,
    apply_changes,
    changes_between,
    comparable_series,
    decompose,
    improvements,
    monte_carlo,
    whatif,
)

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

INDICATORS = (
    IndicatorSpec("a1", "A", rule="goalpost", params={"lo": "0", "hi": "100"}),
    IndicatorSpec("a2", "A", rule="ratio", params={"target": "80"}, max_points=5),
    IndicatorSpec("b1", "B1", rule="bands", params={"20": "1", "50": "3", "80": "5"},
                  max_points=5),
    IndicatorSpec("b2", "B1", value_type="boolean", rule="boolean", max_points=2),
    IndicatorSpec("b3", "B2", rule="minmax"),
    IndicatorSpec("b4", "B2", rule="goalpost", params={"lo": "10", "hi": "60"}),
)
GROUPS = (
    GroupSpec("A", aggregation="weighted_mean", weight=0.4, order=1),
    GroupSpec("B", aggregation="weighted_mean", weight=0.6, order=2),
    GroupSpec("B1", parent="B", aggregation="sum", weight=1.0, order=1),
    GroupSpec("B2", parent="B", aggregation="weighted_mean", weight=2.0, order=2),
)


def framework(**fields) -> FrameworkSpec:
    base = FrameworkSpec("T", scale=100, aggregation="weighted_mean", decimals=2,
                         groups=GROUPS, indicators=INDICATORS)
    return replace(base, **fields)


def frames(rows: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    units = pd.DataFrame({"unit_code": list(rows), "cohort": "c"}, dtype=object)
    values = pd.DataFrame([(u, k, v) for u, answers in rows.items() for k, v in answers.items()],
                          columns=["unit_code", "indicator_code", "value"], dtype=object)
    return units, values


def sample_rows(seed: int, n: int = 12, codes=("a1", "a2", "b1", "b2", "b3", "b4")) -> dict:
    rng = np.random.default_rng(seed)
    rows = {}
    for k in range(n):
        answers = {}
        for code in codes:
            answers[code] = bool(rng.random() < 0.6) if code == "b2" else round(
                float(rng.uniform(0, 100)), 2)
        rows[f"U{k:02d}"] = answers
    return rows


# --- what-if ---------------------------------------------------------------------------------

def test_scenario_equal_to_the_official_framework_gives_the_official_snapshot():
    spec = framework()
    units, values = frames(sample_rows(1))
    official = compute(spec, units, values)
    result = whatif(spec, official, {})
    pd.testing.assert_series_equal(result.units["score_exact"], official.units["score_exact"])
    pd.testing.assert_series_equal(result.units["score"], official.units["score"])
    assert result.units["rank"].tolist() == official.units["rank"].tolist()
    assert result.units["band"].tolist() == official.units["band"].tolist()
    assert (result.units["shift"] == 0).all()
    merged = official.groups.merge(result.groups, on=["unit_code", "group_code"],
                                   suffixes=("", "_w"))
    assert len(merged) == len(official.groups)
    assert (merged["score_exact"] == merged["score_exact_w"]).all()
    assert (merged["rank"] == merged["rank_w"]).all()
    # spelling out the official weights is the same scenario
    same = {"groups": {g.code: {"weight": g.weight, "aggregation": g.aggregation}
                       for g in spec.groups}, "root": {"aggregation": spec.aggregation}}
    again = whatif(spec, official, same)
    assert (again.units["score_exact"] == official.units["score_exact"]).all()


@pytest.mark.parametrize("changes", [
    {"groups": {"A": {"weight": 2}}},
    {"groups": {"B2": {"aggregation": "geometric_mean"}}, "indicators": {"b4": {"weight": 3}}},
    {"root": {"aggregation": "geometric_mean"}, "groups": {"B1": {"aggregation": "weighted_mean"}}},
])
def test_whatif_reaggregation_matches_the_engine_computing_the_scenario(changes):
    spec = framework()
    units, values = frames(sample_rows(2))
    official = compute(spec, units, values)
    fast = whatif(spec, official, changes)
    exact = compute(apply_changes(spec, changes), units, values)
    np.testing.assert_allclose(fast.units["score_exact"], exact.units["score_exact"],
                               rtol=0, atol=1e-12)
    assert fast.units["rank"].tolist() == exact.units["rank"].tolist()
    slow = whatif(spec, official, changes, units=units, values=values)
    assert slow.units["rank"].tolist() == exact.units["rank"].tolist()
    assert (fast.units["shift"] == official.units["rank"] - fast.units["rank"]).all()


def test_doubling_a_group_weight_moves_units_strong_in_it_up():
    spec = framework()
    rows = {"STRONG_A": {"a1": 100, "a2": 80, "b1": 0, "b2": False, "b3": 0, "b4": 10},
            "STRONG_B": {"a1": 0, "a2": 0, "b1": 90, "b2": True, "b3": 100, "b4": 60}}
    units, values = frames(rows)
    official = compute(spec, units, values)
    assert official.units.set_index("unit_code").loc["STRONG_B", "rank"] == 1
    result = whatif(spec, official, {"groups": {"A": {"weight": 2.0}}}).units.set_index(
        "unit_code")
    assert result.loc["STRONG_A", "rank"] == 1 and result.loc["STRONG_A", "shift"] == 1


def test_apply_changes_names_every_bad_change_and_keeps_the_framework():
    spec = framework()
    with pytest.raises(ScenarioError) as error:
        apply_changes(spec, {"groups": {"X": {"weight": 1}, "A": {"weight": -1}},
                             "indicators": {"a1": {"rule": "none"}},
                             "root": {"aggregation": "median"}})
    text = str(error.value)
    for part in ("group X", "group A", "indicator a1", "root"):
        assert part in text
    assert spec == framework()
    changed = apply_changes(spec, {"indicators": {"a1": {"weight": 3}}})
    assert changes_between(spec, changed) == {"indicators": {"a1": {"weight": 3.0}}}


def test_apply_changes_refuses_a_geometric_mean_over_zscores():
    spec = FrameworkSpec("Z", aggregation="weighted_mean", groups=(
        GroupSpec("G", aggregation="weighted_mean", rescale="minmax"),),
        indicators=(IndicatorSpec("z", "G", rule="zscore"),))
    with pytest.raises(FrameworkError):
        apply_changes(spec, {"groups": {"G": {"aggregation": "geometric_mean"}}})


# --- Monte Carlo -----------------------------------------------------------------------------

def test_zero_variation_gives_the_official_ranks_with_zero_width():
    spec = framework()
    units, values = frames(sample_rows(3, n=30))
    official = compute(spec, units, values)
    result = monte_carlo(spec, official, n_draws=50, weight_range=0.0,
                         aggregation_switch=False, seed=1)
    table = result.units.set_index("unit_code")
    ranks = official.units.set_index("unit_code")["rank"].astype(float)
    assert (table["median_rank"] == ranks[table.index]).all()
    assert (table["p05"] == table["p95"]).all() and (table["width"] == 0).all()
    assert result.average_shift == 0 and result.switched == 0


def test_varied_weights_widen_the_intervals_and_keep_the_median_inside():
    spec = framework()
    units, values = frames(sample_rows(4, n=40))
    official = compute(spec, units, values)
    result = monte_carlo(spec, official, n_draws=200, weight_range=0.5, seed=7)
    table = result.units
    assert (table["p05"] <= table["median_rank"]).all()
    assert (table["median_rank"] <= table["p95"]).all()
    assert table["width"].max() > 0 and result.average_shift > 0
    assert 0 < result.switched < 200
    again = monte_carlo(spec, official, n_draws=200, weight_range=0.5, seed=7)
    pd.testing.assert_frame_equal(table, again.units)


def test_a_monte_carlo_draw_is_the_engine_on_the_drawn_weights():
    spec = framework()
    units, values = frames(sample_rows(5, n=25))
    official = compute(spec, units, values)
    weights = {"A": 0.7, "B": 0.3, "b4": 2.5, "B2": 0.5}
    aggregated = Reaggregator(spec, official).aggregate(
        spec, {k: np.array([v]) for k, v in weights.items()})
    changes = {"groups": {k: {"weight": v} for k, v in weights.items() if k.isupper()},
               "indicators": {"b4": {"weight": 2.5}}}
    exact = compute(apply_changes(spec, changes), units, values)
    np.testing.assert_allclose(aggregated.totals[:, 0] * 100, exact.units["score_exact"],
                               rtol=0, atol=1e-12)


# --- decomposition ---------------------------------------------------------------------------

def test_decomposition_of_a_changed_value_is_the_effective_weight_times_the_change():
    spec = framework()
    before = sample_rows(6)
    after = {u: dict(a) for u, a in before.items()}
    after["U03"]["a1"] = before["U03"]["a1"] + 10 if before["U03"]["a1"] < 90 else 50.0
    prev, now = (compute(spec, *frames(rows)) for rows in (before, after))
    result = decompose(spec, prev, spec, now, "U03")
    assert list(result.items["code"]) == ["a1"]
    expected = 100 * 0.4 * 0.5 * (after["U03"]["a1"] - before["U03"]["a1"]) / 100
    assert result.items["points"].iloc[0] == pytest.approx(expected, abs=1e-12)
    assert result.change == pytest.approx(expected, abs=1e-12)


def test_decomposition_names_weight_rule_added_and_removed_changes():
    before = framework()
    after = replace(before, groups=tuple(replace(g, weight=0.5) if g.code == "A" else g
                                         for g in GROUPS),
                    indicators=tuple(
                        replace(i, params={"lo": "0", "hi": "50"}) if i.code == "a1" else i
                        for i in INDICATORS if i.code != "b2")
                    + (IndicatorSpec("b5", "B1", rule="ratio", params={"target": "10"}),))
    rows = sample_rows(8)
    later = {u: {**{k: v for k, v in a.items() if k != "b2"}, "b5": 5.0}
             for u, a in rows.items()}
    later["U01"]["a2"] = 70.0
    prev = compute(before, *frames(rows))
    now = compute(after, *frames(later))
    result = decompose(before, prev, after, now, "U01")
    kinds = {(row.code, row.kind) for row in result.items.itertuples()}
    assert ("", "weight") in kinds
    assert ("a1", "rule") in kinds and ("b2", "removed") in kinds and ("b5", "added") in kinds
    assert math.fsum(result.items["points"]) == pytest.approx(result.change, abs=1e-10)
    assert math.fsum(result.by_top["points"]) == pytest.approx(result.change, abs=1e-10)


def test_units_passed_and_passing_are_listed():
    spec = framework()
    before = {"X": {"a1": 90}, "Y": {"a1": 50}, "Z": {"a1": 10}}
    after = {"X": {"a1": 40}, "Y": {"a1": 50}, "Z": {"a1": 60}}
    prev, now = compute(spec, *frames(before)), compute(spec, *frames(after))
    result = decompose(spec, prev, spec, now, "X")
    assert (result.rank_previous, result.rank_now) == (1, 3)
    assert result.passed.empty
    assert result.passed_by["unit_code"].tolist() == ["Z", "Y"]
    assert decompose(spec, prev, spec, now, "Z").passed["unit_code"].tolist() == ["Y", "X"]
    group = decompose(spec, prev, spec, now, "X", "A")
    assert group.passed_by["unit_code"].tolist() == ["Z", "Y"]


aggregations = st.sampled_from(["sum", "weighted_mean", "geometric_mean"])
weights = st.floats(0.1, 5).map(lambda w: round(w, 3))
answers = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def framework_pairs(draw):
    def one():
        groups = tuple(replace(g, aggregation=draw(aggregations), weight=draw(weights),
                               max_points=draw(st.sampled_from([None, 7.0])))
                       for g in GROUPS)
        indicators = tuple(replace(i, weight=draw(weights)) for i in INDICATORS)
        if draw(st.booleans()):
            indicators = tuple(replace(i, params={"lo": "0", "hi": "50"}) if i.code == "a1"
                               else i for i in indicators)
        drop = draw(st.sampled_from(["", "a2", "b4"]))
        indicators = tuple(i for i in indicators if i.code != drop)
        return framework(aggregation=draw(aggregations), groups=groups, indicators=indicators,
                         missing=draw(st.sampled_from(["zero", "skip"])))
    return one(), one()


@given(pair=framework_pairs(), seed=st.integers(0, 10_000), n=st.integers(2, 8))
@SETTINGS
def test_contributions_sum_exactly_to_the_change_of_the_total_and_of_each_group(pair, seed, n):
    before, after = pair
    rng = np.random.default_rng(seed)
    rows = [{}, {}]
    for side in rows:
        for k in range(n):
            side[f"U{k}"] = {code: (None if rng.random() < 0.1 else
                                    bool(rng.random() < 0.5) if code == "b2"
                                    else round(float(rng.uniform(0, 100)), 2))
                             for code in ("a1", "a2", "b1", "b2", "b3", "b4")}
    def kept(spec, side):
        codes = {i.code for i in spec.indicators}
        return {u: {k: v for k, v in a.items() if k in codes} for u, a in side.items()}

    prev = compute(before, *frames(kept(before, rows[0])))
    now = compute(after, *frames(kept(after, rows[1])))
    for unit in ("U0", f"U{n - 1}"):
        for node in ("", "A", "B", "B1", "B2"):
            try:
                result = decompose(before, prev, after, now, unit, node)
            except ValueError:
                continue  # the group does not exist in both
            if result.reason:
                assert math.isnan(result.change)
                continue
            total = math.fsum(result.items["points"])
            assert abs(total - result.change) <= 1e-9 * max(1.0, abs(result.score_now),
                                                              abs(result.score_previous))


# --- improvements and the comparable series --------------------------------------------------

def test_improvements_reach_the_next_band_and_rank_better():
    spec = framework()
    rows = sample_rows(9, n=15)
    rows["U05"].update({"b1": 25.0, "b2": False})
    units, values = frames(rows)
    official = compute(spec, units, values)
    result = improvements(spec, units, values, "U05", result=official)
    steps = result.steps.set_index("indicator_code")
    assert steps.loc["b1", "target"] == 50.0  # the next threshold, not the top one
    assert steps.loc["b2", "target"] is True
    assert (steps["gain"] > 0).all()
    assert result.combined_score > result.score
    assert result.combined_rank <= result.rank


def test_comparable_series_scores_last_year_on_this_year_framework_through_the_crosswalk():
    before = framework()
    after = replace(before, indicators=tuple(
        replace(i, code="a1_new") if i.code == "a1" else i for i in INDICATORS))
    rows = sample_rows(10)
    units, values = frames(rows)
    published = compute(before, units, values)
    series = comparable_series(after, units, values, [("a1", "a1_new", 1.0)])
    assert (series.units["score_exact"] == published.units["score_exact"]).all()
    halved = comparable_series(after, units, values, [("a1", "a1_new", 0.5)])
    assert (halved.units["score_exact"] <= published.units["score_exact"]).all()
    missing = comparable_series(after, units, values, [])
    assert (missing.indicators.query("indicator_code == 'a1_new'")["fraction"] == 0).all()


@pytest.mark.parametrize("aggregation", ["weighted_mean", "geometric_mean", "sum"])
def test_batched_draws_equal_the_engine_draw_by_draw(aggregation):
    groups = tuple(replace(g, aggregation=aggregation) if g.code in ("A", "B2") else g
                   for g in GROUPS)
    spec = framework(groups=groups, missing="unranked")
    units, values = frames(sample_rows(11, n=20))
    official = compute(spec, units, values)
    reaggregator = Reaggregator(spec, official)
    rng = np.random.default_rng(3)
    draws = 7
    weights = {code: rng.uniform(0.5, 1.5, draws) for code in ("A", "B", "B2", "a1", "b3")}
    exact = reaggregator.aggregate(spec, weights, draws).totals
    fast = reaggregator.aggregate(spec, weights, draws, exact=False).totals
    np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-12)
    for d in range(draws):
        changes = {"groups": {k: {"weight": float(weights[k][d])} for k in ("A", "B", "B2")},
                   "indicators": {k: {"weight": float(weights[k][d])} for k in ("a1", "b3")}}
        engine = compute(apply_changes(spec, changes), units, values)
        # child after child, as the engine adds: the same bits
        assert (exact[:, d] * 100 == engine.units["score_exact"].to_numpy()).all()
