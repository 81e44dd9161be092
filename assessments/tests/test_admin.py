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
