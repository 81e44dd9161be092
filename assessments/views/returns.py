"""Unit staff's returns (issue 3): "my returns", the survey form, its preview and autosave
endpoints, answer history, evidence downloads and the one-unit Excel round trip.

Views stay thin: who may see or change what is asked of :mod:`assessments.access`, every
change goes through :mod:`assessments.services`. Every page works without JavaScript;
``static/js/survey.js`` adds live points, derived values, progress and autosave.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import access, services
from ..evidence import download_name
from ..forms import (
    EvidenceForm,
    ReturnForm,
    WorkbookUploadForm,
    input_value,
    plain_number,
    sentence,
)
from ..models import (
    Answer,
    AnswerChange,
    Period,
    Review,
    Submission,
    SubmissionTransition,
)
from ..workbooks.template import unit_template

Status = Submission.Status
UPLOADS = "returns-uploads"


def _login_required_any(view):
    """Signed-in users; what they may see is decided per object by access.get_*_for."""
    from django.contrib.auth.decorators import login_required

    return login_required(view)


# --- my returns -------------------------------------------------------------------------------

@require_GET
@access.unit_staff_required
def my_returns(request, *, unit):
    today = timezone.localdate()
    submissions = {s.period_id: s for s in Submission.objects.filter(unit=unit)}
    rows = []
    for period in access.periods_for_unit(unit).order_by("-opens_on", "-code"):
        deadline = period.deadline_for(unit)
        submission = submissions.get(period.pk)
        pending = period.status in (Period.Status.OPEN, Period.Status.CLOSED) and (
            submission is None or submission.status in access.EDITABLE_BY_UNIT)
        rows.append({
            "period": period, "submission": submission, "deadline": deadline,
            "extended": deadline is not None and deadline != period.deadline,
            "days_left": (deadline - today).days if deadline and pending else None,
            "can_start": submission is None and access.can_start_submission(unit, period,
                                                                             today=today),
            "editable": submission is not None and access.can_edit_submission(
                request.user, submission),
        })
    return render(request, "returns/my_returns.html", {"unit": unit, "rows": rows})


@require_POST
@access.unit_staff_required
def start(request, code, *, unit):
    period = get_object_or_404(access.periods_for_unit(unit), code=code)
    try:
        submission = services.start_submission(period=period, unit=unit, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("returns:index")
    return redirect("returns:form", pk=submission.pk)


# --- the survey form --------------------------------------------------------------------------

def _context(submission: Submission, user):
    indicators = services.form_indicators(submission)
    by_id = {i.id: i for i in indicators}
    answers = {a.indicator_id: a for a in Answer.objects.filter(submission=submission)
               .prefetch_related("evidence__blob")}
    for answer in answers.values():  # no query per answer for answer.indicator
        if answer.indicator_id in by_id:
            answer.indicator = by_id[answer.indicator_id]
    editable = set()
    if access.can_edit_submission(user, submission):
        editable = services.editable_codes(submission, {i.code: i for i in indicators}, answers)
    return indicators, answers, editable


def _typed_values(indicators, answers) -> dict:
    return {i.code: Answer.raw_value(answers[i.id].value_number, answers[i.id].value_text,
                                     i.value_type)
            for i in indicators if not i.is_derived and i.id in answers}


def _posted_values(indicators, data, answers, editable) -> tuple[dict, dict]:
    """Typed values from posted form data (stored values for fields not sent or not
    editable) and the parser's messages by code."""
    values, errors = _typed_values(indicators, answers), {}
    for indicator in indicators:
        name = f"v_{indicator.code}"
        if indicator.is_derived or indicator.code not in editable or name not in data:
            continue
        try:
            number, text = services.parse_answer_for(indicator, data.get(name))
        except ValueError as problem:
            errors[indicator.code] = sentence(getattr(problem, "message", str(problem)))
            continue
        values[indicator.code] = Answer.raw_value(number, text, indicator.value_type)
    return values, errors


def _preview(submission, values) -> dict:
    try:
        return services.preview_points(submission=submission, values=values)
    except (ValueError, TypeError) as error:  # inputs the engine refuses: no preview
        return {"indicators": {}, "groups": {}, "total": None, "relative": [],
                "error": str(error)}


