"""The public results site: group leaderboards, search, unit profiles, comparison, indicator
views, methodology, the annual report, downloads, caching and what the public never sees."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import strip_tags
from openpyxl import load_workbook

from assessments.models import CriterionGroup, Indicator, Submission, Unit
from rankings.models import GroupResult, IndicatorResult, RankingSnapshot, UnitResult
from rankings.services import compute_snapshot, publish_snapshot

from .conftest import FAIR, FULL, GOOD, POOR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def published(period_2017):
    return publish_snapshot(snapshot=compute_snapshot(period=period_2017))


@pytest.fixture
def two_years(build, cohorts):
    """2016 and 2017 published on the same framework; Tam Kỳ climbs from 2nd to 1st."""
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


def table_rows(html: str, marker: str = "<tbody>") -> list[list[str]]:
    """Cells (text) of each body row of the first table after ``marker``."""
    body = html.split(marker, 1)[1]
    body = (body if marker == "<tbody>" else body.split("<tbody>", 1)[1]).split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [[" ".join(strip_tags(c).split()) for c in re.findall(
        r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)] for row in rows]


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


# --- leaderboard: group, search, downloads --------------------------------------------------

def test_leaderboard_ranks_on_a_sub_group_chosen_in_the_form(client, published):
    html = client.get("/ky/2017/", {"group": "UD_DVC"}).content.decode()
    assert 'option value="UD_DVC" selected' in html
    assert "Đang xếp hạng theo nhóm tiêu chí: <strong>Dịch vụ công trực tuyến</strong>" in html
    rows = table_rows(html)
    # dvc: STTTT 100 % and STC 100 % → 30 points, SXD 60 % → 15
    assert [r[:3] for r in rows[:3]] == [["1", "Sở Tài chính", "30,00"],
                                         ["1", "Sở Thông tin và Truyền thông", "30,00"],
                                         ["3", "Sở Xây dựng", "15,00"]]
    assert "Xếp loại" not in html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert client.get("/ky/2017/", {"group": "KHONG"}).status_code == 404


def test_search_ignores_accents_and_case(client, published):
    html = client.get("/ky/2017/", {"cohort": "huyen", "q": "tam ky"}).content.decode()
    rows = table_rows(html)
    assert len(rows) == 1 and rows[0][1] == "Thành phố Tam Kỳ"
    assert "1 đơn vị khớp với “tam ky”" in html
    assert 'href="/don-vi/TAMKY/?ky=2017"' in html
    html = client.get("/ky/2017/", {"q": "không có"}).content.decode()
    assert "Không có đơn vị nào trong nhóm này." in html


@pytest.mark.parametrize("params", [{}, {"group": "UD"}, {"q": "sở t"},
                                    {"cohort": "huyen", "group": "HT"}])
def test_board_downloads_equal_the_table_on_the_page(client, published, params):
    rows = table_rows(client.get("/ky/2017/", params).content.decode())
    shown = [(r[0], r[1], r[2]) for r in rows]
    content = client.get("/ky/2017/bang.csv", params).content
    downloaded = [(r["rank"] or "–", r["unit_name"], r["score"].replace(".", ","))
                  for r in csv_rows(content)]
    assert downloaded == shown
    data = json.loads(client.get("/ky/2017/bang.json", params).content)
    assert [d["unit_name"] for d in data] == [r[1] for r in rows]
    sheet = load_workbook(io.BytesIO(client.get("/ky/2017/bang.xlsx", params).content)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:3] == [
        "cohort", "unit_code", "unit_name"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        r[1] for r in rows]


def test_board_download_escapes_formulas(client, build, cohorts):
    period = build.period("2019", build.standard_framework("F-2019"), [cohorts[0]])
    unit = build.unit("EVIL", "=HYPERLINK(\"http://x\")", cohorts[0])
    build.submit(period, unit, FULL)
    publish_snapshot(snapshot=compute_snapshot(period=period))
    rows = csv_rows(client.get("/ky/2019/bang.csv").content)
    assert rows[0]["unit_name"] == "'=HYPERLINK(\"http://x\")"


# --- unit profile -------------------------------------------------------------------------

def test_unit_profile_shows_scores_ranks_history_and_charts(client, two_years):
    html = client.get("/don-vi/TAMKY/").content.decode()
    assert "<h1>Thành phố Tam Kỳ</h1>" in html
    headline = html.split('<dl class="headline">', 1)[1].split("</dl>", 1)[0]
    assert "1</strong> / 2" in headline and "tăng 1 bậc" in headline
    assert "100,00</strong> / 100" in headline
    groups = table_rows(html)
    assert groups[0][:5] == ["Hạ tầng kỹ thuật CNTT", "40,00", "40", "1", "▲ 1tăng 1 bậc"]
    assert html.count('role="img"') == 3  # radar, score and rank over time
    history = table_rows(html, '<table class="data history">')
    assert [(h[0], h[2], h[3]) for h in history] == [("Năm 2016", "60,00", "2"),
                                                     ("Năm 2017", "100,00", "1")]
    indicators = table_rows(html, 'aria-labelledby="indicators-title">')
    assert indicators[1][:5] == ["may_tinh", "Tỷ lệ máy tính / cán bộ", "100", "20,00", "20"]
    # strengths: furthest above the cohort's median
    assert "Cao hơn trung vị nhiều nhất" in html and "+50,0" in html
    older = client.get("/don-vi/TAMKY/", {"ky": "2016"}).content.decode()
    assert "60,00</strong> / 100" in older


def test_unit_charts_download_as_svg(client, two_years):
    for chart in ("radar", "diem", "hang"):
        response = client.get(f"/don-vi/TAMKY/{chart}.svg")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("image/svg+xml")
        svg = response.content.decode()
        assert svg.startswith("<?xml") and "<title" in svg and 'role="img"' in svg
        assert "Thành phố Tam Kỳ" in svg


def test_unit_table_download_equals_the_page(client, two_years):
    html = client.get("/don-vi/TAMKY/").content.decode()
    indicators = table_rows(html, 'aria-labelledby="indicators-title">')
    data = json.loads(client.get("/don-vi/TAMKY/bang.json").content)
    rows = [d for d in data if d["kind"] == "indicator"]
    assert [(d["code"], d["name"]) for d in rows] == [(r[0], r[1]) for r in indicators]
    assert [f"{d['score']:.2f}".replace(".", ",") for d in rows] == [r[3] for r in indicators]


def test_profile_numbers_in_english(client, two_years):
    html = client.get("/en/don-vi/TAMKY/", {"ky": "2016"}).content.decode()
    assert '<html lang="en">' in html and "60.00</strong> / 100" in html


# --- compare, indicator view --------------------------------------------------------------

def test_compare_two_units_side_by_side(client, two_years):
    response = client.get("/so-sanh/", {"ky": "2017", "don_vi": ["TAMKY", "DAILOC"]})
    html = response.content.decode()
    assert response.status_code == 200
    total = table_rows(html)[0]
    assert total[2].startswith("100,00 · 1") and total[3].startswith("25,00 · 2")
    content = client.get("/so-sanh/", {"ky": "2017", "don_vi": ["TAMKY", "DAILOC"],
                                       "tai_ve": "csv"}).content
    first = csv_rows(content)[0]
    assert (first["TAMKY_score"], first["DAILOC_score"]) == ("100.00", "25.00")
    too_many = client.get("/so-sanh/", {"ky": "2017", "don_vi": list("ABCDEF")})
    assert too_many.status_code == 400
    assert "Hãy chọn từ 2 đến 5 đơn vị" in too_many.content.decode()


def test_indicator_view_bar_chart_distribution_and_download(client, published):
    html = client.get("/ky/2017/chi-tieu/may_tinh/").content.decode()
    rows = table_rows(html, 'aria-labelledby="units-title">')
    assert [r[0] for r in rows] == ["Sở Thông tin và Truyền thông", "Sở Tài chính",
                                    "Sở Xây dựng"]
    assert [r[2] for r in rows] == ["20,00", "15,00", "10,00"]
    assert html.count('role="img"') == 2
    downloaded = csv_rows(client.get("/ky/2017/chi-tieu/may_tinh/bang.csv").content)
    assert [d["unit_name"] for d in downloaded] == [r[0] for r in rows]
    svg = client.get("/ky/2017/chi-tieu/may_tinh/phan-bo.svg").content.decode()
    assert "phân bố" in svg
    moved = client.get("/ky/2017/chi-tieu/may_tinh/", {"chi_tieu": "dvc", "cohort": "so"})
    assert moved.status_code == 302 and moved["Location"] == "/ky/2017/chi-tieu/dvc/?cohort=so"
    assert client.get("/ky/2017/chi-tieu/khong_co/").status_code == 404


# --- methodology and report ---------------------------------------------------------------

def test_methodology_explains_rules_and_changes_against_the_previous_framework(
        client, build, cohorts, published, period_2017):
    framework = build.standard_framework("F-2018")
    Indicator.objects.filter(framework=framework, code="lan").delete()
    Indicator.objects.filter(framework=framework, code="may_tinh").update(params="target=80")
    Indicator.objects.create(framework=framework, group=CriterionGroup.objects.get(
        framework=framework, code="HT"), code="wifi", name="Wi-Fi", value_type="boolean",
        rule="boolean", max_points=20)
    period = build.period("2018", framework, cohorts, previous=period_2017)
    build.submit(period, Unit.objects.get(code="STTTT"), {"wifi": True, "may_tinh": 80})
    publish_snapshot(snapshot=compute_snapshot(period=period))
    html = client.get("/ky/2018/phuong-phap/").content.decode()
    assert "Điểm = 20 × giá trị / mục tiêu 80, tối đa 20." in html
    assert "Theo ngưỡng – từ 0: 0 điểm; từ 50: 15 điểm; từ 100: 30 điểm." in html
    assert "“a”: 30 điểm" in html
    assert "<strong>Thêm</strong> wifi" in html
    assert "<strong>Bỏ</strong> lan" in html
    assert "<strong>Sửa</strong> may_tinh – Tỷ lệ máy tính / cán bộ: tham số" in html
    assert "Tốt" in html and "≥ 80" in html
    first = client.get("/ky/2017/phuong-phap/").content.decode()
    assert "Không có kỳ trước đã công bố để so sánh." in first


def test_annual_report_headline_figures_leaderboards_and_pdf(client, published):
    html = client.get("/ky/2017/bao-cao/").content.decode()
    # departments: 5 listed, 3 ranked, mean of 100, 95, 60 = 85; computers % total 225
    assert "5 đơn vị, 3 đơn vị được xếp hạng; điểm trung bình 85,00." in html
    figures = {row[0]: row[1:4] for row in table_rows(html)}
    assert figures["Tỷ lệ máy tính / cán bộ (may_tinh)"] == ["3", "225", "75,00"]
    assert "Bảng xếp hạng: Sở, Ban, Ngành" in html and "Bảng xếp hạng: Huyện, thành phố" in html
    assert "Phương pháp" in html
    pdf = client.get("/ky/2017/bao-cao.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"Roboto" in pdf.content


# --- the public never sees what is not published --------------------------------------------

PUBLIC_URLS = [
    "/ky/{p}/", "/ky/{p}/?group=UD", "/ky/{p}/tai-ve.csv", "/ky/{p}/bang.csv",
    "/ky/{p}/bang.xlsx", "/ky/{p}/bang.json", "/ky/{p}/phuong-phap/", "/ky/{p}/bao-cao/",
    "/ky/{p}/bao-cao.pdf", "/ky/{p}/chi-tieu/dvc/", "/ky/{p}/chi-tieu/dvc/bang.csv",
    "/ky/{p}/chi-tieu/dvc/diem.svg", "/don-vi/{u}/", "/don-vi/{u}/?ky={p}",
    "/don-vi/{u}/radar.svg", "/don-vi/{u}/bang.csv", "/so-sanh/?ky={p}&don_vi={u}&don_vi=STC",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_preview_or_draft_is_never_public(client, build, period_2017, url):
    """2017 is computed (a preview) but not published; a unit with only a draft there."""
    draft_unit = build.unit("NHAP", "Đơn vị nháp", period_2017.cohorts.first())
    build.submit(period_2017, draft_unit, FULL, status=Submission.Status.DRAFT)
    compute_snapshot(period=period_2017)
    for unit in ("NHAP", "STTTT"):
        assert client.get(url.format(p="2017", u=unit)).status_code == 404, unit
    assert "2017" not in client.get("/").content.decode()


@pytest.mark.parametrize("url", ["/don-vi/TAMKY/", "/don-vi/TAMKY/bang.json",
                                 "/don-vi/TAMKY/diem.svg"])
def test_a_profile_leaves_out_the_period_under_preview(client, build, two_years, url):
    """After a new preview of 2017 with other values, the profile still shows the public
    2017 snapshot; a period without a public snapshot never appears in the history."""
    p2016, p2017 = two_years
    p2018 = build.period("2018", p2017.framework, list(p2017.cohorts.all()), previous=p2017,
                         name="Năm 2018 bí mật")
    build.submit(p2018, Unit.objects.get(code="TAMKY"), POOR)
    compute_snapshot(period=p2018)
    content = client.get(url).content.decode()
    assert "2018" not in content
    assert client.get(url, {"ky": "2018"}).status_code == 404


def test_a_new_publication_replaces_the_cached_pages(client, period_2017):
    snapshot = compute_snapshot(period=period_2017)
    assert client.get("/ky/2017/").status_code == 404
    assert client.get("/don-vi/TAMKY/").status_code == 404
    publish_snapshot(snapshot=snapshot)
    assert client.get("/ky/2017/").status_code == 200
    assert "95,00" in client.get("/don-vi/TAMKY/").content.decode()


# --- a fixed number of queries whatever the number of units, cached until publication -------

def bulk_published_period(build, cohort, code: str, count: int) -> str:
    """A published period of ``count`` units with their results, written in bulk."""
    framework = build.standard_framework(f"F-{code}")
    period = build.period(code, framework, [cohort])
    units = Unit.objects.bulk_create([
        Unit(code=f"{code}-{i:04d}", name=f"Đơn vị {i:04d}", cohort=cohort)
        for i in range(count)])
    snapshot = RankingSnapshot.objects.create(
        period=period, number=1, framework_code=framework.code, inputs_digest="0" * 64,
        published_at=timezone.now(), is_public=True, units_count=count)
    groups = list(CriterionGroup.objects.filter(framework=framework))
    indicators = list(Indicator.objects.filter(framework=framework))
    unit_results, group_results, indicator_results = [], [], []
    for i, unit in enumerate(units):
        score = 100 - (i % 50)
        unit_results.append(UnitResult(snapshot=snapshot, unit=unit, cohort=cohort,
                                       score=score, max_score=100, rank=i + 1, band="Tốt",
                                       previous_rank=i + 2 if i % 3 else None,
                                       rank_change=1 if i % 3 else None))
        for group in groups:
            group_results.append(GroupResult(snapshot=snapshot, unit=unit, group=group,
                                             fraction=(i % 10) / 10, score=i % 20,
                                             max_score=40, rank=i + 1, rank_change=0))
        for indicator in indicators:
            indicator_results.append(IndicatorResult(
                snapshot=snapshot, unit=unit, indicator=indicator, value_number=i % 100,
                fraction=(i % 10) / 10, points=i % 20, max_points=indicator.max_points))
    UnitResult.objects.bulk_create(unit_results)
    GroupResult.objects.bulk_create(group_results, batch_size=2000)
    IndicatorResult.objects.bulk_create(indicator_results, batch_size=2000)
    return code


def without_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


PAGES = [
    "/", "/ky/{p}/", "/ky/{p}/?group=UD&sort=-g1_rank", "/ky/{p}/?q=0007",
    "/ky/{p}/bang.csv", "/ky/{p}/bang.xlsx?group=UD_DVC", "/ky/{p}/tai-ve.json",
    "/don-vi/{p}-0007/", "/don-vi/{p}-0007/radar.svg", "/don-vi/{p}-0007/bang.csv",
    "/so-sanh/?ky={p}&don_vi={p}-0001&don_vi={p}-0002", "/ky/{p}/chi-tieu/dvc/",
    "/ky/{p}/chi-tieu/dvc/phan-bo.svg", "/ky/{p}/chi-tieu/dvc/bang.xlsx",
    "/ky/{p}/phuong-phap/", "/ky/{p}/bao-cao/", "/ky/{p}/bao-cao.pdf",
    "/ky/{p}/ban-do/", "/ky/{p}/ban-do/?group=UD", "/don-vi/{p}-0007/hang.png",
]


@pytest.mark.parametrize("page", PAGES)
def test_public_pages_run_a_fixed_number_of_queries_at_10_and_1000_units(
        client, build, cohorts, page):
    small = bulk_published_period(build, cohorts[0], "S10", 10)
    large = bulk_published_period(build, cohorts[1], "L1000", 1000)
    counts = {}
    for code in (small, large):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.format(p=code))
            assert response.status_code == 200, code
        counts[code] = len(queries)
        with CaptureQueriesContext(connection) as cached_queries:
            again = client.get(page.format(p=code))
        assert len(cached_queries) == 1, [q["sql"] for q in cached_queries]  # the rest cached
        if response["Content-Type"].startswith("text/"):
            assert without_token(again.content) == without_token(response.content)
    assert counts[small] == counts[large]


def test_whole_pages_are_kept_for_visitors_without_a_session_only(client, published,
                                                                  django_user_model):
    first, second = client.get("/ky/2017/"), client.get("/ky/2017/")
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.search(first.content.decode()) and token.search(second.content.decode())
    assert "\x00" not in second.content.decode()
    assert without_token(first.content) == without_token(second.content)
    # the language switch works from a page served from the cache
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/ky/2017/"})
    assert response.status_code == 302
    user = django_user_model.objects.create_user("nhabao", password="mat-khau-dai-123",
                                                 role="reviewer")
    client.force_login(user)
    assert "nhabao" in client.get("/ky/2017/").content.decode()
