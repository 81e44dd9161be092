"""100 simulated users for 5 minutes against gunicorn + PostgreSQL + Redis (issue 7 §6), and
the same load with PostgreSQL restarted in the middle of it.

Usage (from the project's root; needs PostgreSQL on 127.0.0.1:5432, ``redis-server`` and
``locust`` from requirements-test.txt)::

    .venv/bin/python benchmarks/load_users.py                    # 100 users, 300 s
    .venv/bin/python benchmarks/load_users.py --restart-db-at 60 --seconds 150
    .venv/bin/python benchmarks/load_users.py --seconds 30 --no-write   # a quick look

The world: a scratch PostgreSQL database (``BENCH_POSTGRES_URL``, dropped after) gets the
demo (``load_demo``: the published Quảng Nam and national periods, the open period
QNAM-2016 of the province's 49 units, one staff account per unit), then ``--prepare``
fills every unit's QNAM-2016 return with its 2015 answers through the services, sends the
last 9 to the office and adds ten reviewer accounts. A private ``redis-server`` is the cache,
gunicorn serves the production settings (``benchmarks.settings``) and locust runs in a
second process on the loopback (``benchmarks/load_users_locust.py``: 40 unit staff, 10
reviewers, 50 visitors, each waiting 2–8 s between actions, ``--wait``).

``--restart-db-at S`` stops PostgreSQL S seconds into the run and starts it again
``--down`` seconds later (``pg_ctlcluster``, needs root): every failed request is recorded
(status, time taken, the portal's Vietnamese error page or not, a traceback or not), the
time from PostgreSQL's return to the last failure says how long the portal took to recover,
and ``--check`` runs afterwards: every return's version equals one plus its saves plus its
status changes, its status is its last transition's, and every answer's history chains
(each change starts where the previous one ended, the last one ends at the stored value,
explanation and verdict), so no save or verdict was half written.

The figures replace the marked section ``bench:load_users`` (or ``bench:fault_db_restart``)
of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ict_bench_users"
SECTIONS = {"load": ("<!-- bench:load_users:start -->", "<!-- bench:load_users:end -->"),
            "fault": ("<!-- bench:fault_db_restart:start -->",
                      "<!-- bench:fault_db_restart:end -->")}
PG_CLUSTER = os.environ.get("PG_CLUSTER", "15 main").split()
LEADERBOARDS = ["/ky/MIC-2017/", "/ky/MIC-2016/", "/ky/QNAM-2015/",
                "/ky/QNAM-2015/?cohort=qn-districts&group=HT", "/ky/QNAM-2014/"]
PROFILES = ["/don-vi/VN-CAOBANG/", "/don-vi/VN-HANOI/", "/don-vi/QN-TAMKY/?ky=QNAM-2015",
            "/don-vi/QN-STTTT/", "/don-vi/VN-DANANG/"]
SUBMITTED = 9      # returns sent to the office, for the reviewers
REVIEWERS = 10
NO_ANSWER = "no answer (connection refused or timed out)"


# --- inside Django: the world and the consistency check -----------------------------------

def _django():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.utils import translation
    translation.activate("vi")


def prepare(world_path: Path) -> None:
    """Fill the open period's returns, send some to the office, add reviewers."""
    _django()
    from django.contrib.auth.hashers import make_password

    from assessments import services
    from assessments.demo.plan import DEMO_PASSWORD, OPEN
    from assessments.forms import input_value
    from assessments.models import Answer, Period, Submission, Unit, User

    period = Period.objects.get(code=OPEN.code)
    previous = period.previous
    units = list(Unit.objects.filter(cohort__in=period.cohorts.all(), active=True)
                 .order_by("code"))
    staff, submitted = [], []
    for index, unit in enumerate(units):
        user = User.objects.get(username=unit.code.lower())
        submission = services.start_submission(period=period, unit=unit, actor=user)
        data = {a.indicator.code: {"value": input_value(a, a.indicator),
                                   "explanation": a.explanation}
                for a in Answer.objects.filter(submission__period=previous,
                                               submission__unit=unit)
                .select_related("indicator") if not a.indicator.is_derived}
        services.save_answers(submission=submission, data=data, actor=user,
                              expected_version=submission.version)
        if index >= len(units) - SUBMITTED:
            services.transition_submission(submission=submission,
                                           to_status=Submission.Status.SUBMITTED, actor=user)
            submitted.append({"submission": submission.pk, "answers": list(
                Answer.objects.filter(submission=submission).values_list("pk", flat=True))})
        else:
            staff.append({"username": user.username, "submission": submission.pk})
    password = make_password(DEMO_PASSWORD)
    reviewers = [f"reviewer-{n:02d}" for n in range(1, REVIEWERS + 1)]
    User.objects.bulk_create([User(username=name, role=User.Role.REVIEWER, password=password,
                                   first_name="Cán bộ", last_name=f"thẩm định {name[-2:]}")
                              for name in reviewers])
    world = {"password": DEMO_PASSWORD, "period": period.code, "staff": staff,
             "submitted": submitted, "reviewers": reviewers, "leaderboards": LEADERBOARDS,
             "profiles": PROFILES, "units": len(units)}
    world_path.write_text(json.dumps(world, ensure_ascii=False, indent=1), encoding="utf-8")


