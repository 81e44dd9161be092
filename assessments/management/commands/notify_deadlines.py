"""python manage.py notify_deadlines --days N: remind units whose deadline is near."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.services import notify_deadlines


class Command(BaseCommand):
    help = _("Gửi thư nhắc các đơn vị chưa nộp báo cáo khi hạn nộp còn không quá N ngày.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=3,
                            help=_("nhắc khi hạn nộp còn không quá số ngày này (mặc định 3)"))

    def handle(self, *args, days, **options):
        try:
            reminded = notify_deadlines(days=days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for row in reminded:
            self.stdout.write(_("%(period)s · %(unit)s: hạn %(deadline)s, còn %(days)d ngày, "
                                "%(sent)d thư.") % {**row, "days": row["days_left"],
                                                    "deadline": row["deadline"].isoformat()})
        self.stdout.write(_("Đã nhắc %(n)d đơn vị.") % {"n": len(reminded)})
