"""Fixtures shared by every app's tests: headless Chromium for end-to-end tests.

Browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright; no browser is
ever downloaded. `make test` installs Chromium with apt-get when it is missing.
Screenshots of every browser test are kept in test-artifacts/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import hypothesis
import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by
# the tests themselves are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property tests: random examples on a developer's machine (new cases found over time, each
# failure printed with the blob that reproduces it); the same examples on every CI run
# (.ci/run sets CI=1), so that a landing is judged on the code, not on the draw.
hypothesis.settings.register_profile("dev", print_blob=True)
hypothesis.settings.register_profile("ci", print_blob=True, derandomize=True)
hypothesis.settings.load_profile(os.environ.get(
    "HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request to an /en/ page leaves English active in the test thread (LocaleMiddleware
    never deactivates it): the next test's reverse() would then build /en/ URLs. Each test
    ends back in the default language."""
    yield
    from django.utils import translation

    translation.deactivate()


ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'apt-get install -y chromium' "
                    "(make test does it).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page (Vietnamese locale, desktop size); screenshot kept at the end."""
    # Playwright's wait_for_function evaluates strings, which the portal's
    # Content-Security-Policy forbids (no 'unsafe-eval'): journeys run with the policy
    # bypassed; ict_index/tests/test_security_browser.py runs the pages with it enforced.
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
