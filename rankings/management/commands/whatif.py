"""python manage.py whatif --period CODE --weights FILE [--all] [--save NAME]."""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from assessments.models import Period, Unit
from rankings.analysis_services import changes_from_file, period_whatif, save_scenario


def _signed(value) -> str:
    if value is None or value is pd.NA or pd.isna(value):
        return "–"
    value = int(value)
    return f"+{value}" if value > 0 else ("0" if value == 0 else f"−{-value}")


class Command(BaseCommand):
    help = _("Xếp hạng lại kết quả đã công bố của một kỳ với trọng số khác (không thay đổi "
             "kết quả chính thức) và in các thay đổi thứ hạng.")

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help=_("mã kỳ đánh giá, ví dụ MIC-2017"))
        parser.add_argument("--weights", required=True,
                            help=_("tệp JSON, CSV hoặc xlsx với các cột node, weight[, "
                                   "aggregation]"))
        parser.add_argument("--all", action="store_true",
                            help=_("in mọi đơn vị, cả những đơn vị giữ nguyên hạng"))
        parser.add_argument("--save", default="", metavar="NAME",
                            help=_("lưu kịch bản với tên này"))

    def handle(self, *args, period, weights, all=False, save="", **options):
        found = Period.objects.select_related("framework").filter(code=period.strip()).first()
        if found is None:
            raise CommandError(_("Không có kỳ đánh giá mã %(code)s.") % {"code": period})
        try:
            changes = changes_from_file(period=found, path=weights)
            result = period_whatif(period=found, changes=changes)
            if save:
                save_scenario(period=found, name=save, changes=changes)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        except OSError as exc:
            raise CommandError(_("Không đọc được tệp %(name)s: %(error)s")
                               % {"name": weights, "error": exc}) from exc

        names = dict(Unit.objects.filter(code__in=list(result.units["unit_code"]))
                     .values_list("code", "name"))
        decimals = int(found.framework.decimals)
        units = result.units.sort_values(["cohort", "rank", "unit_code"], na_position="last")
        moved = units[units["shift"].fillna(0) != 0]
        self.stdout.write(_("Kỳ %(code)s, kịch bản: %(changes)s") % {
            "code": found.code, "changes": _describe(changes) or _("không thay đổi")})
        self.stdout.write(_("%(moved)s/%(total)s đơn vị đổi hạng.")
                          % {"moved": len(moved), "total": len(units)})
        shown = units if all else moved
        if shown.empty:
            return
        header = (f"{_('Hạng'):>5} {_('Chính thức'):>10} {_('Thay đổi'):>8} "
                  f"{_('Điểm'):>10} {_('Điểm chính thức'):>15}  {_('Đơn vị')}")
        self.stdout.write(header)
        for row in shown.itertuples(index=False):
            rank = "–" if pd.isna(row.rank) else str(int(row.rank))
            official = "–" if pd.isna(row.official_rank) else str(int(row.official_rank))
            score = "–" if pd.isna(row.score) else number_format(row.score, decimals)
            before = ("–" if pd.isna(row.official_score)
                      else number_format(row.official_score, decimals))
            self.stdout.write(f"{rank:>5} {official:>10} {_signed(row.shift):>8} {score:>10} "
                              f"{before:>15}  {names.get(row.unit_code, row.unit_code)}")
        if save:
            self.stdout.write(_("Đã lưu kịch bản “%(name)s”.") % {"name": save})


def _describe(changes: dict) -> str:
    parts = []
    for code, item in sorted((changes.get("groups") or {}).items()):
        parts += [f"{code}.{key}={value}" for key, value in sorted(item.items())]
    for code, item in sorted((changes.get("indicators") or {}).items()):
        parts += [f"{code}.{key}={value}" for key, value in sorted(item.items())]
    if changes.get("root"):
        parts.append(f"root.aggregation={changes['root']['aggregation']}")
    return ", ".join(parts)
