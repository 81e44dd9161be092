"""python manage.py import_units FILE: create or update cohorts and units (workbooks.md)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from assessments.services import import_units
from assessments.workbooks.cli import command_errors, write_lines


class Command(BaseCommand):
    help = _("Tạo hoặc cập nhật nhóm đơn vị và đơn vị từ tệp .xlsx/.csv (không xoá).")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("tệp .xlsx (sheet cohorts, units) hoặc .csv"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("chỉ kiểm tra và báo cáo, không ghi"))

    def handle(self, *args, file, dry_run=False, **options):
        with command_errors():
            summary = import_units(source=file, dry_run=dry_run)
        write_lines(self, summary.lines())
