"""Public pages: published periods, the leaderboard, its sorting and downloads."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags
from openpyxl import load_workbook

from assessments.models import Band
from rankings.services import compute_snapshot, publish_snapshot, results_content

from .conftest import FAIR, FULL, GOOD, POOR

pytestmark = pytest.mark.django_db

URL = "/ky/2017/"


@pytest.fixture
def published(period_2017):
    return publish_snapshot(snapshot=compute_snapshot(period=period_2017))


def body_rows(html: str) -> list[str]:
    """The text of each row of the leaderboard's body."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [" ".join(strip_tags(row).split()) for row in rows]


def unit_order(html: str) -> list[str]:
    return [strip_tags(name) for name in re.findall(
        r'<th scope="row"[^>]*>(.*?)</th>', html.split("<tbody>", 1)[1], flags=re.S)]


def test_home_lists_published_periods_only(client, published, build, cohorts):
    preview_period = build.period("2018", build.standard_framework("F-2018"), cohorts,
                                  name="Năm 2018 (đang thẩm định)")
    unit = build.unit("X", "Sở X", cohorts[0])
    build.submit(preview_period, unit, FULL)
    compute_snapshot(period=preview_period)

    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert "Năm 2017" in html and 'href="/ky/2017/"' in html
    assert "Bộ tiêu chí 2017" in html
    assert "Sở, Ban, Ngành: <strong>3</strong>" in html
    assert "Huyện, thành phố: <strong>2</strong>" in html
    assert "Năm 2018" not in html and "/ky/2018/" not in html


def test_a_preview_is_never_public(client, period_2017):
    compute_snapshot(period=period_2017)
    assert client.get(URL).status_code == 404
    for ext in ("csv", "xlsx", "json"):
        assert client.get(f"{URL}tai-ve.{ext}").status_code == 404
    assert client.get("/ky/khong-co/").status_code == 404
    assert "Năm 2017" not in client.get("/").content.decode()


def test_leaderboard_shows_the_public_snapshot_in_vietnamese(client, published):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    for heading in ("Hạng", "Đơn vị", "Điểm", "Xếp loại", "Tăng/giảm bậc",
                    "Hạ tầng kỹ thuật CNTT", "Ứng dụng CNTT trong hoạt động của cơ quan"):
        assert f"{heading}" in html
    # nested groups are not columns of the leaderboard (they are in the downloads)
    assert "Dịch vụ công trực tuyến" not in html.split("<table", 1)[1]
    rows = body_rows(html)
    assert rows[0].startswith("1 Sở Thông tin và Truyền thông 100,00 Tốt")
    assert rows[1].startswith("2 Sở Tài chính 95,00 Tốt")
    assert "35,00" in rows[1] and "60,00" in rows[1]
    assert rows[2].startswith("3 Sở Xây dựng 60,00 Trung bình")
    # not assessed units come last, labelled
    assert rows[3].startswith("– Sở Nội vụ") and "Chưa đánh giá" in rows[3]
    assert rows[4].startswith("– Sở Y tế") and "Chưa đánh giá" in rows[4]
    assert "Thành phố Tam Kỳ" not in html  # the other cohort is on its own tab
    assert 'href="?cohort=huyen"' in html
    # first publication: no correction notice
    assert "Đính chính" not in html
    for ext in ("csv", "xlsx", "json"):
        assert f'href="/ky/2017/tai-ve.{ext}"' in html


def test_band_badges_use_the_bands_colour_or_the_palette(client, published):
    html = client.get(URL).content.decode()
    assert 'data-bg="#2e7d32" data-fg="#ffffff">Tốt</span>' in html
    khá = Band.objects.get(label="Khá")
    assert not khá.color
    assert 'data-bg="#1565c0" data-fg="#ffffff">Khá</span>' in html  # legend


def test_cohort_switch_shows_one_cohort(client, published):
    html = client.get(URL, {"cohort": "huyen"}).content.decode()
    assert [name for name in unit_order(html)] == ["Thành phố Tam Kỳ", "Huyện Đại Lộc"]
    assert "Sở Tài chính" not in html
    assert client.get(URL, {"cohort": "khong-co"}).status_code == 404