def check() -> dict:
    """Is every return of the open period whole? (see the module's docstring)"""
    _django()
    from collections import defaultdict

    from assessments.demo.plan import OPEN
    from assessments.models import Answer, AnswerChange, Submission, SubmissionTransition
    from assessments.services import answer_text

    problems: list[str] = []
    submissions = list(Submission.objects.filter(period__code=OPEN.code))
    ids = [s.pk for s in submissions]
    saves = defaultdict(set)
    for submission_id, at in AnswerChange.objects.filter(
            answer__submission_id__in=ids,
            source__in=[AnswerChange.Source.FORM, AnswerChange.Source.WORKBOOK]).values_list(
            "answer__submission_id", "at"):
        saves[submission_id].add(at)
    transitions = defaultdict(list)
    for t in SubmissionTransition.objects.filter(submission_id__in=ids).order_by("at", "pk"):
        transitions[t.submission_id].append(t)
    for s in submissions:
        moves = [t for t in transitions[s.pk] if t.from_status]
        expected = 1 + len(saves[s.pk]) + len(moves)
        if s.version != expected:
            problems.append(f"return {s.pk}: version {s.version}, saves and transitions say "
                            f"{expected}")
        if not transitions[s.pk] or transitions[s.pk][-1].to_status != s.status:
            problems.append(f"return {s.pk}: status {s.status} is not its last transition's")
    changes = defaultdict(list)
    for c in AnswerChange.objects.filter(answer__submission_id__in=ids).order_by("at", "pk"):
        changes[(c.answer_id, c.field)].append(c)
    answers = Answer.objects.filter(submission_id__in=ids).select_related("indicator")
    checked = 0
    for a in answers:
        stored = {
            AnswerChange.Field.VALUE: answer_text(a.value_number, a.value_text,
                                                  a.indicator.value_type),
            AnswerChange.Field.EXPLANATION: a.explanation,
            AnswerChange.Field.VERDICT: a.verdict,
        }
        for field, value in stored.items():
            chain = changes.get((a.pk, field), [])
            start = ""
            for c in chain:
                if c.old != start[:2000]:
                    problems.append(f"answer {a.pk} {field}: change {c.pk} starts at {c.old!r},"
                                    f" the previous one ended at {start!r}")
                start = c.new
            if chain and start != value[:2000]:
                problems.append(f"answer {a.pk} {field}: history ends at {start!r}, stored "
                                f"{value!r}")
            checked += len(chain)
    return {"returns": len(submissions), "answers": len(answers), "changes": checked,
            "transitions": sum(len(v) for v in transitions.values()),
            "versions": sum(s.version for s in submissions), "problems": problems}


