"""validate_framework reports each kind of mistake; parse_params / format_params."""

import pytest

from rankings.engine import (
    Band,
    FrameworkError,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
    format_params,
    parse_params,
    validate_framework,
)

GROUPS = (GroupSpec("A"), GroupSpec("B", parent="A"))
INDICATORS = (IndicatorSpec("a1", "A"), IndicatorSpec("b1", "B"))


def spec(groups=GROUPS, indicators=INDICATORS, **settings):
    return FrameworkSpec("F", groups=tuple(groups), indicators=tuple(indicators), **settings)


def issues_of(framework):
    return {(i.kind, i.code, i.field) for i in validate_framework(framework)}


def only(framework):
    issues = validate_framework(framework)
    assert len(issues) == 1, issues
    return issues[0]


def with_indicator(**kwargs):
    return spec(indicators=INDICATORS + (IndicatorSpec("x", "A", **kwargs),))


def test_a_valid_framework_has_no_issue():
    assert validate_framework(spec()) == []
    assert validate_framework(spec(
        scale=1, aggregation="weighted_mean", decimals=4, rank_on="exact", ties="dense",
        missing="unranked", bands=(Band("Tốt", 80), Band("Khá", 65)))) == []


@pytest.mark.parametrize(("settings", "key"), [
    ({"scale": 0}, "scale"), ({"scale": -5}, "scale"), ({"scale": "abc"}, "scale"),
    ({"aggregation": "median"}, "aggregation"),
    ({"decimals": 7}, "decimals"), ({"decimals": -1}, "decimals"), ({"decimals": 1.5}, "decimals"),
    ({"rank_on": "round"}, "rank_on"), ({"ties": "olympic"}, "ties"),
    ({"missing": "ignore"}, "missing"),
])
def test_settings(settings, key):
    issue = only(spec(**settings))
    assert (issue.kind, issue.code, issue.field) == ("settings", key, "value")


def test_settings_code():
    assert ("settings", "code", "value") in issues_of(FrameworkSpec(
        "", groups=GROUPS, indicators=INDICATORS))


def test_duplicate_codes_share_one_namespace():
    issue = only(spec(groups=GROUPS + (GroupSpec("a1", parent="A"),),
                      indicators=INDICATORS + (IndicatorSpec("c", "a1"),)))
    assert (issue.kind, issue.code, issue.field) == ("indicator", "a1", "code")
    assert "already used by a group" in issue.message
    issue = only(spec(indicators=INDICATORS + (IndicatorSpec("b1", "A"),)))
    assert (issue.kind, issue.code, issue.field) == ("indicator", "b1", "code")


@pytest.mark.parametrize("code", ["has space", "1.1", "a-b", "__total__", ""])
def test_bad_codes(code):
    assert ("indicator", code, "code") in issues_of(
        spec(indicators=INDICATORS + (IndicatorSpec(code, "A"),)))


def test_unknown_parent():
    issue = only(spec(groups=(GroupSpec("A"), GroupSpec("B", parent="ZZ"))))
    assert (issue.kind, issue.code, issue.field) == ("group", "B", "parent")
    assert "'ZZ'" in issue.message


def test_group_is_its_own_parent():
    issue = only(spec(groups=(GroupSpec("A"), GroupSpec("B", parent="B"))))
    assert (issue.code, issue.field) == ("B", "parent")


def test_cycle_of_groups():
    groups = (GroupSpec("A"), GroupSpec("B", parent="C"), GroupSpec("C", parent="D"),
              GroupSpec("D", parent="B"))
    indicators = INDICATORS + (IndicatorSpec("c1", "C"), IndicatorSpec("d1", "D"))
    issues = [i for i in validate_framework(spec(groups, indicators)) if "cycle" in i.message]
    assert len(issues) == 1 and issues[0].field == "parent"
    assert "B -> C -> D -> B" in issues[0].message


def test_group_without_children():
    issue = only(spec(groups=GROUPS + (GroupSpec("EMPTY"),)))
    assert (issue.kind, issue.code) == ("group", "EMPTY") and "no children" in issue.message


def test_group_of_only_unscored_indicators_is_allowed():
    framework = spec(groups=GROUPS + (GroupSpec("INFO"),),
                     indicators=INDICATORS + (IndicatorSpec("computers", "INFO", rule="none"),))
    assert validate_framework(framework) == []


@pytest.mark.parametrize(("group", "field"), [
    (GroupSpec("G", aggregation="avg"), "aggregation"),
    (GroupSpec("G", rescale="zscore"), "rescale"),
    (GroupSpec("G", weight=0), "weight"),
    (GroupSpec("G", weight=-1), "weight"),
    (GroupSpec("G", weight="heavy"), "weight"),
    (GroupSpec("G", weight=float("nan")), "weight"),
    (GroupSpec("G", max_points=0), "max_points"),
])
def test_group_fields(group, field):
    issue = only(spec(groups=GROUPS + (group,),
                      indicators=INDICATORS + (IndicatorSpec("g1", "G"),)))
    assert (issue.kind, issue.code, issue.field) == ("group", "G", field)


