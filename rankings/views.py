"""Public pages: published periods, leaderboards (any group, search), unit profiles,
comparison, indicator views, methodology, the annual report and every download.

Only published results are shown here: a period without a public snapshot is a 404 (its
previews never leak). Every page runs a fixed number of queries whatever the number of units.
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from dataclasses import replace
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from assessments.models import Indicator, Unit

from . import analysis_services, charts, maps, png
from .forms import LeaderboardFilterForm
from .methodology import explain_rule, framework_changes
from .report_pdf import report_pdf
from .selectors import (
    GroupScore,
    ResultsTable,
    cohort_counts,
    compare_units,
    framework_parts,
    group_leaderboard,
    group_tree,
    headline_figures,
    indicator_view,
    leaderboard,
    matches,
    median,
    period_cohorts,
    previous_public_period,
    public_snapshot_by_code,
    public_state,
    published_periods,
    replaced_publication,
    snapshot_framework,
    snapshot_units,
    unit_profile,
)
from .selectors import _rounded as rounded
from .services import _WRITERS, EXPORT_FORMATS, results_content
from .tables import LeaderboardTable
from .views_analysis import KIND_NAMES

#: Cached public pages are rebuilt at the next publication; this bounds a stale entry's
#: life if the cache is shared with a database that was reset.
CACHE_SECONDS = 24 * 3600
_state: ContextVar[str | None] = ContextVar("public_state", default=None)


CSRF_VALUE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CSRF_MARK = b"\x00csrf\x00"
KEPT_HEADERS = ("Content-Type", "Content-Disposition")


def _whole_page_cacheable(request) -> bool:
    """A visitor without a session or messages (the public, the press) gets the same page
    as any other: the whole response can be kept. Signed-in users (their name in the
    header) and pending messages go through the view."""
    return (request.method == "GET" and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES)


def _digest(*parts) -> str:
    """A cache key part safe for any backend, whatever the user typed in the URL."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _state_now() -> str:
    state = _state.get()
    if state is None:
        state = public_state()
        _state.set(state)
    return state


