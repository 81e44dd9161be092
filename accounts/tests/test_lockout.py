"""Sign-in throttling: after LOGIN_FAILURE_LIMIT wrong passwords for one user name from one
address, that pair is locked out (Vietnamese page, HTTP 429) until the cool-off ends, an
admin unlocks it or the password is reset by e-mail. Every step is in the audit trail."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail

from audit.models import AuditEntry

from .conftest import PASSWORD, RESET_LINK, sign_in

pytestmark = pytest.mark.django_db


def fail(client, username, times, ip="10.0.0.1"):
    return [sign_in(client, username, "sai-mat-khau-roi", ip=ip) for _ in range(times)]


def test_the_limit_is_five_by_name_and_address():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert "axes.middleware.AxesMiddleware" == settings.MIDDLEWARE[-1]


def test_locked_out_after_five_failures_even_with_the_right_password(client, reviewer):
    responses = fail(client, "reviewer", 4)
    assert all(r.status_code == 200 for r in responses)
    assert "không đúng" in responses[-1].content.decode()
    locked = fail(client, "reviewer", 1)[0]
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Tạm khoá đăng nhập" in html and "5 lần" in html and "30 phút" in html
    again = sign_in(client, "reviewer", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    actions = list(AuditEntry.objects.filter(object_repr="reviewer").exclude(action="create")
                   .order_by("at", "pk").values_list("action", flat=True))
    assert actions[:4] == [AuditEntry.Action.LOGIN_FAILED] * 4
    assert AuditEntry.Action.LOCKED_OUT in actions[4:]
    assert AuditEntry.Action.LOGIN not in actions
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT).first()
    assert entry.ip == "10.0.0.1" and entry.object_id == str(reviewer.pk)


def test_the_lock_holds_one_name_from_one_address(client, reviewer, staff):
    fail(client, "reviewer", 5)
    assert sign_in(client, "reviewer", ip="10.0.0.1").status_code == 429
    # the same person from another office's address, another user from the same address
    assert sign_in(client, "so-tttt", ip="10.0.0.1").status_code == 302
    client.logout()
    assert sign_in(client, "reviewer", ip="10.0.0.2").status_code == 302


def test_a_success_before_the_limit_clears_the_count(client, reviewer):
    fail(client, "reviewer", 4)
    assert sign_in(client, "reviewer").status_code == 302
    client.logout()
    fail(client, "reviewer", 4)
    assert sign_in(client, "reviewer").status_code == 302


def test_admin_unlocks_from_the_user_list(client, reviewer, portal_admin):
    fail(client, "reviewer", 5)
    assert AccessAttempt.objects.filter(username="reviewer").exists()
    admin_client = type(client)()
    admin_client.force_login(portal_admin)
    response = admin_client.post("/admin/assessments/user/", {
        "action": "unlock_sign_in", "_selected_action": [reviewer.pk]}, follow=True)
    assert response.status_code == 200
    assert "Đã mở khoá" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="reviewer").exists()
    unlock = AuditEntry.objects.get(action=AuditEntry.Action.UNLOCK)
    assert unlock.actor == portal_admin and unlock.object_repr.startswith("reviewer @ ")
    assert sign_in(client, "reviewer").status_code == 302


def test_admin_unlocks_from_the_list_of_attempts(client, reviewer, portal_admin):
    fail(client, "reviewer", 5)
    attempt = AccessAttempt.objects.get(username="reviewer")
    admin_client = type(client)()
    admin_client.force_login(portal_admin)
    response = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/",
                                 {"post": "yes"})
    assert response.status_code == 302
    assert sign_in(client, "reviewer").status_code == 302


def test_a_password_reset_by_email_lifts_the_lock(client, reviewer):
    fail(client, "reviewer", 5)
    client.post("/mat-khau/quen/", {"email": "reviewer@example.gov.vn"})
    link = re.search(RESET_LINK, mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    new = "Mật-khẩu-mới-2027"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert sign_in(client, "reviewer", new).status_code == 302
    unlock = AuditEntry.objects.get(action=AuditEntry.Action.UNLOCK)
    assert unlock.object_id == str(reviewer.pk) and unlock.actor is None
    assert unlock.changes == {"password_reset": [None, True]}


def test_clean_ups_by_the_lock_out_itself_are_not_unlocks(client, reviewer):
    fail(client, "reviewer", 3)
    assert sign_in(client, "reviewer").status_code == 302  # the count is cleared
    assert not AccessAttempt.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UNLOCK).exists()


def test_the_admin_login_page_is_the_portals(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith("/login/?next=")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response.url).url.startswith("/login/")


def test_the_account_page_lists_recent_sign_ins_and_failures(client, reviewer, staff):
    fail(client, "reviewer", 2, ip="198.51.100.7")
    fail(client, "so-tttt", 1, ip="198.51.100.8")  # somebody else's
    assert sign_in(client, "reviewer", ip="10.0.0.1").status_code == 302
    html = client.get("/tai-khoan/").content.decode()
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 3
    assert "Đăng nhập" in rows[0] and "10.0.0.1" in rows[0]
    assert all("Đăng nhập sai" in r and "198.51.100.7" in r for r in rows[1:])
    assert "198.51.100.8" not in html
