"""The unit profile explains why the rank moved since the previous published period:
contributions per group and indicator (summing to the change of score), the units that
passed it and that it passed; cached like the rest of the page, a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import strip_tags

from assessments.models import CriterionGroup, Indicator, Unit
from rankings import analysis_services
from rankings.models import GroupResult, IndicatorResult, RankingSnapshot, UnitResult
from rankings.services import compute_snapshot, publish_snapshot

from .conftest import FAIR, FULL, GOOD, POOR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_caches():
    cache.clear()
    analysis_services._cache.clear()
    yield
    cache.clear()
    analysis_services._cache.clear()


@pytest.fixture
def two_years(build, cohorts):
    """2016 and 2017 on the same framework: Tam Kỳ 60 → 100 passes Đại Lộc 95 → 25."""
    so, huyen = cohorts
    framework = build.standard_framework()
    p2016 = build.period("2016", framework, [so, huyen])
    p2017 = build.period("2017", framework, [so, huyen], previous=p2016)
    tamky = build.unit("TAMKY", "Thành phố Tam Kỳ", huyen)
    dailoc = build.unit("DAILOC", "Huyện Đại Lộc", huyen)
    sttt = build.unit("STTTT", "Sở Thông tin và Truyền thông", so)
    build.submit(p2016, tamky, FAIR)
    build.submit(p2016, dailoc, GOOD)
    build.submit(p2016, sttt, FULL)
    build.submit(p2017, tamky, FULL)
    build.submit(p2017, dailoc, POOR)
    build.submit(p2017, sttt, GOOD)
    for period in (p2016, p2017):
        publish_snapshot(snapshot=compute_snapshot(period=period))
    return p2016, p2017


def section(html: str) -> str:
    assert 'aria-labelledby="why-title"' in html
    return html.split('aria-labelledby="why-title"', 1)[1].split("</section>\n{% endif", 1)[0]


def numbers(text: str) -> float:
    return float(text.replace(".", "").replace(",", ".").replace("−", "-"))


def rows_of(html: str, caption_id: str) -> list[list[str]]:
    table = html.split(f'id="{caption_id}"', 1)[1].split("</table>", 1)[0]
    return [[" ".join(strip_tags(c).split()) for c in re.findall(
        r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)]


def test_profile_explains_the_rise_with_contributions_that_add_up(client, two_years):
    html = client.get("/don-vi/TAMKY/").content.decode()
    why = section(html)
    assert "Vì sao thứ hạng thay đổi so với Năm 2016" in why
    assert "tăng 1 bậc" in why
    tops = rows_of(why, "why-tops")
    body, total = tops[1:-1], tops[-1]
    assert total[0] == "Chênh lệch điểm" and numbers(total[1]) == pytest.approx(40)
    assert sum(numbers(r[1]) for r in body) == pytest.approx(40, abs=1e-3)
    by_group = {r[0]: numbers(r[1]) for r in body}
    # HT: may_tinh 50 → 100 (+10 of 20 points); UD: dvc 60 → 100 (+15), vb b → a (+15)
    assert by_group == {"Hạ tầng kỹ thuật CNTT": pytest.approx(10),
                        "Ứng dụng CNTT trong hoạt động của cơ quan": pytest.approx(30)}
    items = rows_of(why, "why-items-caption")[1:]
    assert {(r[1], r[2]) for r in items} == {
        ("Tỷ lệ máy tính / cán bộ", "Giá trị thay đổi"), ("Tỷ lệ DVC mức 3-4", "Giá trị thay đổi"),
        ("Phần mềm văn bản", "Giá trị thay đổi")}
    passed = why.split("Đơn vị đã vượt qua", 1)[1].split("</section>", 1)[0]
    assert "Huyện Đại Lộc (1 → 2)" in passed
    groups = rows_of(why, "why-groups")[1:]
    assert groups[0][:3] == ["Hạ tầng kỹ thuật CNTT", "2", "1"]


def test_the_unit_that_was_passed_sees_who_passed_it(client, two_years):
    why = section(client.get("/don-vi/DAILOC/").content.decode())
    passed_by = why.split("Đã vượt lên trên đơn vị", 1)[1].split("</section>", 1)[0]
    assert "Thành phố Tam Kỳ (2 → 1)" in passed_by
    assert "giảm 1 bậc" in why


def test_no_explanation_without_a_published_previous_period(client, two_years):
    html = client.get("/don-vi/TAMKY/", {"ky": "2016"}).content.decode()
    assert 'aria-labelledby="why-title"' not in html


def test_explanation_in_english(client, two_years):
    html = client.get("/en/don-vi/TAMKY/").content.decode()
    assert "Why the rank changed since" in html and "Value changed" in html


def bulk_two_periods(build, cohort, code: str, count: int) -> str:
    """Two published periods of ``count`` units (the later one's previous is the earlier)."""
    framework = build.standard_framework(f"F-{code}")
    before = build.period(f"{code}-A", framework, [cohort])
    now = build.period(f"{code}-B", framework, [cohort], previous=before)
    units = Unit.objects.bulk_create([
        Unit(code=f"{code}-{i:04d}", name=f"Đơn vị {i:04d}", cohort=cohort)
        for i in range(count)])
    groups = list(CriterionGroup.objects.filter(framework=framework))
    indicators = list(Indicator.objects.filter(framework=framework))
    for shift, period in ((0, before), (1, now)):
        snapshot = RankingSnapshot.objects.create(
            period=period, number=1, framework_code=framework.code,
            inputs_digest=f"{code}{shift}".ljust(64, "0"), published_at=timezone.now(),
            is_public=True, units_count=count)
        unit_results, group_results, indicator_results = [], [], []
        for i, unit in enumerate(units):
            k = (i + shift * 7) % count
            fraction = (k % 10) / 10
            unit_results.append(UnitResult(
                snapshot=snapshot, unit=unit, cohort=cohort, score=100 * fraction,
                score_exact=100 * fraction, max_score=100, rank=k + 1))
            for group in groups:
                maximum = 40 if group.code == "HT" else 60 if group.code == "UD" else 30
                group_results.append(GroupResult(
                    snapshot=snapshot, unit=unit, group=group, fraction=fraction,
                    score=maximum * fraction, score_exact=maximum * fraction,
                    max_score=maximum, rank=k + 1))
            for indicator in indicators:
                indicator_results.append(IndicatorResult(
                    snapshot=snapshot, unit=unit, indicator=indicator, value_number=k % 100,
                    fraction=fraction, points=indicator.max_points * fraction,
                    max_points=indicator.max_points))
        UnitResult.objects.bulk_create(unit_results)
        GroupResult.objects.bulk_create(group_results, batch_size=2000)
        IndicatorResult.objects.bulk_create(indicator_results, batch_size=2000)
    return code


def test_profile_with_an_explanation_runs_a_fixed_number_of_queries(client, build, cohorts):
    small = bulk_two_periods(build, cohorts[0], "S10", 10)
    large = bulk_two_periods(build, cohorts[1], "L1000", 1000)
    counts = {}
    for code in (small, large):
        cache.clear()
        analysis_services._cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/don-vi/{code}-0005/")
        assert response.status_code == 200
        assert 'aria-labelledby="why-title"' in response.content.decode()
        counts[code] = len(queries)
        with CaptureQueriesContext(connection) as cached_queries:
            client.get(f"/don-vi/{code}-0005/")
        assert len(cached_queries) == 1  # the public state; the rest from the cache
    assert counts[small] == counts[large]
