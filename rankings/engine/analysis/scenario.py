"""Scenarios: a framework with other weights or aggregations (``apply_changes``).

A scenario never changes what is measured or how an answer becomes a fraction: only group
and indicator weights, group aggregations and the root's aggregation. Its ``changes`` is
the JSON stored on ``rankings.models.Scenario``::

    {"groups": {"DVC": {"weight": 0.5, "aggregation": "geometric_mean"}},
     "indicators": {"dvc_level4": {"weight": 2}},
     "root": {"aggregation": "geometric_mean"}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from ..spec import AGGREGATIONS, FrameworkError, FrameworkSpec
from ..validate import validate_framework

ROOT = "root"


class ScenarioError(ValueError):
    """A change that cannot be applied; ``problems`` lists every one as English text."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _weight(value, where: str, problems: list[str]) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"{where}: weight {value!r} is not a number")
        return None
    if not math.isfinite(number) or number <= 0:
        problems.append(f"{where}: weight must be a positive number, not {value!r}")
        return None
    return number


def _aggregation(value, where: str, problems: list[str]) -> str | None:
    if value not in AGGREGATIONS:
        problems.append(f"{where}: aggregation {value!r} is not one of {', '.join(AGGREGATIONS)}")
        return None
    return str(value)


def _entries(changes: Mapping, key: str, problems: list[str]) -> Mapping:
    part = changes.get(key) or {}
    if not isinstance(part, Mapping):
        problems.append(f"{key}: expected an object of code -> changes")
        return {}
    return part


def normalise_changes(changes: Mapping | None) -> dict:
    """``changes`` with empty parts dropped (the canonical form that is stored)."""
    changes = changes or {}
    result: dict = {}
    for key in ("groups", "indicators"):
        part = {str(code): dict(item) for code, item in (changes.get(key) or {}).items()
                if item}
        if part:
            result[key] = part
    if changes.get(ROOT):
        result[ROOT] = dict(changes[ROOT])
    return result


def apply_changes(framework: FrameworkSpec, changes: Mapping | None) -> FrameworkSpec:
    """``framework`` with the weights and aggregations of ``changes`` (see the module).

    Raises :class:`ScenarioError` naming every unknown code, field or bad value; the
    result is validated like any framework (``FrameworkError`` if the engine refuses it,
    e.g. a geometric mean over a group holding a ``zscore`` indicator).
    """
    changes = changes or {}
    if not isinstance(changes, Mapping):
        raise ScenarioError(["changes must be an object with groups, indicators, root"])
    problems: list[str] = []
    unknown_keys = sorted(set(changes) - {"groups", "indicators", ROOT})
    if unknown_keys:
        problems.append(f"unknown part(s) {', '.join(map(str, unknown_keys))}")
    groups = {g.code: g for g in framework.groups}
    indicators = {i.code: i for i in framework.indicators}
    new_groups = dict(groups)
    for code, item in _entries(changes, "groups", problems).items():
        where = f"group {code}"
        if code not in groups:
            problems.append(f"{where}: no such group in {framework.code}")
            continue
        if not isinstance(item, Mapping) or set(item) - {"weight", "aggregation"}:
            problems.append(f"{where}: only weight and aggregation can change")
            continue
        fields = {}
        if "weight" in item:
            fields["weight"] = _weight(item["weight"], where, problems)
        if "aggregation" in item:
            fields["aggregation"] = _aggregation(item["aggregation"], where, problems)
        if None not in fields.values():
            new_groups[code] = replace(groups[code], **fields)
    new_indicators = dict(indicators)
    for code, item in _entries(changes, "indicators", problems).items():
        where = f"indicator {code}"
        if code not in indicators:
            problems.append(f"{where}: no such indicator in {framework.code}")
            continue
        if not isinstance(item, Mapping) or set(item) != {"weight"}:
            problems.append(f"{where}: only weight can change")
            continue
        weight = _weight(item["weight"], where, problems)
        if weight is not None:
            new_indicators[code] = replace(indicators[code], weight=weight)
    root = changes.get(ROOT) or {}
    aggregation = framework.aggregation
    if not isinstance(root, Mapping) or set(root) - {"aggregation"}:
        problems.append("root: only aggregation can change")
    elif "aggregation" in root:
        aggregation = _aggregation(root["aggregation"], "root", problems) or aggregation
    if problems:
        raise ScenarioError(problems)
    spec = replace(framework, aggregation=aggregation,
                   groups=tuple(new_groups[g.code] for g in framework.groups),
                   indicators=tuple(new_indicators[i.code] for i in framework.indicators))
    issues = validate_framework(spec)
    if issues:
        raise FrameworkError(issues)
    return spec


def changes_between(official: FrameworkSpec, scenario: FrameworkSpec) -> dict:
    """The ``changes`` that turn ``official`` into ``scenario`` (weights/aggregations only)."""
    result: dict = {}
    before = {g.code: g for g in official.groups}
    for group in scenario.groups:
        item = {}
        if float(group.weight) != float(before[group.code].weight):
            item["weight"] = float(group.weight)
        if group.aggregation != before[group.code].aggregation:
            item["aggregation"] = group.aggregation
        if item:
            result.setdefault("groups", {})[group.code] = item
    before_i = {i.code: i for i in official.indicators}
    for indicator in scenario.indicators:
        if float(indicator.weight) != float(before_i[indicator.code].weight):
            result.setdefault("indicators", {})[indicator.code] = {
                "weight": float(indicator.weight)}
    if scenario.aggregation != official.aggregation:
        result[ROOT] = {"aggregation": scenario.aggregation}
    return result
