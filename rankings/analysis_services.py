"""The analysis of published rankings (issue 6), on the Django side.

The engine's analysis (``rankings.engine.analysis``) works on plain frames; this module
feeds it the stored, official snapshots and keeps the saved scenarios:

- ``snapshot_result(snapshot)``: a stored snapshot as the engine's ``EngineResult`` (three
  queries), so that an analysis starts from exactly what was published;
- ``explain_rank_change(unit=, period=, node=)``: why a unit's total or group score and
  rank moved since the period's comparison period (the selector the unit profile and the
  reviewer's preview call);
- ``unit_improvements``, ``period_whatif``, ``period_robustness``, ``comparable_result``;
- scenarios: ``save_scenario``, ``delete_scenario``, ``scenario_csv``.

Published snapshots never change (a correction is a new snapshot), so the official inputs
of an analysis are cached per snapshot in the process (``official``).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from assessments.models import CriterionGroup, Indicator, Period, Unit
from assessments.selectors import framework_spec
from assessments.workbooks.engine_messages import describe_issue
from assessments.workbooks.reader import open_workbook
from rankings.engine import EngineResult, FrameworkError, FrameworkSpec
from rankings.engine.analysis import (
    Decomposition,
    Improvements,
    MonteCarloResult,
    Reaggregator,
    ScenarioError,
    WhatIfResult,
    apply_changes,
    comparable_series,
    decompose,
    improvements,
    monte_carlo,
    normalise_changes,
    whatif,
)

from .inputs import engine_inputs
from .models import (
    GroupResult,
    IndicatorCrosswalk,
    IndicatorResult,
    RankingSnapshot,
    Scenario,
    UnitResult,
)
from .selectors import public_snapshot
from .services import escape_text

#: Monte Carlo limits for a request from the page (the command line has none).
MAX_DRAWS = 5000


@dataclass
class Official:
    """A published snapshot ready for analysis."""

    snapshot: RankingSnapshot
    framework: FrameworkSpec
    result: EngineResult
    reaggregator: Reaggregator


# --- official snapshots --------------------------------------------------------------------

def snapshot_result(snapshot: RankingSnapshot) -> EngineResult:
    """The stored snapshot as an ``EngineResult`` (sorted as the engine sorts)."""
    units = pd.DataFrame(list(
        UnitResult.objects.filter(snapshot=snapshot, assessed=True).values_list(
            "unit__code", "cohort__code", "score", "score_exact", "max_score", "rank",
            "previous_rank", "rank_change", "band")),
        columns=["unit_code", "cohort", "score", "score_exact", "max_score", "rank",
                 "previous_rank", "rank_change", "band"])
    for column in ("rank", "previous_rank", "rank_change"):
        units[column] = pd.array(units[column].astype(object).where(units[column].notna(),
                                                                     None), dtype="Int64")
    units["band"] = units["band"].where(units["band"] != "", None)
    units = units.sort_values(["cohort", "unit_code"], kind="mergesort").reset_index(drop=True)
    cohort_of = dict(zip(units["unit_code"], units["cohort"], strict=True))
    groups = pd.DataFrame(list(
        GroupResult.objects.filter(snapshot=snapshot).values_list(
            "unit__code", "group__code", "group__parent__code", "fraction", "score_exact",
            "score", "max_score", "rank", "previous_rank", "rank_change")),
        columns=["unit_code", "group_code", "parent", "fraction", "score_exact", "score",
                 "max_score", "rank", "previous_rank", "rank_change"])
    groups["parent"] = groups["parent"].fillna("")
    groups.insert(1, "cohort", groups["unit_code"].map(cohort_of))
    for column in ("rank", "previous_rank", "rank_change"):
        groups[column] = pd.array(groups[column].astype(object).where(groups[column].notna(),
                                                                       None), dtype="Int64")
    for column in ("fraction", "score_exact", "score", "max_score"):
        groups[column] = groups[column].astype(float)
    indicators = pd.DataFrame(list(
        IndicatorResult.objects.filter(snapshot=snapshot).values_list(
            "unit__code", "indicator__code", "indicator__group__code",
            "indicator__value_type", "value_number", "value_text", "fraction", "points",
            "max_points")),
        columns=["unit_code", "indicator_code", "group_code", "value_type", "number", "text",
                 "fraction", "points", "max_points"])
    indicators.insert(1, "cohort", indicators["unit_code"].map(cohort_of))
    indicators["value"] = [
        _stored_value(value_type, number, text) for value_type, number, text in zip(
            indicators["value_type"], indicators["number"], indicators["text"], strict=True)]
    for column in ("fraction", "points", "max_points"):
        indicators[column] = indicators[column].astype(float)
    indicators = indicators[["unit_code", "cohort", "indicator_code", "group_code", "value",
                             "fraction", "points", "max_points"]]
    return EngineResult(units, groups, indicators, snapshot.inputs_digest)


def _stored_value(value_type: str, number, text: str):
    if text:
        return text
    if number is None or (isinstance(number, float) and np.isnan(number)):
        return None
    if value_type == "boolean":
        return bool(number)
    return float(number)


_cache: OrderedDict[int, Official] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 8


def official(snapshot: RankingSnapshot) -> Official:
    """``snapshot`` ready for analysis, cached per snapshot (published ones never change)."""
    key = snapshot.pk
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit.snapshot.inputs_digest == snapshot.inputs_digest:
            _cache.move_to_end(key)
            return hit
    framework = framework_spec(snapshot.period.framework)
    result = snapshot_result(snapshot)
    item = Official(snapshot, framework, result, Reaggregator(framework, result))
    with _cache_lock:
        _cache[key] = item
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return item


def published(period: Period) -> Official:
    """The period's public snapshot ready for analysis; ``ValidationError`` if none."""
    snapshot = public_snapshot(period)
    if snapshot is None:
        raise ValidationError(_("Kỳ %(code)s chưa công bố kết quả.") % {"code": period.code})
    return official(snapshot)


