"""The returns templates (``workbooks.md``): wide workbooks that ``import_returns`` and the
unit's upload accept.

- :func:`unit_template`: one unit, pre-filled with its current values (unit staff);
- :func:`bulk_template`: every active unit of a period's chosen cohorts, one row each,
  pre-filled with the values already stored (admins), with a legend sheet.

Sheet ``returns`` (the first sheet, the one the importer reads): title rows with each
indicator's name, unit of measure and guidance above its code (rows above the header are
skipped by the reader), the header row (``unit_code``, ``unit_name``, one column per
indicator), then one row per unit. Excel data validation is built from the importer's own
view of each indicator (:func:`cell_rule`): lists for booleans (Có/Không) and choices
(option codes), whole numbers and decimals within the indicator's range (percent: 0–100),
text up to the import's length limit, and "must stay empty" where an indicator does not
apply to the unit's cohort. Derived indicators have no column. No cell is a formula:
text shown only (titles, names, guidance) that starts with = + - @ gets an apostrophe;
values read back (codes, names, answers) stay as they are, as string cells.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from rankings.services import escape_text

from ..models import Answer, Submission, ValueType
from .returns import IndicatorInfo
from .values import MAX_TEXT

HEADER_ROW = 5
VALUE_ROW = 6
FIRST_INDICATOR_COLUMN = 3
RETURNS_SHEET = "returns"
LEGEND_SHEET = "huong_dan"
#: The bounds Excel is given for a number without a range (any number).
OPEN_LOW, OPEN_HIGH = "-1E+300", "1E+300"

INPUT_FILL = PatternFill("solid", fgColor="FFF8E1")
NOT_APPLICABLE_FILL = PatternFill("solid", fgColor="D9D9D9")


@dataclass(frozen=True)
class CellRule:
    """What a returns cell accepts, as the importer checks it and as Excel's data validation
    says it: ``kind`` is ``list`` (``choices``), ``whole`` or ``decimal`` (``minimum`` to
    ``maximum``, either may be open), ``text`` (at most ``maximum`` characters), ``empty``
    (the indicator does not apply to the unit: the cell must stay empty) or ``""`` (none)."""

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


BOOLEAN_CHOICES = ("Có", "Không")


def cell_rule(info: IndicatorInfo) -> CellRule:
    """The rule of an indicator's cells, from the importer's own view of the indicator
    (:class:`~assessments.workbooks.returns.IndicatorInfo`, the object ``import_returns``
    checks values against), so that the template and the import cannot disagree."""
    kind = info.value_type
    if kind == ValueType.BOOLEAN:
        return CellRule("list", choices=BOOLEAN_CHOICES)
    if kind == ValueType.CHOICE:
        return CellRule("list", choices=tuple(info.options)) if info.options else CellRule("")
    if kind in (ValueType.NUMBER, ValueType.INTEGER, ValueType.PERCENT):
        low, high = info.min, info.max
        if kind == ValueType.PERCENT:
            low = 0.0 if low is None else low
            high = 100.0 if high is None else high
        return CellRule("whole" if kind == ValueType.INTEGER else "decimal",
                        None if low is None else float(low), None if high is None else float(high))
    if kind == ValueType.TEXT:
        return CellRule("text", maximum=float(MAX_TEXT))
    return CellRule("")


def importer_infos(framework) -> dict[str, IndicatorInfo]:
    """The importer's view of a framework's indicators (what ``import_returns`` checks)."""
    from ..services import _indicator_infos

    return _indicator_infos(framework)


def data_validation(rule: CellRule, title: str) -> DataValidation | None:
    """Excel's data validation for ``rule`` (``None`` when nothing is checked)."""
    if rule.kind == "list":
        validation = DataValidation(type="list", formula1='"' + ",".join(rule.choices) + '"',
                                    allow_blank=True)
        if rule.choices == BOOLEAN_CHOICES:
            validation.error = _("Chọn Có hoặc Không.")
        else:
            validation.error = _("Chọn một trong các mã: %(options)s.") % {
                "options": ", ".join(rule.choices)}
    elif rule.kind in ("whole", "decimal"):
        low, high = rule.minimum, rule.maximum
        if low is not None and high is not None:
            validation = DataValidation(type=rule.kind, operator="between", formula1=repr(low),
                                        formula2=repr(high), allow_blank=True)
            validation.error = _("Nhập số từ %(min)g đến %(max)g.") % {"min": low, "max": high}
        elif low is not None:
            validation = DataValidation(type=rule.kind, operator="greaterThanOrEqual",
                                        formula1=repr(low), allow_blank=True)
            validation.error = _("Nhập số không nhỏ hơn %(min)g.") % {"min": low}
        elif high is not None:
            validation = DataValidation(type=rule.kind, operator="lessThanOrEqual",
                                        formula1=repr(high), allow_blank=True)
            validation.error = _("Nhập số không lớn hơn %(max)g.") % {"max": high}
        else:
            validation = DataValidation(type=rule.kind, operator="between",
                                        formula1=OPEN_LOW, formula2=OPEN_HIGH, allow_blank=True)
            validation.error = _("Nhập một số.")
        if rule.kind == "whole":
            validation.error = f"{validation.error} " + _("Số nguyên, không có phần thập phân.")
    elif rule.kind == "text":
        validation = DataValidation(type="textLength", operator="lessThanOrEqual",
                                    formula1=str(int(rule.maximum)), allow_blank=True)
        validation.error = _("Văn bản tối đa %(max)d ký tự.") % {"max": int(rule.maximum)}
    elif rule.kind == "empty":
        validation = DataValidation(type="textLength", operator="equal", formula1="0",
                                    allow_blank=True)
        validation.error = _("Tiêu chí này không áp dụng cho nhóm của đơn vị: để trống ô.")
    else:
        return None
    validation.errorTitle = title[:32]
    validation.showErrorMessage = True
    return validation


