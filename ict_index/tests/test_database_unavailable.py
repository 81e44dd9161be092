"""While the database is unreachable, pages answer 503 with the Vietnamese page, no trace."""

from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db

DOWN = OperationalError('connection to server at "127.0.0.1", port 5432 failed: '
                        "Connection refused")


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # as a real server: the error page, not a raise
    return client


def test_a_page_answers_503_in_vietnamese_while_the_database_is_down(client):
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.load",
                    side_effect=DOWN):
        client.cookies["sessionid"] = "x" * 32
        response = client.get("/bao-cao/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    body = response.content.decode()
    assert "tạm thời không truy cập được" in body
    assert "Connection refused" not in body and "Traceback" not in body
    assert "OperationalError" not in body


def test_an_error_caused_by_the_lost_connection_is_a_503_too():
    from ict_index.errors import database_unavailable

    try:
        try:
            raise DOWN
        except OperationalError as error:
            raise RuntimeError("the view failed") from error
    except RuntimeError as wrapped:
        assert database_unavailable(wrapped)
    assert not database_unavailable(ValueError("not the database"))


def test_any_other_error_keeps_the_500_page(client):
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.load",
                    side_effect=ValueError("a bug")):
        client.cookies["sessionid"] = "x" * 32
        response = client.get("/bao-cao/")

    assert response.status_code == 500
    assert "Đã xảy ra lỗi hệ thống" in response.content.decode()
