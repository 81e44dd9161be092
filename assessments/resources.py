"""django-import-export for units and frameworks, going through the portal's own services.

django-import-export reads an upload into one ``tablib.Dataset`` and imports it row by row;
our workbooks have several sheets (``cohorts`` and ``units``; ``settings``, ``groups``,
``indicators`` and ``bands``) and our imports check the whole file before writing
anything, naming each bad cell. So the admin's import keeps import-export's pages and flow
(upload, preview, confirm, temporary file in the media storage so that any application
server can confirm) but hands the uploaded file untouched (:class:`WorkbookFile`) to
:func:`~assessments.services.import_units` or :func:`~assessments.services.import_framework`:
the preview is the service's dry run, the confirmation the real import, all or nothing,
recorded in the import history. The units' export writes the units sheet in the layout the
import reads, with text escaped against formula injection.
"""

from __future__ import annotations

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.formats.base_formats import CSV, XLSX, Format
from import_export.results import Error, Result

from rankings.services import escape_text

from . import services
from .models import Unit
from .workbooks.annotate import describe_errors
from .workbooks.errors import CellError, WorkbookError


class UploadedWorkbook(tablib.Dataset):
    """The uploaded file's bytes, carried to the resource unparsed."""

    def __init__(self, data: bytes):
        super().__init__()
        self.raw = data

    def __bool__(self) -> bool:  # import-export refuses an "empty" dataset: ours never is
        return True


class WorkbookFile(Format):
    """An ``.xlsx`` or ``.csv`` file read by the portal's reader (sheets, cells, safety)."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return _("Bảng tính .xlsx hoặc .csv")

    def create_dataset(self, in_stream):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return UploadedWorkbook(bytes(in_stream))

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def get_extension(self):
        return "xlsx"

    def can_import(self):
        return True


class ServiceResource(resources.Resource):
    """A resource whose import is one call of a service (dry run for the preview)."""

    #: shown on the import page: the sheets and columns the file must have
    layout: list[tuple[str, str]] = []

    def run(self, *, source: bytes, file_name: str, dry_run: bool, actor, **options
            ) -> services.ImportSummary:
        raise NotImplementedError

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        result = Result()
        result.summary = None
        result.workbook_errors = []
        result.workbook_warnings = []
        options = {key: kwargs[key] for key in ("replace",) if key in kwargs}
        file_name = kwargs.get("file_name") or "upload"
        try:
            summary = self.run(source=dataset.raw, file_name=file_name, dry_run=dry_run,
                               actor=kwargs.get("user"), **options)
        except WorkbookError as error:
            result.workbook_errors = describe_errors(error.errors)
            result.workbook_warnings = [str(w) for w in error.warnings]
            result.append_base_error(Error(error))
        except ValidationError as error:
            result.workbook_errors = describe_errors(
                [CellError("", "", "", message) for message in error.messages])
            result.append_base_error(Error(error))
        else:
            result.summary = summary
            result.summary_lines = summary.lines()
        if raise_errors and result.base_errors:
            raise result.base_errors[0].error
        return result

    def get_user_visible_fields(self):
        return []


class UnitImportResource(ServiceResource):
    layout = [("cohorts", "code, name (" + str(gettext_lazy("không bắt buộc")) + ")"),
              ("units", "code, name, cohort, parent, active")]

    @classmethod
    def get_display_name(cls):
        return _("Đơn vị và nhóm đơn vị")

    def run(self, *, source, file_name, dry_run, actor, **options):
        return services.import_units(source=source, file_name=file_name, dry_run=dry_run,
                                     actor=actor)


class FrameworkImportResource(ServiceResource):
    layout = [("settings", "key, value"),
              ("groups", "code, name, parent, aggregation, weight, max_points, rescale, order"),
              ("indicators", "code, group, name, value_type, unit, rule, params, max_points, "
                             "weight, inverse, applies_to, required, evidence, min, max, "
                             "formula, guidance"),
              ("bands", "label, min_score")]

    @classmethod
    def get_display_name(cls):
        return _("Bộ tiêu chí")

    def run(self, *, source, file_name, dry_run, actor, replace=False, **options):
        """``import_framework`` has no dry run: the preview imports and rolls back."""
        with transaction.atomic():
            framework = services.import_framework(source=source, file_name=file_name,
                                                  replace=bool(replace), actor=actor)
            summary = framework.import_summary
            if dry_run:
                summary.dry_run = True
                summary.record = None
                transaction.set_rollback(True)
        return summary


# --- export ------------------------------------------------------------------------------------

class EscapedResource(resources.ModelResource):
    """Text cells never start with = + - @ unescaped (formula injection)."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return escape_text(value) if isinstance(value, str) else value

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        dataset.title = self.sheet_title
        return dataset


class UnitExportResource(EscapedResource):
    """The ``units`` sheet of the units workbook: what ``import_units`` reads back."""

    sheet_title = "units"
    code = fields.Field(attribute="code", column_name="code")
    name = fields.Field(attribute="name", column_name="name")
    cohort = fields.Field(attribute="cohort__code", column_name="cohort")
    parent = fields.Field(attribute="parent__code", column_name="parent")
    active = fields.Field(column_name="active")

    class Meta:
        model = Unit
        fields = ("code", "name", "cohort", "parent", "active")
        export_order = ("code", "name", "cohort", "parent", "active")

    @classmethod
    def get_display_name(cls):
        return _("Đơn vị (sheet units)")

    def dehydrate_active(self, unit):
        return "yes" if unit.active else "no"


EXPORT_FORMATS = [XLSX, CSV]
