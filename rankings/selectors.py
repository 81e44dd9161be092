"""Reads of ranking snapshots for the pages, the downloads and the commands.

Every function runs a fixed number of queries, whatever the number of units.

Order of units everywhere (page and exports): by cohort (its ``order``, then code), units
with a rank first by rank, then assessed units without a rank, then units not assessed;
within equal ranks by name (Vietnamese letters sorted as their base letter: "Đ" with "D").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Count, Q

from assessments.models import Band, Cohort, CriterionGroup, Framework, Indicator, Period, Unit
from rankings.engine import round_half_away

from .models import GroupResult, IndicatorResult, RankingSnapshot, UnitResult

#: Badge colours for bands without a colour of their own, best band first (white text on
#: each has a contrast ratio of at least 4.5:1).
BAND_PALETTE = ("#1b5e20", "#1565c0", "#8a5a00", "#b71c1c", "#4a148c", "#37474f")

RESULT_COLUMNS = ["cohort", "unit_code", "unit_name", "score", "rank", "previous_rank",
                  "rank_change", "band"]


# --- snapshots and periods ---------------------------------------------------------------

def public_snapshot(period: Period) -> RankingSnapshot | None:
    """The period's published snapshot that is public now (None before publication)."""
    return (RankingSnapshot.objects.select_related("period", "period__framework")
            .filter(period=period, is_public=True).first())


def latest_snapshot(period: Period) -> RankingSnapshot | None:
    """The period's last computed snapshot, published or not (a preview)."""
    return (RankingSnapshot.objects.select_related("period", "period__framework")
            .filter(period=period).order_by("-number").first())


def replaced_publication(snapshot: RankingSnapshot) -> RankingSnapshot | None:
    """The latest earlier publication of the same period that ``snapshot`` replaced."""
    if snapshot.published_at is None:
        return None
    return (RankingSnapshot.objects.filter(period_id=snapshot.period_id,
                                           published_at__isnull=False,
                                           number__lt=snapshot.number)
            .order_by("-number").first())


@dataclass(frozen=True)
class CohortCount:
    code: str
    name: str
    ranked: int
    not_assessed: int = 0


@dataclass(frozen=True)
class PublishedPeriod:
    period: Period
    snapshot: RankingSnapshot
    cohorts: list[CohortCount]

    @property
    def framework(self) -> Framework:
        return self.period.framework

    @property
    def published_at(self) -> datetime:
        return self.snapshot.published_at


def cohort_counts(snapshots) -> dict[int, list[CohortCount]]:
    """Per snapshot (a queryset or list), its cohorts with units ranked and not assessed."""
    counts = (UnitResult.objects.filter(snapshot__in=snapshots)
              .values("snapshot_id", "cohort__code", "cohort__name", "cohort__order")
              .annotate(ranked=Count("pk", filter=Q(rank__isnull=False)),
                        not_assessed=Count("pk", filter=Q(assessed=False)))
              .order_by("snapshot_id", "cohort__order", "cohort__code"))
    by_snapshot: dict[int, list[CohortCount]] = {}
    for row in counts:
        by_snapshot.setdefault(row["snapshot_id"], []).append(
            CohortCount(row["cohort__code"], row["cohort__name"], row["ranked"],
                        row["not_assessed"]))
    return by_snapshot


def published_periods() -> list[PublishedPeriod]:
    """Periods with a public snapshot, latest first, with the units ranked per cohort."""
    public = RankingSnapshot.objects.filter(is_public=True)
    snapshots = list(public.select_related("period", "period__framework")
                     .order_by("-published_at", "-period__code"))
    counts = cohort_counts(public)
    return [PublishedPeriod(s.period, s, counts.get(s.pk, [])) for s in snapshots]


def period_cohorts(period: Period) -> list[Cohort]:
    """The cohorts taking part in the period, in their order."""
    return list(period.cohorts.order_by("order", "code"))


# --- the framework of a snapshot ---------------------------------------------------------

def snapshot_framework(snapshot: RankingSnapshot) -> Framework:
    """The framework the snapshot was computed on (by its stored code)."""
    framework = Framework.objects.filter(code=snapshot.framework_code).first()
    return framework or snapshot.period.framework


