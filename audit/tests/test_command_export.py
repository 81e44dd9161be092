"""manage.py export_audit: the trail of a date range as CSV or XLSX."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import Cohort
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_export_a_date_range(tmp_path, portal_admin):
    Cohort.objects.create(code="xa", name="=cmd|' /C calc'!A0")
    old = Cohort.objects.create(code="cu", name="Cũ")
    AuditEntry.objects.filter(object_id=str(old.pk), object_repr="Cũ").update(
        at=timezone.now() - datetime.timedelta(days=400))
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    target = tmp_path / "trail.csv"
    call_command("export_audit", "--since", since, "-o", str(target))
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    names = {r[9] for r in rows[1:] if r[7] == "name"}
    assert "'=cmd|' /C calc'!A0" in names and "Cũ" not in names
    call_command("export_audit", "--format", "xlsx", "-o", str(tmp_path / "all.xlsx"))
    sheet = load_workbook(tmp_path / "all.xlsx").active
    values = {c.value for row in sheet.iter_rows(min_row=2) for c in row}
    assert "Cũ" in values and "'=cmd|' /C calc'!A0" in values


def test_a_bad_date_is_refused():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_audit", "--since", "01/02/2026")
