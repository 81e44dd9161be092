"""Requests per second of the public pages under load (issue 5): gunicorn, PostgreSQL, Redis.

Usage (from the project's root; needs PostgreSQL on 127.0.0.1:5432, ``redis-server`` and
``wrk`` — ``apt-get install -y wrk redis-server``)::

    .venv/bin/python benchmarks/public_load.py              # writes docs/benchmarks.md
    .venv/bin/python benchmarks/public_load.py --no-write   # print only

A scratch PostgreSQL database (``BENCH_POSTGRES_URL``, dropped after) gets the demo
(``load_demo``: Quảng Nam 2014/2015, the national 2016/2017 ranking of 63 provinces). A
private ``redis-server`` is started on a free port of the loopback as the cache
(``CACHE_URL``), gunicorn serves the production settings (``benchmarks.settings``: DEBUG
off, cached templates) with ``--workers`` sync workers, and ``wrk`` in a second process
loads each page for ``--seconds`` with ``--connections`` connections after one warming
request. The figures replace the marked section ``bench:public_load`` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:public_load:start -->", "<!-- bench:public_load:end -->"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ict_bench_public"
PAGES = [
    ("Leaderboard, national 2017", "/ky/MIC-2017/"),
    ("Leaderboard, Quảng Nam districts, one group",
     "/ky/QNAM-2015/?cohort=qn-districts&group=HT"),
    ("Unit profile, Cao Bằng", "/don-vi/VN-CAOBANG/"),
    ("Unit profile, Tam Kỳ 2015", "/don-vi/QN-TAMKY/?ky=QNAM-2015"),
    ("Home (published periods)", "/"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url: str, sql: str) -> None:
    base = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", base, "-q", "-c", sql], check=True, capture_output=True)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wrk(url: str, seconds: int, connections: int, threads: int) -> dict:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                          "--latency", url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "redis-server", "psql"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y wrk redis-server postgresql-client")
    database = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = database.rsplit("/", 1)[1]
    scratch = Path(tempfile.mkdtemp(prefix="ict-bench-public-"))
    redis_port, http_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database, "CACHE_URL": f"redis://127.0.0.1:{redis_port}/0",
           "DJANGO_SETTINGS_MODULE": "benchmarks.settings", "DEBUG": "0",
           "SECRET_KEY": "benchmark-only-" + "x" * 40, "VAR_DIR": str(scratch / "var"),
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONPATH": str(ROOT)}
    python = sys.executable
    processes: list[subprocess.Popen] = []
    psql(database, f'DROP DATABASE IF EXISTS "{name}"')
    psql(database, f'CREATE DATABASE "{name}"')
    try:
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "manage.py", "load_demo", "-v0"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        processes.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        processes.append(subprocess.Popen(
            [python, "-m", "gunicorn", "ict_index.wsgi:application", "--bind",
             f"127.0.0.1:{http_port}", "--workers", str(args.workers), "--log-level",
             "warning"], cwd=ROOT, env=env))
        base = f"http://127.0.0.1:{http_port}"
        wait_for(base + "/")
        args.load = os.getloadavg()[0]
        results = []
        for label, path in PAGES:
            wait_for(base + path)  # warms the cache
            results.append((label, path, wrk(base + path, args.seconds, args.connections, 2)))
            print(f"{label}: {results[-1][2]}")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=20)
        psql(database, f'DROP DATABASE IF EXISTS "{name}"')
        shutil.rmtree(scratch, ignore_errors=True)
    write(results, args)


def write(results, args) -> None:
    gunicorn = subprocess.run([sys.executable, "-m", "gunicorn", "--version"],
                              capture_output=True, text=True).stdout.strip()
    lines = [
        START,
        "## Public pages under load (issue 5)",
        "",
        f"`benchmarks/public_load.py`: {gunicorn} ({args.workers} sync workers, "
        "production settings), PostgreSQL and a private Redis cache on the loopback, the demo "
        f"data; `wrk` in a second process, 2 threads, {args.connections} connections, "
        f"{args.seconds} s per page after one warming request. Machine: {os.cpu_count()} "
        f"cores, Python {platform.python_version()}; load average when the run started: "
        f"{args.load:.1f} (other processes on the machine share its cores: a load above "
        f"{os.cpu_count()} lowers the figures).",
        "",
        "| Page | URL | Requests/s | Median latency | 99th percentile | Errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, path, r in results:
        lines.append(f"| {label} | `{path}` | {r['rps']:.0f} | {r['p50']} | {r['p99']} | "
                     f"{r['errors']} |")
    lines += ["", "Pages are served from the cache until the next publication (one query per "
              "request reads the publication state with one plain SQL query): for visitors without "
              "a session the whole response is kept, with the CSRF token of the language form "
              "put back per visitor; signed-in users get pages built from the cached data.",
              END]
    section = "\n".join(lines)
    if args.no_write:
        print(section)
        return
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: section, text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")
    print(section)


if __name__ == "__main__":
    main()
