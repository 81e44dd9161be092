from __future__ import annotations

import pytest

from assessments.models import Cohort, Unit, User

PASSWORD = "Thẩm-định-2026!"
SITE = "https://ictindex.example.gov.vn"
RESET_LINK = r"https://ictindex\.example\.gov\.vn(/mat-khau/dat-lai/\S+/)"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture(autouse=True)
def fresh_cache():
    """Reset mails are counted in the cache: each test starts from none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def unit(db):
    cohort = Cohort.objects.create(code="so", name="Sở, Ban, Ngành")
    return Unit.objects.create(code="STTTT", name="Sở Thông tin và Truyền thông", cohort=cohort)


@pytest.fixture
def reviewer(db):
    return User.objects.create_user("reviewer", "reviewer@example.gov.vn", PASSWORD,
                                    role=User.Role.REVIEWER, first_name="Lan")


@pytest.fixture
def portal_admin(db):
    return User.objects.create_user("quantri", "admin@example.gov.vn", PASSWORD,
                                    role=User.Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def staff(unit):
    return User.objects.create_user("so-tttt", "so@example.gov.vn", PASSWORD,
                                    role=User.Role.UNIT_STAFF, unit=unit)


def sign_in(client, username, password=PASSWORD, ip="10.0.0.1", next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data, REMOTE_ADDR=ip)