# --- why did the rank change ---------------------------------------------------------------

def explain_rank_change(*, unit: Unit, period: Period, node: str = "",
                        snapshot: RankingSnapshot | None = None) -> Decomposition | None:
    """Why ``unit``'s score and rank on ``node`` (``""``: the total, else a group code) moved
    between the published snapshots of ``period.previous`` and ``period`` — or, for the
    reviewer's preview, between the former and ``snapshot`` (a computed snapshot of
    ``period``, published or not).

    ``None`` when a snapshot is missing or the unit was not assessed in both; the
    ``Decomposition`` has ``reason = "missing"`` when a score is missing.
    """
    if period.previous_id is None:
        return None
    if snapshot is not None and snapshot.period_id != period.pk:
        raise ValueError("the snapshot belongs to another period")
    now_snapshot = snapshot or public_snapshot(period)
    prev_snapshot = public_snapshot(period.previous)
    if now_snapshot is None or prev_snapshot is None:
        return None
    now, prev = official(now_snapshot), official(prev_snapshot)
    assessed = (set(now.result.units["unit_code"]) & set(prev.result.units["unit_code"]))
    if unit.code not in assessed:
        return None
    try:
        return decompose(prev.framework, prev.result, now.framework, now.result, unit.code,
                         node)
    except ValueError:
        return None


@dataclass
class RankChange:
    """Why a unit's rank moved, ready for a page (plain values, names resolved; cacheable).

    ``items``: every contribution of the total's change (group, indicator or node, kind,
    points), largest first; ``tops``: their sums per top-level group (Σ = ``change``);
    ``passed`` / ``passed_by``: (name, previous rank, rank); ``groups``: per top-level
    group its name, ranks and the units passed and passing. ``change`` is ``None`` when
    the total is missing in one period (``reason = "missing"``): only the groups compare.
    """

    previous_period: Period
    rank_previous: int | None
    rank_now: int | None
    score_previous: float | None
    score_now: float | None
    change: float | None
    items: list[dict]
    tops: list[dict]
    passed: list[tuple[str, int, int]]
    passed_by: list[tuple[str, int, int]]
    groups: list[dict]
    reason: str = ""

    @property
    def rank_delta(self) -> int | None:
        """Places gained (positive) or lost since the previous period."""
        if self.rank_previous is None or self.rank_now is None:
            return None
        return int(self.rank_previous) - int(self.rank_now)