def cpu_costs(world_path: Path, rounds: int = 5) -> dict:
    """Server time of each kind of request alone (Django's test client in this process, the
    same database and cache, warm): CPU and wall milliseconds, medians of ``rounds``."""
    _django()
    import statistics
    from html.parser import HTMLParser  # noqa: F401 - used by the form parser below

    from django.test import Client

    from assessments.models import User

    source = (ROOT / "benchmarks" / "load_users_locust.py").read_text(encoding="utf-8")
    namespace: dict = {"HTMLParser": HTMLParser}
    exec(source[source.index("class FormFields"):source.index("def _record_failure")],
         namespace)
    world = json.loads(world_path.read_text(encoding="utf-8"))
    mine, item = world["staff"][-1], world["submitted"][-1]
    staff, reviewer, public = Client(), Client(), Client()
    staff.force_login(User.objects.get(username=mine["username"]))
    reviewer.force_login(User.objects.get(username=world["reviewers"][-1]))
    form_path, fields = f"/bao-cao/phieu/{mine['submission']}/", {}

    def form():
        response = staff.get(form_path)
        parser = namespace["FormFields"]()
        parser.feed(response.content.decode())
        fields.clear()
        fields.update(parser.fields)
        return response

    def save():
        data = dict(fields)
        key = next(k for k in data if k.startswith("e_"))
        data[key] = f"Đo thời gian {time.monotonic()}"
        response = staff.post(form_path + "luu-tu-dong/", data)
        fields.update(version=str(response.json()["version"]),
                      original=response.json()["original"])
        return response

    def sign_in():
        return Client().post("/login/", {"username": mine["username"],
                                         "password": world["password"]})

    review = f"/tham-dinh/phieu/{item['submission']}/"
    kinds = {
        "staff: form (GET)": form,
        "staff: save draft": save,
        "staff: points preview": lambda: staff.post(form_path + "diem/", fields),
        "reviewer: progress board": lambda: reviewer.get(f"/tham-dinh/ky/{world['period']}/"),
        "reviewer: submission (GET)": lambda: reviewer.get(review),
        "reviewer: verdict": lambda: reviewer.post(f"{review}cau/{item['answers'][0]}/",
                                                   {"verdict": "accepted"}),
        "public: leaderboard": lambda: public.get(world["leaderboards"][0]),
        "public: unit profile": lambda: public.get(world["profiles"][0]),
        "public: home": lambda: public.get("/"),
        "sign in": sign_in,
    }
    costs = {}
    form()
    for name, call in kinds.items():
        call()  # warm
        cpu, wall = [], []
        for _ in range(rounds):
            c, w = time.process_time(), time.perf_counter()
            call()
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
        costs[name] = {"cpu": statistics.median(cpu), "wall": statistics.median(wall)}
    return costs


# --- outside Django: the run --------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url: str, sql: str) -> None:
    base = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", base, "-q", "-c", sql], check=True, capture_output=True)


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0


