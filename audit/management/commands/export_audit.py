"""Export the audit trail (with the answers' history) as CSV or XLSX, e.g. for archiving:

    manage.py export_audit --since 2026-01-01 --until 2027-01-01 --format xlsx -o trail.xlsx
"""

from __future__ import annotations

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit import export
from audit.models import AuditEntry


def _day(text: str) -> datetime.datetime:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from exc
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class Command(BaseCommand):
    help = "Export the audit trail and the answers' history as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day (YYYY-MM-DD), included")
        parser.add_argument("--until", help="last day (YYYY-MM-DD), excluded")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, since=None, until=None, format="csv", output=None, **options):
        filters = {"at__gte": _day(since) if since else None,
                   "at__lt": _day(until) if until else None}
        entries = AuditEntry.objects.select_related("content_type")
        if filters["at__gte"]:
            entries = entries.filter(at__gte=filters["at__gte"])
        if filters["at__lt"]:
            entries = entries.filter(at__lt=filters["at__lt"])
        table = export.rows(entries, export.answer_changes_for(filters))
        content = export.to_csv(table) if format == "csv" else export.to_xlsx(table)
        if output:
            with open(output, "wb") as handle:
                handle.write(content)
        else:
            sys.stdout.buffer.write(content)
