"""Business actions on ranking snapshots: compute, publish, export.

Each action takes keyword arguments only, runs in one transaction and writes nothing when it
fails (it raises ``ValidationError`` with a message in the user's language). Computing and
publishing lock the period's row (``SELECT ... FOR UPDATE``), so that two computations or
publications of one period never interleave.

Exports (``export_results``, and the downloads of the leaderboard through
``results_content``) write the layout of workbooks.md "Results". Formula injection: a text
cell that would start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading apostrophe (``'=1+1``), in every format, so that no spreadsheet ever runs it
as a formula. Numbers (scores, ranks, rank changes such as -4) stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from assessments.models import CriterionGroup, Indicator, Period, Unit
from assessments.workbooks.engine_messages import describe_issue
from rankings.engine import EngineResult, FrameworkError, compute

from .inputs import engine_inputs, snapshot_digest
from .models import GroupResult, IndicatorResult, RankingSnapshot, UnitResult
from .selectors import ResultsTable, results_rows

#: Formats of the results by file ending, with their media types.
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
RESULTS_SHEET = "results"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- compute ------------------------------------------------------------------------------

def _locked_period(period: Period) -> Period:
    return Period.objects.select_for_update().select_related("framework").get(pk=period.pk)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows of an engine table with NaN/NA as None and numpy scalars as Python ones."""
    records = []
    for row in frame.astype(object).to_dict("records"):
        clean = {}
        for key, value in row.items():
            if value is None or value is pd.NA or (isinstance(value, float)
                                                   and math.isnan(value)):
                clean[key] = None
            elif hasattr(value, "item"):  # numpy scalar
                clean[key] = value.item()
            else:
                clean[key] = value
        records.append(clean)
    return records


def _run_engine(period: Period) -> tuple[EngineResult, str]:
    inputs = engine_inputs(period)
    if inputs.units.empty:
        raise ValidationError(
            _("Kỳ %(code)s chưa có phiếu báo cáo nào được duyệt: không có đơn vị nào để "
              "xếp hạng.") % {"code": period.code})
    try:
        result = compute(inputs.framework, inputs.units, inputs.values, inputs.previous)
    except FrameworkError as exc:
        raise ValidationError(
            [_("Bộ tiêu chí %(code)s không hợp lệ: %(issue)s")
             % {"code": period.framework.code, "issue": describe_issue(issue)}
             for issue in exc.issues]
        ) from exc
    except ValueError as exc:
        raise ValidationError(_("Dữ liệu của kỳ %(code)s không tính được: %(error)s")
                              % {"code": period.code, "error": exc}) from exc
    return result, snapshot_digest(result.digest, inputs.previous)


def _store_results(snapshot: RankingSnapshot, period: Period, result: EngineResult) -> None:
    units = {code: (pk, cohort_id) for pk, code, cohort_id in Unit.objects.filter(
        active=True, cohort__in=period.cohorts.all()).values_list("pk", "code", "cohort_id")}
    groups = dict(CriterionGroup.objects.filter(framework_id=period.framework_id)
                  .values_list("code", "pk"))
    indicators = dict(Indicator.objects.filter(framework_id=period.framework_id)
                      .values_list("code", "pk"))

    assessed = {row["unit_code"]: row for row in _records(result.units)}
    unit_rows = []
    for code, (unit_id, cohort_id) in sorted(units.items()):
        row = assessed.get(code)
        if row is None:
            unit_rows.append(UnitResult(snapshot=snapshot, unit_id=unit_id, cohort_id=cohort_id,
                                        assessed=False))
            continue
        unit_rows.append(UnitResult(
            snapshot=snapshot, unit_id=unit_id, cohort_id=cohort_id, assessed=True,
            score=row["score"], score_exact=row["score_exact"], max_score=row["max_score"],
            rank=row["rank"], previous_rank=row["previous_rank"],
            rank_change=row["rank_change"], band=row["band"] or ""))
    UnitResult.objects.bulk_create(unit_rows, batch_size=1000)

    GroupResult.objects.bulk_create(
        (GroupResult(snapshot=snapshot, unit_id=units[row["unit_code"]][0],
                     group_id=groups[row["group_code"]], fraction=row["fraction"],
                     score=row["score"], score_exact=row["score_exact"],
                     max_score=row["max_score"], rank=row["rank"],
                     previous_rank=row["previous_rank"], rank_change=row["rank_change"])
         for row in _records(result.groups)),
        batch_size=1000)

    if connection.vendor == "postgresql":
        _copy_indicator_results(snapshot, result.indicators, units, indicators)
        return
    indicator_rows = []
    for row in _records(result.indicators):
        value = row["value"]
        number, text = None, ""
        if isinstance(value, str):
            text = value
        elif value is not None:
            number = float(value)
        indicator_rows.append(IndicatorResult(
            snapshot=snapshot, unit_id=units[row["unit_code"]][0],
            indicator_id=indicators[row["indicator_code"]], value_number=number,
            value_text=text, fraction=row["fraction"], points=row["points"],
            max_points=row["max_points"]))
    IndicatorResult.objects.bulk_create(indicator_rows, batch_size=1000)


