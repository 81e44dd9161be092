"""Server-rendered SVG charts of the public site: radar, line, bar and histogram.

Each chart is a standalone SVG document (it can be embedded in a page or downloaded as
``.svg``), with ``role="img"``, a ``<title>`` and a ``<desc>`` for screen readers; the
pages always show the same numbers in a table next to the chart. No JavaScript, no
library: plain strings built here, every text escaped.
"""

from __future__ import annotations

import math

from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Series colours (contrast ≥ 3:1 on white for lines), then dash patterns to tell them
#: apart without colour.
COLORS = ("#0b5394", "#b45f06", "#38761d", "#741b47", "#434343")
DASHES = ("", "6 4", "2 3", "8 3 2 3", "1 2")
FONT = "font-family=\"system-ui, 'Segoe UI', Roboto, Arial, sans-serif\""


def fmt(value, decimals: int = 1) -> str:
    """A number in the active language's format (98,5 in Vietnamese)."""
    if value is None:
        return "–"
    return floatformat(value, f"-{decimals}g" if decimals else "0g")


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart" '
        f'aria-labelledby="chart-title chart-desc" {FONT} font-size="12">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(desc)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        + "".join(body) + "</svg>")


def _legend(series: list[tuple[str, str, str]], x: int, y: int) -> list[str]:
    """(label, colour, dash) items, one per line from (x, y)."""
    out = []
    for i, (label, color, dash) in enumerate(series):
        top = y + i * 18
        out.append(f'<line x1="{x}" y1="{top}" x2="{x + 24}" y2="{top}" stroke="{color}" '
                   f'stroke-width="3" stroke-dasharray="{dash}"/>'
                   f'<text x="{x + 30}" y="{top + 4}" fill="#222">{escape(label)}</text>')
    return out


def _short(text: str, size: int = 28) -> str:
    return text if len(text) <= size else text[:size - 1].rstrip() + "…"


def radar(axes: list[str], series: list[tuple[str, list[float | None]]], title: str,
          desc: str) -> SafeString:
    """Fractions (0–1) of each axis, one closed polygon per series; with fewer than three
    axes the chart is a set of horizontal bars instead (a radar needs three)."""
    if len(axes) < 3:
        rows = [(f"{axis} – {name}", values[i]) for i, axis in enumerate(axes)
                for name, values in series]
        return bar([(label, None if v is None else v * 100, False) for label, v in rows],
                   100, title, desc, decimals=0, suffix=" %")
    width, size, cx, centre, radius = 760, 560, 380, 280, 170
    legend_height = 18 * len(series) + 10
    body = []
    for level in (0.25, 0.5, 0.75, 1.0):
        points = " ".join(
            f"{cx + radius * level * math.sin(2 * math.pi * i / len(axes)):.1f},"
            f"{centre - radius * level * math.cos(2 * math.pi * i / len(axes)):.1f}"
            for i in range(len(axes)))
        body.append(f'<polygon points="{points}" fill="none" stroke="#bbb" stroke-width="1"/>')
        body.append(f'<text x="{cx + 3}" y="{centre - radius * level + 12:.1f}" '
                    f'fill="#555" font-size="10">{fmt(level * 100, 0)} %</text>')
    for i, axis in enumerate(axes):
        angle = 2 * math.pi * i / len(axes)
        x, y = cx + radius * math.sin(angle), centre - radius * math.cos(angle)
        body.append(f'<line x1="{cx}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}" '
                    'stroke="#bbb"/>')
        lx, ly = cx + (radius + 16) * math.sin(angle), centre - (radius + 16) * math.cos(angle)
        anchor = "middle" if abs(math.sin(angle)) < 0.2 else ("start" if math.sin(angle) > 0
                                                             else "end")
        body.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" '
                    f'fill="#222"><title>{escape(axis)}</title>{escape(_short(axis))}</text>')
    legend = []
    for n, (name, values) in enumerate(series):
        color, dash = COLORS[n % len(COLORS)], DASHES[n % len(DASHES)]
        points = " ".join(
            f"{cx + radius * (v or 0) * math.sin(2 * math.pi * i / len(axes)):.1f},"
            f"{centre - radius * (v or 0) * math.cos(2 * math.pi * i / len(axes)):.1f}"
            for i, v in enumerate(values))
        fill = f"{color}22" if n == 0 else "none"
        body.append(f'<polygon points="{points}" fill="{fill}" stroke="{color}" '
                    f'stroke-width="{3 if n == 0 else 2}" stroke-dasharray="{dash}"/>')
        legend.append((name, color, dash))
    body += _legend(legend, 20, size + 8)
    return _svg(width, size + legend_height, title, desc, body)


