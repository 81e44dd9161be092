"""End to end, the rest of the unit staff's journey (after test_returns_browser.py's first
submission): the office sends Tam Kỳ's return back naming one figure; the staff read the
message, find only that figure open, correct it and hand the return in again; once the
results are published they read their unit's results and file an appeal.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments import services
from assessments.models import Appeal, Period, Submission, User
from rankings.services import compute_snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "demo"
ARTIFACTS = ROOT / "test-artifacts"
MESSAGE = "Số liệu chưa khớp báo cáo quý IV; đề nghị kiểm tra lại."


@pytest.fixture
def demo(live_server, settings, tmp_path):
    """The demo with last year's returns handed in for QNAM-2016; every return approved
    but Tam Kỳ's, which the office sends back naming one number."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    period = Period.objects.get(code="QNAM-2016")
    services.import_returns(period=period, source=FIXTURES / "returns-qnam-2015.xlsx")
    reviewer = User.objects.get(username="reviewer")
    for submission in period.submissions.exclude(unit__code="QN-TAMKY"):
        services.approve_submission(submission=submission, reviewer=reviewer)
    tamky = period.submissions.get(unit__code="QN-TAMKY")
    numbers = [a for a in tamky.answers.select_related("indicator").order_by(
        "indicator__order", "indicator__code")
        if a.value_number is not None and not a.indicator.is_derived
        and a.indicator.value_type in ("number", "integer", "percent")]
    named, other = numbers[0], numbers[1]
    services.return_submission(submission=tamky, answers=[named.pk], message=MESSAGE,
                               reviewer=reviewer)
    live_server.named, live_server.other, live_server.reviewer = named, other, reviewer
    return live_server


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"unit_journey_{name}.png"), full_page=True)


def test_unit_corrects_a_returned_figure_resubmits_then_reads_results_and_appeals(page, demo):
    named, other = demo.named, demo.other
    page.goto(f"{demo.url}/login/?next=/bao-cao/")
    page.get_by_label("Tên đăng nhập").fill("qn-tamky")
    page.get_by_label("Mật khẩu").fill("demo-ict-2026")
    page.get_by_role("button", name="Đăng nhập").click()
    row = page.locator("table.returns-list tbody tr", has_text="QNAM-2016")
    assert "Trả lại để bổ sung" in row.inner_text()
    row.get_by_role("link", name="Điền báo cáo").click()
    page.wait_for_selector("#survey-form")

    # the office's message; only the figure it named is open
    assert MESSAGE in page.locator(".review-message").inner_text()
    field = page.locator(f"input[name=v_{named.indicator.code}]")
    assert field.is_enabled()
    assert page.locator(f"input[name=v_{other.indicator.code}]").is_disabled()
    top = named.indicator.max_value
    corrected = named.value_number + 1 if top is None or named.value_number + 1 <= top \
        else named.value_number - 1
    field.fill(f"{corrected:g}".replace(".", ","))
    _shot(page, "1_returned_figure_open")
    page.get_by_role("button", name="Nộp báo cáo").click()
    page.wait_for_selector(".message.success")
    assert "Đã nộp báo cáo" in page.locator(".messages").inner_text()
    submission = Submission.objects.get(period__code="QNAM-2016", unit__code="QN-TAMKY")
    assert submission.status == Submission.Status.RESUBMITTED
    named.refresh_from_db()
    other_before = other.value_number
    other.refresh_from_db()
    assert named.value_number == corrected and other.value_number == other_before

    # the office approves, computes and publishes; appeals are open for two weeks
    services.approve_submission(submission=submission, reviewer=demo.reviewer)
    period = Period.objects.get(code="QNAM-2016")
    services.publish_results(snapshot=compute_snapshot(period=period, actor=demo.reviewer),
                             reviewer=demo.reviewer)
    Period.objects.filter(pk=period.pk).update(
        appeal_until=timezone.localdate() + datetime.timedelta(days=14))

    # the unit's own results, as the public sees them
    page.goto(f"{demo.url}/don-vi/QN-TAMKY/?ky=QNAM-2016")
    assert "Tam Kỳ" in page.locator("h1").inner_text()
    _shot(page, "2_published_profile")

    # an appeal on the corrected figure, from the unit's list of returns
    page.goto(f"{demo.url}/tham-dinh/cua-don-vi/")
    page.locator("li", has_text=period.name).get_by_role("link", name="Phúc khảo").click()
    page.check(f"#pick-{named.pk}")
    page.fill(f"input[name=reason-{named.pk}]", "Đã có văn bản xác nhận của Sở TT&TT.")
    page.fill("#appeal-message", "Đề nghị xem xét lại tiêu chí này.")
    page.get_by_role("button", name="Gửi đề nghị phúc khảo").click()
    page.wait_for_selector("text=Đã gửi đề nghị phúc khảo")
    _shot(page, "3_appeal_filed")
    appeal = Appeal.objects.get(submission=submission)
    assert [item.answer_id for item in appeal.items.all()] == [named.pk]
    assert appeal.filed_by.username == "qn-tamky"
