"""Small measuring tools shared by the workers: clocks, memory, query counts, results."""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024


def rss_now() -> int:
    """The process's resident set size now, in bytes (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rss_peak() -> int:
    """The process's highest resident set size so far, in bytes (``ru_maxrss`` is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def settle() -> int:
    """Collect garbage and return the resident size: the baseline before a measurement."""
    gc.collect()
    return rss_now()


def timed(action: Callable[[], object]) -> tuple[float, object]:
    """``(seconds, result)`` of one call, on the monotonic high-resolution clock."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def timed_cpu(action: Callable[[], object]) -> tuple[float, float, object]:
    """``(wall seconds, CPU seconds of this process, result)`` of one call. On a busy
    machine the wall time grows while the CPU time stays close to the work done."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class QueryCounter:
    """A database ``execute_wrapper`` that counts statements without recording their SQL
    (Django's ``CaptureQueriesContext`` formats every statement with its parameters, which
    costs seconds on a bulk insert of 100,000 rows and would distort the timing)."""

    count: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        self.kinds[verb] = self.kinds.get(verb, 0) + 1
        return execute(sql, params, many, context)


def write_result(path: str | os.PathLike, data: dict) -> None:
    """The worker's answer to ``run.py``: one JSON file."""
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str),
                          encoding="utf-8")
