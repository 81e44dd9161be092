"""Choropleth maps of the public site, drawn on the server as SVG.

Boundary files are data the project ships in ``fixtures/maps/`` (``settings.MAPS_DIR``
overrides the folder): ``NAME.geojson`` (made by ``fixtures/maps/simplify.py``: one
feature per region with ``properties.id`` and ``properties.name``) and ``NAME.units.csv``
(``unit_code,feature_id``: which unit each region is). A unit missing from the CSV is
matched by its name (accents, case and the words "tỉnh", "thành phố" ignored). Without any
file the page says so and keeps its table.
"""

from __future__ import annotations

import csv
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .charts import FONT, fmt

#: Five classes, light to dark (ColorBrewer "Blues", readable in grey); no data: hatched grey.
PALETTE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#d9d9d9"
WIDTH = 560


def maps_dir() -> Path:
    return Path(getattr(settings, "MAPS_DIR", Path(settings.BASE_DIR) / "fixtures" / "maps"))


def name_key(name: str) -> str:
    """A place name without accents, case, administrative words or separators."""
    text = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"\b(tinh|thanh pho|tp\.?|province|city|thi xa|huyen)\b", " ", text)
    return re.sub(r"[^a-z0-9]", "", text)


@dataclass
class Region:
    id: str
    name: str
    polygons: list[list[list[tuple[float, float]]]]


@dataclass
class BoundaryMap:
    name: str
    source: str
    regions: list[Region]
    units: dict[str, str] = field(default_factory=dict)  # unit code -> region id
    labels: list[tuple[float, float, str]] = field(default_factory=list)  # lon, lat, text

    def match(self, units: list[tuple[str, str]]) -> dict[str, str]:
        """``{unit_code: region_id}`` for the given (code, name) units: the CSV first,
        then the name."""
        by_name = {name_key(r.name): r.id for r in self.regions}
        ids = {r.id for r in self.regions}
        found = {}
        for code, name in units:
            region = self.units.get(code)
            if region not in ids:
                region = by_name.get(name_key(name))
            if region is not None:
                found[code] = region
        return found


def _load(path: Path) -> BoundaryMap:
    data = json.loads(path.read_text(encoding="utf-8"))
    regions = []
    for feature in data.get("features", []):
        geometry = feature.get("geometry") or {}
        coordinates = geometry.get("coordinates", [])
        polygons = [coordinates] if geometry.get("type") == "Polygon" else coordinates
        regions.append(Region(str(feature["properties"].get("id", "")),
                              str(feature["properties"].get("name", "")),
                              [[[(float(x), float(y)) for x, y, *_r in ring] for ring in poly]
                               for poly in polygons]))
    units = {}
    mapping = path.with_name(path.name.removesuffix(".geojson") + ".units.csv")
    if mapping.exists():
        with mapping.open(encoding="utf-8-sig", newline="") as handle:
            units = {row["unit_code"].strip(): row["feature_id"].strip()
                     for row in csv.DictReader(handle) if row.get("unit_code")}
    labels = [(float(item["lon"]), float(item["lat"]), str(item["text"]))
              for item in data.get("labels", [])]
    return BoundaryMap(path.stem, data.get("source", ""), regions, units, labels)


@lru_cache(maxsize=4)
def _maps(folder: str, stamp: tuple) -> list[BoundaryMap]:
    return [_load(Path(folder) / name) for name, _mtime in stamp]


def available_maps() -> list[BoundaryMap]:
    """Every boundary file shipped (read once, again when a file changes)."""
    folder = maps_dir()
    if not folder.is_dir():
        return []
    stamp = tuple(sorted((p.name, p.stat().st_mtime) for p in folder.glob("*.geojson")))
    return _maps(str(folder), stamp)


def best_map(units: list[tuple[str, str]]) -> tuple[BoundaryMap | None, dict[str, str]]:
    """The map covering most of ``units`` and its matches; ``(None, {})`` if none does."""
    best, matches = None, {}
    for boundary in available_maps():
        found = boundary.match(units)
        if len(found) > len(matches):
            best, matches = boundary, found
    return best, matches


