"""Worker: one step of the database benchmarks, in its own process, on the scratch database.

``run.py`` sets ``DATABASE_URL`` (a temporary SQLite file or the ``ict_bench`` PostgreSQL
database) and ``DJANGO_SETTINGS_MODULE=benchmarks.settings`` and runs, one process each::

    python -m benchmarks.db_worker setup   --workdir DIR --units 1000 --small 63 --periods 3
    python -m benchmarks.db_worker import  --workdir DIR --period X2025-1 --file F [--approve]
    python -m benchmarks.db_worker compute --workdir DIR --period X2025-1
    python -m benchmarks.db_worker publish --workdir DIR --period X2025-1
    python -m benchmarks.db_worker page    --workdir DIR --period X2025-1 --seconds 5

Every step writes a JSON result (``--result``). A measured step warms up first (modules
imported, translations loaded, database connection open), then is timed once, through the
project's services exactly as the commands and the admin call them. Memory: the process's
peak resident size, and how far it rose above the resident size just before the step.

The data (see ``synthetic``): cohort ``tinh`` (63 provinces) and cohort ``xa`` (``--units``
communes); last year's periods ``T2024`` and ``X2024`` are imported, computed and published
during setup, so that this year's computations read previous ranks as in production.
This year: ``T2025`` (published during setup, for the page) and ``X2025-1`` … ``X2025-N``,
one per measured repetition, all comparing with ``X2024``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from datetime import date
from pathlib import Path

import django

from . import synthetic
from .measure import QueryCounter, median, rss_peak, settle, timed, timed_cpu, write_result

SEEDS = {"tinh": 63, "xa": 1000, "2024": 2024, "2025": 2025, "change": 1}
CHANGED_SHARE = 0.01
FILES = {
    "units": "units.xlsx",
    "framework": "framework.xlsx",
    "T2024": "returns-tinh-2024.xlsx",
    "X2024": "returns-xa-2024.xlsx",
    "T2025": "returns-tinh-2025.xlsx",
    "X2025": "returns-xa-2025.xlsx",
    "X2025-changed": "returns-xa-2025-changed.xlsx",
}


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    django.setup()


def _warm_up() -> None:
    """What a long-running process has done before: imports, translations, a connection."""
    import openpyxl  # noqa: F401
    import python_calamine  # noqa: F401
    from django.db import connection
    from django.utils import translation

    import assessments.services  # noqa: F401
    import rankings.services  # noqa: F401

    translation.activate("vi")
    translation.gettext("Cảnh báo:")
    connection.ensure_connection()


def _server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend process (it runs on
    this machine), from ``/proc/<pid>/stat``; None for SQLite (it runs in this process, its
    CPU is the worker's) or when the file cannot be read."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    try:
        pid = connection.connection.get_backend_pid()
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime+stime
    except (OSError, AttributeError, IndexError, ValueError):
        return None


def _measure(action) -> dict:
    """Time one call of ``action`` with its statements counted and its memory watched."""
    from django.db import connection

    _warm_up()
    baseline = settle()
    counter = QueryCounter()
    server_before = _server_cpu()
    with connection.execute_wrapper(counter):
        seconds, cpu, result = timed_cpu(action)
    server_after = _server_cpu()
    server = None if None in (server_before, server_after) else server_after - server_before
    return {"seconds": seconds, "cpu": cpu, "server_cpu": server, "queries": counter.count,
            "statements": counter.kinds, "rss_baseline": baseline, "rss_peak": rss_peak(),
            "result": result}


def _period(code: str):
    from assessments.models import Period

    return Period.objects.get(code=code)


def _db_description() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]  # "15.20 (Debian …)" -> "15.20"
            name = "PostgreSQL"
        else:
            cursor.execute("SELECT sqlite_version()")
            version = cursor.fetchone()[0]
            name = "SQLite"
    return {"vendor": connection.vendor, "name": name, "version": version,
            "driver": _driver_version(connection.vendor)}


def _driver_version(vendor: str) -> str:
    if vendor == "postgresql":
        import psycopg2

        return f"psycopg2 {psycopg2.__version__.split()[0]}"
    import sqlite3

    return f"Python's sqlite3 module (library {sqlite3.sqlite_version})"


# --- setup --------------------------------------------------------------------------------

def setup(workdir: Path, units: int, small: int, periods: int) -> dict:
    """Migrate, write the workbooks, import units and framework, create the periods and
    publish last year's results (and this year's for the small cohort)."""
    from django.core.management import call_command

    from assessments.models import Cohort
    from assessments.services import create_period, import_framework, import_units
    from assessments.workbooks.framework import write_framework

    started = time.perf_counter()
    steps: dict[str, float] = {}

    def step(name: str, action):
        seconds, result = timed(action)
        steps[name] = seconds
        return result

    step("migrate", lambda: call_command("migrate", verbosity=0, interactive=False))

    spec = synthetic.framework()
    provinces = synthetic.units("tinh", "Tỉnh", "T", small, seed=SEEDS["tinh"])
    communes = synthetic.units("xa", "Xã", "X", units, seed=SEEDS["xa"])

    def write_files() -> dict[str, int]:
        synthetic.write_units(workdir / FILES["units"], [provinces, communes])
        write_framework(spec, workdir / FILES["framework"])
        for unit_set, year in ((provinces, "2024"), (communes, "2024"),
                               (provinces, "2025"), (communes, "2025")):
            wide = synthetic.answers(spec, unit_set.codes, seed=SEEDS[year] + len(unit_set.codes))
            key = f"{'T' if unit_set is provinces else 'X'}{year}"
            synthetic.write_returns(workdir / FILES[key], spec, unit_set, wide)
            if key == "X2025":
                changed, count = synthetic.change_some(spec, wide, CHANGED_SHARE,
                                                       seed=SEEDS["change"])
                synthetic.write_returns(workdir / FILES["X2025-changed"], spec, unit_set,
                                        changed)
                steps["cells_changed"] = count
        return {name: (workdir / file).stat().st_size for name, file in FILES.items()}

    sizes = step("write_workbooks", write_files)
    step("import_units", lambda: import_units(source=workdir / FILES["units"]))
    framework = step("import_framework",
                     lambda: import_framework(source=workdir / FILES["framework"]))
    tinh, xa = Cohort.objects.get(code="tinh"), Cohort.objects.get(code="xa")
    last_year = {
        "T2024": create_period(code="T2024", framework=framework, cohorts=[tinh],
                               opens_on=date(2024, 1, 1), name="Tỉnh, năm 2024"),
        "X2024": create_period(code="X2024", framework=framework, cohorts=[xa],
                               opens_on=date(2024, 1, 1), name="Xã, năm 2024"),
    }
    create_period(code="T2025", framework=framework, cohorts=[tinh], previous=last_year["T2024"],
                  opens_on=date(2025, 1, 1), name="Tỉnh, năm 2025")
    for number in range(1, periods + 1):
        create_period(code=f"X2025-{number}", framework=framework, cohorts=[xa],
                      previous=last_year["X2024"], opens_on=date(2025, 1, 1),
                      name=f"Xã, năm 2025 (lần đo {number})")
    for code in ("T2024", "X2024", "T2025"):
        step(f"publish_{code}", lambda code=code: _import_and_publish(code, workdir / FILES[code]))
    steps["total"] = time.perf_counter() - started
    return {"database": _db_description(), "steps": steps, "file_sizes": sizes,
            "framework": {"groups": len(spec.groups), "indicators": len(spec.indicators),
                          "answered": len(synthetic.answered_indicators(spec))},
            "units": {"tinh": small, "xa": units}}


def _import_and_publish(code: str, path: Path) -> None:
    from assessments.services import import_returns
    from rankings.services import compute_snapshot, publish_snapshot

    period = _period(code)
    import_returns(period=period, source=path, approve=True)
    publish_snapshot(snapshot=compute_snapshot(period=period))


# --- measured steps -----------------------------------------------------------------------

def import_step(workdir: Path, period_code: str, file_key: str, approve: bool) -> dict:
    from assessments.services import import_returns

    period = _period(period_code)
    path = workdir / FILES[file_key]
    measured = _measure(lambda: import_returns(period=period, source=path, approve=approve))
    summary = measured.pop("result")
    measured.update(counts=summary.counts, file_bytes=path.stat().st_size,
                    warnings=len(summary.warnings))
    return measured


def compute_step(period_code: str) -> dict:
    from rankings.services import compute_snapshot

    period = _period(period_code)
    measured = _measure(lambda: compute_snapshot(period=period))
    snapshot = measured.pop("result")
    measured.update(snapshot=snapshot.number, units_ranked=snapshot.units_count,
                    rows=_result_rows(snapshot))
    return measured


def _result_rows(snapshot) -> dict[str, int]:
    return {"units": snapshot.unit_results.count(), "groups": snapshot.group_results.count(),
            "indicators": snapshot.indicator_results.count()}


def publish_step(period_code: str) -> dict:
    from rankings.models import RankingSnapshot
    from rankings.services import publish_snapshot

    snapshot = RankingSnapshot.objects.filter(period__code=period_code).latest("number")
    measured = _measure(lambda: publish_snapshot(snapshot=snapshot))
    measured.pop("result")
    return measured


def page_step(period_code: str, seconds: float, min_requests: int, max_requests: int) -> dict:
    """Requests per second of the public leaderboard through Django's test ``Client`` (the
    whole middleware stack and template rendering, in this process, one at a time), twice:

    - ``cached``: a visitor without a session, the way the public and the press come,
      after two warm-up requests (whatever the view keeps in the cache is kept);
    - ``signed_in``: a signed-in reviewer (a session), after one warm-up request: the page
      is built for them, from whatever parts the view keeps in the cache;
    - ``cold``: the cache emptied before each request (not timed), as for the first visitor
      after a publication: every query and the whole page built.
    """
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    _warm_up()
    reviewer, _ = get_user_model().objects.get_or_create(
        username="bench-reviewer", defaults={"role": "reviewer"})
    signed_in = Client()
    signed_in.force_login(reviewer)
    client = Client()
    url = f"/ky/{period_code}/"
    for _ in range(2):  # warm-up: template loading and compilation, first queries
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    body = html.split("<tbody", 1)[-1].split("</tbody>", 1)[0]
    result = {"url": url, "bytes": len(response.content),
              "gzip_bytes": len(gzip.compress(response.content, 6)), "rows": body.count("<tr")}
    variants = (("cached", client, None), ("signed_in", signed_in, None),
                ("cold", client, cache.clear))
    for variant, user_client, before in variants:
        if before:
            before()
        else:
            user_client.get(url)  # warm-up of this client
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            response = user_client.get(url)
        baseline = settle()
        latencies, cpu = [], 0.0
        started = time.perf_counter()
        while len(latencies) < max_requests and (
                len(latencies) < min_requests or time.perf_counter() - started < seconds):
            if before:
                paused = time.perf_counter()
                before()
                started += time.perf_counter() - paused  # emptying the cache is not timed
            took, took_cpu, response = timed_cpu(lambda c=user_client: c.get(url))
            assert response.status_code == 200
            latencies.append(took)
            cpu += took_cpu
        elapsed = time.perf_counter() - started
        result[variant] = {
            "requests": len(latencies), "elapsed": elapsed, "rps": len(latencies) / elapsed,
            "rps_cpu": len(latencies) / cpu if cpu else float("nan"),
            "cpu_per_request": cpu / len(latencies), "latency_median": median(latencies),
            "latency_max": max(latencies), "queries": counter.count,
            "statements": counter.kinds, "rss_baseline": baseline, "rss_peak": rss_peak()}
    return result


# --- command line -------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="One step of the database benchmarks.")
    parser.add_argument("step", choices=["setup", "import", "compute", "publish", "page"])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--small", type=int, default=63)
    parser.add_argument("--periods", type=int, default=3)
    parser.add_argument("--period")
    parser.add_argument("--file", choices=sorted(FILES))
    parser.add_argument("--approve", action="store_true")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--min-requests", type=int, default=10)
    parser.add_argument("--max-requests", type=int, default=2000)
    args = parser.parse_args(argv)
    _django()
    if args.step == "setup":
        result = setup(args.workdir, args.units, args.small, args.periods)
    elif args.step == "import":
        result = import_step(args.workdir, args.period, args.file, args.approve)
    elif args.step == "compute":
        result = compute_step(args.period)
    elif args.step == "publish":
        result = publish_step(args.period)
    else:
        result = page_step(args.period, args.seconds, args.min_requests, args.max_requests)
    write_result(args.result, result)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