class LoadSampler(threading.Thread):
    """The 1-minute load average every 5 s while the run lasts."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(5):
            self.samples.append(os.getloadavg()[0])


def restart_database(at: float, down: float, events: dict) -> None:
    """Stop PostgreSQL ``at`` seconds from now, start it ``down`` seconds later."""
    time.sleep(at)
    events["stop_called"] = time.time()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, "stop",
                    "-m", "fast"], check=False, capture_output=True)
    events["stopped"] = time.time()
    time.sleep(down)
    events["start_called"] = time.time()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, "start"],
                   check=False, capture_output=True)
    while not pg_ready():
        time.sleep(0.2)
    events["ready"] = time.time()


#: Seconds after the last user started (and signed in) where the steady state begins.
STEADY_AFTER = 30


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def steady_state(logged: list[list[str]], since: float) -> dict:
    """p50/p95/p99 by kind (and of all) of the requests that ended after ``since``."""
    kinds: dict[str, list[float]] = {}
    for end, name, ms, _failed in logged:
        if float(end) >= since:
            kinds.setdefault(name, []).append(float(ms))
            kinds.setdefault("Aggregated", []).append(float(ms))
    return {name: {"n": len(v), "p50": _percentile(v, .50), "p95": _percentile(v, .95),
                   "p99": _percentile(v, .99)} for name, v in kinds.items()}


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn sync workers (default: 2 × cores + 1, as deploy/)")
    parser.add_argument("--wait", default="2,8",
                        help="seconds a user waits between actions: min,max (default 2,8)")
    parser.add_argument("--restart-db-at", type=float, default=None,
                        help="stop PostgreSQL this many seconds into the run")
    parser.add_argument("--down", type=float, default=6, help="seconds PostgreSQL stays down")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare(args.prepare)
    if args.check:
        print(json.dumps(check(), ensure_ascii=False))
        return None
    if args.cpu:
        print(json.dumps(cpu_costs(args.cpu)))
        return None
    locust = Path(sys.executable).with_name("locust")
    for tool in ("redis-server", "psql", "pg_isready", str(locust)):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y redis-server postgresql-client; "
                     "pip install -r requirements-test.txt")
    if args.restart_db_at is not None and os.geteuid() != 0:
        sys.exit("--restart-db-at runs pg_ctlcluster: run as root (or the postgres user)")
    staff, reviewers = round(args.users * 0.4), round(args.users * 0.1)
    database = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if args.restart_db_at is not None:
        database = database.replace("ict_bench_users", "ict_bench_fault")
    name = database.rsplit("/", 1)[1]
    scratch = Path(tempfile.mkdtemp(prefix="ict-bench-users-"))
    world, failures, prefix = scratch / "world.json", scratch / "failures.jsonl", scratch / "run"
    requests_log = scratch / "requests.tsv"
    redis_port, http_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database,
           "CACHE_URL": f"redis://127.0.0.1:{redis_port}/0",
           "DJANGO_SETTINGS_MODULE": "benchmarks.settings", "DEBUG": "0",
           "SECRET_KEY": "benchmark-only-" + "x" * 40, "VAR_DIR": str(scratch / "var"),
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONPATH": str(ROOT)}
    python = sys.executable
    processes: list[subprocess.Popen] = []
    events: dict = {}
    psql(database, f'DROP DATABASE IF EXISTS "{name}"')
    psql(database, f'CREATE DATABASE "{name}"')
    try:
        started = time.monotonic()
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "manage.py", "load_demo", "-v0"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        subprocess.run([python, __file__, "--prepare", str(world)], cwd=ROOT, env=env,
                       check=True)
        print(f"world ready in {time.monotonic() - started:.0f} s", flush=True)
        processes.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        gunicorn_log = open(scratch / "gunicorn.log", "w")
        processes.append(subprocess.Popen(
            [python, "-m", "gunicorn", "ict_index.wsgi:application", "--bind",
             f"127.0.0.1:{http_port}", "--workers", str(args.workers), "--timeout", "30",
             "--log-level", "warning"], cwd=ROOT, env=env, stdout=gunicorn_log,
            stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{http_port}"
        wait_for(base + "/")
        for path in LEADERBOARDS + PROFILES:
            wait_for(base + path)  # the first visitor after a publication builds the page
        costs = json.loads(subprocess.run(
            [python, __file__, "--cpu", str(world)], cwd=ROOT, env=env, check=True,
            capture_output=True, text=True).stdout)
        sampler = LoadSampler()
        load_start = os.getloadavg()[0]
        sampler.start()
        if args.restart_db_at is not None:
            threading.Thread(target=restart_database, daemon=True,
                             args=(args.restart_db_at, args.down, events)).start()
        events["load_started"] = time.time()
        subprocess.run(
            [str(locust), "-f", str(ROOT / "benchmarks" / "load_users_locust.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
             "--run-time", f"{args.seconds}s", "--host", base, "--csv", str(prefix),
             "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
            cwd=ROOT, check=True,
            env={**env, "LOAD_WORLD": str(world), "LOAD_FAILURES": str(failures),
                 "LOAD_REQUESTS": str(requests_log),
                 "LOAD_STAFF": str(staff), "LOAD_WAIT": args.wait, "LOAD_REVIEWERS": str(reviewers),
                 "LOAD_PUBLIC": str(args.users - staff - reviewers)})
        events["load_ended"] = time.time()
        sampler.stop.set()
        load_end = os.getloadavg()[0]
        while not pg_ready():  # never leave without the database
            time.sleep(0.5)
        stats = read_stats(prefix)
        logged = [line.split("\t") for line in
                  requests_log.read_text(encoding="utf-8").splitlines() if line.strip()]
        consistency = json.loads(subprocess.run(
            [python, __file__, "--check"], cwd=ROOT, env=env, check=True, capture_output=True,
            text=True).stdout)
        gunicorn_log.close()
        log = (scratch / "gunicorn.log").read_text(encoding="utf-8", errors="replace")
        failed = [json.loads(line) for line in failures.read_text().splitlines()] if (
            failures.exists()) else []
    finally:
        if args.restart_db_at is not None and not pg_ready():
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER,
                            "start"], check=False)
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        try:
            psql(database, f'DROP DATABASE IF EXISTS "{name}"')
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(scratch, ignore_errors=True)
    ramp = args.users / args.spawn_rate
    steady = steady_state(logged, events["load_started"] + ramp + STEADY_AFTER)
    run = {"args": vars(args) | {"prepare": None, "cpu": None}, "stats": stats,
           "steady": steady, "ramp": ramp,
           "failed": failed, "costs": costs,
           "events": events, "consistency": consistency, "staff": staff,
           "reviewers": reviewers, "load": {"start": load_start, "end": load_end,
                                            "samples": sampler.samples},
           "log_lines": log.count("\n"), "log_tracebacks": log.count("Traceback")}
    print(json.dumps({k: v for k, v in run.items() if k != "stats"}, ensure_ascii=False,
                     default=str)[:4000])
    write(run, args)


# --- the report ---------------------------------------------------------------------------

def _ms(value: str) -> str:
    return "–" if value in ("", "N/A") else f"{float(value):,.0f}"


def _table(stats: list[dict], costs: dict, steady: dict | None = None) -> list[str]:
    lines = ["| kind of request | requests | failures | req/s | p50 ms | p95 ms | p99 ms | "
             "max ms | steady state: p50 / p95 / p99 ms | alone: CPU / wall ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = sorted((r for r in stats if r["Name"] != "Aggregated"), key=lambda r: r["Name"])
    rows += [r for r in stats if r["Name"] == "Aggregated"]
    for r in rows:
        name = "**all requests**" if r["Name"] == "Aggregated" else r["Name"]
        lines.append(f"| {name} | {int(r['Request Count']):,} | {int(r['Failure Count']):,} | "
                     f"{float(r['Requests/s']):.1f} | {_ms(r['50%'])} | {_ms(r['95%'])} | "
                     f"{_ms(r['99%'])} | {_ms(r['Max Response Time'])} | "
                     + (f"{(steady or {})[r['Name']]['p50']:,.0f} / "
                        f"{(steady or {})[r['Name']]['p95']:,.0f} / "
                        f"{(steady or {})[r['Name']]['p99']:,.0f} | "
                        if r["Name"] in (steady or {}) else "– | ")
                     + (f"{costs[r['Name']]['cpu']:.0f} / {costs[r['Name']]['wall']:.0f} |"
                        if r["Name"] in costs else "|"))
    return lines


def _outcome(total: dict, worst: dict, fails: int, run) -> str:
    pages = {k: v for k, v in run["steady"].items() if k not in ("Aggregated", "sign in",
                                                                  "login page")}
    steady = max((v["p95"] for v in pages.values()), default=float("nan"))

    def verdict(p95: float) -> str:
        return "met" if fails == 0 and p95 < 500 else "not met"

    return (f"Outcome: {int(total['Request Count']):,} requests, "
            f"{float(total['Requests/s']):.1f} a second, {fails} failed; p95 of every kind of "
            f"page at most {float(worst['95%']):,.0f} ms over the whole run ({worst['Name']}), "
            f"{steady:,.0f} ms in the steady state. Target of the issue, no error and p95 under "
            f"500 ms: {verdict(float(worst['95%']))} over the whole run, {verdict(steady)} in "
            "the steady state, on this shared machine at this load.")


def _steady_text(run) -> str:
    steady = run["steady"].get("Aggregated")
    if not steady:
        return ""
    pages = {k: v for k, v in run["steady"].items() if k not in ("Aggregated", "sign in",
                                                                  "login page")}
    worst = max(pages, key=lambda k: pages[k]["p95"]) if pages else "Aggregated"
    return (f"*Steady state*: the requests that ended from {run['ramp'] + STEADY_AFTER:.0f} s "
            f"into the run ({STEADY_AFTER} s after the last user had started and signed in) "
            f"to its end: {steady['n']:,} requests, p50 {steady['p50']:,.0f} ms, p95 "
            f"{steady['p95']:,.0f} ms, p99 {steady['p99']:,.0f} ms; the slowest kind at p95: "
            f"{worst} ({pages.get(worst, steady)['p95']:,.0f} ms). The first seconds carry "
            f"the sign-ins of {run['args']['users'] - run['args']['users'] // 2} people within "
            f"{run['ramp']:.0f} s (PBKDF2 hashing, about a third of a second of CPU each), "
            "which queue every other request behind them.")


def _capacity(stats: list[dict], costs: dict) -> str:
    """The mix's mean server CPU per request (from the costs alone) and what it implies."""
    counted = [(int(r["Request Count"]), costs[r["Name"]]["cpu"]) for r in stats
               if r["Name"] in costs]
    n = sum(count for count, _ in counted)
    if not n:
        return ""
    mean = sum(count * cpu for count, cpu in counted) / n
    total = next(r for r in stats if r["Name"] == "Aggregated")
    rps = float(total["Requests/s"])
    return (f"Measured alone (last column: each kind of request through Django's test client "
            f"in one process, on the same database and cache, warm, median of 5), this mix "
            f"costs the server {mean:.0f} ms of CPU per request on average, so the "
            f"{rps:.1f} requests a second of the run needed about {rps * mean / 1000:.2f} of "
            f"the machine's {os.cpu_count()} cores for Django alone (PostgreSQL, Redis and "
            "the load generator come on top). Where p50 is far above that column, requests "
            "were waiting for a CPU (a busy, shared machine), not doing work.")


