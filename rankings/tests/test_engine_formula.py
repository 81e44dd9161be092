"""The formula parser of derived indicators: grammar, evaluation and refusals."""

import math

import numpy as np
import pandas as pd
import pytest

from rankings.engine import FormulaError, parse_formula


def value(text: str, **columns) -> float:
    frame = pd.DataFrame({k: [v] for k, v in columns.items()}, index=[0])
    if not columns:
        frame = pd.DataFrame(index=[0])
    return parse_formula(text).evaluate(frame).iloc[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("2 + 3 * 4", 14.0),
    ("(2 + 3) * 4", 20.0),
    ("10 - 4 - 3", 3.0),          # left-associative
    ("10 / 4 / 5", 0.5),          # left-associative
    ("-2 * 3", -6.0),
    ("2 - -3", 5.0),
    ("-(1 + 2) * -2", 6.0),
    ("+4", 4.0),
    ("0.5 * 100", 50.0),
    (".25 * 4", 1.0),
    ("2 * 3 + 4 * 5", 26.0),
    ("100 - 2 * (3 + 4) / 7", 98.0),
])
def test_precedence_and_associativity(text, expected):
    assert value(text) == expected


def test_codes_are_read_from_columns():
    formula = parse_formula("computers / staff * 100")
    assert formula.codes == {"computers", "staff"}
    frame = pd.DataFrame({"computers": [97, 10, 5], "staff": [100, 20, 4]})
    assert formula.evaluate(frame).tolist() == [97.0, 50.0, 125.0]


def test_codes_with_dots_and_underscores():
    formula = parse_formula("_a.1 + b_2.x")
    assert formula.codes == {"_a.1", "b_2.x"}
    assert value("_a.1 + b_2.x", **{"_a.1": 1.5, "b_2.x": 2}) == 3.5


@pytest.mark.parametrize(("text", "expected"), [
    ("min(3, 1, 2)", 1.0),
    ("max(3, 1, 2)", 3.0),
    ("max(4)", 4.0),
    ("abs(-2.5)", 2.5),
    ("MIN(a, 10) + Max(a, 0) + ABS(a)", -5 + 0 + 5),
    ("min(max(a, 0), 1)", 0.0),
])
def test_functions(text, expected):
    assert value(text, a=-5.0) == expected


def test_division_by_zero_is_missing():
    frame = pd.DataFrame({"a": [1.0, 0.0, 2.0], "b": [0.0, 0.0, 4.0]})
    result = parse_formula("a / b").evaluate(frame)
    assert math.isnan(result[0]) and math.isnan(result[1]) and result[2] == 0.5
    # a missing value must not come back through min/max: min(inf, 5) would give 5
    assert math.isnan(parse_formula("min(a / b, 5)").evaluate(frame)[0])


def test_missing_operand_is_missing():
    frame = pd.DataFrame({"a": [1.0, None, 3.0], "b": [1.0, 1.0, None]}, dtype=object)
    result = parse_formula("a + b").evaluate(frame).tolist()
    assert result[0] == 2.0 and math.isnan(result[1]) and math.isnan(result[2])
    assert math.isnan(parse_formula("max(a, b)").evaluate(frame)[2])
    # an absent column is missing for every row
    assert parse_formula("a + zz").evaluate(frame).isna().all()


def test_booleans_and_text_in_columns():
    frame = pd.DataFrame({"flag": [True, False, None], "n": ["2", "x", 3]}, dtype=object)
    result = parse_formula("flag * 10 + n").evaluate(frame).tolist()
    assert result[0] == 12.0
    assert math.isnan(result[1]) and math.isnan(result[2])


def test_evaluation_is_vectorised_over_rows():
    frame = pd.DataFrame({"a": np.arange(10_000, dtype=float), "b": np.full(10_000, 2.0)})
    result = parse_formula("max(a / b, 1)").evaluate(frame)
    assert len(result) == 10_000 and result.index.equals(frame.index)
    assert result.iloc[0] == 1.0 and result.iloc[-1] == 9_999 / 2


@pytest.mark.parametrize(("text", "position", "words"), [
    ("", 0, "empty"),
    ("   ", 0, "empty"),
    ("1 +", 3, "ends"),
    ("1 + * 2", 4, "'*'"),
    ("(1 + 2", 6, "')'"),
    ("1 + 2)", 5, "')'"),
    ("a b", 2, "'b'"),
    ("2a", 1, "'a'"),
    ("a ** 2", 3, "'*'"),
    ("a ^ 2", 2, "'^'"),
    ("a % 2", 2, "'%'"),
    ("min()", 4, "')'"),
    ("min(1,)", 6, "')'"),
    ("abs(1, 2)", 0, "exactly one"),
    ("foo(1)", 0, "unknown function"),
    ("__import__(os)", 0, "unknown function"),
    ("os.system(1)", 0, "unknown function"),
    ("__import__('os').system('ls')", 11, "unexpected character"),
    ("a[0]", 1, "'['"),
    ("a.b()", 0, "unknown function"),
    ("(1).real", 3, "'.'"),
    ("lambda: 1", 6, "':'"),
    ("a; b", 1, "';'"),
    ("1 = 1", 2, "'='"),
    ("1 . 2", 2, "'.'"),
])
def test_syntax_errors_carry_a_position(text, position, words):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert caught.value.position == position, str(caught.value)
    assert words in str(caught.value)
    assert str(caught.value).endswith(f"at column {position + 1}")


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse_formula("(" * 200 + "1" + ")" * 200)
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse_formula("-" * 200 + "1")
    with pytest.raises(FormulaError, match="longer"):
        parse_formula("1+" * 600 + "1")


def test_attribute_like_names_are_only_codes():
    # "a.__class__" is a (strange) code: it is looked up as a column, never as an attribute
    formula = parse_formula("a.__class__ + 1")
    assert formula.codes == {"a.__class__"}
    assert math.isnan(formula.evaluate(pd.DataFrame({"a": [1.0]})).iloc[0])


def test_formula_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_formula("1 +")
