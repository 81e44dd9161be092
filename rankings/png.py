"""PNG copies of the server-drawn SVG charts and maps, drawn with Pillow.

The charts of ``rankings.charts`` and ``rankings.maps`` use a small part of SVG: ``rect``,
``line``, ``polygon``, ``circle``, ``path`` (M, L, Z), ``text`` (anchor, size, weight) in
``g`` groups, solid colours (``#rgb``, ``#rrggbb``, ``#rrggbbaa``) and dash patterns. This
module draws exactly that part, so a PNG needs no system library (no Cairo, no browser):
Pillow (already required by ReportLab) and the Roboto font of ``font-roboto`` (Vietnamese
letters). Shapes are drawn at four times the size and scaled down to twice the SVG size,
which smooths their edges. Anything else in an SVG is ignored.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import font_roboto
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(font_roboto.__file__).resolve().parent / "files"
#: Drawing happens at SUPER × the SVG's size, the PNG is OUTPUT × the SVG's size.
SUPER, OUTPUT = 4, 2
SVG_NS = "{http://www.w3.org/2000/svg}"
NAMED = {"white": "#ffffff", "black": "#000000", "currentcolor": "#222222"}
NUMBER = re.compile(r"-?\d*\.?\d+(?:e-?\d+)?")


@lru_cache(maxsize=16)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("Roboto-Bold.ttf" if bold else "Roboto-Regular.ttf")),
                              size)


def _colour(value: str | None) -> tuple[int, int, int, int] | None:
    if not value or value == "none":
        return None
    value = NAMED.get(value.strip().casefold(), value.strip())
    if not value.startswith("#"):
        return None
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) not in (6, 8):
        return None
    parts = [int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)]
    return tuple(parts + [255] * (4 - len(parts)))  # type: ignore[return-value]


def _number(element, name: str, default: float = 0.0) -> float:
    value = element.get(name)
    if value is None:
        return default
    found = NUMBER.match(value.strip())
    return float(found.group()) if found else default


def _dashes(points: list[tuple[float, float]], pattern: list[float]):
    """The visible pieces of a polyline drawn with a dash ``pattern``."""
    if not pattern or sum(pattern) <= 0:
        yield points
        return
    index, left, on = 0, pattern[0], True
    piece = [points[0]]
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        length = math.hypot(x2 - x1, y2 - y1)
        done = 0.0
        while length - done > left:
            done += left
            t = done / length
            point = (x1 + (x2 - x1) * t, y1 + (y2 - y1) * t)
            if on:
                piece.append(point)
                yield piece
            piece = [point]
            on = not on
            index = (index + 1) % len(pattern)
            left = pattern[index]
        left -= length - done
        if on:
            piece.append((x2, y2))
    if on and len(piece) > 1:
        yield piece


class _Painter:
    def __init__(self, width: float, height: float, scale: float):
        self.scale = scale
        self.image = Image.new("RGBA", (max(1, round(width * scale)),
                                        max(1, round(height * scale))), (255, 255, 255, 255))
        self.draw = ImageDraw.Draw(self.image)

    def _target(self, colour):
        """Draw directly when opaque, else on a layer composited afterwards."""
        if colour[3] == 255:
            return self.draw, None
        layer = Image.new("RGBA", self.image.size, (0, 0, 0, 0))
        return ImageDraw.Draw(layer), layer

    def _done(self, layer):
        if layer is not None:
            self.image.alpha_composite(layer)

    def shape(self, rings: list[list[tuple[float, float]]], fill, stroke, width: float,
              dash: list[float], closed: bool = True):
        s = self.scale
        rings = [[(x * s, y * s) for x, y in ring] for ring in rings if len(ring) > 1]
        if not rings:
            return
        if fill is not None and closed:
            draw, layer = self._target(fill)
            if len(rings) == 1:
                draw.polygon(rings[0], fill=fill)
            else:  # holes (even-odd): a mask of every ring xor-ed
                mask = Image.new("1", self.image.size, 0)
                for ring in rings:
                    ring_mask = Image.new("1", self.image.size, 0)
                    ImageDraw.Draw(ring_mask).polygon(ring, fill=1)
                    mask = Image.fromarray(np.logical_xor(np.array(mask), np.array(ring_mask)))
                solid = Image.new("RGBA", self.image.size, fill)
                (layer if layer is not None else self.image).paste(solid, (0, 0), mask)
            self._done(layer)
        if stroke is not None and width > 0:
            draw, layer = self._target(stroke)
            pixels = max(1, round(width * s))
            for ring in rings:
                line = ring + [ring[0]] if closed else ring
                for piece in _dashes(line, [d * s for d in dash]):
                    draw.line(piece, fill=stroke, width=pixels, joint="curve")
            self._done(layer)

    def circle(self, cx, cy, r, fill, stroke, width):
        s = self.scale
        box = [(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s]
        self.draw.ellipse(box, fill=fill, outline=stroke,
                          width=max(1, round(width * s)) if stroke else 0)

    def text(self, x, y, content, size, bold, anchor, fill):
        if not content.strip():
            return
        font = _font(max(1, round(size * self.scale)), bold)
        horizontal = {"middle": "m", "end": "r"}.get(anchor, "l")
        self.draw.text((x * self.scale, y * self.scale), content, font=font,
                       fill=fill or (34, 34, 34, 255), anchor=horizontal + "s")


def _path_rings(d: str) -> tuple[list[list[tuple[float, float]]], bool]:
    rings, ring, closed = [], [], False
    for command, numbers in re.findall(r"([MLZmlz])([^MLZmlz]*)", d):
        values = [float(v) for v in NUMBER.findall(numbers)]
        pairs = list(zip(values[::2], values[1::2], strict=False))
        if command in "Mm":
            if ring:
                rings.append(ring)
            ring = pairs[:]
        elif command in "Ll":
            ring.extend(pairs)
        else:
            closed = True
            if ring:
                rings.append(ring)
            ring = []
    if ring:
        rings.append(ring)
    return rings, closed


def _points(text: str) -> list[tuple[float, float]]:
    values = [float(v) for v in NUMBER.findall(text or "")]
    return list(zip(values[::2], values[1::2], strict=False))


def svg_to_png(svg: str) -> bytes:
    """The PNG of one of our SVG charts (twice its size, white background)."""
    root = ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    box = [float(v) for v in NUMBER.findall(root.get("viewBox", ""))]
    width, height = (box[2], box[3]) if len(box) == 4 else (
        _number(root, "width", 640), _number(root, "height", 480))
    painter = _Painter(width, height, SUPER)
    base_size = _number(root, "font-size", 12)

    def walk(element, inherited: dict):
        tag = element.tag.removeprefix(SVG_NS)
        style = {**inherited}
        for name in ("fill", "stroke", "stroke-width", "stroke-dasharray", "font-size",
                     "font-weight", "text-anchor"):
            if element.get(name) is not None:
                style[name] = element.get(name)
        fill = _colour(style.get("fill", "#000000"))
        stroke = _colour(style.get("stroke"))
        stroke_width = float(NUMBER.match(str(style.get("stroke-width", "1"))).group())
        dash = [float(v) for v in NUMBER.findall(style.get("stroke-dasharray") or "")]
        if tag in ("title", "desc", "style", "defs"):
            return
        if tag == "rect":
            x, y = _number(element, "x"), _number(element, "y")
            w, h = _number(element, "width"), _number(element, "height")
            painter.shape([[(x, y), (x + w, y), (x + w, y + h), (x, y + h)]], fill, stroke,
                          stroke_width, dash)
        elif tag == "line":
            painter.shape([[(_number(element, "x1"), _number(element, "y1")),
                            (_number(element, "x2"), _number(element, "y2"))]], None,
                          stroke, stroke_width, dash, closed=False)
        elif tag in ("polygon", "polyline"):
            painter.shape([_points(element.get("points"))], fill if tag == "polygon" else None,
                          stroke, stroke_width, dash, closed=tag == "polygon")
        elif tag == "path":
            rings, closed = _path_rings(element.get("d", ""))
            painter.shape(rings, fill if closed else None, stroke, stroke_width, dash,
                          closed=closed)
        elif tag == "circle":
            painter.circle(_number(element, "cx"), _number(element, "cy"),
                           _number(element, "r"), fill, stroke, stroke_width)
        elif tag == "text":
            size = float(NUMBER.match(str(style.get("font-size", base_size))).group())
            content = (element.text or "") + "".join(
                (child.tail or "") for child in element)
            painter.text(_number(element, "x"), _number(element, "y"), content.strip(), size,
                         str(style.get("font-weight", "")) in ("bold", "700", "600"),
                         style.get("text-anchor", "start"), fill)
            return
        for child in element:
            walk(child, style)

    walk(root, {"fill": "#000000", "font-size": str(base_size)})
    image = painter.image.convert("RGB").resize(
        (max(1, round(width * OUTPUT)), max(1, round(height * OUTPUT))), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