def line(labels: list[str], series: list[tuple[str, list[float | None]]], title: str,
         desc: str, *, reverse: bool = False, decimals: int = 1,
         y_max: float | None = None) -> SafeString:
    """Values over periods (x = ``labels``); ``reverse`` puts the smallest value on top
    (ranks: 1 is best). Missing values break the line."""
    width, height, left, right, top, bottom = 640, 300, 56, 20, 20, 60
    values = [v for _, vs in series for v in vs if v is not None]
    high = y_max if y_max is not None else (max(values) if values else 1)
    low = 1 if reverse else 0
    if reverse:
        high = max(high, 2)
    span = (high - low) or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(i):
        return left + (plot_w * (i + 0.5) / max(len(labels), 1))

    def y_of(v):
        ratio = (v - low) / span
        return top + (ratio * plot_h if reverse else (1 - ratio) * plot_h)

    body = []
    ticks = [low + span * step / 4 for step in range(5)]
    if reverse:  # whole ranks only, each once
        ticks = sorted({round(t) for t in ticks})
    for v in ticks:
        y = y_of(v)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                    f'stroke="#e0e0e0"/><text x="{left - 6}" y="{y + 4:.1f}" '
                    f'text-anchor="end" fill="#555">{fmt(v, 0 if reverse else decimals)}</text>')
    for i, label in enumerate(labels):
        body.append(f'<text x="{x_of(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                    f'fill="#222">{escape(_short(label, 16))}</text>')
    legend = []
    for n, (name, vs) in enumerate(series):
        color, dash = COLORS[n % len(COLORS)], DASHES[n % len(DASHES)]
        path, pen = [], "M"
        for i, v in enumerate(vs):
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{x_of(i):.1f},{y_of(v):.1f}")
            pen = "L"
            body.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="4" fill="{color}"/>'
                        f'<text x="{x_of(i):.1f}" y="{y_of(v) - 8:.1f}" text-anchor="middle" '
                        f'fill="#222" font-weight="bold">{fmt(v, decimals)}</text>')
        if path:
            body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{color}" '
                        f'stroke-width="2.5" stroke-dasharray="{dash}"/>')
        legend.append((name, color, dash))
    body += _legend(legend, left, height - bottom + 38)
    return _svg(width, height + 18 * max(len(series) - 1, 0), title, desc, body)


def bar(items: list[tuple[str, float | None, bool]], max_value: float | None, title: str,
        desc: str, *, decimals: int = 2, suffix: str = "") -> SafeString:
    """Horizontal bars, one per (label, value, highlighted) item, in the given order."""
    width, label_w, row = 640, 220, 20
    top = 8
    high = max_value or max([v for _, v, _ in items if v is not None] or [1]) or 1
    plot_w = width - label_w - 70
    body = []
    for i, (label, value, highlighted) in enumerate(items):
        y = top + i * row
        color = "#b45f06" if highlighted else "#0b5394"
        weight = ' font-weight="bold"' if highlighted else ""
        body.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="#222"'
                    f'{weight}>'
                    f'{escape(_short(label, 32))}</text>')
        if value is not None:
            w = max(plot_w * value / high, 0)
            body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                        f'fill="{color}"/><text x="{label_w + w + 4:.1f}" y="{y + 14}" '
                        f'fill="#222">{fmt(value, decimals)}{escape(suffix)}</text>')
        else:
            body.append(f'<text x="{label_w + 4}" y="{y + 14}" fill="#555">–</text>')
    return _svg(width, top * 2 + row * max(len(items), 1), title, desc, body)


def histogram(values: list[float], title: str, desc: str, *, bins: int = 10,
              decimals: int = 1) -> SafeString:
    """How many values fall in each of ``bins`` equal intervals from the lowest to the
    highest value."""
    width, height, left, bottom, top = 640, 260, 44, 56, 16
    counts, edges = histogram_bins(values, bins)
    plot_w, plot_h = width - left - 16, height - top - bottom
    most = max(counts or [1]) or 1
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 16}" y2="{top + plot_h}" '
            'stroke="#555"/>']
    slot = plot_w / max(len(counts), 1)
    for i, count in enumerate(counts):
        h = plot_h * count / most
        x = left + i * slot
        body.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{slot - 2:.1f}" '
                    f'height="{h:.1f}" fill="#0b5394"><title>{fmt(edges[i], decimals)} – '
                    f'{fmt(edges[i + 1], decimals)}: {count}</title></rect>')
        if count:
            body.append(f'<text x="{x + slot / 2:.1f}" y="{top + plot_h - h - 4:.1f}" '
                        f'text-anchor="middle" fill="#222">{count}</text>')
        if i % max(1, len(counts) // 5) == 0:
            body.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                        f'fill="#222">{fmt(edges[i], decimals)}</text>')
    if edges:
        body.append(f'<text x="{left + plot_w:.1f}" y="{top + plot_h + 16}" '
                    f'text-anchor="middle" fill="#222">{fmt(edges[-1], decimals)}</text>')
    return _svg(width, height, title, desc, body)


def histogram_bins(values: list[float], bins: int = 10) -> tuple[list[int], list[float]]:
    """Counts per interval and the ``bins + 1`` edges (the last interval is closed)."""
    if not values:
        return [], []
    low, high = min(values), max(values)
    if high == low:
        return [len(values)], [low, high]
    step = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / step), bins - 1)] += 1
    return counts, [low + step * i for i in range(bins + 1)]
