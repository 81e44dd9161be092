"""The audit trail records who changed what, when, from where, old and new, for every
tracked model, sign-ins and permission changes; answers keep their own history."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from assessments.models import (
    Answer,
    AnswerChange,
    Band,
    Cohort,
    CriterionGroup,
    Extension,
    Framework,
    Indicator,
    Period,
    Unit,
    User,
)
from audit.context import acting_as
from audit.models import AuditEntry
from rankings.models import RankingSnapshot
from rankings.services import compute_snapshot, publish_snapshot

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
A = AuditEntry.Action


def entries(obj, action=None):
    qs = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj),
                                   object_id=str(obj.pk))
    if action:
        qs = qs.filter(action=action)
    return list(qs.order_by("at", "pk"))


def _framework_parts():
    framework = Framework.objects.create(code="F-2018", name="Bộ tiêu chí 2018")
    group = CriterionGroup.objects.create(framework=framework, code="HT", name="Hạ tầng")
    indicator = Indicator.objects.create(framework=framework, group=group, code="lan",
                                         name="Mạng LAN", max_points=10)
    band = Band.objects.create(framework=framework, label="Tốt", min_score=80)
    return framework, group, indicator, band


CASES = {
    "cohort": (lambda: Cohort.objects.create(code="xa", name="Xã"), "name", "Xã, phường"),
    "unit": (lambda: Unit.objects.create(code="X1", name="Xã A", cohort=Cohort.objects.create(
        code="xa", name="Xã")), "name", "Xã A mới"),
    "framework": (lambda: _framework_parts()[0], "name", "Bộ tiêu chí 2018 (sửa)"),
    "group": (lambda: _framework_parts()[1], "name", "Hạ tầng kỹ thuật"),
    "indicator": (lambda: _framework_parts()[2], "max_points", 20.0),
    "band": (lambda: _framework_parts()[3], "min_score", 85.0),
    "period": (lambda: Period.objects.create(code="2018", name="Năm 2018",
                                             framework=_framework_parts()[0]),
               "status", "open"),
    "extension": (lambda: Extension.objects.create(
        period=Period.objects.create(code="2018", name="Năm 2018",
                                     framework=_framework_parts()[0]),
        unit=Unit.objects.create(code="X1", name="Xã A",
                                 cohort=Cohort.objects.create(code="xa", name="Xã")),
        until="2018-12-31"), "reason", "Mưa bão"),
    "user": (lambda: User.objects.create_user("nv", "nv@example.gov.vn", PASSWORD,
                                              role="reviewer"), "email", "nv2@example.gov.vn"),
    "group (auth)": (lambda: Group.objects.create(name="Thẩm định"), "name", "Thẩm định viên"),
}


@pytest.mark.parametrize("case", CASES)
def test_create_update_delete_with_old_new_and_actor(case, portal_admin):
    make, field, new = CASES[case]
    with acting_as(portal_admin):
        obj = make()
        old = getattr(obj, field)
        setattr(obj, field, new)
        obj.save()
        pk, model = obj.pk, type(obj)
        if case == "period":
            obj.delete()
        else:
            model.objects.filter(pk=pk).delete() if case != "user" else obj.delete()
    ghost = model(pk=pk)
    created, updated, deleted = (entries(ghost, a) for a in (A.CREATE, A.UPDATE, A.DELETE))
    assert len(created) == 1 and len(updated) == 1 and len(deleted) == 1, case
    assert created[0].actor == portal_admin and created[0].actor_name == "quantri"
    assert updated[0].changes == {field: [old, new]}
    assert deleted[0].changes[field][0] == new and deleted[0].changes[field][1] is None
    assert updated[0].object_repr and updated[0].at


def test_a_change_through_the_admin_names_the_admin_and_the_address(admin_client,
                                                                    portal_admin):
    cohort = Cohort.objects.create(code="xa", name="Xã")
    unit = Unit.objects.create(code="X1", name="Xã A", cohort=cohort)
    response = admin_client.post(f"/admin/assessments/unit/{unit.pk}/change/", {
        "code": "X1", "name": "Xã An Hoà", "cohort": cohort.pk, "parent": "",
        "active": "on"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    [entry] = entries(unit, A.UPDATE)
    assert entry.actor == portal_admin and entry.ip == "203.0.113.9"
    assert entry.changes == {"name": ["Xã A", "Xã An Hoà"]}


def test_a_rolled_back_change_leaves_no_entry(portal_admin):
    cohort = Cohort.objects.create(code="xa", name="Xã")
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        cohort.name = "Không lưu"
        cohort.save()
        raise RuntimeError
    assert AuditEntry.objects.count() == before


def test_role_unit_and_staff_flags_are_permission_changes(portal_admin):
    cohort = Cohort.objects.create(code="so", name="Sở")
    unit = Unit.objects.create(code="STTTT", name="Sở TT&TT", cohort=cohort)
    user = User.objects.create_user("nv", "nv@example.gov.vn", PASSWORD, role="unit_staff",
                                    unit=unit)
    with acting_as(portal_admin):
        user.role, user.unit, user.is_staff = "reviewer", None, True
        user.save()
    [entry] = entries(user, A.PERMISSIONS)
    assert entry.changes == {"role": ["unit_staff", "reviewer"], "unit": [unit.pk, None],
                             "is_staff": [False, True]}
    assert entry.actor == portal_admin


def test_groups_and_permissions_of_users_and_groups(portal_admin):
    user = User.objects.create_user("nv", "nv@example.gov.vn", PASSWORD, role="reviewer")
    group = Group.objects.create(name="Thẩm định")
    permission = Permission.objects.get(codename="view_unit")
    with acting_as(portal_admin):
        user.groups.add(group)
        user.user_permissions.add(permission)
        group.permissions.add(permission)
        group.user_set.remove(user)  # from the other side
    changes = [e.changes for e in entries(user, A.PERMISSIONS)]
    assert changes == [{"groups": [[], [group.pk]]},
                       {"user_permissions": [[], [permission.pk]]},
                       {"groups": [[group.pk], []]}]
    assert entries(group, A.PERMISSIONS)[0].changes == {"permissions": [[], [permission.pk]]}


def test_a_password_change_is_logged_without_the_password():
    user = User.objects.create_user("nv", "nv@example.gov.vn", PASSWORD, role="reviewer")
    assert entries(user, A.CREATE)[0].changes["password"] == [None, "***"] or \
        entries(user, A.CREATE)[0].changes["password"] == ["", "***"]
    user.set_password("Mật-khẩu-khác-2027")
    user.save()
    [entry] = entries(user, A.PASSWORD)
    assert entry.changes == {"password": ["***", "***"]}
    assert "pbkdf2" not in str(AuditEntry.objects.values_list("changes", flat=True))
    assert "md5" not in str(AuditEntry.objects.values_list("changes", flat=True))


def test_signing_in_does_not_count_as_a_change_of_the_user(client):
    user = User.objects.create_user("nv", "nv@example.gov.vn", PASSWORD, role="reviewer")
    client.post("/login/", {"username": "nv", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert [e.action for e in entries(user)] == [A.CREATE, A.LOGIN]
    assert entries(user, A.LOGIN)[0].ip == "10.1.2.3"
    client.post("/logout/")
    client.post("/login/", {"username": "nv", "password": "sai"}, REMOTE_ADDR="10.1.2.3")
    assert [e.action for e in entries(user)] == [A.CREATE, A.LOGIN, A.LOGOUT, A.LOGIN_FAILED]
    failed = entries(user, A.LOGIN_FAILED)[0]
    assert failed.actor is None and failed.actor_name == "nv"


def test_period_cohorts(portal_admin, cohorts):
    framework = _framework_parts()[0]
    period = Period.objects.create(code="2018", name="Năm 2018", framework=framework)
    so, huyen = cohorts
    with acting_as(portal_admin):
        period.cohorts.set([so, huyen])
        period.cohorts.remove(huyen)
    assert [e.changes for e in entries(period, A.UPDATE)] == [
        {"cohorts": [[], sorted([so.pk, huyen.pk])]}, {"cohorts": [sorted([so.pk, huyen.pk]),
                                                                   [so.pk]]}]


def test_computing_and_publishing_a_snapshot(period_2017, reviewer):
    with acting_as(reviewer):
        snapshot = compute_snapshot(period=period_2017, actor=reviewer)
        publish_snapshot(snapshot=snapshot, actor=reviewer, note="Công bố")
    [created] = entries(snapshot, A.CREATE)
    assert created.actor == reviewer and created.changes["number"] == [None, 1]
    published = [e for e in entries(snapshot, A.UPDATE) if "published_at" in e.changes]
    assert len(published) == 1
    assert published[0].changes["published_at"][0] is None
    assert published[0].changes["published_by"] == [None, reviewer.pk]
    assert RankingSnapshot.objects.get().is_public
    # the period's status moved to published: recorded on the period
    assert any(e.changes.get("status", [None, None])[1] == "published"
               for e in entries(period_2017, A.UPDATE))


def test_answers_keep_their_own_history_and_admin_edits_are_recorded(period_2017, reviewer,
                                                                      admin_client):
    from assessments.services import review_answer

    answer = Answer.objects.filter(submission__unit__code="SNV",
                                   indicator__code="may_tinh").get()
    before = AuditEntry.objects.count()
    review_answer(answer=answer, verdict=Answer.Verdict.ADJUSTED, adjusted_value="80",
                  comment="Theo biên bản", reviewer=reviewer)
    assert AnswerChange.objects.filter(answer=answer).exists()
    assert AuditEntry.objects.count() == before  # not copied into the trail
    # an edit in the admin writes no AnswerChange: the trail records it
    response = admin_client.post(f"/admin/assessments/answer/{answer.pk}/change/", {
        "value_number": "90", "value_text": "", "explanation": "", "verdict": "adjusted",
        "adjusted_number": "80", "adjusted_text": "", "review_comment": "Theo biên bản",
        "open_for_correction": "",
        "evidence-TOTAL_FORMS": "0", "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0", "evidence-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302, response.content.decode()[:2000]
    [entry] = entries(answer, A.UPDATE)
    assert entry.changes == {"value_number": [100.0, 90.0]}
