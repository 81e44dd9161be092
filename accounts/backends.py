"""Authentication backends.

Production uses django-axes' ``AxesStandaloneBackend`` (settings.py), which refuses any
``authenticate()`` call without a request. The test settings use
:class:`LockoutBackendForTests`, which lets request-less calls (Django's
``Client.login()``) through unchecked, so the suite's logins keep working while every
sign-in through the login form still goes through the lock-out exactly as in production.
"""

from axes.backends import AxesStandaloneBackend


class LockoutBackendForTests(AxesStandaloneBackend):
    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
