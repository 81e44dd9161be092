#!/usr/bin/env python3
"""Back up and restore the portal: the database and the uploaded files (evidence).

    python deploy/backup.py backup [--to DIR] [--env-file FILE]
    python deploy/backup.py restore DIR [--force] [--env-file FILE]
    python deploy/backup.py checksums [--env-file FILE]

``make backup`` and ``make restore FROM=DIR`` call it. The database is the one of
``DATABASE_URL`` (read from the environment or from ``--env-file``, e.g.
/etc/ict-index/env), the files those under ``MEDIA_ROOT``.

A backup is a directory ``ict-index-YYYYmmdd-HHMMSS`` holding:

- ``database.dump``: PostgreSQL, ``pg_dump --format=custom`` (restored with pg_restore), or
  ``database.sqlite3``: SQLite, a consistent copy made with SQLite's online backup API;
- ``media.tar.gz``: every file under MEDIA_ROOT (evidence files), except workbooks waiting
  for a confirmation;
- ``manifest.json``: when, which engine, rows per table and the SHA-256 of every file, so a
  restore can be checked (``checksums`` prints the same rows-and-digests of a live database).

``restore`` refuses to write into a database that already has tables, or into a MEDIA_ROOT
that already has files, unless ``--force`` is given (PostgreSQL: objects are dropped first;
SQLite: the file is replaced). Stop the app servers before restoring.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_MEDIA = ("returns-uploads", "returns-imports")  # workbooks awaiting confirmation


def load_env_file(path: str | None) -> None:
    """KEY=VALUE lines (systemd's EnvironmentFile format) into os.environ."""
    if not path:
        return
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        os.environ[key.strip()] = value


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ict_index.settings")
    import django

    django.setup()


def _db():
    from django.conf import settings

    return settings.DATABASES["default"]


def _is_postgres(db) -> bool:
    return "postgresql" in db["ENGINE"]


def _pg_env(db) -> tuple[dict, list[str]]:
    """Environment and connection arguments of pg_dump / pg_restore / psql."""
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_files(root: Path) -> dict[str, str]:
    """relative path -> SHA-256 of every kept file under MEDIA_ROOT."""
    if not root.exists():
        return {}
    out = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] not in SKIPPED_MEDIA:
            out[relative.as_posix()] = _sha256(path)
    return out


def table_checksums(using: str = "default") -> dict[str, list]:
    """Rows and a digest of every table of the database: {table: [rows, sha256]}."""
    from django.db import connections

    connection = connections[using]
    out = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            quoted = connection.ops.quote_name(table)
            columns = connection.introspection.get_table_description(cursor, table)
            order = ", ".join(str(i) for i in range(1, len(columns) + 1))
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY {order}")  # noqa: S608
            digest = hashlib.sha256()
            rows = 0
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
                rows += 1
            out[table] = [rows, digest.hexdigest()]
    return out


def _sqlite_checksums(path: Path) -> dict[str, list]:
    """``table_checksums`` of another SQLite file, read through Django's backend (the same
    type conversions as the live database's)."""
    from django.db import connections

    alias = "backup-copy"
    connections.settings[alias] = {**connections.settings["default"], "NAME": str(path)}
    try:
        return table_checksums(alias)
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


# --- backup ---------------------------------------------------------------------------------

def backup(target: Path | None = None) -> Path:
    from django.conf import settings

    db = _db()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(target) if target else Path(os.environ.get(
        "BACKUP_DIR", Path(settings.VAR_DIR) / "backups"))
    folder = base / f"ict-index-{stamp}"
    n = 2
    while folder.exists():
        folder, n = base / f"ict-index-{stamp}-{n}", n + 1
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(parents=True)
    if _is_postgres(db):
        from django.db import connection, transaction

        env, args = _pg_env(db)
        # pg_dump reads the snapshot of this transaction, and so do the checksums: the
        # manifest describes exactly what was dumped, whatever is written meanwhile.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                            f"--snapshot={snapshot}", *args,
                            "--file", str(partial / "database.dump"), db["NAME"]],
                           env=env, check=True)
            tables = table_checksums()
        database = "database.dump"
    else:
        database = "database.sqlite3"
        if not Path(db["NAME"]).is_file():
            partial.rmdir()
            raise SystemExit(f"No SQLite database at {db['NAME']}: nothing to back up.")
        source = sqlite3.connect(str(db["NAME"]))
        copy = sqlite3.connect(str(partial / database))
        with copy:
            source.backup(copy)  # SQLite's online backup: a consistent copy
        copy.close()
        source.close()
        tables = _sqlite_checksums(partial / database)
    media_root = Path(settings.MEDIA_ROOT)
    files = media_files(media_root)
    with tarfile.open(partial / "media.tar.gz", "w:gz") as archive:
        for relative in files:
            archive.add(media_root / relative, arcname=relative, recursive=False)
    manifest = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "engine": "postgresql" if _is_postgres(db) else "sqlite",
        "database": database,
        "tables": tables,
        "media": files,
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    partial.rename(folder)
    return folder


# --- restore --------------------------------------------------------------------------------

def _database_has_tables() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        return bool(connection.introspection.table_names(cursor))


def restore(source: Path, *, force: bool = False) -> dict:
    """Restore ``source`` (a backup directory) into the configured database and MEDIA_ROOT;
    returns the manifest. The restored tables are checked against it."""
    from django.conf import settings
    from django.db import connections

    source = Path(source)
    manifest = json.loads((source / "manifest.json").read_text())
    db = _db()
    engine = "postgresql" if _is_postgres(db) else "sqlite"
    if manifest["engine"] != engine:
        raise SystemExit(f"The backup is of a {manifest['engine']} database, DATABASE_URL "
                         f"names a {engine} one: use dumpdata/loaddata to move between them.")
    media_root = Path(settings.MEDIA_ROOT)
    if not force:
        if _database_has_tables():
            raise SystemExit(f"The database {db['NAME']} is not empty: restore into an empty "
                             "database, or give --force to replace its contents.")
        if media_files(media_root):
            raise SystemExit(f"{media_root} already holds files: give --force to add the "
                             "backup's files to them.")
    connections.close_all()
    if engine == "postgresql":
        env, args = _pg_env(db)
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                   "--single-transaction", *args, "--dbname", db["NAME"]]
        if force:
            command[1:1] = ["--clean", "--if-exists"]
        subprocess.run([*command, str(source / manifest["database"])], env=env, check=True)
    else:
        target = Path(db["NAME"])
        target.parent.mkdir(parents=True, exist_ok=True)
        backup_copy = sqlite3.connect(str(source / manifest["database"]))
        live = sqlite3.connect(str(target))
        with live:
            backup_copy.backup(live)
        live.close()
        backup_copy.close()
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / "media.tar.gz", "r:gz") as archive:
        archive.extractall(media_root, filter="data")
    restored = table_checksums()
    if restored != manifest["tables"]:
        differing = sorted(t for t in set(restored) | set(manifest["tables"])
                           if restored.get(t) != manifest["tables"].get(t))
        raise SystemExit(f"Restored tables differ from the backup's manifest: {differing}")
    files = media_files(media_root)
    missing = {k for k, v in manifest["media"].items() if files.get(k) != v}
    if missing:
        raise SystemExit(f"Restored files differ from the backup's manifest: {sorted(missing)}")
    return manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", help="KEY=VALUE file read before the settings "
                        "(e.g. /etc/ict-index/env)")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a backup directory")
    make.add_argument("--to", help="folder of the backups (default $BACKUP_DIR or var/backups)")
    back = commands.add_parser("restore", help="restore a backup directory")
    back.add_argument("source")
    back.add_argument("--force", action="store_true",
                      help="replace a database that is not empty")
    commands.add_parser("checksums", help="rows and digest of every table, as JSON")
    options = parser.parse_args(argv)
    load_env_file(options.env_file)
    setup_django()
    if options.command == "backup":
        folder = backup(Path(options.to) if options.to else None)
        manifest = json.loads((folder / "manifest.json").read_text())
        rows = sum(count for count, _digest in manifest["tables"].values())
        print(f"Backup written to {folder}: {len(manifest['tables'])} tables, {rows} rows, "
              f"{len(manifest['media'])} files.")
    elif options.command == "restore":
        manifest = restore(Path(options.source), force=options.force)
        rows = sum(count for count, _digest in manifest["tables"].values())
        print(f"Restored {options.source} (made {manifest['created_at']}): "
              f"{len(manifest['tables'])} tables, {rows} rows, {len(manifest['media'])} files, "
              "all identical to the backup.")
    else:
        print(json.dumps(table_checksums(), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
