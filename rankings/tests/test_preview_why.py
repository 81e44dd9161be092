"""The reviewer's preview explains a unit's move against the previous period's public
results, computed on the unpublished snapshot (nothing of it becomes public)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from assessments.tests.review_data import FAIR, FULL, World, submit
from rankings import analysis_services
from rankings.services import compute_snapshot, publish_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    analysis_services._cache.clear()
    yield
    analysis_services._cache.clear()


@pytest.fixture
def previewed(db, client):
    world = World()
    for unit, values in ((world.units[0], FULL), (world.units[1], FAIR)):
        submit(world.previous, unit, values, status="approved")
    publish_snapshot(snapshot=compute_snapshot(period=world.previous))
    for unit, values in ((world.units[0], FAIR), (world.units[1], FULL)):
        services.approve_submission(submission=submit(world.period, unit, values),
                                    reviewer=world.reviewer)
    client.force_login(world.reviewer)
    client.post(reverse("review:compute", args=["Y2026"]))
    return world


def test_preview_links_each_unit_to_why_it_moved(client, previewed):
    url = reverse("review:preview", args=["Y2026"])
    html = client.get(url).content.decode()
    assert "don_vi=S2#vi-sao" in html and 'id="vi-sao"' not in html
    html = client.get(url, {"lan": 1, "don_vi": "S2"}).content.decode()
    why = html.split('id="vi-sao"', 1)[1]
    assert "Vì sao thứ hạng thay đổi so với Năm 2025" in why
    assert "tăng 1 bậc" in why
    passed = why.split("Đơn vị đã vượt qua", 1)[1].split("</section>", 1)[0]
    assert "Sở số 1 (1 → 2)" in passed
    assert "Phần đóng góp của từng nhóm tiêu chí" in why


def test_preview_explanation_never_reaches_the_public_site(client, previewed):
    client.logout()
    assert client.get("/don-vi/S2/").status_code == 200  # 2025 only
    html = client.get("/don-vi/S2/").content.decode()
    assert 'id="vi-sao"' not in html  # 2025 has no previous period; 2026 is not public


def test_a_unit_of_another_cohort_or_unknown_gets_nothing(client, previewed):
    html = client.get(reverse("review:preview", args=["Y2026"]),
                      {"don_vi": "NOPE"}).content.decode()
    assert 'id="vi-sao"' not in html
