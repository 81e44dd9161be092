"""URLs of the ranking analysis pages (issue 6): why ranks moved, what-if, robustness."""

from django.urls import path  # noqa: F401

app_name = "analysis"

urlpatterns: list = []
