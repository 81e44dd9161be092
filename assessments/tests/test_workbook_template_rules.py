"""The templates' Excel data validation equals the importer's rules, for every value type:
what Excel lets a person type into a cell is what ``import_returns`` accepts from it.

Each validation is read back from the saved workbook (type, bounds, list of choices) and
checked against the importer itself: the bounds and choices equal those of the
importer's view of the indicator, every value on the edge is accepted by the importer's
parser and every value just past it refused.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from assessments.models import Indicator, Submission
from assessments.services import _indicator_infos
from assessments.workbooks.template import (
    HEADER_ROW,
    OPEN_HIGH,
    OPEN_LOW,
    bulk_template,
    unit_template,
)
from assessments.workbooks.values import MAX_TEXT, ValueProblem, parse_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicators(period):
    """The sample framework (one indicator of each value type) plus numbers bounded every
    way: none, only above, both (whole), and a percent with its own range."""
    framework = period.framework
    group = framework.groups.get(code="UD")
    for code, value_type, low, high in [("so_tu_do", "number", None, None),
                                        ("so_tran", "number", None, 50),
                                        ("nguyen_khoang", "integer", 1, 12),
                                        ("ty_le_hep", "percent", 10, 90)]:
        Indicator.objects.create(framework=framework, group=group, code=code, name=code,
                                 value_type=value_type, rule="none", min_value=low,
                                 max_value=high)
    return _indicator_infos(framework)


def rule_of(validation) -> tuple:
    """A data validation read back as ``(kind, minimum, maximum, choices)``."""
    def number(formula):
        return None if formula in (OPEN_LOW, OPEN_HIGH, None) else float(formula)

    kind = validation.type
    if kind == "list":
        return "list", None, None, tuple(validation.formula1.strip('"').split(","))
    if kind in ("whole", "decimal"):
        operator = validation.operator or "between"
        if operator == "between":
            return kind, number(validation.formula1), number(validation.formula2), ()
        if operator == "greaterThanOrEqual":
            return kind, number(validation.formula1), None, ()
        if operator == "lessThanOrEqual":
            return kind, None, number(validation.formula1), ()
    if kind == "textLength" and validation.operator == "lessThanOrEqual":
        return "text", None, float(validation.formula1), ()
    if kind == "textLength" and validation.operator == "equal":
        return "empty", None, None, ()
    raise AssertionError(f"unexpected validation {kind} {validation.operator}")


def rules_by_column(content: bytes) -> dict[str, list[tuple]]:
    """Indicator code -> the rules of its cells, from the template's first sheet."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    header = {sheet.cell(HEADER_ROW, c).column_letter: sheet.cell(HEADER_ROW, c).value
              for c in range(1, sheet.max_column + 1)}
    rules: dict[str, list[tuple]] = {}
    for validation in sheet.data_validations.dataValidation:
        for ref in str(validation.sqref).split():
            letter = "".join(ch for ch in ref.split(":")[0] if ch.isalpha())
            rules.setdefault(header[letter], []).append(rule_of(validation))
    return rules


def accepted(info, raw) -> bool:
    try:
        parse_answer(raw, value_type=info.value_type, options=info.options,
                     minimum=info.min, maximum=info.max)
    except ValueProblem:
        return False
    return True