def test_indicator_group_unknown_or_empty():
    assert only(spec(indicators=INDICATORS + (IndicatorSpec("x", "ZZ"),))).field == "group"
    assert only(spec(indicators=INDICATORS + (IndicatorSpec("x", ""),))).field == "group"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"rule": "log"}, "rule"),
    ({"value_type": "date"}, "value_type"),
    ({"max_points": 0}, "max_points"),
    ({"max_points": -2}, "max_points"),
    ({"weight": 0}, "weight"),
    ({"weight": "x"}, "weight"),
    ({"applies_to": "DEPT,DIST"}, "applies_to"),
    ({"applies_to": ("DEPT", " ")}, "applies_to"),
    ({"min": 10, "max": 5}, "max"),
    ({"min": "low"}, "min"),
])
def test_indicator_fields(kwargs, field):
    issue = only(with_indicator(**kwargs))
    assert (issue.kind, issue.code, issue.field) == ("indicator", "x", field)


@pytest.mark.parametrize("kwargs", [
    {"rule": "ratio"},
    {"rule": "ratio", "params": {"target": "0"}},
    {"rule": "ratio", "params": {"target": "-1"}},
    {"rule": "ratio", "params": {"target": "many"}},
    {"rule": "ratio", "params": {"target": "10", "cap": "1"}},
    {"rule": "goalpost", "params": {"lo": "1"}},
    {"rule": "goalpost", "params": {"lo": "1", "hi": "1"}},
    {"rule": "goalpost", "params": {"lo": "2", "hi": "1"}},
    {"rule": "goalpost", "params": {"lo": "a", "hi": "1"}},
    {"rule": "bands"},
    {"rule": "bands", "params": {"high": "1"}},
    {"rule": "bands", "params": {"10": "one"}},
    {"rule": "bands", "params": {"10": "1", "10.0": "2"}, "max_points": 5},
    {"rule": "bands", "params": {"10": "6"}, "max_points": 5},
    {"rule": "bands", "params": {"10": "-1"}},
    {"rule": "choice", "value_type": "choice"},
    {"rule": "choice", "value_type": "choice", "params": {"A": "x"}},
    {"rule": "choice", "value_type": "choice", "params": {"A": "3"}, "max_points": 2},
    {"rule": "direct", "params": {"target": "1"}},
])
def test_params_for_the_rule(kwargs):
    issues = validate_framework(with_indicator(**kwargs))
    assert issues and all((i.code, i.field) == ("x", "params") for i in issues), issues


def test_valid_params_for_each_rule():
    for kwargs in [
        {"rule": "ratio", "params": {"target": "100"}},
        {"rule": "goalpost", "params": {"lo": "0", "hi": "0.66"}},
        {"rule": "bands", "params": {"0": "0", "50": "2", "80": "4", "100": "5"},
         "max_points": 5},
        {"rule": "choice", "value_type": "choice", "params": {"A": "2", "B": "1"},
         "max_points": 2},
        {"rule": "boolean", "value_type": "boolean"},
        {"rule": "minmax", "inverse": True},
        {"rule": "none", "value_type": "text"},
    ]:
        assert validate_framework(with_indicator(**kwargs)) == [], kwargs


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"rule": "choice", "params": {"A": "1"}}, "rule"),                    # on a number
    ({"rule": "direct", "value_type": "choice"}, "rule"),
    ({"rule": "bands", "value_type": "boolean", "params": {"1": "1"}}, "rule"),
    ({"rule": "direct", "value_type": "text"}, "rule"),
    ({"rule": "choice", "value_type": "choice", "params": {"A": "1"}, "inverse": True},
     "inverse"),
])
def test_rule_and_value_type_must_fit(kwargs, field):
    issue = only(with_indicator(**kwargs))
    assert (issue.code, issue.field) == ("x", field)


def test_zscore_needs_a_rescaled_weighted_mean_group():
    groups = (GroupSpec("A"), GroupSpec("B", parent="A"),
              GroupSpec("Z", aggregation="weighted_mean", rescale="minmax"))
    ok = spec(groups=groups, indicators=INDICATORS + (IndicatorSpec("z", "Z", rule="zscore"),))
    assert validate_framework(ok) == []
    issue = only(spec(
        groups=GROUPS + (GroupSpec("W", aggregation="weighted_mean"),),
        indicators=INDICATORS + (IndicatorSpec("z", "W", rule="zscore"),)))
    assert (issue.code, issue.field) == ("z", "rule") and "rescale" in issue.message
    for aggregation in ("sum", "geometric_mean"):
        issue = only(spec(
            groups=GROUPS + (GroupSpec("S", aggregation=aggregation, rescale="minmax"),),
            indicators=INDICATORS + (IndicatorSpec("z", "S", rule="zscore"),)))
        assert (issue.code, issue.field) == ("z", "rule")


