"""python manage.py export_rankings --period CODE --output FILE [--preview]."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.models import Period
from rankings.selectors import latest_snapshot, public_snapshot
from rankings.services import EXPORT_FORMATS, export_results


class Command(BaseCommand):
    help = _("Xuất kết quả đã công bố của một kỳ ra tệp .csv, .xlsx hoặc .json "
             "(--preview: lần tính gần nhất, kể cả chưa công bố).")

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help=_("mã kỳ đánh giá"))
        parser.add_argument("--output", required=True,
                            help=_("tệp kết quả: .csv, .xlsx hoặc .json"))
        parser.add_argument("--preview", action="store_true",
                            help=_("xuất lần tính gần nhất, kể cả chưa công bố"))

    def handle(self, *args, period, output, preview=False, **options):
        destination = Path(output)
        fmt = destination.suffix.lower().lstrip(".")
        if fmt not in EXPORT_FORMATS:
            raise CommandError(_("Tệp %(file)s: chỉ xuất được .csv, .xlsx hoặc .json.")
                               % {"file": output})
        found = Period.objects.filter(code=period.strip()).first()
        if found is None:
            raise CommandError(_("Không có kỳ đánh giá mã %(code)s.") % {"code": period})
        snapshot = latest_snapshot(found) if preview else public_snapshot(found)
        if snapshot is None:
            raise CommandError(
                _("Kỳ %(code)s chưa có kết quả nào được tính.") % {"code": found.code}
                if preview else
                _("Kỳ %(code)s chưa công bố kết quả (dùng --preview để xuất lần tính gần "
                  "nhất).") % {"code": found.code})
        try:
            export_results(snapshot=snapshot, destination=destination)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        except OSError as exc:
            raise CommandError(_("Không ghi được tệp %(file)s: %(error)s")
                               % {"file": output, "error": exc.strerror or exc}) from exc
        state = (_("đã công bố") if snapshot.is_published
                 else _("bản xem trước, chưa công bố"))
        self.stdout.write(
            _("Đã xuất kết quả kỳ %(code)s, lần tính %(number)s (%(state)s): %(units)s đơn vị "
              "được xếp hạng → %(file)s")
            % {"code": found.code, "number": snapshot.number, "state": state,
               "units": snapshot.units_count, "file": destination})
