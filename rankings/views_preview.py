"""The reviewers' preview of a period's results (issue 4): compute a snapshot from the
approved returns, look at it before anyone else, compare it with the preview before it and
with the previous period's public results, then publish it. Reviewers only; the URLs live in
``assessments/urls_review.py`` (under /tham-dinh/).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import services as assessment_services
from assessments.access import reviewer_required
from assessments.models import Period, Submission, Unit
from assessments.review_selectors import appeal_changes_note

from . import analysis_services
from .models import RankingSnapshot, UnitResult
from .selectors import leaderboard, period_cohorts, public_snapshot
from .services import compute_snapshot
from .views_analysis import KIND_NAMES


def _period(code: str) -> Period:
    period = get_object_or_404(Period.objects.select_related("framework", "previous"),
                               code=code)
    if period.status == Period.Status.DRAFT:
        raise Http404("draft period")
    return period


def _ranks(snapshot: RankingSnapshot | None) -> dict[str, int | None]:
    if snapshot is None:
        return {}
    return dict(UnitResult.objects.filter(snapshot=snapshot).values_list("unit__code", "rank"))


@reviewer_required
def preview(request, code):
    period = _period(code)
    snapshots = list(period.snapshots.order_by("-number"))
    wanted = request.GET.get("lan")
    snapshot = next((s for s in snapshots if str(s.number) == wanted), None) if wanted else (
        snapshots[0] if snapshots else None)
    if wanted and snapshot is None:
        raise Http404("unknown snapshot")
    cohorts = period_cohorts(period)
    cohort = next((c for c in cohorts if c.code == request.GET.get("cohort")),
                  cohorts[0] if cohorts else None)
    board = None
    earlier = None
    if snapshot is not None and cohort is not None:
        board = leaderboard(snapshot, cohort)
        earlier = next((s for s in snapshots if s.number < snapshot.number), None)
        before = _ranks(earlier)
        for row in board.rows:
            old = before.get(row["unit_code"])
            row["preview_rank"] = old
            row["preview_change"] = (old - row["rank"]) if old and row["rank"] else None
    why, why_unit = None, None
    wanted_unit = request.GET.get("don_vi")
    if snapshot is not None and board is not None and wanted_unit:
        why_unit = Unit.objects.filter(code=wanted_unit, cohort=cohort).first()
        if why_unit is not None:
            why = analysis_services.profile_rank_change(unit=why_unit, period=period,
                                                        snapshot=snapshot)
    public = public_snapshot(period)
    approved = period.submissions.filter(status=Submission.Status.APPROVED).count()
    handed_in = period.submissions.exclude(status=Submission.Status.DRAFT).count()
    note = ""
    if public is not None:
        note = appeal_changes_note(period, public.published_at)
    return render(request, "rankings/preview.html", {
        "period": period, "snapshots": snapshots, "snapshot": snapshot, "earlier": earlier,
        "cohorts": cohorts, "cohort": cohort, "board": board, "public": public,
        "approved": approved, "handed_in": handed_in, "suggested_note": note,
        "previous_public": public_snapshot(period.previous) if period.previous else None,
        "why": why, "why_unit": why_unit, "why_decimals": int(period.framework.decimals) + 2,
        "why_items": [{**item, "kind_name": _(KIND_NAMES.get(item["kind"], item["kind"]))}
                      for item in (why.items if why else [])],
    })


@reviewer_required
@require_POST
def compute(request, code):
    period = _period(code)
    try:
        snapshot = compute_snapshot(period=period, actor=request.user,
                                    note=request.POST.get("note", ""))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("review:preview", code=period.code)
    messages.success(request, _("Đã tính lần %(n)s (bản xem trước, chưa công khai).")
                     % {"n": snapshot.number})
    return redirect(reverse("review:preview", args=[period.code]) + f"?lan={snapshot.number}")


@reviewer_required
@require_POST
def publish(request, code, number):
    period = _period(code)
    snapshot = get_object_or_404(RankingSnapshot, period=period, number=number)
    try:
        assessment_services.publish_results(snapshot=snapshot, reviewer=request.user,
                                            note=request.POST.get("note", ""))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("review:preview", code=period.code)
    messages.success(request, _("Đã công bố lần tính %(n)s.") % {"n": snapshot.number})
    return redirect("rankings:period_leaderboard", code=period.code)