def classes(values: list[float], count: int = len(PALETTE)) -> list[float]:
    """Upper bounds of ``count`` classes of about equal size (quantiles), ascending, the
    last being the highest value; fewer when values repeat."""
    ordered = sorted(values)
    if not ordered:
        return []
    bounds = []
    for k in range(1, count + 1):
        bound = ordered[min(len(ordered) - 1, math.ceil(k * len(ordered) / count) - 1)]
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    return bounds


def class_of(value: float | None, bounds: list[float]) -> int | None:
    if value is None:
        return None
    for k, bound in enumerate(bounds):
        if value <= bound:
            return k
    return len(bounds) - 1


def colour(k: int | None, bounds: list[float]) -> str:
    if k is None:
        return NO_DATA
    # spread fewer classes over the whole palette
    step = (len(PALETTE) - 1) / max(len(bounds) - 1, 1)
    return PALETTE[round(k * step)]


def render(boundary: BoundaryMap, shaded: dict[str, dict], title: str, desc: str,
           legend: list[tuple[str, str]], no_data_label: str) -> SafeString:
    """The map as a standalone SVG: one ``<g>`` per region with its ``<title>`` (name and
    figures), filled with ``shaded[region_id]["colour"]`` (no data: grey)."""
    points = [p for r in boundary.regions for poly in r.polygons for ring in poly for p in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    squeeze = math.cos(math.radians((south + north) / 2))
    scale = WIDTH / ((east - west) * squeeze or 1)
    height = round((north - south) * scale) + 2
    legend_height = 22 * (len(legend) + 1) + 10

    def project(ring) -> str:
        return "M" + "L".join(f"{(x - west) * squeeze * scale + 1:.1f},"
                              f"{(north - y) * scale + 1:.1f}" for x, y in ring) + "Z"

    body = []
    for region in boundary.regions:
        info = shaded.get(region.id)
        fill = info["colour"] if info else NO_DATA
        label = info["title"] if info else f"{region.name}: {no_data_label}"
        path = "".join(project(ring) for poly in region.polygons for ring in poly)
        body.append(f'<g class="region" data-region="{escape(region.id)}"><title>'
                    f'{escape(label)}</title><path d="{path}" fill="{fill}" stroke="#555" '
                    f'stroke-width="0.6" fill-rule="evenodd"/></g>')
    for lon, lat, text in boundary.labels:  # place names (the archipelagos)
        body.append(f'<text x="{(lon - west) * squeeze * scale + 1:.1f}" '
                    f'y="{(north - lat) * scale + 1:.1f}" text-anchor="middle" fill="#333" '
                    f'font-size="11">{escape(text)}</text>')
    top = height + 14
    for k, (swatch, text) in enumerate([*legend, (NO_DATA, no_data_label)]):
        y = top + 22 * k
        body.append(f'<rect x="10" y="{y}" width="18" height="14" fill="{swatch}" '
                    f'stroke="#555" stroke-width="0.6"/><text x="36" y="{y + 12}" '
                    f'fill="#222">{escape(text)}</text>')
    total_height = top + legend_height
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH + 2} {total_height}" '
        f'width="{WIDTH + 2}" height="{total_height}" role="img" class="chart map" '
        f'aria-labelledby="map-title map-desc" {FONT} font-size="12">'
        f'<title id="map-title">{escape(title)}</title><desc id="map-desc">{escape(desc)}'
        f'</desc><rect width="{WIDTH + 2}" height="{total_height}" fill="#ffffff"/>'
        + "".join(body) + "</svg>")


def legend_items(bounds: list[float], decimals: int) -> list[tuple[str, str]]:
    """(colour, "low – high") per class."""
    items, low = [], None
    for k, bound in enumerate(bounds):
        text = f"≤ {fmt(bound, decimals)}" if low is None else (
            f"{fmt(low, decimals)} – {fmt(bound, decimals)}")
        items.append((colour(k, bounds), text))
        low = bound
    return items
