"""python manage.py import_returns FILE --period CODE [--dry-run] [--approve]."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.models import Period
from assessments.services import import_returns
from assessments.workbooks.cli import code_argument, command_errors, write_lines


class Command(BaseCommand):
    help = _("Nhập báo cáo của các đơn vị (bố cục rộng hoặc dài) thành phiếu đã nộp.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("tệp .xlsx hoặc .csv"))
        parser.add_argument("--period", required=True, help=_("mã kỳ đánh giá"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("chỉ kiểm tra và báo cáo, không ghi"))
        parser.add_argument("--approve", action="store_true",
                            help=_("duyệt luôn các phiếu được nhập"))

    def handle(self, *args, file, period, dry_run=False, approve=False, **options):
        code = code_argument(period, _("Mã kỳ"))
        period_obj = Period.objects.filter(code=code).first()
        if period_obj is None:
            raise CommandError(_("Không có kỳ đánh giá mã %(code)s.") % {"code": code})
        with command_errors():
            summary = import_returns(period=period_obj, source=file, dry_run=dry_run,
                                     approve=approve)
        self.stdout.write(_("Kỳ %(period)s, tệp %(file)s:")
                          % {"period": code, "file": summary.file_name})
        write_lines(self, summary.lines())
