"""The Markdown report: the machine, the method and the tables of figures.

``run.py`` owns only the parts of ``docs/benchmarks.md`` between its markers
(``<!-- bench:<name>:start -->`` … ``<!-- bench:<name>:end -->``); everything else in the
file (notes, findings, sections of other benchmarks) is kept as it is.
"""

from __future__ import annotations

import os
import platform
import re
from datetime import datetime
from pathlib import Path

from .measure import MIB, median

TITLE = "# Benchmarks\n"


# --- the machine --------------------------------------------------------------------------

def machine() -> dict:
    """CPU model and cores (``/proc/cpuinfo``), RAM (``/proc/meminfo``), the versions."""
    import django
    import numpy
    import openpyxl
    import pandas

    cpu, cores = platform.processor() or "unknown CPU", os.cpu_count() or 0
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram = 0
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemTotal:"):
                    ram = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": cores, "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "django": django.get_version(),
        "pandas": pandas.__version__, "numpy": numpy.__version__,
        "openpyxl": openpyxl.__version__,
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nice": os.nice(0),
    }


def machine_line(info: dict) -> str:
    return (f"{info['cpu']}, {info['cores']} cores, {info['ram'] / 1024 ** 3:.1f} GiB RAM; "
            f"Python {info['python']}, Django {info['django']}, pandas {info['pandas']}, "
            f"numpy {info['numpy']}")


def load_line(info: dict) -> str:
    """The load average around the run: other work on the machine slows every figure."""
    start, end = info.get("load_start"), info.get("load_end")
    if start is None:
        return "load average not recorded"
    text = f"load average (1 min) {start:.2f} at the start, {end:.2f} at the end of the run"
    if max(start, end) > 0.5 * info["cores"]:
        text += (" — the machine was busy with other work: wall times are pessimistic; "
                 "compare the CPU column")
    if info.get("nice"):
        text += f"; the benchmark ran at scheduling priority nice {info['nice']:+d}"
    return text


# --- number formats -----------------------------------------------------------------------

def seconds(value: float) -> str:
    """1.234 s, 85 ms, 0.42 ms: three significant figures or so."""
    if value != value:  # NaN
        return "–"
    if value >= 10:
        return f"{value:,.1f} s"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.01:
        return f"{value * 1000:,.0f} ms"
    return f"{value * 1000:.2f} ms"


def mib(value: float) -> str:
    return f"{value / MIB:,.0f} MiB" if value >= 10 * MIB else f"{value / MIB:.1f} MiB"


def kib(value: float) -> str:
    return f"{value / 1024:,.0f} KiB"


def count(value: int) -> str:
    return f"{value:,}"


def spread(times: list[float]) -> str:
    """``min–max`` of the runs, so that a reader sees how steady the median is."""
    if len(times) < 2:
        return "–"
    return f"{seconds(min(times))} – {seconds(max(times))}"


def table(header: list[str], rows: list[list[str]], align: str) -> str:
    """A Markdown table; ``align`` has one letter per column, ``l`` or ``r``."""
    marks = {"l": "---", "r": "---:"}
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- sections -----------------------------------------------------------------------------

def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def update_sections(path: Path, sections: dict[str, str], order: list[str]) -> None:
    """Replace each named section of ``path`` between its markers, or add it: after the
    section that precedes it in ``order`` when that one is there, else at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else TITLE
    for name, body in sections.items():
        start, end = _markers(name)
        block = f"{start}\n{body.strip()}\n{end}"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _, block=block: block, text, count=1)
            continue
        anchor = None
        for earlier in reversed(order[:order.index(name)] if name in order else []):
            if _markers(earlier)[1] in text:
                anchor = _markers(earlier)[1]
                break
        if anchor:
            at = text.index(anchor) + len(anchor)
            text = f"{text[:at]}\n\n{block}{text[at:]}"
        else:
            text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


# --- the sections of run.py ---------------------------------------------------------------

SECTION_ORDER = ["core", "engine", "db-sqlite", "db-postgresql"]


def core_section(info: dict, command: str) -> str:
    return f"""
## Speed and memory (`benchmarks/run.py`)

This part (the marked sections `bench:core`, `bench:engine`, `bench:db-sqlite` and
`bench:db-postgresql`) is written by `make bench` (`benchmarks/run.py`; `--postgres` for
PostgreSQL); the other sections of this file come from their own scripts and everything
outside these markers is kept when the figures are measured again. Figures are measured,
never asserted: no test checks a timing.

Last run: {info['date']}, `{command}`, code: {info['code']}; {load_line(info)}.

### Machine

| | |
| --- | --- |
| CPU | {info['cpu']} |
| cores | {info['cores']} |
| RAM | {info['ram'] / 1024 ** 3:.1f} GiB |
| system | {info['os']} |
| Python | {info['python']} |
| Django | {info['django']} |
| pandas / numpy | {info['pandas']} / {info['numpy']} |
| openpyxl (writes the workbooks) | {info['openpyxl']} |

