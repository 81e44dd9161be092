from __future__ import annotations

import pytest

from assessments.models import User
from rankings.tests.conftest import build, cohorts, period_2017  # noqa: F401

PASSWORD = "Nhật-ký-2026!"


@pytest.fixture
def portal_admin(db):
    return User.objects.create_user("quantri", "admin@example.gov.vn", PASSWORD,
                                    role=User.Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def reviewer(db):
    return User.objects.create_user("reviewer", "reviewer@example.gov.vn", PASSWORD,
                                    role=User.Role.REVIEWER)


@pytest.fixture
def admin_client(client, portal_admin):
    client.force_login(portal_admin)
    return client
