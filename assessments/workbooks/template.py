"""The per-unit returns template (``workbooks.md``): a wide workbook for one unit,
pre-filled with its current values, that ``import_returns`` and the unit's upload accept.

Sheet ``returns``: title rows with each indicator's name, unit of measure and guidance above
its code (rows above the header are skipped by the reader), the header row (``unit_code``,
``unit_name``, one column per indicator the unit answers), and the unit's row. Excel data
validation matches the value parser: lists for booleans (Có/Không) and choices (option
codes), whole numbers and decimals within the indicator's range (percent: 0–100).
Derived indicators and those not applying to the unit's cohort have no column.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..models import Answer, Submission, ValueType

HEADER_ROW = 5
VALUE_ROW = 6
FIRST_INDICATOR_COLUMN = 3


def _options(indicator) -> list[str]:
    from ..services import indicator_options

    return list(indicator_options(indicator) or {})


def _bounds(indicator) -> tuple[float | None, float | None]:
    low, high = indicator.min_value, indicator.max_value
    if indicator.value_type == ValueType.PERCENT:
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    return low, high


def _validation(indicator) -> DataValidation | None:
    kind = indicator.value_type
    title = indicator.code
    if kind == ValueType.BOOLEAN:
        rule = DataValidation(type="list", formula1='"Có,Không"', allow_blank=True)
        rule.error = _("Chọn Có hoặc Không.")
    elif kind == ValueType.CHOICE:
        options = _options(indicator)
        if not options:
            return None
        rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"',
                              allow_blank=True)
        rule.error = _("Chọn một trong các mã: %(options)s.") % {"options": ", ".join(options)}
    elif kind in (ValueType.NUMBER, ValueType.INTEGER, ValueType.PERCENT):
        low, high = _bounds(indicator)
        excel_type = "whole" if kind == ValueType.INTEGER else "decimal"
        if low is not None and high is not None:
            rule = DataValidation(type=excel_type, operator="between", formula1=repr(low),
                                  formula2=repr(high), allow_blank=True)
            rule.error = _("Nhập số từ %(min)g đến %(max)g.") % {"min": low, "max": high}
        elif low is not None:
            rule = DataValidation(type=excel_type, operator="greaterThanOrEqual",
                                  formula1=repr(low), allow_blank=True)
            rule.error = _("Nhập số không nhỏ hơn %(min)g.") % {"min": low}
        elif high is not None:
            rule = DataValidation(type=excel_type, operator="lessThanOrEqual",
                                  formula1=repr(high), allow_blank=True)
            rule.error = _("Nhập số không lớn hơn %(max)g.") % {"max": high}
        else:
            rule = DataValidation(type=excel_type, operator="between", formula1="-1E+300",
                                  formula2="1E+300", allow_blank=True)
            rule.error = _("Nhập một số.")
    else:
        return None
    rule.errorTitle = title
    rule.showErrorMessage = True
    return rule


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


def unit_template(submission: Submission) -> bytes:
    """The pre-filled template of ``submission``'s unit, as .xlsx bytes."""
    from ..services import form_indicators

    indicators = [i for i in form_indicators(submission) if not i.is_derived]
    answers = {a.indicator_id: a for a in Answer.objects.filter(submission=submission)}
    unit, period = submission.unit, submission.period
    book = Workbook()
    sheet = book.active
    sheet.title = "returns"
    bold = Font(bold=True)
    sheet.cell(1, 1, _("Báo cáo %(period)s – %(unit)s (%(code)s)")
               % {"period": period.name, "unit": unit.name, "code": unit.code}).font = Font(
        bold=True, size=13)
    labels = [_("Tên tiêu chí"), _("Đơn vị tính"), _("Hướng dẫn")]
    for offset, label in enumerate(labels):
        sheet.cell(2 + offset, 2, label).font = bold
    sheet.cell(HEADER_ROW, 1, "unit_code").font = bold
    sheet.cell(HEADER_ROW, 2, "unit_name").font = bold
    sheet.cell(VALUE_ROW, 1, unit.code)
    sheet.cell(VALUE_ROW, 2, unit.name)
    fill = PatternFill("solid", fgColor="FFF8E1")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, indicator in enumerate(indicators):
        column = FIRST_INDICATOR_COLUMN + index
        letter = get_column_letter(column)
        sheet.cell(2, column, indicator.name).alignment = wrap
        sheet.cell(3, column, indicator.unit_of_measure or "")
        sheet.cell(4, column, indicator.guidance or "").alignment = wrap
        sheet.cell(HEADER_ROW, column, indicator.code).font = bold
        cell = sheet.cell(VALUE_ROW, column, _cell_value(answers.get(indicator.id), indicator))
        cell.fill = fill
        rule = _validation(indicator)
        if rule is not None:
            rule.prompt = (indicator.guidance or indicator.name)[:255]
            rule.promptTitle = indicator.code[:32]
            rule.showInputMessage = True
            sheet.add_data_validation(rule)
            rule.add(f"{letter}{VALUE_ROW}")
        sheet.column_dimensions[letter].width = 22
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 30
    sheet.row_dimensions[2].height = 60
    sheet.row_dimensions[4].height = 60
    sheet.freeze_panes = sheet.cell(VALUE_ROW, FIRST_INDICATOR_COLUMN)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