def test_formula_syntax_error_has_its_column():
    issue = only(with_indicator(formula="a1 + * 2"))
    assert issue.field == "formula" and "column 6" in issue.message


def test_formula_names_unknown_indicator():
    issue = only(with_indicator(formula="staf / 2"))
    assert issue.message == "formula names unknown indicator 'staf'"


def test_formula_names_a_group():
    assert "group 'A'" in only(with_indicator(formula="A * 2")).message


def test_formula_names_itself():
    assert "its own" in only(with_indicator(formula="x + 1")).message


def test_formula_cycle():
    indicators = INDICATORS + (IndicatorSpec("p", "A", formula="q + 1"),
                               IndicatorSpec("q", "A", formula="r * 2"),
                               IndicatorSpec("r", "A", formula="p - a1"))
    issue = only(spec(indicators=indicators))
    assert issue.field == "formula" and "p -> q -> r -> p" in issue.message


def test_formula_on_text_or_a_cohort_it_does_not_cover():
    indicators = INDICATORS + (IndicatorSpec("t", "A", value_type="text", rule="none"),
                               IndicatorSpec("x", "A", formula="t * 2"))
    assert "text" in only(spec(indicators=indicators)).message
    indicators = INDICATORS + (IndicatorSpec("d", "A", applies_to=("DEPT",)),
                               IndicatorSpec("x", "A", formula="d * 2"))
    issue = only(spec(indicators=indicators))
    assert issue.code == "x" and "DEPT" in issue.message
    fine = INDICATORS + (IndicatorSpec("d", "A", applies_to=("DEPT",)),
                         IndicatorSpec("x", "A", formula="d * 2", applies_to=("DEPT",)))
    assert validate_framework(spec(indicators=fine)) == []


def test_derived_value_type_must_be_a_number():
    issue = only(with_indicator(formula="a1 * 2", value_type="choice", rule="none"))
    assert issue.field == "value_type"


def test_bands_of_the_framework():
    assert only(spec(bands=(Band("Tốt", 80), Band("Tốt", 65)))).field == "label"
    assert only(spec(bands=(Band("Tốt", 80), Band("Khá", 80)))).field == "min_score"
    assert only(spec(bands=(Band("", 80),))).field == "label"
    issue = only(spec(bands=(Band("Tốt", "high"),)))
    assert (issue.kind, issue.code, issue.field) == ("band", "Tốt", "min_score")


def test_framework_without_a_scored_indicator():
    framework = spec(groups=(GroupSpec("A"),), indicators=(IndicatorSpec("n", "A", rule="none"),))
    assert only(framework).field == "indicators"


def test_several_issues_are_all_reported():
    framework = FrameworkSpec("F", scale=0, groups=(GroupSpec("A", weight=0),), indicators=(
        IndicatorSpec("a", "A", rule="ratio"), IndicatorSpec("b", "ZZ")))
    assert issues_of(framework) == {("settings", "scale", "value"), ("group", "A", "weight"),
                                    ("indicator", "a", "params"), ("indicator", "b", "group")}
    error = FrameworkError(validate_framework(framework))
    assert isinstance(error, ValueError) and len(error.issues) == 4 and "scale" in str(error)


# --- params -------------------------------------------------------------------------------

def test_parse_params():
    assert parse_params("target=100") == {"target": "100"}
    assert parse_params(" lo = 0 ; hi=0.66 ;") == {"lo": "0", "hi": "0.66"}
    assert list(parse_params("0=0;50=2;80=4;100=5")) == ["0", "50", "80", "100"]
    assert parse_params("") == {} and parse_params("  ;  ") == {}
    assert parse_params("A=x=y") == {"A": "x=y"}


@pytest.mark.parametrize("text", ["target", "=5", "a=", "a=1;a=2", "lo=0;hi"])
def test_parse_params_errors(text):
    with pytest.raises(FrameworkError) as caught:
        parse_params(text)
    assert caught.value.issues[0].field == "params"


def test_format_params_round_trips():
    for params in ({"lo": "0", "hi": "0.66"}, {"100": "5", "0": "0"}, {}):
        assert parse_params(format_params(params)) == params
    assert format_params({"lo": "0", "hi": "0.66"}) == "lo=0;hi=0.66"
    assert format_params({"target": 100}) == "target=100"
    with pytest.raises(FrameworkError):
        format_params({"a;b": "1"})