def _cell_value(answer: Answer | None, indicator):
    if answer is None:
        return None
    if indicator.value_type in (ValueType.CHOICE, ValueType.TEXT):
        return answer.value_text or None
    if answer.value_number is None:
        return None
    if indicator.value_type == ValueType.BOOLEAN:
        return "Có" if answer.value_number else "Không"
    number = answer.value_number
    return int(number) if indicator.value_type == ValueType.INTEGER else number


def _text(value) -> str | None:
    """Text shown by a template (titles, names, guidance): never read as a formula."""
    if value is None or value == "":
        return None
    return escape_text(str(value))


def put_value(cell, value) -> None:
    """A value the import reads back (codes, names, answers) exactly as stored: text that
    starts like a formula is written as a string cell, which Excel never evaluates (an
    apostrophe would change the value on the way back)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _ranges(rows: list[int], letter: str) -> str:
    """``C6:C9 C12`` for the rows ``[6, 7, 8, 9, 12]`` of column ``C``."""
    parts, start, previous = [], None, None
    for row in rows:
        if start is None:
            start = previous = row
        elif row == previous + 1:
            previous = row
        else:
            parts.append((start, previous))
            start = previous = row
    if start is not None:
        parts.append((start, previous))
    return " ".join(f"{letter}{a}" if a == b else f"{letter}{a}:{letter}{b}" for a, b in parts)


def _write_returns_sheet(sheet, *, title: str, indicators: list, infos: dict,
                         units: list, answers: dict) -> None:
    """The ``returns`` sheet: title, indicator names/units/guidance, header, unit rows.

    ``units``: Unit objects (with ``cohort``); ``answers``: (unit id, indicator id) -> Answer.
    """
    bold = Font(bold=True)
    sheet.title = RETURNS_SHEET
    sheet.cell(1, 1, _text(title)).font = Font(bold=True, size=13)
    for offset, label in enumerate([_("Tên tiêu chí"), _("Đơn vị tính"), _("Hướng dẫn")]):
        sheet.cell(2 + offset, 2, label).font = bold
    sheet.cell(HEADER_ROW, 1, "unit_code").font = bold
    sheet.cell(HEADER_ROW, 2, "unit_name").font = bold
    for offset, unit in enumerate(units):
        put_value(sheet.cell(VALUE_ROW + offset, 1), unit.code)
        put_value(sheet.cell(VALUE_ROW + offset, 2), unit.name)
    wrap = Alignment(wrap_text=True, vertical="top")
    empty_cells: list[str] = []
    for index, indicator in enumerate(indicators):
        column = FIRST_INDICATOR_COLUMN + index
        letter = get_column_letter(column)
        sheet.cell(2, column, _text(indicator.name)).alignment = wrap
        sheet.cell(3, column, _text(indicator.unit_of_measure))
        sheet.cell(4, column, _text(indicator.guidance)).alignment = wrap
        sheet.cell(HEADER_ROW, column, indicator.code).font = bold
        applying = []
        for offset, unit in enumerate(units):
            row = VALUE_ROW + offset
            cell = sheet.cell(row, column)
            if indicator.applies_to_cohort(unit.cohort.code):
                put_value(cell, _cell_value(answers.get((unit.id, indicator.id)), indicator))
                cell.fill = INPUT_FILL
                applying.append(row)
            else:
                cell.fill = NOT_APPLICABLE_FILL
                empty_cells.append(f"{letter}{row}")
        validation = data_validation(cell_rule(infos[indicator.code]), indicator.code)
        if validation is not None and applying:
            validation.prompt = escape_text((indicator.guidance or indicator.name)[:255])
            validation.promptTitle = indicator.code[:32]
            validation.showInputMessage = True
            validation.sqref = _ranges(applying, letter)
            sheet.add_data_validation(validation)
        sheet.column_dimensions[letter].width = 22
    if empty_cells:
        validation = data_validation(CellRule("empty"), _("Không áp dụng"))
        validation.sqref = " ".join(empty_cells)
        sheet.add_data_validation(validation)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 30
    sheet.row_dimensions[2].height = 60
    sheet.row_dimensions[4].height = 60
    sheet.freeze_panes = sheet.cell(VALUE_ROW, FIRST_INDICATOR_COLUMN)


def _accepted(indicator, info: IndicatorInfo) -> str:
    """What a cell of ``indicator`` accepts, in words (the legend)."""
    rule = cell_rule(info)
    if indicator.value_type == ValueType.BOOLEAN:
        return _("Có / Không (cũng nhận: yes/no, 1/0, x)")
    if rule.kind == "list":
        return ", ".join(rule.choices)
    if rule.kind in ("whole", "decimal"):
        what = _("số nguyên") if rule.kind == "whole" else _("số")
        if rule.minimum is not None and rule.maximum is not None:
            return _("%(what)s từ %(min)g đến %(max)g") % {"what": what, "min": rule.minimum,
                                                          "max": rule.maximum}
        if rule.minimum is not None:
            return _("%(what)s ≥ %(min)g") % {"what": what, "min": rule.minimum}
        if rule.maximum is not None:
            return _("%(what)s ≤ %(max)g") % {"what": what, "max": rule.maximum}
        return what
    if rule.kind == "text":
        return _("văn bản, tối đa %(max)d ký tự") % {"max": int(rule.maximum)}
    return _("văn bản")


def _write_legend(sheet, indicators: list, infos: dict) -> None:
    sheet.title = LEGEND_SHEET
    header = [_("Mã tiêu chí"), _("Tên tiêu chí"), _("Kiểu giá trị"), _("Đơn vị tính"),
              _("Giá trị hợp lệ"), _("Áp dụng cho nhóm"), _("Bắt buộc"), _("Hướng dẫn")]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for indicator in indicators:
        sheet.append([_text(indicator.code), _text(indicator.name),
                      str(ValueType(indicator.value_type).label),
                      _text(indicator.unit_of_measure),
                      _text(_accepted(indicator, infos[indicator.code])),
                      _text(", ".join(indicator.applies_to_codes)) or _("tất cả"),
                      _("Có") if indicator.required else _("Không"),
                      _text(indicator.guidance)])
    for letter, width in zip("ABCDEFGH", (16, 40, 14, 12, 28, 18, 10, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unit_template(submission: Submission) -> bytes:
    """The pre-filled template of ``submission``'s unit, as .xlsx bytes."""
    from ..services import form_indicators

    indicators = [i for i in form_indicators(submission) if not i.is_derived]
    unit, period = submission.unit, submission.period
    answers = {(unit.id, a.indicator_id): a
               for a in Answer.objects.filter(submission=submission)}
    book = Workbook()
    _write_returns_sheet(
        book.active, title=_("Báo cáo %(period)s – %(unit)s (%(code)s)")
        % {"period": period.name, "unit": unit.name, "code": unit.code},
        indicators=indicators, infos=importer_infos(period.framework), units=[unit],
        answers=answers)
    return _save(book)


