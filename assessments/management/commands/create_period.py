"""python manage.py create_period CODE --framework F --cohorts C1,C2 [...]: open a period."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.models import Framework, Period
from assessments.services import create_period
from assessments.workbooks.cli import code_argument, command_errors, date_argument


class Command(BaseCommand):
    help = _("Tạo kỳ đánh giá (trạng thái đang nhận báo cáo).")

    def add_arguments(self, parser):
        parser.add_argument("code", help=_("mã kỳ, ví dụ 2017"))
        parser.add_argument("--framework", required=True, help=_("mã bộ tiêu chí"))
        parser.add_argument("--cohorts", required=True,
                            help=_("mã các nhóm đơn vị tham gia, cách nhau bởi dấu phẩy"))
        parser.add_argument("--previous", help=_("mã kỳ so sánh (mặc định: kỳ gần nhất trước đó)"))
        parser.add_argument("--opens", help=_("ngày mở, YYYY-MM-DD"))
        parser.add_argument("--closes", help=_("hạn nộp, YYYY-MM-DD"))
        parser.add_argument("--name", help=_("tên kỳ"))

    def handle(self, *args, code, framework, cohorts, previous=None, opens=None, closes=None,
               name=None, **options):
        code = code_argument(code, _("Mã kỳ"))
        framework_code = code_argument(framework, _("Mã bộ tiêu chí"))
        cohort_codes = [code_argument(c, _("Mã nhóm đơn vị"))
                        for c in cohorts.split(",") if c.strip()]
        opens_on = date_argument(opens, "--opens")
        deadline = date_argument(closes, "--closes")
        framework_obj = Framework.objects.filter(code=framework_code).first()
        if framework_obj is None:
            raise CommandError(_("Không có bộ tiêu chí mã %(code)s.") % {"code": framework_code})
        previous_obj = None
        if previous:
            previous_code = code_argument(previous, _("Mã kỳ so sánh"))
            previous_obj = Period.objects.filter(code=previous_code).first()
            if previous_obj is None:
                raise CommandError(_("Không có kỳ đánh giá mã %(code)s.") % {"code": previous_code})
        with command_errors():
            period = create_period(code=code, framework=framework_obj, cohorts=cohort_codes,
                                   previous=previous_obj, opens_on=opens_on, deadline=deadline,
                                   name=name)
        self.stdout.write(
            _("Đã tạo kỳ %(code)s (%(name)s): bộ tiêu chí %(framework)s, nhóm %(cohorts)s, kỳ so "
              "sánh %(previous)s.")
            % {"code": period.code, "name": period.name, "framework": framework_obj.code,
               "cohorts": ", ".join(cohort_codes),
               "previous": period.previous.code if period.previous else "–"})