def _copy_number(value) -> str:
    if value is None or value is pd.NA or value != value:
        return "\\N"
    return repr(float(value))


def _copy_indicator_results(snapshot, frame: pd.DataFrame, units: dict, indicators: dict
                            ) -> None:
    """The indicator results (about 100 per unit) with PostgreSQL's ``COPY``: the same rows
    as the ``bulk_create`` path, without a model instance per row (1.8 s against 9.7 s for
    101,000 rows, docs/benchmarks.md)."""
    columns = [frame[name].tolist() for name in
               ("unit_code", "indicator_code", "value", "fraction", "points", "max_points")]
    out = io.StringIO()
    write = out.write
    for unit_code, code, value, fraction, points, max_points in zip(*columns, strict=True):
        if isinstance(value, str):
            number, text = "\\N", (value.replace("\\", "\\\\").replace("\t", "\\t")
                                   .replace("\n", "\\n").replace("\r", "\\r"))
        else:
            number, text = _copy_number(value), ""
        write(f"{snapshot.pk}\t{units[unit_code][0]}\t{indicators[code]}\t{number}\t{text}\t"
              f"{_copy_number(fraction)}\t{_copy_number(points)}\t{_copy_number(max_points)}\n")
    out.seek(0)
    table = connection.ops.quote_name(IndicatorResult._meta.db_table)
    with connection.cursor() as cursor:
        cursor.connection.cursor().copy_expert(
            f"COPY {table} (snapshot_id, unit_id, indicator_id, value_number, value_text, "
            "fraction, points, max_points) FROM STDIN", out)


def compute_snapshot(*, period: Period, actor=None, note: str = "") -> RankingSnapshot:
    """Score and rank the period's approved submissions into a new (unpublished) snapshot.

    The snapshot lists every active unit of the period's cohorts: units without an approved
    submission are stored as not assessed (no score, no rank). Its number is the period's
    last plus one; ``inputs_digest`` is equal for equal inputs.
    """
    with transaction.atomic():
        period = _locked_period(period)
        result, digest = _run_engine(period)
        last = period.snapshots.aggregate(last=Max("number"))["last"] or 0
        snapshot = RankingSnapshot.objects.create(
            period=period, number=last + 1, framework_code=period.framework.code,
            inputs_digest=digest, computed_by=actor, note=note.strip(),
            units_count=int(result.units["rank"].notna().sum()))
        _store_results(snapshot, period, result)
    return snapshot


# --- publish ------------------------------------------------------------------------------

