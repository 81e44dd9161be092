"""``validate_framework``: every problem of a framework, as a list of issues."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .formula import FormulaError, parse_formula
from .rules import as_float
from .spec import (
    AGGREGATIONS,
    MAX_DECIMALS,
    MISSING,
    RANK_ON,
    RESCALES,
    RULES,
    TIES,
    TOTAL_NODE,
    VALUE_TYPES,
    FrameworkIssue,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
)

CODE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
NUMERIC_TYPES = ("number", "integer", "percent")
#: Rules allowed for each value type of an answered (not derived) indicator.
RULES_FOR_TYPE = {
    "text": ("none",),
    "choice": ("choice", "none"),
    "boolean": ("boolean", "none"),
}
NO_PARAMS = ("direct", "boolean", "minmax", "zscore", "none")


def _choices(value, allowed) -> tuple[str, str, dict[str, str]]:
    """The message, key and params of "``value`` is not one of ``allowed``"."""
    shown = ", ".join(repr(a) for a in allowed if a) or "''"
    return f"{value!r} is not one of {shown}", "not_one_of", {"value": repr(value),
                                                             "allowed": shown}


def _positive(value) -> bool:
    number = as_float(value)
    return number is not None and number > 0


class _Issues(list):
    def add(self, kind: str, code: str, field: str, message: str, key: str = "", /,
            **params) -> None:
        """One issue; ``params`` are the values its message shows (kept as text)."""
        self.append(FrameworkIssue(kind, str(code), field, message, key=key,
                                   params={name: str(value) for name, value in params.items()}))

    def choice(self, kind: str, code: str, field: str, value, allowed) -> None:
        message, key, params = _choices(value, allowed)
        self.add(kind, code, field, message, key, **params)

    def not_positive(self, kind: str, code: str, field: str, value, name: str = "",
                     empty_allowed: bool = False) -> None:
        name = name or field
        if empty_allowed:
            self.add(kind, code, field,
                     f"{name} must be empty or a number above 0, not {value!r}",
                     "empty_or_positive", name=name, value=repr(value))
        else:
            self.add(kind, code, field, f"{name} must be a number above 0, not {value!r}",
                     "not_positive", name=name, value=repr(value))


def validate_framework(spec: FrameworkSpec) -> list[FrameworkIssue]:
    """All problems of ``spec``; ``[]`` when it can be computed."""
    issues = _Issues()
    _settings(spec, issues)
    groups = {}
    seen: dict[str, str] = {}
    for group in spec.groups:
        _code(issues, "group", group.code, seen)
        groups.setdefault(group.code, group)
    indicators = {}
    for indicator in spec.indicators:
        _code(issues, "indicator", indicator.code, seen)
        indicators.setdefault(indicator.code, indicator)
    _groups(spec, groups, indicators, issues)
    for indicator in spec.indicators:
        _indicator(indicator, groups, issues)
    _formulas(spec, indicators, groups, issues)
    _bands(spec, issues)
    if not any(i.rule != "none" for i in spec.indicators):
        issues.add("settings", spec.code, "indicators", "the framework has no scored indicator",
                   "no_scored_indicator")
    return list(issues)


def _settings(spec: FrameworkSpec, issues: _Issues) -> None:
    if not isinstance(spec.code, str) or not spec.code.strip():
        issues.add("settings", "code", "value", "the framework has no code", "no_framework_code")
    scale = as_float(spec.scale)
    if scale is None or scale <= 0:
        issues.not_positive("settings", "scale", "value", spec.scale, name="scale")
    if spec.aggregation not in AGGREGATIONS:
        issues.choice("settings", "aggregation", "value", spec.aggregation, AGGREGATIONS)
    decimals = spec.decimals
    if isinstance(decimals, bool) or not isinstance(decimals, int | float) or (
            isinstance(decimals, float) and not decimals.is_integer()) or not (
            0 <= decimals <= MAX_DECIMALS):
        issues.add("settings", "decimals", "value",
                   f"decimals must be a whole number from 0 to {MAX_DECIMALS}, not {decimals!r}",
                   "decimals_range", max=MAX_DECIMALS, value=repr(decimals))
    for key, allowed in (("rank_on", RANK_ON), ("ties", TIES), ("missing", MISSING)):
        value = getattr(spec, key)
        if value not in allowed:
            issues.choice("settings", key, "value", value, allowed)


def _code(issues: _Issues, kind: str, code, seen: dict[str, str]) -> None:
    if not isinstance(code, str) or not code:
        issues.add(kind, str(code or ""), "code", f"a {kind} has no code", f"{kind}.no_code")
        return
    if code == TOTAL_NODE:
        issues.add(kind, code, "code", f"{code!r} is reserved for the total", "reserved_code",
                   code=repr(code))
    elif not CODE_RE.match(code):
        issues.add(kind, code, "code",
                   f"code {code!r} must start with a letter or '_' and contain only letters, "
                   "digits, '_' and '.'", "bad_code", code=repr(code))
    if code in seen:
        other = seen[code]
        where = f"another {kind}" if other == kind else f"a {other}"
        key = f"code_used_by_another_{kind}" if other == kind else f"code_used_by_{other}"
        issues.add(kind, code, "code", f"code {code!r} is already used by {where}", key,
                   code=repr(code))
    else:
        seen[code] = kind


def _groups(spec: FrameworkSpec, groups: dict[str, GroupSpec],
            indicators: dict[str, IndicatorSpec], issues: _Issues) -> None:
    has_child = {i.group for i in spec.indicators} | {g.parent for g in spec.groups}
    for group in spec.groups:
        code = group.code
        parent = group.parent or ""
        if parent:
            if parent == code:
                issues.add("group", code, "parent", f"group {code!r} is its own parent",
                           "group.own_parent", group=repr(code))
            elif parent not in groups:
                what = " (an indicator, not a group)" if parent in indicators else ""
                key = "group.parent_is_indicator" if what else "group.unknown_parent"
                issues.add("group", code, "parent", f"parent {parent!r} is not a known group{what}",
                           key, parent=repr(parent))
        if group.aggregation not in AGGREGATIONS:
            issues.choice("group", code, "aggregation", group.aggregation, AGGREGATIONS)
        if (group.rescale or "") not in RESCALES:
            issues.choice("group", code, "rescale", group.rescale, RESCALES)
        if not _positive(group.weight):
            issues.not_positive("group", code, "weight", group.weight)
        if group.max_points is not None and not _positive(group.max_points):
            issues.not_positive("group", code, "max_points", group.max_points,
                                empty_allowed=True)
        if code not in has_child:
            issues.add("group", code, "code", f"group {code!r} has no children",
                       "group.no_children", group=repr(code))
    # cycles: follow each group's chain of parents
    reported: set[str] = set()
    for group in spec.groups:
        chain: list[str] = []
        current = group.code
        while current in groups and current not in chain:
            chain.append(current)
            current = groups[current].parent or ""
        if current in chain:
            cycle = chain[chain.index(current):]
            if len(cycle) > 1 and not reported.intersection(cycle):  # 1: its own parent
                reported.update(cycle)
                path = " -> ".join(cycle + [current])
                issues.add("group", cycle[0], "parent", f"the groups form a cycle: {path}",
                           "group.cycle", path=path)


def _params(indicator: IndicatorSpec, issues: _Issues) -> None:
    code, rule, params = indicator.code, indicator.rule, indicator.params
    if not isinstance(params, Mapping):
        issues.add("indicator", code, "params", "params must be key=value pairs",
                   "params.not_pairs")
        return

    def bad(message: str, key: str, **values) -> None:
        issues.add("indicator", code, "params", message, key, **values)

    if rule in NO_PARAMS:
        if params:
            got = ", ".join(map(str, params))
            bad(f"rule {rule!r} takes no params, got {got}", "params.none_taken",
                rule=repr(rule), got=got)
    elif rule == "ratio":
        extra = sorted(set(params) - {"target"})
        target = as_float(params.get("target"))
        if "target" not in params:
            bad("rule 'ratio' needs target=… (for example target=100)", "params.ratio_target")
        elif target is None or target <= 0:
            bad(f"target must be a number above 0, not {params['target']!r}", "not_positive",
                name="target", value=repr(params["target"]))
        if extra:
            bad(f"rule 'ratio' takes only target, not {', '.join(extra)}", "params.ratio_extra",
                extra=", ".join(extra))
    elif rule == "goalpost":
        extra = sorted(set(params) - {"lo", "hi"})
        missing = [k for k in ("lo", "hi") if k not in params]
        if missing:
            bad(f"rule 'goalpost' needs lo=… and hi=… (missing {', '.join(missing)})",
                "params.goalpost_missing", missing=", ".join(missing))
        else:
            lo, hi = as_float(params["lo"]), as_float(params["hi"])
            if lo is None or hi is None:
                bad(f"lo and hi must be numbers, not {params['lo']!r} and {params['hi']!r}",
                    "params.goalpost_numbers", lo=repr(params["lo"]), hi=repr(params["hi"]))
            elif not lo < hi:
                bad(f"lo ({params['lo']}) must be below hi ({params['hi']})",
                    "params.goalpost_order", lo=params["lo"], hi=params["hi"])
        if extra:
            bad(f"rule 'goalpost' takes only lo and hi, not {', '.join(extra)}",
                "params.goalpost_extra", extra=", ".join(extra))
    elif rule in ("bands", "choice"):
        what = "threshold" if rule == "bands" else "option"
        if not params:
            example = "0=0;50=2;80=4" if rule == "bands" else "A=2;B=1;C=0"
            bad(f"rule {rule!r} needs at least one {what}=points pair (for example {example})",
                f"params.{rule}_empty", example=example)
            return
        max_points = as_float(indicator.max_points)
        thresholds: dict[float, str] = {}
        for key, value in params.items():
            if rule == "bands":
                threshold = as_float(key)
                if threshold is None:
                    bad(f"threshold {key!r} is not a number", "params.threshold_not_number",
                        threshold=repr(key))
                elif threshold in thresholds:
                    bad(f"thresholds {thresholds[threshold]!r} and {key!r} are the same number",
                        "params.thresholds_equal", first=repr(thresholds[threshold]),
                        second=repr(key))
                else:
                    thresholds[threshold] = str(key)
            elif not str(key).strip():
                bad("an option has an empty code", "params.option_empty")
            points = as_float(value)
            shown = {"points": repr(value), what: repr(key)}
            if points is None:
                bad(f"points {value!r} of {what} {key!r} are not a number",
                    f"params.{what}_points_not_number", **shown)
            elif points < 0:
                bad(f"points {value!r} of {what} {key!r} are below 0",
                    f"params.{what}_points_negative", **shown)
            elif max_points is not None and points > max_points:
                bad(f"points {value!r} of {what} {key!r} exceed max_points ({max_points:g})",
                    f"params.{what}_points_above_max", max=f"{max_points:g}", **shown)


def _indicator(indicator: IndicatorSpec, groups: dict[str, GroupSpec], issues: _Issues) -> None:
    code = indicator.code
    if not indicator.group:
        issues.add("indicator", code, "group", "the indicator has no group",
                   "indicator.no_group")
    elif indicator.group not in groups:
        issues.add("indicator", code, "group", f"group {indicator.group!r} is not a known group",
                   "indicator.unknown_group", group=repr(indicator.group))
    if indicator.value_type not in VALUE_TYPES:
        issues.choice("indicator", code, "value_type", indicator.value_type, VALUE_TYPES)
    if indicator.rule not in RULES:
        issues.choice("indicator", code, "rule", indicator.rule, RULES)
    else:
        _params(indicator, issues)
        allowed = RULES_FOR_TYPE.get(indicator.value_type)
        if indicator.derived:
            if indicator.value_type not in NUMERIC_TYPES:
                issues.add("indicator", code, "value_type",
                           "a derived indicator (with a formula) computes a number; "
                           f"value_type {indicator.value_type!r} does not fit",
                           "indicator.derived_type", value_type=repr(indicator.value_type))
            if indicator.rule == "choice":
                issues.add("indicator", code, "rule",
                           "rule 'choice' cannot score a derived (computed) number",
                           "indicator.derived_choice")
        elif allowed is not None and indicator.rule not in allowed:
            use = " or ".join(repr(a) for a in allowed)
            issues.add("indicator", code, "rule",
                       f"rule {indicator.rule!r} cannot score a {indicator.value_type} value "
                       f"(use {use})", "indicator.rule_for_type", rule=repr(indicator.rule),
                       value_type=repr(indicator.value_type),
                       allowed=", ".join(repr(a) for a in allowed))
        elif allowed is None and indicator.rule == "choice":
            issues.add("indicator", code, "rule",
                       f"rule 'choice' needs value_type 'choice', not {indicator.value_type!r}",
                       "indicator.choice_type", value_type=repr(indicator.value_type))
        if indicator.inverse and indicator.rule == "choice":
            issues.add("indicator", code, "inverse",
                       "inverse does not apply to rule 'choice' (give the options their points)",
                       "indicator.inverse_choice")
        if indicator.rule == "zscore" and indicator.group in groups:
            parent = groups[indicator.group]
            if (parent.rescale or "") != "minmax":
                issues.add("indicator", code, "rule",
                           f"rule 'zscore' is unbounded: its group {parent.code!r} must have "
                           "rescale = minmax", "indicator.zscore_rescale", group=repr(parent.code))
            if parent.aggregation == "geometric_mean":
                issues.add("indicator", code, "rule",
                           f"rule 'zscore' gives negative values that group {parent.code!r} "
                           "cannot combine by geometric_mean", "indicator.zscore_geometric",
                           group=repr(parent.code))
            elif parent.aggregation == "sum":
                issues.add("indicator", code, "rule",
                           f"rule 'zscore' is unbounded: group {parent.code!r} must combine it "
                           "by weighted_mean (a sum is capped at the group's maximum)",
                           "indicator.zscore_sum", group=repr(parent.code))
    if not _positive(indicator.max_points):
        issues.not_positive("indicator", code, "max_points", indicator.max_points)
    if not _positive(indicator.weight):
        issues.not_positive("indicator", code, "weight", indicator.weight)
    applies = indicator.applies_to
    if isinstance(applies, str) or not isinstance(applies, tuple | list | frozenset | set):
        issues.add("indicator", code, "applies_to",
                   "applies_to must be a tuple of cohort codes (empty for all cohorts)",
                   "indicator.applies_to_type")
    elif any(not isinstance(c, str) or not c.strip() for c in applies):
        issues.add("indicator", code, "applies_to", "applies_to has an empty cohort code",
                   "indicator.applies_to_empty")
    bounds = {}
    for name in ("min", "max"):
        value = getattr(indicator, name)
        if value is not None:
            bounds[name] = as_float(value)
            if bounds[name] is None:
                issues.add("indicator", code, name, f"{name} must be a number, not {value!r}",
                           "not_a_number", name=name, value=repr(value))
    if bounds.get("min") is not None and bounds.get("max") is not None and (
            bounds["min"] > bounds["max"]):
        issues.add("indicator", code, "max",
                   f"min ({indicator.min}) is above max ({indicator.max})",
                   "indicator.min_above_max", min=indicator.min, max=indicator.max)


def _formulas(spec: FrameworkSpec, indicators: dict[str, IndicatorSpec],
              groups: dict[str, GroupSpec], issues: _Issues) -> None:
    graph: dict[str, set[str]] = {}
    for indicator in spec.indicators:
        if not indicator.derived:
            continue
        code = indicator.code
        try:
            formula = parse_formula(indicator.formula)
        except FormulaError as error:
            issues.add("indicator", code, "formula", f"formula: {error}",
                       error.key or "formula.invalid", **error.params, column=error.column,
                       error=error.message)
            continue
        graph[code] = set()
        for name in sorted(formula.codes):
            if name == code:
                issues.add("indicator", code, "formula", "the formula names its own indicator",
                           "formula.names_itself")
            elif name in groups and name not in indicators:
                issues.add("indicator", code, "formula",
                           f"formula names group {name!r}; only indicators can be used",
                           "formula.names_group", name=repr(name))
            elif name not in indicators:
                issues.add("indicator", code, "formula",
                           f"formula names unknown indicator {name!r}",
                           "formula.unknown_indicator", name=repr(name))
            else:
                operand = indicators[name]
                if operand.value_type == "text" and not operand.derived:
                    issues.add("indicator", code, "formula",
                               f"formula uses {name!r}, a text indicator, as a number",
                               "formula.text_operand", name=repr(name))
                uncovered, others = _uncovered(indicator, operand)
                if uncovered:
                    shown = f"other than {uncovered}" if others else uncovered
                    issues.add("indicator", code, "formula",
                               f"formula uses {name!r}, which does not apply to cohort(s) "
                               f"{shown} where this indicator applies",
                               "formula.cohorts_other_than" if others else "formula.cohorts",
                               name=repr(name), cohorts=uncovered)
                if operand.derived:
                    graph[code].add(name)
    # cycles among derived indicators
    state: dict[str, int] = {}
    reported: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    text = " -> ".join(cycle + [nxt])
                    issues.add("indicator", nxt, "formula", f"the formulas form a cycle: {text}",
                               "formula.cycle", path=text)
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for code in sorted(graph):
        if code not in state:
            visit(code, [])


def _uncovered(indicator: IndicatorSpec, operand: IndicatorSpec) -> tuple[str, bool]:
    """The cohorts where ``indicator`` applies and ``operand`` does not, and whether they
    are "every cohort other than" the ones named."""
    if not operand.applies_to:
        return "", False
    if not indicator.applies_to:
        return ", ".join(sorted(operand.applies_to)), True
    missing = sorted(set(indicator.applies_to) - set(operand.applies_to))
    return ", ".join(missing), False


def _bands(spec: FrameworkSpec, issues: _Issues) -> None:
    labels: set[str] = set()
    minima: dict[float, str] = {}
    for band in spec.bands:
        label = band.label if isinstance(band.label, str) else ""
        if not label.strip():
            issues.add("band", label, "label", "a band has no label", "band.no_label")
        elif label in labels:
            issues.add("band", label, "label", f"band {label!r} is given twice", "band.twice",
                       band=repr(label))
        labels.add(label)
        minimum = as_float(band.min_score)
        if minimum is None:
            issues.add("band", label, "min_score",
                       f"min_score must be a number, not {band.min_score!r}", "not_a_number",
                       name="min_score", value=repr(band.min_score))
        elif minimum in minima:
            issues.add("band", label, "min_score",
                       f"bands {minima[minimum]!r} and {label!r} have the same min_score",
                       "band.same_min_score", first=repr(minima[minimum]), second=repr(label))
        else:
            minima[minimum] = label
