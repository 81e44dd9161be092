"""Password rules (at least 10 characters, not common, not all digits, not like the user's
name), the password change page and the reset by e-mail, in Vietnamese."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from assessments.models import User
from audit.models import AuditEntry

from .conftest import PASSWORD, RESET_LINK, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password, message", [
    ("Ngan-9x", "Mật khẩu quá ngắn: cần ít nhất 10 ký tự."),
    ("1234567890123", "Mật khẩu này hoàn toàn là số."),
    ("password1234", "Mật khẩu này quá phổ biến."),
    ("nguyenvanlan", "Mật khẩu quá giống với"),
])
def test_weak_passwords_are_refused_in_vietnamese(password, message):
    user = User(username="nguyenvanlan", first_name="Lan", email="lan@example.gov.vn")
    with translation.override("vi"), pytest.raises(ValidationError) as error:
        validate_password(password, user)
    assert any(message in m for m in error.value.messages), error.value.messages


def test_a_long_unusual_password_is_accepted():
    validate_password("Thẩm-định-2026!", User(username="lan"))


def test_password_change_page(client, reviewer):
    client.force_login(reviewer)
    page = client.get("/tai-khoan/doi-mat-khau/").content.decode()
    assert "Đổi mật khẩu" in page and "ít nhất 10 ký tự" in page
    short = client.post("/tai-khoan/doi-mat-khau/", {
        "old_password": PASSWORD, "new_password1": "ngan", "new_password2": "ngan"})
    assert "Mật khẩu quá ngắn" in short.content.decode()
    new = "Một-mật-khẩu-mới-2027"
    done = client.post("/tai-khoan/doi-mat-khau/", {
        "old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.url == "/tai-khoan/doi-mat-khau/xong/"
    reviewer.refresh_from_db()
    assert reviewer.check_password(new)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD)
    assert entry.actor == reviewer and entry.changes == {"password": ["***", "***"]}
    assert PASSWORD not in str(entry.changes) and reviewer.password not in str(entry.changes)


def test_the_login_page_links_to_the_reset(client):
    html = client.get("/login/").content.decode()
    assert 'href="/mat-khau/quen/"' in html and "Quên mật khẩu?" in html


def test_reset_by_email_with_a_working_link(client, reviewer):
    page = client.get("/mat-khau/quen/").content.decode()
    assert "Quên mật khẩu" in page
    response = client.post("/mat-khau/quen/", {"email": "reviewer@example.gov.vn"})
    assert response.status_code == 302 and response.url == "/mat-khau/quen/da-gui/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reviewer@example.gov.vn"]
    assert message.subject == "Đặt lại mật khẩu tài khoản Chỉ số ICT"
    assert "Tên đăng nhập của bạn: reviewer" in message.body
    assert "hết hạn sau 24 giờ" in message.body
    link = re.search(RESET_LINK, message.body).group(1)
    form_url = client.get(link).url  # Django moves the token into the session
    form = client.get(form_url).content.decode()
    assert "Đặt mật khẩu mới" in form
    weak = client.post(form_url, {"new_password1": "12345678901", "new_password2": "12345678901"})
    assert "hoàn toàn là số" in weak.content.decode()
    new = "Mật-khẩu-mới-2027"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.url == "/mat-khau/dat-lai/xong/"
    assert sign_in(client, "reviewer", new).status_code == 302
    # the link works once
    client.logout()
    assert "không hợp lệ" in client.get(link, follow=True).content.decode()


def test_the_reset_link_names_the_portal_whatever_host_the_request_named(client, reviewer):
    client.post("/mat-khau/quen/", {"email": "reviewer@example.gov.vn"}, HTTP_HOST="localhost")
    assert re.search(RESET_LINK, mail.outbox[0].body)
    assert "localhost" not in mail.outbox[0].body


def test_reset_of_an_unknown_address_sends_nothing_and_says_the_same(client, reviewer):
    response = client.post("/mat-khau/quen/", {"email": "nobody@example.gov.vn"})
    assert response.status_code == 302 and response.url == "/mat-khau/quen/da-gui/"
    assert mail.outbox == []


def test_sessions_last_an_office_day(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.PASSWORD_RESET_TIMEOUT == 24 * 3600


def test_at_most_three_reset_mails_an_hour_to_one_address(client, reviewer):
    for _ in range(5):
        response = client.post("/mat-khau/quen/", {"email": "Reviewer@example.gov.vn"})
        assert response.status_code == 302 and response.url == "/mat-khau/quen/da-gui/"
    assert len(mail.outbox) == 3


def test_the_pages_in_english(client, reviewer):
    assert "Forgot your password?" in client.get("/en/login/").content.decode()
    assert "Send the password reset link" in client.get("/en/mat-khau/quen/").content.decode()
    client.force_login(reviewer)
    html = client.get("/en/tai-khoan/").content.decode()
    assert "Two-step verification" in html and "Recent sign-ins" in html
    client.post("/en/mat-khau/quen/", {"email": "reviewer@example.gov.vn"})
    assert mail.outbox[-1].subject == "Reset the password of your Chỉ số ICT account"
    assert "Your user name: reviewer" in mail.outbox[-1].body
    assert "/en/mat-khau/dat-lai/" in mail.outbox[-1].body
