"""round_half_away and rank_scores."""

import math

import numpy as np
import pandas as pd
import pytest

from rankings.engine import rank_scores, round_half_away


@pytest.mark.parametrize(("x", "decimals", "expected"), [
    (2.675, 2, 2.68),    # stored as 2.67499999999999982...
    (0.125, 2, 0.13),
    (1.005, 2, 1.01),    # stored as 1.00499999999999989...
    (0.285, 2, 0.29),
    (-1.005, 2, -1.01),
    (-2.5, 0, -3.0),
    (2.5, 0, 3.0),
    (0.5, 0, 1.0),
    (1.5, 0, 2.0),
    (98.0, 2, 98.0),
    (2.6749, 2, 2.67),
    (2.67501, 2, 2.68),
    (95.004, 2, 95.0),
    (94.996, 2, 95.0),
    (79.995, 2, 80.0),
    (0.63335, 4, 0.6334),
    (123.4567, 0, 123.0),
    (999.9995, 3, 1000.0),
    (0.0000005, 6, 0.000001),
])
def test_half_away_from_zero(x, decimals, expected):
    assert round_half_away(x, decimals) == expected


def test_negative_zero_and_nan():
    result = round_half_away(-0.001, 2)
    assert result == 0.0 and math.copysign(1.0, result) == 1.0
    assert math.isnan(round_half_away(float("nan"), 2))


def test_vectorised_forms_keep_their_kind():
    array = round_half_away(np.array([2.675, 0.125, np.nan]), 2)
    assert isinstance(array, np.ndarray)
    np.testing.assert_array_equal(array, [2.68, 0.13, np.nan])
    series = round_half_away(pd.Series([1.005, -2.5], index=["a", "b"], name="s"), 0)
    assert isinstance(series, pd.Series)
    assert series.index.tolist() == ["a", "b"] and series.name == "s"
    assert series.tolist() == [1.0, -3.0]
    assert isinstance(round_half_away(2.675, 2), float)
    assert round_half_away([0.5, 1.5, 2.5], 0).tolist() == [1.0, 2.0, 3.0]


def test_differs_from_python_round():
    # Python's round() rounds half to even and sees the binary value: it gives 2.67 and 0.12
    assert round(2.675, 2) == 2.67 and round(0.125, 2) == 0.12
    assert round_half_away(2.675, 2) == 2.68 and round_half_away(0.125, 2) == 0.13


def test_competition_ranking_three_way_tie_for_second():
    ranks = rank_scores(pd.Series([99, 95, 95, 95, 90]), "competition")
    assert ranks.tolist() == [1, 2, 2, 2, 5]
    assert str(ranks.dtype) == "Int64"


def test_dense_ranking():
    assert rank_scores(pd.Series([99, 95, 95, 95, 90]), "dense").tolist() == [1, 2, 2, 2, 3]
    assert rank_scores(pd.Series([1.0, 3.0, 3.0, 2.0]), "dense").tolist() == [3, 1, 1, 2]


def test_ranking_keeps_index_order_and_leaves_nan_unranked():
    ranks = rank_scores(pd.Series([50.0, np.nan, 70.0, 50.0], index=list("abcd")), "competition")
    assert ranks.index.tolist() == list("abcd")
    assert ranks["c"] == 1 and ranks["a"] == 2 and ranks["d"] == 2
    assert ranks.isna().tolist() == [False, True, False, False]


def test_ranking_empty_and_all_missing():
    assert rank_scores(pd.Series([], dtype=float), "competition").empty
    assert rank_scores(pd.Series([np.nan, np.nan]), "dense").isna().all()


def test_rounded_scores_tie():
    # 95.004 and 94.996 are both published as 95.00 and so share the rank
    scores = pd.Series([95.004, 94.996, 96.0])
    assert rank_scores(round_half_away(scores, 2), "competition").tolist() == [2, 2, 1]
    assert rank_scores(scores, "competition").tolist() == [2, 3, 1]


def test_unknown_ties_is_refused():
    with pytest.raises(ValueError):
        rank_scores(pd.Series([1.0]), "olympic")