def assert_rule_is_the_importers(info, rule) -> None:
    kind, low, high, choices = rule
    if info.value_type == "boolean":
        assert kind == "list" and choices == ("Có", "Không")
        assert all(accepted(info, c) for c in choices)
        assert not accepted(info, "Có lẽ")
    elif info.value_type == "choice":
        assert kind == "list" and choices == tuple(info.options)
        assert all(accepted(info, c) for c in choices)
        assert not accepted(info, "".join(choices) + "?")
    elif info.value_type in ("number", "integer", "percent"):
        assert kind == ("whole" if info.value_type == "integer" else "decimal")
        expected_low, expected_high = info.min, info.max
        if info.value_type == "percent":  # the importer's default range of a percent
            expected_low = 0.0 if expected_low is None else expected_low
            expected_high = 100.0 if expected_high is None else expected_high
        assert (low, high) == (expected_low, expected_high)
        if low is not None:
            assert accepted(info, low) and not accepted(info, low - 1e-6)
        else:
            assert accepted(info, -1e12)
        if high is not None:
            assert accepted(info, high) and not accepted(info, high + 1e-6)
        else:
            assert accepted(info, 1e12)
        whole = low if low is not None else (high - 1 if high is not None else 0)
        assert accepted(info, whole)
        assert accepted(info, whole + 0.5) is (kind == "decimal")  # within every range here
    elif info.value_type == "text":
        assert (kind, high) == ("text", float(MAX_TEXT))
        assert accepted(info, "x" * MAX_TEXT) and not accepted(info, "x" * (MAX_TEXT + 1))
    else:  # pragma: no cover - every value type is listed above
        raise AssertionError(info.value_type)


EXPECTED = {  # the fixture's indicators, written out: value type -> Excel rule
    "may_tinh": ("decimal", 0.0, None, ()),
    "can_bo": ("whole", 0.0, None, ()),
    "lan": ("list", None, None, ("Có", "Không")),
    "ty_le_dvc": ("decimal", 0.0, 100.0, ()),
    "muc_do": ("list", None, None, ("A", "B", "C")),
    "ghi_chu": ("text", None, float(MAX_TEXT), ()),
    "diem_huyen": ("decimal", 0.0, 10.0, ()),
    "so_tu_do": ("decimal", None, None, ()),
    "so_tran": ("decimal", None, 50.0, ()),
    "nguyen_khoang": ("whole", 1.0, 12.0, ()),
    "ty_le_hep": ("decimal", 10.0, 90.0, ()),
}


def test_the_bulk_template_validates_every_cell_as_the_importer_does(period, indicators):
    rules = rules_by_column(bulk_template(period))
    value_types = {info.value_type for code, info in indicators.items() if code in rules}
    assert value_types == {"number", "integer", "percent", "boolean", "choice", "text"}
    assert "mt_per_cb" not in rules  # derived: no column
    for code, info in indicators.items():
        if info.derived:
            continue
        applying = [r for r in rules[code] if r[0] != "empty"]
        assert len(applying) == 1, code
        assert applying[0] == EXPECTED[code], code
        assert_rule_is_the_importers(info, applying[0])
    # an indicator that applies to districts only must stay empty for the departments
    assert ("empty", None, None, ()) in rules["diem_huyen"]


def test_the_unit_template_validates_every_cell_as_the_importer_does(period, indicators,
                                                                     province):
    submission = Submission.objects.create(period=period, unit=province["H-A"])
    rules = rules_by_column(unit_template(submission))
    assert set(rules) == {code for code, info in indicators.items() if not info.derived}
    for code, (rule,) in rules.items():
        assert rule == EXPECTED[code], code
        assert_rule_is_the_importers(indicators[code], rule)


def test_values_excel_accepts_import_and_values_it_refuses_do_not(period, indicators, province,
                                                                  tmp_path):
    """The edges, imported for real: every value on an edge is taken, every value past
    an edge is refused at its cell."""
    from assessments.services import import_returns
    from assessments.workbooks import WorkbookError

    from .factories import write_xlsx

    codes = ["may_tinh", "can_bo", "ty_le_dvc", "nguyen_khoang", "ty_le_hep", "so_tran"]
    good = ["H-A", 0, 0, 100, 12, 10, 50]
    bad = ["H-A", -0.5, 1.5, 100.5, 13, 9.5, 50.5]
    ok = write_xlsx(tmp_path / "ok.xlsx", {"r": [["unit_code", *codes], good]})
    assert import_returns(period=period, source=ok, dry_run=True).counts["answers_created"] == 6
    wrong = write_xlsx(tmp_path / "wrong.xlsx", {"r": [["unit_code", *codes], bad]})
    with pytest.raises(WorkbookError) as error:
        import_returns(period=period, source=wrong, dry_run=True)
    assert [e.cell for e in error.value.errors] == ["B2", "C2", "D2", "E2", "F2", "G2"]