def tree_order(groups: Iterable[CriterionGroup]) -> list[CriterionGroup]:
    """Groups depth-first (pre-order), siblings by ``order`` then ``code``."""
    children: dict[int | None, list[CriterionGroup]] = {}
    for group in sorted(groups, key=lambda g: (g.order, g.code)):
        children.setdefault(group.parent_id, []).append(group)
    ordered: list[CriterionGroup] = []

    def walk(parent_id):
        for group in children.get(parent_id, []):
            ordered.append(group)
            walk(group.pk)

    walk(None)
    return ordered


@dataclass(frozen=True)
class BandInfo:
    label: str
    min_score: float
    color: str


def bands_of(framework: Framework) -> list[BandInfo]:
    """The framework's bands, best first, each with its badge colour: its own, else the
    palette's by position."""
    bands = Band.objects.filter(framework=framework).order_by("-min_score", "label")
    return [BandInfo(band.label, band.min_score,
                     band.color or BAND_PALETTE[i % len(BAND_PALETTE)])
            for i, band in enumerate(bands)]


# --- unit results ------------------------------------------------------------------------

def name_key(name: str) -> tuple[str, str]:
    """Sort key of a Vietnamese name: base letters first ("Đ" as "D"), then the name."""
    base = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    base = "".join(c for c in base if not unicodedata.combining(c)).casefold()
    return base, name


def _order_key(row: dict) -> tuple:
    rank = row["rank"]
    return (row["cohort_order"], row["cohort"], not row["assessed"], rank is None,
            rank or 0, name_key(row["unit_name"]), row["unit_code"])


@dataclass(frozen=True)
class GroupScore:
    score: float | None
    rank: int | None
    rank_change: int | None


@dataclass(frozen=True)
class _Results:
    framework: Framework
    groups: list[CriterionGroup]          # tree order
    rows: list[dict] = field(default_factory=list)
    maxima: dict[int, float] = field(default_factory=dict)   # group id -> maximum


def _results(snapshot: RankingSnapshot, cohort: Cohort | None = None,
             top_level_only: bool = False) -> _Results:
    """Unit results of the snapshot (of one cohort) with their group results: 4 queries."""
    framework = snapshot_framework(snapshot)
    groups = tree_order(CriterionGroup.objects.filter(framework=framework))
    if top_level_only:
        groups = [g for g in groups if g.parent_id is None]
    units = UnitResult.objects.filter(snapshot=snapshot).select_related("unit", "cohort")
    group_results = GroupResult.objects.filter(snapshot=snapshot,
                                               group_id__in=[g.pk for g in groups])
    if cohort is not None:
        units = units.filter(cohort=cohort)
        group_results = group_results.filter(
            unit_id__in=UnitResult.objects.filter(snapshot=snapshot, cohort=cohort)
            .values("unit_id"))
    by_unit: dict[int, dict[int, GroupScore]] = {}
    maxima: dict[int, float] = {}
    for unit_id, group_id, score, rank, change, maximum in group_results.values_list(
            "unit_id", "group_id", "score", "rank", "rank_change", "max_score"):
        by_unit.setdefault(unit_id, {})[group_id] = GroupScore(score, rank, change)
        if maximum is not None:
            maxima.setdefault(group_id, maximum)
    rows = []
    for result in units:
        scores = by_unit.get(result.unit_id, {})
        rows.append({
            "cohort": result.cohort.code,
            "cohort_name": result.cohort.name,
            "cohort_order": result.cohort.order,
            "unit_code": result.unit.code,
            "unit_name": result.unit.name,
            "assessed": result.assessed,
            "score": result.score,
            "rank": result.rank,
            "previous_rank": result.previous_rank,
            "rank_change": result.rank_change,
            "band": result.band,
            "groups": {g.code: scores[g.pk] for g in groups if g.pk in scores},
        })
    rows.sort(key=_order_key)
    return _Results(framework, groups, rows, maxima)


def _rounded(value: float | None, decimals: int) -> float | None:
    return None if value is None else round_half_away(value, decimals)


