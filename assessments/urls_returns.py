"""URLs of the unit staff's returns (issue 3)."""

from django.urls import path  # noqa: F401

app_name = "returns"

urlpatterns: list = []
