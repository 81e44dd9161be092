"""The framework workbook: sheets ``settings``, ``groups``, ``indicators``, ``bands``.

:func:`read_framework` turns a workbook into the engine's :class:`FrameworkSpec`, checking
the type of every cell and remembering where each code came from, so that the engine's
:func:`validate_framework` issues can be reported at their sheet and cell.
:func:`write_framework` writes the same layout back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook as XlsxWorkbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from rankings.engine import Band as BandSpec
from rankings.engine import (
    FrameworkError,
    FrameworkIssue,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
    format_params,
    parse_params,
    validate_framework,
)

from .engine_messages import issue_message
from .errors import Problems
from .reader import INVALID, Row, Table, Workbook, read_table
from .values import ValueProblem, parse_bool, parse_integer, parse_number, parse_text

SETTINGS_SHEET, GROUPS_SHEET, INDICATORS_SHEET, BANDS_SHEET = (
    "settings", "groups", "indicators", "bands")
SHEET_OF_KIND = {"settings": SETTINGS_SHEET, "group": GROUPS_SHEET,
                 "indicator": INDICATORS_SHEET, "band": BANDS_SHEET}

FRAMEWORK_CODE = re.compile(r"^[A-Za-z0-9_-]+$")

# settings key -> (parser, default)
SETTINGS = {
    "code": (parse_text, ""),
    "name": (parse_text, ""),
    "description": (parse_text, ""),
    "scale": (parse_number, 100.0),
    "aggregation": (parse_text, "sum"),
    "decimals": (parse_integer, 2),
    "rank_on": (parse_text, "rounded"),
    "ties": (parse_text, "competition"),
    "missing": (parse_text, "zero"),
}
CHOICE_SETTINGS = ("aggregation", "rank_on", "ties", "missing")

GROUP_COLUMNS = ["code", "name", "parent", "aggregation", "weight", "max_points", "rescale",
                 "order"]
GROUP_REQUIRED = ["code", "name"]
INDICATOR_COLUMNS = ["code", "group", "name", "value_type", "unit", "rule", "params",
                     "max_points", "weight", "inverse", "applies_to", "required", "evidence",
                     "min", "max", "formula", "guidance", "order"]
INDICATOR_REQUIRED = ["code", "group", "name", "value_type", "rule"]
BAND_COLUMNS = ["label", "min_score", "color"]
BAND_REQUIRED = ["label", "min_score"]


@dataclass
class ParsedFramework:
    """A framework read from a workbook, with where each part came from."""

    spec: FrameworkSpec
    description: str = ""
    band_colors: dict[str, str] = field(default_factory=dict)
    # (kind, code) -> the rows that define it (settings: the key's row)
    rows: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)

    def row_of(self, kind: str, code: str) -> Row | None:
        rows = self.rows.get((kind, code))
        return rows[0] if rows else None


def _lower(raw) -> str:
    return parse_text(raw).lower()


def _code(raw) -> str:
    return parse_text(raw, max_length=60)


class _Reader:
    def __init__(self, book: Workbook, problems: Problems):
        self.book = book
        self.problems = problems
        self.rows: dict[tuple[str, str], list[Row]] = {}
        self.tables: dict[str, Table] = {}
        self.reported: set[tuple[str, str, str]] = set()

    def table(self, name: str, required, optional, *, sheet_required=True) -> Table | None:
        sheet = self.book.sheet(name, required=sheet_required, problems=self.problems)
        if sheet is None:
            return None
        table = read_table(sheet, self.problems, required=required, optional=optional)
        if table is not None:
            self.tables[name] = table
        return table

    def get(self, row: Row, kind: str, code: str, column: str, parser, default, **kwargs):
        value = row.value(column, parser, code=code, default=default, **kwargs)
        if value is INVALID:
            self.reported.add((kind, code, column))
            return default
        return value

    def remember(self, kind: str, code: str, row: Row) -> None:
        self.rows.setdefault((kind, code), []).append(row)


def read_framework(book: Workbook, problems: Problems) -> ParsedFramework | None:
    """The framework of ``book``; problems recorded, ``None`` when a sheet is unusable.

    Checks types here and the framework's meaning with the engine's ``validate_framework``.
    """
    if book.is_csv:
        problems.fail("", "", "", _("bộ tiêu chí gồm nhiều sheet (settings, groups, indicators, "
                                    "bands): hãy dùng tệp .xlsx, không dùng CSV."))
    reader = _Reader(book, problems)
    settings_table = reader.table(SETTINGS_SHEET, ["key", "value"], [])
    groups_table = reader.table(GROUPS_SHEET, GROUP_REQUIRED, GROUP_COLUMNS)
    indicators_table = reader.table(INDICATORS_SHEET, INDICATOR_REQUIRED, INDICATOR_COLUMNS)
    bands_table = reader.table(BANDS_SHEET, BAND_REQUIRED, BAND_COLUMNS, sheet_required=False)
    # Read every usable sheet, so that one file's report holds all its problems.
    settings = _read_settings(reader, settings_table) if settings_table else None
    groups = tuple(_read_groups(reader, groups_table)) if groups_table else None
    indicators = tuple(_read_indicators(reader, indicators_table)) if indicators_table else None
    bands, colors = _read_bands(reader, bands_table) if bands_table else ((), {})
    if None in (settings, groups, indicators) or (bands_table is None and book.find(BANDS_SHEET)):
        return None
    description = settings.pop("description")
    spec = FrameworkSpec(groups=groups, indicators=indicators, bands=bands, **settings)
    parsed = ParsedFramework(spec=spec, description=description, band_colors=colors,
                             rows=reader.rows, tables=reader.tables)
    for issue in validate_framework(spec):
        if (issue.kind, issue.code, issue.field) not in reader.reported:
            report_issue(parsed, issue, problems)
    return parsed


def report_issue(parsed: ParsedFramework, issue: FrameworkIssue, problems: Problems) -> None:
    """Record an engine issue at the sheet and cell of the code and field it names, in the
    user's language."""
    rows = parsed.rows.get((issue.kind, issue.code), [])
    if issue.kind == "settings" and issue.field == "indicators":
        rows = []  # "the framework has no scored indicator": the whole sheet
        sheet = parsed.tables[INDICATORS_SHEET].name
    else:
        table = parsed.tables.get(SHEET_OF_KIND.get(issue.kind, SETTINGS_SHEET))
        sheet = table.name if table else SHEET_OF_KIND.get(issue.kind, "")
    if not rows:
        problems.error(sheet, "", issue.code, issue_message(issue))
        return
    # For "code already used" the later row is the offending one.
    row = rows[-1] if issue.field == "code" and len(rows) > 1 else rows[0]
    column = "value" if issue.kind == "settings" else issue.field
    problems.error(row.table.name, row.cell(column), issue.code, issue_message(issue))


