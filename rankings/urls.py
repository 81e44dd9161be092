from django.urls import path

from . import views

app_name = "rankings"

urlpatterns = [
    path("", views.period_list, name="period_list"),
    path("ky/<slug:code>/", views.period_leaderboard, name="period_leaderboard"),
]
