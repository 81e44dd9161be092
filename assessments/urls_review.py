"""URLs of the ICT office's review (issue 4)."""

from django.urls import path  # noqa: F401

app_name = "review"

urlpatterns: list = []
