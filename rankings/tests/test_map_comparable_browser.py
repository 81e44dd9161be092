"""End to end on the demo, with screenshots in test-artifacts/: the press reads the map of
the 63 provinces (a title on every region, the table behind it, PNG download), and the
reviewer reads the 2016 ranking scored on the 2017 framework beside the published one."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from assessments.models import Framework
from rankings import analysis_services as analysis

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    return live_server


def test_press_reads_the_map_of_the_provinces(page, demo):
    page.goto(f"{demo.url}/ky/MIC-2017/")
    page.get_by_role("link", name="Bản đồ").first.click()
    page.wait_for_selector("svg.map")
    assert page.locator("svg.map g.region").count() == 63
    titles = page.locator("svg.map g.region title").all_text_contents()
    assert any(t.startswith("Cao Bằng: ") and "hạng 56" in t for t in titles)
    assert any(t.startswith("Lào Cai: ") and "hạng 1" in t for t in titles)
    rows = page.locator("#map-table").locator("xpath=ancestor::table").locator("tbody tr")
    assert rows.count() == 63
    first = [c.strip() for c in rows.first.locator("td, th").all_inner_texts()]
    assert first[:3] == ["1", "Lào Cai", "Lao Cai"]
    # shade by a group: online public services
    page.select_option("#id_group", label="Cung cấp dịch vụ công trực tuyến")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_selector("svg.map")
    assert "Cung cấp dịch vụ công trực tuyến" in page.locator("#map-table").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bản đồ (PNG)").click()
    image = Image.open(io.BytesIO(open(download.value.path(), "rb").read()))
    assert image.format == "PNG" and image.width > 1000
    page.get_by_role("link", name="Tải bản đồ (PNG)").scroll_into_view_if_needed()


def test_map_at_phone_width_keeps_the_table(page, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo.url}/ky/QNAM-2015/ban-do/?cohort=qn-districts")
    assert "Chưa có bản đồ ranh giới cho nhóm đơn vị này" in page.inner_text("body")
    assert page.locator("#map-table").locator("xpath=ancestor::table").locator(
        "tbody tr").count() == 18


def test_reviewer_reads_the_comparable_series(page, demo):
    analysis.fill_crosswalk(source_framework=Framework.objects.get(code="MIC-2016"),
                            target_framework=Framework.objects.get(code="MIC-2017"),
                            text="dvc_level4,dvc_online,2")
    page.goto(f"{demo.url}/phan-tich/")
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", "demo-ict-2026")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(f"{demo.url}/phan-tich/")
    page.goto(f"{demo.url}/phan-tich/ky/MIC-2017/vi-sao/")
    page.get_by_role("link", name="Chuỗi so sánh được").first.click()
    page.wait_for_selector("table.comparable-series")
    text = " ".join(page.inner_text("body").split())
    assert "Bộ tiêu chí đã đổi: MIC-2016 → MIC-2017" in text
    assert "Tiêu chí mới: dvc_online" in text
    rows = page.locator("table.comparable-series tbody tr")
    assert rows.count() == 63
    caobang = [c.strip() for c in rows.filter(has_text="Cao Bằng").first.locator(
        "td, th").all_inner_texts()]
    assert caobang[0] == "Cao Bằng" and caobang[7] == "56"
    page.locator("details summary").first.click()
    assert "dvc_level4" in page.locator("details").first.inner_text()


def test_press_reads_why_cao_bang_moved_on_its_profile(page, demo):
    page.goto(f"{demo.url}/don-vi/VN-CAOBANG/?ky=MIC-2017")
    page.wait_for_selector("#vi-sao")
    why = " ".join(page.locator("#vi-sao").inner_text().split())
    assert "Vì sao thứ hạng thay đổi so với" in why
    # 2016 has no total for Cao Bằng (online services unanswered): groups only
    assert "không thể tách phần thay đổi" in why
    assert "Đã vượt lên trên đơn vị" not in why  # no total last year: nobody passed on it
    row = page.locator("#why-groups").locator("xpath=ancestor::table").locator(
        "tbody tr", has_text="Ứng dụng CNTT trong hoạt động nội bộ")
    cells = [c.strip() for c in row.locator("td, th").all_inner_texts()]
    assert cells[1:3] == ["54", "58"]
    assert "Lạng Sơn" in cells[4] and "Kon Tum" in cells[4]
    page.locator("#vi-sao").scroll_into_view_if_needed()
