from django.urls import path, re_path

from . import views

app_name = "rankings"

urlpatterns = [
    path("", views.period_list, name="period_list"),
    path("ky/<slug:code>/", views.period_leaderboard, name="period_leaderboard"),
    re_path(r"^ky/(?P<code>[-\w]+)/tai-ve\.(?P<ext>csv|xlsx|json)$", views.results_download,
            name="results_download"),
]
