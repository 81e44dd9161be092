"""Display of scores, ranks, rank changes and bands (used by templates and tables).

    {% load ranking_tags %}
    {{ row.score|score:decimals }}   98,50 in Vietnamese, 98.50 in English
    {% rank_change row.rank_change %} ▲ 14 (green) / ▼ 4 (red) / = / –
    {% band_badge row.band row.band_color %}
"""

from __future__ import annotations

import re

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
FALLBACK_BADGE = "#37474f"


@register.filter
def score(value, decimals=2) -> str:
    """A score with the framework's decimals in the active language (98,50 / 1.000,00)."""
    if value is None or value == "":
        return ""
    return floatformat(value, f"{int(decimals)}g")


@register.filter
def number(value) -> str:
    """An integer with the active language's thousands separator (1.234)."""
    if value is None or value == "":
        return ""
    return floatformat(value, "0g")


@register.simple_tag
def rank_change(change) -> str:
    """▲ n (up, green), ▼ n (down, red), "=" (no change), "–" (not ranked before).

    The symbol is hidden from screen readers, which read the words instead.
    """
    if change is None or change == "":
        css, shown, words = "chg-none", "–", _("chưa xếp hạng kỳ trước")
    else:
        change = int(change)
        if change > 0:
            css, shown, words = "chg-up", f"▲ {change}", _("tăng %(n)s bậc") % {"n": change}
        elif change < 0:
            css, shown, words = "chg-down", f"▼ {-change}", _("giảm %(n)s bậc") % {"n": -change}
        else:
            css, shown, words = "chg-same", "=", _("giữ nguyên thứ hạng")
    return format_html('<span class="chg {}" title="{}"><span aria-hidden="true">{}</span>'
                       '<span class="visually-hidden">{}</span></span>',
                       css, words, shown, words)


def text_on(background: str) -> str:
    """Black or white, whichever contrasts more with the ``#rrggbb`` background."""
    red, green, blue = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    # contrast with white: 1.05 / (L + 0.05); with black: (L + 0.05) / 0.05
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#111111"


@register.simple_tag
def band_badge(label, color="") -> str:
    """A band label as a coloured badge (its text black or white for contrast).

    The colours travel in data attributes and static/js/portal.js paints them: the
    Content-Security-Policy allows no inline style (see ict_index/security_headers.py).
    Without scripts the badge keeps the neutral colours of the stylesheet."""
    if not label:
        return ""
    color = color if color and HEX_COLOR.match(color) else FALLBACK_BADGE
    return format_html('<span class="badge" data-bg="{}" data-fg="{}">{}</span>',
                       color, text_on(color), label)
