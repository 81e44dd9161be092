"""The deployment files (deploy/) and the production settings they rely on.

The files themselves are exercised by ``deploy/smoke.sh`` (two gunicorn app servers, Redis
and Debian's nginx against one PostgreSQL database); these tests keep them consistent with
the settings.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _settings(env: dict[str, str], expression: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "DATABASE_URL", "CACHE_URL", "BEHIND_PROXY",
                          "USE_X_FORWARDED_HOST", "IMPORT_MAX_FILE_BYTES"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="ict_index.settings")
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_sessions_live_in_redis_and_the_database_when_redis_is_the_cache():
    assert _settings({}, "settings.SESSION_ENGINE") == "django.contrib.sessions.backends.db"
    assert _settings({"CACHE_URL": "redis://127.0.0.1:6379/1"}, "settings.SESSION_ENGINE") \
        == "django.contrib.sessions.backends.cached_db"


def test_proxy_headers_are_trusted_only_when_configured():
    expression = "settings.SECURE_PROXY_SSL_HEADER, settings.USE_X_FORWARDED_HOST"
    assert _settings({}, expression) == "None False"
    assert _settings({"BEHIND_PROXY": "1", "USE_X_FORWARDED_HOST": "1"}, expression) \
        == "('HTTP_X_FORWARDED_PROTO', 'https') True"


def _nginx_bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", size).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit.lower()]


def test_nginx_takes_the_largest_upload_the_portal_accepts():
    conf = (DEPLOY / "nginx-ict-index.conf").read_text()
    (size,) = re.findall(r"^\s*client_max_body_size\s+(\S+);", conf, re.M)
    accepted = int(_settings({}, "settings.IMPORT_MAX_FILE_BYTES"))
    evidence = int(_settings({}, "__import__('assessments.evidence').evidence.max_bytes()"))
    assert _nginx_bytes(size) > max(accepted, evidence)
    example = dict(line.split("=", 1) for line in (DEPLOY / "env.example").read_text()
                   .splitlines() if line and not line.startswith("#"))
    assert _nginx_bytes(size) > int(example["IMPORT_MAX_FILE_BYTES"])


def test_nginx_passes_what_the_portal_trusts_to_every_app_server():
    conf = (DEPLOY / "nginx-ict-index.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    # the client's address is the last X-Forwarded-For entry (audit.context.client_ip)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert re.search(r"upstream ict_index_app \{[^}]*server 127\.0\.0\.1:8001", conf)
    assert "proxy_pass http://ict_index_app;" in conf


def test_every_setting_of_the_env_example_is_documented():
    documented = (ROOT / "docs" / "configuration.md").read_text()
    keys = [line.split("=", 1)[0] for line in (DEPLOY / "env.example").read_text().splitlines()
            if line and not line.startswith("#")]
    missing = [k for k in keys if f"`{k}`" not in documented]
    assert not missing, f"deploy/env.example sets variables docs/configuration.md lacks: {missing}"


def test_gunicorn_listens_on_loopback_by_default():
    config: dict = {"__file__": str(DEPLOY / "gunicorn.conf.py")}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), config)
    assert config["bind"] == ["127.0.0.1:8001"]
    assert config["wsgi_app"] == "ict_index.wsgi:application"
    assert Path(config["chdir"]) == ROOT


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_systemd_unit_verifies(tmp_path):
    """``systemd-analyze verify`` on the unit, with the install path pointing here (it
    checks that ExecStart exists): no unknown key, no value it cannot parse."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    unit = (DEPLOY / "ict-index.service").read_text().replace(
        "/srv/ict-index/app/.venv/bin/gunicorn", str(gunicorn)).replace(
        "/srv/ict-index/app", str(ROOT))
    (tmp_path / "ict-index.service").write_text(unit)
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "ict-index.service")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
