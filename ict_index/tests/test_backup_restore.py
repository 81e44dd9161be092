"""A backup restored into an empty database gives identical data, identical published
rankings (export_rankings byte for byte) and identical evidence files.

Runs ``deploy/backup.py`` as ``make backup`` / ``make restore`` do, in separate processes,
on databases of its own (not the test database): the demo is loaded into a fresh one,
evidence files are attached, the backup is restored into a second, empty one. SQLite always;
PostgreSQL when the suite runs on it (DATABASE_URL=postgres://...).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]

ADD_EVIDENCE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from assessments import services
from assessments.demo.plan import OPEN
from assessments.models import Period, User
period = Period.objects.get(code=OPEN.code)
staff = User.objects.filter(role="unit_staff", unit__cohort__in=period.cohorts.all()).order_by(
    "username").first()
submission = services.start_submission(period=period, unit=staff.unit, actor=staff)
code = next(i.code for i in services.form_indicators(submission) if not i.is_derived)
for n in (1, 2):
    services.attach_evidence(
        submission=submission, indicator_code=code, actor=staff, document_number=f"{n}/QD",
        upload=SimpleUploadedFile(f"quyet-dinh-{n}.pdf",
                                  b"%PDF-1.4\\n%% evidence " + bytes([n]) * 64 + b"\\n%%EOF\\n"))
print(submission.pk)
"""

EXPORT_RANKINGS = """
import sys
import zipfile
from django.core.management import call_command
from rankings.models import RankingSnapshot
for code in sorted(RankingSnapshot.objects.filter(is_public=True)
                   .values_list("period__code", flat=True)):
    for ext in ("csv", "json", "xlsx"):
        call_command("export_rankings", period=code, output=f"{sys.argv[-1]}/{code}.{ext}")
"""


def _env(database_url: str, media: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "VAR_DIR"}}
    env.update(DJANGO_SETTINGS_MODULE="ict_index.settings", DEBUG="1",
               DATABASE_URL=database_url, MEDIA_ROOT=str(media),
               SECRET_KEY="backup-test-" + "x" * 40, PYTHONPATH=str(ROOT))
    return env


def _run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n"
                    f"{done.stderr[-4000:]}")
    return done


def _exports(env: dict, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    _run(env, "manage.py", "shell", "-c", EXPORT_RANKINGS.replace("sys.argv[-1]",
                                                                   repr(str(folder))))
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if name != "docProps/core.xml"}


def _media(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):
    """(source URL, target URL): the target empty (no tables)."""
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'source.sqlite3'}",
               f"sqlite:///{tmp_path / 'restored.sqlite3'}")
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        pytest.skip("the PostgreSQL backup (pg_dump/pg_restore) needs a server: run the "
                    "suite with DATABASE_URL=postgres://...")
    import psycopg2

    parts = urlsplit(base)
    stem = (parts.path.lstrip("/") or "ict_index") + f"_backup_{os.getpid()}"
    names = (f"{stem}_source", f"{stem}_restored")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(urlunsplit(parts._replace(path=f"/{name}")) for name in names)
    finally:
        with admin.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_restore_into_an_empty_database_is_identical(databases, tmp_path):
    source_url, target_url = databases
    source = _env(source_url, tmp_path / "media-source")
    target = _env(target_url, tmp_path / "media-restored")
    _run(source, "manage.py", "migrate", "--noinput", "-v0")
    _run(source, "manage.py", "load_demo")
    _run(source, "manage.py", "shell", "-c", ADD_EVIDENCE)

    made = _run(source, "deploy/backup.py", "backup", "--to", str(tmp_path / "backups"))
    assert "Backup written to" in made.stdout
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["media"]) == 2  # the two evidence files

    restored = _run(target, "deploy/backup.py", "restore", str(folder))
    assert "all identical to the backup" in restored.stdout

    # identical data: every table, rows and digest, read afresh from both databases
    before = json.loads(_run(source, "deploy/backup.py", "checksums").stdout)
    after = json.loads(_run(target, "deploy/backup.py", "checksums").stdout)
    assert before == after
    assert before["assessments_evidencefile"][0] == 2
    assert before["rankings_unitresult"][0] > 100

    # identical published rankings: CSV and JSON byte for byte; Excel member by member but
    # for docProps/core.xml (the archive and that member carry the time the file was written)
    exported = _exports(source, tmp_path / "exports-source")
    assert len(exported) == 4 * 3  # four published periods of the demo
    again = _exports(target, tmp_path / "exports-restored")
    assert again.keys() == exported.keys()
    for name, content in exported.items():
        if name.endswith(".xlsx"):
            assert _members(again[name]) == _members(content), name
        else:
            assert again[name] == content, name

    # identical evidence files
    assert _media(tmp_path / "media-restored") == _media(tmp_path / "media-source")
    assert len(_media(tmp_path / "media-source")) == 2

    # a second restore into the now filled database is refused without --force
    again = _run(target, "deploy/backup.py", "restore", str(folder), check=False)
    assert again.returncode != 0 and "not empty" in again.stderr
