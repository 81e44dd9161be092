"""The map page (choropleth of a cohort's regions by total or group score, server-drawn
SVG with a table behind it; works without a boundary file), PNG copies of every chart,
and the boundary simplification script."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils.html import strip_tags
from PIL import Image

from rankings import maps, png
from rankings.services import compute_snapshot, publish_snapshot

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def square(x: float, y: float, size: float = 1.0) -> list:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def map_dir(tmp_path, settings):
    """Three regions: Tam Kỳ (bound by the CSV), Đại Lộc (matched by its name), and a
    region no unit has."""
    folder = tmp_path / "maps"
    folder.mkdir()
    features = [
        {"type": "Feature", "properties": {"id": "R-TK", "name": "Tam Ky"},
         "geometry": {"type": "Polygon", "coordinates": square(108.0, 15.0)}},
        {"type": "Feature", "properties": {"id": "R-DL", "name": "Dai Loc"},
         "geometry": {"type": "MultiPolygon", "coordinates": [square(107.0, 15.0),
                                                             square(107.2, 16.2, .3)]}},
        {"type": "Feature", "properties": {"id": "R-X", "name": "Nowhere"},
         "geometry": {"type": "Polygon", "coordinates": square(109.0, 15.0)}},
    ]
    (folder / "test.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "source": "Test boundaries, CC0", "features": features}),
        encoding="utf-8")
    (folder / "test.units.csv").write_text("unit_code,feature_id\nTAMKY,R-TK\n",
                                           encoding="utf-8")
    settings.MAPS_DIR = folder
    return folder


@pytest.fixture
def published(period_2017):
    return publish_snapshot(snapshot=compute_snapshot(period=period_2017))


def regions(svg: str) -> dict[str, tuple[str, str]]:
    """{region id: (title, fill)} of a map."""
    return {m[0]: (m[1], m[2]) for m in re.findall(
        r'<g class="region" data-region="([^"]+)"><title>([^<]*)</title><path d="[^"]+" '
        r'fill="([^"]+)"', svg)}


def test_map_shades_each_region_by_score_with_a_title_and_a_table(client, map_dir, published):
    html = client.get("/ky/2017/ban-do/", {"cohort": "huyen"}).content.decode()
    shown = regions(html)
    assert shown["R-TK"][0] == "Thành phố Tam Kỳ: 95 điểm, hạng 1"
    assert shown["R-DL"][0] == "Huyện Đại Lộc: 25 điểm, hạng 2"
    assert shown["R-TK"][1] == maps.PALETTE[-1]  # highest class, darkest
    assert shown["R-DL"][1] == maps.PALETTE[0]
    assert shown["R-X"] == ("Nowhere: không có số liệu", maps.NO_DATA)
    assert "Nguồn: Test boundaries, CC0" in html
    table = html.split('id="map-table"', 1)[1].split("</table>", 1)[0]
    rows = [[" ".join(strip_tags(c).split()) for c in re.findall(
        r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S)]
        for r in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], flags=re.S)]
    assert [r[:4] for r in rows] == [["1", "Thành phố Tam Kỳ", "Tam Ky", "95,00"],
                                     ["2", "Huyện Đại Lộc", "Dai Loc", "25,00"]]


def test_map_by_group(client, map_dir, published):
    html = client.get("/ky/2017/ban-do/", {"cohort": "huyen", "group": "HT"}).content.decode()
    shown = regions(html)
    # Hạ tầng: Tam Kỳ 20 (LAN) + 15 (computers 75 %) = 35, Đại Lộc 0 + 10 = 10
    assert shown["R-TK"][0] == "Thành phố Tam Kỳ: 35 điểm, hạng 1"
    assert shown["R-DL"][0] == "Huyện Đại Lộc: 10 điểm, hạng 2"
    assert client.get("/ky/2017/ban-do/", {"cohort": "huyen", "group": "NO"}).status_code == 404


def test_map_page_works_without_a_boundary_file(client, settings, tmp_path, published):
    settings.MAPS_DIR = tmp_path / "none"
    response = client.get("/ky/2017/ban-do/", {"cohort": "huyen"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chưa có bản đồ ranh giới cho nhóm đơn vị này" in html and "<svg" not in html
    assert "Thành phố Tam Kỳ" in html.split('id="map-table"', 1)[1]
    assert client.get("/ky/2017/ban-do.svg", {"cohort": "huyen"}).status_code == 404


def test_a_cohort_no_map_covers_gets_the_message(client, map_dir, published):
    html = client.get("/ky/2017/ban-do/", {"cohort": "so"}).content.decode()
    assert "Chưa có bản đồ ranh giới cho nhóm đơn vị này" in html


def test_map_downloads_as_svg_and_png(client, map_dir, published):
    svg = client.get("/ky/2017/ban-do.svg", {"cohort": "huyen"})
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert 'data-region="R-TK"' in svg.content.decode()
    response = client.get("/ky/2017/ban-do.png", {"cohort": "huyen"})
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    width = int(re.search(r'viewBox="0 0 (\d+)', svg.content.decode()).group(1))
    assert image.width == 2 * width
    colours = {c for _n, c in image.getcolors(1 << 20)}
    dark = tuple(int(maps.PALETTE[-1][i:i + 2], 16) for i in (1, 3, 5))
    assert dark in colours  # Tam Kỳ's region is filled with the darkest class


def test_unit_and_indicator_charts_download_as_png(client, published):
    for url in ("/don-vi/TAMKY/radar.png", "/don-vi/TAMKY/diem.png",
                "/ky/2017/chi-tieu/dvc/diem.png?cohort=huyen",
                "/ky/2017/chi-tieu/dvc/phan-bo.png?cohort=huyen"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].endswith('.png"')
        image = Image.open(io.BytesIO(response.content))
        assert image.width > 600 and len(image.convert("RGB").getcolors(1 << 20)) > 10
    html = client.get("/don-vi/TAMKY/").content.decode()
    assert html.count(".png?ky=2017") == 3  # a PNG link beside each chart


def test_png_draws_shapes_text_and_translucent_fills():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50" font-size="12">'
           '<title>t</title><rect width="100" height="50" fill="#ffffff"/>'
           '<rect x="0" y="0" width="50" height="50" fill="#ff0000"/>'
           '<polygon points="50,0 100,0 100,50 50,50" fill="#0000ff80"/>'
           '<text x="10" y="30" fill="#000000">Đà Nẵng</text></svg>')
    image = Image.open(io.BytesIO(png.svg_to_png(svg))).convert("RGB")
    assert image.size == (200, 100)
    assert image.getpixel((190, 5)) == pytest.approx((127, 127, 255), abs=2)  # 50 % blue
    assert image.getpixel((95, 5)) == (255, 0, 0)
    assert any(image.getpixel((x, 55))[0] < 100 for x in range(20, 90))  # the text's ink


def test_simplify_keeps_shared_borders_and_rounds(tmp_path):
    sys.path.insert(0, str(ROOT / "fixtures" / "maps"))
    try:
        import simplify
    finally:
        sys.path.pop(0)
    # two squares sharing the arc 0 (a wiggly border), quantised TopoJSON
    topology = {"type": "Topology", "transform": {"scale": [0.001, 0.001],
                                                  "translate": [100, 10]},
                "arcs": [[[0, 0], [1, 500], [-1, 500]],            # shared border x = 0
                         [[0, 1000], [-1000, 0], [0, -1000], [1000, 0]],
                         [[0, 0], [1000, 0], [0, 1000], [-1000, 0]]],
                "objects": {"p": {"type": "GeometryCollection", "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]],
                     "properties": {"shapeISO": "VN-A", "shapeName": "A"}},
                    {"type": "Polygon", "arcs": [[2, -1]],
                     "properties": {"shapeISO": "VN-B", "shapeName": "B"}}]}}}
    source = tmp_path / "in.topojson"
    source.write_text(json.dumps(topology), encoding="utf-8")
    result = simplify.simplify(source, tolerance=0.01, digits=3, source_note="x")
    a, b = (f["geometry"]["coordinates"][0][0] for f in result["features"])
    assert [100.0, 10.5] not in a  # the 1 m wiggle is simplified away
    border_a = {tuple(p) for p in a if p[0] == 100.0}
    border_b = {tuple(p) for p in b if p[0] == 100.0}
    assert border_a == border_b == {(100.0, 10.0), (100.0, 11.0)}
    assert result["source"] == "x"


# --- the shipped map of Vietnam's provinces ----------------------------------------------------

SHIPPED = ROOT / "fixtures" / "maps" / "vn-provinces.geojson"


def test_the_shipped_map_has_the_63_provinces_and_every_demo_province_is_on_it():
    from openpyxl import load_workbook

    boundary = maps._load(SHIPPED)
    assert len(boundary.regions) == 63
    assert len({r.id for r in boundary.regions}) == 63
    assert all(r.polygons and r.polygons[0][0] for r in boundary.regions)
    assert "CC BY-SA 4.0" in boundary.source
    book = load_workbook(ROOT / "fixtures" / "demo" / "units.xlsx", read_only=True)
    provinces = [(r[0], r[1]) for r in book["units"].iter_rows(min_row=2, values_only=True)
                 if r[0] and str(r[0]).startswith("VN-")]
    assert len(provinces) == 63
    matched = boundary.match(provinces)
    assert len(matched) == 63 and len(set(matched.values())) == 63
    assert boundary.units["VN-CAOBANG"] == "VN-04" and boundary.units["VN-HOCHIMINH"] == "VN-SG"
    # the archipelagos are drawn and named
    assert [text for _lon, _lat, text in boundary.labels] == [
        "Quần đảo Hoàng Sa (Đà Nẵng)", "Quần đảo Trường Sa (Khánh Hòa)"]
    east = {r.id for r in boundary.regions
            if any(x > 110.5 for poly in r.polygons for ring in poly for x, _y in ring)}
    assert {"VN-DN", "VN-34"} <= east
    svg = maps.render(boundary, {}, "t", "d", [], "không có số liệu")
    assert "Quần đảo Trường Sa (Khánh Hòa)</text>" in svg


def test_the_shipped_map_is_the_source_simplified_as_documented():
    sys.path.insert(0, str(ROOT / "fixtures" / "maps"))
    try:
        import simplify
    finally:
        sys.path.pop(0)
    source = ROOT / "fixtures" / "maps" / "source" / "geoBoundaries-VNM-ADM1_simplified.topojson"
    made = simplify.simplify(source, tolerance=0.02, digits=3)
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert made["features"] == shipped["features"]


def test_map_in_english(client, map_dir, published):
    html = client.get("/en/ky/2017/ban-do/", {"cohort": "huyen"}).content.decode()
    assert '<html lang="en">' in html
    shown = regions(html)
    assert shown["R-TK"][0] == "Thành phố Tam Kỳ: score 95, rank 1"
    assert "Download the map (PNG)" in html and "Figures of the map: total score" in html
