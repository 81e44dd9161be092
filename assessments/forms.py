"""Forms of the unit staff's pages: the survey form generated from the framework, the
evidence upload and the workbook upload.

The survey form has, per indicator that applies to the unit's cohort and is not derived, a
value field ``v_<code>`` (the input its ``value_type`` calls for) and an explanation field
``e_<code>``. Values are parsed by the workbook import's parser
(:func:`assessments.services.parse_answer_for`), so the form and the import accept the same.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django import forms
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Answer, Indicator, ValueType
from .services import indicator_options, parse_answer_for

BOOLEAN_CHOICES = [("co", gettext_lazy("Có")), ("khong", gettext_lazy("Không"))]


def sentence(message: str) -> str:
    """A parser message (written to follow "cell X:") as a sentence beside a field."""
    message = str(message)
    return message[:1].upper() + message[1:]


def plain_number(number: float) -> str:
    """A number for an input, in the active language's decimal separator, without
    thousands grouping (``6477``, ``98,5``): never ambiguous for the value parser."""
    text = format(Decimal(repr(float(number))).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if translation.get_language() and translation.get_language().startswith("vi"):
        text = text.replace(".", ",")
    return text


def input_value(answer: Answer | None, indicator: Indicator) -> str:
    """The stored answer as the form shows it."""
    if answer is None:
        return ""
    if indicator.value_type in (ValueType.CHOICE, ValueType.TEXT):
        return answer.value_text
    if answer.value_number is None:
        return ""
    if indicator.value_type == ValueType.BOOLEAN:
        return "co" if answer.value_number else "khong"
    return plain_number(answer.value_number)


def option_labels(indicator: Indicator) -> list[tuple[str, str]]:
    """A choice indicator's options, labelled from its guidance where it says
    ``code: label`` (``khong: chưa kết nối; adsl: ADSL``), else by their code."""
    options = indicator_options(indicator) or {}
    labels = {}
    for piece in re.split(r"[;\n]", indicator.guidance or ""):
        code, sep, label = piece.partition(":")
        if sep and code.strip() in options and label.strip():
            labels[code.strip()] = label.strip()
    return [(code, f"{labels[code]} ({code})" if code in labels else code) for code in options]


def range_help(indicator: Indicator) -> str:
    """The allowed range and an example, for a numeric indicator."""
    low, high = indicator.min_value, indicator.max_value
    if indicator.value_type == ValueType.PERCENT:
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    example = {ValueType.INTEGER: 12, ValueType.PERCENT: 98.5}.get(indicator.value_type, 12.5)
    if high is not None and example > high:
        example = high
    if low is not None and example < low:
        example = low
    if indicator.value_type == ValueType.INTEGER:
        example = int(example)
    if low is not None and high is not None:
        bounds = _("Từ %(min)s đến %(max)s") % {"min": plain_number(low),
                                                  "max": plain_number(high)}
    elif low is not None:
        bounds = _("Không nhỏ hơn %(min)s") % {"min": plain_number(low)}
    elif high is not None:
        bounds = _("Không lớn hơn %(max)s") % {"max": plain_number(high)}
    else:
        bounds = ""
    kind = {ValueType.INTEGER: _("số nguyên"), ValueType.PERCENT: _("tỷ lệ %")}
    parts = [p for p in (bounds, kind.get(indicator.value_type, ""),
                         _("ví dụ: %(example)s") % {"example": plain_number(example)}) if p]
    return "; ".join(parts) + "."


def value_field(indicator: Indicator, *, disabled: bool) -> forms.Field:
    common = {"required": False, "disabled": disabled, "label": indicator.name}
    kind = indicator.value_type
    if kind in (ValueType.NUMBER, ValueType.INTEGER, ValueType.PERCENT):
        mode = "numeric" if kind == ValueType.INTEGER else "decimal"
        attrs = {"inputmode": mode, "autocomplete": "off", "class": "num-input",
                 "data-kind": kind}
        if indicator.min_value is not None:
            attrs["data-min"] = repr(indicator.min_value)
        if indicator.max_value is not None:
            attrs["data-max"] = repr(indicator.max_value)
        return forms.CharField(localize=True, max_length=60, help_text=range_help(indicator),
                               widget=forms.TextInput(attrs=attrs), **common)
    if kind == ValueType.BOOLEAN:
        return forms.ChoiceField(choices=BOOLEAN_CHOICES, widget=forms.RadioSelect, **common)
    if kind == ValueType.CHOICE:
        return forms.ChoiceField(choices=[("", _("— Chọn —"))] + option_labels(indicator),
                                 **common)
    return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **common)


class ReturnForm(forms.Form):
    """The survey form of one submission."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    original = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, indicators: list[Indicator], answers: dict[int, Answer],
                 editable: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = [i for i in indicators if not i.is_derived]
        self.editable = editable
        original = {}
        for indicator in self.indicators:
            answer = answers.get(indicator.id)
            code = indicator.code
            disabled = code not in editable
            self.fields[f"v_{code}"] = value_field(indicator, disabled=disabled)
            self.fields[f"e_{code}"] = forms.CharField(
                label=_("Giải trình"), required=False, disabled=disabled, max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "explanation"}))
            value = input_value(answer, indicator)
            explanation = answer.explanation if answer else ""
            self.initial[f"v_{code}"] = value
            self.initial[f"e_{code}"] = explanation
            original[code] = {"value": value, "explanation": explanation}
        self.initial.setdefault("original", json.dumps(original, ensure_ascii=False))

    def clean(self):
        cleaned = super().clean()
        for indicator in self.indicators:
            name = f"v_{indicator.code}"
            if indicator.code not in self.editable or name not in cleaned:
                continue
            try:
                parse_answer_for(indicator, cleaned[name])
            except ValueError as problem:
                self.add_error(name, sentence(getattr(problem, "message", str(problem))))
        return cleaned

    def answer_data(self) -> dict[str, dict]:
        """What the unit sent, for :func:`assessments.services.save_answers`."""
        data = {}
        for indicator in self.indicators:
            code = indicator.code
            if code in self.editable:
                data[code] = {"value": self.cleaned_data.get(f"v_{code}", ""),
                              "explanation": self.cleaned_data.get(f"e_{code}", "")}
        return data

    def original_data(self) -> dict | None:
        try:
            original = json.loads(self.cleaned_data.get("original") or "null")
        except ValueError:
            return None
        return original if isinstance(original, dict) else None


class EvidenceForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp"))
    document_number = forms.CharField(label=gettext_lazy("Số văn bản"), max_length=100,
                                      required=False)
    document_date = forms.DateField(label=gettext_lazy("Ngày văn bản"), required=False,
                                    localize=True,
                                    help_text=gettext_lazy("Ví dụ: 15/03/2016"))
    issuer = forms.CharField(label=gettext_lazy("Cơ quan ban hành"), max_length=255,
                             required=False)


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp Excel (.xlsx)"))