def make_two_years(build, cohorts):
    """2016 then 2017 (with 2016 as comparison), published, four departments."""
    so = cohorts[0]
    units = [build.unit(c, n, so) for c, n in
             [("A", "Sở A"), ("B", "Sở B"), ("C", "Sở C"), ("D", "Sở D")]]
    p2016 = build.period("2016", build.standard_framework("F-2016"), [so])
    for unit, values in zip(units, [POOR, FAIR, GOOD], strict=False):
        build.submit(p2016, unit, values)
    publish_snapshot(snapshot=compute_snapshot(period=p2016))
    p2017 = build.period("2017", build.standard_framework("F-2017"), [so], previous=p2016)
    # A 25 -> 100 (3rd -> 1st, ▲ 2); B 60 -> 60 (2nd -> 3rd, ▼ 1); C 95 -> 25 (▼ 3); D new
    for unit, values in zip(units, [FULL, FAIR, POOR, GOOD], strict=True):
        build.submit(p2017, unit, values)
    return publish_snapshot(snapshot=compute_snapshot(period=p2017))


def test_rank_changes_show_up_and_down_arrows_and_a_dash_when_new(client, build, cohorts):
    make_two_years(build, cohorts)
    html = client.get(URL).content.decode()
    rows = {row.split()[1] + " " + row.split()[2]: row for row in body_rows(html)}
    assert "▲ 2" in rows["Sở A"] and "tăng 2 bậc" in rows["Sở A"]
    assert "▼ 1" in rows["Sở B"] and "giảm 1 bậc" in rows["Sở B"]
    assert "▼ 3" in rows["Sở C"]
    assert "–" in rows["Sở D"] and "chưa xếp hạng kỳ trước" in rows["Sở D"]
    assert 'class="chg chg-up"' in html and 'class="chg chg-down"' in html


def test_no_change_is_shown_as_equals(client, build, cohorts):
    so = cohorts[0]
    a, b = build.unit("A", "Sở A", so), build.unit("B", "Sở B", so)
    old = build.period("2016", build.standard_framework("F-2016"), [so])
    new = build.period("2017", build.standard_framework("F-2017"), [so], previous=old)
    for period in (old, new):
        build.submit(period, a, FULL)
        build.submit(period, b, POOR)
        publish_snapshot(snapshot=compute_snapshot(period=period))
    rows = body_rows(client.get(URL).content.decode())
    assert rows[0].startswith("1 Sở A 100,00 Tốt =giữ nguyên thứ hạng 40,00 1 =")


def test_sorting_by_score_and_by_rank_keeps_empty_values_and_unassessed_last(client,
                                                                            published,
                                                                            build, cohorts):
    assert unit_order(client.get(URL).content.decode()) == [
        "Sở Thông tin và Truyền thông", "Sở Tài chính", "Sở Xây dựng", "Sở Nội vụ", "Sở Y tế"]
    assert unit_order(client.get(URL, {"sort": "score"}).content.decode()) == [
        "Sở Xây dựng", "Sở Tài chính", "Sở Thông tin và Truyền thông", "Sở Nội vụ", "Sở Y tế"]
    assert unit_order(client.get(URL, {"sort": "-rank"}).content.decode()) == [
        "Sở Xây dựng", "Sở Tài chính", "Sở Thông tin và Truyền thông", "Sở Nội vụ", "Sở Y tế"]
    # names in Vietnamese order: "Sở Tài chính" < "Sở Thông tin..." < "Sở Xây dựng"
    assert unit_order(client.get(URL, {"sort": "-unit_name"}).content.decode()) == [
        "Sở Xây dựng", "Sở Thông tin và Truyền thông", "Sở Tài chính", "Sở Y tế", "Sở Nội vụ"]
    # a group's rank, numerically: HT 40 (1), 35 (2), 30 (3)
    html = client.get(URL, {"sort": "-g1_rank"}).content.decode()
    assert unit_order(html)[:3] == ["Sở Xây dựng", "Sở Tài chính",
                                    "Sở Thông tin và Truyền thông"]
    assert 'aria-sort="descending"' in html
    # an unknown column is ignored
    assert client.get(URL, {"sort": "nope"}).status_code == 200


def test_sorting_ranks_numerically_past_nine(client, build, cohorts):
    so = cohorts[0]
    period = build.period("2017", build.standard_framework(), [so])
    for i in range(12):
        unit = build.unit(f"U{i:02d}", f"Đơn vị {i:02d}", so)
        build.submit(period, unit, {**FULL, "may_tinh": 100 - 5 * i})
    publish_snapshot(snapshot=compute_snapshot(period=period))
    ranks = [int(row.split()[0]) for row in
             body_rows(client.get(URL, {"sort": "-rank"}).content.decode())]
    assert ranks == list(range(12, 0, -1))
    ranks = [int(row.split()[0]) for row in
             body_rows(client.get(URL, {"sort": "rank_change"}).content.decode())]
    assert ranks == list(range(1, 13))  # all changes empty: the ranking order remains


