"""The audit trail: who changed what, when, from which address, old and new values.

Rows are written by :mod:`audit.tracking` (signals on the tracked models, sign-ins and
sign-outs, permission changes) in the same transaction as the change itself, so a change
that is rolled back leaves no entry. Answers keep their own history in
``assessments.AnswerChange`` (written by the services, bulk imports included); the audit
export merges it in rather than copying it here.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Tạo mới")
        UPDATE = "update", _("Sửa")
        DELETE = "delete", _("Xoá")
        PERMISSIONS = "permissions", _("Đổi quyền")
        PASSWORD = "password", _("Đổi mật khẩu")
        LOGIN = "login", _("Đăng nhập")
        LOGIN_FAILED = "login_failed", _("Đăng nhập sai")
        LOCKED_OUT = "locked_out", _("Bị khoá đăng nhập")
        UNLOCK = "unlock", _("Mở khoá đăng nhập")
        LOGOUT = "logout", _("Đăng xuất")
        OTP_ENROLLED = "otp_enrolled", _("Bật xác thực hai bước")
        OTP_REMOVED = "otp_removed", _("Tắt xác thực hai bước")
        OTP_FAILED = "otp_failed", _("Mã xác thực sai")

    at = models.DateTimeField(_("lúc"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("người thực hiện"))
    actor_name = models.CharField(_("tên đăng nhập"), max_length=150, blank=True,
                                  help_text=_("Giữ lại cả khi tài khoản bị xoá."))
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    action = models.CharField(_("hành động"), max_length=20, choices=Action.choices,
                              db_index=True)
    content_type = models.ForeignKey(ContentType, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("loại đối tượng"))
    object_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    object_repr = models.CharField(_("đối tượng"), max_length=300, blank=True)
    changes = models.JSONField(_("thay đổi"), default=dict, blank=True,
                               help_text=_("{trường: [giá trị cũ, giá trị mới]}"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("mục nhật ký")
        verbose_name_plural = _("nhật ký hệ thống")
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '–'} {self.action} " \
               f"{self.object_repr}"
