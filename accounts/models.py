"""A user's authenticator app (TOTP second factor), optional, for reviewers and admins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TOTPDevice(models.Model):
    """One authenticator per user. Unconfirmed until the user has typed a first code;
    only a confirmed device is asked for at sign-in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE,
                                related_name="totp_device", verbose_name=_("người dùng"))
    secret = models.CharField(_("khoá bí mật"), max_length=64)
    confirmed = models.BooleanField(_("đã xác nhận"), default=False)
    last_step = models.BigIntegerField(
        _("bước thời gian đã dùng"), default=-1,
        help_text=_("Mã của bước này và các bước trước không được dùng lại."))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("ứng dụng xác thực")
        verbose_name_plural = _("ứng dụng xác thực")

    def __str__(self) -> str:
        return str(self.user)


def has_confirmed_device(user) -> bool:
    return bool(user.is_authenticated or user.pk) and TOTPDevice.objects.filter(
        user_id=user.pk, confirmed=True).exists()