def _points_text(points, maximum) -> str:
    if maximum is None:
        return ""
    return f"{plain_number(round(points or 0.0, 2))} / {plain_number(maximum)}"


def _sections(submission, indicators, answers, editable, form, preview, problems):
    """One section per top-level criterion group, with its rows and progress."""
    groups = {g.pk: g for g in submission.period.framework.groups.all()}
    relative = set(preview.get("relative", []))

    def top(group):
        while group.parent_id:
            group = groups[group.parent_id]
        return group

    review = (Review.objects.filter(submission=submission, outcome=Review.Outcome.RETURNED)
              .order_by("-at", "-pk").first()) if submission.status == Status.RETURNED else None
    sections: dict[int, dict] = {}
    for indicator in indicators:
        group = groups[indicator.group_id]
        head = top(group)
        section = sections.setdefault(head.pk, {
            "group": head, "rows": [], "answered": 0, "total": 0, "anchor": f"s-{head.code}",
            "score": preview.get("groups", {}).get(head.code),
            "relative": head.code in relative})
        answer = answers.get(indicator.id)
        points = preview.get("indicators", {}).get(indicator.code, {})
        row = {
            "indicator": indicator, "answer": answer, "subgroup": group if group != head else None,
            "points": _points_text(points.get("points"), points.get("max_points")),
            "relative": indicator.rule in ("minmax", "zscore") or group.code in relative,
            "editable": indicator.code in editable, "problem": problems.get(indicator.code),
            "flagged": bool(answer and answer.open_for_correction
                            and submission.status == Status.RETURNED),
            "evidence": list(answer.evidence.all()) if answer else [],
        }
        if indicator.is_derived:
            value = points.get("value")
            row["derived"] = plain_number(value) if isinstance(value, float) else (
                value if value not in (None, "") else "–")
        else:
            row["field"] = form[f"v_{indicator.code}"]
            row["explanation"] = form[f"e_{indicator.code}"]
            section["total"] += 1
            if answer is not None and answer.value is not None:
                section["answered"] += 1
        section["rows"].append(row)
    return list(sections.values()), review


def _render_form(request, submission, *, form=None, indicators=None, answers=None,
                 editable=None, values=None, conflict=None, problems=None, status=200):
    if indicators is None:
        indicators, answers, editable = _context(submission, request.user)
    if form is None:
        form = ReturnForm(indicators=indicators, answers=answers, editable=editable,
                          initial={"version": submission.version})
    preview = _preview(submission, values if values is not None
                       else _typed_values(indicators, answers))
    sections, review = _sections(submission, indicators, answers, editable, form, preview,
                                 problems or {})
    deadline = submission.period.deadline_for(submission.unit)
    context = {
        "submission": submission, "period": submission.period, "unit": submission.unit,
        "form": form, "sections": sections, "review": review, "preview": preview,
        "total": preview.get("total"), "editable": bool(editable),
        "can_edit": access.can_edit_submission(request.user, submission),
        "can_recall": access.can_recall_submission(request.user, submission),
        "is_staff_of_unit": access.staff_unit(request.user) == submission.unit,
        "deadline": deadline, "extended": deadline != submission.period.deadline,
        "conflict": conflict, "problems": problems or {},
        "urls": {"preview": reverse("returns:preview", args=[submission.pk]),
                 "autosave": reverse("returns:autosave", args=[submission.pk])},
    }
    return render(request, "returns/form.html", context, status=status)


def _attach_files(request, submission, editable) -> list[str]:
    """Attach the files chosen beside each indicator; messages of refused files."""
    refused = []
    for key in request.FILES:
        if not key.startswith("f_"):
            continue
        code = key[2:]
        citation = EvidenceForm({"document_number": request.POST.get(f"dn_{code}", ""),
                                 "document_date": request.POST.get(f"dd_{code}", ""),
                                 "issuer": request.POST.get(f"is_{code}", "")})
        citation.fields["file"].required = False
        if not citation.is_valid():
            refused.append(_("%(code)s: ngày văn bản không hợp lệ (ví dụ 15/03/2016).")
                           % {"code": code})
            continue
        for upload in request.FILES.getlist(key):
            try:
                services.attach_evidence(
                    submission=submission, indicator_code=code, upload=upload,
                    actor=request.user,
                    document_number=citation.cleaned_data["document_number"],
                    document_date=citation.cleaned_data["document_date"],
                    issuer=citation.cleaned_data["issuer"])
            except ValidationError as error:
                refused.append(f"{code}: " + " ".join(error.messages))
    return refused


