"""Admin pages of a period for Excel returns (issue 8): the bulk template, and the import of
a whole file of returns with a dry-run preview, its errors as an annotated workbook, and a
confirmation that applies everything or nothing.

The uploaded file waits for its confirmation on disk under ``MEDIA_ROOT/returns-imports/``,
named by its SHA-256, never in a process's memory, so that any application server can
confirm it. What the preview promised travels with the confirmation as a signed token
(file hash and name, the period, whether to approve, a fingerprint of the period's
submissions and a digest of the preview's counts): the confirmation is refused when the
stored file is gone or no longer has that hash, and the import is rolled back when the
period's data changed meanwhile or the import would do other than the preview said.

Only portal admins may use these pages (others get 403, on top of the admin's own
sign-in); every change goes through :func:`assessments.services.import_returns`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path, PurePosixPath

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportMixin, ImportMixin
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from . import access, services
from .models import Answer, Cohort, Period, Submission
from .resources import (
    EXPORT_FORMATS,
    FrameworkImportResource,
    UnitExportResource,
    UnitImportResource,
    WorkbookFile,
)
from .workbooks.annotate import describe_errors, error_workbook
from .workbooks.errors import CellError, WorkbookError
from .workbooks.reader import max_file_bytes
from .workbooks.template import bulk_template

UPLOAD_FOLDER = "returns-imports"
UPLOAD_MAX_AGE = 24 * 3600
TOKEN_SALT = "assessments.admin_imports.returns"
ERRORS_SHOWN = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StaleImport(Exception):
    """The period's data changed after the preview: nothing was imported."""


# --- the uploaded file, kept on disk until confirmed -----------------------------------------

def upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_FOLDER


def _suffix(file_name: str) -> str:
    suffix = PurePosixPath(file_name.lower()).suffix
    return suffix if suffix in (".xlsx", ".csv") else ".bin"


