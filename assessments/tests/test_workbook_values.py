"""The one value parser: numbers (Vietnamese and English number text), percents, booleans,
choices, text, ranges."""

import datetime

import pytest

from assessments.workbooks.values import (
    ValueProblem,
    parse_answer,
    parse_bool,
    parse_choice,
    parse_integer,
    parse_number,
    parse_percent,
    parse_text,
)


@pytest.mark.parametrize("raw, expected", [
    (12, 12.0),
    (2.5, 2.5),
    ("12", 12.0),
    (" 12 ", 12.0),
    ("-3", -3.0),
    ("6,5", 6.5),            # only a decimal comma fits
    ("6.5", 6.5),            # only a decimal point fits
    ("0,477", 0.477),        # "0" cannot lead a thousands group
    ("1234,567", 1234.567),  # four digits cannot lead a thousands group
    ("6.477,5", 6477.5),     # Vietnamese
    ("6,477.5", 6477.5),     # English
    ("1.234.567", 1234567.0),
    ("1,234,567", 1234567.0),
    ("1 234 567", 1234567.0),
    ("1\u00a0234,5", 1234.5),
    ("6.4770", 6.477),       # four decimals: not a thousands group
    ("1e3", 1000.0),
    (".5", 0.5),
])
def test_number_text_that_reads_one_way_only_is_accepted(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["6.477", "6,477", "-6.477", "12,345"])
def test_thousands_or_decimal_text_is_refused_as_ambiguous(raw):
    with pytest.raises(ValueProblem, match="không rõ nghĩa"):
        parse_number(raw)


@pytest.mark.parametrize("raw", ["abc", "1.2.3,4,5", "12a", "1,23,456", "--1", True,
                                 datetime.date(2017, 1, 1), "97%", "nan", "5."])
def test_not_a_number_is_refused(raw):
    with pytest.raises(ValueProblem):
        parse_number(raw)


def test_integer_refuses_a_fraction():
    assert parse_integer(3.0) == 3
    assert parse_integer("1.234.000") == 1234000
    with pytest.raises(ValueProblem, match="số nguyên"):
        parse_integer(2.5)
    with pytest.raises(ValueProblem, match="số nguyên"):
        parse_integer("2,5")


def test_percent_cell_format_and_percent_text_mean_hundredths():
    assert parse_percent(0.97, percent_format=True) == 97.0
    assert parse_percent(0.07, percent_format=True) == 7.0  # no 7.000000000000001
    assert parse_percent(0.97) == 0.97
    assert parse_percent("97%") == 97.0
    assert parse_percent("97,5 %") == 97.5
    assert parse_percent("97") == 97.0


@pytest.mark.parametrize("raw, expected", [
    ("có", True), ("Có", True), ("CÓ", True), ("co", True), ("yes", True), ("TRUE", True),
    ("1", True), (1.0, True), (True, True), ("x", True), ("X", True),
    ("không", False), ("Không", False), ("KHONG", False), ("no", False), ("false", False),
    ("0", False), (0, False), (False, False),
])
def test_booleans_in_vietnamese_and_english(raw, expected):
    assert parse_bool(raw) is expected


@pytest.mark.parametrize("raw", ["có lẽ", "2", 2.0, "y"])
def test_other_booleans_are_refused(raw):
    with pytest.raises(ValueProblem, match="có/không"):
        parse_bool(raw)


def test_choice_is_an_option_code_regardless_of_case():
    options = {"A": "5", "B": "3", "muc_1": "1"}
    assert parse_choice("A", options) == "A"
    assert parse_choice("b", options) == "B"
    assert parse_choice("MUC_1", options) == "muc_1"
    with pytest.raises(ValueProblem, match="A, B, muc_1"):
        parse_choice("D", options)
    assert parse_choice(1.0, {"1": "2"}) == "1"


def test_text_of_number_cells_has_no_trailing_zero():
    assert parse_text(12.0) == "12"
    assert parse_text(0.5) == "0.5"
    assert parse_text("  a  ") == "a"
    with pytest.raises(ValueProblem, match="vượt quá"):
        parse_text("abcdef", max_length=3)


def test_answers_are_stored_as_number_or_text():
    assert parse_answer(None, value_type="number") == (None, "")
    assert parse_answer("  ", value_type="boolean") == (None, "")
    assert parse_answer("không", value_type="boolean") == (0.0, "")
    assert parse_answer(0.5, value_type="percent", percent_format=True) == (50.0, "")
    assert parse_answer("a", value_type="choice", options={"A": "1"}) == (None, "A")
    assert parse_answer(12, value_type="text") == (None, "12")


def test_answers_outside_their_range_are_refused():
    with pytest.raises(ValueProblem, match="0–10"):
        parse_answer(11, value_type="number", minimum=0, maximum=10)
    with pytest.raises(ValueProblem, match="nhỏ hơn"):
        parse_answer(-1, value_type="integer", minimum=0)
    # a percent lies in 0–100 unless the indicator says otherwise
    with pytest.raises(ValueProblem, match="0–100"):
        parse_answer("120%", value_type="percent")
    assert parse_answer("120%", value_type="percent", maximum=200) == (120.0, "")