def _read_settings(reader: _Reader, table: Table) -> dict:
    values = {key: default for key, (_parser, default) in SETTINGS.items()}
    seen: dict[str, Row] = {}
    for row in table.rows():
        key = row.value("key", _lower, default="")
        if key is INVALID or not key:
            if key == "":
                row.error("key", "", _("dòng có giá trị nhưng không có khoá (key)."))
            continue
        if key not in SETTINGS:
            row.error("key", key, _("khoá '%(key)s' không có trong danh sách: %(keys)s.")
                      % {"key": key, "keys": ", ".join(SETTINGS)})
            continue
        if key in seen:
            row.error("key", key, _("khoá '%(key)s' đã có ở dòng %(row)d.")
                      % {"key": key, "row": seen[key].number})
            continue
        seen[key] = row
        reader.remember("settings", key, row)
        parser, default = SETTINGS[key]
        if parser is parse_text:
            value = reader.get(row, "settings", key, "value", parse_text, default,
                               max_length=255 if key != "description" else None)
            if key in CHOICE_SETTINGS:
                value = value.lower()
        else:
            value = reader.get(row, "settings", key, "value", parser, default)
        values[key] = value
    for key in ("code", "name"):
        if key not in seen or not values[key]:
            row = seen.get(key)
            message = _("thiếu '%(key)s' của bộ tiêu chí.") % {"key": key}
            if row:
                row.error("value", key, message)
            else:
                reader.problems.error(table.name, "", key, message)
            reader.reported.add(("settings", key, "value"))
    code = values["code"]
    if code and (len(code) > 40 or not FRAMEWORK_CODE.match(code)):
        seen["code"].error("value", "code", _(
            "mã bộ tiêu chí '%(code)s' chỉ được gồm chữ cái, chữ số, '-' và '_' (tối đa 40 ký "
            "tự).") % {"code": code})
        reader.reported.add(("settings", "code", "value"))
    return values


def _read_groups(reader: _Reader, table: Table):
    for position, row in enumerate(table.rows(), start=1):
        code = row.value("code", _code, default="")
        if code is INVALID:
            continue
        if not code:
            row.error("code", "", _("nhóm tiêu chí không có mã."))
            continue
        reader.remember("group", code, row)

        def get(column, parser, default, code=code, row=row, **kwargs):
            return reader.get(row, "group", code, column, parser, default, **kwargs)

        yield GroupSpec(
            code=code,
            name=_required_name(reader, row, "group", code),
            parent=get("parent", parse_text, ""),
            aggregation=get("aggregation", _lower, "sum"),
            weight=get("weight", parse_number, 1.0),
            max_points=get("max_points", parse_number, None),
            rescale=get("rescale", _lower, ""),
            order=get("order", parse_integer, position),
        )


def _required_name(reader: _Reader, row: Row, kind: str, code: str) -> str:
    name = reader.get(row, kind, code, "name", parse_text, "", max_length=500)
    if not name and (kind, code, "name") not in reader.reported:
        row.error("name", code, _("thiếu tên."))
        reader.reported.add((kind, code, "name"))
    return name