@require_http_methods(["GET", "POST"])
@_login_required_any
def return_form(request, pk):
    submission = access.get_submission_for(request.user, pk)
    if request.method == "GET":
        return _render_form(request, submission)
    action = request.POST.get("action", "save")
    if action == "recall":
        try:
            services.recall_submission(submission=submission, actor=request.user)
            messages.success(request, _("Đã rút lại phiếu về trạng thái nháp: có thể sửa tiếp."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("returns:form", pk=submission.pk)
    if not access.can_edit_submission(request.user, submission):
        messages.error(request, _("Phiếu này không còn sửa được."))
        return redirect("returns:form", pk=submission.pk)

    indicators, answers, editable = _context(submission, request.user)
    form = ReturnForm(request.POST, indicators=indicators, answers=answers, editable=editable)

    def posted_values():
        return _posted_values(indicators, request.POST, answers, editable)[0]

    if not form.is_valid():
        messages.error(request, _("Có giá trị chưa hợp lệ: xem thông báo bên cạnh từng ô. "
                                  "Chưa lưu gì."))
        return _render_form(request, submission, form=form, indicators=indicators,
                            answers=answers, editable=editable, values=posted_values(),
                            status=400)
    try:
        result = services.save_answers(
            submission=submission, data=form.answer_data(), actor=request.user,
            expected_version=form.cleaned_data["version"], original=form.original_data())
    except services.SubmissionConflict as conflict:
        return _conflict_form(request, submission, conflict, posted_values())
    except ValidationError as error:
        for code, items in getattr(error, "error_dict", {}).items():
            field = f"v_{code}" if f"v_{code}" in form.fields else None
            for item in items:
                form.add_error(field, " ".join(item.messages))
        return _render_form(request, submission, form=form, indicators=indicators,
                            answers=answers, editable=editable, values=posted_values(),
                            status=400)
    refused = _attach_files(request, submission, editable)
    for message in refused:
        messages.error(request, message)
    if action.startswith("remove:"):
        try:
            evidence = access.get_evidence_for(request.user, action.split(":", 1)[1])
            if evidence.answer.submission_id != submission.pk:
                raise Http404
            services.remove_evidence(evidence=evidence, actor=request.user)
            messages.success(request, _("Đã gỡ tệp %(name)s.") % {"name": evidence.original_name})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    if action == "submit":
        try:
            services.submit_submission(submission=submission, actor=request.user,
                                       expected_version=result.version)
        except services.SubmissionConflict as conflict:
            return _conflict_form(request, submission, conflict, posted_values())
        except ValidationError as error:
            problems = {code: " ".join(items[0].messages) if hasattr(items[0], "messages")
                        else str(items[0])
                        for code, items in getattr(error, "error_dict", {}).items()}
            if not problems:
                messages.error(request, " ".join(error.messages))
            else:
                messages.error(request, _("Chưa nộp được: còn %(n)d tiêu chí cần bổ sung (đánh "
                                          "dấu bên dưới). Các giá trị đã được lưu nháp.")
                               % {"n": len(problems)})
            return _render_form(request, submission, problems=problems, status=400)
        messages.success(request, _("Đã nộp báo cáo. Cảm ơn đơn vị!"))
        return redirect("returns:form", pk=submission.pk)
    if result.changed or not refused:
        messages.success(request, _("Đã lưu nháp (%(n)d thay đổi).") % {"n": result.changed})
    return redirect("returns:form", pk=submission.pk)


def _conflict_form(request, submission, conflict, values):
    """The form again with the user's values, the stored version and what changed."""
    submission.refresh_from_db()
    indicators, answers, editable = _context(submission, request.user)
    data = request.POST.copy()
    data["version"] = str(submission.version)
    data["original"] = json.dumps(
        {i.code: {"value": input_value(answers.get(i.id), i),
                  "explanation": answers[i.id].explanation if i.id in answers else ""}
         for i in indicators if not i.is_derived}, ensure_ascii=False)
    form = ReturnForm(data, indicators=indicators, answers=answers, editable=editable)
    form.is_valid()
    messages.error(request, conflict.messages[0])
    return _render_form(request, submission, form=form, indicators=indicators, answers=answers,
                        editable=editable, values=values, conflict=conflict.changes,
                        status=409)


# --- JSON endpoints used by survey.js -----------------------------------------------------------

@require_POST
@_login_required_any
def preview(request, pk):
    """Points, derived values and parser messages for the posted (unsaved) values."""
    submission = access.get_submission_for(request.user, pk)
    indicators, answers, editable = _context(submission, request.user)
    values, errors = _posted_values(indicators, request.POST, answers, editable)
    result = _preview(submission, values)
    derived = {}
    for indicator in indicators:
        if indicator.is_derived:
            value = result.get("indicators", {}).get(indicator.code, {}).get("value")
            derived[indicator.code] = plain_number(value) if isinstance(value, float) else "–"
    points = {code: _points_text(item.get("points"), item.get("max_points"))
              for code, item in result.get("indicators", {}).items()}
    groups = {code: _points_text(item.get("score"), item.get("max_score"))
              for code, item in result.get("groups", {}).items()}
    total = result.get("total")
    return JsonResponse({
        "points": points, "groups": groups, "derived": derived, "errors": errors,
        "total": _points_text(total["score"], total["max_score"]) if total else "",
        "band": (total or {}).get("band", ""), "relative": result.get("relative", []),
    })


@require_POST
@_login_required_any
def autosave(request, pk):
    """Save the draft in the background: 200 with the new version, 409 with what changed
    meanwhile (nothing written), 400 with messages by code (nothing written)."""
    submission = access.get_submission_for(request.user, pk)
    if not access.can_edit_submission(request.user, submission):
        return JsonResponse({"error": _("Phiếu này không còn sửa được.")}, status=403)
    indicators, answers, editable = _context(submission, request.user)
    form = ReturnForm(request.POST, indicators=indicators, answers=answers, editable=editable)
    if not form.is_valid():
        errors = {name[2:]: " ".join(messages_) for name, messages_ in form.errors.items()
                  if name.startswith("v_")}
        return JsonResponse({"errors": errors or {"": _("Biểu mẫu không hợp lệ.")}}, status=400)
    try:
        result = services.save_answers(
            submission=submission, data=form.answer_data(), actor=request.user,
            expected_version=form.cleaned_data["version"], original=form.original_data())
    except services.SubmissionConflict as conflict:
        return JsonResponse({"conflict": conflict.changes, "version": conflict.version,
                             "message": _("Người khác vừa lưu phiếu này nên tự động lưu đã "
                                          "dừng, chưa lưu gì. Bấm “Lưu nháp” để xem các thay "
                                          "đổi.")}, status=409)
    except ValidationError as error:
        errors = {code: " ".join(m for item in items for m in item.messages)
                  for code, items in getattr(error, "error_dict", {}).items()}
        return JsonResponse({"errors": errors}, status=400)
    original = {code: {"value": item["value"], "explanation": item["explanation"]}
                for code, item in form.answer_data().items()}
    return JsonResponse({"version": result.version, "changed": result.changed,
                         "original": json.dumps(original, ensure_ascii=False),
                         "message": _("Đã tự động lưu lúc %(time)s.")
                         % {"time": timezone.localtime().strftime("%H:%M")}})


# --- history and evidence ---------------------------------------------------------------------

def _shown_number(text: str) -> str:
    if re.fullmatch(r"-?\d+(\.\d+)?(e[+-]?\d+)?", text or ""):
        return plain_number(float(text))
    return text


@require_GET
@_login_required_any
def history(request, pk):
    submission = access.get_submission_for(request.user, pk)
    changes = list(AnswerChange.objects.filter(answer__submission=submission)
                   .select_related("answer__indicator", "actor").order_by("-at", "-pk"))
    for change in changes:  # numbers in the language's format (0,8 in Vietnamese)
        if change.field in (AnswerChange.Field.VALUE, AnswerChange.Field.ADJUSTED):
            change.old, change.new = _shown_number(change.old), _shown_number(change.new)
    transitions = (SubmissionTransition.objects.filter(submission=submission)
                   .select_related("actor").order_by("-at", "-pk"))
    return render(request, "returns/history.html", {
        "submission": submission, "changes": changes, "transitions": transitions})


@require_GET
@_login_required_any
def evidence_download(request, pk):
    evidence = access.get_evidence_for(request.user, pk)
    try:
        handle = evidence.blob.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("Không tìm thấy tài liệu.")) from None
    response = FileResponse(handle, as_attachment=True, filename=download_name(evidence),
                            content_type=evidence.blob.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Excel round trip ---------------------------------------------------------------------------

@require_GET
@_login_required_any
def workbook_template(request, pk):
    submission = access.get_submission_for(request.user, pk)
    content = unit_template(submission)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"bao-cao-{submission.period.code}-{submission.unit.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOADS


def _forget_old_uploads(max_age_seconds: int = 24 * 3600) -> None:
    """Uploaded workbooks wait for their confirmation at most a day."""
    now = time.time()
    for path in _upload_dir().glob("*.xlsx"):
        try:
            if now - path.stat().st_mtime > max_age_seconds:
                path.unlink()
        except FileNotFoundError:
            pass


@require_http_methods(["GET", "POST"])
@_login_required_any
def workbook_upload(request, pk):
    """Upload the unit's workbook: the differences are shown first, applied on confirm."""
    submission = access.get_submission_for(request.user, pk)
    if not access.can_edit_submission(request.user, submission):
        messages.error(request, _("Phiếu này không còn sửa được."))
        return redirect("returns:form", pk=submission.pk)
    context = {"submission": submission, "form": WorkbookUploadForm()}
    session_key = f"returns-upload-{submission.pk}"
    if request.method == "POST" and request.POST.get("action") == "apply":
        stored = request.session.get(session_key) or {}
        path = _upload_dir() / f"{stored.get('sha256', '')}.xlsx"
        if not stored or not path.exists() or stored.get("sha256") != request.POST.get("sha256"):
            messages.error(request, _("Không còn tệp đã tải lên: hãy tải lên lại."))
            return redirect("returns:workbook_upload", pk=submission.pk)
        try:
            plan = services.apply_unit_workbook(
                submission=submission, source=path, file_name=stored["name"],
                actor=request.user, expected_version=int(request.POST.get("version", "0")))
        except services.SubmissionConflict:
            messages.error(request, _("Phiếu đã được lưu bởi người khác sau khi bạn tải tệp "
                                      "lên: chưa áp dụng gì. Hãy xem lại các khác biệt."))
            return redirect("returns:workbook_upload", pk=submission.pk)
        except ValidationError as error:
            context["errors"] = error.messages
            return render(request, "returns/workbook_upload.html", context, status=400)
        finally:
            path.unlink(missing_ok=True)
        request.session.pop(session_key, None)
        messages.success(request, _("Đã áp dụng %(n)d thay đổi từ tệp Excel.")
                         % {"n": len(plan.changes)})
        return redirect("returns:form", pk=submission.pk)
    if request.method == "POST":
        form = WorkbookUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                plan = services.apply_unit_workbook(
                    submission=submission, source=data, file_name=upload.name,
                    actor=request.user, expected_version=submission.version, dry_run=True)
            except ValidationError as error:
                context["errors"] = error.messages
                return render(request, "returns/workbook_upload.html", context, status=400)
            digest = hashlib.sha256(data).hexdigest()
            _upload_dir().mkdir(parents=True, exist_ok=True)
            _forget_old_uploads()
            (_upload_dir() / f"{digest}.xlsx").write_bytes(data)
            request.session[session_key] = {"sha256": digest, "name": upload.name}
            context.update({"plan": plan, "version": submission.version, "file_name": upload.name})
    return render(request, "returns/workbook_upload.html", context)