@dataclass(frozen=True)
class ResultsTable:
    """The layout of workbooks.md "Results": ``columns`` and one dict per unit."""

    columns: list[str]
    rows: list[dict]
    decimals: int


def results_rows(snapshot: RankingSnapshot) -> ResultsTable:
    """One row per unit of the period's cohorts (see workbooks.md, "Results").

    Values are ``str``, ``int``, ``float`` (scores, rounded to the framework's decimals)
    or ``None`` (empty: not assessed, not ranked, no previous rank).
    """
    results = _results(snapshot)
    decimals = int(results.framework.decimals)
    columns = list(RESULT_COLUMNS)
    for group in results.groups:
        columns += [f"{group.code}_score", f"{group.code}_rank", f"{group.code}_rank_change"]
    rows = []
    for item in results.rows:
        row = {
            "cohort": item["cohort"],
            "unit_code": item["unit_code"],
            "unit_name": item["unit_name"],
            "score": _rounded(item["score"], decimals),
            "rank": item["rank"],
            "previous_rank": item["previous_rank"],
            "rank_change": item["rank_change"],
            "band": item["band"] or None,
        }
        for group in results.groups:
            scored = item["groups"].get(group.code, GroupScore(None, None, None))
            row[f"{group.code}_score"] = _rounded(scored.score, decimals)
            row[f"{group.code}_rank"] = scored.rank
            row[f"{group.code}_rank_change"] = scored.rank_change
        rows.append(row)
    return ResultsTable(columns, rows, decimals)


# --- the leaderboard ---------------------------------------------------------------------

@dataclass(frozen=True)
class GroupColumn:
    """A top-level group shown on the leaderboard; ``key`` names its columns (g1, g2…)."""

    key: str
    code: str
    name: str
    max_score: float | None


@dataclass(frozen=True)
class Leaderboard:
    snapshot: RankingSnapshot
    cohort: Cohort
    framework: Framework
    groups: list[GroupColumn]
    rows: list[dict]
    bands: list[BandInfo]          # best first
    decimals: int

    @property
    def ranked_count(self) -> int:
        return sum(1 for row in self.rows if row["rank"] is not None)

    @property
    def not_assessed_count(self) -> int:
        return sum(1 for row in self.rows if not row["assessed"])


def leaderboard(snapshot: RankingSnapshot, cohort: Cohort) -> Leaderboard:
    """The rows of one cohort's leaderboard, ranked first (5 queries).

    Each row: ``unit_code``, ``unit_name``, ``unit_sort``, ``assessed``, ``rank``,
    ``score``, ``band``, ``band_color``, ``band_sort`` (its position, best first),
    ``previous_rank``, ``rank_change`` and for each top-level group ``gN_score``,
    ``gN_rank``, ``gN_change``.
    """
    results = _results(snapshot, cohort=cohort, top_level_only=True)
    bands = bands_of(results.framework)
    colors = {band.label: band.color for band in bands}
    band_position = {band.label: i for i, band in enumerate(bands)}
    columns = [GroupColumn(f"g{i}", g.code, g.name, results.maxima.get(g.pk))
               for i, g in enumerate(results.groups, start=1)]
    rows = []
    for item in results.rows:
        row = {
            "unit_code": item["unit_code"],
            "unit_name": item["unit_name"],
            "unit_sort": name_key(item["unit_name"]),
            "assessed": item["assessed"],
            "rank": item["rank"],
            "score": item["score"],
            "band": item["band"],
            "band_color": colors.get(item["band"], BAND_PALETTE[-1]) if item["band"] else "",
            "band_sort": band_position.get(item["band"]) if item["band"] else None,
            "previous_rank": item["previous_rank"],
            "rank_change": item["rank_change"],
        }
        for column in columns:
            scored = item["groups"].get(column.code, GroupScore(None, None, None))
            row[f"{column.key}_score"] = scored.score
            row[f"{column.key}_rank"] = scored.rank
            row[f"{column.key}_change"] = scored.rank_change
        rows.append(row)
    return Leaderboard(snapshot, cohort, results.framework, columns, rows, bands,
                       int(results.framework.decimals))


