"""End to end, the admin's journey (domain.md: cohorts, units, users, frameworks, periods) in
Chromium, on the demo: copy last year's frozen framework for a new year and rename the copy,
open a new period on it for the districts, add a new district and an account for its staff;
then that staff member signs in, finds the new period and starts the return.

(Bulk-importing returns in the admin is test_admin_import_browser.py; the reviewer's and the
unit staff's journeys are test_review_browser.py and test_returns_browser.py.)
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import Cohort, Framework, Period, Submission, Unit, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "demo-ict-2026"
NEW_PASSWORD = "Huyen-Moi-Bao-Cao-2017!"


@pytest.fixture
def demo(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    return live_server


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin_journey_{name}.png"), full_page=True)


def _saved(page):
    page.wait_for_selector(".messagelist .success")
    return page.locator(".messagelist").inner_text()


def test_admin_sets_up_a_new_year_and_a_unit_staff_member_starts_it(page, browser, demo):
    page.goto(f"{demo.url}/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#site-name")

    # 1. frameworks: last year's is frozen (published); copy it, rename the copy
    old = Framework.objects.get(code="QNAM")
    page.goto(f"{demo.url}/admin/assessments/framework/")
    page.check(f"input[name=_selected_action][value='{old.pk}']")
    page.select_option("select[name=action]", "copy_for_new_year")
    page.click("button[name=index]")
    assert "QNAM" in _saved(page)
    copy = Framework.objects.exclude(pk=old.pk).get(copied_from=old)
    page.goto(f"{demo.url}/admin/assessments/framework/{copy.pk}/change/")
    page.fill("#id_code", "QNAM-2017")
    page.fill("#id_name", "Bộ chỉ số ứng dụng CNTT tỉnh Quảng Nam 2017")
    page.click("input[name=_save]")
    _saved(page)
    copy.refresh_from_db()
    assert copy.code == "QNAM-2017" and copy.indicators.count() == old.indicators.count()
    _shot(page, "1_framework_copied")

    # 2. a period on the copy, for the districts, open now until next month
    districts = Cohort.objects.get(code="qn-districts")
    today = timezone.localdate()
    page.goto(f"{demo.url}/admin/assessments/period/add/")
    page.fill("#id_code", "QNAM-2017")
    page.fill("#id_name", "Chỉ số ứng dụng CNTT tỉnh Quảng Nam năm 2017")
    page.select_option("#id_framework", str(copy.pk))
    page.select_option("#id_cohorts_from", str(districts.pk))
    page.click("#id_cohorts_add")
    page.select_option("#id_status", "open")
    page.fill("#id_opens_on", today.strftime("%d/%m/%Y"))
    page.fill("#id_deadline", (today + datetime.timedelta(days=30)).strftime("%d/%m/%Y"))
    page.click("input[name=_save]")
    _saved(page)
    period = Period.objects.get(code="QNAM-2017")
    assert period.framework == copy and period.status == Period.Status.OPEN
    assert list(period.cohorts.all()) == [districts]
    _shot(page, "2_period_opened")

    # 3. a new district
    page.goto(f"{demo.url}/admin/assessments/unit/add/")
    page.fill("#id_code", "QN-HUYENMOI")
    page.fill("#id_name", "Huyện Mới")
    page.select_option("#id_cohort", str(districts.pk))
    page.click("input[name=_save]")
    _saved(page)
    unit = Unit.objects.get(code="QN-HUYENMOI")
    assert unit.cohort == districts and unit.active

    # 4. an account for its staff, bound to it (the unit is chosen by typing its name)
    page.goto(f"{demo.url}/admin/assessments/user/add/")
    page.fill("#id_username", "qn-huyenmoi")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.select_option("#id_role", "unit_staff")
    page.click(".field-unit .select2-selection")
    page.fill(".select2-search__field", "Huyện Mới")
    page.locator(".select2-results__option", has_text="Huyện Mới").click()
    page.click("input[name=_save]")
    _saved(page)
    staff = User.objects.get(username="qn-huyenmoi")
    assert staff.role == User.Role.UNIT_STAFF and staff.unit == unit
    _shot(page, "3_account_created")

    # 5. the new district's staff sign in, find the new period and start the return
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        tab.goto(f"{demo.url}/login/?next=/bao-cao/")
        tab.fill("#id_username", "qn-huyenmoi")
        tab.fill("#id_password", NEW_PASSWORD)
        tab.click("main form button[type=submit]")
        row = tab.locator("tr", has_text="Chỉ số ứng dụng CNTT tỉnh Quảng Nam năm 2017")
        row.get_by_role("button", name="Bắt đầu điền").click()
        tab.wait_for_url(lambda url: "/bao-cao/phieu/" in url)
        _shot(tab, "4_staff_starts_the_return")
        submission = Submission.objects.get(period=period, unit=unit)
        assert tab.url.endswith(f"/bao-cao/phieu/{submission.pk}/")
        assert submission.status == Submission.Status.DRAFT
    finally:
        context.close()
