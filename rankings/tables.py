"""The public leaderboard as a django-tables2 table (one cohort of one snapshot).

Sorting is done here rather than by django-tables2's list sorting, which puts empty values
first: whatever the column and direction, empty values (no rank, no score) come after the
others, units not assessed come last, and equal values keep the ranking order.
"""

from __future__ import annotations

from functools import cmp_to_key
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableListData
from django_tables2.utils import Accessor, OrderBy

from .selectors import Leaderboard
from .templatetags.ranking_tags import band_badge, rank_change, score

TEMPLATE = "rankings/_leaderboard_table.html"


def _compare(keys: list[tuple[Accessor, bool]], a: dict, b: dict) -> int:
    if a["assessed"] != b["assessed"]:
        return -1 if a["assessed"] else 1
    for accessor, descending in keys:
        x, y = accessor.resolve(a, quiet=True), accessor.resolve(b, quiet=True)
        if x == y:
            continue
        if x is None or y is None:
            return 1 if x is None else -1
        if x < y:
            return 1 if descending else -1
        return -1 if descending else 1
    return 0


class LeaderboardData(TableListData):
    """List data whose sorting keeps empty values and units not assessed at the end."""

    def order_by(self, aliases):
        keys: list[tuple[Accessor, bool]] = []
        for alias in aliases:
            bound = self.table.columns[OrderBy(alias).bare]
            order_by = (bound.order_by.opposite if alias[0] != bound.order_by_alias[0]
                        else bound.order_by)
            keys += [(Accessor(item.bare), item.is_descending) for item in order_by]
        # ties: the ranking order (rank, then name)
        keys += [(Accessor("rank"), False), (Accessor("unit_sort"), False)]
        self.data.sort(key=cmp_to_key(lambda a, b: _compare(keys, a, b)))


class RankColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "–")
        super().__init__(*args, **kwargs)

    def render(self, value):
        return value


class ScoreColumn(tables.Column):
    def __init__(self, *args, decimals: int = 2, **kwargs):
        self.decimals = decimals
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def render(self, value):
        return score(value, self.decimals)


class ChangeColumn(tables.Column):
    """▲ / ▼ / = / – ; rendered even when empty ("–": not ranked before)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_values", ())
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        if record["rank"] is None:
            return ""
        return rank_change(value)


class GroupRankColumn(RankColumn):
    """A group's rank with its change beside it (43 ▲ 14)."""

    def __init__(self, *args, change_key: str, **kwargs):
        self.change_key = change_key
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        return format_html("{} {}", value, rank_change(record[self.change_key]))


def _cls(*names: str) -> dict:
    return {"th": {"class": " ".join(names)}, "td": {"class": " ".join(names)}}


class LeaderboardTable(tables.Table):
    rank = RankColumn(verbose_name=_("Hạng"), attrs=_cls("col-rank", "num"))
    unit_name = tables.Column(verbose_name=_("Đơn vị"), order_by=("unit_sort",),
                              attrs=_cls("col-unit"))
    score = ScoreColumn(verbose_name=_("Điểm"), attrs=_cls("col-score", "num"))
    band = tables.Column(verbose_name=_("Xếp loại"), order_by=("band_sort",),
                         empty_values=(), attrs=_cls("col-band"))
    rank_change = ChangeColumn(verbose_name=_("Tăng/giảm bậc"),
                               attrs=_cls("col-change", "num"))

    class Meta:
        template_name = TEMPLATE
        attrs = {"class": "leaderboard"}
        orderable = True
        empty_text = _("Không có đơn vị nào trong nhóm này.")
        row_attrs = {"class": lambda record: "" if record["assessed"] else "not-assessed"}

    def __init__(self, board: Leaderboard, group=None, **kwargs):
        self.board = board
        self.group = group
        self.caption = _("Bảng xếp hạng: %(cohort)s") % {"cohort": board.cohort.name}
        if group is not None:
            self.caption = _("Bảng xếp hạng theo %(group)s: %(cohort)s") % {
                "group": group.name, "cohort": board.cohort.name}
        extra = [("score", ScoreColumn(verbose_name=_("Điểm"), decimals=board.decimals,
                                       attrs=_cls("col-score", "num")))]
        for group in board.groups:
            first = ScoreColumn(verbose_name=_("Điểm"), decimals=board.decimals,
                                attrs=_cls("col-group", "num", "group-start"))
            first.group = group  # the template spans the group's name over its two columns
            extra.append((f"{group.key}_score", first))
            extra.append((f"{group.key}_rank", GroupRankColumn(
                verbose_name=_("Hạng"), change_key=f"{group.key}_change",
                attrs=_cls("col-group", "num"))))
        if not board.bands:  # a framework without bands: no empty column
            kwargs.setdefault("exclude", ("band",))
        super().__init__(data=LeaderboardData(list(board.rows)), extra_columns=extra,
                         **kwargs)

    def render_unit_name(self, value, record):
        """The unit's name, a link to its profile for this period."""
        return format_html('<a href="{}?{}">{}</a>',
                           reverse("rankings:unit_profile", args=[record["unit_code"]]),
                           urlencode({"ky": self.board.snapshot.period.code}), value)

    def render_band(self, value, record):
        if not record["assessed"]:
            return _("Chưa đánh giá")
        return band_badge(value, record["band_color"])
