"""End to end (issue 4): the ICT office, with the demo data, sends one department's return
back with a reason, sees only the figure the department fixed, approves, computes, previews
and publishes; the public leaderboard shows the new result and rank changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments import services
from assessments.models import AnswerChange, Period, Submission, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def demo(live_server):
    """The demo, with last year's returns handed in for QNAM-2016 and every return but the
    Sở Thông tin và Truyền thông's approved."""
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    period = Period.objects.get(code="QNAM-2016")
    services.import_returns(period=period, source=FIXTURES / "returns-qnam-2015.xlsx")
    reviewer = User.objects.get(username="reviewer")
    for submission in period.submissions.exclude(unit__code="QN-STTTT"):
        services.approve_submission(submission=submission, reviewer=reviewer)
    return live_server


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"review_journey_{name}.png"), full_page=True)


def test_reviewer_journey_from_the_board_to_publication(page, demo):
    page.goto(f"{demo.url}/login/?next=/tham-dinh/")
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", "demo-ict-2026")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.get_by_role("link", name="Chỉ số ứng dụng CNTT tỉnh Quảng Nam năm 2016").click()
    page.wait_for_selector("#progress-board")
    status_tab = page.locator(".status-tabs a[data-status=submitted] .count")
    assert status_tab.inner_text().strip() == "1"
    _shot(page, "1_board")

    page.get_by_role("link", name="Sở Thông tin và Truyền thông", exact=True).click()
    page.wait_for_selector("#answers")
    page.locator("#return-form input[type=checkbox]").first.wait_for()
    row = page.locator("#return-form label.check", has_text="e_docs")
    row.locator("input").check()
    page.fill("#return-message", "Tỷ lệ văn bản điện tử 78 % chưa khớp báo cáo quý IV; "
                                 "đề nghị kiểm tra lại.")
    page.click("#return-button")
    page.wait_for_selector("text=Đã trả lại phiếu")
    assert "Trả lại để bổ sung" in page.locator("#submission-status").inner_text()

    # the department fixes one figure and hands the return in again
    submission = Submission.objects.get(period__code="QNAM-2016", unit__code="QN-STTTT")
    answer = submission.answers.get(indicator__code="e_docs")
    assert answer.open_for_correction
    assert submission.answers.filter(open_for_correction=True).count() == 1
    unit_user = User.objects.get(username="qn-stttt")
    answer.value_number = 85
    answer.save()
    AnswerChange.objects.create(answer=answer, field="value", old="78", new="85",
                                source="form", actor=unit_user, at=timezone.now())
    services.transition_submission(submission=submission, to_status="resubmitted",
                                   actor=unit_user)

    page.reload()
    page.wait_for_selector("#since-return")
    rows = page.locator("#answers tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-indicator") == "e_docs"
    assert "78" in page.locator("#since-return").inner_text()
    assert "85" in page.locator("#since-return").inner_text()
    _shot(page, "2_changes_since_return")
    page.click("#approve-button")
    page.wait_for_selector("text=Đã duyệt phiếu")

    page.goto(f"{demo.url}/tham-dinh/ky/QNAM-2016/xem-truoc/")
    page.click("#compute-button")
    page.wait_for_selector("#preview-board")
    # 2015: Sở TT&TT, Sở Công Thương and Sở TN&MT tied second with 84,35; two more points
    # (e_docs 78 % → 85 %: 3 → 5) leave the department alone in second place
    stttt = page.locator("#preview-board tr[data-unit=QN-STTTT]").inner_text()
    assert "86,35" in stttt and "giữ nguyên thứ hạng" in stttt
    assert "giảm 1 bậc" in page.locator("#preview-board tr[data-unit=QN-SCT]").inner_text()
    _shot(page, "3_preview")
    page.click("#publish-button")
    page.wait_for_url(re.compile(r"/ky/QNAM-2016/"))
    page.wait_for_selector("table.leaderboard")
    def public_row(name):
        return page.locator("table.leaderboard tbody tr", has_text=name).first.inner_text()

    assert "86,35" in public_row("Sở Thông tin và Truyền thông")
    assert "▼ 1" in public_row("Sở Công Thương")
    _shot(page, "4_public")
