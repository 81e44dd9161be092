"""python manage.py export_framework CODE --output FILE: write a framework's workbook."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.models import Framework
from assessments.services import export_framework
from assessments.workbooks.cli import code_argument, command_errors


class Command(BaseCommand):
    help = _("Ghi bộ tiêu chí ra tệp .xlsx (cùng bố cục với import_framework).")

    def add_arguments(self, parser):
        parser.add_argument("code", help=_("mã bộ tiêu chí"))
        parser.add_argument("--output", required=True, help=_("tệp .xlsx sẽ ghi"))

    def handle(self, *args, code, output, **options):
        code = code_argument(code, _("Mã bộ tiêu chí"))
        target = Path(output)
        if target.suffix.lower() != ".xlsx":
            raise CommandError(_("Tệp ghi ra phải có đuôi .xlsx: %(file)s") % {"file": output})
        framework = Framework.objects.filter(code=code).first()
        if framework is None:
            raise CommandError(_("Không có bộ tiêu chí mã %(code)s.") % {"code": code})
        if not target.parent.is_dir():
            raise CommandError(_("Thư mục %(dir)s không tồn tại.") % {"dir": target.parent})
        # Write beside the target, then move: a failure leaves no half-written file.
        handle, temporary = tempfile.mkstemp(suffix=".xlsx", dir=target.parent)
        os.close(handle)
        try:
            with command_errors():
                export_framework(framework=framework, destination=temporary)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        self.stdout.write(_("Đã ghi bộ tiêu chí %(code)s ra %(file)s.")
                          % {"code": code, "file": output})
