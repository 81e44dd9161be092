"""Django admin for the assessment domain, in Vietnamese first.

The admin is thin: actions call the services that the commands and the web also use.
"""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import models
from .admin_imports import FrameworkImportMixin, UnitImportExportMixin

admin.site.site_header = _("Quản trị Chỉ số ứng dụng CNTT")
admin.site.site_title = _("Chỉ số ICT")
admin.site.index_title = _("Quản trị hệ thống")


@admin.register(models.Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order", "unit_count"]
    search_fields = ["code", "name"]
    ordering = ["order", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_units=Count("units"))

    @admin.display(description=_("số đơn vị"), ordering="_units")
    def unit_count(self, obj):
        return obj._units


@admin.register(models.Unit)
class UnitAdmin(UnitImportExportMixin, admin.ModelAdmin):
    """Import (through ``import_units``) and export of the units workbook: admin_imports."""

    list_display = ["code", "name", "cohort", "parent", "active"]
    list_filter = ["cohort", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["cohort", "parent"]


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "role", "unit", "is_active", "last_login"]
    list_filter = ["role", "is_active", "unit__cohort"]
    search_fields = ["username", "first_name", "last_name", "email", "unit__name"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Đơn vị và vai trò"), {"fields": ("role", "unit")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Đơn vị và vai trò"), {"fields": ("role", "unit")}),
    )


# --- Frameworks -------------------------------------------------------------------------------

class FrozenFrameworkMixin:
    """Everything that belongs to a frozen framework is read-only in the admin."""

    def _framework_of(self, obj):
        return obj if isinstance(obj, models.Framework) else getattr(obj, "framework", None)

    def has_change_permission(self, request, obj=None):
        framework = self._framework_of(obj) if obj is not None else None
        if framework is not None and framework.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        framework = self._framework_of(obj) if obj is not None else None
        if framework is not None and framework.is_frozen:
            return False
        return super().has_delete_permission(request, obj)


class FrozenInlineMixin:
    def _frozen(self, obj):
        return obj is not None and obj.is_frozen

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class CriterionGroupInline(FrozenInlineMixin, admin.TabularInline):
    model = models.CriterionGroup
    fk_name = "framework"
    extra = 0
    fields = ["order", "code", "name", "parent", "aggregation", "weight", "max_points",
              "rescale"]
    show_change_link = True


class BandInline(FrozenInlineMixin, admin.TabularInline):
    model = models.Band
    extra = 0
    fields = ["label", "min_score", "color"]


