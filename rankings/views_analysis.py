"""Analysis pages for reviewers and admins: why a rank moved, what-if weights (recomputed
live through a JSON endpoint), robustness (Monte Carlo with a chart of rank intervals).

Views stay thin: every figure comes from ``rankings.analysis_services``.
"""

from __future__ import annotations

import time

import pandas as pd
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.access import reviewer_required
from assessments.models import Period, Unit
from rankings.engine.spec import AGGREGATIONS

from . import analysis_services as analysis
from .models import Scenario
from .selectors import public_snapshot, published_periods

#: Translated where they are shown (``_(...)``); ``gettext_noop`` lets makemessages find them.
AGGREGATION_NAMES = {
    "sum": gettext_noop("Cộng điểm"),
    "weighted_mean": gettext_noop("Trung bình cộng có trọng số"),
    "geometric_mean": gettext_noop("Trung bình nhân có trọng số"),
}
KIND_NAMES = {
    "value": gettext_noop("Giá trị thay đổi"),
    "rule": gettext_noop("Cách chấm thay đổi"),
    "weight": gettext_noop("Trọng số thay đổi"),
    "aggregation": gettext_noop("Cách tổng hợp thay đổi"),
    "added": gettext_noop("Tiêu chí mới"),
    "removed": gettext_noop("Tiêu chí bỏ"),
    "rescale": gettext_noop("Chuẩn hoá theo nhóm đơn vị"),
    "maximum": gettext_noop("Điểm tối đa thay đổi"),
}


def _period(code: str) -> Period:
    period = get_object_or_404(Period.objects.select_related("framework", "previous"), code=code)
    if public_snapshot(period) is None:
        raise Http404(_("Kỳ này chưa công bố kết quả."))
    return period


def _aggregation_names() -> dict[str, str]:
    return {key: _(value) for key, value in AGGREGATION_NAMES.items()}


# --- index ---------------------------------------------------------------------------------

@reviewer_required
@require_GET
def index(request):
    return render(request, "rankings/analysis/index.html", {"periods": published_periods()})


# --- why did the rank change ---------------------------------------------------------------

@reviewer_required
@require_GET
def why(request, code):
    period = _period(code)
    item = analysis.published(period)
    units = sorted(Unit.objects.filter(code__in=list(item.result.units["unit_code"])),
                   key=lambda u: u.name)
    groups = analysis.group_names(period)
    indicators = analysis.indicator_names(period)
    unit_code = request.GET.get("don_vi", "")
    node = request.GET.get("nhom", "")
    if node and node not in groups:
        node = ""
    unit = next((u for u in units if u.code == unit_code), None)
    explanation = None
    if unit is not None:
        explanation = analysis.explain_rank_change(unit=unit, period=period, node=node)
    names = {u.code: u.name for u in units}
    steps, combined = [], None
    if unit is not None:
        found = analysis.unit_improvements(unit=unit, period=period)
        steps = [{"name": indicators.get(r.indicator_code, r.indicator_code),
                  "group": groups.get(r.group_code, r.group_code),
                  "value": _shown(r.value), "target": _shown(r.target),
                  "gain": r.gain, "rank": r.rank}
                 for r in found.steps.head(8).itertuples(index=False)]
        combined = found
    rows, tops = [], []

    def label(code: str) -> str:
        return groups.get(code) or indicators.get(code) or code

    if explanation is not None and explanation.reason == "":
        for row in explanation.items.itertuples(index=False):
            rows.append({"top": label(row.top) if row.top and row.top != row.code else "",
                         "code": row.code,
                         "name": indicators.get(row.code) or groups.get(row.code) or
                         (_("Tổng") if row.code == "" else row.code),
                         "kind": _(KIND_NAMES.get(row.kind, row.kind)),
                         "points": row.points})
        # sums per top-level group (for a group the items already are its children)
        for row in (explanation.by_top.itertuples(index=False) if node == "" else ()):
            tops.append({"name": label(row.top) if row.top else _("Cả nút"),
                         "points": row.points})
    decimals = int(period.framework.decimals) + 2
    context = {
        "period": period, "units": units, "unit": unit, "node": node,
        "groups": sorted(groups.items(), key=lambda kv: kv[0]),
        "explanation": explanation, "rows": rows, "steps": steps, "combined": combined,
        "combined_names": [indicators.get(c, c) for c in combined.combined] if combined
        else [],
        "rank_delta": (explanation.rank_previous - explanation.rank_now
                       if explanation and explanation.rank_previous and explanation.rank_now
                       else None), "tops": tops, "decimals": decimals,
        "node_name": groups.get(node, _("Điểm tổng")) if node else _("Điểm tổng"),
        "passed": _named(explanation.passed, names) if explanation else [],
        "passed_by": _named(explanation.passed_by, names) if explanation else [],
        "group_ranks": [{**g, "name": groups.get(g["group_code"], g["group_code"]),
                         "passed": [names.get(c, c) for c in g["passed"]],
                         "passed_by": [names.get(c, c) for c in g["passed_by"]]}
                        for g in (explanation.groups if explanation else [])],
    }
    return render(request, "rankings/analysis/why.html", context)