### Method

- **Data** (`benchmarks/synthetic.py`, fixed seeds: every run measures the same bytes).
  Framework `BENCH`: 4 groups × 25 answered indicators (100 answer columns) and one derived
  indicator (`ht_may_tinh / ht_can_bo * 100`), 101 indicators; rules `boolean`, `bands`,
  `ratio`, `goalpost`, `minmax` (some inverse), `choice`, `direct`, two reference figures
  (`none`); three `sum` groups and a `weighted_mean` one; total = weighted mean on 100 with
  four bands. Answers follow a hidden maturity per unit (scores spread, few ties), about
  2 % of cells empty, yes/no written as *có*/*không* in the workbooks.
- **Processes.** Every measurement runs in a fresh Python process (`engine_worker.py`,
  `db_worker.py`), so that its peak resident size (`ru_maxrss`) is its own. *Peak RSS* is
  that process's high-water mark (interpreter, Django, pandas and the data included);
  *rise* is how far it went above the resident size just before the measured call.
- **Engine** (`rankings.engine.compute` alone, no Django, no database): inputs built first
  (not timed), one warm-up call, then N timed calls; the median is shown with the fastest
  and slowest run. One more call under `tracemalloc` gives the peak of the memory that
  `compute` itself allocated (that call is not timed: tracemalloc slows Python down).
- **Services** on a scratch database (a temporary SQLite file, or the `ict_bench`
  PostgreSQL database created and dropped by the run), migrated from scratch. Setup (not
  timed): units imported, framework imported from its workbook, last year's periods
  imported, computed and published (so this year's computation reads previous ranks, as in
  production). Then, for each of N identical periods: `import_returns` of the wide
  workbook (first import), the same workbook with 1 % of its cells changed, that workbook
  again with approval (nothing changes but the submissions' status), then
  `compute_snapshot` and `publish_snapshot`. Each is one call of the service as the
  commands make it, after a warm-up of imports, translations and the connection; the
  median of the N periods is shown. *Queries* counts the statements sent (a
  `connection.execute_wrapper`, which does not format SQL as Django's query capture does).
- **Time.** Wall time on `time.perf_counter()`, and CPU time of the worker process
  (`time.process_time()`; SQLite runs inside it) plus, on PostgreSQL, the CPU time of the
  connection's server process (`/proc/<pid>/stat`). The machine is shared: when other work
  runs (see the load average in each section), wall times grow a lot while CPU times grow
  less (two processes sharing a core's caches still slow each other) — compare the two.
  (`nice` does not help: with the kernel's autogroup scheduling every session gets its
  share whatever its niceness.)
- **Page**: the public leaderboard `/ky/<code>/` through Django's test `Client` in the
  worker process — the whole middleware stack, the view, its queries and the template,
  one request at a time. Three ways: as a visitor without a session after warm-up (what
  the view caches is served from the cache, a local-memory one here), as a signed-in
  reviewer (a session), and with the cache emptied before each request (the first visitor
  after a publication builds everything). Requests per second = requests ÷ elapsed time.
  This is not a load test (no HTTP server, no concurrency, no network, no compression; see
  *Public pages under load* for gunicorn + wrk). Settings are the production ones (`DEBUG`
  off, cached templates) but for plain HTTP and the plain static-files storage
  (`benchmarks/settings.py`).
"""


def engine_section(info: dict, results: list[dict]) -> str:
    rows = [[count(r["units"]), count(r["values"]), seconds(r["median"]), spread(r["times"]),
             str(r["repeat"]), seconds(r["cpu_median"]), mib(r["tracemalloc_peak"]),
             mib(r["rss_peak"]), mib(max(0, r["rss_peak"] - r["rss_baseline"]))]
            for r in results]
    figures = table(["units", "answers", "median", "runs (min – max)", "N", "CPU (median)",
                     "allocated by `compute` (tracemalloc peak)", "peak RSS", "RSS rise"],
                    rows, "rrrrrrrrr")
    return f"""
### 1. Scoring engine alone: `rankings.engine.compute`

- Measured {info['date']}; code: {info['code']}.
- {machine_line(info)}; {load_line(info)}.
- One cohort; 101 indicators (100 answered, about 2 % of answers empty, one derived); no
  previous ranks. *Peak RSS* includes the inputs (the long table of answers) built before
  the calls.

{figures}
"""


def db_section(info: dict, setup: dict, reps: dict[str, list[dict]], pages: dict[str, dict],
               command: str) -> str:
    db, units, sizes = setup["database"], setup["units"], setup["file_sizes"]
    first, changed = reps["import"][0]["counts"], reps["reimport"][0]["counts"]
    compute = reps["compute"][0]
    large = count(units["xa"])

    def step_row(label: str, runs: list[dict], note: str) -> list[str]:
        times = [r["seconds"] for r in runs]
        queries = sorted({r["queries"] for r in runs})
        cpu = seconds(median([r["cpu"] for r in runs]))
        server = [r["server_cpu"] for r in runs if r.get("server_cpu") is not None]
        if server:
            cpu += f" + {seconds(median(server))}"
        return [label, seconds(median(times)), spread(times), str(len(runs)), cpu,
                " / ".join(count(q) for q in queries), mib(max(r["rss_peak"] for r in runs)),
                mib(max(max(0, r["rss_peak"] - r["rss_baseline"]) for r in runs)), note]

    cpu_header = "CPU (median): " + ("worker + PostgreSQL backend" if db["vendor"] == "postgresql"
                                     else "worker, SQLite included")
    services = table(
        [f"step ({large} units × 100 indicators)", "median", "runs (min – max)", "N",
         cpu_header, "queries", "peak RSS", "RSS rise", "what it did"],
        [step_row("`import_returns`, first import", reps["import"],
                  f"{count(first['answers_created'])} answers and {large} submissions "
                  "created"),
         step_row("`import_returns`, the workbook with 1 % of cells changed", reps["reimport"],
                  f"{count(changed['answers_changed'])} answers changed, "
                  f"{count(changed['answers_created'])} created, "
                  f"{count(changed['answers_unchanged'])} unchanged"),
         step_row("`import_returns`, that workbook again with `approve=True`", reps["approve"],
                  f"no answer changed; {large} submissions approved"),
         step_row("`compute_snapshot`", reps["compute"],
                  f"{count(compute['units_ranked'])} units ranked; "
                  f"{count(compute['rows']['units'])} unit, "
                  f"{count(compute['rows']['groups'])} group and "
                  f"{count(compute['rows']['indicators'])} indicator results written"),
         step_row("`publish_snapshot`", reps["publish"], "the snapshot made public")],
        "lrrrrrrrl")
    compute_publish = (median([r["seconds"] for r in reps["compute"]])
                       + median([r["seconds"] for r in reps["publish"]]))

    page_rows = []
    for key, label in (("small", f"{count(units['tinh'])} provinces"),
                       ("large", f"{large} communes")):
        page = pages[key]
        for variant, what in (("cached", "visitor without a session, after warm-up"),
                              ("signed_in", "signed-in reviewer, after warm-up"),
                              ("cold", "cache emptied before each request")):
            run = page[variant]
            page_rows.append([f"`{page['url']}` ({label})", what, f"{run['rps']:,.1f}",
                              seconds(run["latency_median"]), seconds(run["cpu_per_request"]),
                              count(run["requests"]), str(run["queries"])])
    page_table = table(["page", "request", "requests/s", "median latency", "CPU per request",
                        "requests timed", "queries per request"], page_rows, "llrrrrr")
    sizes_line = "; ".join(
        f"`{pages[key]['url']}` lists {count(pages[key]['rows'])} units in "
        f"{kib(pages[key]['bytes'])} of HTML ({kib(pages[key]['gzip_bytes'])} gzipped)"
        for key in ("small", "large"))
    verdicts = []
    for variant in ("cached", "signed_in", "cold"):
        small_q, large_q = pages["small"][variant]["queries"], pages["large"][variant]["queries"]
        verdicts.append(f"{variant.replace('_', '-')}: {small_q} and {large_q} — "
                        + ("constant" if small_q == large_q else "**not constant**"))
    constant = (f"queries per request for {count(units['tinh'])} and for {large} units, "
                + "; ".join(verdicts))
    steps = setup["steps"]
    return "\n".join([
        f"### 2–4. Services and the public page on {db['name']} {db['version']}",
        "",
        f"- Measured {info['date']} with `{command}`; code: {info['code']}.",
        f"- {machine_line(info)}; {db['name']} {db['version']} through {db['driver']}.",
        f"- {load_line(info)}.",
        f"- The wide returns workbook: {large} communes × 100 answered indicators, "
        f"{kib(sizes['X2025'])}, {count(first['answers_created'])} filled cells; its copy with "
        f"1 % of the cells changed ({count(steps['cells_changed'])} cells): "
        f"{kib(sizes['X2025-changed'])}.",
        f"- Setup (not measured): {seconds(steps['total'])}, of which migrations "
        f"{seconds(steps['migrate'])} and writing the workbooks (openpyxl, write-only) "
        f"{seconds(steps['write_workbooks'])}.",
        "",
        services,
        "",
        f"`compute_snapshot` + `publish_snapshot` of the period: **{seconds(compute_publish)}** "
        "(sum of the medians).",
        "",
        "Public leaderboard, in-process (Django test `Client`, one request at a time; not a "
        f"load test): {constant}. {sizes_line}.",
        "",
        page_table,
    ])
