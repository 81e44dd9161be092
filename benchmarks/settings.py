"""Settings of the benchmark workers: the production settings (DEBUG off, the cached template
loader, the same middleware) with three changes for an in-process client over plain HTTP.

- no HTTPS redirect and no secure-only cookies (Django's test ``Client`` speaks HTTP);
- ``testserver`` (the test ``Client``'s host) is allowed;
- static files through the plain storage: the manifest storage needs ``collectstatic`` and
  only adds a dictionary look-up per ``{% static %}``.

The database is the scratch one of ``DATABASE_URL``, which ``run.py`` sets before Django
starts; ``SECRET_KEY`` and ``VAR_DIR`` come from the environment too, so that nothing is
written into the project's ``var/``.
"""

from ict_index.settings import *  # noqa: F401,F403
from ict_index.settings import ALLOWED_HOSTS

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The benchmarks sign in with the test Client's login(), which passes no request: django-axes'
# production backend refuses that (accounts/backends.py). Form sign-ins are checked as usual.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackendForTests",
    "django.contrib.auth.backends.ModelBackend",
]
