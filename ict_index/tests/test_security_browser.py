"""In Chromium, with the Content-Security-Policy on: the portal's pages (public, review,
analysis, the unit's form, account and second factor, the admin and its audit trail) run
without a single policy violation or script error, band badges keep their colours, and a
reviewer who turned on the second factor signs in with a code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from accounts import totp
from accounts.models import TOTPDevice
from assessments.demo.plan import DEMO_PASSWORD
from rankings.services import compute_snapshot, publish_snapshot
from rankings.tests.conftest import build, cohorts, period_2017  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def demo(live_server):
    cache.clear()
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    yield live_server
    cache.clear()


@pytest.fixture
def page(browser, request):
    """Like the root conftest's page, but with the Content-Security-Policy enforced."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900},
                                  bypass_csp=False)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def watched(page):
    """The page, and the list of CSP violations and script errors it reports."""
    problems = []

    def on_console(message):
        where = (message.location or {}).get("url", "")
        if where.endswith("/favicon.ico"):
            return  # the admin's pages name no icon: Chromium asks for one anyway
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"console: {message.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("response", lambda response: problems.append(
        f"HTTP {response.status}: {response.url}") if response.status == 404 else None)
    return page, problems


def sign_in(page, base, username, next_url="/"):
    page.goto(f"{base}/login/?next={next_url}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def visit(page, url):
    response = page.goto(url)
    assert response.status < 400, url
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_pages_run_with_no_csp_violation(watched, demo):
    page, problems = watched
    base = demo.url
    for path in ("/", "/ky/MIC-2017/", "/ky/MIC-2017/phuong-phap/", "/login/",
                 "/mat-khau/quen/", "/ky/MIC-2017/ban-do/"):
        visit(page, base + path)
    swatch = page.locator(".swatch[data-bg]").first
    assert swatch.evaluate("s => s.style.backgroundColor") != ""
    visit(page, base + "/ky/MIC-2017/")
    page.get_by_label("Tìm đơn vị").fill("cao bang")
    page.get_by_role("button", name="Xem").click()
    page.get_by_role("link", name="Cao Bằng").first.click()
    page.wait_for_selector("svg.chart")

    sign_in(page, base, "reviewer", "/tham-dinh/")
    page.wait_for_url("**/tham-dinh/")
    for path in ("/phan-tich/", "/phan-tich/ky/MIC-2017/gia-dinh/",
                 "/phan-tich/ky/MIC-2017/vi-sao/", "/tai-khoan/",
                 "/tai-khoan/xac-thuc-hai-buoc/"):
        visit(page, base + path)
    assert page.locator("figure.qr svg").count() == 1
    page.get_by_role("button", name="Đăng xuất").click()

    sign_in(page, base, "qn-tamky", "/bao-cao/")
    page.wait_for_url("**/bao-cao/")
    page.get_by_role("button", name="Bắt đầu điền").first.click()
    page.wait_for_selector("#survey-form")
    page.get_by_role("button", name="Đăng xuất").click()

    sign_in(page, base, "admin", "/admin/")
    page.wait_for_url("**/admin/")
    for path in ("/admin/assessments/unit/", "/admin/assessments/unit/add/",
                 "/admin/audit/auditentry/", "/admin/assessments/user/",
                 "/admin/assessments/framework/", "/admin/assessments/period/"):
        visit(page, base + path)
    visit(page, base + "/admin/assessments/user/")
    page.get_by_role("link", name="reviewer", exact=True).first.click()  # a change form
    page.wait_for_selector("#user_form")
    assert problems == [], "\n".join(problems)


def test_reviewer_with_an_authenticator_signs_in_with_a_code(watched, demo):
    page, problems = watched
    base = demo.url
    sign_in(page, base, "reviewer", "/tai-khoan/xac-thuc-hai-buoc/")
    page.wait_for_selector("figure.qr svg")
    secret = page.get_by_test_id("otp-secret").inner_text().replace(" ", "")
    page.get_by_label("Mã xác thực (6 chữ số)").fill(totp.totp(secret))
    page.get_by_role("button", name="Xác nhận và bật").click()
    page.wait_for_selector("text=Đã bật xác thực hai bước")
    assert TOTPDevice.objects.get(user__username="reviewer").confirmed
    page.get_by_role("button", name="Đăng xuất").click()

    sign_in(page, base, "reviewer", "/tham-dinh/")
    page.wait_for_url("**/login/ma-xac-thuc/")
    device = TOTPDevice.objects.get(user__username="reviewer")
    step = device.last_step + 1
    page.get_by_label("Mã xác thực (6 chữ số)").fill(totp.hotp(secret, max(
        step, totp.time_step())))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/tham-dinh/")
    assert problems == [], "\n".join(problems)


def test_band_badges_keep_their_colours_under_the_policy(watched, live_server,
                                                         period_2017):  # noqa: F811
    page, problems = watched
    cache.clear()
    publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    visit(page, f"{live_server.url}/ky/2017/")
    good = page.locator(".badge", has_text="Tốt").first
    assert good.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(46, 125, 50)"
    assert good.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    assert problems == [], "\n".join(problems)
    cache.clear()