def profile_rank_change(*, unit: Unit, period: Period,
                        snapshot: RankingSnapshot | None = None) -> RankChange | None:
    """``explain_rank_change`` on the total, with unit, group and indicator names, for the
    unit profile: a fixed number of queries whatever the number of units (the two public
    snapshots, their frameworks and results, one query for the names of units, one for
    the groups and indicators of both frameworks). With ``snapshot`` (a computed,
    unpublished snapshot of ``period``): the reviewer's preview of the move."""
    explanation = explain_rank_change(unit=unit, period=period, snapshot=snapshot)
    if explanation is None:
        return None
    previous = period.previous
    frameworks = [period.framework_id, previous.framework_id]
    names: dict[str, str] = {}
    for code, name, framework_id in (CriterionGroup.objects.filter(
            framework_id__in=frameworks).values_list("code", "name", "framework_id")
            .order_by("-framework_id")):
        if framework_id == period.framework_id or code not in names:
            names[code] = name
    indicator_names_: dict[str, str] = {}
    for code, name, framework_id in (Indicator.objects.filter(
            framework_id__in=frameworks).values_list("code", "name", "framework_id")):
        if framework_id == period.framework_id or code not in indicator_names_:
            indicator_names_[code] = name
    codes = set(explanation.passed["unit_code"]) | set(explanation.passed_by["unit_code"])
    for group in explanation.groups:
        codes.update(group["passed"])
        codes.update(group["passed_by"])
    units = dict(Unit.objects.filter(code__in=codes).values_list("code", "name"))

    def overtaken(frame: pd.DataFrame) -> list[tuple[str, int, int]]:
        return [(units.get(r.unit_code, r.unit_code), int(r.previous_rank), int(r.rank))
                for r in frame.itertuples(index=False)]

    def label(code: str) -> str:
        return names.get(code) or indicator_names_.get(code) or code

    items, tops = [], []
    missing = explanation.reason != ""
    if not missing:
        frame = explanation.items.assign(size=explanation.items["points"].abs())
        for row in frame.sort_values("size", ascending=False, kind="mergesort").itertuples(
                index=False):
            if row.points == 0:
                continue
            items.append({"top": label(row.top) if row.top and row.top != row.code else "",
                          "code": row.code, "name": label(row.code) if row.code else "",
                          "kind": row.kind, "points": float(row.points)})
        tops = [{"code": r.top, "name": label(r.top), "points": float(r.points)}
                for r in explanation.by_top.itertuples(index=False)]

    def whole(value):
        return None if value is None or pd.isna(value) else int(value)

    groups = [{"code": g["group_code"], "name": label(g["group_code"]),
               "rank_previous": whole(g["previous_rank"]), "rank_now": whole(g["rank"]),
               "passed": [units.get(c, c) for c in g["passed"]],
               "passed_by": [units.get(c, c) for c in g["passed_by"]]}
              for g in explanation.groups]
    for group in groups:
        group["delta"] = (group["rank_previous"] - group["rank_now"]
                          if group["rank_previous"] and group["rank_now"] else None)
    return RankChange(
        previous, whole(explanation.rank_previous), whole(explanation.rank_now),
        None if missing else float(explanation.score_previous),
        None if missing else float(explanation.score_now),
        None if missing else float(explanation.change), items, tops,
        overtaken(explanation.passed), overtaken(explanation.passed_by), groups,
        explanation.reason)


# --- improvements, what-if, robustness, comparable series -----------------------------------

def unit_improvements(*, unit: Unit, period: Period, combine: int = 3) -> Improvements:
    """The cheapest next steps of ``unit`` on ``period``'s published ranking."""
    item = published(period)
    inputs = engine_inputs(period)
    return improvements(item.framework, inputs.units, inputs.values, unit.code,
                        result=item.result, combine=combine)


def _scenario_error(exc: Exception) -> ValidationError:
    if isinstance(exc, FrameworkError):
        return ValidationError([describe_issue(issue) for issue in exc.issues])
    return ValidationError(list(getattr(exc, "problems", [str(exc)])))


def period_whatif(*, period: Period, changes: dict | None) -> WhatIfResult:
    """The published ranking of ``period`` recomputed under ``changes``."""
    item = published(period)
    try:
        return whatif(item.framework, item.result, changes, reaggregator=item.reaggregator)
    except (ScenarioError, FrameworkError) as exc:
        raise _scenario_error(exc) from exc


