"""The ICT office's review pages (issue 4): progress board, review of one submission,
returns, approvals, flags, appeals and the history timeline. Views stay thin: reads come from
``assessments.review_selectors``, actions from ``assessments.services``; access from
``assessments.access``.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from rankings.services import escape_text

from .. import services
from ..access import (
    get_answer_for,
    get_submission_for,
    is_reviewer,
    reviewer_required,
    unit_staff_required,
)
from ..models import Answer, Appeal, AppealItem, Period, ReviewFlag, Submission
from ..review_selectors import (
    changes_since_return,
    open_appeals,
    progress_board,
    review_sheet,
    submission_points,
    timeline,
)

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _errors(request, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


def _period(code: str) -> Period:
    period = get_object_or_404(Period, code=code)
    if period.status == Period.Status.DRAFT:
        raise Http404("draft period")
    return period


@reviewer_required
def index(request):
    periods = Period.objects.exclude(status=Period.Status.DRAFT).select_related("framework")
    return render(request, "review/index.html", {"periods": periods})


def _board_filters(request) -> dict:
    return {"status": request.GET.get("status", ""), "cohort": request.GET.get("cohort", ""),
            "query": request.GET.get("q", "").strip()}


#: Units per page of the progress board (the counts, filters and exports cover every unit).
BOARD_PAGE_SIZE = 100


@reviewer_required
def board(request, code):
    period = _period(code)
    filters = _board_filters(request)
    data = progress_board(period, **filters)
    page = Paginator(data.rows, BOARD_PAGE_SIZE).get_page(request.GET.get("trang"))
    link = reverse("review:submission", args=[987654321]).replace("987654321", "{}")
    for row in page.object_list:  # one reverse() for the page, not one per unit
        row.url = link.format(row.submission_id) if row.submission_id else ""
    others = request.GET.copy()
    others.pop("trang", None)
    return render(request, "review/board.html", {
        "period": period, "board": data, "filters": filters, "page": page,
        "page_query": others.urlencode(),
        "cohorts": period.cohorts.order_by("order", "code"),
        "appeals": open_appeals(period),
        "query_string": request.GET.urlencode(),
    })


BOARD_COLUMNS = ["cohort", "unit_code", "unit_name", "status", "last_activity", "deadline",
                 "days_left", "answers_given", "answers_required", "evidence_missing",
                 "open_flags"]


def _board_records(data) -> list[list]:
    records = []
    for row in data.rows:
        last = timezone.localtime(row.last_activity).strftime("%Y-%m-%d %H:%M") \
            if row.last_activity else None
        records.append([row.cohort_code, row.unit_code, row.unit_name, row.status, last,
                        row.deadline.isoformat() if row.deadline else None, row.days_left,
                        row.given, row.required, row.evidence_missing, row.open_flags])
    return records


@reviewer_required
def board_export(request, code, ext):
    period = _period(code)
    data = progress_board(period, **_board_filters(request))
    records = _board_records(data)
    if ext == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(BOARD_COLUMNS)
        for record in records:
            writer.writerow(["" if v is None else escape_text(v) if isinstance(v, str) else v
                             for v in record])
        content = buffer.getvalue().encode("utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("progress")
        sheet.append(BOARD_COLUMNS)
        for record in records:
            sheet.append([escape_text(v) if isinstance(v, str) else v for v in record])
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    response = HttpResponse(content, content_type=EXPORT_TYPES[ext])
    response["Content-Disposition"] = f'attachment; filename="tien-do-{period.code}.{ext}"'
    return response


@reviewer_required
@require_POST
def flags_compute(request, code):
    period = _period(code)
    counts = services.compute_flags(period=period)
    messages.success(request, _("Đã tính cảnh báo số liệu: %(created)d mới, %(kept)d giữ "
                                "nguyên, %(removed)d bỏ.") % counts)
    return redirect("review:board", code=period.code)


@reviewer_required
@require_POST
def bulk_approve(request, code):
    period = _period(code)
    ids = request.POST.getlist("submission")
    chosen = list(Submission.objects.filter(period=period, pk__in=[
        i for i in ids if i.isdigit()]).select_related("unit", "period"))
    try:
        approved = services.bulk_approve(submissions=chosen, reviewer=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, ngettext("Đã duyệt %(n)d phiếu.", "Đã duyệt %(n)d phiếu.",
                                           len(approved)) % {"n": len(approved)})
    return redirect("review:board", code=period.code)


# --- one submission ------------------------------------------------------------------------

@reviewer_required
def submission(request, pk):
    sub = get_submission_for(request.user, pk)
    review, changes = changes_since_return(sub)
    changed_ids = {c.answer_id for c in changes}
    rows = review_sheet(sub)
    show_all = request.GET.get("all") == "1" or sub.status != Submission.Status.RESUBMITTED
    if not show_all:
        rows = [row for row in rows if row.answer.pk in changed_ids]
    by_answer: dict[int, list] = {}
    for change in changes:
        by_answer.setdefault(change.answer_id, []).append(change)
    for row in rows:
        row.changes = by_answer.get(row.answer.pk, [])
    points = submission_points(sub)
    return render(request, "review/submission.html", {
        "submission": sub, "period": sub.period, "rows": rows, "show_all": show_all,
        "last_return": review, "changes": changes, "points": points,
        "reviewable": sub.status in services.REVIEWABLE,
        "verdicts": [c for c in Answer.Verdict.choices if c[0]],
        "appeals": sub.appeals.prefetch_related("items__answer__indicator"),
    })


@reviewer_required
@require_POST
def answer_review(request, pk, answer_pk):
    sub = get_submission_for(request.user, pk)
    answer = get_answer_for(request.user, answer_pk)
    if answer.submission_id != sub.pk:
        raise Http404("answer of another submission")
    try:
        services.review_answer(answer=answer, verdict=request.POST.get("verdict", ""),
                               adjusted_value=request.POST.get("adjusted_value"),
                               comment=request.POST.get("comment", ""), reviewer=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã lưu kết quả thẩm định tiêu chí %(code)s.")
                         % {"code": answer.indicator.code})
    return redirect(reverse("review:submission", args=[sub.pk]) + f"#cau-{answer.pk}")


@reviewer_required
@require_POST
def submission_return(request, pk):
    sub = get_submission_for(request.user, pk)
    try:
        services.return_submission(submission=sub, answers=[
            a for a in request.POST.getlist("answers") if a.isdigit()],
            message=request.POST.get("message", ""), reviewer=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã trả lại phiếu của %(unit)s.") % {"unit": sub.unit.name})
    return redirect("review:submission", pk=sub.pk)


@reviewer_required
@require_POST
def submission_approve(request, pk):
    sub = get_submission_for(request.user, pk)
    try:
        services.approve_submission(submission=sub, reviewer=request.user,
                                    message=request.POST.get("message", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã duyệt phiếu của %(unit)s.") % {"unit": sub.unit.name})
    return redirect("review:submission", pk=sub.pk)


@reviewer_required
@require_POST
def submission_reopen(request, pk):
    sub = get_submission_for(request.user, pk)
    try:
        services.reopen_submission(submission=sub, reason=request.POST.get("reason", ""),
                                   answers=[a for a in request.POST.getlist("answers")
                                            if a.isdigit()], reviewer=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã mở lại phiếu của %(unit)s.") % {"unit": sub.unit.name})
    return redirect("review:submission", pk=sub.pk)


@reviewer_required
@require_POST
def flag_check(request, pk):
    flag = get_object_or_404(ReviewFlag.objects.select_related("answer"), pk=pk)
    services.check_flag(flag=flag, reviewer=request.user,
                        checked=request.POST.get("checked", "1") == "1")
    return redirect(reverse("review:submission", args=[flag.answer.submission_id])
                    + f"?all=1#cau-{flag.answer_id}")


# --- history (reviewers and the unit's own staff) ---------------------------------------------

def history(request, pk):
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    sub = get_submission_for(request.user, pk)
    return render(request, "review/history.html", {
        "submission": sub, "events": timeline(sub), "is_reviewer": is_reviewer(request.user),
        "comments": sub.answers.exclude(review_comment="").select_related("indicator"),
    })


# --- appeals ----------------------------------------------------------------------------------

@unit_staff_required
def appeal_file(request, pk, unit):
    sub = get_submission_for(request.user, pk)
    answers = list(sub.answers.select_related("indicator").order_by("indicator__order",
                                                                    "indicator__code"))
    is_open = services.appeal_open(sub.period)
    if request.method == "POST":
        items = []
        for answer in answers:
            if request.POST.get(f"pick-{answer.pk}"):
                items.append({"answer": answer,
                              "requested_value": request.POST.get(f"value-{answer.pk}", ""),
                              "reason": request.POST.get(f"reason-{answer.pk}", "")})
        try:
            services.file_appeal(submission=sub, items=items,
                                 message=request.POST.get("message", ""), user=request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã gửi đề nghị phúc khảo."))
            return redirect("review:history", pk=sub.pk)
    return render(request, "review/appeal_file.html", {
        "submission": sub, "answers": answers, "is_open": is_open, "post": request.POST,
        "appeals": sub.appeals.prefetch_related("items__answer__indicator"),
    })


@reviewer_required
def appeal_detail(request, pk):
    appeal = get_object_or_404(Appeal.objects.select_related("submission__unit",
                                                             "submission__period"), pk=pk)
    return render(request, "review/appeal.html", {
        "appeal": appeal, "submission": appeal.submission,
        "items": appeal.items.select_related("answer__indicator", "decided_by"),
    })


@reviewer_required
@require_POST
def appeal_decide(request, pk):
    item = get_object_or_404(AppealItem.objects.select_related("appeal"), pk=pk)
    try:
        services.decide_appeal_item(item=item, decision=request.POST.get("decision", ""),
                                    reason=request.POST.get("reason", ""),
                                    value=request.POST.get("value"), reviewer=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã ghi quyết định phúc khảo."))
    return redirect("review:appeal", pk=item.appeal_id)


@unit_staff_required
def my_submissions(request, unit):
    """For unit staff: their returns with links to the history and the appeal form."""
    return render(request, "review/mine.html", {"submissions": Submission.objects.filter(
        unit=unit).select_related("period")})
