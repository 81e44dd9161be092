"""python manage.py load_demo: the demo province and the national ranking (idempotent)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from assessments.demo.load import load_demo
from assessments.demo.plan import DEMO_PASSWORD, OPEN, PUBLISHED
from assessments.workbooks.cli import command_errors


class Command(BaseCommand):
    help = _("Nạp dữ liệu minh hoạ: tỉnh Quảng Nam 2014–2015 và xếp hạng 63 tỉnh, thành phố "
             "2016–2017 (chạy lại không thay đổi gì).")

    def handle(self, *args, **options):
        started = time.monotonic()
        with command_errors():
            report = load_demo()
        seconds = time.monotonic() - started
        if report.done:
            self.stdout.write(_("Đã nạp dữ liệu minh hoạ (%(s).1f giây): %(steps)s.")
                              % {"s": seconds, "steps": "; ".join(report.done)})
        else:
            self.stdout.write(_("Dữ liệu minh hoạ đã có sẵn: không thay đổi gì."))
        self.stdout.write(_("Kỳ đã công bố: %(codes)s; kỳ đang mở: %(open)s.")
                          % {"codes": ", ".join(p.code for p in PUBLISHED), "open": OPEN.code})
        self.stdout.write(_("Tài khoản: admin (quản trị), reviewer (thẩm định), mỗi đơn vị một "
                            "tài khoản là mã đơn vị viết thường (ví dụ qn-tamky, vn-caobang)."))
        self.stdout.write(self.style.WARNING(
            _("Mật khẩu chung của mọi tài khoản minh hoạ: %(password)s — không dùng trên máy "
              "chủ thật.") % {"password": DEMO_PASSWORD}))
