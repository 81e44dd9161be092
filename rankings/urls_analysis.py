"""URLs of the ranking analysis pages (issue 6): why ranks moved, what-if, robustness."""

from django.urls import path, re_path

from . import views_analysis as views

app_name = "analysis"

urlpatterns = [
    path("", views.index, name="index"),
    path("ky/<slug:code>/vi-sao/", views.why, name="why"),
    path("ky/<slug:code>/gia-dinh/", views.whatif_page, name="whatif"),
    path("ky/<slug:code>/gia-dinh.json", views.whatif_json, name="whatif_json"),
    path("ky/<slug:code>/gia-dinh.csv", views.whatif_csv, name="whatif_csv"),
    path("ky/<slug:code>/kich-ban/<int:pk>/xoa/", views.scenario_delete,
         name="scenario_delete"),
    path("ky/<slug:code>/do-vung/", views.robustness, name="robustness"),
    re_path(r"^ky/(?P<code>[-\w]+)/do-vung\.(?P<ext>svg|png)$", views.robustness_chart,
            name="robustness_chart"),
    path("ky/<slug:code>/so-sanh-duoc/", views.comparable, name="comparable"),
    path("ky/<slug:code>/so-sanh-kich-ban/", views.scenario_compare, name="scenario_compare"),
]