def period_robustness(*, period: Period, weight_range: float = 0.25, draws: int = 1000,
                      aggregation_switch: bool = True, seed: int = 0) -> MonteCarloResult:
    """The Monte Carlo uncertainty analysis of ``period``'s published ranking."""
    errors = {}
    if not 0 <= weight_range < 1:
        errors["weight_range"] = _("Biên độ trọng số phải từ 0 đến dưới 100 %.")
    if not 1 <= draws <= MAX_DRAWS:
        errors["draws"] = _("Số lần rút phải từ 1 đến %(max)s.") % {"max": MAX_DRAWS}
    if errors:
        raise ValidationError(errors)
    item = published(period)
    return monte_carlo(item.framework, item.result, draws, weight_range, aggregation_switch,
                       seed, reaggregator=item.reaggregator)


def crosswalk_for(previous: Period, period: Period) -> list[tuple[str, str, float]]:
    """``(source_code, target_code, factor)`` from the admin's crosswalk between the two
    periods' frameworks."""
    rows = IndicatorCrosswalk.objects.filter(
        source__framework_id=previous.framework_id, target__framework_id=period.framework_id
    ).values_list("source__code", "target__code", "factor")
    return [(s, t, float(f)) for s, t, f in rows]


def comparable_result(*, period: Period) -> EngineResult | None:
    """The comparison period's approved answers scored on ``period``'s framework (through
    the crosswalk, and same indicator codes where no crosswalk row names the target);
    ``None`` without a comparison period."""
    previous = period.previous
    if previous is None:
        return None
    inputs = engine_inputs(previous)
    framework = framework_spec(period.framework)
    units = inputs.units[inputs.units["cohort"].isin(
        list(period.cohorts.values_list("code", flat=True)))]
    return comparable_series(framework, units, inputs.values, crosswalk_for(previous, period))


@dataclass
class ComparableSeries:
    """The comparison period as published beside the same period scored on this period's
    framework (through the crosswalk), and this period.

    ``rows``: per unit (cohort, this period's rank order) the as-published rank and score
    of the previous period, the comparable rank and score, this period's, the change of
    rank both ways (positive = places gained) and ``difference`` = comparable rank −
    published rank of the previous period. ``mapping``: (source, target, factor, how) for
    every target indicator; ``unmapped``: this period's indicators nothing maps to.
    """

    period: Period
    previous: Period
    framework_changed: bool
    rows: list[dict]
    mapping: list[tuple[str, str, float, str]]
    unmapped: list[str]
    added: list[str]
    removed: list[str]
    decimals: int

    @property
    def reordered(self) -> int:
        """Units whose comparable rank differs from the published one."""
        return sum(1 for r in self.rows if r["difference"])


def comparable_series_table(*, period: Period) -> ComparableSeries | None:
    """The comparable series of ``period`` (``None`` without a comparison period or
    without both public snapshots)."""
    previous = period.previous
    if previous is None:
        return None
    now_snapshot, prev_snapshot = public_snapshot(period), public_snapshot(previous)
    if now_snapshot is None or prev_snapshot is None:
        return None
    now, before = official(now_snapshot), official(prev_snapshot)
    comparable = comparable_result(period=period)
    crosswalk = crosswalk_for(previous, period)
    source_codes = {i.code for i in before.framework.indicators}
    mapped = {t for _s, t, _f in crosswalk}
    mapping = [(s, t, f, "crosswalk") for s, t, f in crosswalk]
    unmapped = []
    for indicator in now.framework.indicators:
        if indicator.derived or indicator.code in mapped:
            continue
        if indicator.code in source_codes:
            mapping.append((indicator.code, indicator.code, 1.0, "same_code"))
        else:
            unmapped.append(indicator.code)
    now_codes = {i.code for i in now.framework.indicators}
    names = dict(Unit.objects.filter(code__in=list(now.result.units["unit_code"]))
                 .values_list("code", "name"))

    def by_unit(frame: pd.DataFrame) -> dict[str, tuple]:
        return {r.unit_code: (None if pd.isna(r.rank) else int(r.rank),
                              None if pd.isna(r.score) else float(r.score))
                for r in frame.itertuples(index=False)}

    published_prev, comparable_prev = by_unit(before.result.units), by_unit(comparable.units)
    rows = []
    frame = now.result.units.sort_values(["cohort", "rank", "unit_code"], na_position="last")
    for r in frame.itertuples(index=False):
        rank_now = None if pd.isna(r.rank) else int(r.rank)
        rank_pub, score_pub = published_prev.get(r.unit_code, (None, None))
        rank_cmp, score_cmp = comparable_prev.get(r.unit_code, (None, None))

        def gained(before_rank, rank_now=rank_now):
            return None if before_rank is None or rank_now is None else before_rank - rank_now

        rows.append({"unit_code": r.unit_code, "unit_name": names.get(r.unit_code, r.unit_code),
                     "cohort": r.cohort, "published_rank": rank_pub,
                     "published_score": score_pub, "comparable_rank": rank_cmp,
                     "comparable_score": score_cmp, "rank": rank_now,
                     "score": None if pd.isna(r.score) else float(r.score),
                     "change_published": gained(rank_pub),
                     "change_comparable": gained(rank_cmp),
                     "difference": (None if rank_pub is None or rank_cmp is None
                                    else rank_cmp - rank_pub)})
    return ComparableSeries(
        period, previous, period.framework_id != previous.framework_id, rows,
        sorted(mapping, key=lambda m: m[1]), sorted(unmapped),
        sorted(now_codes - source_codes), sorted(source_codes - now_codes),
        int(period.framework.decimals))


