"""The one parser of cell values, shared by every import.

A raw value is what the reader gives: ``None``/``""`` (empty), ``str`` (text cells and
every CSV cell), ``float``/``int`` (number cells), ``bool`` (Excel TRUE/FALSE) or a
date. Each ``parse_*`` function returns the parsed value or raises :class:`ValueProblem`
with a message for the user; the caller adds the sheet, the cell and the row's code.

Number text (``docs/workbooks.md``): a workbook declares no locale, so a text is read
both the Vietnamese way (``1.234,5``) and the English way (``1,234.5``) and accepted
only when exactly one reading is valid or both give the same number; ``6.477`` and
``6,477`` are ambiguous and refused.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# Spaces that may group digits or surround a value: space, no-break, thin, narrow no-break.
_SPACES = " \u00a0\u2009\u202f\t"
_DIGITS = re.compile(r"^\d+$")
_TRUE = {"co", "yes", "true", "1", "x"}
_FALSE = {"khong", "no", "false", "0"}
#: The longest text answer an import accepts (characters).
MAX_TEXT = 2000


class ValueProblem(ValueError):
    """A cell value that cannot be used; ``message`` says why, in the user's language."""

    def __init__(self, message: str):
        self.message = str(message)
        super().__init__(self.message)


def is_empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip(_SPACES + "\r\n"))


def shown(raw) -> str:
    """A raw value as the user would recognise it in a message."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    text = str(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def fold(text: str) -> str:
    """Lower case without accents: ``'Không'`` -> ``'khong'``, ``'Có'`` -> ``'co'``."""
    text = unicodedata.normalize("NFD", text.strip(_SPACES).lower()).replace("đ", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


# --- text ---------------------------------------------------------------------------------

def parse_text(raw, *, max_length: int | None = None) -> str:
    """Any cell as text (``""`` when empty); a whole number cell gives ``"12"``, not ``"12.0"``."""
    if is_empty(raw):
        return ""
    if isinstance(raw, bool):
        text = "TRUE" if raw else "FALSE"
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, datetime.datetime | datetime.date):
        text = raw.isoformat()
    else:
        text = str(raw).strip(_SPACES + "\r\n")
    if max_length is not None and len(text) > max_length:
        raise ValueProblem(_("văn bản dài %(length)d ký tự, vượt quá giới hạn %(max)d ký tự.")
                           % {"length": len(text), "max": max_length})
    return text


# --- numbers ------------------------------------------------------------------------------

def _read_digits(text: str, decimal: str, group: str) -> Decimal | None:
    """``text`` (no sign) read with one convention, or ``None`` when it does not fit it."""
    integer, sep, fraction = text.partition(decimal)
    if sep and not _DIGITS.match(fraction):
        return None
    if group in integer:
        groups = integer.split(group)
        first, rest = groups[0], groups[1:]
        if not (1 <= len(first) <= 3 and _DIGITS.match(first) and first[0] != "0"):
            return None
        if any(len(g) != 3 or not _DIGITS.match(g) for g in rest):
            return None
        integer = "".join(groups)
    elif integer and not _DIGITS.match(integer):
        return None
    if not integer and not sep:
        return None
    return Decimal(f"{integer or '0'}.{fraction or '0'}")


def _number_from_text(text: str) -> float:
    original = text
    text = text.strip(_SPACES)
    sign = ""
    if text[:1] in "+-\u2212":
        sign, text = ("-" if text[0] != "+" else ""), text[1:].lstrip(_SPACES)
    # Spaces inside a number group its digits (``1 234 567``).
    if any(space in text for space in _SPACES):
        parts = re.split(f"[{_SPACES}]+", text)
        if len(parts[0]) > 3 or any(len(p.split(".")[0].split(",")[0]) != 3 for p in parts[1:]):
            raise ValueProblem(_("giá trị '%(value)s' không phải là số.") % {"value": original})
        text = "".join(parts)
    if re.fullmatch(r"\d+(\.\d+)?[eE][+-]?\d+", text):
        readings = {Decimal(text)}
    else:
        readings = {r for r in (_read_digits(text, ",", "."), _read_digits(text, ".", ","))
                    if r is not None}
    if not readings:
        raise ValueProblem(_("giá trị '%(value)s' không phải là số.") % {"value": original})
    if len(readings) > 1:
        raise ValueProblem(
            _("giá trị '%(value)s' không rõ nghĩa: có thể là %(a)s hoặc %(b)s. Hãy nhập số "
              "vào ô kiểu số, hoặc viết rõ phần thập phân (ví dụ 6.477,0 hoặc 6477).")
            % {"value": original, "a": _plain(min(readings)), "b": _plain(max(readings))}
        )
    return float(Decimal(sign + str(readings.pop())))


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def parse_number(raw) -> float:
    """A finite number from a number cell or an unambiguous number text."""
    if isinstance(raw, bool) or isinstance(raw, datetime.date | datetime.time |
                                           datetime.timedelta):
        raise ValueProblem(_("giá trị '%(value)s' không phải là số.") % {"value": shown(raw)})
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str):
        if raw.strip(_SPACES).endswith("%"):
            raise ValueProblem(_("giá trị '%(value)s' có dấu %% nhưng tiêu chí không phải kiểu "
                                 "tỷ lệ %%; hãy nhập số.") % {"value": raw.strip()})
        try:
            number = _number_from_text(raw)
        except InvalidOperation as exc:
            raise ValueProblem(_("giá trị '%(value)s' không phải là số.")
                               % {"value": shown(raw)}) from exc
    else:
        raise ValueProblem(_("giá trị '%(value)s' không phải là số.") % {"value": shown(raw)})
    if not math.isfinite(number):
        raise ValueProblem(_("giá trị '%(value)s' không phải là số.") % {"value": shown(raw)})
    return number


def parse_integer(raw) -> int:
    number = parse_number(raw)
    if not number.is_integer():
        raise ValueProblem(_("giá trị '%(value)s' không phải là số nguyên.")
                           % {"value": shown(raw)})
    return int(number)


def parse_percent(raw, *, percent_format: bool = False) -> float:
    """A percentage as 0–100: ``97``, ``"97%"``, or 0.97 in a cell formatted as percent."""
    if isinstance(raw, str) and raw.strip(_SPACES).endswith("%"):
        return parse_number(raw.strip(_SPACES)[:-1])
    number = parse_number(raw)
    if percent_format and not isinstance(raw, str):
        return float(Decimal(repr(number)) * 100)
    return number


def parse_bool(raw) -> bool:
    """có/không, yes/no, true/false, 1/0, x (case and accents do not matter)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = fold(raw)
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueProblem(_("giá trị '%(value)s' không phải là có/không (có, không, yes, no, "
                         "true, false, 1, 0, x).") % {"value": shown(raw)})


