"""Reads of ranking snapshots for the pages, the downloads and the commands.

Every function runs a fixed number of queries, whatever the number of units.

Order of units everywhere (page and exports): by cohort (its ``order``, then code), units
with a rank first by rank, then assessed units without a rank, then units not assessed;
within equal ranks by name (Vietnamese letters sorted as their base letter: "Đ" with "D").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q

from assessments.models import Band, Cohort, CriterionGroup, Framework, Period
from rankings.engine import round_half_away

from .models import GroupResult, RankingSnapshot, UnitResult

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
