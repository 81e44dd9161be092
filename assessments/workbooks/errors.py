"""Problems found in an imported workbook, each naming its sheet and cell (``D7``).

An import collects every problem of a file before it reports (a :class:`Problems`
collector), then raises one :class:`WorkbookError` that lists them all. Messages are
written in Vietnamese, the project's source language, and translated through gettext.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def column_letter(index: int) -> str:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_name(row_number: int, column_index: int) -> str:
    """The Excel name of a cell from its 1-based row number and 0-based column index."""
    return f"{column_letter(column_index)}{row_number}"


@dataclass(frozen=True)
class CellError:
    """One problem: where it is (sheet, cell), whose row it is (a unit or indicator code)
    and what is wrong. ``cell`` and ``code`` may be empty when they do not apply."""

    sheet: str
    cell: str
    code: str
    message: str

    def __str__(self) -> str:
        values = {"sheet": self.sheet, "cell": self.cell, "code": self.code,
                  "message": self.message}
        if self.sheet and self.cell and self.code:
            return _("Sheet %(sheet)s, ô %(cell)s (%(code)s): %(message)s") % values
        if self.sheet and self.cell:
            return _("Sheet %(sheet)s, ô %(cell)s: %(message)s") % values
        if self.sheet and self.code:
            return _("Sheet %(sheet)s (%(code)s): %(message)s") % values
        if self.sheet:
            return _("Sheet %(sheet)s: %(message)s") % values
        return self.message


class WorkbookError(ValidationError):
    """A file that cannot be imported, with every problem found in it.

    It is a :class:`~django.core.exceptions.ValidationError`, so callers that already
    handle validation errors (the admin, forms) show ``messages``: one line per problem.
    """

    def __init__(self, errors: Iterable[CellError], warnings: Iterable[CellError] = (),
                 file_name: str = ""):
        self.errors: list[CellError] = list(errors)
        self.warnings: list[CellError] = list(warnings)
        self.file_name = file_name
        super().__init__([str(error) for error in self.errors] or [_("Tệp không hợp lệ.")])

    def __str__(self) -> str:
        count = len(self.errors)
        if self.file_name:
            head = ngettext("Tệp %(file)s có %(n)d lỗi:", "Tệp %(file)s có %(n)d lỗi:",
                            count) % {"file": self.file_name, "n": count}
        else:
            head = ngettext("Tệp có %(n)d lỗi:", "Tệp có %(n)d lỗi:", count) % {"n": count}
        lines = [head] + [f"  - {error}" for error in self.errors]
        if self.warnings:
            lines.append(_("Cảnh báo:"))
            lines += [f"  - {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"WorkbookError({len(self.errors)} errors)"


class Problems:
    """Collects the errors and warnings of one file; :meth:`check` raises them all."""

    def __init__(self, file_name: str = ""):
        self.file_name = file_name
        self.errors: list[CellError] = []
        self.warnings: list[CellError] = []

    def error(self, sheet: str, cell: str, code: str, message: str) -> None:
        self.errors.append(CellError(sheet, cell, str(code or ""), str(message)))

    def warn(self, sheet: str, cell: str, code: str, message: str) -> None:
        self.warnings.append(CellError(sheet, cell, str(code or ""), str(message)))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def fail(self, sheet: str, cell: str, code: str, message: str):
        """Record one more error and raise everything collected so far."""
        self.error(sheet, cell, code, message)
        self.check()

    def check(self) -> None:
        if self.errors:
            raise WorkbookError(self.errors, self.warnings, self.file_name)