def _shown(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, float):
        return number_format(value, None if value != int(value) else 0)
    return str(value)


def _named(frame: pd.DataFrame, names: dict[str, str]) -> list[dict]:
    return [{"name": names.get(r.unit_code, r.unit_code), "previous_rank": int(r.previous_rank),
             "rank": int(r.rank)} for r in frame.itertuples(index=False)]


# --- what-if -------------------------------------------------------------------------------

def _changes(period: Period, data) -> dict:
    """The scenario's changes from the form fields ``g-CODE-w``, ``g-CODE-a``, ``i-CODE-w``
    and ``root-a`` (only values that differ from the official framework)."""
    framework = analysis.published(period).framework
    changes: dict = {}
    problems = []

    def weight(key: str, official: float, label: str):
        text = (data.get(key) or "").strip().replace(",", ".")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            problems.append(_("%(label)s: “%(value)s” không phải là số.")
                            % {"label": label, "value": data.get(key)})
            return None
        return None if value == float(official) else value

    for group in framework.groups:
        entry = {}
        value = weight(f"g-{group.code}-w", group.weight, group.code)
        if value is not None:
            entry["weight"] = value
        how = data.get(f"g-{group.code}-a")
        if how and how != group.aggregation:
            entry["aggregation"] = how
        if entry:
            changes.setdefault("groups", {})[group.code] = entry
    for indicator in framework.indicators:
        value = weight(f"i-{indicator.code}-w", indicator.weight, indicator.code)
        if value is not None:
            changes.setdefault("indicators", {})[indicator.code] = {"weight": value}
    how = data.get("root-a")
    if how and how != framework.aggregation:
        changes["root"] = {"aggregation": how}
    if problems:
        raise ValidationError(problems)
    return changes


def _rows(period: Period, result) -> list[dict]:
    names = dict(Unit.objects.filter(code__in=list(result.units["unit_code"]))
                 .values_list("code", "name"))
    decimals = int(period.framework.decimals)
    frame = result.units.sort_values(["cohort", "rank", "unit_code"], na_position="last")
    rows = []
    for row in frame.itertuples(index=False):
        def whole(value):
            return None if pd.isna(value) else int(value)

        def shown(value):
            return "" if pd.isna(value) else number_format(value, decimals)

        rows.append({"unit": names.get(row.unit_code, row.unit_code), "code": row.unit_code,
                     "cohort": row.cohort, "rank": whole(row.rank),
                     "official_rank": whole(row.official_rank), "shift": whole(row.shift),
                     "score": shown(row.score), "official_score": shown(row.official_score)})
    return rows


