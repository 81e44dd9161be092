from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .middleware import NOT_NEEDED, OTP_STATE, REQUIRED, VERIFIED
from .models import TOTPDevice, has_confirmed_device


@receiver(user_logged_in, dispatch_uid="accounts:otp-state")
def _otp_state_at_login(sender, request, user, **kwargs):
    """A sign-in decides afresh whether the session has passed the second factor."""
    if request is None or not hasattr(request, "session"):
        return
    if getattr(request, "otp_verified", False):
        request.session[OTP_STATE] = VERIFIED
    else:
        # decided now, while the session is being written anyway, so that pages after a
        # sign-in run no extra query
        request.session[OTP_STATE] = REQUIRED if has_confirmed_device(user) else NOT_NEEDED


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="accounts:otp-removed")
def _device_removed(sender, instance, **kwargs):
    from audit.models import AuditEntry
    from audit.tracking import record

    if instance.confirmed:
        record(AuditEntry.Action.OTP_REMOVED, instance.user)