def _params(raw) -> dict[str, str]:
    try:
        return parse_params(parse_text(raw, max_length=500))
    except FrameworkError as error:
        reason = "; ".join(issue_message(issue) for issue in error.issues)
        raise ValueProblem(_("tham số không hợp lệ: %(error)s") % {"error": reason}) from error


def _cohort_codes(raw) -> tuple[str, ...]:
    text = parse_text(raw, max_length=500)
    return tuple(code.strip() for code in re.split(r"[,;]", text) if code.strip())


def _read_indicators(reader: _Reader, table: Table):
    for position, row in enumerate(table.rows(), start=1):
        code = row.value("code", _code, default="")
        if code is INVALID:
            continue
        if not code:
            row.error("code", "", _("tiêu chí không có mã."))
            continue
        reader.remember("indicator", code, row)

        def get(column, parser, default, code=code, row=row, **kwargs):
            return reader.get(row, "indicator", code, column, parser, default, **kwargs)

        yield IndicatorSpec(
            code=code,
            group=get("group", parse_text, ""),
            name=_required_name(reader, row, "indicator", code),
            value_type=get("value_type", _lower, ""),
            unit=get("unit", parse_text, "", max_length=60),
            rule=get("rule", _lower, ""),
            params=get("params", _params, {}),
            max_points=get("max_points", parse_number, 1.0),
            weight=get("weight", parse_number, 1.0),
            inverse=get("inverse", parse_bool, False),
            applies_to=get("applies_to", _cohort_codes, ()),
            required=get("required", parse_bool, True),
            evidence=get("evidence", parse_bool, False),
            min=get("min", parse_number, None),
            max=get("max", parse_number, None),
            formula=get("formula", parse_text, "", max_length=500),
            guidance=get("guidance", parse_text, ""),
            order=get("order", parse_integer, position),
        )


def _read_bands(reader: _Reader, table: Table):
    bands, colors = [], {}
    for row in table.rows():
        label = row.value("label", parse_text, default="", max_length=60)
        if label is INVALID:
            continue
        if not label:
            row.error("label", "", _("xếp loại không có nhãn."))
            continue
        reader.remember("band", label, row)
        minimum = reader.get(row, "band", label, "min_score", parse_number, None)
        if minimum is None and ("band", label, "min_score") not in reader.reported:
            row.error("min_score", label, _("thiếu điểm tối thiểu."))
            reader.reported.add(("band", label, "min_score"))
            minimum = 0.0
        color = reader.get(row, "band", label, "color", parse_text, "", max_length=7)
        if color and not re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
            row.error("color", label, _("màu '%(color)s' phải có dạng #RRGGBB.")
                      % {"color": color})
        bands.append(BandSpec(label=label, min_score=minimum))
        colors[label] = color
    return tuple(bands), colors


# --- writing ------------------------------------------------------------------------------

def _cell_text(value):
    """Text for a cell: illegal control characters removed."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _append(sheet, values) -> None:
    sheet.append([_cell_text(v) for v in values])
    # openpyxl turns any text starting with "=" into a live formula; keep it text.
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _header(sheet, columns) -> None:
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def write_framework(spec: FrameworkSpec, destination, *, description: str = "",
                    band_colors: dict[str, str] | None = None) -> None:
    """Write ``spec`` in the layout :func:`read_framework` reads (a path or a binary file)."""
    band_colors = band_colors or {}
    book = XlsxWorkbook()
    settings = book.active
    settings.title = SETTINGS_SHEET
    _header(settings, ["key", "value"])
    for key, value in (("code", spec.code), ("name", spec.name), ("description", description),
                       ("scale", spec.scale), ("aggregation", spec.aggregation),
                       ("decimals", spec.decimals), ("rank_on", spec.rank_on),
                       ("ties", spec.ties), ("missing", spec.missing)):
        _append(settings, [key, value])

    groups = book.create_sheet(GROUPS_SHEET)
    _header(groups, GROUP_COLUMNS)
    for g in spec.groups:
        _append(groups, [g.code, g.name, g.parent or None, g.aggregation, g.weight,
                         g.max_points, g.rescale or None, g.order])

    indicators = book.create_sheet(INDICATORS_SHEET)
    _header(indicators, INDICATOR_COLUMNS)
    for i in spec.indicators:
        _append(indicators, [
            i.code, i.group, i.name, i.value_type, i.unit or None, i.rule,
            format_params(i.params) or None, i.max_points, i.weight, _yes_no(i.inverse),
            ",".join(i.applies_to) or None, _yes_no(i.required), _yes_no(i.evidence),
            i.min, i.max, i.formula or None, i.guidance or None, i.order,
        ])

    bands = book.create_sheet(BANDS_SHEET)
    _header(bands, BAND_COLUMNS)
    for b in spec.bands:
        _append(bands, [b.label, b.min_score, band_colors.get(b.label) or None])

    for sheet, widths in ((settings, [14, 40]), (groups, [12, 40, 12, 16]),
                          (indicators, [14, 12, 50, 12, 12, 12, 24])):
        for index, width in enumerate(widths):
            sheet.column_dimensions[chr(65 + index)].width = width
    book.save(destination)