def test_a_correction_shows_its_note(client, published, period_2017):
    publish_snapshot(snapshot=compute_snapshot(period=period_2017),
                     note="Điều chỉnh điểm Sở Xây dựng sau phúc khảo.")
    html = client.get(URL).content.decode()
    assert "Đính chính" in html
    assert "Điều chỉnh điểm Sở Xây dựng sau phúc khảo." in html
    assert "thay thế bản công bố ngày" in html


def test_english_pages_use_english_number_format(client, published):
    response = client.get("/en" + URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "95.00" in html and "95,00" not in html


def test_language_switch_posts_to_set_language(client, published):
    html = client.get(URL).content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language" value="en"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": URL})
    assert response.status_code == 302 and response["Location"] == "/en" + URL


def test_downloads_have_the_export_layout(client, published):
    response = client.get(f"{URL}tai-ve.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content == results_content(snapshot=published, fmt="csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0][:8] == ["cohort", "unit_code", "unit_name", "score", "rank",
                           "previous_rank", "rank_change", "band"]
    assert len(rows) == 8  # both cohorts

    data = json.loads(client.get(f"{URL}tai-ve.json").content)
    assert data[0]["unit_code"] == "STTTT" and data[0]["score"] == 100

    book = load_workbook(io.BytesIO(client.get(f"{URL}tai-ve.xlsx").content))
    assert book.sheetnames == ["results"]
    assert client.get(f"{URL}tai-ve.pdf").status_code == 404


def test_page_is_accessible_and_printable(client, published):
    html = client.get(URL).content.decode()
    assert 'class="skip-link" href="#noi-dung"' in html and 'id="noi-dung"' in html
    assert 'class="table-scroll" role="region" tabindex="0"' in html
    assert '<th scope="row"' in html and 'scope="colgroup"' in html
    assert '<caption class="visually-hidden">Bảng xếp hạng: Sở, Ban, Ngành</caption>' in html
    assert 'href="/static/css/portal.css"' in html


def publish_units(build, cohort, code: str, count: int) -> None:
    period = build.period(code, build.standard_framework(f"F-{code}"), [cohort])
    values = [FULL, GOOD, FAIR, POOR]
    for i in range(count):
        unit = build.unit(f"{code}-{i:03d}", f"Đơn vị {i:03d}", cohort)
        if i % 7 != 3:  # some units without a submission
            build.submit(period, unit, values[i % 4])
    publish_snapshot(snapshot=compute_snapshot(period=period))


@pytest.mark.parametrize("path", ["/", "/ky/{code}/", "/ky/{code}/?sort=-g2_rank",
                                  "/ky/{code}/tai-ve.csv", "/ky/{code}/tai-ve.xlsx"])
def test_pages_run_a_fixed_number_of_queries_whatever_the_number_of_units(client, build,
                                                                           cohorts, path):
    publish_units(build, cohorts[0], "2016", 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path.format(code="2016")).status_code == 200

    publish_units(build, cohorts[1], "2017", 60)
    with CaptureQueriesContext(connection) as large:
        response = client.get(path.format(code="2017"))
        assert response.status_code == 200
    assert len(large) == len(small)
    if "?" in path:
        assert len(body_rows(response.content.decode())) == 60


def test_login_page_and_logout_form(client, django_user_model):
    html = client.get("/login/").content.decode()
    assert "Đăng nhập" in html and 'for="id_username"' in html and 'for="id_password"' in html
    user = django_user_model.objects.create_user("canbo", password="mat-khau-dai-123",
                                                 role="reviewer")
    response = client.post("/login/", {"username": "canbo", "password": "mat-khau-dai-123"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert 'action="/logout/" method="post"' in html and "Đăng xuất" in html
    assert user.get_username() in html
    assert client.post("/logout/").status_code == 302
    assert "Đăng xuất" not in client.get("/").content.decode()


def test_a_framework_without_bands_has_no_band_column(client, period_2017):
    Band.objects.filter(framework=period_2017.framework).delete()
    publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    html = client.get(URL).content.decode()
    assert "Xếp loại" not in html
    assert body_rows(html)[0].startswith("1 Sở Thông tin và Truyền thông 100,00 –")


def test_empty_rank_changes_stay_last_in_both_directions(client, build, cohorts):
    make_two_years(build, cohorts)  # changes: A +2, B -1, C -3, D none (new)
    order = unit_order(client.get(URL, {"sort": "rank_change"}).content.decode())
    assert order == ["Sở C", "Sở B", "Sở A", "Sở D"]
    order = unit_order(client.get(URL, {"sort": "-rank_change"}).content.decode())
    assert order == ["Sở A", "Sở B", "Sở C", "Sở D"]
