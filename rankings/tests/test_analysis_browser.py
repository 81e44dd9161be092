"""End to end: the reviewer tries online public services at twice the weight and reads the
robustness of the top ten (screenshots in test-artifacts/)."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    return live_server


def _sign_in(page, base):
    page.goto(f"{base}/phan-tich/")  # sends to the sign-in page and back
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", "demo-ict-2026")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(f"{base}/phan-tich/")


def test_reviewer_doubles_online_services_and_sees_who_moves(page, demo):
    _sign_in(page, demo.url)
    page.get_by_role("link", name="Giả định trọng số").first.click()
    page.wait_for_selector("#whatif-table")
    assert "0/63" in page.locator("#whatif-summary").inner_text()
    page.fill("#g-DVC-w", "0,5")  # 0.25 → 0.5: twice the weight, recomputed while typing
    page.wait_for_function(
        "document.getElementById('whatif-summary').textContent.startsWith('52/63')")
    row = page.locator("#whatif-table tbody tr", has_text="Cao Bằng").first
    cells = [c.strip() for c in row.locator("td, th").all_inner_texts()]
    assert cells[:4] == ["38", "56", "▲ 18", "Cao Bằng"]
    assert "g-DVC-w=0%2C5" in page.locator("#whatif-csv").get_attribute("href")


def test_reviewer_reads_the_robustness_of_the_top_ten(page, demo):
    _sign_in(page, demo.url)
    page.goto(f"{demo.url}/phan-tich/ky/MIC-2017/do-vung/?bien_do=25&so_lan=1000&doi_cach=1"
              "&top=10")
    page.wait_for_selector("svg.rank-intervals")
    assert page.locator("svg.rank-intervals .interval").count() == 10
    first = [c.strip() for c in page.locator("table.data tbody tr").first.locator(
        "td, th").all_inner_texts()]
    assert first[:2] == ["1", "Lào Cai"]


def test_reviewer_sees_why_cao_bang_fell_in_internal_it_application(page, demo):
    _sign_in(page, demo.url)
    page.get_by_role("link", name="Vì sao thứ hạng thay đổi").first.click()
    page.select_option("#id_don_vi", label="Cao Bằng")
    page.select_option("#id_nhom", label="Ứng dụng CNTT trong hoạt động nội bộ")
    page.get_by_role("button", name="Giải thích").click()
    page.wait_for_selector("#why-items")
    text = " ".join(page.locator("main, body").first.inner_text().split())
    assert "Lạng Sơn (55 → 6)" in text and "Kon Tum (59 → 56)" in text
    assert "Tỷ lệ văn bản trao đổi dưới dạng điện tử" in text