def parse_choice(raw, options: Mapping[str, object] | None) -> str:
    """An option code; matched exactly, else regardless of case. Any text when no options."""
    text = parse_text(raw)
    if not options:
        return text
    if text in options:
        return text
    matches = [option for option in options if option.casefold() == text.casefold()]
    if len(matches) == 1:
        return matches[0]
    raise ValueProblem(_("giá trị '%(value)s' không phải là một lựa chọn hợp lệ (%(options)s).")
                       % {"value": shown(raw), "options": ", ".join(options)})


# --- answers ------------------------------------------------------------------------------

def parse_answer(raw, *, value_type: str, options: Mapping[str, object] | None = None,
                 percent_format: bool = False, minimum: float | None = None,
                 maximum: float | None = None, max_text: int = MAX_TEXT
                 ) -> tuple[float | None, str]:
    """An answer as ``(value_number, value_text)``, the way :class:`Answer` stores it.

    ``number``, ``integer``, ``percent`` (0–100) and ``boolean`` (1/0) give a number;
    ``choice`` and ``text`` give text. ``(None, "")`` for an empty cell. A number outside
    ``minimum``–``maximum`` (a percent: outside 0–100 unless the indicator says otherwise)
    is refused.
    """
    if is_empty(raw):
        return None, ""
    if value_type in ("number", "integer", "percent"):
        if value_type == "integer":
            number = float(parse_integer(raw))
        elif value_type == "percent":
            number = parse_percent(raw, percent_format=percent_format)
            minimum = 0.0 if minimum is None else minimum
            maximum = 100.0 if maximum is None else maximum
        else:
            number = parse_number(raw)
        check_range(number, minimum, maximum, raw)
        return number, ""
    if value_type == "boolean":
        return (1.0 if parse_bool(raw) else 0.0), ""
    if value_type == "choice":
        return None, parse_choice(raw, options)
    return None, parse_text(raw, max_length=max_text)


def check_range(number: float, minimum: float | None, maximum: float | None, raw=None) -> None:
    low = minimum is not None and number < minimum
    high = maximum is not None and number > maximum
    if not (low or high):
        return
    values = {"value": shown(raw if raw is not None else number),
              "min": _bound(minimum), "max": _bound(maximum)}
    if minimum is not None and maximum is not None:
        message = _("giá trị %(value)s nằm ngoài khoảng cho phép %(min)s–%(max)s.")
    elif low:
        message = _("giá trị %(value)s nhỏ hơn giá trị nhỏ nhất cho phép %(min)s.")
    else:
        message = _("giá trị %(value)s lớn hơn giá trị lớn nhất cho phép %(max)s.")
    raise ValueProblem(message % values)


def _bound(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
