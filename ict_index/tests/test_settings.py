"""Settings come from the environment with safe production defaults."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _run_settings(env_overrides: dict[str, str], expression: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "CACHE_URL"}}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "ict_index.settings"
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_vietnamese_is_the_default_language_and_english_the_second():
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_debug_is_off_unless_set():
    assert _run_settings({}, "settings.DEBUG") == "False"
    assert _run_settings({"DEBUG": "1"}, "settings.DEBUG") == "True"


def test_database_url_defaults_to_sqlite_file_in_project_folder():
    engine_name = _run_settings({}, "settings.DATABASES['default']['ENGINE'], "
                                "settings.DATABASES['default']['NAME']")
    assert "sqlite3" in engine_name and str(ROOT / "db.sqlite3") in engine_name
    pg = _run_settings({"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"},
                       "settings.DATABASES['default']['ENGINE']")
    assert "postgresql" in pg


def test_cache_is_local_memory_by_default_and_redis_when_set():
    assert "LocMemCache" in _run_settings({}, "settings.CACHES['default']['BACKEND']")
    redis = _run_settings({"CACHE_URL": "redis://127.0.0.1:6379/1"},
                          "settings.CACHES['default']['BACKEND']")
    assert "RedisCache" in redis


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "ict_index.settings",
                "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-check-0123456789"})
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                          "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
