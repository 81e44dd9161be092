"""Server time to render and to save a 100-indicator return through the unit's survey form.

Usage (from the project's root)::

    .venv/bin/python benchmarks/returns_form.py            # SQLite scratch file
    .venv/bin/python benchmarks/returns_form.py --postgres # and BENCH_POSTGRES_URL (dropped)
    .venv/bin/python benchmarks/returns_form.py --no-write # print only

A scratch database gets one unit, a framework of 100 indicators (40 numbers, 20 integers,
20 percents, 10 yes/no, 5 choices, 5 texts; 4 groups) and an open period. Through Django's
test client (the whole request: middleware, session, form, services, engine preview,
template), it times GET of the form and POST of a save changing all 100 answers (every save
writes 100 answers and 100 history rows and bumps the version). The figures replace the
marked section ``bench:returns_form`` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
START, END = "<!-- bench:returns_form:start -->", "<!-- bench:returns_form:end -->"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ict_bench_returns"
KINDS = [("number", 40), ("integer", 20), ("percent", 20), ("boolean", 10), ("choice", 5),
         ("text", 5)]


def build():
    from assessments.models import (
        Cohort,
        CriterionGroup,
        Framework,
        Indicator,
        Period,
        Submission,
        Unit,
        User,
    )
    from assessments.selectors import framework_spec
    from rankings.engine import validate_framework

    cohort = Cohort.objects.create(code="districts", name="Huyện")
    unit = Unit.objects.create(code="H-BENCH", name="Huyện đo thời gian", cohort=cohort)
    framework = Framework.objects.create(code="BENCH-100", name="100 tiêu chí")
    groups = [CriterionGroup.objects.create(framework=framework, code=f"G{g}", name=f"Nhóm {g}",
                                            order=g) for g in range(1, 5)]
    rules = {"number": ("ratio", "target=100", 0, 1000), "integer": ("bands", "1=0.5;5=1", 0, 500),
             "percent": ("ratio", "target=100", None, None), "boolean": ("boolean", "", None, None),
             "choice": ("choice", "A=1;B=0.5;C=0", None, None), "text": ("none", "", None, None)}
    n = 0
    indicators = []
    for kind, count in KINDS:
        for _ in range(count):
            rule, params, low, high = rules[kind]
            indicators.append(Indicator(
                framework=framework, group=groups[n % 4], code=f"i{n:03d}",
                name=f"Tiêu chí {n} ({kind})", value_type=kind, rule=rule, params=params,
                max_points=1, min_value=low, max_value=high, unit_of_measure="đv",
                guidance="Hướng dẫn ngắn cho tiêu chí.", required=kind != "text", order=n))
            n += 1
    Indicator.objects.bulk_create(indicators)
    issues = validate_framework(framework_spec(framework))
    assert not issues, issues
    period = Period.objects.create(code="BENCH", name="Kỳ đo", framework=framework,
                                   status=Period.Status.OPEN)
    period.cohorts.add(cohort)
    submission = Submission.objects.create(period=period, unit=unit)
    User.objects.create_user("bench", password="bench-pw-1", unit=unit)
    return submission, Indicator.objects.filter(framework=framework).order_by("order")


def values(indicators, round_: int) -> dict:
    data = {}
    for i in indicators:
        if i.value_type in ("number", "integer"):
            value = str(10 + round_ % 7)
        elif i.value_type == "percent":
            value = f"{50 + round_ % 7},5"
        elif i.value_type == "boolean":
            value = "co" if round_ % 2 else "khong"
        elif i.value_type == "choice":
            value = "ABC"[round_ % 3]
        else:
            value = f"ghi chú lần {round_}"
        data[f"v_{i.code}"] = value
        data[f"e_{i.code}"] = ""
    return data


class Counter:
    """A database execute wrapper counting the queries of a request."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(repeats: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    # no setup_test_environment(): its instrumented template rendering is not what a server runs
    call_command("migrate", verbosity=0)
    submission, indicators = build()
    client = Client()
    assert client.login(username="bench", password="bench-pw-1")
    url = f"/bao-cao/phieu/{submission.pk}/"
    client.get(url)  # warm up: templates, translations
    renders, saves = [], []
    render_queries = Counter()
    with connection.execute_wrapper(render_queries):
        client.get(url)
    for round_ in range(1, repeats + 1):
        submission.refresh_from_db()
        data = {"version": submission.version, "action": "save", **values(indicators, round_)}
        save_queries = Counter()
        started = time.perf_counter()
        with connection.execute_wrapper(save_queries):
            response = client.post(url, data)
        saves.append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
        started = time.perf_counter()
        response = client.get(url)
        renders.append(time.perf_counter() - started)
        assert response.status_code == 200
    from assessments.models import AnswerChange

    return {"render": renders, "save": saves, "render_queries": render_queries.count,
            "save_queries": save_queries.count, "history": AnswerChange.objects.count(),
            "vendor": connection.vendor}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def section(results: list[dict], repeats: int) -> str:
    lines = [
        START,
        "## Unit's survey form (issue 3): render and save a 100-indicator return",
        "",
        f"`.venv/bin/python benchmarks/returns_form.py [--postgres]` — Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, load "
        f"average {os.getloadavg()[0]:.1f} at the start (a shared machine); {repeats} rounds, "
        "each a save changing all 100 answers (100 answers and 100 history rows written, "
        "version bumped) then a render of the form (with the engine's points preview), "
        "through Django's test client (middleware, session, form, services, template), "
        "without the test runner's template instrumentation. Server time only: no network, "
        "no browser.",
        "",
        "| database | request | median | fastest | slowest | queries |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        render, save = result["render"], result["save"]
        lines += [
            f"| {result['vendor']} | render the form (GET) | {ms(statistics.median(render))} | "
            f"{ms(min(render))} | {ms(max(render))} | {result['render_queries']} |",
            f"| {result['vendor']} | save all 100 answers (POST) | "
            f"{ms(statistics.median(save))} | {ms(min(save))} | {ms(max(save))} | "
            f"{result['save_queries']} |",
        ]
    lines += ["", "The render's time is split roughly between the 200 form widgets' templates "
              "and one engine run over the unit's answers (the points preview); the number of "
              "queries does not grow with the number of indicators.", "", END]
    return "\n".join(lines)


def write(text: str, path: Path) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        current = before + text + after
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


def worker(database: str, repeats: int) -> None:
    """Measure in this process on a scratch database; print the result as JSON."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "ict_index.settings_test"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MEDIA_ROOT"] = str(Path(scratch) / "media")
        host = ["-h", "127.0.0.1", "-U", "postgres"]
        if database == "postgres":
            url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
            name = url.rsplit("/", 1)[1]
            subprocess.run(["dropdb", *host, "--if-exists", name], check=True)
            subprocess.run(["createdb", *host, name], check=True)
            os.environ["DATABASE_URL"] = url
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
        try:
            result = measure(repeats)
        finally:
            if database == "postgres":
                from django.db import connections

                connections.close_all()
                subprocess.run(["dropdb", *host, "--if-exists", name], check=False)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeats)
        return
    results = []
    for database in ["sqlite"] + (["postgres"] if args.postgres else []):
        out = subprocess.run([sys.executable, __file__, "--worker", database, "--repeats",
                              str(args.repeats)], check=True, capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    text = section(results, args.repeats)
    print(text)
    if not args.no_write:
        write(text, args.output)


if __name__ == "__main__":
    main()
