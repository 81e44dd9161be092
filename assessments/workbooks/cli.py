"""Helpers shared by the import/export management commands (thin wrappers of services)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from .errors import WorkbookError

CODE = re.compile(r"^[A-Za-z0-9_-]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@contextmanager
def command_errors():
    """Turn a service's error into a CommandError listing every problem (exit status 1)."""
    try:
        yield
    except WorkbookError as exc:
        raise CommandError(str(exc)) from exc
    except ValidationError as exc:
        raise CommandError("\n".join(exc.messages)) from exc


def code_argument(value: str, what: str) -> str:
    value = value.strip()
    if not CODE.match(value):
        raise CommandError(_("%(what)s '%(value)s' chỉ được gồm chữ cái, chữ số, '-' và '_'.")
                           % {"what": what, "value": value})
    return value


def date_argument(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        if not DATE.match(value.strip()):
            raise ValueError(value)
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(_("%(what)s '%(value)s' không phải ngày dạng YYYY-MM-DD.")
                           % {"what": what, "value": value}) from exc


def write_lines(command, lines) -> None:
    for line in lines:
        command.stdout.write(line)
