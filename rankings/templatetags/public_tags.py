"""Display helpers of the public site's pages (profile, comparison, indicators).

    {% load public_tags %}
    {{ line.fraction|percent }}        85,0 % (Vietnamese) / 85.0 % (English)
    {{ line.gap|signed_points }}       +12,5 / −3,0 percentage points
    {% indent depth %}                 a left padding class for tree depth
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

register = template.Library()


@register.filter
def percent(fraction, decimals: int = 1) -> str:
    """A fraction (0–1) as a percentage in the active language's format."""
    if fraction is None or fraction == "":
        return "–"
    return floatformat(fraction * 100, f"{int(decimals)}g") + " %"


@register.filter
def signed_points(gap) -> str:
    """A difference of fractions as signed percentage points (+12,5 / −3,0)."""
    if gap is None:
        return "–"
    text = floatformat(abs(gap) * 100, "1g")
    return ("+" if gap >= 0 else "−") + text


@register.filter
def value_of(line) -> str:
    """An indicator's published value: its number in the language's format, or its text."""
    if line is None:
        return "–"
    number = line.get("value_number") if isinstance(line, dict) else line.value_number
    text = line.get("value_text") if isinstance(line, dict) else line.value_text
    if number is not None:
        return floatformat(number, "-2g")
    return text or "–"


@register.filter
def get(mapping, key):
    """``mapping[key]`` in a template (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def group_cell(row: dict, key: str, decimals: int = 2) -> str:
    """A leaderboard row's score on one group with its rank and change: 43,50 · 12 ▲ 3."""
    from .ranking_tags import rank_change, score

    rank = row.get(f"{key}_rank")
    if row.get(f"{key}_score") is None:
        return "–"
    return format_html("{} · {} {}", score(row.get(f"{key}_score"), decimals),
                       rank if rank is not None else "–",
                       rank_change(row.get(f"{key}_change")) if rank is not None else "")