def bulk_template(period, *, cohorts: Iterable | None = None) -> bytes:
    """The bulk template of ``period``: one row per active unit of ``cohorts`` (the
    period's cohorts by default), pre-filled with the answers already stored, every
    indicator that applies to at least one of those cohorts, and a legend sheet."""
    from ..models import Indicator, Unit

    chosen = list(cohorts) if cohorts is not None else list(period.cohorts.all())
    codes = {c.code for c in chosen}
    units = list(Unit.objects.filter(cohort__in=chosen, active=True).select_related("cohort")
                 .order_by("cohort__order", "cohort__code", "code"))
    indicators = [i for i in Indicator.objects.filter(framework_id=period.framework_id)
                  .order_by("order", "code")
                  if not i.is_derived and (not i.applies_to_codes
                                           or codes & set(i.applies_to_codes))]
    answers = {(a.submission.unit_id, a.indicator_id): a for a in Answer.objects.filter(
        submission__period=period, submission__unit__in=units).select_related("submission")
        .only("value_number", "value_text", "indicator_id", "submission__unit_id")}
    infos = importer_infos(period.framework)
    book = Workbook()
    _write_returns_sheet(
        book.active, title=_("Báo cáo %(period)s – %(n)d đơn vị (%(cohorts)s)")
        % {"period": period.name, "n": len(units),
           "cohorts": ", ".join(c.name for c in chosen)},
        indicators=indicators, infos=infos, units=units, answers=answers)
    _write_legend(book.create_sheet(LEGEND_SHEET), indicators, infos)
    return _save(book)
