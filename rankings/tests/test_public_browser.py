"""End to end on the demo: the press finds a unit's ranks by search and its profile, on a
phone in Vietnamese and on a desktop in English (screenshots in test-artifacts/)."""

import pytest
from django.core.cache import cache
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    cache.clear()
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    yield live_server
    cache.clear()


def test_public_finds_cao_bang_by_search_on_a_phone(page, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo.url}/ky/MIC-2017/")
    page.get_by_label("Tìm đơn vị").fill("cao bang")
    page.get_by_role("button", name="Xem").click()
    rows = page.locator("table.leaderboard tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text().strip() == "56"
    rows.first.get_by_role("link", name="Cao Bằng").click()
    page.wait_for_selector("h1:has-text('Cao Bằng')")
    headline = " ".join(page.locator("dl.headline").inner_text().split())
    assert "56 / 63" in headline
    groups = page.locator("section[aria-labelledby=groups-title] tbody tr")
    assert "43" in groups.first.inner_text() and "▲ 14" in groups.first.inner_text()
    assert page.locator("svg.chart[role=img]").count() == 3
    # nothing wider than the phone's screen but the scrolling tables
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_public_reads_tam_ky_profile_and_report_in_english(page, demo):
    page.goto(f"{demo.url}/en/ky/QNAM-2015/?cohort=qn-districts")
    page.get_by_role("link", name="Thành phố Tam Kỳ").first.click()
    page.wait_for_selector("h1:has-text('Thành phố Tam Kỳ')")
    assert page.locator("html").get_attribute("lang") == "en"
    headline = " ".join(page.locator("dl.headline").inner_text().split())
    assert "98.00 / 100" in headline and "1 / 18" in headline
    history = page.locator("table.history tbody tr")
    assert history.count() == 2
    page.goto(f"{demo.url}/en/ky/QNAM-2015/bao-cao/")
    assert page.locator("table.leaderboard-print").count() == 2