def _commit() -> str:
    """The commit measured (``.commit`` of an exported tree, else the checkout's HEAD)."""
    exported = ROOT / ".commit"
    if exported.exists():
        return exported.read_text().strip()
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip() or "?"


def _machine(run) -> str:
    samples = run["load"]["samples"] or [run["load"]["start"]]
    gunicorn = subprocess.run([sys.executable, "-m", "gunicorn", "--version"],
                              capture_output=True, text=True).stdout.strip()
    locust = subprocess.run([str(Path(sys.executable).with_name("locust")), "--version"],
                            capture_output=True, text=True).stdout.split(" from ")[0]
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work, "
            f"Python {platform.python_version()}, {gunicorn} ({run['args']['workers']} sync "
            f"workers), {locust}; PostgreSQL 15 and a private Redis on the loopback; code: "
            f"commit {_commit()}. "
            f"Load average (1 min): {run['load']['start']:.1f} at the start, "
            f"{sum(samples) / len(samples):.1f} on average (sampled every 5 s), "
            f"{max(samples):.1f} at most, {run['load']['end']:.1f} at the end — the load "
            "generator and gunicorn share the same 2 cores with the other helpers' work, so "
            "every latency here is pessimistic. Measured "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(run['events']['load_started']))}.")


def _method(run) -> str:
    a = run["args"]
    command = "benchmarks/load_users.py"
    if a["restart_db_at"] is not None:
        command += f" --restart-db-at {a['restart_db_at']:g} --down {a['down']:g}"
    if a["seconds"] != 300:
        command += f" --seconds {a['seconds']}"
    target = "make fault" if a["restart_db_at"] is not None else "make load"
    return (f"`{command}` "
            f"(`{target}`): {a['users']} simulated users started at {a['spawn_rate']:g} a "
            f"second and kept for {a['seconds']} s, each waiting "
            f"{a['wait'].replace(',', '–')} s (reading, typing) between two actions — "
            f"{run['staff']} unit staff (one account per unit of the province's 49, each on its "
            "own QNAM-2016 return: open the form, change an explanation and save the draft in "
            "the background with the form's version field, points preview, now and then save "
            f"the whole form), {run['reviewers']} reviewers (the period's progress board, one of "
            "the 9 submitted returns, a verdict on one of its answers) and "
            f"{a['users'] - run['staff'] - run['reviewers']} visitors (leaderboards, unit "
            "profiles, the home page). Locust in a second process on the loopback; every "
            "answer other than the expected status (200, or 302 after a POST) is a failure. "
            "Sign-ins (PBKDF2 password hashing, once per user) are shown on their own line. "
            "Times include the whole run (start-up of the users too).")


