"""The generator's checks: a demo that misses a target is never written."""

from __future__ import annotations

from .scoring import ties


class DemoTargetError(AssertionError):
    """The generated data does not show what the articles report."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoTargetError(message)


def expect_equal(actual, expected, what: str) -> None:
    expect(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def expect_no_ties(result, allowed=(), what: str = "", nodes=None) -> None:
    """No shared rank in ``result`` (on the ``nodes``, all when ``None``) other than the
    ``allowed`` ones, each given as (cohort, node, rank, unit codes)."""
    unexpected = [tie for tie in ties(result)
                  if tie not in allowed and (nodes is None or tie[1] in nodes)]
    expect(not unexpected, f"{what}: unintended ties {unexpected[:5]}")
