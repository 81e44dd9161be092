"""Hardening: security headers and the Content-Security-Policy, no inline script or style in
the templates, CSRF on every POST, evidence never under a public URL, no secret in the
repository, `check --deploy` clean with production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.http import HttpResponseForbidden
from django.test import Client
from django.urls import get_resolver

from assessments.models import User

ROOT = Path(__file__).resolve().parents[2]


def csrf_refused(request, reason=""):
    return HttpResponseForbidden(b"csrf-refused")


# --- headers ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_pages_carry_the_policy_and_the_security_headers(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["base-uri"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_downloads_get_a_sandbox_policy():
    from django.http import HttpResponse

    from ict_index.security_headers import SecurityHeadersMiddleware

    def download(request):
        reply = HttpResponse(b"a,b\n", content_type="text/csv")
        reply["Content-Disposition"] = 'attachment; filename="x.csv"'
        return reply

    response = SecurityHeadersMiddleware(download)(None)
    assert response["Content-Security-Policy"] == \
        "default-src 'none'; frame-ancestors 'none'; sandbox"
    assert "Permissions-Policy" in response


def test_an_html_attachment_is_not_a_page():
    from django.http import HttpResponse

    from ict_index.security_headers import SecurityHeadersMiddleware

    def view(request):
        reply = HttpResponse(b"<script>alert(1)</script>", content_type="text/html")
        reply["Content-Disposition"] = 'attachment; filename="x.html"'
        return reply

    assert "sandbox" in SecurityHeadersMiddleware(view)(None)["Content-Security-Policy"]


def test_check_deploy_with_the_documented_production_variables():
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "ict_index.settings", "DEBUG": "0",
                "SECRET_KEY": "k" * 30 + "-a-long-production-secret-0123456789-xyz",
                "ALLOWED_HOSTS": "ictindex.example.gov.vn", "BEHIND_PROXY": "1",
                "CSRF_TRUSTED_ORIGINS": "https://ictindex.example.gov.vn"})
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                          "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


# --- no inline script or style ----------------------------------------------------------------

TEMPLATE_DIRS = [ROOT / "templates", ROOT / "audit" / "templates"]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_have_no_inline_script_or_style():
    problems = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for pattern, what in INLINE:
                for match in pattern.finditer(text):
                    if what == "inline <script>" and 'type="application/json"' in match.group(0):
                        continue  # data, not code
                    problems.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)}")
    assert not problems, "\n".join(problems)


def test_python_html_has_no_style_attribute():
    problems = []
    for app in ("assessments", "rankings", "accounts", "audit", "ict_index"):
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"""<[a-z][^>]*\sstyle=""", line):
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not problems, "\n".join(problems)


# --- CSRF -------------------------------------------------------------------------------------

def _sample_urls():
    urls = set()
    for _view, regex, _namespace, _name in extract_views_from_urlpatterns(
            get_resolver().url_patterns):
        url = simplify_regex(regex)
        url = re.sub(r"<[^>]+>", "1", url)
        urls.add(url.replace("//", "/"))
    return sorted(urls)


def test_no_view_is_exempt_from_csrf():
    exempt = [f"{view.__module__}.{getattr(view, '__name__', view)}"
              for view, *_ in extract_views_from_urlpatterns(get_resolver().url_patterns)
              if getattr(view, "csrf_exempt", False)]
    assert exempt == []


@pytest.mark.django_db
def test_every_post_without_the_token_is_refused(settings):
    settings.CSRF_FAILURE_VIEW = "ict_index.tests.test_security.csrf_refused"
    admin = User.objects.create_user("quantri", "a@example.gov.vn", "Quản-trị-2026!",
                                     role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    anonymous, signed_in = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    signed_in.force_login(admin)
    urls = _sample_urls()
    assert len(urls) > 50 and "/login/" in urls and "/mat-khau/quen/" in urls
    accepted = []
    for url in urls:
        for client in (anonymous, signed_in):
            response = client.post(url, {"username": "quantri", "password": "x",
                                         "email": "a@example.gov.vn"})
            if response.status_code == 404:
                continue  # a sample value that names nothing: nothing to post to
            if response.content != b"csrf-refused":
                accepted.append(f"{url}: {response.status_code}")
    assert not accepted, "\n".join(accepted)


# --- uploads and secrets ----------------------------------------------------------------------

def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False


def test_evidence_is_stored_outside_the_web_root_and_never_served_by_url(client, db):
    media = Path(settings.MEDIA_ROOT)
    for public in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS),
                   ROOT / "templates"]:
        assert not _inside(media, public)
    folder = media / "evidence" / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / ("ab" + "0" * 62)
    secret.write_bytes(b"%PDF-1.4 unpublished")
    try:
        for url in (f"{settings.MEDIA_URL}evidence/ab/{secret.name}",
                    f"/media/evidence/ab/{secret.name}", f"/evidence/ab/{secret.name}",
                    f"/static/evidence/ab/{secret.name}"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert b"unpublished" not in b"".join(getattr(response, "streaming_content", [
                response.content]))
    finally:
        secret.unlink()
    assert not any(settings.MEDIA_URL.strip("/") in url for url in _sample_urls())


SECRETS = [
    re.compile(r"""SECRET_KEY\s*=\s*['"][^'"]{8,}['"]"""),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"://[A-Za-z0-9_.-]+:[^@/\s'\"]+@"),
    re.compile(r"""(?i)(api[_-]?key|auth[_-]?token)\s*[=:]\s*['"][A-Za-z0-9_\-]{16,}['"]"""),
]
#: Values that say they are placeholders or test values, not secrets.
PLACEHOLDER = re.compile(r"(?i)change-?me|example|test|dummy|placeholder|:pass@|:password@|"
                         r":…@|:\.\.\.@|:\$|:<|:\{")


def test_the_secret_scan_finds_a_real_looking_key():
    leaked = ("SECRET" + '_KEY = "q8w7e6r5t4y3u2i1o0p9"\n'  # split, or this file would match
              "DATABASE_URL=postgres://ict:" + "Zr8!kq2@db/x")
    found = [m.group(0) for p in SECRETS for m in p.finditer(leaked)
             if not PLACEHOLDER.search(m.group(0))]
    assert len(found) == 2


def test_no_secret_in_the_repository():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    problems = []
    for name in filter(None, files):
        path = ROOT / name
        if not path.is_file() or path.suffix in {".xlsx", ".png", ".mo", ".pdf", ".ttf"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for pattern in SECRETS:
            for match in pattern.finditer(text):
                if not PLACEHOLDER.search(match.group(0)):
                    problems.append(f"{name}: {match.group(0)[:60]}")
    assert not problems, "\n".join(problems)
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/secret_key"], cwd=ROOT)
    assert ignored.returncode == 0, "var/ (the generated SECRET_KEY) must stay out of git"
