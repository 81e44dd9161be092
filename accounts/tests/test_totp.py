"""The optional second factor: RFC 6238 codes, enrolment by reviewers and admins, the code
asked after the password, and sessions that skipped it refused everywhere (admin too)."""

from __future__ import annotations

import base64
import time

import pytest

from accounts import totp
from accounts.models import TOTPDevice
from audit.models import AuditEntry

from .conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_rfc_6238_reference_codes():
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.hotp(secret, 59 // 30, digits=8) == "94287082"
    assert totp.hotp(secret, 1111111109 // 30, digits=8) == "07081804"
    assert totp.hotp(secret, 20000000000 // 30, digits=8) == "65353130"


def test_a_code_matches_its_step_and_neighbours_but_never_twice():
    secret = totp.new_secret()
    now = time.time()
    code = totp.totp(secret, now)
    step = totp.match(secret, code, at=now)
    assert step == totp.time_step(now)
    assert totp.match(secret, code, at=now + 30) == step  # a clock 30 s late
    assert totp.match(secret, code, at=now + 90) is None
    assert totp.match(secret, code, at=now, after_step=step) is None
    assert totp.match(secret, "12345", at=now) is None
    assert totp.match(secret, "abcdef", at=now) is None


def enrol(client, user) -> TOTPDevice:
    client.force_login(user)
    page = client.get("/tai-khoan/xac-thuc-hai-buoc/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    html = page.content.decode()
    assert "<svg" in html and "otpauth://totp/" in html
    response = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"code": totp.totp(device.secret)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_reviewer_enrols_with_a_qr_code_and_the_first_code(client, reviewer):
    client.force_login(reviewer)
    html = client.get("/tai-khoan/xac-thuc-hai-buoc/").content.decode()
    device = TOTPDevice.objects.get(user=reviewer)
    assert not device.confirmed
    grouped = " ".join(device.secret[i:i + 4] for i in range(0, len(device.secret), 4))
    assert grouped in html
    assert f"otpauth://totp/Ch%E1%BB%89%20s%E1%BB%91%20ICT%3Areviewer?secret={device.secret}" \
        in html.replace("&amp;", "&")
    assert '<svg width="' in html and "<path d=" in html
    wrong = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"code": "000000"})
    assert "Mã không đúng" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    client.post("/tai-khoan/xac-thuc-hai-buoc/", {"code": totp.totp(device.secret)})
    device.refresh_from_db()
    assert device.confirmed and device.confirmed_at
    assert AuditEntry.objects.filter(action=AuditEntry.Action.OTP_ENROLLED,
                                     actor=reviewer).count() == 1
    assert "Đang bật" in client.get("/tai-khoan/").content.decode()
    # the session that enrolled stays signed in
    assert client.get("/tham-dinh/").status_code == 200


def test_unit_staff_have_no_second_factor_page(client, staff):
    client.force_login(staff)
    assert client.get("/tai-khoan/xac-thuc-hai-buoc/").status_code == 403
    assert "Xác thực hai bước" not in client.get("/tai-khoan/").content.decode()


def test_sign_in_asks_for_the_code_after_the_password(client, reviewer):
    device = enrol(client, reviewer)
    client.logout()
    response = sign_in(client, "reviewer", next_url="/tham-dinh/")
    assert response.status_code == 302 and response.url == "/login/ma-xac-thuc/"
    assert "_auth_user_id" not in client.session
    assert client.get("/tham-dinh/").status_code == 302  # not signed in yet
    page = client.get("/login/ma-xac-thuc/").content.decode()
    assert "Xác thực hai bước" in page
    wrong = client.post("/login/ma-xac-thuc/", {"code": "000000"})
    assert "Mã không đúng" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    code = totp.totp(device.secret, time.time() + 30)  # a phone a little ahead
    done = client.post("/login/ma-xac-thuc/", {"code": code})
    assert done.status_code == 302 and done.url == "/tham-dinh/"
    assert client.get("/tham-dinh/").status_code == 200
    login = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN, actor=reviewer).first()
    assert login.changes == {"otp": [None, True]}
    assert AuditEntry.objects.filter(action=AuditEntry.Action.OTP_FAILED).count() == 1
    # the same code cannot sign in a second time
    client.logout()
    sign_in(client, "reviewer")
    again = client.post("/login/ma-xac-thuc/", {"code": code})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_wrong_codes_count_toward_the_lock_out(client, reviewer):
    device = enrol(client, reviewer)
    client.logout()
    sign_in(client, "reviewer", ip="127.0.0.1")
    for _ in range(4):
        assert client.post("/login/ma-xac-thuc/", {"code": "000000"}).status_code == 200
    locked = client.post("/login/ma-xac-thuc/", {"code": "000000"})
    assert locked.status_code == 429 and "Tạm khoá đăng nhập" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # neither the password nor a right code gets in while the lock lasts
    assert sign_in(client, "reviewer", ip="127.0.0.1").status_code == 429
    assert client.post("/login/ma-xac-thuc/", {"code": totp.totp(device.secret)}).url \
        == "/login/"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.OTP_FAILED).count() == 5
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).exists()


def test_a_complete_sign_in_clears_the_wrong_codes(client, reviewer):
    device = enrol(client, reviewer)
    client.logout()
    sign_in(client, "reviewer", ip="127.0.0.1")
    for _ in range(3):
        client.post("/login/ma-xac-thuc/", {"code": "000000"})
    code = totp.hotp(device.secret, max(device.last_step + 1, totp.time_step()))
    assert client.post("/login/ma-xac-thuc/", {"code": code}).status_code == 302
    client.logout()
    sign_in(client, "reviewer", ip="127.0.0.1")
    for _ in range(4):
        assert client.post("/login/ma-xac-thuc/", {"code": "000000"}).status_code == 200


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client):
    assert client.get("/login/ma-xac-thuc/").url == "/login/"


def test_a_session_that_skipped_the_code_is_signed_out_admin_included(client, portal_admin):
    enrol(client, portal_admin)
    other = type(client)()
    other.force_login(portal_admin)  # a session made without the code
    response = other.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert "_auth_user_id" not in other.session
    # the session that gave the code reaches the admin
    assert client.get("/admin/").status_code == 200


def test_users_without_a_device_sign_in_with_the_password_alone(client, staff):
    response = sign_in(client, "so-tttt")
    assert response.status_code == 302 and response.url == "/"
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_removing_the_device_needs_the_password_and_is_logged(client, reviewer):
    enrol(client, reviewer)
    wrong = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"password": "không phải"})
    assert "Mật khẩu không đúng" in wrong.content.decode()
    assert TOTPDevice.objects.filter(user=reviewer).exists()
    client.post("/tai-khoan/xac-thuc-hai-buoc/", {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.OTP_REMOVED).count() == 1