def stored_path(sha256: str, file_name: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise Http404
    return upload_dir() / f"{sha256}{_suffix(file_name)}"


def store_upload(data: bytes, file_name: str) -> str:
    """Keep ``data`` under its SHA-256 (written to a temporary name, then renamed)."""
    digest = hashlib.sha256(data).hexdigest()
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    forget_old_uploads()
    target = stored_path(digest, file_name)
    if not target.exists():
        temporary = folder / f".{digest}.{os.getpid()}.part"
        temporary.write_bytes(data)
        os.replace(temporary, target)
    else:
        os.utime(target)
    return digest


def read_upload(sha256: str, file_name: str) -> bytes | None:
    try:
        return stored_path(sha256, file_name).read_bytes()
    except FileNotFoundError:
        return None


def forget_old_uploads(max_age_seconds: int = UPLOAD_MAX_AGE) -> None:
    """Uploads wait for their confirmation a day at most."""
    now = time.time()
    for item in upload_dir().glob("*"):
        try:
            if now - item.stat().st_mtime > max_age_seconds:
                item.unlink()
        except FileNotFoundError:
            pass


# --- what the preview promised --------------------------------------------------------------

def data_fingerprint(period: Period) -> str:
    """Changes whenever a submission of the period changes (status, version) or an answer
    is added or removed."""
    digest = hashlib.sha256(f"{period.pk}:{period.status}".encode())
    for row in (Submission.objects.filter(period=period).order_by("pk")
                .values_list("pk", "version", "status").iterator(chunk_size=5000)):
        digest.update(repr(row).encode())
    digest.update(str(Answer.objects.filter(submission__period=period).count()).encode())
    return digest.hexdigest()


def summary_digest(summary: services.ImportSummary) -> str:
    payload = {"counts": summary.counts, "units": summary.units, "layout": summary.layout}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def make_token(**values) -> str:
    return signing.dumps(values, salt=TOKEN_SALT, compress=True)


def read_token(token: str, period: Period) -> dict:
    """The signed values of a confirmation or a download; ValidationError when invalid."""
    try:
        values = signing.loads(token or "", salt=TOKEN_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(_("Bản xem trước đã quá một ngày: hãy tải tệp lên lại.")) from None
    except signing.BadSignature:
        raise ValidationError(_("Yêu cầu không hợp lệ: hãy tải tệp lên lại.")) from None
    if values.get("period") != period.pk:
        raise ValidationError(_("Yêu cầu không hợp lệ: hãy tải tệp lên lại."))
    return values


# --- forms ----------------------------------------------------------------------------------

class ReturnsImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tệp báo cáo"), allow_empty_file=True,  # the reader says why
        help_text=gettext_lazy("Tệp .xlsx (Excel 2007 trở lên) hoặc .csv (UTF-8, dấu phẩy), bố "
                               "cục ngang (mỗi đơn vị một dòng) hoặc dọc (unit_code, "
                               "indicator_code, value)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
    approve = forms.BooleanField(
        label=gettext_lazy("Duyệt luôn các phiếu được nhập"), required=False,
        help_text=gettext_lazy("Không chọn: các phiếu được nhập ở trạng thái đã nộp, chờ "
                               "thẩm định."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_file_bytes():
            raise ValidationError(_("Tệp quá lớn (%(size).1f MiB); giới hạn là %(max).1f MiB.")
                                  % {"size": upload.size / 2 ** 20,
                                     "max": max_file_bytes() / 2 ** 20})
        return upload


class BulkTemplateForm(forms.Form):
    cohorts = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Nhóm đơn vị"), queryset=Cohort.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Mỗi đơn vị đang hoạt động của các nhóm đã chọn có một dòng."))

    def __init__(self, *args, period: Period, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = period.cohorts.annotate(n=Count("units")).order_by("order", "code")
        self.fields["cohorts"].queryset = queryset
        self.fields["cohorts"].label_from_instance = lambda c: f"{c.name} ({c.code}, {c.n})"
        self.fields["cohorts"].initial = list(queryset)


# --- views ------------------------------------------------------------------------------------

def _period(request, object_id) -> Period:
    if not access.is_portal_admin(request.user):
        raise PermissionDenied
    try:
        return Period.objects.select_related("framework").get(pk=int(object_id))
    except (Period.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Không tìm thấy kỳ đánh giá.")) from None


def _context(model_admin, request, period: Period, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta, "original": period, "period": period, "title": title,
        "history_url": history_url(period),
        "template_url": reverse("admin:assessments_period_bulk_template", args=[period.pk]),
        "import_url": reverse("admin:assessments_period_import_returns", args=[period.pk]),
    }


def history_url(period: Period) -> str:
    return (reverse("admin:assessments_importrecord_changelist")
            + f"?period__id__exact={period.pk}")


KIND_LABELS = {"returns": gettext_lazy("báo cáo"), "units": gettext_lazy("đơn vị"),
               "framework": gettext_lazy("bộ tiêu chí")}


def _status(value: str) -> str:
    if value in Submission.Status.values:
        return str(Submission.Status(value).label)
    return _("chưa có phiếu") if value in ("", "-") else value


def _preview_context(period: Period, summary: services.ImportSummary, *, sha256: str,
                     file_name: str, approve: bool) -> dict:
    units = [{**unit, "before_label": _status(unit["before"]),
              "after_label": _status(unit["after"])} for unit in summary.units]
    empty = [u["unit"] for u in summary.units
             if not (u.get("created") or u.get("changed") or u.get("unchanged"))]
    return {
        "summary": summary, "units": units, "file_name": file_name, "approve": approve,
        "empty_units": empty,
        "warnings": [str(w) for w in summary.warnings],
        "token": make_token(period=period.pk, sha=sha256, name=file_name, approve=approve,
                            data=data_fingerprint(period), expect=summary_digest(summary)),
    }


def _errors_context(period: Period, error: ValidationError, *, data: bytes | None,
                    sha256: str | None, file_name: str) -> dict:
    if isinstance(error, WorkbookError):
        rows = describe_errors(error.errors, data=data, file_name=file_name)
        warnings = [str(w) for w in error.warnings]
    else:
        rows = describe_errors([CellError("", "", "", m) for m in error.messages])
        warnings = []
    context = {"errors": rows[:ERRORS_SHOWN], "error_count": len(rows),
               "errors_hidden": max(0, len(rows) - ERRORS_SHOWN), "warnings": warnings,
               "file_name": file_name}
    if sha256:
        context["errors_url"] = reverse("admin:assessments_period_import_errors",
                                        args=[period.pk]) + "?t=" + make_token(
            period=period.pk, sha=sha256, name=file_name)
    return context


def _dry_run(period: Period, data: bytes, file_name: str, approve: bool, user):
    return services.import_returns(period=period, source=data, file_name=file_name,
                                   dry_run=True, approve=approve, actor=user)


def import_returns_view(model_admin, request, object_id):
    """Upload → preview (every error, or the changes per unit) → confirm."""
    period = _period(request, object_id)
    context = _context(model_admin, request, period,
                       _("Nhập báo cáo từ Excel: %(period)s") % {"period": period.code})
    if request.method == "POST" and request.POST.get("action") == "confirm":
        return _confirm(request, period, context)
    form = ReturnsImportForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        upload, approve = form.cleaned_data["file"], form.cleaned_data["approve"]
        data = b"".join(upload.chunks())
        file_name = os.path.basename(upload.name)[:200] or "upload"
        sha256 = store_upload(data, file_name)
        try:
            summary = _dry_run(period, data, file_name, approve, request.user)
        except ValidationError as error:
            context.update(_errors_context(period, error, data=data, sha256=sha256,
                                           file_name=file_name))
        else:
            context.update(_preview_context(period, summary, sha256=sha256,
                                            file_name=file_name, approve=approve))
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/assessments/period/import_returns.html", context)


def _confirm(request, period: Period, context: dict):
    form = ReturnsImportForm()
    context["form"] = form
    try:
        token = read_token(request.POST.get("token", ""), period)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(context["import_url"])
    file_name, sha256, approve = token["name"], token["sha"], bool(token["approve"])
    data = read_upload(sha256, file_name)
    if data is None:
        messages.error(request, _("Tệp đã tải lên không còn trên máy chủ (chỉ giữ một ngày): "
                                  "chưa nhập gì. Hãy tải tệp lên lại."))
        return HttpResponseRedirect(context["import_url"])
    if hashlib.sha256(data).hexdigest() != sha256:
        messages.error(request, _("Tệp lưu trên máy chủ đã thay đổi so với tệp đã xem trước: "
                                  "chưa nhập gì. Hãy tải tệp lên lại."))
        return HttpResponseRedirect(context["import_url"])
    try:
        if data_fingerprint(period) != token["data"]:
            raise StaleImport
        with transaction.atomic():
            summary = services.import_returns(period=period, source=data, file_name=file_name,
                                              approve=approve, actor=request.user)
            if summary_digest(summary) != token["expect"]:
                raise StaleImport  # rolls the import back
    except StaleImport:
        context["stale"] = True
        try:
            summary = _dry_run(period, data, file_name, approve, request.user)
        except ValidationError as error:
            context.update(_errors_context(period, error, data=data, sha256=sha256,
                                           file_name=file_name))
        else:
            context.update(_preview_context(period, summary, sha256=sha256,
                                            file_name=file_name, approve=approve))
        return TemplateResponse(request, "admin/assessments/period/import_returns.html", context,
                                status=409)
    except ValidationError as error:
        context.update(_errors_context(period, error, data=data, sha256=sha256,
                                       file_name=file_name))
        return TemplateResponse(request, "admin/assessments/period/import_returns.html", context)
    stored_path(sha256, file_name).unlink(missing_ok=True)
    c = summary.counts
    messages.success(request, _(
        "Đã nhập tệp %(file)s vào kỳ %(period)s: %(units)d đơn vị; %(created)d câu trả lời mới, "
        "%(changed)d thay đổi, %(unchanged)d không đổi.")
        % {"file": file_name, "period": period.code, "units": c["units"],
           "created": c["answers_created"], "changed": c["answers_changed"],
           "unchanged": c["answers_unchanged"]})
    return HttpResponseRedirect(context["history_url"])


def import_errors_view(model_admin, request, object_id):
    """The uploaded workbook with its errors marked (re-checked now), as .xlsx."""
    period = _period(request, object_id)
    try:
        token = read_token(request.GET.get("t", ""), period)
    except ValidationError:
        raise Http404 from None
    data = read_upload(token["sha"], token["name"])
    if data is None or hashlib.sha256(data).hexdigest() != token["sha"]:
        raise Http404(_("Tệp đã tải lên không còn trên máy chủ."))
    try:
        _dry_run(period, data, token["name"], False, request.user)
        errors = []
    except WorkbookError as error:
        errors = describe_errors(error.errors, data=data, file_name=token["name"])
    except ValidationError as error:
        errors = describe_errors([CellError("", "", "", m) for m in error.messages])
    content = error_workbook(errors, data=data, file_name=token["name"])
    stem = PurePosixPath(token["name"]).stem or "tep"
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="loi-{_ascii(stem)}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


def _ascii(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text)[:80]


def bulk_template_view(model_admin, request, object_id):
    """Choose the cohorts, download the bulk template of the period."""
    period = _period(request, object_id)
    form = BulkTemplateForm(request.GET if "cohorts" in request.GET else None, period=period)
    if form.is_bound and form.is_valid():
        content = bulk_template(period, cohorts=form.cleaned_data["cohorts"])
        response = HttpResponse(content, content_type=XLSX_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="mau-nhap-{_ascii(period.code)}.xlsx"')
        response["Cache-Control"] = "private, no-store"
        return response
    context = _context(model_admin, request, period,
                       _("Tải mẫu nhập hàng loạt: %(period)s") % {"period": period.code})
    context["form"] = form
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/assessments/period/bulk_template.html", context)


def period_urls(model_admin) -> list:
    """The URLs added to the period's admin."""
    wrap = model_admin.admin_site.admin_view

    def bind(view):
        def bound(request, object_id):
            return view(model_admin, request, object_id)
        return wrap(bound)

    return [
        path("<int:object_id>/nhap-bao-cao/", bind(import_returns_view),
             name="assessments_period_import_returns"),
        path("<int:object_id>/nhap-bao-cao/tep-loi/", bind(import_errors_view),
             name="assessments_period_import_errors"),
        path("<int:object_id>/mau-nhap/", bind(bulk_template_view),
             name="assessments_period_bulk_template"),
    ]


def record_counts(record) -> str:
    """What an import did, in one line (the import history's "result" column)."""
    counts = (record.summary or {}).get("counts") or {}
    try:
        if record.kind == "returns":
            text = _("%(units)d đơn vị; câu trả lời: %(created)d mới, %(changed)d thay đổi, "
                     "%(unchanged)d không đổi") % {
                "units": counts["units"], "created": counts["answers_created"],
                "changed": counts["answers_changed"], "unchanged": counts["answers_unchanged"]}
            if (record.summary or {}).get("dry_run"):
                text += " " + _("(chạy thử)")
            return text
        if record.kind == "units":
            return _("Đơn vị: %(created)d mới, %(updated)d cập nhật, %(unchanged)d không đổi; "
                     "nhóm: %(c_created)d mới") % {
                "created": counts["units_created"], "updated": counts["units_updated"],
                "unchanged": counts["units_unchanged"], "c_created": counts["cohorts_created"]}
        if record.kind == "framework":
            return _("%(groups)d nhóm, %(indicators)d tiêu chí, %(bands)d xếp loại") % counts
    except (KeyError, TypeError, ValueError):
        pass
    return ", ".join(f"{key}: {value}" for key, value in counts.items())


# --- django-import-export for units and frameworks (through the services) -------------------

class ServiceImportForm(ImportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = _("Tệp (.xlsx hoặc .csv)")
        self.fields["format"].label = _("Định dạng")
        self.fields["resource"].label = _("Loại dữ liệu")


class FrameworkImportForm(ServiceImportForm):
    replace = forms.BooleanField(
        label=gettext_lazy("Thay thế bộ tiêu chí cùng mã"), required=False,
        help_text=gettext_lazy("Chỉ được khi chưa kỳ đã công bố nào dùng nó và chưa có câu "
                               "trả lời nào cho các tiêu chí của nó."))


class FrameworkConfirmForm(ConfirmImportForm):
    replace = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ServiceImportMixin(ImportMixin):
    """import-export's upload → preview → confirm, done by a service (``resources.py``)."""

    import_resource = None
    import_formats = [WorkbookFile]
    # the upload waits in the media storage (var/media), shared by every application server
    tmp_storage_class = "import_export.tmp_storages.MediaStorage"
    import_template_name = "admin/assessments/service_import.html"
    import_form_class = ServiceImportForm
    import_export_change_list_template = "admin/assessments/change_list_import_export.html"
    skip_admin_log = True  # the import history (ImportRecord) records every import

    def get_import_resource_classes(self, request):
        return [self.import_resource]

    def has_import_permission(self, request):
        return access.is_portal_admin(request.user)

    def get_import_context_data(self, **kwargs):
        return {"layout": self.import_resource.layout,
                "history_url": reverse("admin:assessments_importrecord_changelist")
                + f"?kind__exact={self.import_kind}"}

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        values = super().get_import_data_kwargs(**kwargs)
        if form is not None and "replace" in getattr(form, "cleaned_data", {}):
            values["replace"] = bool(form.cleaned_data["replace"])
        return values

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None and "replace" in import_form.cleaned_data:
            initial["replace"] = import_form.cleaned_data["replace"]
        return initial

    def process_result(self, result, request):
        if result.has_errors():  # the data changed between the preview and the confirmation
            messages.error(request, _("Chưa nhập gì: tệp không còn nhập được."))
            for error in result.workbook_errors:
                messages.error(request, f"{error.sheet} {error.cell} {error.unit} "
                                        f"{error.message}".strip())
            return HttpResponseRedirect(reverse(
                "admin:{}_{}_import".format(*self.get_model_info()),
                current_app=self.admin_site.name))
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        summary = result.summary
        messages.success(request, _("Đã nhập tệp %(file)s.") % {"file": summary.file_name})
        for line in summary.lines():
            messages.info(request, line)


class UnitImportExportMixin(ServiceImportMixin, ExportMixin):
    import_resource = UnitImportResource
    import_kind = "units"
    export_form_class = ExportForm

    def get_export_resource_classes(self, request):
        return [UnitExportResource]

    def get_export_formats(self):
        return EXPORT_FORMATS

    def has_export_permission(self, request):
        return access.is_portal_admin(request.user)


class FrameworkImportMixin(ServiceImportMixin):
    import_resource = FrameworkImportResource
    import_kind = "framework"
    import_form_class = FrameworkImportForm
    confirm_form_class = FrameworkConfirmForm
