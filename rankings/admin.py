"""Admin for ranking snapshots: read-only records; publishing goes through the service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from assessments.models import Framework, Indicator

from .models import IndicatorCrosswalk, RankingSnapshot, Scenario


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(admin.ModelAdmin):
    list_display = ["period", "number", "computed_at", "computed_by", "units_count",
                    "published_at", "is_public"]
    list_filter = ["period", "is_public"]
    list_select_related = ["period", "computed_by"]
    readonly_fields = ["period", "number", "framework_code", "inputs_digest", "computed_at",
                       "computed_by", "published_at", "published_by", "is_public", "note",
                       "units_count"]
    actions = ["publish"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Published results never disappear; unpublished previews may be discarded.
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Công bố kết quả đã chọn"))
    def publish(self, request, queryset):
        from .services import publish_snapshot

        for snapshot in queryset:
            try:
                publish_snapshot(snapshot=snapshot, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{snapshot}: {'; '.join(exc.messages)}",
                                  messages.ERROR)
            else:
                self.message_user(request, _("Đã công bố %(s)s.") % {"s": snapshot},
                                  messages.SUCCESS)


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "period", "created_by", "updated_at"]
    list_filter = ["period"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_by", "created_at", "updated_at"]


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.framework.code} · {obj.code} – {obj.name}"


class IndicatorCrosswalkForm(forms.ModelForm):
    """Indicators named by framework, code and name; the two must be of different
    frameworks."""

    source = IndicatorChoiceField(
        Indicator.objects.select_related("framework").order_by("framework__code", "order",
                                                               "code"),
        label=_("tiêu chí năm trước"),
        help_text=_("Tiêu chí của bộ tiêu chí cũ có số liệu được dùng."))
    target = IndicatorChoiceField(
        Indicator.objects.select_related("framework").order_by("framework__code", "order",
                                                               "code"),
        label=_("tiêu chí năm nay"),
        help_text=_("Tiêu chí của bộ tiêu chí mới nhận số liệu đó."))

    class Meta:
        model = IndicatorCrosswalk
        fields = ["source", "target", "factor", "note"]
        help_texts = {"factor": _("Số liệu năm trước được nhân với hệ số này (1 nếu cùng "
                                  "đơn vị đo; 100 nếu từ tỷ lệ 0–1 sang phần trăm).")}

    def clean(self):
        data = super().clean()
        source, target = data.get("source"), data.get("target")
        if source and target and source.framework_id == target.framework_id:
            raise ValidationError(_("Hai tiêu chí phải thuộc hai bộ tiêu chí khác nhau."))
        return data


class CrosswalkFillForm(forms.Form):
    source_framework = forms.ModelChoiceField(Framework.objects.order_by("code"),
                                              label=_("Bộ tiêu chí năm trước"))
    target_framework = forms.ModelChoiceField(Framework.objects.order_by("code"),
                                              label=_("Bộ tiêu chí năm nay"))
    rows = forms.CharField(
        label=_("Các dòng đối chiếu"), widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=_("Mỗi dòng: mã tiêu chí năm trước, mã tiêu chí năm nay, hệ số (tuỳ chọn), "
                    "ghi chú (tuỳ chọn); phân cách bằng dấu phẩy, chấm phẩy hoặc tab (dán "
                    "thẳng từ Excel). Tiêu chí cùng mã ở hai năm tự nối, không cần khai."))
    replace = forms.BooleanField(label=_("Xoá các dòng đối chiếu cũ giữa hai bộ tiêu chí "
                                         "trước khi lưu"), required=False)


@admin.register(IndicatorCrosswalk)
class IndicatorCrosswalkAdmin(admin.ModelAdmin):
    form = IndicatorCrosswalkForm
    list_display = ["source", "target", "source_framework", "target_framework", "factor",
                    "note"]
    list_filter = ["source__framework", "target__framework"]
    search_fields = ["source__code", "target__code", "source__name", "target__name", "note"]
    list_select_related = ["source__framework", "target__framework"]
    change_list_template = "admin/rankings/indicatorcrosswalk/change_list.html"

    @admin.display(description=_("bộ tiêu chí năm trước"), ordering="source__framework__code")
    def source_framework(self, obj):
        return obj.source.framework.code

    @admin.display(description=_("bộ tiêu chí năm nay"), ordering="target__framework__code")
    def target_framework(self, obj):
        return obj.target.framework.code

    def get_urls(self):
        return [path("dien-hang-loat/", self.admin_site.admin_view(self.fill_view),
                     name="rankings_indicatorcrosswalk_fill"), *super().get_urls()]

    def fill_view(self, request):
        """Fill the crosswalk between two frameworks from pasted lines, all or nothing."""
        from .analysis_services import fill_crosswalk

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CrosswalkFillForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                rows = fill_crosswalk(source_framework=form.cleaned_data["source_framework"],
                                      target_framework=form.cleaned_data["target_framework"],
                                      text=form.cleaned_data["rows"],
                                      replace=form.cleaned_data["replace"])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("rows", message)
            else:
                self.message_user(request, _("Đã lưu %(n)s dòng đối chiếu.") % {"n": len(rows)},
                                  messages.SUCCESS)
                return redirect("admin:rankings_indicatorcrosswalk_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "form": form, "title": _("Điền bảng đối chiếu hàng loạt")}
        return TemplateResponse(request, "admin/rankings/indicatorcrosswalk/fill.html",
                                context)