def publish_snapshot(*, snapshot: RankingSnapshot, actor=None, note: str = "") -> RankingSnapshot:
    """Make ``snapshot`` the period's single public result and mark the period published.

    Replacing an earlier publication (a correction) needs a note saying why; the note is
    shown with the results. A published snapshot is never changed again (the one that is
    replaced only stops being the public one), and an older snapshot cannot replace a newer
    publication.
    """
    with transaction.atomic():
        period = _locked_period(snapshot.period)
        snapshot = RankingSnapshot.objects.select_for_update().get(pk=snapshot.pk)
        if snapshot.published_at is not None:
            raise ValidationError(_("Kết quả %(s)s đã được công bố lúc %(at)s.")
                                  % {"s": snapshot, "at": timezone.localtime(
                                      snapshot.published_at).strftime("%H:%M %d/%m/%Y")})
        published = list(period.snapshots.filter(published_at__isnull=False)
                         .order_by("-number"))
        note = note.strip() or snapshot.note
        if published:
            if published[0].number > snapshot.number:
                raise ValidationError(
                    _("Không thể công bố lần tính %(n)s: lần tính %(m)s mới hơn đã được công "
                      "bố. Hãy tính lại để có kết quả mới.")
                    % {"n": snapshot.number, "m": published[0].number})
            if not note:
                raise ValidationError(
                    _("Kỳ %(code)s đã công bố kết quả: bản công bố mới thay thế bản cũ cần "
                      "ghi chú lý do (đính chính).") % {"code": period.code})
        period.snapshots.filter(is_public=True).update(is_public=False)
        snapshot.published_at = timezone.now()
        snapshot.published_by = actor
        snapshot.is_public = True
        snapshot.note = note
        snapshot.save(update_fields=["published_at", "published_by", "is_public", "note"])
        if period.status != Period.Status.PUBLISHED:
            period.status = Period.Status.PUBLISHED
            period.save(update_fields=["status"])
    return snapshot


# --- export -------------------------------------------------------------------------------

def escape_text(value: str) -> str:
    """A text cell that a spreadsheet could read as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell(value):
    return escape_text(value) if isinstance(value, str) else value


def _csv(table: ResultsTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    score_columns = {c for c in table.columns if c == "score" or c.endswith("_score")}
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = row[column]
            if value is None:
                cells.append("")
            elif column in score_columns:
                cells.append(f"{value:.{table.decimals}f}")
            else:
                cells.append(_cell(value))
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


def _xlsx(table: ResultsTable) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(RESULTS_SHEET)
    score_format = "0" if table.decimals == 0 else "0." + "0" * table.decimals
    score_columns = {c for c in table.columns if c == "score" or c.endswith("_score")}
    sheet.append(table.columns)
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = row[column]
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", _cell(value))
            cell = WriteOnlyCell(sheet, value=value)
            if column in score_columns and value is not None:
                cell.number_format = score_format
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _json(table: ResultsTable) -> bytes:
    rows = [{column: _cell(row[column]) for column in table.columns} for row in table.rows]
    return json.dumps(rows, ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")


_WRITERS = {"csv": _csv, "xlsx": _xlsx, "json": _json}


def results_content(*, snapshot: RankingSnapshot, fmt: str) -> bytes:
    """The snapshot's results as the bytes of a ``csv``, ``xlsx`` or ``json`` file."""
    if fmt not in _WRITERS:
        raise ValidationError(_("Định dạng %(fmt)s không được hỗ trợ: dùng .csv, .xlsx hoặc "
                                ".json.") % {"fmt": fmt or "?"})
    return _WRITERS[fmt](results_rows(snapshot))


def export_results(*, snapshot: RankingSnapshot, destination: Path) -> Path:
    """Write the snapshot's results to ``destination`` (format by its ending).

    The file is written whole or not at all (a temporary file renamed into place).
    """
    destination = Path(destination)
    content = results_content(snapshot=snapshot, fmt=destination.suffix.lower().lstrip("."))
    folder = destination.parent
    if not folder.is_dir():
        raise ValidationError(_("Thư mục %(dir)s không tồn tại.") % {"dir": folder})
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination
