"""Bulk import of returns at scale (issue 8 §3): 10,000 units × 100 indicators on PostgreSQL.

    .venv/bin/python benchmarks/bulk_import.py [--units 10000] [--keep] [--no-write]

What it does, in one run:

1. Writes (once; cached under the system's temp directory, ``ict-bulk-import/``) the units,
   the framework (``benchmarks.synthetic``: 100 answered indicators) and two wide returns
   workbooks with openpyxl's write-only mode: the returns of ``--units`` units, and the
   same file with 1 % of its values changed.
2. Creates a scratch PostgreSQL database (``BULK_POSTGRES_URL``, default
   ``postgres://postgres@127.0.0.1:5432/ict_bulk``), migrates it, imports the units and the
   framework and creates an open period ``BULK`` (not measured).
3. Measures the *floor* three times: reading every cell of the returns workbook with
   python-calamine, and PostgreSQL ``COPY`` of the same values (one row per cell:
   submission, indicator, number, text) into a table with the unique index of
   ``assessments_answer`` (``submission_id, indicator_id``).
4. Runs ``python manage.py import_returns FILE --period BULK`` as a new process, first with
   the workbook (every answer created), then with the 1 %-changed one, and measures each
   from process start to exit (wall time) with its peak resident size (``wait4``).
5. Checks that each import costs at most twice the floor (PASS/FAIL) and writes the
   figures into its section of ``docs/benchmarks.md`` (``bench:bulk_import``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.measure import median  # noqa: E402
from benchmarks.run import BenchError, ScratchDatabase, code_state, say, worker_env  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ict_bulk"
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
SECTION = "bulk_import"
PERIOD = "BULK"
BOUND = 2.0
FLOOR_RUNS = 3
CACHE_VERSION = 1
SEEDS = {"units": 10_000, "answers": 2025, "change": 8}
FILES = {"units": "units.xlsx", "framework": "framework.xlsx", "returns": "returns.xlsx",
         "changed": "returns-changed.xlsx"}


def cache_dir(units: int) -> Path:
    return Path(tempfile.gettempdir()) / "ict-bulk-import" / f"v{CACHE_VERSION}-{units}"


# --- worker: runs inside Django (a subprocess with the scratch database) ---------------------

def write_files(cache: Path, units: int) -> dict:
    """The four workbooks, written once and kept in ``cache``."""
    from assessments.workbooks.framework import write_framework

    from . import synthetic

    cache.mkdir(parents=True, exist_ok=True)
    done = cache / "done.json"
    if done.exists():
        return json.loads(done.read_text())
    started = time.perf_counter()
    spec = synthetic.framework()
    unit_set = synthetic.units("xa", "Xã", "X", units, seed=SEEDS["units"])
    wide = synthetic.answers(spec, unit_set.codes, seed=SEEDS["answers"])
    changed, count = synthetic.change_some(spec, wide, 0.01, seed=SEEDS["change"])
    synthetic.write_units(cache / FILES["units"], [unit_set])
    write_framework(spec, cache / FILES["framework"])
    synthetic.write_returns(cache / FILES["returns"], spec, unit_set, wide)
    synthetic.write_returns(cache / FILES["changed"], spec, unit_set, changed)
    info = {"cells_changed": count, "filled": int(wide.notna().to_numpy().sum()),
            "cells": int(wide.size), "seconds": time.perf_counter() - started}
    done.write_text(json.dumps(info))
    return info


def worker_setup(cache: Path, units: int) -> dict:
    import django

    django.setup()
    from datetime import date

    from django.core.management import call_command
    from django.db import connection

    from assessments.models import Cohort
    from assessments.services import create_period, import_framework, import_units

    files = write_files(cache, units)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    import_units(source=cache / FILES["units"])
    framework = import_framework(source=cache / FILES["framework"])
    create_period(code=PERIOD, framework=framework, cohorts=[Cohort.objects.get(code="xa")],
                  opens_on=date(2025, 1, 1), name="Đo kiểm nhập hàng loạt")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    return {"files": files, "setup_seconds": time.perf_counter() - started,
            "postgres": version}


def worker_counts() -> dict:
    """What the database holds after the imports (for the report's sanity line)."""
    import django

    django.setup()
    from assessments.models import Answer, AnswerChange, Submission

    return {"answers": Answer.objects.count(), "submissions": Submission.objects.count(),
            "changes": AnswerChange.objects.count()}


# --- the floor ----------------------------------------------------------------------------

def read_cells(path: Path) -> tuple[float, list[list]]:
    import python_calamine

    started = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    return time.perf_counter() - started, rows


def copy_payload(rows: list[list]) -> tuple[bytes, int]:
    """One line per value cell (not timed): ``submission, indicator, number, text``."""
    out = io.StringIO()
    count = 0
    for unit, row in enumerate(rows[1:], start=1):
        for indicator, value in enumerate(row[2:], start=1):
            if value is None or value == "":
                continue
            if isinstance(value, float | int) and not isinstance(value, bool):
                out.write(f"{unit}\t{indicator}\t{float(value)!r}\t\n")
            else:
                out.write(f"{unit}\t{indicator}\t\\N\t{value}\n")
            count += 1
    return out.getvalue().encode(), count


def floor_copy(url: str, payload: bytes) -> float:
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_floor")
            cursor.execute("CREATE TABLE bench_floor (submission_id bigint NOT NULL, "
                           "indicator_id bigint NOT NULL, value_number double precision, "
                           "value_text varchar(2000) NOT NULL DEFAULT '', "
                           "UNIQUE (submission_id, indicator_id))")
            connection.commit()
            started = time.perf_counter()
            cursor.copy_expert("COPY bench_floor (submission_id, indicator_id, value_number, "
                               "value_text) FROM STDIN", io.BytesIO(payload))
            connection.commit()
            seconds = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_floor")
            connection.commit()
        return seconds
    finally:
        connection.close()


# --- the measured imports -----------------------------------------------------------------

def run_import_measured(env: dict, path: Path) -> dict:
    """``manage.py import_returns`` in a new process: wall time, CPU and the child's own
    peak resident size (``os.wait4``)."""
    command = [sys.executable, "manage.py", "import_returns", str(path), "--period", PERIOD]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise BenchError(f"import_returns failed ({process.returncode}):\n{stderr[-4000:]}")
    return {"seconds": wall, "rss_peak": usage.ru_maxrss * 1024,
            "cpu": usage.ru_utime + usage.ru_stime, "summary": stdout.splitlines()[:2]}


# --- the report ---------------------------------------------------------------------------

def render(info: dict, setup: dict, floor: dict, imports: dict, counts: dict, units: int) -> str:
    s = report.seconds
    files = setup["files"]
    bound = BOUND * floor["total"]
    rows = []
    verdicts = []
    for key, label in (("first", "first import (every answer created)"),
                       ("changed", "the same file with 1 % of the values changed")):
        run = imports[key]
        ratio = run["seconds"] / floor["total"]
        verdict = "PASS" if ratio <= BOUND else "FAIL"
        verdicts.append(verdict)
        rows.append([f"`import_returns`, {label}", s(run["seconds"]), s(run["cpu"]),
                     f"{ratio:.2f}×", verdict, report.mib(run["rss_peak"]),
                     "; ".join(run["summary"][1:2])])
    table = report.table(
        ["end to end (`python manage.py import_returns`, a new process)", "wall time",
         "CPU of the process", "÷ floor", f"≤ {BOUND:g}× floor", "peak RSS", "what it did"],
        rows, "lrrrlrl")
    floor_table = report.table(
        ["floor", "median", f"runs (min – max), N = {FLOOR_RUNS}"],
        [["python-calamine reads every cell", s(floor["read"]), report.spread(floor["reads"])],
         [f"`COPY` of {floor['values']:,} values into a table with the unique index "
          "(submission_id, indicator_id)", s(floor["copy"]), report.spread(floor["copies"])],
         ["**floor** (sum of the medians)", f"**{s(floor['total'])}**", ""]], "lrr")
    return f"""
## Bulk import of returns: {units:,} units × 100 indicators on PostgreSQL (issue 8)

`.venv/bin/python benchmarks/bulk_import.py` — measured {info['date']}; code: {info['code']}.
{report.machine_line(info)}; PostgreSQL {setup['postgres']} on the same machine (server
settings as installed: shared_buffers 128 MB, fsync on). {report.load_line(info)}

**Method.** One wide workbook of {units:,} units × 100 answered indicators
(`benchmarks/synthetic.py`, about 2 % empty cells: {files['filled']:,} filled cells,
{report.mib(floor['file_bytes'])} on disk), written once with openpyxl's write-only mode and
cached under the temp directory; its copy with 1 % of the values changed
({files['cells_changed']:,} cells). A scratch database is migrated and given the units, the
framework and an open period (not measured). The *floor*, measured in the same run
({FLOOR_RUNS} times, median): python-calamine reading every cell of the workbook
(`to_python`), plus `COPY` of the same values (one row per filled cell) into a table with the
unique index of `assessments_answer`. Each import is `python manage.py import_returns FILE
--period {PERIOD}` started as a new process and timed from its start to its exit (Python and
Django start-up, reading, checking, writing, commit); its peak resident size is the child's
own `ru_maxrss` (`os.wait4`). The bound is {BOUND:g}× the floor: **{s(bound)}**.

{floor_table}

{table}

After both imports the database holds {counts['answers']:,} answers of
{counts['submissions']:,} submissions and {counts['changes']:,} answer-history rows
(`AnswerChange`, one per changed value or explanation). Verdict: {', '.join(verdicts)}.

{NOTES}
"""


NOTES = """\
**Where the time goes** (written by hand from one-off measurements on 2026-11-22, load
average 3–8 on the 2 cores, so read the shares rather than the seconds; statement times from
a `connection.execute_wrapper`, the rest from `perf_counter` and cProfile):

- *Spread between runs*: on this shared machine six runs on 2026-11-22 gave the
  1 %-changed import 1.9×, 2.2×, 2.5× (load average under 1), 3.0×, 3.3× and 3.6× the floor
  of its own run, and the first import 7.7–13.8×: other work on the 2 cores moves the ratio
  a lot. The 1 % import is near the bound but not reliably under it; the first import misses
  it in every run.
- *The write path* (`assessments/bulk_answers.py`): the checked values (columns, no object
  per cell) go into a temporary table with binary `COPY` (built with numpy: 0.3 s for a
  million rows, then about 0.6 s in the server); one `CREATE TEMP TABLE … AS SELECT` compares
  them with the period's stored answers (1.4–2.6 s) and keeps the new and changed rows; the
  per-unit counts come from it; the history rows (old → new, formatted as the survey form
  does) go in with `COPY`; changed answers get one `UPDATE … FROM`, new ones one
  `INSERT … SELECT`. Submissions moved the same way share one `UPDATE` (Django's
  `bulk_update` of 6,300 submissions, a `CASE` per row, took 310 s).
- *Re-import with 1 % changed*: in the process, about 1.1 s of Python and Django start-up
  (pandas and openpyxl are imported by the apps), 1.6–2.7 s reading the workbook (checking
  the zip, calamine, the XML scan for formula, error and percent cells), 0.8 s checking a
  million cells, about 0.9 s staging, 1.4–2.6 s comparing, 0.4 s updating 9,806 answers.
- *First import*: writing a million new rows into `assessments_answer` costs far more than
  the floor's `COPY`, whatever the method. The floor's table has one index and nothing else;
  `assessments_answer` has five indexes (primary key, `answer_unique`, and one each on
  `submission_id` — redundant with `answer_unique` — `indicator_id` and `reviewed_by_id`,
  which indexes a million NULLs) and two foreign keys checked at commit (deferred: one
  lookup with a row lock per key per row, two million in all). Measured with `psql` on
  tables shaped like it: `COPY` of a million rows 8.8–10.7 s with its indexes, plus
  10.6–13 s at `COMMIT` for the foreign keys; `INSERT … SELECT` 9.9 s without foreign keys,
  19.7 s with them; `INSERT … ON CONFLICT` 12.8 s without. In the import, the
  `INSERT … SELECT` took 9.3 s and the commit about 15 s. The 2× bound cannot be met for the
  first import without changing the table: dropping the redundant `submission_id` index and
  making `reviewed_by_id`'s index partial would save a few seconds; only dropping the
  foreign keys (integrity then kept by the application) would bring it near the bound.
- *Before* (the ORM path, `bulk_create(update_conflicts=True)` over `Answer` objects), the
  same first import took 141.7 s with a peak of 1,674 MiB (measured with this script on
  2026-11-22 at 08:01).
- *Also*: `compute_snapshot` on PostgreSQL writes its indicator results (about 100 per
  unit) with `COPY` instead of `bulk_create` (`rankings/services.py`). `benchmarks/run.py
  --postgres --quick --skip-engine` (200 units, 20,200 indicator results), same machine,
  one after the other: 2.92 s before (1.63 s of worker CPU + 1.11 s of server CPU), 1.11 s
  after (0.26 s + 0.65 s).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=10_000, help="units in the workbook")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--no-write", action="store_true",
                        help="print the report instead of updating docs/benchmarks.md")
    parser.add_argument("--worker", choices=["setup", "counts"], help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
        result = (worker_setup(args.cache, args.units) if args.worker == "setup"
                  else worker_counts())
        print(json.dumps(result))
        return 0

    info = report.machine()
    info["code"] = code_state(None)
    info["load_start"] = os.getloadavg()[0]
    url = os.environ.get("BULK_POSTGRES_URL") or DEFAULT_URL
    cache = cache_dir(args.units)
    workdir = Path(tempfile.mkdtemp(prefix="ict-bulk-"))
    try:
        with ScratchDatabase(workdir, url, args.keep) as database_url:
            env = worker_env(workdir, database_url)

            def worker(kind: str) -> dict:
                process = subprocess.run(
                    [sys.executable, "-m", "benchmarks.bulk_import", "--worker", kind,
                     "--cache", str(cache), "--units", str(args.units)],
                    cwd=ROOT, env=env, capture_output=True, text=True, check=False)
                if process.returncode != 0:
                    raise BenchError(f"worker {kind} failed:\n{process.stderr[-4000:]}")
                return json.loads(process.stdout.strip().splitlines()[-1])

            say(f"Setup (workbooks cached in {cache})…")
            setup = worker("setup")
            say(f"  done: {report.seconds(setup['setup_seconds'])} "
                f"(+ {report.seconds(setup['files']['seconds'])} writing the workbooks once)")
            returns = cache / FILES["returns"]
            reads, copies = [], []
            for _ in range(FLOOR_RUNS):
                seconds, rows = read_cells(returns)
                reads.append(seconds)
                payload, values = copy_payload(rows)
                del rows
                copies.append(floor_copy(database_url, payload))
                del payload
                say(f"  floor: read {report.seconds(reads[-1])}, "
                    f"COPY {report.seconds(copies[-1])}")
            floor = {"reads": reads, "copies": copies, "read": median(reads),
                     "copy": median(copies), "values": values,
                     "file_bytes": returns.stat().st_size}
            floor["total"] = floor["read"] + floor["copy"]
            imports = {}
            for key, file in (("first", "returns"), ("changed", "changed")):
                imports[key] = run_import_measured(env, cache / FILES[file])
                say(f"  import ({key}): {report.seconds(imports[key]['seconds'])}, "
                    f"{imports[key]['seconds'] / floor['total']:.2f}× the floor, peak RSS "
                    f"{report.mib(imports[key]['rss_peak'])}")
            counts = worker("counts")
    except BenchError as exc:
        say(f"Benchmark failed: {exc}")
        return 1
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    info["load_end"] = os.getloadavg()[0]
    body = render(info, setup, floor, imports, counts, args.units)
    ok = all(imports[k]["seconds"] <= BOUND * floor["total"] for k in imports)
    print("PASS" if ok else "FAIL", f"(bound {BOUND:g}× floor = "
          f"{report.seconds(BOUND * floor['total'])})")
    if args.no_write:
        print(body)
    else:
        report.update_sections(DEFAULT_OUTPUT, {SECTION: body}, [])
        say(f"Wrote {SECTION} into {DEFAULT_OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
