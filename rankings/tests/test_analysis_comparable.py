"""Comparable series (last year's answers scored on this year's framework through the
admin's crosswalk, beside the series as published), the crosswalk's admin and bulk fill,
and scenario-against-scenario comparison, on the demo."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils.html import strip_tags

from assessments.models import Framework, Period, User
from rankings import analysis_services as analysis
from rankings.models import IndicatorCrosswalk, Scenario

pytestmark = pytest.mark.django_db


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


def body_rows(html: str) -> list[list[str]]:
    rows = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", html, flags=re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
            rows.append([" ".join(strip_tags(c).split()) for c in re.findall(
                r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)])
    return rows


def crosswalk_level4():
    return analysis.fill_crosswalk(source_framework=Framework.objects.get(code="MIC-2016"),
                                   target_framework=Framework.objects.get(code="MIC-2017"),
                                   text="dvc_level4,dvc_online,2,hai thang đo gần nhau")


@pytest.mark.parametrize("name", ["analysis:comparable", "analysis:scenario_compare"])
def test_only_reviewers_and_admins(demo, client, name):
    url = reverse(name, kwargs={"code": "MIC-2017"})
    assert client.get(url).status_code == 302
    client.force_login(User.objects.get(username="vn-caobang"))
    assert client.get(url).status_code == 403


def test_without_a_crosswalk_the_new_indicator_is_named_and_2016_is_unranked(reviewer):
    html = reviewer.get(reverse("analysis:comparable", kwargs={"code": "MIC-2017"})
                        ).content.decode()
    assert "Bộ tiêu chí đã đổi: MIC-2016 → MIC-2017" in html
    unmapped = html.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "dvc_online" in unmapped
    units = [r for r in body_rows(html) if len(r) == 10]
    assert len(units) == 63
    assert all(r[4] == "–" for r in units)  # missing = unranked: no comparable rank


def test_with_a_crosswalk_2016_is_scored_on_the_2017_framework(reviewer):
    crosswalk_level4()
    period = Period.objects.get(code="MIC-2017")
    series = analysis.comparable_series_table(period=period)
    assert series.unmapped == [] and series.framework_changed
    assert ("dvc_level4", "dvc_online", 2.0, "crosswalk") in series.mapping
    expected = analysis.comparable_result(period=period).units.set_index("unit_code")
    ranked = 0
    for row in series.rows:
        rank = expected.loc[row["unit_code"], "rank"]
        assert row["comparable_rank"] == (None if rank is pd.NA else int(rank))
        if row["comparable_rank"] is None or row["published_rank"] is None:
            assert row["difference"] is None
            continue
        ranked += 1
        assert row["difference"] == row["comparable_rank"] - row["published_rank"]
        assert row["change_comparable"] - row["change_published"] == row["difference"]
    assert ranked >= 60
    assert 0 < series.reordered < 63  # the framework change reorders some provinces
    html = reviewer.get(reverse("analysis:comparable", kwargs={"code": "MIC-2017"})
                        ).content.decode()
    assert 'role="alert"' not in html
    page = [r for r in body_rows(html) if len(r) == 10]
    shown = {r[0]: (r[2], r[4], r[7]) for r in page}
    for row in series.rows:
        assert shown[row["unit_name"]] == tuple(
            "–" if v is None else str(v)
            for v in (row["published_rank"], row["comparable_rank"], row["rank"]))
    download = reviewer.get(reverse("analysis:comparable", kwargs={"code": "MIC-2017"}),
                            {"tai_ve": "csv"})
    lines = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [(x["unit_name"], x["comparable_rank"] or "–") for x in lines] == [
        (r[0], r[4]) for r in page]


def test_same_framework_gives_the_published_ranks(reviewer):
    series = analysis.comparable_series_table(period=Period.objects.get(code="QNAM-2015"))
    assert not series.framework_changed and series.unmapped == []
    assert series.reordered == 0
    assert all(r["comparable_rank"] == r["published_rank"] for r in series.rows)


def test_bulk_fill_names_every_bad_line_and_saves_nothing(demo):
    with pytest.raises(ValidationError) as error:
        analysis.fill_crosswalk(
            source_framework=Framework.objects.get(code="MIC-2016"),
            target_framework=Framework.objects.get(code="MIC-2017"),
            text="source,target\ndvc_level4,dvc_online\nkhong_co,dvc_online\n"
                 "dvc_level3,dvc_level3,abc\ndvc_level4,dvc_online\n")
    messages = error.value.messages
    assert any("Dòng 3, cột 1" in m and "khong_co" in m for m in messages)
    assert any("Dòng 4, cột 3" in m and "abc" in m for m in messages)
    assert any("Dòng 5" in m and "đã có" in m for m in messages)
    assert not IndicatorCrosswalk.objects.exists()


def test_admin_fills_the_crosswalk_from_pasted_lines(demo, client):
    client.force_login(User.objects.get(username="admin"))
    changelist = client.get(reverse("admin:rankings_indicatorcrosswalk_changelist"))
    assert "Điền hàng loạt" in changelist.content.decode()
    add = client.get(reverse("admin:rankings_indicatorcrosswalk_add")).content.decode()
    assert "MIC-2016 · dvc_level4 – " in add  # indicators named, not raw ids
    url = reverse("admin:rankings_indicatorcrosswalk_fill")
    data = {"source_framework": Framework.objects.get(code="MIC-2016").pk,
            "target_framework": Framework.objects.get(code="MIC-2017").pk,
            "rows": "dvc_level4\tdvc_online\t2\nkhong_co\tdvc_online"}
    response = client.post(url, data)
    assert response.status_code == 200 and "khong_co" in response.content.decode()
    assert not IndicatorCrosswalk.objects.exists()
    data["rows"] = "dvc_level4\tdvc_online\t2"
    assert client.post(url, data).status_code == 302
    row = IndicatorCrosswalk.objects.get()
    assert (row.source.code, row.target.code, row.factor) == ("dvc_level4", "dvc_online", 2)
    # the single-row form refuses two indicators of the same framework
    same = Framework.objects.get(code="MIC-2017").indicators.all()[:2]
    response = client.post(reverse("admin:rankings_indicatorcrosswalk_add"),
                           {"source": same[0].pk, "target": same[1].pk, "factor": "1"})
    assert "hai bộ tiêu chí khác nhau" in response.content.decode()


def test_scenarios_compared_side_by_side(reviewer):
    period = Period.objects.get(code="MIC-2017")
    doubled = analysis.save_scenario(period=period, name="DVC x2",
                                     changes={"groups": {"DVC": {"weight": 0.5}}})
    same = analysis.compare_scenarios(period=period, a=None, b=None)
    assert same.moved == 0 and len(same.rows) == 63
    comparison = analysis.compare_scenarios(period=period, a=None, b=doubled)
    assert comparison.moved == 52  # docs/analysis.md: 52 of 63 provinces move
    caobang = next(r for r in comparison.rows if r["unit_code"] == "VN-CAOBANG")
    assert (caobang["rank_a"], caobang["rank_b"], caobang["difference"]) == (56, 38, 18)
    html = reviewer.get(reverse("analysis:scenario_compare", kwargs={"code": "MIC-2017"}),
                        {"a": "", "b": doubled.pk}).content.decode()
    assert "Chính thức so với DVC x2: 52/63 đơn vị khác hạng." in html
    assert Scenario.objects.count() == 1
    download = reviewer.get(reverse("analysis:scenario_compare", kwargs={"code": "MIC-2017"}),
                            {"a": "", "b": doubled.pk, "tai_ve": "csv"})
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert lines[0] == ["a", "Chính thức", "b", "DVC x2"]
    rows = {r[1]: r for r in lines[2:]}
    assert len(rows) == 63
    assert rows["VN-CAOBANG"][3:] == ["56", rows["VN-CAOBANG"][4], "56",
                                      rows["VN-CAOBANG"][6], "38", "18"]


def test_robustness_chart_downloads_as_svg_and_png(reviewer, client):
    from PIL import Image

    url = reverse("analysis:robustness_chart", kwargs={"code": "MIC-2017", "ext": "svg"})
    query = {"bien_do": "25", "so_lan": "100", "doi_cach": "1", "top": "10"}
    svg = reviewer.get(url, query)
    assert svg["Content-Type"].startswith("image/svg+xml")
    text = svg.content.decode()
    assert text.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in text
    assert text.count('class="interval"') == 10 and "Lào Cai" in text
    png = reviewer.get(url.replace(".svg", ".png"), query)
    assert png["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).width == 2 * 720
    assert reviewer.get(url, {"bien_do": "150", "so_lan": "10"}).status_code == 400
    page = reviewer.get(reverse("analysis:robustness", kwargs={"code": "MIC-2017"}),
                        query).content.decode()
    assert "do-vung.png?bien_do=25" in page
    reviewer.logout()
    assert reviewer.get(url, query).status_code == 302
