"""python manage.py compute_rankings --period CODE [--publish] [--note TEXT]."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments.models import Period
from rankings.selectors import cohort_counts
from rankings.services import compute_snapshot, publish_snapshot


class Command(BaseCommand):
    help = _("Tính kết quả xếp hạng của một kỳ từ các phiếu đã duyệt; --publish để công bố.")

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help=_("mã kỳ đánh giá, ví dụ 2017"))
        parser.add_argument("--publish", action="store_true",
                            help=_("công bố kết quả vừa tính"))
        parser.add_argument("--note", default="",
                            help=_("ghi chú; bắt buộc khi công bố thay thế một bản đã công bố"))

    def handle(self, *args, period, publish=False, note="", **options):
        found = Period.objects.select_related("framework").filter(code=period.strip()).first()
        if found is None:
            raise CommandError(_("Không có kỳ đánh giá mã %(code)s.") % {"code": period})
        try:
            with transaction.atomic():  # a failed publication keeps no computed snapshot
                snapshot = compute_snapshot(period=found, note=note)
                if publish:
                    snapshot = publish_snapshot(snapshot=snapshot, note=note)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc

        self.stdout.write(
            _("Kỳ %(code)s: đã tính lần %(number)s (bộ tiêu chí %(framework)s).")
            % {"code": found.code, "number": snapshot.number,
               "framework": snapshot.framework_code})
        for cohort in cohort_counts([snapshot]).get(snapshot.pk, []):
            line = _("  %(cohort)s: %(ranked)s đơn vị được xếp hạng") % {
                "cohort": cohort.name, "ranked": cohort.ranked}
            if cohort.not_assessed:
                line += _(", %(n)s chưa đánh giá") % {"n": cohort.not_assessed}
            self.stdout.write(line)
        if publish:
            self.stdout.write(self.style.SUCCESS(
                _("Đã công bố lần tính %(number)s của kỳ %(code)s.")
                % {"number": snapshot.number, "code": found.code}))
        else:
            self.stdout.write(_("Chưa công bố (bản xem trước); dùng --publish để công bố."))
