"""The progress board in pages of 100 units: the counts, the filters and the exports still
cover every unit; the page links keep the filters."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from assessments.models import Unit

from .review_data import FAIR, World, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def big(db, client):
    world = World(units=2)
    Unit.objects.bulk_create([Unit(code=f"X{i:03d}", name=f"Xã số {i:03d}", cohort=world.cohort)
                              for i in range(248)])
    submit(world.period, world.units[0], FAIR)
    client.force_login(world.reviewer)
    return world


def units_on(html: str) -> list[str]:
    return re.findall(r'<tr data-unit="([^"]+)"', html)


def test_board_shows_100_units_a_page_with_every_count(client, big):
    url = reverse("review:board", args=["Y2026"])
    first = client.get(url).content.decode()
    assert len(units_on(first)) == 100
    assert "Đơn vị 1–100 trên 250" in first
    assert re.search(r'Tất cả <span class="count">250</span>', first)
    last = client.get(url, {"trang": 3}).content.decode()
    assert len(units_on(last)) == 50 and "Đơn vị 201–250 trên 250" in last
    seen = units_on(first) + units_on(client.get(url, {"trang": 2}).content.decode()) + \
        units_on(last)
    assert len(set(seen)) == 250  # every unit on exactly one page
    assert units_on(client.get(url, {"trang": "abc"}).content.decode()) == units_on(first)
    assert units_on(client.get(url, {"trang": 99}).content.decode()) == units_on(last)


def test_page_links_keep_the_filters_and_exports_cover_every_unit(client, big):
    url = reverse("review:board", args=["Y2026"])
    html = client.get(url, {"status": "not_started", "q": "Xã"}).content.decode()
    assert len(units_on(html)) == 100
    assert 'href="?status=not_started&amp;q=X%C3%A3&amp;trang=2"' in html
    page2 = client.get(url, {"status": "not_started", "q": "Xã", "trang": 2}).content.decode()
    assert len(units_on(page2)) == 100 and "trên 248" in page2
    export = client.get(reverse("review:board_export", args=["Y2026", "csv"]))
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 250


def test_a_small_board_has_no_page_links(client, db):
    world = World()
    client.force_login(world.reviewer)
    html = client.get(reverse("review:board", args=["Y2026"])).content.decode()
    assert 'class="pagination"' not in html and len(units_on(html)) == 4
