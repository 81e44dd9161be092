"""Speed and memory benchmarks of ICT Index Portal (``make bench``; see ``run.py``).

Benchmarks are not tests: they measure and write figures into ``docs/benchmarks.md``; no
test ever asserts a timing.
"""
