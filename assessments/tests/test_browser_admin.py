"""End to end: an administrator signs in to the admin in the browser, in Vietnamese."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_signs_in_and_sees_the_vietnamese_admin(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("admin", "admin@example.org", "mat-khau-dai-9",
                                               role="admin")
    page.goto(f"{live_server.url}/admin/")
    # the admin's own sign-in page sends to the portal's (which asks for the second factor)
    page.wait_for_selector("main form button[type=submit]")
    assert "/login/?next=" in page.url
    page.fill("#id_username", "admin")
    page.fill("#id_password", "mat-khau-dai-9")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#site-name")
    assert "Quản trị Chỉ số ứng dụng CNTT" in page.inner_text("#site-name")
    assert page.locator("a", has_text="bộ tiêu chí").first.is_visible()
