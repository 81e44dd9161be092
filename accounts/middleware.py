"""The second factor holds for every page, the admin included.

A session of a user with a confirmed authenticator counts only if the code was given at
sign-in (the sign-in view marks the session). Any other way in (a session made before the
device was confirmed elsewhere, Django's admin login, a test's force_login) is signed
out and sent to the sign-in page. The state is kept in the session: one query per session,
not per request.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

from .models import has_confirmed_device

OTP_STATE = "_otp_state"
VERIFIED, NOT_NEEDED, REQUIRED = "verified", "none", "required"


class OTPSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            state = request.session.get(OTP_STATE)
            if state is None:
                state = REQUIRED if has_confirmed_device(user) else NOT_NEEDED
                request.session[OTP_STATE] = state
            if state == REQUIRED:
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