def next_framework_code(code: str) -> str:
    """MIC-2016 → MIC-2017; a code without a trailing year gets '-copy'."""
    match = re.search(r"(\d{4})$", code)
    base = f"{code[: match.start()]}{int(match.group(1)) + 1}" if match else f"{code}-copy"
    candidate, n = base, 2
    while models.Framework.objects.filter(code=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@admin.register(models.Framework)
class FrameworkAdmin(FrameworkImportMixin, FrozenFrameworkMixin, admin.ModelAdmin):
    list_display = ["code", "name", "scale", "aggregation", "group_count", "indicator_count",
                    "frozen", "created_at"]
    search_fields = ["code", "name"]
    readonly_fields = ["copied_from", "created_at"]
    inlines = [CriterionGroupInline, BandInline]
    actions = ["copy_for_new_year", "download_workbook"]
    fieldsets = (
        (None, {"fields": ("code", "name", "description", "copied_from", "created_at")}),
        (_("Cách tính điểm"), {"fields": ("scale", "aggregation", "decimals", "rank_on",
                                          "ties", "missing")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _groups=Count("groups", distinct=True), _indicators=Count("indicators", distinct=True)
        )

    @admin.display(description=_("số nhóm"), ordering="_groups")
    def group_count(self, obj):
        return obj._groups

    @admin.display(description=_("số tiêu chí"), ordering="_indicators")
    def indicator_count(self, obj):
        return obj._indicators

    @admin.display(description=_("đã khoá"), boolean=True)
    def frozen(self, obj):
        return obj.is_frozen

    @admin.action(description=_("Tải tệp Excel của bộ tiêu chí"))
    def download_workbook(self, request, queryset):
        """The framework's workbook, in the layout the import reads back (one framework)."""
        import io

        from django.http import HttpResponse

        from .services import export_framework

        if queryset.count() != 1:
            self.message_user(request, _("Chọn đúng một bộ tiêu chí để tải."), messages.WARNING)
            return None
        framework = queryset.get()
        buffer = io.BytesIO()
        export_framework(framework=framework, destination=buffer)
        response = HttpResponse(buffer.getvalue(), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="{framework.code}.xlsx"'
        return response

    @admin.action(description=_("Sao chép để làm bộ tiêu chí năm mới"))
    def copy_for_new_year(self, request, queryset):
        from .services import copy_framework

        for framework in queryset:
            code = next_framework_code(framework.code)
            try:
                copy = copy_framework(framework=framework, code=code,
                                      name=f"{framework.name} ({code})")
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                continue
            self.message_user(
                request,
                _("Đã tạo bộ tiêu chí %(code)s từ %(source)s; có thể sửa bản mới.")
                % {"code": copy.code, "source": framework.code},
                messages.SUCCESS,
            )


@admin.register(models.CriterionGroup)
class CriterionGroupAdmin(FrozenFrameworkMixin, admin.ModelAdmin):
    list_display = ["code", "name", "framework", "parent", "aggregation", "weight",
                    "max_points", "order"]
    list_filter = ["framework"]
    search_fields = ["code", "name"]
    list_select_related = ["framework", "parent"]


@admin.register(models.Indicator)
class IndicatorAdmin(FrozenFrameworkMixin, admin.ModelAdmin):
    list_display = ["code", "name", "framework", "group", "value_type", "rule", "max_points",
                    "weight", "required", "evidence_required"]
    list_filter = ["framework", "rule", "value_type", "required", "evidence_required"]
    search_fields = ["code", "name", "guidance"]
    list_select_related = ["framework", "group"]
    fieldsets = (
        (None, {"fields": ("framework", "group", "code", "name", "order", "guidance")}),
        (_("Giá trị"), {"fields": ("value_type", "unit_of_measure", "min_value", "max_value",
                                   "required", "evidence_required", "applies_to", "formula")}),
        (_("Tính điểm"), {"fields": ("rule", "params", "max_points", "weight", "inverse")}),
    )


# --- Periods and submissions ----------------------------------------------------------------

class ExtensionInline(admin.TabularInline):
    model = models.Extension
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(models.Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "framework", "status", "opens_on", "deadline", "previous",
                    "submission_count"]
    list_filter = ["status", "framework"]
    search_fields = ["code", "name"]
    filter_horizontal = ["cohorts"]
    inlines = [ExtensionInline]
    list_select_related = ["framework", "previous"]
    # object tools: returns import from Excel, bulk template, import history (admin_imports)
    change_form_template = "admin/assessments/period/change_form.html"

    def get_urls(self):
        from .admin_imports import period_urls

        return period_urls(self) + super().get_urls()

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_submissions=Count("submissions"))

    @admin.display(description=_("số phiếu"), ordering="_submissions")
    def submission_count(self, obj):
        return obj._submissions


class AnswerInline(admin.TabularInline):
    model = models.Answer
    extra = 0
    fields = ["indicator", "value_number", "value_text", "explanation", "verdict",
              "adjusted_number", "adjusted_text", "review_comment"]
    readonly_fields = ["indicator"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TransitionInline(admin.TabularInline):
    model = models.SubmissionTransition
    extra = 0
    fields = ["at", "from_status", "to_status", "actor", "message"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["unit", "period", "status", "submitted_at", "approved_at", "updated_at"]
    list_filter = ["period", "status", "unit__cohort"]
    search_fields = ["unit__code", "unit__name"]
    list_select_related = ["unit", "period"]
    readonly_fields = ["period", "unit", "status", "version", "submitted_at", "approved_at",
                       "created_at", "updated_at"]
    inlines = [AnswerInline, TransitionInline]
    actions = ["approve"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Duyệt các phiếu đã chọn"))
    def approve(self, request, queryset):
        from .services import transition_submission

        done = 0
        for submission in queryset:
            try:
                transition_submission(submission=submission,
                                      to_status=models.Submission.Status.APPROVED,
                                      actor=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{submission}: {'; '.join(exc.messages)}",
                                  messages.WARNING)
        if done:
            self.message_user(
                request,
                ngettext("Đã duyệt %(n)d phiếu.", "Đã duyệt %(n)d phiếu.", done) % {"n": done},
                messages.SUCCESS,
            )


class EvidenceInline(admin.TabularInline):
    model = models.EvidenceFile
    extra = 0
    fields = ["original_name", "document_number", "document_date", "issuer", "uploaded_by",
              "uploaded_at"]
    readonly_fields = ["original_name", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["submission", "indicator", "value_number", "value_text", "verdict"]
    list_filter = ["submission__period", "verdict", "indicator__framework"]
    search_fields = ["submission__unit__name", "indicator__code", "indicator__name"]
    list_select_related = ["submission__unit", "submission__period", "indicator"]
    readonly_fields = ["submission", "indicator", "reviewed_by", "reviewed_at", "updated_at"]
    inlines = [EvidenceInline]


@admin.register(models.SubmissionTransition)
class SubmissionTransitionAdmin(admin.ModelAdmin):
    list_display = ["submission", "from_status", "to_status", "actor", "at"]
    list_filter = ["to_status", "submission__period"]
    list_select_related = ["submission__unit", "submission__period", "actor"]
    readonly_fields = ["submission", "from_status", "to_status", "actor", "at", "message"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ImportKindFilter(admin.SimpleListFilter):
    title = _("loại")
    parameter_name = "kind__exact"

    def lookups(self, request, model_admin):
        from .admin_imports import KIND_LABELS

        return list(KIND_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(models.ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    """Import history: who, when, which file (name and SHA-256), what it did."""

    list_display = ["at", "kind_label", "file_name", "short_sha256", "period_code", "actor",
                    "counts"]
    list_filter = [ImportKindFilter, "period"]
    search_fields = ["file_name", "sha256", "actor__username"]
    list_select_related = ["period", "actor"]
    readonly_fields = ["kind", "file_name", "sha256", "period", "actor", "at", "counts",
                       "summary"]

    @admin.display(description=_("loại"), ordering="kind")
    def kind_label(self, obj):
        from .admin_imports import KIND_LABELS

        return KIND_LABELS.get(obj.kind, obj.kind)

    @admin.display(description=_("kỳ"), ordering="period__code")
    def period_code(self, obj):
        return obj.period.code if obj.period else "–"

    @admin.display(description="SHA-256", ordering="sha256")
    def short_sha256(self, obj):
        return obj.sha256[:12]

    @admin.display(description=_("kết quả"))
    def counts(self, obj):
        from .admin_imports import record_counts

        return record_counts(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """History records: listed and read, never added or edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.AnswerChange)
class AnswerChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "answer", "field", "old", "new", "source", "actor"]
    list_filter = ["field", "source", "answer__submission__period"]
    search_fields = ["answer__submission__unit__name", "answer__indicator__code"]
    list_select_related = ["answer__indicator", "answer__submission__unit", "actor"]


@admin.register(models.Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["at", "submission", "outcome", "reviewer"]
    list_filter = ["outcome", "submission__period"]
    list_select_related = ["submission__unit", "submission__period", "reviewer"]


@admin.register(models.ReviewFlag)
class ReviewFlagAdmin(admin.ModelAdmin):
    list_display = ["answer", "kind", "message", "checked_by", "checked_at"]
    list_filter = ["kind", "answer__submission__period"]
    list_select_related = ["answer__indicator", "answer__submission__unit", "checked_by"]
    readonly_fields = ["answer", "kind", "message", "computed_at"]


class AppealItemInline(admin.TabularInline):
    model = models.AppealItem
    extra = 0
    fields = ["answer", "requested_number", "requested_text", "reason", "decision",
              "decision_reason", "decided_by", "decided_at"]
    readonly_fields = ["answer", "requested_number", "requested_text", "reason", "decided_by",
                       "decided_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["submission", "status", "filed_by", "filed_at", "decided_at"]
    list_filter = ["status", "submission__period"]
    list_select_related = ["submission__unit", "submission__period", "filed_by"]
    readonly_fields = ["submission", "filed_by", "filed_at", "message", "decided_at"]
    inlines = [AppealItemInline]

    def has_add_permission(self, request):
        return False
