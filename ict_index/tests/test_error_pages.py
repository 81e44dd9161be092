"""Error pages speak the reader's language and keep the portal's layout."""

import pytest

pytestmark = pytest.mark.django_db


def test_missing_page_is_a_vietnamese_404_with_the_portal_layout(client):
    response = client.get("/ky/khong-co-ky-nay/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Không tìm thấy trang" in body
    assert 'href="/"' in body  # back to the published results
    assert "favicon.svg" in body


def test_missing_page_under_en_is_english(client):
    response = client.get("/en/ky/no-such-period/")
    assert response.status_code == 404
    assert 'lang="en"' in response.content.decode()


def test_server_error_page_needs_no_template_context():
    from django.template.loader import get_template

    html = get_template("500.html").render({})
    assert "Đã xảy ra lỗi hệ thống" in html
