"""Run two service calls at once on PostgreSQL, the second while the first holds its locks.

Timing alone would make such tests flaky (the two calls may or may not overlap), so the
first call is stopped at a known point inside its transaction (``pause_in``: a function the
service calls once it holds its locks), the second is started, and the test waits until
PostgreSQL reports the second one's backend waiting for a lock (``pg_stat_activity``) —
or until the second call has finished without waiting, which the caller can then assert
against. Then the first call goes on and both finish. Nothing here measures time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from unittest import mock

import pytest
from django.db import connection, connections

#: Why these tests need PostgreSQL (rows locks, several connections at once).
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SELECT ... FOR UPDATE and several connections); "
           "run with DATABASE_URL=postgres://...")

PATIENCE = 30  # seconds: only a broken test ever waits this long


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None


@dataclass
class Overlap:
    first: Outcome = field(default_factory=Outcome)
    second: Outcome = field(default_factory=Outcome)
    second_waited: bool = False

    @property
    def outcomes(self) -> list[Outcome]:
        return [self.first, self.second]

    @property
    def errors(self) -> list[BaseException]:
        return [o.error for o in self.outcomes if o.error is not None]


def _waiting_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock' AND pid <> "
                       "pg_backend_pid()")
        return cursor.fetchone()[0]


def _run(call, outcome: Outcome) -> None:
    try:
        outcome.value = call()
    except BaseException as error:  # noqa: BLE001 - reported to the test
        outcome.error = error
    finally:
        connections.close_all()


def run_overlapping(first, second, *, pause_in: str, after: bool = False) -> Overlap:
    """Call ``first`` and ``second`` (no-argument callables) in two threads, ``second``
    starting while ``first`` is paused in ``pause_in`` (a dotted name patched for the
    duration; before the call, or after it with ``after``, e.g. once the function has taken
    a lock). Returns both outcomes and whether ``second`` was seen waiting for a lock."""
    result = Overlap()
    inside, go = threading.Event(), threading.Event()
    first_thread: list[threading.Thread] = []
    module_name, _, name = pause_in.rpartition(".")
    module = __import__(module_name, fromlist=[name])
    original = getattr(module, name)

    def pausing(*args, **kwargs):
        if threading.current_thread() is not first_thread[0] or inside.is_set():
            return original(*args, **kwargs)
        value = original(*args, **kwargs) if after else None
        inside.set()
        go.wait(PATIENCE)
        return value if after else original(*args, **kwargs)

    with mock.patch.object(module, name, pausing):
        one = threading.Thread(target=_run, args=(first, result.first))
        first_thread.append(one)
        one.start()
        if not inside.wait(PATIENCE):
            go.set()
            one.join(PATIENCE)
            raise AssertionError(f"the first call never reached {pause_in}: "
                                 f"{result.first.error!r}")
        two = threading.Thread(target=_run, args=(second, result.second))
        two.start()
        deadline = time.monotonic() + PATIENCE
        while two.is_alive() and time.monotonic() < deadline:
            if _waiting_backends():
                result.second_waited = True
                break
            time.sleep(0.02)
        go.set()
        one.join(PATIENCE)
        two.join(PATIENCE)
        assert not one.is_alive() and not two.is_alive(), "a call never finished (deadlock?)"
    return result
