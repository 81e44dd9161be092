from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Đánh giá")

    def ready(self):
        from django.contrib import admin

        from .access import guard_admin_site

        guard_admin_site(admin.site)
