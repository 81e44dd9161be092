"""Forms of the public pages (filters read from the query string)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LeaderboardFilterForm(forms.Form):
    """Search a unit and choose the group ranked on (empty: the total)."""

    q = forms.CharField(label=_("Tìm đơn vị"), required=False, max_length=100)
    group = forms.CharField(label=_("Xếp hạng theo"), required=False, max_length=60)
    cohort = forms.CharField(required=False, max_length=40)
