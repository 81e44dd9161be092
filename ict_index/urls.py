"""URL configuration: Vietnamese at /, English under /en/."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from .i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
]

urlpatterns += i18n_patterns(
    # Sign-in (with the second factor; the admin's own login page redirects there),
    # account, password change and reset: accounts/urls.py.
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("bao-cao/", include("assessments.urls_returns")),
    path("tham-dinh/", include("assessments.urls_review")),
    path("phan-tich/", include("rankings.urls_analysis")),
    path("", include("rankings.urls")),
    prefix_default_language=False,
)

# A database that is down or restarting answers 503 with the Vietnamese 503.html page.
handler500 = "ict_index.errors.server_error"
