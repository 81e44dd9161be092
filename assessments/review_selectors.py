"""Reads of the ICT office's review pages (issue 4): the progress board, one submission's
review sheet (last year's value, cohort median, points), the changes since a return, the
history timeline. Each function runs a fixed number of queries whatever the number of units.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pandas as pd
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rankings.engine import compute

from .models import (
    Answer,
    AnswerChange,
    Appeal,
    AppealItem,
    EvidenceFile,
    Indicator,
    Period,
    Review,
    ReviewFlag,
    Submission,
    Unit,
    ValueType,
)
from .selectors import framework_spec

NOT_STARTED = "not_started"
BOARD_STATUSES = [
    (NOT_STARTED, gettext_lazy("Chưa bắt đầu")),
    (Submission.Status.DRAFT, Submission.Status.DRAFT.label),
    (Submission.Status.SUBMITTED, Submission.Status.SUBMITTED.label),
    (Submission.Status.RETURNED, Submission.Status.RETURNED.label),
    (Submission.Status.RESUBMITTED, Submission.Status.RESUBMITTED.label),
    (Submission.Status.APPROVED, Submission.Status.APPROVED.label),
]
HANDED_IN = (Submission.Status.SUBMITTED, Submission.Status.RETURNED,
             Submission.Status.RESUBMITTED, Submission.Status.APPROVED)
NUMERIC_TYPES = (ValueType.NUMBER, ValueType.INTEGER, ValueType.PERCENT)


def _has_value() -> Q:
    return Q(value_number__isnull=False) | ~Q(value_text="")


def required_codes(indicators, cohort_code: str) -> set[str]:
    """Codes of the indicators a unit of ``cohort_code`` must answer (not derived)."""
    return {i["code"] for i in indicators
            if i["required"] and not (i["formula"] or "").strip()
            and (not i["applies_to"].strip()
                 or cohort_code in {c.strip() for c in i["applies_to"].split(",")})}


# --- the progress board -------------------------------------------------------------------

@dataclass
class BoardRow:
    unit_id: int
    unit_code: str
    unit_name: str
    cohort_code: str
    cohort_name: str
    status: str
    status_label: str
    submission_id: int | None
    last_activity: datetime.datetime | None
    deadline: datetime.date | None
    days_left: int | None
    given: int
    required: int
    evidence_missing: int
    open_flags: int
    needs_info: int
    url: str = ""

    @property
    def complete(self) -> bool:
        return self.given >= self.required

    @property
    def completeness(self) -> float:
        return 100.0 if not self.required else min(100.0, 100.0 * self.given / self.required)

    @property
    def is_clean(self) -> bool:
        """Ready for bulk approval: handed in, complete, no unchecked flag, nothing pending."""
        return (self.status in (Submission.Status.SUBMITTED, Submission.Status.RESUBMITTED)
                and self.complete and not self.open_flags and not self.needs_info
                and not self.evidence_missing)

    @property
    def days_past(self) -> int | None:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else None


@dataclass
class Board:
    period: Period
    rows: list[BoardRow]
    counts: dict[str, int]
    statuses: list[tuple[str, str]] = field(default_factory=lambda: BOARD_STATUSES)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        return [(code, label, self.counts.get(code, 0)) for code, label in self.statuses]

    clean_count: int = 0


def progress_board(period: Period, *, today: datetime.date | None = None,
                   status: str = "", cohort: str = "", query: str = "") -> Board:
    """Every active unit of the period's cohorts with its return's progress (6 queries).

    ``counts`` counts every status before the filters (``status``, ``cohort``, a text
    ``query`` on the unit's code or name) are applied to ``rows``.
    """
    today = today or timezone.localdate()
    units = list(Unit.objects.filter(active=True, cohort__in=period.cohorts.all())
                 .select_related("cohort").order_by("cohort__order", "cohort__code", "name"))
    indicators = list(Indicator.objects.filter(framework_id=period.framework_id)
                      .values("code", "required", "applies_to", "formula"))
    required_by_cohort: dict[str, int] = {}
    submissions = {row["unit_id"]: row for row in Submission.objects.filter(period=period)
                   .values("pk", "unit_id", "status", "updated_at")}
    answers = {row["submission_id"]: row for row in Answer.objects.filter(
        submission__period=period).values("submission_id").annotate(
        given=Count("pk", filter=_has_value() & Q(indicator__required=True)
                    & Q(indicator__formula="")),
        evidence_missing=Count("pk", filter=Q(indicator__evidence_required=True)
                               & ~Exists(EvidenceFile.objects.filter(answer=OuterRef("pk")))),
        needs_info=Count("pk", filter=Q(verdict=Answer.Verdict.NEEDS_INFO)),
        last=Max("updated_at"))}
    flags = dict(ReviewFlag.objects.filter(answer__submission__period=period,
                                           checked_at__isnull=True)
                 .values("answer__submission_id").annotate(n=Count("pk"))
                 .values_list("answer__submission_id", "n"))
    extensions = dict(period.extensions.values_list("unit_id", "until"))
    labels = dict(BOARD_STATUSES)

    rows, counts = [], {code: 0 for code, _label in BOARD_STATUSES}
    for unit in units:
        cohort_code = unit.cohort.code
        if cohort_code not in required_by_cohort:
            required_by_cohort[cohort_code] = len(required_codes(indicators, cohort_code))
        sub = submissions.get(unit.pk)
        stats = answers.get(sub["pk"], {}) if sub else {}
        deadline = period.deadline
        extension = extensions.get(unit.pk)
        if extension and (deadline is None or extension > deadline):
            deadline = extension
        row_status = sub["status"] if sub else NOT_STARTED
        last = max([d for d in (sub and sub["updated_at"], stats.get("last")) if d],
                   default=None)
        rows.append(BoardRow(
            unit_id=unit.pk, unit_code=unit.code, unit_name=unit.name,
            cohort_code=cohort_code, cohort_name=unit.cohort.name, status=row_status,
            status_label=str(labels[row_status]), submission_id=sub["pk"] if sub else None,
            last_activity=last, deadline=deadline,
            days_left=(deadline - today).days if deadline else None,
            given=stats.get("given", 0), required=required_by_cohort[cohort_code],
            evidence_missing=stats.get("evidence_missing", 0),
            open_flags=flags.get(sub["pk"], 0) if sub else 0,
            needs_info=stats.get("needs_info", 0)))
        counts[row_status] += 1
    clean = sum(1 for r in rows if r.is_clean)
    if status:
        rows = [r for r in rows if r.status == status or (status == "clean" and r.is_clean)]
    if cohort:
        rows = [r for r in rows if r.cohort_code == cohort]
    if query:
        needle = query.casefold()
        rows = [r for r in rows if needle in r.unit_code.casefold()
                or needle in r.unit_name.casefold()]
    return Board(period, rows, counts, clean_count=clean)


def unclean_reasons(submissions: list[Submission]) -> list[str]:
    """Why some of ``submissions`` cannot be bulk-approved (empty when all are clean)."""
    if not submissions:
        return []
    by_period: dict[int, list[Submission]] = {}
    for s in submissions:
        by_period.setdefault(s.period_id, []).append(s)
    reasons = []
    for period_id, items in by_period.items():
        period = Period.objects.get(pk=period_id)
        board = {row.submission_id: row for row in progress_board(period).rows}
        for s in items:
            row = board.get(s.pk)
            if row is None or not row.is_clean:
                reasons.append(_("%(unit)s: phiếu chưa sạch (chưa nộp, chưa đủ câu trả lời, "
                                 "thiếu tài liệu, còn cảnh báo chưa kiểm tra hoặc câu cần bổ "
                                 "sung).") % {"unit": s.unit.code})
    return reasons


# --- one submission -------------------------------------------------------------------------

def scored(verdict, number, text, value_type):
    if verdict == Answer.Verdict.ADJUSTED:
        return Answer.raw_value(number[1], text[1], value_type)
    return Answer.raw_value(number[0], text[0], value_type)


def _values_rows(queryset):
    rows = []
    for unit_code, code, value_type, verdict, n, t, an, at in queryset.values_list(
            "submission__unit__code", "indicator__code", "indicator__value_type", "verdict",
            "value_number", "value_text", "adjusted_number", "adjusted_text"):
        value = scored(verdict, (n, an), (t, at), value_type)
        if value is not None and not isinstance(value, (bool, str)):
            value = float(value)
        rows.append((unit_code, code, value))
    return rows


@dataclass
class Points:
    by_indicator: dict[str, tuple[float | None, float | None]]  # code -> (points, max)
    score: float | None
    source: str  # "snapshot" or "engine"
    error: str = ""


def submission_points(submission: Submission) -> Points:
    """The points each answer earns: from the latest snapshot when the submission is
    approved and was computed since, else by running the engine on the cohort's returns
    handed in so far (scored values)."""
    period = submission.period
    from rankings.models import IndicatorResult, RankingSnapshot, UnitResult

    if submission.status == Submission.Status.APPROVED and submission.approved_at:
        snapshot = (RankingSnapshot.objects.filter(period=period,
                                                   computed_at__gte=submission.approved_at)
                    .order_by("-number").first())
        if snapshot is not None:
            result = UnitResult.objects.filter(snapshot=snapshot,
                                               unit_id=submission.unit_id).first()
            points = {code: (p, m) for code, p, m in IndicatorResult.objects.filter(
                snapshot=snapshot, unit_id=submission.unit_id).values_list(
                "indicator__code", "points", "max_points")}
            return Points(points, result.score if result else None,
                          _("lần tính %(n)s") % {"n": snapshot.number})
    cohort = submission.unit.cohort
    handed_in = Submission.objects.filter(period=period, status__in=HANDED_IN,
                                          unit__cohort=cohort, unit__active=True)
    unit_codes = sorted(set(handed_in.values_list("unit__code", flat=True))
                        | {submission.unit.code})
    units = pd.DataFrame([(code, cohort.code) for code in unit_codes],
                         columns=["unit_code", "cohort"], dtype=object)
    values = pd.DataFrame(_values_rows(Answer.objects.filter(
        Q(submission__in=handed_in) | Q(submission=submission),
        indicator__framework_id=period.framework_id)),
        columns=["unit_code", "indicator_code", "value"], dtype=object)
    try:
        result = compute(framework_spec(period.framework), units, values)
    except (ValueError, ValidationError) as exc:
        return Points({}, None, "engine", str(exc))
    mine = result.indicators[result.indicators["unit_code"] == submission.unit.code]
    points = {}
    for row in mine.itertuples(index=False):
        p = None if pd.isna(row.points) else float(row.points)
        m = None if pd.isna(row.max_points) else float(row.max_points)
        points[row.indicator_code] = (p, m)
    total = result.units[result.units["unit_code"] == submission.unit.code]["score"]
    score = float(total.iloc[0]) if len(total) and pd.notna(total.iloc[0]) else None
    return Points(points, score, _("tính thử"))


def cohort_medians(submission: Submission) -> dict[str, float]:
    rows = _values_rows(Answer.objects.filter(
        submission__period_id=submission.period_id, submission__status__in=HANDED_IN,
        submission__unit__cohort_id=submission.unit.cohort_id,
        indicator__value_type__in=NUMERIC_TYPES))
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["unit", "code", "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return {k: float(v) for k, v in frame.groupby("code")["value"].median().dropna().items()}


def last_year_values(submission: Submission) -> dict[str, object]:
    previous = submission.period.previous_id
    if previous is None:
        return {}
    rows = _values_rows(Answer.objects.filter(submission__period_id=previous,
                                              submission__unit_id=submission.unit_id))
    return {code: value for _unit, code, value in rows}


def last_return(submission: Submission) -> Review | None:
    return (submission.reviews.filter(outcome__in=[Review.Outcome.RETURNED,
                                                   Review.Outcome.REOPENED])
            .order_by("-at", "-pk").first())


def changes_since_return(submission: Submission) -> tuple[Review | None, list[AnswerChange]]:
    """The unit's changes since the office last sent the return back (the diff)."""
    review = last_return(submission)
    if review is None:
        return None, []
    changes = list(AnswerChange.objects.filter(answer__submission=submission, at__gt=review.at)
                   .exclude(source__in=[AnswerChange.Source.REVIEW, AnswerChange.Source.APPEAL])
                   .select_related("answer__indicator", "actor").order_by("at", "pk"))
    return review, changes


@dataclass
class SheetRow:
    answer: Answer
    last_year: object
    median: float | None
    points: float | None
    max_points: float | None
    flags: list
    changes: list = field(default_factory=list)


def review_sheet(submission: Submission) -> list[SheetRow]:
    answers = list(submission.answers.select_related("indicator", "indicator__group")
                   .prefetch_related("evidence",
                                     Prefetch("flags", queryset=ReviewFlag.objects.order_by(
                                         "kind")))
                   .order_by("indicator__group__order", "indicator__order", "indicator__code"))
    last = last_year_values(submission)
    medians = cohort_medians(submission)
    points = submission_points(submission)
    rows = []
    for answer in answers:
        code = answer.indicator.code
        p, m = points.by_indicator.get(code, (None, None))
        rows.append(SheetRow(answer, last.get(code), medians.get(code), p, m,
                             list(answer.flags.all())))
    return rows


# --- history --------------------------------------------------------------------------------

@dataclass
class Event:
    at: datetime.datetime
    actor: str
    kind: str
    title: str
    text: str = ""
    items: list[str] = field(default_factory=list)


def _who(user) -> str:
    if user is None:
        return str(_("hệ thống"))
    return user.get_full_name() or user.get_username()


def timeline(submission: Submission) -> list[Event]:
    """Every transition, review message, adjustment and appeal of the submission."""
    events = []
    for t in submission.transitions.select_related("actor"):
        events.append(Event(t.at, _who(t.actor), "transition",
                            f"{t.get_from_status_display() or '∅'} → "
                            f"{t.get_to_status_display()}", t.message))
    for r in submission.reviews.select_related("reviewer").prefetch_related(
            "answers__indicator"):
        events.append(Event(r.at, _who(r.reviewer), "review", r.get_outcome_display(),
                            r.message, [f"{a.indicator.code}. {a.indicator.name}"
                                        for a in r.answers.all()]))
    first = submission.submitted_at
    changes = AnswerChange.objects.filter(answer__submission=submission).select_related(
        "actor", "answer__indicator")
    for c in changes:
        if c.source in (AnswerChange.Source.FORM, AnswerChange.Source.WORKBOOK) and (
                first is None or c.at <= first):
            continue  # the drafting before the first hand-in is not history of the review
        events.append(Event(c.at, _who(c.actor), "change",
                            f"{c.answer.indicator.code} · {c.get_field_display()} "
                            f"({c.get_source_display()})", f"{c.old or '–'} → {c.new or '–'}"))
    for appeal in submission.appeals.select_related("filed_by").prefetch_related(
            Prefetch("items", queryset=AppealItem.objects.select_related(
                "answer__indicator", "decided_by"))):
        events.append(Event(appeal.filed_at, _who(appeal.filed_by), "appeal",
                            str(_("Đề nghị phúc khảo")), appeal.message,
                            [f"{i.answer.indicator.code}: {i.reason}" for i in appeal.items.all()]))
        for item in appeal.items.all():
            if item.decided_at:
                events.append(Event(item.decided_at, _who(item.decided_by), "appeal",
                                    f"{_('Phúc khảo')} {item.answer.indicator.code}: "
                                    f"{item.get_decision_display()}", item.decision_reason))
    events.sort(key=lambda e: e.at)
    return events


def open_appeals(period: Period):
    return (Appeal.objects.filter(submission__period=period)
            .select_related("submission__unit").order_by("status", "-filed_at"))


def appeal_changes_note(period: Period, since: datetime.datetime | None) -> str:
    """A public note listing the values changed by appeals since ``since``."""
    items = (AppealItem.objects.filter(appeal__submission__period=period,
                                       decision=AppealItem.Decision.ACCEPTED)
             .select_related("answer__indicator", "appeal__submission__unit")
             .order_by("appeal__submission__unit__name", "answer__indicator__code"))
    if since is not None:
        items = items.filter(decided_at__gt=since)
    lines = [f"{i.appeal.submission.unit.name}, {i.answer.indicator.code} "
             f"({i.answer.indicator.name}): {i.old_value or '–'} → "
             f"{Answer.raw_value(i.answer.adjusted_number, i.answer.adjusted_text, i.answer.indicator.value_type)}"  # noqa: E501
             for i in items]
    if not lines:
        return ""
    return "\n".join([_("Đính chính sau phúc khảo:"), *lines])
