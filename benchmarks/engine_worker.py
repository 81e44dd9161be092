"""Worker: time ``rankings.engine.compute`` alone for one number of units (no Django).

Run by ``run.py`` in a fresh process per size, so that the process's peak resident size
belongs to that size only::

    python -m benchmarks.engine_worker --units 1000 --repeat 5 --result out.json

Steps: build the inputs (not timed), one warm-up call, ``--repeat`` timed calls, then one
more call under ``tracemalloc`` for the peak of the memory allocated by ``compute`` itself
(tracemalloc slows Python down, so that call is not timed).
"""

from __future__ import annotations

import argparse
import tracemalloc

from rankings.engine import compute

from . import synthetic
from .measure import median, rss_peak, settle, timed_cpu, write_result


def run(units: int, repeat: int, seed: int) -> dict:
    spec, unit_frame, values = synthetic.engine_inputs(units, seed=seed)
    baseline = settle()  # inputs built, before the first call
    result = compute(spec, unit_frame, values)  # warm-up (first calls import and cache)
    times, cpu = [], []
    for _ in range(repeat):
        seconds, cpu_seconds, result = timed_cpu(lambda: compute(spec, unit_frame, values))
        times.append(seconds)
        cpu.append(cpu_seconds)
    peak = rss_peak()
    del result
    settle()
    tracemalloc.start()
    compute(spec, unit_frame, values)
    _, allocated_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "units": units,
        "indicators": len(spec.indicators),
        "values": len(values),
        "repeat": repeat,
        "times": times,
        "median": median(times),
        "cpu": cpu,
        "cpu_median": median(cpu),
        "tracemalloc_peak": allocated_peak,
        "rss_baseline": baseline,
        "rss_peak": peak,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    write_result(args.result, run(args.units, args.repeat, args.seed))


if __name__ == "__main__":
    main()