# --- the public site: group leaderboards, unit profiles, comparison, indicators ---------
# Only public snapshots are read here (is_public=True): never a preview, a draft or the
# answers of a period that is not published. Each function runs a fixed number of queries.

def public_state() -> str:
    """A token that changes at every publication or withdrawal (cache keys): 1 query."""
    # plain SQL: read on every public request, the ORM's aggregate costs more than the query
    table = connection.ops.quote_name(RankingSnapshot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(id), MAX(published_at) FROM {table} "
                       "WHERE is_public = %s", [True])
        count, ids, last = cursor.fetchone()
    return f"{count}-{ids or 0}-{last or ''}"


def public_snapshot_by_code(code: str) -> RankingSnapshot | None:
    """The public snapshot of the period with this code (None: unknown or unpublished)."""
    return (RankingSnapshot.objects.select_related("period", "period__framework")
            .filter(period__code=code, is_public=True).first())


def group_tree(snapshot: RankingSnapshot) -> list[tuple[CriterionGroup, int]]:
    """The framework's groups in tree order with their depth (0 = top level): 2 queries."""
    groups = tree_order(CriterionGroup.objects.filter(framework=snapshot_framework(snapshot)))
    depth: dict[int, int] = {}
    for group in groups:
        depth[group.pk] = 0 if group.parent_id is None else depth[group.parent_id] + 1
    return [(group, depth[group.pk]) for group in groups]


def group_leaderboard(snapshot: RankingSnapshot, cohort: Cohort,
                      group: CriterionGroup) -> Leaderboard:
    """One cohort ranked on one group of any level: its score, rank and change as the main
    columns, its sub-groups as the group columns (5 queries)."""
    results = _results(snapshot, cohort=cohort)
    children = [g for g in results.groups if g.parent_id == group.pk]
    columns = [GroupColumn(f"g{i}", g.code, g.name, results.maxima.get(g.pk))
               for i, g in enumerate(children, start=1)]
    empty = GroupScore(None, None, None)
    rows = []
    for item in results.rows:
        own = item["groups"].get(group.code, empty)
        row = {
            "unit_code": item["unit_code"],
            "unit_name": item["unit_name"],
            "unit_sort": name_key(item["unit_name"]),
            "assessed": item["assessed"],
            "rank": own.rank,
            "score": own.score,
            "band": "", "band_color": "", "band_sort": None,
            "previous_rank": None,
            "rank_change": own.rank_change,
        }
        for column in columns:
            scored = item["groups"].get(column.code, empty)
            row[f"{column.key}_score"] = scored.score
            row[f"{column.key}_rank"] = scored.rank
            row[f"{column.key}_change"] = scored.rank_change
        rows.append(row)
    rows.sort(key=lambda r: (not r["assessed"], r["rank"] is None, r["rank"] or 0,
                             r["unit_sort"]))
    return Leaderboard(snapshot, cohort, results.framework, columns, rows, [],
                       int(results.framework.decimals))


def matches(query: str, name: str, code: str = "") -> bool:
    """Search of a unit: accents and case ignored ("tam ky" finds "Thành phố Tam Kỳ")."""
    wanted = name_key(query.strip())[0]
    return not wanted or wanted in name_key(name)[0] or wanted in code.casefold()


def median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


@dataclass
class GroupLine:
    group: CriterionGroup
    depth: int
    score: float | None
    max_score: float | None
    fraction: float | None
    rank: int | None
    rank_change: int | None
    median: float | None = None      # of the cohort's fractions
    best: float | None = None

    @property
    def gap(self) -> float | None:
        if self.fraction is None or self.median is None:
            return None
        return self.fraction - self.median


@dataclass
class IndicatorLine:
    indicator: Indicator
    group_code: str
    value_number: float | None
    value_text: str
    points: float | None
    max_points: float | None
    fraction: float | None
    median: float | None = None      # of the cohort's fractions

    @property
    def gap(self) -> float | None:
        if self.fraction is None or self.median is None:
            return None
        return self.fraction - self.median


@dataclass
class HistoryPoint:
    period: Period
    snapshot_id: int
    cohort_name: str
    score: float | None
    max_score: float | None
    rank: int | None
    rank_change: int | None
    band: str


