"""Measure speed and memory and write the figures into docs/benchmarks.md (``make bench``).

Usage (from the project's root)::

    make bench                                      # engine + services on SQLite (~3 min)
    .venv/bin/python benchmarks/run.py --postgres --skip-engine   # services on PostgreSQL
    .venv/bin/python benchmarks/run.py --quick      # smoke run (~30 s): prints, writes nothing
    .venv/bin/python benchmarks/run.py --wait-idle 10   # first wait for a quiet machine

What is measured (see the "Method" section this script writes):

1. ``rankings.engine.compute`` alone for 63, 1,000 and 10,000 units × 100 indicators;
2. ``import_returns`` of a wide workbook of 1,000 units × 100 indicators, then of the same
   workbook with 1 % of its cells changed;
3. ``compute_snapshot`` and ``publish_snapshot`` of that period;
4. the public leaderboard (``/ky/<code>/``) for 63 and for 1,000 units: requests per
   second and queries per request, through Django's test client.

Each measurement runs in a fresh process (``engine_worker.py``, ``db_worker.py``) on a
scratch database: a temporary SQLite file, or with ``--postgres`` the database of
``BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/ict_bench``), dropped
and created with ``dropdb``/``createdb`` and dropped again at the end (``--keep`` keeps it
and the temporary directory). Only the report's own marked sections are rewritten.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ict_bench"
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one run."""

    engine: tuple[tuple[int, int], ...]  # (units, timed calls)
    units: int            # the large cohort of the database benchmarks
    small: int            # the small cohort (provinces)
    periods: int          # repetitions of import / compute / publish
    page_seconds: float   # time spent requesting each page, at least
    page_min: int         # requests per page, at least


FULL = Plan(engine=((63, 7), (1_000, 5), (10_000, 3)), units=1_000, small=63, periods=3,
            page_seconds=5.0, page_min=5)
QUICK = Plan(engine=((63, 2), (1_000, 2)), units=200, small=63, periods=1,
             page_seconds=0.5, page_min=2)


class BenchError(RuntimeError):
    pass


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- workers ------------------------------------------------------------------------------

class Workers:
    """Runs ``python -m benchmarks.<module> …`` and reads back its JSON result."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.calls = 0

    def run(self, module: str, *args: str) -> dict:
        self.calls += 1
        result = self.workdir / f"result-{self.calls:03d}.json"
        command = [sys.executable, "-m", f"benchmarks.{module}", *args, "--result", str(result)]
        started = time.perf_counter()
        process = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True,
                                 text=True, check=False)
        if process.returncode != 0:
            raise BenchError(f"{shlex.join(command[2:])} failed ({process.returncode}):\n"
                             f"{process.stderr[-4000:]}")
        data = json.loads(result.read_text(encoding="utf-8"))
        data["wall"] = time.perf_counter() - started
        return data


def worker_env(workdir: Path, database_url: str | None) -> dict[str, str]:
    """The environment of the workers: the scratch database, production-like settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DEBUG", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    for folder in ("var", "media", "static"):
        (workdir / folder).mkdir(exist_ok=True)
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "SECRET_KEY": "benchmarks-only-not-a-secret",
        "VAR_DIR": str(workdir / "var"),
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "ERROR",
        "PYTHONHASHSEED": "0",
    })
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


# --- the scratch database -----------------------------------------------------------------

class ScratchDatabase:
    """A temporary SQLite file in ``workdir``, or a PostgreSQL database dropped, created and
    dropped again (unless ``keep``) with the PostgreSQL client programs."""

    def __init__(self, workdir: Path, postgres_url: str | None, keep: bool):
        self.workdir = workdir
        self.postgres_url = postgres_url
        self.keep = keep

    def _client(self, program: str, *args: str) -> None:
        url = urlsplit(self.postgres_url)
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = unquote(url.password)
        command = [program, "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432),
                   "-U", unquote(url.username or "postgres"), *args, url.path.lstrip("/")]
        process = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if process.returncode != 0:
            raise BenchError(f"{shlex.join(command)} failed: {process.stderr.strip()}")

    def __enter__(self) -> str:
        if not self.postgres_url:
            return f"sqlite:///{self.workdir / 'bench.sqlite3'}"
        if not shutil.which("createdb"):
            raise BenchError("--postgres needs the PostgreSQL client programs (createdb).")
        self._client("dropdb", "--if-exists")
        self._client("createdb", "-E", "UTF8", "-T", "template0")
        return self.postgres_url

    def __exit__(self, *exc) -> None:
        if self.postgres_url and not self.keep:
            self._client("dropdb", "--if-exists")


def code_state(label: str | None) -> str:
    """Which code is measured: the commit, and whether files outside benchmarks/ differ."""
    if label:
        return label
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
             ":(exclude)benchmarks", ":(exclude)docs/benchmarks.md"],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    if changed:
        return f"commit {head} with {len(changed)} uncommitted change(s)"
    return f"commit {head}"


def wait_until_idle(minutes: float) -> None:
    """Wait (at most ``minutes``) for the 1-minute load average to fall under a quarter of
    the cores: other work on the machine slows every figure down."""
    threshold = 0.25 * (os.cpu_count() or 1)
    deadline = time.monotonic() + minutes * 60
    while (load := os.getloadavg()[0]) >= threshold:
        if time.monotonic() >= deadline:
            say(f"The machine is still busy (load {load:.2f}); measuring anyway.")
            return
        say(f"Waiting for a quiet machine: load {load:.2f}, waiting for < {threshold:.2f}…")
        time.sleep(20)