def _tree(period: Period, changes: dict) -> list[dict]:
    framework = analysis.published(period).framework
    groups = analysis.group_names(period)
    indicators = analysis.indicator_names(period)
    changed_groups = changes.get("groups", {})
    changed_indicators = changes.get("indicators", {})
    depth = {}
    ordered = []

    def walk(parent: str, level: int):
        for group in sorted((g for g in framework.groups if (g.parent or "") == parent),
                            key=lambda g: (g.order, g.code)):
            depth[group.code] = level
            ordered.append(group)
            walk(group.code, level + 1)

    walk("", 0)
    rows = []
    for group in ordered:
        change = changed_groups.get(group.code, {})
        rows.append({"kind": "group", "code": group.code,
                     "name": groups.get(group.code, group.code), "depth": depth[group.code],
                     "official_weight": group.weight,
                     "weight": change.get("weight", group.weight),
                     "official_aggregation": group.aggregation,
                     "aggregation": change.get("aggregation", group.aggregation)})
        for indicator in sorted((i for i in framework.indicators
                                 if i.group == group.code and i.scored),
                                key=lambda i: (i.order, i.code)):
            rows.append({"kind": "indicator", "code": indicator.code,
                         "name": indicators.get(indicator.code, indicator.code),
                         "depth": depth[group.code] + 1, "official_weight": indicator.weight,
                         "weight": changed_indicators.get(indicator.code, {}).get(
                             "weight", indicator.weight)})
    for row in rows:
        row["weight_text"] = number_format(round(float(row["weight"]), 6))
        row["official_text"] = number_format(round(float(row["official_weight"]), 6))
    return rows


def _payload(period: Period, changes: dict) -> dict:
    started = time.perf_counter()
    result = analysis.period_whatif(period=period, changes=changes)
    rows = _rows(period, result)
    return {"changes": changes, "rows": rows,
            "moved": sum(1 for r in rows if r["shift"]),
            "total": len(rows), "server_ms": round((time.perf_counter() - started) * 1000, 1)}


