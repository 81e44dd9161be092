"""Public pages: published periods, a period's leaderboard and its downloads.

Only published results are shown here: a period without a public snapshot is a 404 (its
previews never leak). Every page runs a fixed number of queries whatever the number of units.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django_tables2 import RequestConfig

from assessments.models import Period

from .selectors import (
    cohort_counts,
    leaderboard,
    period_cohorts,
    public_snapshot,
    published_periods,
    replaced_publication,
)
from .services import EXPORT_FORMATS, results_content
from .tables import LeaderboardTable


def _public_snapshot_or_404(code: str):
    period = get_object_or_404(Period, code=code)
    snapshot = public_snapshot(period)
    if snapshot is None:
        raise Http404("not published")
    return snapshot


def period_list(request):
    return render(request, "rankings/period_list.html", {"periods": published_periods()})


def period_leaderboard(request, code):
    snapshot = _public_snapshot_or_404(code)
    cohorts = period_cohorts(snapshot.period)
    wanted = request.GET.get("cohort")
    cohort = next((c for c in cohorts if c.code == wanted), None) if wanted else (
        cohorts[0] if cohorts else None)
    if wanted and cohort is None:
        raise Http404("unknown cohort")
    board = table = None
    if cohort is not None:
        board = leaderboard(snapshot, cohort)
        table = LeaderboardTable(board)
        RequestConfig(request, paginate=False).configure(table)
    counts = {c.code: c for c in cohort_counts([snapshot]).get(snapshot.pk, [])}
    return render(request, "rankings/leaderboard.html", {
        "snapshot": snapshot,
        "period": snapshot.period,
        "cohorts": [(c, counts.get(c.code)) for c in cohorts],
        "cohort": cohort,
        "board": board,
        "table": table,
        "replaced": replaced_publication(snapshot),
        "formats": list(EXPORT_FORMATS),
    })


def results_download(request, code, ext):
    snapshot = _public_snapshot_or_404(code)
    content = results_content(snapshot=snapshot, fmt=ext)
    response = HttpResponse(content, content_type=EXPORT_FORMATS[ext])
    response["Content-Disposition"] = (
        f'attachment; filename="ket-qua-{snapshot.period.code}-lan-{snapshot.number}.{ext}"')
    return response