# --- the benchmarks -----------------------------------------------------------------------

def run_engine(workers: Workers, plan: Plan) -> list[dict]:
    results = []
    for units, repeat in plan.engine:
        result = workers.run("engine_worker", "--units", str(units), "--repeat", str(repeat))
        say(f"  engine, {units:,} units: median {report.seconds(result['median'])}, "
            f"tracemalloc peak {report.mib(result['tracemalloc_peak'])}")
        results.append(result)
    return results


def run_database(workers: Workers, plan: Plan, workdir: Path) -> tuple[dict, dict, dict]:
    base = ["--workdir", str(workdir)]
    setup = workers.run("db_worker", "setup", *base, "--units", str(plan.units),
                        "--small", str(plan.small), "--periods", str(plan.periods))
    say(f"  setup on {setup['database']['name']} {setup['database']['version']}: "
        f"{report.seconds(setup['steps']['total'])}")
    steps = {
        "import": ("import", "--file", "X2025"),
        "reimport": ("import", "--file", "X2025-changed"),
        "approve": ("import", "--file", "X2025-changed", "--approve"),
        "compute": ("compute",),
        "publish": ("publish",),
    }
    reps: dict[str, list[dict]] = {name: [] for name in steps}
    for number in range(1, plan.periods + 1):
        period = f"X2025-{number}"
        for name, (step, *args) in steps.items():
            result = workers.run("db_worker", step, *base, "--period", period, *args)
            reps[name].append(result)
            say(f"  {period} {name}: {report.seconds(result['seconds'])}, "
                f"{result['queries']} queries")
    pages = {}
    for key, period in (("small", "T2025"), ("large", "X2025-1")):
        pages[key] = workers.run("db_worker", "page", *base, "--period", period,
                                 "--seconds", str(plan.page_seconds),
                                 "--min-requests", str(plan.page_min))
        for variant in ("cached", "signed_in", "cold"):
            run = pages[key][variant]
            say(f"  page /ky/{period}/, {variant}: {run['rps']:.1f} requests/s, "
                f"{run['queries']} queries")
    return setup, reps, pages


def _stop(signum, frame):
    """SIGTERM as Ctrl-C: the running worker is killed, the scratch database dropped."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(
        description="Measure speed and memory; write the figures into docs/benchmarks.md.")
    parser.add_argument("--postgres", action="store_true",
                        help="run the database benchmarks on PostgreSQL (BENCH_POSTGRES_URL)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run with small sizes; prints the report, writes nothing "
                             "unless --output is given")
    parser.add_argument("--skip-engine", action="store_true", help="no engine benchmark")
    parser.add_argument("--skip-db", action="store_true", help="no database benchmarks")
    parser.add_argument("--output", type=Path,
                        help=f"report to update (default {DEFAULT_OUTPUT.relative_to(ROOT)}; "
                             "with --quick: none)")
    parser.add_argument("--code-label",
                        help="how to name the measured code (default: the git commit)")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="MINUTES",
                        help="first wait up to MINUTES for the machine to be quiet")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch directory (and PostgreSQL database)")
    args = parser.parse_args(argv)

    plan = QUICK if args.quick else FULL
    output = args.output or (None if args.quick else DEFAULT_OUTPUT)
    command = "benchmarks/run.py" + "".join(
        f" {flag}" for flag, on in (("--postgres", args.postgres), ("--quick", args.quick),
                                    ("--skip-engine", args.skip_engine),
                                    ("--skip-db", args.skip_db)) if on)
    if args.wait_idle:
        wait_until_idle(args.wait_idle)
    info = report.machine()
    info["code"] = code_state(args.code_label)
    load_start = os.getloadavg()[0]
    renders = {}  # section name -> function of nothing, called once everything has run
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ict-bench-"))
    try:
        postgres_url = (os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL
                        ) if args.postgres else None
        if not args.skip_engine:
            say("Scoring engine alone…")
            part = {**info, "load_start": os.getloadavg()[0]}
            workers = Workers(workdir, worker_env(workdir, None))
            engine = run_engine(workers, plan)
            part["load_end"] = os.getloadavg()[0]
            renders["engine"] = lambda: report.engine_section(part, engine)
        if not args.skip_db:
            with ScratchDatabase(workdir, postgres_url, args.keep) as url:
                say(f"Services and page on {'PostgreSQL' if args.postgres else 'SQLite'}…")
                db_part = {**info, "load_start": os.getloadavg()[0]}
                workers = Workers(workdir, worker_env(workdir, url))
                setup, reps, pages = run_database(workers, plan, workdir)
                db_part["load_end"] = os.getloadavg()[0]
            renders[f"db-{setup['database']['vendor']}"] = lambda: report.db_section(
                db_part, setup, reps, pages, command)
    except BenchError as exc:
        say(f"Benchmark failed: {exc}")
        return 1
    finally:
        if args.keep:
            say(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info.update(load_start=load_start, load_end=os.getloadavg()[0])
    sections = {"core": report.core_section(info, command)}
    sections.update((name, render()) for name, render in renders.items())
    say(f"Done in {report.seconds(time.perf_counter() - started)}.")
    if output is None:
        print("\n\n".join(body.strip() for body in sections.values()))
    else:
        report.update_sections(output, sections, report.SECTION_ORDER)
        say(f"Wrote {', '.join(sections)} into {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