COMPARABLE_COLUMNS = ["cohort", "unit_code", "unit_name", "published_score", "published_rank",
                      "comparable_score", "comparable_rank", "difference", "score", "rank",
                      "change_published", "change_comparable"]


def comparable_csv(*, series: ComparableSeries) -> bytes:
    """The comparable series as CSV (UTF-8 with BOM, formula-safe text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COMPARABLE_COLUMNS)
    for row in series.rows:
        writer.writerow(["" if row[c] is None else escape_text(row[c])
                         if isinstance(row[c], str) else row[c] for c in COMPARABLE_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def fill_crosswalk(*, source_framework, target_framework, text: str,
                   replace: bool = False) -> list[IndicatorCrosswalk]:
    """Create (or update the factor and note of) crosswalk rows from pasted lines
    ``source_code, target_code[, factor[, note]]`` (comma, semicolon or tab separated; a
    header line naming the columns is skipped). All or nothing: ``ValidationError`` naming
    every bad line. ``replace`` first deletes the rows between the two frameworks."""
    if source_framework.pk == target_framework.pk:
        raise ValidationError(_("Bộ tiêu chí năm trước và năm nay phải khác nhau."))
    sources = {i.code: i for i in Indicator.objects.filter(framework=source_framework)}
    targets = {i.code: i for i in Indicator.objects.filter(framework=target_framework)}
    problems, parsed, seen = [], [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        separator = "\t" if "\t" in line else ";" if ";" in line else ","
        cells = [c.strip() for c in line.split(separator)]
        if number == 1 and cells[0].casefold() in {"source", "nguon", "nguồn", "source_code"}:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            problems.append(_("Dòng %(row)s: cần ít nhất mã tiêu chí năm trước và mã tiêu "
                              "chí năm nay.") % {"row": number})
            continue
        source, target = sources.get(cells[0]), targets.get(cells[1])
        if source is None:
            problems.append(_("Dòng %(row)s, cột 1: bộ tiêu chí %(framework)s không có tiêu "
                              "chí “%(code)s”.") % {"row": number, "code": cells[0],
                                                    "framework": source_framework.code})
        if target is None:
            problems.append(_("Dòng %(row)s, cột 2: bộ tiêu chí %(framework)s không có tiêu "
                              "chí “%(code)s”.") % {"row": number, "code": cells[1],
                                                    "framework": target_framework.code})
        factor = 1.0
        if len(cells) > 2 and cells[2]:
            try:
                factor = float(cells[2].replace(",", "."))
            except ValueError:
                problems.append(_("Dòng %(row)s, cột 3: hệ số “%(value)s” không phải là số.")
                                % {"row": number, "value": cells[2]})
        if source is None or target is None:
            continue
        if (source.pk, target.pk) in seen:
            problems.append(_("Dòng %(row)s: cặp %(source)s → %(target)s đã có ở dòng trên.")
                            % {"row": number, "source": source.code, "target": target.code})
            continue
        seen.add((source.pk, target.pk))
        parsed.append((source, target, factor, ", ".join(cells[3:])[:500]))
    if problems:
        raise ValidationError(problems)
    if not parsed:
        raise ValidationError(_("Chưa có dòng đối chiếu nào."))
    rows = []
    with transaction.atomic():
        if replace:
            IndicatorCrosswalk.objects.filter(source__framework=source_framework,
                                              target__framework=target_framework).delete()
        for source, target, factor, note in parsed:
            row, _created = IndicatorCrosswalk.objects.update_or_create(
                source=source, target=target, defaults={"factor": factor, "note": note})
            rows.append(row)
    return rows


@dataclass
class ScenarioComparison:
    """Two scenarios (or one and the official framework) side by side, per unit."""

    period: Period
    name_a: str
    name_b: str
    rows: list[dict]
    decimals: int

    @property
    def moved(self) -> int:
        return sum(1 for r in self.rows if r["difference"])


def compare_scenarios(*, period: Period, a: Scenario | None,
                      b: Scenario | None) -> ScenarioComparison:
    """Ranks and scores under scenario ``a`` and ``b`` (``None`` = the official
    framework) with ``difference`` = rank in a − rank in b (positive: b ranks higher)."""
    results = [period_whatif(period=period, changes=s.changes if s else None)
               for s in (a, b)]
    first, second = (r.units.set_index("unit_code") for r in results)
    names = dict(Unit.objects.filter(code__in=list(first.index)).values_list("code", "name"))
    rows = []

    def whole(value):
        return None if value is None or pd.isna(value) else int(value)

    def real(value):
        return None if value is None or pd.isna(value) else float(value)

    for code, row in first.sort_values(["cohort", "rank"], na_position="last").iterrows():
        other = second.loc[code] if code in second.index else None
        rank_a = whole(row["rank"])
        rank_b = whole(other["rank"]) if other is not None else None
        rows.append({"unit_code": code, "unit_name": names.get(code, code),
                     "cohort": row["cohort"], "rank_a": rank_a, "score_a": real(row["score"]),
                     "rank_b": rank_b,
                     "score_b": real(other["score"]) if other is not None else None,
                     "official_rank": whole(row["official_rank"]),
                     "difference": (None if rank_a is None or rank_b is None
                                    else rank_a - rank_b)})
    official_name = _("Chính thức")
    return ScenarioComparison(period, a.name if a else official_name,
                              b.name if b else official_name, rows,
                              int(period.framework.decimals))


SCENARIO_COMPARISON_COLUMNS = ["cohort", "unit_code", "unit_name", "official_rank", "score_a",
                               "rank_a", "score_b", "rank_b", "difference"]


def scenario_comparison_csv(*, comparison: ScenarioComparison) -> bytes:
    """Two scenarios side by side as CSV (UTF-8 with BOM, formula-safe text); the first row
    names them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["a", escape_text(comparison.name_a), "b", escape_text(comparison.name_b)])
    writer.writerow(SCENARIO_COMPARISON_COLUMNS)
    for row in comparison.rows:
        writer.writerow(["" if row[c] is None else escape_text(row[c])
                         if isinstance(row[c], str) else row[c]
                         for c in SCENARIO_COMPARISON_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- scenarios -----------------------------------------------------------------------------

def _checked_changes(period: Period, changes) -> dict:
    item = published(period)
    try:
        apply_changes(item.framework, changes)
    except (ScenarioError, FrameworkError) as exc:
        raise _scenario_error(exc) from exc
    return normalise_changes(changes)


def save_scenario(*, period: Period, name: str, changes: dict, description: str = "",
                  actor=None, scenario: Scenario | None = None) -> Scenario:
    """Create (or, with ``scenario``, update) a named scenario of ``period``'s weights."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Hãy đặt tên cho kịch bản.")})
    if len(name) > 200:
        raise ValidationError({"name": _("Tên kịch bản dài quá 200 ký tự.")})
    clean = _checked_changes(period, changes)
    try:
        with transaction.atomic():
            if scenario is None:
                return Scenario.objects.create(period=period, name=name, changes=clean,
                                               description=description, created_by=actor)
            locked = Scenario.objects.select_for_update().get(pk=scenario.pk, period=period)
            locked.name, locked.changes, locked.description = name, clean, description
            locked.save(update_fields=["name", "changes", "description", "updated_at"])
            return locked
    except IntegrityError as exc:
        raise ValidationError({"name": _("Kỳ này đã có kịch bản tên “%(name)s”.")
                               % {"name": name}}) from exc


def delete_scenario(*, scenario: Scenario) -> None:
    with transaction.atomic():
        Scenario.objects.filter(pk=scenario.pk).delete()


SCENARIO_COLUMNS = ["cohort", "unit_code", "unit_name", "official_score", "official_rank",
                    "score", "rank", "shift", "band"]


def scenario_csv(*, period: Period, changes: dict | None) -> bytes:
    """The scenario's leaderboard as CSV (UTF-8 with BOM, formula-safe text)."""
    result = period_whatif(period=period, changes=changes)
    names = dict(Unit.objects.filter(code__in=list(result.units["unit_code"]))
                 .values_list("code", "name"))
    frame = result.units.copy()
    frame["unit_name"] = frame["unit_code"].map(names).fillna("")
    frame = frame.sort_values(["cohort", "rank", "unit_code"], na_position="last")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SCENARIO_COLUMNS)
    for row in frame[SCENARIO_COLUMNS].astype(object).itertuples(index=False):
        writer.writerow(["" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                         else escape_text(v) if isinstance(v, str) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def group_names(period: Period) -> dict[str, str]:
    return dict(CriterionGroup.objects.filter(framework_id=period.framework_id)
                .values_list("code", "name"))


def indicator_names(period: Period) -> dict[str, str]:
    return dict(Indicator.objects.filter(framework_id=period.framework_id)
                .values_list("code", "name"))


# --- weights files (the whatif command) --------------------------------------------------------

ROOT_NAMES = {"root", "__total__", "tong", "tổng"}


def changes_from_file(*, period: Period, path) -> dict:
    """The ``changes`` written in a weights file: JSON (the scenario's own form) or a
    spreadsheet/CSV with the columns ``node, weight[, aggregation]`` (``node`` a group or
    indicator code, or ``root`` for the total's aggregation). ``ValidationError`` naming
    the row and column of every problem; the changes are checked against the framework."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        try:
            changes = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(_("Tệp %(name)s không phải JSON hợp lệ: %(error)s")
                                  % {"name": path.name, "error": exc}) from exc
        if not isinstance(changes, dict):
            raise ValidationError(_("Tệp %(name)s phải chứa một đối tượng JSON "
                                    "(groups, indicators, root).") % {"name": path.name})
        return _checked_changes(period, changes)
    rows = open_workbook(path).first_sheet().rows
    item = published(period)
    groups = {g.code for g in item.framework.groups}
    indicators = {i.code for i in item.framework.indicators}
    header = [str(v or "").strip().casefold() for v in (rows[0] if rows else [])]
    problems = []
    if "node" not in header or "weight" not in header:
        raise ValidationError(_("Tệp %(name)s: dòng 1 phải có các cột node, weight "
                                "(và aggregation nếu đổi cách tổng hợp).") % {"name": path.name})
    at = {name: header.index(name) for name in ("node", "weight", "aggregation")
          if name in header}
    changes: dict = {}
    for number, row in enumerate(rows[1:], start=2):
        def cell(name, row=row):
            k = at.get(name)
            value = row[k] if k is not None and k < len(row) else None
            return None if value is None or str(value).strip() == "" else value
        node, weight, aggregation = cell("node"), cell("weight"), cell("aggregation")
        if node is None and weight is None and aggregation is None:
            continue
        node = str(node or "").strip()
        if node.casefold() in ROOT_NAMES:
            if weight is not None:
                problems.append(_("dòng %(row)s, cột weight: tổng không có trọng số.")
                                % {"row": number})
            if aggregation is not None:
                changes.setdefault("root", {})["aggregation"] = str(aggregation).strip()
            continue
        if node in groups:
            entry = changes.setdefault("groups", {}).setdefault(node, {})
        elif node in indicators:
            entry = changes.setdefault("indicators", {}).setdefault(node, {})
            if aggregation is not None:
                problems.append(_("dòng %(row)s, cột aggregation: tiêu chí %(node)s không có "
                                  "cách tổng hợp.") % {"row": number, "node": node})
        else:
            problems.append(_("dòng %(row)s, cột node: bộ tiêu chí %(framework)s không có "
                              "nhóm hay tiêu chí mã “%(node)s”.")
                            % {"row": number, "framework": item.framework.code, "node": node})
            continue
        if weight is not None:
            try:
                entry["weight"] = float(str(weight).replace(",", ".")) if isinstance(
                    weight, str) else float(weight)
            except ValueError:
                problems.append(_("dòng %(row)s, cột weight: “%(value)s” không phải là số.")
                                % {"row": number, "value": weight})
        if aggregation is not None and node in groups:
            entry["aggregation"] = str(aggregation).strip()
    if problems:
        raise ValidationError(problems)
    return _checked_changes(period, changes)
