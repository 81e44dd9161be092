"""Admin for ranking snapshots: read-only records; publishing goes through the service."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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


@admin.register(IndicatorCrosswalk)
class IndicatorCrosswalkAdmin(admin.ModelAdmin):
    list_display = ["source", "target", "factor", "note"]
    list_filter = ["source__framework", "target__framework"]
    search_fields = ["source__code", "target__code", "note"]
    list_select_related = ["source__framework", "target__framework"]
    raw_id_fields = ["source", "target"]
