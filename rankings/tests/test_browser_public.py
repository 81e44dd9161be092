"""End to end: a member of the public reads the demo leaderboards in the browser."""

import re

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    return live_server


def _row(page, unit_name):
    return page.locator("table.leaderboard tbody tr", has_text=unit_name).first


def _cells(row):
    """Rank, unit (a row header), score, ... as the reader sees them."""
    return [c.strip() for c in row.locator("td, th").all_inner_texts()]


def test_public_reads_the_national_ranking_like_the_article(page, demo):
    page.goto(f"{demo.url}/")
    page.get_by_role("link", name="Xếp hạng ứng dụng CNTT, phát triển Chính phủ điện tử "
                                   "các tỉnh, thành phố năm 2017", exact=True).click()
    page.wait_for_selector("table.leaderboard")
    assert page.locator("html").get_attribute("lang") == "vi"
    cells = _cells(_row(page, "Cao Bằng"))
    assert cells[:2] == ["56", "Cao Bằng"]
    text = " ".join(cells)
    # technical infrastructure 57 → 43 (+14), internal IT application 54 → 58 (−4), ...
    for rank_and_change in ("43 ▲ 14", "58 ▼ 4", "50 ▲ 9", "41 ▲ 17", "62 ▼ 5"):
        assert rank_and_change in " ".join(text.split()), rank_and_change
    assert "18 –" in " ".join(text.split())  # online public services: not ranked in 2016


def test_public_sorts_a_column_and_switches_cohort(page, demo):
    page.goto(f"{demo.url}/ky/QNAM-2015/")
    page.get_by_role("link", name="Huyện, thị xã, thành phố tỉnh Quảng Nam").click()
    page.wait_for_url(re.compile(r"cohort=qn-districts"))
    first = _cells(page.locator("table.leaderboard tbody tr").first)
    assert first[:3] == ["1", "Thành phố Tam Kỳ", "98,00"]

    page.locator("table.leaderboard thead th a", has_text="Điểm").first.click()
    page.wait_for_load_state()
    scores = page.locator("table.leaderboard tbody tr td.col-score").all_inner_texts()
    numbers = [float(s.strip().replace(".", "").replace(",", ".")) for s in scores
               if s.strip() not in ("", "–")]
    assert len(numbers) == 18
    # the table came sorted by rank (highest score first): one click sorts by score ascending
    assert numbers == sorted(numbers)
    assert numbers[-1] == 98.0


def test_public_switches_to_english(page, demo):
    page.goto(f"{demo.url}/ky/QNAM-2015/")
    page.get_by_role("button", name="EN").click()
    page.wait_for_url(re.compile(r"/en/ky/QNAM-2015/"))
    assert page.locator("html").get_attribute("lang") == "en"
    first = _cells(page.locator("table.leaderboard tbody tr").first)
    assert first[:3] == ["1", "Cục Thuế tỉnh Quảng Nam", "91.19"]  # English number format


def test_public_cannot_see_a_period_that_is_not_published(page, demo):
    response = page.goto(f"{demo.url}/ky/QNAM-2016/")
    assert response.status == 404