def public_page(view):
    """Reads the public state once per request (the cache keys of the page's parts) and,
    for visitors without a session, keeps the whole response until the next publication;
    the CSRF token of the language form is put back for each visitor."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = _state.set(None)
        try:
            if not _whole_page_cacheable(request):
                return view(request, *args, **kwargs)
            key = "public-page:" + _digest(_state_now(), get_language() or "",
                                           request.get_full_path())
            hit = cache.get(key)
            if hit is not None:
                content, headers = hit
                if CSRF_MARK in content:
                    content = content.replace(CSRF_MARK, get_token(request).encode())
                response = HttpResponse(content)
                for name, value in headers.items():
                    response[name] = value
                return response
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                content = response.content
                if response.get("Content-Type", "").startswith("text/html"):
                    content = CSRF_VALUE.sub(rb"\1" + CSRF_MARK + rb"\2", content)
                cache.set(key, (content, {h: response[h] for h in KEPT_HEADERS if h in response}),
                          CACHE_SECONDS)
            return response
        finally:
            _state.reset(token)
    return wrapper


def cached(name: str, *parts, build, keep_none: bool = False):
    """``build()``'s value, kept until the next publication: the key holds the public
    state (which changes at every publication or withdrawal, read once per request) and
    the language."""
    key = "public:" + name + ":" + _digest(_state_now(), get_language() or "", *parts)
    hit = cache.get(key)
    if hit is None:
        hit = (build(),)
        if hit[0] is not None or keep_none:  # misses of user input are not kept
            cache.set(key, hit, CACHE_SECONDS)
    return hit[0]


def _public_snapshot_or_404(code: str):
    snapshot = cached("snapshot", code, build=lambda: public_snapshot_by_code(code))
    if snapshot is None:
        raise Http404("not published")
    return snapshot


@public_page
def period_list(request):
    return render(request, "rankings/period_list.html",
                  {"periods": cached("periods", build=published_periods)})


def _board(snapshot, cohort, group_code: str | None):
    """The leaderboard of a cohort, overall or on one group of any level (cached)."""
    def build():
        tree = group_tree(snapshot)
        group = next((g for g, _ in tree if g.code == group_code), None) if group_code else None
        if group_code and group is None:
            return None
        board = (group_leaderboard(snapshot, cohort, group) if group is not None
                 else leaderboard(snapshot, cohort))
        return {"board": board, "tree": tree, "group": group}
    return cached("board", snapshot.pk, cohort.pk, group_code or "", build=build)


def _cohort_or_404(cohorts, wanted):
    cohort = next((c for c in cohorts if c.code == wanted), None) if wanted else (
        cohorts[0] if cohorts else None)
    if wanted and cohort is None:
        raise Http404("unknown cohort")
    return cohort


@public_page
def period_leaderboard(request, code):
    snapshot = _public_snapshot_or_404(code)
    cohorts = cached("cohorts", snapshot.pk, build=lambda: period_cohorts(snapshot.period))
    cohort = _cohort_or_404(cohorts, request.GET.get("cohort"))
    form = LeaderboardFilterForm(request.GET or None)
    form.is_valid()
    query = form.cleaned_data.get("q", "") if form.is_bound else ""
    group_code = form.cleaned_data.get("group", "") if form.is_bound else ""
    board = table = group = None
    tree = []
    shown = 0
    if cohort is not None:
        built = _board(snapshot, cohort, group_code)
        if built is None:
            raise Http404("unknown group")
        board, tree, group = built["board"], built["tree"], built["group"]
        rows = [row for row in board.rows if matches(query, row["unit_name"], row["unit_code"])]
        shown = len(rows)
        table = LeaderboardTable(replace(board, rows=rows), group=group)
        RequestConfig(request, paginate=False).configure(table)
    counts = {c.code: c for c in cached(
        "counts", snapshot.pk, build=lambda: cohort_counts([snapshot]).get(snapshot.pk, []))}
    return render(request, "rankings/leaderboard.html", {
        "snapshot": snapshot,
        "period": snapshot.period,
        "cohorts": [(c, counts.get(c.code)) for c in cohorts],
        "cohort": cohort,
        "board": board,
        "table": table,
        "tree": tree,
        "group": group,
        "query": query,
        "shown": shown,
        "table_query": urlencode({k: v for k, v in (
            ("cohort", cohort.code if cohort else ""), ("group", group_code),
            ("q", query)) if v}),
        "replaced": cached("replaced", snapshot.pk,
                           build=lambda: replaced_publication(snapshot), keep_none=True),
        "formats": list(EXPORT_FORMATS),
    })


@public_page
def results_download(request, code, ext):
    snapshot = _public_snapshot_or_404(code)
    content = cached("results", snapshot.pk, ext,
                     build=lambda: results_content(snapshot=snapshot, fmt=ext))
    response = HttpResponse(content, content_type=EXPORT_FORMATS[ext])
    response["Content-Disposition"] = (
        f'attachment; filename="ket-qua-{snapshot.period.code}-lan-{snapshot.number}.{ext}"')
    return response


# --- table downloads ----------------------------------------------------------------------

def table_content(*, table: ResultsTable, fmt: str) -> bytes:
    """A table's bytes in the results export's format (CSV, Excel or JSON)."""
    return _WRITERS[fmt](table)


def _table_response(table: ResultsTable, fmt: str, filename: str) -> HttpResponse:
    """A table as CSV, Excel or JSON, written by the results export (text cells escaped
    against formula injection)."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("unknown format")
    response = HttpResponse(table_content(table=table, fmt=fmt),
                            content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _chart_response(svg: str, filename: str, ext: str = "svg") -> HttpResponse:
    """A chart as an SVG or PNG download."""
    if ext == "png":
        response = HttpResponse(png.svg_to_png(svg), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="{filename}.png"'
        return response
    return _svg_response(svg, filename)


def _svg_response(svg: str, filename: str) -> HttpResponse:
    response = HttpResponse('<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
                            content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.svg"'
    return response


def board_table(board, group=None) -> ResultsTable:
    """The leaderboard as shown (same rows, same order) in the results layout."""
    decimals = board.decimals
    columns = ["cohort", "unit_code", "unit_name", "score", "rank", "previous_rank",
               "rank_change", "band"]
    if group is not None:
        columns[3:3] = ["group"]
    for column in board.groups:
        columns += [f"{column.code}_score", f"{column.code}_rank", f"{column.code}_rank_change"]
    rows = []
    for item in board.rows:
        row = {"cohort": board.cohort.code, "unit_code": item["unit_code"],
               "unit_name": item["unit_name"], "score": rounded(item["score"], decimals),
               "rank": item["rank"], "previous_rank": item["previous_rank"],
               "rank_change": item["rank_change"], "band": item["band"] or None}
        if group is not None:
            row["group"] = group.code
        for column in board.groups:
            row[f"{column.code}_score"] = rounded(item[f"{column.key}_score"], decimals)
            row[f"{column.code}_rank"] = item[f"{column.key}_rank"]
            row[f"{column.code}_rank_change"] = item[f"{column.key}_change"]
        rows.append(row)
    return ResultsTable(columns, rows, decimals)


@public_page
def board_download(request, code, ext):
    """The leaderboard of the page (cohort, group, search) as a file."""
    snapshot = _public_snapshot_or_404(code)
    cohorts = cached("cohorts", snapshot.pk, build=lambda: period_cohorts(snapshot.period))
    cohort = _cohort_or_404(cohorts, request.GET.get("cohort"))
    if cohort is None:
        raise Http404("no cohort")
    form = LeaderboardFilterForm(request.GET)
    form.is_valid()
    query, group_code = form.cleaned_data.get("q", ""), form.cleaned_data.get("group", "")
    built = _board(snapshot, cohort, group_code)
    if built is None:
        raise Http404("unknown group")
    board = built["board"]
    board = replace(board, rows=[r for r in board.rows
                                 if matches(query, r["unit_name"], r["unit_code"])])
    name = f"bang-xep-hang-{snapshot.period.code}-{cohort.code}"
    if group_code:
        name += f"-{group_code}"
    return _table_response(board_table(board, built["group"]), ext, name)


# --- unit profile --------------------------------------------------------------------------

def _unit_profile_data(unit_code: str, period_code: str):
    unit = Unit.objects.filter(code=unit_code).select_related("cohort").first()
    if unit is None:
        return None
    return unit_profile(unit, period_code or None)


def _profile_charts(profile) -> dict:
    top = profile.top_groups
    if len(top) < 3:  # a radar needs three axes: the sub-groups when there are enough
        top = [line for line in profile.groups if line.depth <= 1] or top
    axes = [line.group.name for line in top]
    unit = profile.unit.name
    cohort = profile.result.cohort.name
    radar_chart = charts.radar(
        axes,
        [(unit, [line.fraction for line in top]),
         (_("Trung vị của %(cohort)s") % {"cohort": cohort}, [line.median for line in top]),
         (_("Cao nhất của %(cohort)s") % {"cohort": cohort}, [line.best for line in top])],
        _("%(unit)s: tỷ lệ điểm đạt được theo nhóm tiêu chí") % {"unit": unit},
        _("Tỷ lệ điểm đạt được so với trung vị và đơn vị cao nhất trong nhóm; số liệu ở "
          "bảng bên dưới."))
    labels = [point.period.code for point in profile.history]
    maxima = [p.max_score for p in profile.history if p.max_score]
    maximum = max(maxima) if maxima else None
    score_chart = charts.line(
        labels, [(unit, [p.score for p in profile.history])],
        _("%(unit)s: điểm qua các kỳ") % {"unit": unit},
        _("Điểm tổng của đơn vị ở mỗi kỳ đã công bố; số liệu ở bảng lịch sử."),
        decimals=min(profile.decimals, 2), y_max=maximum)
    rank_chart = charts.line(
        labels, [(unit, [p.rank for p in profile.history])],
        _("%(unit)s: thứ hạng qua các kỳ") % {"unit": unit},
        _("Thứ hạng của đơn vị ở mỗi kỳ đã công bố (1 là cao nhất); số liệu ở bảng lịch sử."),
        reverse=True, decimals=0)
    return {"radar": (radar_chart, top), "diem": score_chart, "hang": rank_chart}


def _profile_or_404(request, unit_code):
    period_code = request.GET.get("ky", "")
    profile = cached("profile", unit_code, period_code,
                     build=lambda: _unit_profile_data(unit_code, period_code))
    if profile is None:
        raise Http404("no published results")
    return profile, period_code


@public_page
def unit_profile_page(request, unit_code):
    profile, period_code = _profile_or_404(request, unit_code)
    built = cached("profile-charts", unit_code, period_code,
                   build=lambda: _profile_charts(profile))
    radar_chart, radar_lines = built["radar"]
    why = cached("profile-why", unit_code, period_code, keep_none=True,
                 build=lambda: analysis_services.profile_rank_change(
                     unit=profile.unit, period=profile.snapshot.period))
    return render(request, "rankings/unit_profile.html", {
        "why": why, "why_decimals": profile.decimals + 2,
        "why_items": [{**item, "kind_name": _(KIND_NAMES.get(item["kind"], item["kind"]))}
                      for item in (why.items if why else [])],
        "profile": profile,
        "period": profile.snapshot.period,
        "unit": profile.unit,
        "radar": radar_chart,
        "radar_lines": radar_lines,
        "score_chart": built["diem"],
        "rank_chart": built["hang"],
        "strengths": profile.strengths(),
        "weaknesses": profile.weaknesses(),
        "ky": urlencode({"ky": profile.snapshot.period.code}),
        "formats": list(EXPORT_FORMATS),
    })


@public_page
def unit_chart(request, unit_code, chart, ext="svg"):
    profile, period_code = _profile_or_404(request, unit_code)
    built = cached("profile-charts", unit_code, period_code,
                   build=lambda: _profile_charts(profile))
    svg = built["radar"][0] if chart == "radar" else built[chart]
    return _chart_response(svg, f"{unit_code}-{profile.snapshot.period.code}-{chart}", ext)


def profile_table(profile) -> ResultsTable:
    """The unit's groups and indicators: score or value, points, maximum, rank, median."""
    decimals = profile.decimals
    columns = ["period", "unit_code", "kind", "code", "name", "value", "score", "max_score",
               "rank", "rank_change", "cohort_median_fraction"]
    rows = [{"period": profile.snapshot.period.code, "unit_code": profile.unit.code,
             "kind": "total", "code": "", "name": profile.framework.name, "value": None,
             "score": rounded(profile.result.score, decimals),
             "max_score": profile.result.max_score, "rank": profile.result.rank,
             "rank_change": profile.result.rank_change, "cohort_median_fraction": None}]
    for line in profile.groups:
        rows.append({"period": profile.snapshot.period.code, "unit_code": profile.unit.code,
                     "kind": "group", "code": line.group.code, "name": line.group.name,
                     "value": None, "score": rounded(line.score, decimals),
                     "max_score": line.max_score, "rank": line.rank,
                     "rank_change": line.rank_change,
                     "cohort_median_fraction": rounded(line.median, 4)})
    for line in profile.indicators:
        value = line.value_number if line.value_number is not None else (line.value_text or None)
        rows.append({"period": profile.snapshot.period.code, "unit_code": profile.unit.code,
                     "kind": "indicator", "code": line.indicator.code,
                     "name": line.indicator.name, "value": value,
                     "score": rounded(line.points, decimals), "max_score": line.max_points,
                     "rank": None, "rank_change": None,
                     "cohort_median_fraction": rounded(line.median, 4)})
    return ResultsTable(columns, rows, decimals)


@public_page
def unit_download(request, unit_code, ext):
    profile, _period = _profile_or_404(request, unit_code)
    return _table_response(profile_table(profile), ext,
                           f"don-vi-{unit_code}-{profile.snapshot.period.code}")


# --- comparison ----------------------------------------------------------------------------

MAX_COMPARED = 5


@public_page
def compare(request):
    periods = cached("periods", build=published_periods)
    period_code = request.GET.get("ky") or (periods[0].period.code if periods else "")
    snapshot = _public_snapshot_or_404(period_code) if period_code else None
    codes = list(dict.fromkeys(c for c in request.GET.getlist("don_vi") if c))
    error = ""
    comparison = None
    units = []
    if snapshot is not None:
        units = cached("units", snapshot.pk, build=lambda: snapshot_units(snapshot))
        if len(codes) > MAX_COMPARED:
            error = _("Hãy chọn từ 2 đến %(n)s đơn vị để so sánh (đã chọn %(k)s).") % {
                "n": MAX_COMPARED, "k": len(codes)}
        elif len(codes) >= 2:
            comparison = cached("compare", snapshot.pk, *codes,
                                build=lambda: compare_units(snapshot, codes))
            missing = set(codes) - {r.unit.code for r in comparison.units}
            if missing:
                error = _("Không có kết quả công bố của đơn vị %(codes)s trong kỳ này.") % {
                    "codes": ", ".join(sorted(missing))}
                comparison = None
    if comparison is not None and request.GET.get("tai_ve") in EXPORT_FORMATS:
        return _table_response(comparison_table(comparison), request.GET["tai_ve"],
                               f"so-sanh-{snapshot.period.code}")
    group_cells, indicator_cells = {}, {}
    if comparison is not None:
        empty = GroupScore(None, None, None)
        group_cells = {g.pk: [comparison.group_scores.get((r.unit_id, g.pk), empty)
                              for r in comparison.units] for g, _depth in comparison.groups}
        indicator_cells = {i.pk: [comparison.indicator_results.get((r.unit_id, i.pk), {})
                                  for r in comparison.units] for i in comparison.indicators}
    return render(request, "rankings/compare.html", {
        "comparison_cells": group_cells, "indicator_cells": indicator_cells,
        "periods": periods, "snapshot": snapshot, "period": snapshot.period if snapshot else None,
        "units": units, "chosen": codes, "comparison": comparison, "error": error,
        "max_compared": MAX_COMPARED, "query": request.GET.urlencode(),
        "formats": list(EXPORT_FORMATS),
    }, status=400 if error else 200)


def comparison_table(comparison) -> ResultsTable:
    """One row per total, group and indicator; per unit its score (or value) and rank."""
    decimals = comparison.decimals
    codes = [r.unit.code for r in comparison.units]
    columns = ["kind", "code", "name", "max_score"]
    for code in codes:
        columns += [f"{code}_value", f"{code}_score", f"{code}_rank"]
    total = {"kind": "total", "code": "", "name": "", "max_score": None}
    for r in comparison.units:
        total.update({f"{r.unit.code}_value": None, f"{r.unit.code}_score":
                      rounded(r.score, decimals), f"{r.unit.code}_rank": r.rank})
        total["max_score"] = r.max_score
    rows = [total]
    for group, _depth in comparison.groups:
        row = {"kind": "group", "code": group.code, "name": group.name,
               "max_score": comparison.group_maxima.get(group.pk)}
        for r in comparison.units:
            scored = comparison.group_scores.get((r.unit_id, group.pk))
            row.update({f"{r.unit.code}_value": None,
                        f"{r.unit.code}_score": rounded(scored.score, decimals) if scored else None,
                        f"{r.unit.code}_rank": scored.rank if scored else None})
        rows.append(row)
    for indicator in comparison.indicators:
        row = {"kind": "indicator", "code": indicator.code, "name": indicator.name,
               "max_score": indicator.max_points}
        for r in comparison.units:
            item = comparison.indicator_results.get((r.unit_id, indicator.pk)) or {}
            value = item.get("value_number")
            row.update({f"{r.unit.code}_value": value if value is not None
                        else (item.get("value_text") or None),
                        f"{r.unit.code}_score": rounded(item.get("points"), decimals),
                        f"{r.unit.code}_rank": None})
        rows.append(row)
    return ResultsTable(columns, rows, decimals)


# --- one indicator across a cohort ----------------------------------------------------------

def _indicator_data(snapshot, cohort, indicator_code):
    indicators = list(Indicator.objects.filter(framework=snapshot_framework(snapshot))
                      .order_by("order", "code"))
    indicator = next((i for i in indicators if i.code == indicator_code), None)
    if indicator is None:
        return None
    view = indicator_view(snapshot, cohort, indicator)
    values = view.values
    unit_of_measure = indicator.unit_of_measure
    bar_chart = charts.bar(
        [(r["unit_name"], r["points"], False) for r in view.rows], indicator.max_points,
        _("%(indicator)s: điểm của từng đơn vị (%(cohort)s)") % {
            "indicator": indicator.name, "cohort": cohort.name},
        _("Điểm đạt được của mỗi đơn vị trên tối đa %(max)s; số liệu ở bảng bên dưới.") % {
            "max": charts.fmt(indicator.max_points, 2)}, decimals=min(view.decimals, 2))
    histogram_chart = charts.histogram(
        values, _("%(indicator)s: phân bố giá trị (%(cohort)s)") % {
            "indicator": indicator.name, "cohort": cohort.name},
        _("Số đơn vị theo khoảng giá trị%(uom)s; số liệu ở bảng bên dưới.") % {
            "uom": f" ({unit_of_measure})" if unit_of_measure else ""})
    counts, edges = charts.histogram_bins(values)
    bins = [(edges[i], edges[i + 1], count) for i, count in enumerate(counts)]
    return {"indicators": indicators, "indicator": indicator, "view": view,
            "bar": bar_chart, "histogram": histogram_chart, "bins": bins,
            "median": median(values), "mean": sum(values) / len(values) if values else None}


def _indicator_or_404(request, code, indicator_code):
    snapshot = _public_snapshot_or_404(code)
    cohorts = cached("cohorts", snapshot.pk, build=lambda: period_cohorts(snapshot.period))
    cohort = _cohort_or_404(cohorts, request.GET.get("cohort"))
    if cohort is None:
        raise Http404("no cohort")
    data = cached("indicator", snapshot.pk, cohort.pk, indicator_code,
                  build=lambda: _indicator_data(snapshot, cohort, indicator_code))
    if data is None:
        raise Http404("unknown indicator")
    return snapshot, cohorts, cohort, data


def indicator_table(data) -> ResultsTable:
    view = data["view"]
    rows = [{"cohort": view.cohort.code, "unit_code": r["unit_code"],
             "unit_name": r["unit_name"], "indicator": view.indicator.code,
             "value": r["value_number"] if r["value_number"] is not None
             else (r["value_text"] or None),
             "score": rounded(r["points"], view.decimals), "max_score": r["max_points"]}
            for r in view.rows]
    return ResultsTable(["cohort", "unit_code", "unit_name", "indicator", "value", "score",
                         "max_score"], rows, view.decimals)


@public_page
def indicator_page(request, code, indicator_code):
    wanted = request.GET.get("chi_tieu")
    if wanted and wanted != indicator_code:  # the indicator chosen in the form
        query = urlencode({"cohort": request.GET.get("cohort", "")})
        return redirect(reverse("rankings:indicator", args=[code, wanted]) + "?" + query)
    snapshot, cohorts, cohort, data = _indicator_or_404(request, code, indicator_code)
    return render(request, "rankings/indicator.html", {
        "snapshot": snapshot, "period": snapshot.period, "cohorts": cohorts, "cohort": cohort,
        "formats": list(EXPORT_FORMATS), "cohort_query": urlencode({"cohort": cohort.code}),
        **data,
    })


@public_page
def indicator_download(request, code, indicator_code, ext):
    snapshot, _cohorts, cohort, data = _indicator_or_404(request, code, indicator_code)
    return _table_response(indicator_table(data), ext,
                           f"chi-tieu-{snapshot.period.code}-{cohort.code}-{indicator_code}")


@public_page
def indicator_chart(request, code, indicator_code, chart, ext="svg"):
    snapshot, _cohorts, cohort, data = _indicator_or_404(request, code, indicator_code)
    svg = data["bar"] if chart == "diem" else data["histogram"]
    return _chart_response(svg, f"{snapshot.period.code}-{cohort.code}-{indicator_code}-{chart}",
                           ext)


# --- methodology and the annual report ------------------------------------------------------

def _methodology_data(snapshot):
    framework = snapshot_framework(snapshot)
    groups, indicators, bands = framework_parts(framework)
    previous = previous_public_period(snapshot.period)
    previous_indicators = (list(Indicator.objects.filter(framework=previous.framework)
                                .select_related("group")) if previous else [])
    current = [i for items in indicators.values() for i in items]
    rules = {i.pk: explain_rule(i) for i in current}
    return {"framework": framework, "groups": [
        (g, depth, indicators.get(g.pk, [])) for g, depth in groups], "bands": bands,
        "rules": rules, "previous": previous,
        "changes": framework_changes(current, previous.framework if previous else None,
                                     previous_indicators)}


@public_page
def methodology(request, code):
    snapshot = _public_snapshot_or_404(code)
    data = cached("methodology", snapshot.pk, build=lambda: _methodology_data(snapshot))
    return render(request, "rankings/methodology.html",
                  {"snapshot": snapshot, "period": snapshot.period, **data})


def _report_data(snapshot):
    boards = [leaderboard(snapshot, cohort) for cohort in period_cohorts(snapshot.period)]
    return {"figures": headline_figures(snapshot), "boards": boards,
            **_methodology_data(snapshot)}


@public_page
def annual_report(request, code):
    snapshot = _public_snapshot_or_404(code)
    data = cached("report", snapshot.pk, build=lambda: _report_data(snapshot))
    return render(request, "rankings/report.html",
                  {"snapshot": snapshot, "period": snapshot.period, **data})


@public_page
def annual_report_pdf(request, code):
    snapshot = _public_snapshot_or_404(code)
    content = cached("report-pdf", snapshot.pk, build=lambda: report_pdf(
        snapshot=snapshot, **cached("report", snapshot.pk,
                                    build=lambda: _report_data(snapshot))))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="bao-cao-{snapshot.period.code}-lan-{snapshot.number}.pdf"')
    return response


# --- the map ---------------------------------------------------------------------------------

def _map_data(snapshot, cohort, group_code: str):
    """The cohort's regions shaded by total (or ``group_code``'s) score in five classes,
    with the table behind the map; ``svg`` is None when no shipped boundary file covers
    the cohort's units."""
    built = _board(snapshot, cohort, group_code)
    if built is None:
        return None
    board, group = built["board"], built["group"]
    boundary, matches = maps.best_map([(r["unit_code"], r["unit_name"]) for r in board.rows])
    bounds = maps.classes([r["score"] for r in board.rows if r["score"] is not None])
    decimals = min(board.decimals, 2)
    names = {r.id: r.name for r in boundary.regions} if boundary else {}
    rows, shaded = [], {}
    what = group.name if group else _("Điểm tổng")
    for row in board.rows:
        k = maps.class_of(row["score"], bounds)
        region = matches.get(row["unit_code"])
        item = {"unit_code": row["unit_code"], "unit_name": row["unit_name"],
                "score": row["score"], "rank": row["rank"], "region": names.get(region, ""),
                "class": None if k is None else k + 1,
                "colour": maps.colour(k, bounds) if k is not None else maps.NO_DATA}
        rows.append(item)
        if region and row["score"] is not None:
            shaded[region] = {"colour": item["colour"], "title": _(
                "%(unit)s: %(score)s điểm, hạng %(rank)s") % {
                "unit": row["unit_name"], "score": charts.fmt(row["score"], decimals),
                "rank": row["rank"] or "–"}}
    legend = maps.legend_items(bounds, decimals)
    svg = None
    if boundary is not None:
        svg = maps.render(
            boundary, shaded,
            _("%(cohort)s: %(what)s theo địa bàn (%(period)s)") % {
                "cohort": cohort.name, "what": what, "period": snapshot.period.name},
            _("Bản đồ tô màu theo năm khoảng điểm, màu đậm là điểm cao; số liệu ở bảng bên "
              "dưới."), legend, _("không có số liệu"))
    return {"board": board, "tree": built["tree"], "group": group, "rows": rows, "svg": svg,
            "boundary": boundary, "legend": legend, "decimals": decimals,
            "unmatched": [r["unit_name"] for r in rows if not r["region"]] if boundary else []}


def _map_or_404(request, code):
    snapshot = _public_snapshot_or_404(code)
    cohorts = cached("cohorts", snapshot.pk, build=lambda: period_cohorts(snapshot.period))
    cohort = _cohort_or_404(cohorts, request.GET.get("cohort"))
    if cohort is None:
        raise Http404("no cohort")
    form = LeaderboardFilterForm(request.GET or None)
    form.is_valid()
    group_code = form.cleaned_data.get("group", "") if form.is_bound else ""
    data = cached("map", snapshot.pk, cohort.pk, group_code,
                  build=lambda: _map_data(snapshot, cohort, group_code))
    if data is None:
        raise Http404("unknown group")
    return snapshot, cohorts, cohort, group_code, data


@public_page
def period_map(request, code):
    snapshot, cohorts, cohort, group_code, data = _map_or_404(request, code)
    return render(request, "rankings/map.html", {
        "snapshot": snapshot, "period": snapshot.period, "cohorts": cohorts, "cohort": cohort,
        "query": urlencode({k: v for k, v in (("cohort", cohort.code), ("group", group_code))
                            if v}), **data})


@public_page
def period_map_image(request, code, ext):
    snapshot, _cohorts, cohort, group_code, data = _map_or_404(request, code)
    if data["svg"] is None:
        raise Http404("no boundary file")
    name = f"ban-do-{snapshot.period.code}-{cohort.code}" + (f"-{group_code}" if group_code
                                                             else "")
    return _chart_response(data["svg"], name, ext)
