"""The audit trail as CSV or XLSX: one row per changed field, answers' history merged in.

Text cells that a spreadsheet could read as a formula (``= + - @``, tab, carriage return)
get a leading apostrophe (``rankings.services.escape_text``), in both formats.
"""

from __future__ import annotations

import csv
import io
import json

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from assessments.models import Answer, AnswerChange
from rankings.services import escape_text

from .models import AuditEntry


def columns() -> list[str]:
    return [_("Thời điểm"), _("Người thực hiện"), _("Địa chỉ IP"), _("Hành động"),
            _("Loại đối tượng"), _("Mã đối tượng"), _("Đối tượng"), _("Trường"),
            _("Giá trị cũ"), _("Giá trị mới"), _("Nguồn")]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def entry_rows(entries):
    for entry in entries:
        kind = str(entry.content_type.model_class()._meta.verbose_name) \
            if entry.content_type_id and entry.content_type.model_class() else ""
        base = [_when(entry.at), entry.actor_name, entry.ip or "", entry.get_action_display(),
                kind, entry.object_id, entry.object_repr]
        if not entry.changes:
            yield (entry.at, [*base, "", "", "", _("hệ thống")])
            continue
        for field, value in entry.changes.items():
            old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
            yield (entry.at, [*base, field, _text(old), _text(new), _("hệ thống")])


def answer_rows(changes):
    kind = str(Answer._meta.verbose_name)
    action = str(AuditEntry.Action.UPDATE.label)
    for change in changes:
        answer = change.answer
        repr_ = f"{answer.submission.unit.code} / {answer.submission.period.code} / " \
                f"{answer.indicator.code}"
        yield (change.at, [_when(change.at), change.actor.get_username() if change.actor else "",
                           "", action, kind, str(change.answer_id), repr_,
                           change.get_field_display(), change.old, change.new,
                           change.get_source_display()])


def answer_changes_for(filters: dict):
    """AnswerChange rows matching the trail's filters (``at__gte``, ``at__lt``, actor,
    model, action); none when the filters name another model or action."""
    content_type = filters.get("content_type")
    if content_type and content_type != ContentType.objects.get_for_model(Answer).pk:
        return AnswerChange.objects.none()
    if filters.get("action") not in (None, "", AuditEntry.Action.UPDATE):
        return AnswerChange.objects.none()
    changes = AnswerChange.objects.select_related(
        "actor", "answer__indicator", "answer__submission__unit", "answer__submission__period")
    if filters.get("at__gte"):
        changes = changes.filter(at__gte=filters["at__gte"])
    if filters.get("at__lt"):
        changes = changes.filter(at__lt=filters["at__lt"])
    if filters.get("actor"):
        changes = changes.filter(actor_id=filters["actor"])
    return changes.order_by("-at", "-pk")


def rows(entries, answer_changes) -> list[list[str]]:
    """Both sources, newest first."""
    merged = [*entry_rows(entries), *answer_rows(answer_changes)]
    merged.sort(key=lambda item: item[0], reverse=True)
    return [row for _at, row in merged]


def _safe(value: str) -> str:
    return escape_text(value) if isinstance(value, str) else value


def to_csv(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns())
    for row in table:
        writer.writerow([_safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Nhật ký"))
    sheet.append(columns())
    for row in table:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", _safe(value)))
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
