"""Server time of the ICT office's progress board (issue 4) for 1,000 units.

Usage (from the project's root)::

    .venv/bin/python benchmarks/review_board.py            # SQLite scratch file
    .venv/bin/python benchmarks/review_board.py --postgres # BENCH_POSTGRES_URL (dropped after)
    .venv/bin/python benchmarks/review_board.py --no-write # print only

A scratch database gets 1,000 units in two cohorts, a framework of 30 indicators (numbers,
percentages, yes/no with required evidence) and a closed period compared with a previous one:
800 units have handed in a return (30 answers each: 24,000 answers; 24,000 more last year),
200 have not started. Through Django's test client (the whole request: middleware, session,
selectors, template) it times GET of the board, the CSV export and the computation of the
data-quality flags over the period. The figures replace the marked section
``bench:review_board`` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
START, END = "<!-- bench:review_board:start -->", "<!-- bench:review_board:end -->"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ict_bench_review"
UNITS, HANDED_IN, INDICATORS = 1000, 800, 30


def build():
    from assessments.models import (
        Answer,
        Cohort,
        CriterionGroup,
        Framework,
        Indicator,
        Period,
        Submission,
        Unit,
        User,
    )

    rng = random.Random(2026)
    cohorts = [Cohort.objects.create(code=c, name=c, order=i)
               for i, c in enumerate(["depts", "districts"])]
    Unit.objects.bulk_create(Unit(code=f"U{i:04d}", name=f"Đơn vị {i}",
                                  cohort=cohorts[i % 2]) for i in range(UNITS))
    units = list(Unit.objects.order_by("code"))
    framework = Framework.objects.create(code="BENCH", name="Bộ tiêu chí đo")
    group = CriterionGroup.objects.create(framework=framework, code="G", name="Nhóm")
    kinds = ["number", "percent", "boolean"]
    Indicator.objects.bulk_create(
        Indicator(framework=framework, group=group, code=f"i{n:02d}", name=f"Tiêu chí {n}",
                  value_type=kinds[n % 3], rule="none", order=n,
                  evidence_required=kinds[n % 3] == "boolean") for n in range(INDICATORS))
    indicators = list(Indicator.objects.filter(framework=framework).order_by("order"))
    previous = Period.objects.create(code="B2025", name="2025", framework=framework,
                                     status=Period.Status.CLOSED)
    period = Period.objects.create(code="B2026", name="2026", framework=framework,
                                   status=Period.Status.CLOSED, previous=previous)
    for p in (previous, period):
        p.cohorts.set(cohorts)
    statuses = ["submitted", "resubmitted", "returned", "approved", "draft"]
    last_year = {(u.pk, i.pk): (rng.choice([0, 1]) if i.value_type == "boolean"
                                else rng.lognormvariate(3, 0.6))
                 for u in units for i in indicators}
    for p, count in ((previous, UNITS), (period, HANDED_IN)):
        Submission.objects.bulk_create(
            Submission(period=p, unit=u, status="approved" if p is previous
                       else statuses[i % 5]) for i, u in enumerate(units[:count]))
        answers = []
        for submission in Submission.objects.filter(period=p):
            for indicator in indicators:
                value = last_year[submission.unit_id, indicator.pk]
                if p is period and indicator.value_type != "boolean":
                    # mostly near last year's figure; one in fifty typed wrong
                    value *= 10 if rng.random() < 0.02 else rng.gauss(1.05, 0.1)
                answers.append(Answer(submission=submission, indicator=indicator,
                                      value_number=value))
        Answer.objects.bulk_create(answers, batch_size=2000)
    User.objects.create_user("bench", password="bench-pw-1", role="reviewer")
    return period


def timed(function, repeats):
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


def measure(repeats: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from assessments.models import ReviewFlag
    from assessments.services import compute_flags

    setup_test_environment()
    call_command("migrate", verbosity=0)
    period = build()
    flag_times, _ = timed(lambda: compute_flags(period=period), 3)
    client = Client()
    assert client.login(username="bench", password="bench-pw-1")
    url = f"/tham-dinh/ky/{period.code}/"
    assert client.get(url).status_code == 200  # warm up
    from assessments.review_selectors import progress_board

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql)
                                    or execute(sql, *a)):
        progress_board(period)
    selector, _ = timed(lambda: progress_board(period), repeats)
    board, _ = timed(lambda: client.get(url), repeats)
    export, _ = timed(lambda: client.get(f"/tham-dinh/ky/{period.code}/tien-do.csv"), repeats)
    filtered, _ = timed(lambda: client.get(url, {"status": "submitted"}), repeats)
    return {"selector": selector, "board": board, "export": export, "filtered": filtered,
            "flags": flag_times, "queries": len(queries), "flag_count": ReviewFlag.objects.count(),
            "vendor": connection.vendor}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def row(label, times, queries="") -> str:
    return (f"| {label} | {ms(statistics.median(times))} | {ms(min(times))} | "
            f"{ms(max(times))} | {queries} |")


def section(result: dict, repeats: int) -> str:
    return "\n".join([
        START,
        "## Review progress board (issue 4): 1,000 units",
        "",
        f"`.venv/bin/python benchmarks/review_board.py` — {result['vendor']}, Python "
        f"{platform.python_version()}, {platform.machine()}; {UNITS:,} units in two cohorts, "
        f"{HANDED_IN} returns of {INDICATORS} indicators ({HANDED_IN * INDICATORS:,} answers, "
        f"as many last year), {result['flag_count']:,} data-quality flags; {repeats} requests "
        "each through Django's test client (middleware, session, selectors, template). The "
        "board's selector runs the same number of queries whatever the number of units "
        "(the tests check 10 against 60 units).",
        "",
        "| request | median | fastest | slowest | selector queries |",
        "| --- | --- | --- | --- | --- |",
        row("board, all 1,000 units (GET)", result["board"], result["queries"]),
        row("its selector alone (progress_board)", result["selector"]),
        row("board filtered on one status (GET)", result["filtered"]),
        row("board export, CSV (GET)", result["export"]),
        row("compute the period's flags (service, 3 runs; pandas)", result["flags"]),
        "",
        END,
    ])


def write(text: str, path: Path) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        current = before + text + after
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "ict_index.settings_test"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MEDIA_ROOT"] = str(Path(scratch) / "media")
        if args.postgres:
            url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
            name = url.rsplit("/", 1)[1]
            host = ["-h", "127.0.0.1", "-U", "postgres"]
            subprocess.run(["dropdb", *host, "--if-exists", name], check=True)
            subprocess.run(["createdb", *host, name], check=True)
            os.environ["DATABASE_URL"] = url
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
        try:
            result = measure(args.repeats)
        finally:
            if args.postgres:
                from django.db import connections

                connections.close_all()
                subprocess.run(["dropdb", *host, "--if-exists", name], check=False)
    text = section(result, args.repeats)
    print(text)
    if not args.no_write:
        write(text, args.output)


if __name__ == "__main__":
    main()
