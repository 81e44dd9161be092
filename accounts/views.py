"""Sign-in with an optional second factor, the account page, password change and reset,
and the authenticator enrolment of reviewers and admins."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from assessments.access import is_reviewer, reviewer_required
from audit.models import AuditEntry
from audit.tracking import record

from . import totp
from .forms import CodeForm, RemoveDeviceForm
from .middleware import OTP_STATE, VERIFIED
from .models import TOTPDevice, has_confirmed_device

PENDING = "_otp_pending"
#: Seconds between the password and the code; wrong codes allowed before starting again.
PENDING_SECONDS = 300
MAX_CODE_TRIES = 5
ISSUER = "Chỉ số ICT"


class LoginView(auth_views.LoginView):
    """Django's sign-in; a user with a confirmed authenticator is asked for a code next."""

    def form_valid(self, form):
        user = form.get_user()
        if not has_confirmed_device(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk, "backend": user.backend, "at": time.time(), "tries": 0,
            "next": self.get_success_url(),
        }
        return HttpResponseRedirect(reverse("otp_verify"))


def _pending(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return pending


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The second step of a sign-in: the code of the user's authenticator app."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Phiên đăng nhập đã hết hạn, xin đăng nhập lại."))
        return redirect("login")
    user = get_user_model()._base_manager.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("login")
    credentials = {"username": user.get_username()}
    if not _sign_in_allowed(request, credentials):
        request.session.pop(PENDING, None)
        request.axes_locked_out = True  # AxesMiddleware answers with the lock-out page
        return render(request, "registration/otp_verify.html", {"form": CodeForm()})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().filter(
                user=user, confirmed=True).first()
            step = device and totp.match(device.secret, form.cleaned_data["code"],
                                         after_step=device.last_step)
            if step is not None and device is not None:
                device.last_step = step
                device.save(update_fields=["last_step"])
        if device is None:  # removed meanwhile: the password was enough
            step = 0
        if step is not None:
            request.session.pop(PENDING, None)
            request.otp_verified = True
            login(request, user, backend=pending["backend"])
            request.session[OTP_STATE] = VERIFIED
            target = pending.get("next") or settings.LOGIN_REDIRECT_URL
            if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                   require_https=request.is_secure()):
                target = settings.LOGIN_REDIRECT_URL
            return HttpResponseRedirect(target)
        pending["tries"] += 1
        record(AuditEntry.Action.OTP_FAILED, user, actor_name=user.get_username(),
               changes={"tries": [pending["tries"] - 1, pending["tries"]]})
        # A wrong code counts as a failed sign-in: the lock-out bounds code guessing as it
        # bounds password guessing (the count is reset only by a complete sign-in).
        request.otp_failure = True
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
            return render(request, "registration/otp_verify.html", {"form": form})
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING, None)
            messages.error(request, _("Nhập sai mã quá nhiều lần. Xin đăng nhập lại."))
            return redirect("login")
        request.session[PENDING] = pending
        form.add_error("code", _("Mã không đúng hoặc đã được dùng. Xin nhập mã mới nhất "
                                 "trong ứng dụng xác thực."))
    return render(request, "registration/otp_verify.html", {"form": form})


def _sign_in_allowed(request, credentials) -> bool:
    if not getattr(settings, "AXES_ENABLED", False):
        return True
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_allowed(request, credentials)


def admin_login(request):
    """The admin's own sign-in page would skip the second factor: use the portal's."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{_query(next=target)}")


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


#: What the account page lists as the account's recent sign-in activity.
SIGN_IN_ACTIONS = (AuditEntry.Action.LOGIN, AuditEntry.Action.LOGIN_FAILED,
                   AuditEntry.Action.LOCKED_OUT, AuditEntry.Action.OTP_FAILED,
                   AuditEntry.Action.UNLOCK, AuditEntry.Action.PASSWORD)


@login_required
def account(request):
    """The user's own account: role, password and second factor, and the last sign-ins
    (and failed ones) with their addresses, so that a stranger's attempt gets noticed."""
    from django.contrib.contenttypes.models import ContentType

    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    recent = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(request.user._meta.model),
        object_id=str(request.user.pk), action__in=SIGN_IN_ACTIONS).order_by("-at", "-pk")[:10]
    return render(request, "accounts/account.html", {
        "device": device, "may_use_otp": is_reviewer(request.user), "recent": recent})


@sensitive_post_parameters("code", "password")
@never_cache
@reviewer_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Reviewers and admins add an authenticator app: scan the code (or type the key),
    then confirm with the first code the app shows. Removing it asks for the password."""
    device = TOTPDevice.objects.filter(user=request.user).first()
    if device is not None and device.confirmed:
        form = RemoveDeviceForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if not request.user.check_password(form.cleaned_data["password"]):
                form.add_error("password", _("Mật khẩu không đúng."))
            else:
                device.delete()
                messages.success(request, _("Đã tắt xác thực hai bước."))
                return redirect("account")
        return render(request, "accounts/otp_setup.html", {"device": device, "form": form})
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, secret=totp.new_secret())
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = totp.match(device.secret, form.cleaned_data["code"])
        if step is None:
            form.add_error("code", _("Mã không đúng. Kiểm tra giờ của điện thoại và nhập "
                                     "mã mới nhất."))
        else:
            device.confirmed, device.last_step = True, step
            device.confirmed_at = timezone.now()
            device.save(update_fields=["confirmed", "last_step", "confirmed_at"])
            request.session[OTP_STATE] = VERIFIED
            record(AuditEntry.Action.OTP_ENROLLED, request.user)
            messages.success(request, _("Đã bật xác thực hai bước. Từ lần đăng nhập sau, "
                                        "bạn sẽ được hỏi mã của ứng dụng xác thực."))
            return redirect("account")
    uri = totp.provisioning_uri(device.secret, request.user.get_username(), ISSUER)
    return render(request, "accounts/otp_setup.html", {
        "form": form, "secret": " ".join(device.secret[i:i + 4]
                                         for i in range(0, len(device.secret), 4)),
        "uri": uri, "qr": totp.qr_svg(uri)})


#: Reset e-mails to one address per hour at most: nobody can flood a colleague's inbox.
RESET_MAILS_PER_HOUR = 3


def _reset_mail_allowed(email: str) -> bool:
    key = "password-reset:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()
    cache.add(key, 0, 3600)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        sent = 1
    return sent <= RESET_MAILS_PER_HOUR


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail. The link starts with ``settings.SITE_URL`` (the portal's
    address as users reach it), never with the request's Host header, so a forged
    request cannot send a user a link to another site; the message says how long the
    link lasts."""

    def form_valid(self, form):
        if not _reset_mail_allowed(form.cleaned_data["email"]):
            # the same answer as always: nothing tells whether a mail went out
            return HttpResponseRedirect(self.get_success_url())
        site = urlsplit(str(getattr(settings, "SITE_URL", "") or ""))
        form.save(
            domain_override=site.netloc or None,
            use_https=site.scheme == "https" if site.netloc else self.request.is_secure(),
            token_generator=self.token_generator, from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name, request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context=self.extra_email_context)
        return HttpResponseRedirect(self.get_success_url())

    @property
    def extra_email_context(self):
        return {"hours": max(1, round(settings.PASSWORD_RESET_TIMEOUT / 3600))}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password set by e-mail also lifts a sign-in lock-out of the account."""

    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        if "axes" in settings.INSTALLED_APPS:
            from axes.utils import reset

            if reset(username=form.user.get_username()):
                record(AuditEntry.Action.UNLOCK, form.user, actor_name=form.user.get_username(),
                       changes={"password_reset": [None, True]})
        return response