def write(run, args) -> None:
    stats = run["stats"]
    total = next(r for r in stats if r["Name"] == "Aggregated")
    pages = [r for r in stats if r["Name"] not in ("Aggregated", "sign in", "login page")]
    worst = max(pages, key=lambda r: float(r["95%"] or 0))
    c = run["consistency"]
    whole = (f"Consistency check after the run: {c['returns']} returns, {c['answers']:,} "
             f"answers, {c['changes']:,} history rows, {c['transitions']} transitions — "
             + ("**every return whole** (version = 1 + saves + status changes; status = last "
                "transition; every answer's value, explanation and verdict history chains to "
                "the stored value)." if not c["problems"] else
                f"**{len(c['problems'])} problems**: " + "; ".join(c["problems"][:5]) + "."))
    if args.restart_db_at is None:
        kind = "load"
        fails = int(total["Failure Count"])
        lines = [
            "## 100 users for 5 minutes (issue 7 §6)", "", _method(run), "", _machine(run), "",
            *_table(stats, run["costs"], run["steady"]), "", _steady_text(run), "",
            _capacity(stats, run["costs"]), "",
            _outcome(total, worst, fails, run) + " " + whole,
        ]
    else:
        kind = "fault"
        e, failed = run["events"], run["failed"]
        t0 = e["load_started"]
        down = e["ready"] - e["stop_called"]
        statuses: dict = {}
        for f in failed:
            statuses[f["status"]] = statuses.get(f["status"], 0) + 1
        first = min((f["t"] for f in failed), default=None)
        last = max((f["t"] for f in failed), default=None)
        after = [f for f in failed if f["t"] > e["ready"]]
        lines = [
            "## PostgreSQL restarted under load (issue 7 §6)", "", _method(run), "",
            _machine(run), "",
            f"PostgreSQL stopped (`pg_ctlcluster {' '.join(PG_CLUSTER)} stop -m fast`) "
            f"{e['stop_called'] - t0:.0f} s into the run, started again {args.down:g} s later; "
            f"accepting connections again after {down:.1f} s in all.", "",
            *_table(stats, run["costs"], run["steady"]), "",
            f"- Failed requests: {len(failed)} "
            f"({', '.join(f'{n} × {s or NO_ANSWER}' for s, n in sorted(statuses.items()))}); "
            f"with the portal's Vietnamese error page: "
            f"{sum(1 for f in failed if f['error_page'])}; showing a traceback or the "
            f"database's error: {sum(1 for f in failed if f['leak'])}; slowest failure: "
            f"{max((f['ms'] for f in failed), default=0):,.0f} ms (no request hung).",
            "- Recovery: "
            + (f"failures from {first - e['stop_called']:+.1f} s to {last - e['stop_called']:+.1f}"
               f" s after the stop; PostgreSQL reported ready (pg_isready, polled) "
               f"{e['ready'] - e['stop_called']:.1f} s after it; failures after that moment: "
               f"{len(after)}" if last else "no failure at all")
            + f"; the portal was not restarted (gunicorn's log: {run['log_tracebacks']} "
            "tracebacks, written to the server's log only).",
            f"- {whole}",
        ]
    start, end = SECTIONS[kind]
    section = "\n".join([start, *lines, end])
    print(section)
    if args.no_write:
        return
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: section, text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
