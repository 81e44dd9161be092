"""Admin: authenticator apps (an admin deletes one when a phone is lost) and the "unlock
sign-in" action on users (django-axes' own list of attempts works too)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assessments.access import is_portal_admin

from .models import TOTPDevice


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "confirmed", "confirmed_at", "created_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "confirmed", "confirmed_at", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return is_portal_admin(request.user)


@admin.action(description=_("Mở khoá đăng nhập cho các tài khoản đã chọn"))
def unlock_sign_in(modeladmin, request, queryset):
    from axes.utils import reset

    removed = sum(reset(username=user.get_username()) for user in queryset)
    modeladmin.message_user(
        request, ngettext("Đã mở khoá: xoá %(n)d bản ghi đăng nhập sai.",
                          "Đã mở khoá: xoá %(n)d bản ghi đăng nhập sai.", removed)
        % {"n": removed}, messages.SUCCESS)


def _add_unlock_action() -> None:
    user_admin = admin.site._registry.get(get_user_model())
    if user_admin is not None and unlock_sign_in not in (user_admin.actions or []):
        user_admin.actions = [*(user_admin.actions or []), unlock_sign_in]


_add_unlock_action()