@reviewer_required
@require_http_methods(["GET", "POST"])
def whatif_page(request, code):
    period = _period(code)
    scenarios = list(Scenario.objects.filter(period=period).order_by("name"))
    data = request.POST if request.method == "POST" else request.GET
    error = None
    changes: dict = {}
    chosen = None
    if request.method == "GET" and request.GET.get("kich_ban"):
        chosen = next((s for s in scenarios if str(s.pk) == request.GET["kich_ban"]), None)
        changes = dict(chosen.changes) if chosen else {}
    else:
        try:
            changes = _changes(period, data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if request.method == "POST" and error is None:
        try:
            scenario = analysis.save_scenario(
                period=period, name=request.POST.get("ten", ""), changes=changes,
                description=request.POST.get("mo_ta", ""), actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Đã lưu kịch bản “%(name)s”.") % {"name": scenario.name})
            return redirect(f"{request.path}?kich_ban={scenario.pk}")
    payload = None
    if error is None:
        try:
            payload = _payload(period, changes)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    framework = analysis.published(period).framework
    return render(request, "rankings/analysis/whatif.html", {
        "period": period, "tree": _tree(period, changes), "payload": payload,
        "error": error, "scenarios": scenarios, "chosen": chosen,
        "aggregations": [(key, _(AGGREGATION_NAMES[key])) for key in AGGREGATIONS],
        "root_aggregation": changes.get("root", {}).get("aggregation",
                                                         framework.aggregation),
        "official_root": framework.aggregation, "query": request.GET.urlencode(),
    }, status=400 if error and request.method == "POST" else 200)


@reviewer_required
@require_GET
def whatif_json(request, code):
    period = _period(code)
    try:
        return JsonResponse(_payload(period, _changes(period, request.GET)))
    except ValidationError as exc:
        return JsonResponse({"errors": exc.messages}, status=400)


@reviewer_required
@require_GET
def whatif_csv(request, code):
    period = _period(code)
    try:
        content = analysis.scenario_csv(period=period, changes=_changes(period, request.GET))
    except ValidationError as exc:
        return HttpResponse("\n".join(exc.messages), status=400,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kich-ban-{period.code}.csv"'
    return response


@reviewer_required
@require_POST
def scenario_delete(request, code, pk):
    period = _period(code)
    scenario = get_object_or_404(Scenario, pk=pk, period=period)
    analysis.delete_scenario(scenario=scenario)
    messages.success(request, _("Đã xoá kịch bản “%(name)s”.") % {"name": scenario.name})
    return redirect("analysis:whatif", code=period.code)


# --- robustness ----------------------------------------------------------------------------

ROW_HEIGHT, LEFT, WIDTH = 16, 190, 720


def rank_interval_svg(rows: list[dict], max_rank: int, title: str) -> str:
    """A chart of rank intervals: a bar from the 5th to the 95th percentile, a dot at the
    median, a tick at the official rank (rank 1 on the left)."""
    height = ROW_HEIGHT * len(rows) + 40
    span = WIDTH - LEFT - 20

    def x(rank: float) -> float:
        return LEFT + (rank - 1) / max(max_rank - 1, 1) * span

    ticks = sorted({1, max_rank, *range(10, max_rank, 10)})
    # presentation attributes as well as classes: the file stands alone (SVG/PNG download)
    parts = [format_html('<line x1="{}" y1="20" x2="{}" y2="{}" class="grid" stroke="#d5dde5" '
                         'stroke-width="1"/><text x="{}" y="14" class="axis" fill="#555" '
                         'text-anchor="middle">{}</text>',
                         f"{x(t):.1f}", f"{x(t):.1f}", height - 18, f"{x(t):.1f}", t)
             for t in ticks]
    for k, row in enumerate(rows):
        y = 28 + k * ROW_HEIGHT
        parts.append(format_html(
            '<g><title>{}</title><text x="{}" y="{}" class="label" fill="#222" '
            'text-anchor="end">{}</text>'
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="interval" stroke="#0b539473" '
            'stroke-width="5"/>'
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="official" stroke="#222" '
            'stroke-width="2"/>'
            '<circle cx="{}" cy="{}" r="3.5" class="median" fill="#073763"/></g>',
            row["tooltip"], LEFT - 8, y + 4, row["name"][:28],
            f"{x(row['p05']):.1f}", y, f"{x(row['p95']):.1f}", y,
            f"{x(row['official']):.1f}", y - 6, f"{x(row['official']):.1f}", y + 6,
            f"{x(row['median']):.1f}", y))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="rank-intervals" role="img" '
        'viewBox="0 0 {} {}" width="100%" font-size="11" '
        'font-family="system-ui, Roboto, Arial, sans-serif" aria-labelledby="chart-title">'
        '<title id="chart-title">{}</title><rect width="{}" height="{}" fill="#ffffff"/>{}</svg>',
        WIDTH, height, title, WIDTH, height, mark_safe("".join(str(p) for p in parts)))


@reviewer_required
@require_GET
def robustness_chart(request, code, ext):
    """The chart of rank intervals as an SVG or PNG file (same parameters as the page)."""
    from .png import svg_to_png

    response = robustness(request, code, chart_only=True)
    if isinstance(response, HttpResponse):
        return response
    name = f"do-vung-{code}"
    if ext == "png":
        download = HttpResponse(svg_to_png(str(response)), content_type="image/png")
    else:
        download = HttpResponse('<?xml version="1.0" encoding="UTF-8"?>\n' + str(response),
                                content_type="image/svg+xml; charset=utf-8")
    download["Content-Disposition"] = f'attachment; filename="{name}.{ext}"'
    return download


@reviewer_required
@require_GET
def robustness(request, code, chart_only=False):
    period = _period(code)
    form = {"bien_do": request.GET.get("bien_do", "25"), "so_lan": request.GET.get("so_lan",
                                                                                   "1000"),
            "doi_cach": request.GET.get("doi_cach", "1" if "bien_do" not in request.GET
                                        else "0"),
            "top": request.GET.get("top", "")}
    error = result = chart = None
    rows = []
    try:
        weight_range = float(form["bien_do"].replace(",", ".")) / 100
        draws = int(form["so_lan"])
    except ValueError:
        error = _("Biên độ và số lần rút phải là số.")
    if error is None:
        try:
            started = time.perf_counter()
            result = analysis.period_robustness(period=period, weight_range=weight_range,
                                                draws=draws,
                                                aggregation_switch=form["doi_cach"] == "1")
            elapsed = time.perf_counter() - started
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if result is not None:
        names = dict(Unit.objects.filter(code__in=list(result.units["unit_code"]))
                     .values_list("code", "name"))
        table = result.units[result.units["official_rank"].notna()]
        if form["top"].isdigit() and int(form["top"]) > 0:
            table = table[table["official_rank"] <= int(form["top"])]
        for row in table.itertuples(index=False):
            name = names.get(row.unit_code, row.unit_code)
            rows.append({"name": name, "cohort": row.cohort, "official": int(row.official_rank),
                         "median": row.median_rank, "p05": int(row.p05), "p95": int(row.p95),
                         "width": int(row.width), "shift": row.mean_shift,
                         "tooltip": _("%(name)s: hạng %(official)s, trung vị %(median)s, "
                                      "5–95 %%: %(low)s–%(high)s") % {
                             "name": name, "official": int(row.official_rank),
                             "median": number_format(row.median_rank, 1),
                             "low": int(row.p05), "high": int(row.p95)}})
        max_rank = int(result.units["p95"].max()) if rows else 1
        chart = rank_interval_svg(rows, max(max_rank, 2), _("Khoảng hạng 5–95 % theo đơn vị"))
        result.elapsed = elapsed
    if chart_only:
        if chart is None:
            return HttpResponse(error or "", status=400, content_type="text/plain; charset=utf-8")
        return chart
    return render(request, "rankings/analysis/robustness.html", {
        "period": period, "form": form, "error": error, "result": result, "rows": rows,
        "chart": chart, "max_draws": analysis.MAX_DRAWS, "query": request.GET.urlencode(),
    })



# --- comparable series and scenario comparison ----------------------------------------------

@reviewer_required
@require_GET
def comparable(request, code):
    period = _period(code)
    series = analysis.comparable_series_table(period=period)
    if series is not None and request.GET.get("tai_ve") == "csv":
        response = HttpResponse(analysis.comparable_csv(series=series),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="chuoi-so-sanh-duoc-{period.code}.csv"')
        return response
    indicators = analysis.indicator_names(period)
    previous_indicators = analysis.indicator_names(period.previous) if period.previous else {}
    mapping = [{"target": t, "target_name": indicators.get(t, t), "source": src,
                "source_name": previous_indicators.get(src, src), "factor": f,
                "how": _("Bảng đối chiếu") if how == "crosswalk" else _("Cùng mã")}
               for src, t, f, how in (series.mapping if series else [])]
    cohorts: list[tuple[str, list[dict]]] = []
    for row in (series.rows if series else []):
        if not cohorts or cohorts[-1][0] != row["cohort"]:
            cohorts.append((row["cohort"], []))
        cohorts[-1][1].append(row)
    return render(request, "rankings/analysis/comparable.html", {
        "period": period, "series": series, "mapping": mapping, "cohorts": cohorts,
        "unmapped": [(c, indicators.get(c, c)) for c in (series.unmapped if series else [])],
        "decimals": int(period.framework.decimals),
    })


@reviewer_required
@require_GET
def scenario_compare(request, code):
    period = _period(code)
    scenarios = list(Scenario.objects.filter(period=period).order_by("name"))
    chosen = {}
    for key in ("a", "b"):
        wanted = request.GET.get(key, "")
        chosen[key] = next((s for s in scenarios if str(s.pk) == wanted), None)
    comparison = None
    if request.GET.get("a") is not None or request.GET.get("b") is not None:
        comparison = analysis.compare_scenarios(period=period, a=chosen["a"], b=chosen["b"])
        if request.GET.get("tai_ve") == "csv":
            response = HttpResponse(analysis.scenario_comparison_csv(comparison=comparison),
                                    content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="so-sanh-kich-ban-{period.code}.csv"')
            return response
    return render(request, "rankings/analysis/scenario_compare.html", {
        "period": period, "scenarios": scenarios, "chosen": chosen, "comparison": comparison,
        "decimals": int(period.framework.decimals), "query": request.GET.urlencode(),
    })
