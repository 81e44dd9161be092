"""The Django admin works for every model, in Vietnamese, and guards frozen frameworks."""

import pytest
from django.contrib import admin
from django.urls import reverse

from assessments.models import CriterionGroup, Framework, Indicator, Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw",
                                                      role="admin")
    client.force_login(user)
    return client


@pytest.fixture
def framework():
    fw = Framework.objects.create(code="F-2015", name="Bộ tiêu chí 2015")
    group = CriterionGroup.objects.create(framework=fw, code="HT", name="Hạ tầng")
    Indicator.objects.create(framework=fw, group=group, code="lan", name="Mạng LAN",
                             value_type="boolean", rule="boolean")
    return fw


def test_every_registered_model_has_a_working_changelist_and_add_page(admin_client, framework):
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        response = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        response = admin_client.get(reverse("admin:{}_{}_add".format(*info)))
        assert response.status_code in (200, 403), info


def test_admin_speaks_vietnamese_by_default(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert "Quản trị Chỉ số ứng dụng CNTT" in response.content.decode()


def test_frozen_framework_is_read_only_in_the_admin(admin_client, framework):
    url = reverse("admin:assessments_framework_change", args=[framework.pk])
    response = admin_client.post(url, {"code": framework.code, "name": "x"})
    assert response.status_code in (302, 200)
    Period.objects.create(code="2015", name="2015", framework=framework,
                          status=Period.Status.PUBLISHED)
    response = admin_client.post(url, {"code": framework.code, "name": "Đổi tên"})
    assert response.status_code == 403
    framework.refresh_from_db()
    assert framework.name != "Đổi tên"
    group = framework.groups.get()
    response = admin_client.get(reverse("admin:assessments_criteriongroup_change",
                                        args=[group.pk]))
    assert response.status_code == 200
    assert 'name="name"' not in response.content.decode()  # shown, not editable


def test_copy_for_a_new_year_makes_an_editable_copy_of_a_frozen_framework(admin_client,
                                                                          framework):
    Period.objects.create(code="2015", name="2015", framework=framework,
                          status=Period.Status.PUBLISHED)
    assert framework.is_frozen
    response = admin_client.post(
        reverse("admin:assessments_framework_changelist"),
        {"action": "copy_for_new_year", "_selected_action": [framework.pk]},
        follow=True,
    )
    assert response.status_code == 200
    copy = Framework.objects.get(code="F-2016")
    assert copy.copied_from == framework and not copy.is_frozen
    assert list(copy.groups.values_list("code", "name")) == [("HT", "Hạ tầng")]
    assert list(copy.indicators.values_list("code", "group__code", "rule")) == [
        ("lan", "HT", "boolean")]
    assert "F-2016" in response.content.decode()
    # the copy is editable in the admin; the original stays frozen
    change = admin_client.get(reverse("admin:assessments_framework_change", args=[copy.pk]))
    assert 'name="name"' in change.content.decode()
    # copying again does not collide with the first copy
    admin_client.post(reverse("admin:assessments_framework_changelist"),
                      {"action": "copy_for_new_year", "_selected_action": [framework.pk]})
    assert Framework.objects.filter(code="F-2016-2").exists()
