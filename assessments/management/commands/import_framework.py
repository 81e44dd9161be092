"""python manage.py import_framework FILE [--replace]: create a framework from its workbook."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from assessments.services import import_framework
from assessments.workbooks.cli import command_errors, write_lines


class Command(BaseCommand):
    help = _("Tạo bộ tiêu chí từ tệp .xlsx (sheet settings, groups, indicators, bands).")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("tệp .xlsx của bộ tiêu chí"))
        parser.add_argument("--replace", action="store_true",
                            help=_("thay thế bộ tiêu chí cùng mã (nếu chưa dùng cho kỳ đã "
                                   "công bố và chưa có câu trả lời)"))

    def handle(self, *args, file, replace=False, **options):
        with command_errors():
            framework = import_framework(source=file, replace=replace)
        write_lines(self, framework.import_summary.lines())
