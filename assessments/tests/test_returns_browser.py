"""End to end: a district's staff member fills the demo's open return in the browser."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from assessments.models import Answer, EvidenceFile, Submission

ARTIFACTS = "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    return live_server


def test_staff_fill_a_section_attach_a_file_save_come_back_and_submit(page, demo, tmp_path):
    evidence = tmp_path / "bien-ban-mang-LAN.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    page.goto(f"{demo.url}/login/")
    page.get_by_label("Tên đăng nhập").fill("qn-tamky")
    page.get_by_label("Mật khẩu").fill("demo-ict-2026")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Báo cáo của đơn vị", exact=True).click()
    row = page.locator("table.returns-list tbody tr", has_text="QNAM-2016")
    assert "Chưa bắt đầu" in row.inner_text()
    page.screenshot(path=f"{ARTIFACTS}/returns_1_my_returns.png", full_page=True)
    row.get_by_role("button", name="Bắt đầu điền").click()
    page.wait_for_selector("#survey-form")

    # the first section: technical infrastructure
    section = page.locator("#s-HT")
    section.get_by_label("Số máy tính").fill("120")
    section.locator("input[name=v_staff]").fill("100")
    # the derived ratio and its points are computed live by the engine
    page.wait_for_function(
        "document.querySelector('[data-derived=computer_ratio]').textContent.trim() === '120'")
    section.locator("#i-lan").get_by_label("Có").check()
    section.locator("select[name=v_internet]").select_option("cap_quang")
    section.locator("input[name=v_security]").fill("4,5")
    section.locator("#i-backup").get_by_label("Có").check()
    page.wait_for_function(
        "document.querySelector('[data-progress=s-HT]').textContent.trim() === '6/6'")
    lan = section.locator("#i-lan")
    lan.locator("summary").click()
    lan.locator("input[type=file]").set_input_files(str(evidence))
    lan.locator("input[name=dn_lan]").fill("15/BB-UBND")
    lan.locator("input[name=dd_lan]").fill("10/03/2016")
    lan.locator("input[name=is_lan]").fill("UBND thành phố Tam Kỳ")
    page.screenshot(path=f"{ARTIFACTS}/returns_2_section_filled.png", full_page=True)
    page.get_by_role("button", name="Lưu nháp").click()
    page.wait_for_selector(".message.success")
    assert "Đã lưu nháp" in page.locator(".messages").inner_text()

    # come back later: the values and the file are there
    page.get_by_role("link", name="Báo cáo của đơn vị", exact=True).click()
    page.get_by_role("link", name="Điền báo cáo").click()
    assert page.locator("input[name=v_computers]").input_value() == "120"
    assert page.locator("input[name=v_security]").input_value() == "4,5"
    assert page.locator("#i-lan .evidence-list a").inner_text() == "bien-ban-mang-LAN.pdf"
    assert "6/6" in page.locator("[data-progress=s-HT]").inner_text()

    # submitting with the other sections empty is refused, naming what is missing
    page.get_by_role("button", name="Nộp báo cáo").click()
    page.wait_for_selector(".error-box")
    assert "Chưa nhập giá trị (bắt buộc)" in page.locator(".error-box").inner_text()

    # fill the rest: numbers within their ranges, "Có" for yes/no, the first option
    page.evaluate("""() => {
      document.querySelectorAll('#survey-form input.num-input').forEach((input) => {
        if (input.value) return;
        const max = input.dataset.max ? parseFloat(input.dataset.max) : 100;
        input.value = String(Math.min(10, max));
      });
      document.querySelectorAll('#survey-form input[type=radio][value=co]').forEach((r) => {
        const group = document.querySelectorAll(`input[name="${r.name}"]:checked`);
        if (!group.length) r.checked = true;
      });
      document.querySelectorAll('#survey-form select').forEach((s) => {
        if (!s.value) s.selectedIndex = 1;
      });
    }""")
    page.locator("input[name=v_staff]").dispatch_event("input")
    page.get_by_role("button", name="Nộp báo cáo").click()
    page.wait_for_selector(".message.success")
    assert "Đã nộp báo cáo" in page.locator(".messages").inner_text()
    assert "Đã nộp" in page.locator(".facts").inner_text()
    assert re.search(r"\d", page.locator("[data-total]").inner_text())
    page.screenshot(path=f"{ARTIFACTS}/returns_3_submitted.png", full_page=True)

    submission = Submission.objects.get(unit__code="QN-TAMKY", period__code="QNAM-2016")
    assert submission.status == Submission.Status.SUBMITTED
    assert Answer.objects.get(submission=submission, indicator__code="security"
                              ).value_number == 4.5
    stored = EvidenceFile.objects.get(answer__submission=submission)
    assert (stored.document_number, stored.issuer) == ("15/BB-UBND", "UBND thành phố Tam Kỳ")