@dataclass
class UnitProfile:
    unit: Unit
    snapshot: RankingSnapshot
    result: UnitResult
    framework: Framework
    ranked_count: int
    groups: list[GroupLine]
    indicators: list[IndicatorLine]
    history: list[HistoryPoint]
    bands: list[BandInfo]
    decimals: int

    @property
    def top_groups(self) -> list[GroupLine]:
        return [line for line in self.groups if line.depth == 0]

    @property
    def band_color(self) -> str:
        return next((b.color for b in self.bands if b.label == self.result.band), "")

    def strengths(self, count: int = 3) -> list:
        lines = [x for x in self.groups + self.indicators if x.gap is not None and x.gap > 0]
        return sorted(lines, key=lambda x: -x.gap)[:count]

    def weaknesses(self, count: int = 3) -> list:
        lines = [x for x in self.groups + self.indicators if x.gap is not None and x.gap < 0]
        return sorted(lines, key=lambda x: x.gap)[:count]


def unit_history(unit: Unit) -> list[UnitResult]:
    """The unit's results in every public snapshot, oldest period first: 1 query."""
    return list(UnitResult.objects.filter(unit=unit, snapshot__is_public=True)
                .select_related("snapshot", "snapshot__period", "cohort")
                .order_by("snapshot__published_at", "snapshot__period__code"))


def unit_profile(unit: Unit, period_code: str | None = None) -> UnitProfile | None:
    """The unit's published results (latest public period, or ``period_code``'s): None when
    the unit has none there. 9 queries."""
    history = unit_history(unit)
    if not history:
        return None
    if period_code:
        result = next((r for r in history if r.snapshot.period.code == period_code), None)
        if result is None:
            return None
    else:
        result = history[-1]
    snapshot = result.snapshot
    framework = snapshot_framework(snapshot)
    tree = tree_order(CriterionGroup.objects.filter(framework=framework))
    depth: dict[int, int] = {}
    for group in tree:
        depth[group.pk] = 0 if group.parent_id is None else depth[group.parent_id] + 1
    cohort_units = UnitResult.objects.filter(snapshot=snapshot, cohort_id=result.cohort_id)
    ranked_count = cohort_units.filter(rank__isnull=False).count()
    peers = cohort_units.filter(assessed=True).values("unit_id")
    fractions: dict[int, list[float]] = {}
    own: dict[int, tuple] = {}
    for unit_id, group_id, fraction, score, maximum, rank, change in (
            GroupResult.objects.filter(snapshot=snapshot, unit_id__in=peers).values_list(
                "unit_id", "group_id", "fraction", "score", "max_score", "rank",
                "rank_change")):
        if fraction is not None:
            fractions.setdefault(group_id, []).append(fraction)
        if unit_id == unit.pk:
            own[group_id] = (score, maximum, fraction, rank, change)
    groups = []
    for group in tree:
        score, maximum, fraction, rank, change = own.get(group.pk, (None,) * 5)
        values = fractions.get(group.pk, [])
        groups.append(GroupLine(group, depth[group.pk], score, maximum, fraction, rank, change,
                                median(values), max(values) if values else None))
    indicators = {i.pk: i for i in Indicator.objects.filter(framework=framework)
                  .select_related("group").order_by("order", "code")}
    indicator_fractions: dict[int, list[float]] = {}
    own_indicators: dict[int, tuple] = {}
    for unit_id, indicator_id, number, text, fraction, points, maximum in (
            IndicatorResult.objects.filter(snapshot=snapshot, unit_id__in=peers).values_list(
                "unit_id", "indicator_id", "value_number", "value_text", "fraction", "points",
                "max_points")):
        if fraction is not None:
            indicator_fractions.setdefault(indicator_id, []).append(fraction)
        if unit_id == unit.pk:
            own_indicators[indicator_id] = (number, text, points, maximum, fraction)
    position = {g.pk: i for i, g in enumerate(tree)}
    lines = []
    for indicator_id, (number, text, points, maximum, fraction) in own_indicators.items():
        indicator = indicators.get(indicator_id)
        if indicator is None:
            continue
        lines.append(IndicatorLine(indicator, indicator.group.code, number, text, points,
                                   maximum, fraction,
                                   median(indicator_fractions.get(indicator_id, []))))
    lines.sort(key=lambda x: (position.get(x.indicator.group_id, 0), x.indicator.order,
                              x.indicator.code))
    points = [HistoryPoint(r.snapshot.period, r.snapshot_id, r.cohort.name, r.score,
                           r.max_score, r.rank, r.rank_change, r.band) for r in history]
    return UnitProfile(unit, snapshot, result, framework, ranked_count, groups, lines, points,
                       bands_of(framework), int(framework.decimals))


