from django.urls import path, re_path

from . import views

app_name = "rankings"

EXT = r"(?P<ext>csv|xlsx|json)"

urlpatterns = [
    path("", views.period_list, name="period_list"),
    path("ky/<slug:code>/", views.period_leaderboard, name="period_leaderboard"),
    re_path(r"^ky/(?P<code>[-\w]+)/tai-ve\.(?P<ext>csv|xlsx|json)$", views.results_download,
            name="results_download"),
    re_path(rf"^ky/(?P<code>[-\w]+)/bang\.{EXT}$", views.board_download,
            name="board_download"),
    path("ky/<slug:code>/phuong-phap/", views.methodology, name="methodology"),
    path("ky/<slug:code>/bao-cao/", views.annual_report, name="annual_report"),
    path("ky/<slug:code>/bao-cao.pdf", views.annual_report_pdf, name="annual_report_pdf"),
    path("ky/<slug:code>/chi-tieu/<str:indicator_code>/", views.indicator_page,
         name="indicator"),
    re_path(rf"^ky/(?P<code>[-\w]+)/chi-tieu/(?P<indicator_code>[-\w.]+)/bang\.{EXT}$",
            views.indicator_download, name="indicator_download"),
    re_path(r"^ky/(?P<code>[-\w]+)/chi-tieu/(?P<indicator_code>[-\w.]+)/"
            r"(?P<chart>diem|phan-bo)\.svg$", views.indicator_chart, name="indicator_chart"),
    re_path(r"^ky/(?P<code>[-\w]+)/chi-tieu/(?P<indicator_code>[-\w.]+)/"
            r"(?P<chart>diem|phan-bo)\.(?P<ext>png)$", views.indicator_chart,
            name="indicator_chart_png"),
    path("don-vi/<slug:unit_code>/", views.unit_profile_page, name="unit_profile"),
    re_path(rf"^don-vi/(?P<unit_code>[-\w]+)/bang\.{EXT}$", views.unit_download,
            name="unit_download"),
    re_path(r"^don-vi/(?P<unit_code>[-\w]+)/(?P<chart>radar|diem|hang)\.svg$",
            views.unit_chart, name="unit_chart"),
    re_path(r"^don-vi/(?P<unit_code>[-\w]+)/(?P<chart>radar|diem|hang)\.(?P<ext>png)$",
            views.unit_chart, name="unit_chart_png"),
    path("so-sanh/", views.compare, name="compare"),
    path("ky/<slug:code>/ban-do/", views.period_map, name="map"),
    re_path(r"^ky/(?P<code>[-\w]+)/ban-do\.(?P<ext>svg|png)$", views.period_map_image,
            name="map_image"),
]
