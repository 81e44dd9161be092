"""The audit trail in the admin: read-only, filtered by model, action, actor and date,
exported as CSV or XLSX with the filters of the list."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from assessments.access import is_portal_admin

from . import export
from .models import AuditEntry

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "content_type", "object_repr", "ip",
                    "changed_fields"]
    list_filter = [("content_type", admin.RelatedOnlyFieldListFilter), "action",
                   ("actor", admin.RelatedOnlyFieldListFilter), "at"]
    date_hierarchy = "at"
    search_fields = ["object_repr", "actor_name", "ip", "object_id"]
    list_select_related = ["content_type"]
    readonly_fields = ["at", "actor", "actor_name", "ip", "action", "content_type",
                       "object_id", "object_repr", "changes_table"]
    fields = readonly_fields
    change_list_template = "admin/audit/auditentry/change_list.html"

    # Only the portal's admins read the trail; nobody writes or deletes it by hand.
    def has_view_permission(self, request, obj=None):
        return is_portal_admin(request.user)

    def has_module_permission(self, request):
        return is_portal_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("các trường thay đổi"))
    def changed_fields(self, obj):
        return ", ".join(obj.changes) if obj.changes else "–"

    @admin.display(description=_("thay đổi"))
    def changes_table(self, obj):
        if not obj.changes:
            return "–"
        rows = format_html_join(
            "", "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            ((field, *(export._text(v) for v in (value if isinstance(value, list)
                                                  and len(value) == 2 else (None, value))))
             for field, value in obj.changes.items()))
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>", _("trường"), _("giá trị cũ"), _("giá trị mới"), rows)

    def get_urls(self):
        urls = super().get_urls()
        export_url = path("export/<str:fmt>/", self.admin_site.admin_view(self.export_view),
                          name="audit_auditentry_export")
        return [export_url, *urls]

    def export_view(self, request, fmt: str):
        if fmt not in CONTENT_TYPES:
            raise PermissionDenied
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        entries = changelist.get_queryset(request).select_related("content_type")
        filters = {
            "at__gte": request.GET.get("at__gte"),
            "at__lt": request.GET.get("at__lt"),
            "actor": request.GET.get("actor__id__exact"),
            "action": request.GET.get("action__exact"),
            "content_type": _int(request.GET.get("content_type__id__exact")),
        }
        if request.GET.get("q"):
            changes = []  # a search narrows the trail's own entries only
        else:
            changes = export.answer_changes_for(filters)
        for key in ("at__year", "at__month", "at__day"):
            if request.GET.get(key) and changes:
                changes = changes.filter(**{key: request.GET[key]})
        table = export.rows(entries, changes)
        content = export.to_csv(table) if fmt == "csv" else export.to_xlsx(table)
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="nhat-ky-{stamp}.{fmt}"'
        return response


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