@dataclass
class IndicatorView:
    snapshot: RankingSnapshot
    cohort: Cohort
    indicator: Indicator
    rows: list[dict]          # unit_code, unit_name, value_number, value_text, points, max
    decimals: int

    @property
    def values(self) -> list[float]:
        return [r["value_number"] for r in self.rows if r["value_number"] is not None]


def indicator_view(snapshot: RankingSnapshot, cohort: Cohort,
                   indicator: Indicator) -> IndicatorView:
    """One indicator across the units of a cohort, most points first: 1 query."""
    rows = [{"unit_code": code, "unit_name": name, "value_number": number,
             "value_text": text, "points": points, "max_points": maximum}
            for code, name, number, text, points, maximum in
            IndicatorResult.objects.filter(
                snapshot=snapshot, indicator=indicator,
                unit_id__in=UnitResult.objects.filter(snapshot=snapshot, cohort=cohort)
                .values("unit_id"))
            .values_list("unit__code", "unit__name", "value_number", "value_text", "points",
                         "max_points")]
    rows.sort(key=lambda r: (r["points"] is None, -(r["points"] or 0),
                             name_key(r["unit_name"])))
    return IndicatorView(snapshot, cohort, indicator, rows,
                         int(snapshot_framework(snapshot).decimals))


@dataclass
class Comparison:
    snapshot: RankingSnapshot
    units: list[UnitResult]                      # in the order asked
    groups: list[tuple[CriterionGroup, int]]     # tree order, with depth
    indicators: list[Indicator]
    group_scores: dict[tuple[int, int], GroupScore]        # (unit id, group id)
    group_maxima: dict[int, float]
    indicator_results: dict[tuple[int, int], dict]          # (unit id, indicator id)
    decimals: int


def compare_units(snapshot: RankingSnapshot, unit_codes: list[str]) -> Comparison:
    """Results of a few units of the snapshot side by side (6 queries)."""
    found = {r.unit.code: r for r in UnitResult.objects.filter(
        snapshot=snapshot, unit__code__in=unit_codes).select_related("unit", "cohort")}
    units = [found[code] for code in unit_codes if code in found]
    ids = [r.unit_id for r in units]
    tree = group_tree(snapshot)
    framework = snapshot_framework(snapshot)
    scores, maxima = {}, {}
    for unit_id, group_id, score, rank, change, maximum in GroupResult.objects.filter(
            snapshot=snapshot, unit_id__in=ids).values_list(
            "unit_id", "group_id", "score", "rank", "rank_change", "max_score"):
        scores[(unit_id, group_id)] = GroupScore(score, rank, change)
        if maximum is not None:
            maxima.setdefault(group_id, maximum)
    indicators = list(Indicator.objects.filter(framework=framework)
                      .order_by("group__order", "group__code", "order", "code"))
    position = {g.pk: i for i, (g, _) in enumerate(tree)}
    indicators.sort(key=lambda i: (position.get(i.group_id, 0), i.order, i.code))
    values = {(r["unit_id"], r["indicator_id"]): r for r in IndicatorResult.objects.filter(
        snapshot=snapshot, unit_id__in=ids).values(
        "unit_id", "indicator_id", "value_number", "value_text", "points", "max_points")}
    return Comparison(snapshot, units, tree, indicators, scores, maxima, values,
                      int(framework.decimals))


