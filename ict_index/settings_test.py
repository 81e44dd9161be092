"""Settings for the test suite: the production settings with plain HTTP and fast hashing."""

from .settings import *  # noqa: F401,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Client.login() authenticates without a request, which django-axes refuses; the login
# form (and every browser test) still goes through the lock-out (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackendForTests",
    "django.contrib.auth.backends.ModelBackend",
]
