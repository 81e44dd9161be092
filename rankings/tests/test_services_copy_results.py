"""compute_snapshot on PostgreSQL writes the indicator results with COPY: the same rows as
the ORM path (run with DATABASE_URL=postgres://… ; skipped on SQLite)."""

from __future__ import annotations

import types

import pytest
from django.db import connection

from rankings import services
from rankings.models import IndicatorResult
from rankings.services import compute_snapshot

pytestmark = pytest.mark.django_db


def rows(snapshot):
    return sorted(IndicatorResult.objects.filter(snapshot=snapshot).values_list(
        "unit__code", "indicator__code", "value_number", "value_text", "fraction", "points",
        "max_points"))


def test_copy_and_orm_paths_store_the_same_indicator_results(period_2017, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    copied = compute_snapshot(period=period_2017)
    monkeypatch.setattr(services, "connection", types.SimpleNamespace(vendor="other"))
    stored = compute_snapshot(period=period_2017)
    assert rows(copied) == rows(stored) != []