def snapshot_units(snapshot: RankingSnapshot) -> list[tuple[str, str, str]]:
    """(cohort name, unit code, unit name) of every unit of the snapshot: 1 query."""
    rows = list(UnitResult.objects.filter(snapshot=snapshot).values_list(
        "cohort__order", "cohort__name", "unit__code", "unit__name"))
    rows.sort(key=lambda r: (r[0], r[1], name_key(r[3])))
    return [(cohort, code, name) for _, cohort, code, name in rows]


def framework_parts(framework: Framework):
    """Groups (tree order, with depth), indicators by group id, bands: 3 queries."""
    groups = tree_order(CriterionGroup.objects.filter(framework=framework))
    depth: dict[int, int] = {}
    for group in groups:
        depth[group.pk] = 0 if group.parent_id is None else depth[group.parent_id] + 1
    indicators: dict[int, list[Indicator]] = {}
    for indicator in (Indicator.objects.filter(framework=framework).select_related("group")
                      .order_by("order", "code")):
        indicators.setdefault(indicator.group_id, []).append(indicator)
    return [(g, depth[g.pk]) for g in groups], indicators, bands_of(framework)


def previous_public_period(period: Period) -> Period | None:
    """The period's previous period when its results are public (else None): 1 query."""
    if period.previous_id is None:
        return None
    return (Period.objects.select_related("framework")
            .filter(pk=period.previous_id, snapshots__is_public=True).first())


RATIO_FORMULA = re.compile(r"^\s*(\w+)\s*/\s*(\w+)\s*(?:\*\s*(\d+(?:\.\d+)?))?\s*$")


@dataclass
class CohortFigures:
    cohort: Cohort
    units: int
    ranked: int
    mean_score: float | None
    indicators: list[dict]   # indicator, count, total, mean, ratio_of_totals


def headline_figures(snapshot: RankingSnapshot) -> list[CohortFigures]:
    """Per cohort: units, units ranked, average score and for each numeric indicator the
    number of units with a value, the total and the average of the published values; for
    an indicator computed as ``a / b`` (``* k``), also the ratio of the totals (computers
    per staff over the whole cohort). 5 queries."""
    framework = snapshot_framework(snapshot)
    numeric = {i.pk: i for i in Indicator.objects.filter(
        framework=framework, value_type__in=["number", "integer", "percent"])
        .order_by("order", "code")}
    units = {}
    for unit_id, cohort_id, assessed, ranked, score in UnitResult.objects.filter(
            snapshot=snapshot).values_list("unit_id", "cohort_id", "assessed", "rank", "score"):
        units[unit_id] = (cohort_id, assessed, ranked, score)
    sums: dict[tuple[int, int], list[float]] = {}
    for unit_id, indicator_id, value in IndicatorResult.objects.filter(
            snapshot=snapshot, indicator_id__in=list(numeric), value_number__isnull=False
    ).values_list("unit_id", "indicator_id", "value_number"):
        if unit_id in units:
            sums.setdefault((units[unit_id][0], indicator_id), []).append(value)
    by_code = {i.code: i.pk for i in numeric.values()}
    figures = []
    for cohort in period_cohorts(snapshot.period):
        members = [u for u in units.values() if u[0] == cohort.pk]
        if not members:
            continue
        scores = [u[3] for u in members if u[1] and u[3] is not None]
        totals = {pk: (len(sums.get((cohort.pk, pk), [])), sum(sums.get((cohort.pk, pk), [])))
                  for pk in numeric}
        lines = []
        for pk, indicator in numeric.items():
            count, total = totals[pk]
            if not count:
                continue
            ratio = None
            match = RATIO_FORMULA.match(indicator.formula or "")
            if match and match.group(1) in by_code and match.group(2) in by_code:
                top, bottom = totals[by_code[match.group(1)]][1], totals[by_code[match.group(2)]][1]
                if bottom:
                    ratio = top / bottom * float(match.group(3) or 1)
            lines.append({"indicator": indicator, "count": count, "total": total,
                          "mean": total / count, "ratio_of_totals": ratio})
        figures.append(CohortFigures(cohort, len(members),
                                     sum(1 for u in members if u[2] is not None),
                                     sum(scores) / len(scores) if scores else None, lines))
    return figures
