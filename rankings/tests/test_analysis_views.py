"""The analysis pages: reviewers and admins only; why, what-if (page, JSON, CSV, saved
scenarios) and robustness on the demo."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from assessments.models import User
from rankings.models import Scenario

pytestmark = pytest.mark.django_db

PERIOD = "MIC-2017"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def reviewer(demo, client):
    client.force_login(User.objects.get(username="reviewer"))
    return client


URLS = [
    ("analysis:index", {}),
    ("analysis:why", {"code": PERIOD}),
    ("analysis:whatif", {"code": PERIOD}),
    ("analysis:whatif_json", {"code": PERIOD}),
    ("analysis:whatif_csv", {"code": PERIOD}),
    ("analysis:robustness", {"code": PERIOD}),
]


@pytest.mark.parametrize("name,kwargs", URLS)
def test_anonymous_is_sent_to_sign_in_and_unit_staff_is_refused(demo, client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302 and "next=" in response["Location"]
    client.force_login(User.objects.get(username="vn-caobang"))
    assert client.get(url).status_code == 403


def test_unit_staff_cannot_save_or_delete_scenarios(demo, client):
    client.force_login(User.objects.get(username="vn-caobang"))
    url = reverse("analysis:whatif", kwargs={"code": PERIOD})
    assert client.post(url, {"ten": "x", "g-DVC-w": "0.5"}).status_code == 403
    assert not Scenario.objects.exists()


def test_index_lists_published_periods(reviewer):
    page = reviewer.get(reverse("analysis:index")).content.decode()
    assert PERIOD in page and "QNAM-2016" not in page


def test_why_page_explains_cao_bang_internal_it(reviewer):
    url = reverse("analysis:why", kwargs={"code": PERIOD})
    page = reviewer.get(url, {"don_vi": "VN-CAOBANG", "nhom": "UDNB"}).content.decode()
    assert "Lạng Sơn (55 → 6)" in page and "Kon Tum (59 → 56)" in page
    assert "Tỷ lệ cán bộ, công chức sử dụng thư điện tử công vụ" in page
    assert "giảm 4 bậc" in page
    assert "Cả nút" not in page and ">nb_email<" not in page  # items named, not coded
    assert "Điểm có thể tăng ở đâu" in page and "đơn vị đạt hạng 31" in page  # three steps together
    total = reviewer.get(url, {"don_vi": "VN-CAOBANG"}).content.decode()
    assert "thiếu số liệu" in total and "Hạ tầng kỹ thuật CNTT" in total


def test_unpublished_period_is_404(reviewer):
    assert reviewer.get(reverse("analysis:whatif", kwargs={"code": "QNAM-2016"})
                        ).status_code == 404


def test_whatif_json_recomputes_with_twice_the_online_services_weight(reviewer):
    url = reverse("analysis:whatif_json", kwargs={"code": PERIOD})
    official = reviewer.get(url).json()
    assert official["moved"] == 0 and official["total"] == 63
    data = reviewer.get(url, {"g-DVC-w": "0,5"}).json()
    assert data["changes"] == {"groups": {"DVC": {"weight": 0.5}}}
    row = next(r for r in data["rows"] if r["code"] == "VN-CAOBANG")
    assert (row["rank"], row["official_rank"], row["shift"]) == (38, 56, 18)
    assert row["score"] == "0,4669"
    assert data["moved"] == 52
    bad = reviewer.get(url, {"g-DVC-w": "nhiều", "i-nb_email-w": "-1"})
    assert bad.status_code == 400 and bad.json()["errors"]


def test_whatif_page_saves_loads_exports_and_deletes_a_scenario(reviewer):
    url = reverse("analysis:whatif", kwargs={"code": PERIOD})
    page = reviewer.get(url, {"root-a": "geometric_mean"}).content.decode()
    assert "đơn vị đổi hạng" in page and "whatif.js" in page
    response = reviewer.post(url, {"ten": "DVC gấp đôi", "g-DVC-w": "0.5"})
    scenario = Scenario.objects.get(name="DVC gấp đôi")
    assert response.status_code == 302 and response["Location"].endswith(
        f"?kich_ban={scenario.pk}")
    assert scenario.changes == {"groups": {"DVC": {"weight": 0.5}}}
    assert scenario.created_by.username == "reviewer"
    loaded = reviewer.get(url, {"kich_ban": scenario.pk}).content.decode()
    assert 'value="0,5"' in loaded and "52/63" in loaded
    again = reviewer.post(url, {"ten": "DVC gấp đôi", "g-DVC-w": "0.4"})
    assert again.status_code == 400 and "đã có kịch bản" in again.content.decode()
    csv = reviewer.get(reverse("analysis:whatif_csv", kwargs={"code": PERIOD}),
                       {"g-DVC-w": "0.5"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "Cao Bằng" in csv.content.decode("utf-8-sig")
    deleted = reviewer.post(reverse("analysis:scenario_delete",
                                    kwargs={"code": PERIOD, "pk": scenario.pk}))
    assert deleted.status_code == 302 and not Scenario.objects.filter(pk=scenario.pk).exists()


def test_robustness_page_draws_the_rank_intervals(reviewer):
    url = reverse("analysis:robustness", kwargs={"code": PERIOD})
    page = reviewer.get(url, {"bien_do": "25", "so_lan": "200", "doi_cach": "1",
                              "top": "10"}).content.decode()
    assert page.count('class="interval"') == 10
    assert "<svg" in page and "Lào Cai" in page
    flat = reviewer.get(url, {"bien_do": "0", "so_lan": "10"}).content.decode()
    assert "R̄s = 0" in flat
    bad = reviewer.get(url, {"bien_do": "150", "so_lan": "10"}).content.decode()
    assert "Biên độ trọng số" in bad and "<svg" not in bad
