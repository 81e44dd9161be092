"""Business actions of the assessments app, shared by the commands, the admin and the web.

Every action takes keyword-only arguments, runs in one transaction, checks everything
before it writes anything, and raises a :class:`~django.core.exceptions.ValidationError`
(a :class:`~assessments.workbooks.WorkbookError` for a file, naming sheets and cells) when
it cannot be done. Imports record an :class:`ImportRecord`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rankings.engine import FrameworkSpec, format_params, parse_params, validate_framework

from .bulk_answers import answer_writer
from .models import (
    Answer,
    Band,
    Cohort,
    CriterionGroup,
    Framework,
    ImportRecord,
    Indicator,
    Period,
    Submission,
    SubmissionTransition,
    Unit,
    code_validator,
)
from .selectors import framework_spec
from .workbooks.engine_messages import describe_issue
from .workbooks.errors import CellError, Problems
from .workbooks.framework import read_framework, write_framework
from .workbooks.reader import open_workbook
from .workbooks.returns import IndicatorInfo, UnitInfo, read_returns
from .workbooks.units import read_units

Status = Submission.Status

# --- results of imports -------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import did (or, with ``dry_run``, would do)."""

    kind: str
    file_name: str
    sha256: str
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    units: list[dict] = field(default_factory=list)  # returns: one entry per unit
    warnings: list[CellError] = field(default_factory=list)
    layout: str = ""
    record: ImportRecord | None = None

    def as_dict(self) -> dict:
        return {"counts": self.counts, "units": self.units, "layout": self.layout,
                "dry_run": self.dry_run, "warnings": [str(w) for w in self.warnings]}

    def lines(self) -> list[str]:
        """A short report for a terminal or a message box."""
        c = self.counts
        lines = []
        if self.kind == "units":
            lines.append(_("Nhóm đơn vị: %(created)d mới, %(updated)d cập nhật, %(unchanged)d "
                           "không đổi.") % {"created": c["cohorts_created"],
                                           "updated": c["cohorts_updated"],
                                           "unchanged": c["cohorts_unchanged"]})
            lines.append(_("Đơn vị: %(created)d mới, %(updated)d cập nhật, %(unchanged)d "
                           "không đổi.") % {"created": c["units_created"],
                                           "updated": c["units_updated"],
                                           "unchanged": c["units_unchanged"]})
        elif self.kind == "returns":
            lines.append(_("Bố cục %(layout)s: %(units)d đơn vị; câu trả lời: %(created)d mới, "
                           "%(changed)d thay đổi, %(unchanged)d không đổi.")
                         % {"layout": self.layout, "units": c["units"],
                            "created": c["answers_created"], "changed": c["answers_changed"],
                            "unchanged": c["answers_unchanged"]})
            # one translation of the line and of each status for all units (10,000 lines)
            line = "  " + _("%(unit)s: %(before)s → %(after)s; %(created)d mới, "
                            "%(changed)d thay đổi, %(unchanged)d không đổi.")
            labels = {value: str(label) for value, label in Status.choices}
            for unit in self.units:
                lines.append(line % {**unit, "before": labels.get(unit["before"], unit["before"]),
                                     "after": labels.get(unit["after"], unit["after"])})
        elif self.kind == "framework":
            lines.append(_("Bộ tiêu chí %(code)s: %(groups)d nhóm, %(indicators)d tiêu chí, "
                           "%(bands)d xếp loại.") % c)
        if self.warnings:
            lines.append(_("Cảnh báo:"))
            lines += [f"  - {warning}" for warning in self.warnings]
        if self.dry_run:
            lines.append(_("Chạy thử: không ghi gì vào cơ sở dữ liệu."))
        return lines


def _record(summary: ImportSummary, *, actor=None, period=None) -> ImportRecord:
    summary.record = ImportRecord.objects.create(
        kind=summary.kind, file_name=summary.file_name[:255], sha256=summary.sha256,
        period=period, actor=actor, summary=summary.as_dict())
    return summary.record


def _actor(actor):
    """Anonymous users (the web) are recorded as nobody."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# --- units --------------------------------------------------------------------------------

def import_units(*, source, file_name: str | None = None, actor=None,
                 dry_run: bool = False) -> ImportSummary:
    """Create or update cohorts and units by code (never delete) from a units workbook."""
    book = open_workbook(source, file_name=file_name)
    problems = Problems(book.file_name)
    cohort_rows, unit_rows = read_units(book, problems)
    with transaction.atomic():
        cohorts = {c.code: c for c in Cohort.objects.select_for_update()}
        units = {u.code: u for u in Unit.objects.select_for_update(of=("self",)).select_related(
            "cohort", "parent")}
        _check_unit_parents(unit_rows, units, problems)
        problems.check()

        counts = dict.fromkeys(["cohorts_created", "cohorts_updated", "cohorts_unchanged",
                                "units_created", "units_updated", "units_unchanged"], 0)
        new_cohorts, changed_cohorts = [], []
        next_order = (max((c.order for c in cohorts.values()), default=0) or 0) + 1
        named = {r.code: r.name for r in cohort_rows}
        wanted = dict(named)
        for row in unit_rows:
            wanted.setdefault(row.cohort, row.cohort)  # a new code creates the cohort
        for code, name in wanted.items():
            cohort = cohorts.get(code)
            if cohort is None:
                cohorts[code] = Cohort(code=code, name=name, order=next_order)
                next_order += 1
                new_cohorts.append(cohorts[code])
            elif code in named and cohort.name != name:
                cohort.name = name
                changed_cohorts.append(cohort)
        counts["cohorts_created"] = len(new_cohorts)
        counts["cohorts_updated"] = len(changed_cohorts)
        counts["cohorts_unchanged"] = len(wanted) - len(new_cohorts) - len(changed_cohorts)

        new_units, changed_units = [], []
        for row in unit_rows:
            unit = units.get(row.code)
            if unit is None:
                counts["units_created"] += 1
                units[row.code] = Unit(code=row.code, name=row.name, active=row.active)
                new_units.append(units[row.code])
                continue
            before = (unit.name, unit.cohort.code, unit.parent.code if unit.parent else "",
                      unit.active)
            if before == (row.name, row.cohort, row.parent, row.active):
                counts["units_unchanged"] += 1
            else:
                counts["units_updated"] += 1
                changed_units.append(unit)
        summary = ImportSummary(kind="units", file_name=book.file_name, sha256=book.sha256,
                                dry_run=dry_run, counts=counts, warnings=problems.warnings)
        if dry_run:
            return summary

        Cohort.objects.bulk_create(new_cohorts)
        Cohort.objects.bulk_update(changed_cohorts, ["name"])
        for row in unit_rows:
            unit = units[row.code]
            unit.name, unit.active, unit.cohort = row.name, row.active, cohorts[row.cohort]
        Unit.objects.bulk_create(new_units)
        for row in unit_rows:
            units[row.code].parent = units[row.parent] if row.parent else None
        Unit.objects.bulk_update(new_units + changed_units, ["name", "cohort", "parent", "active"])
        _record(summary, actor=_actor(actor))
    return summary


def _check_unit_parents(unit_rows, units: dict[str, Unit], problems: Problems) -> None:
    """Parents must exist (in the file or the database) and never form a cycle."""
    parent_of = {code: (u.parent.code if u.parent else "") for code, u in units.items()}
    in_file = {row.code for row in unit_rows}
    for row in unit_rows:
        if row.parent and row.parent not in in_file and row.parent not in units:
            row.row.error("parent", row.code, _("đơn vị cấp trên '%(parent)s' không có trong tệp "
                                                "hay trong hệ thống.") % {"parent": row.parent})
        parent_of[row.code] = row.parent if row.parent != row.code else ""  # reported already
    reported: set[str] = set()
    for row in unit_rows:
        chain, current = [], row.code
        while current and current not in chain:
            chain.append(current)
            current = parent_of.get(current, "")
        if current == row.code and row.code not in reported:
            reported.update(chain)
            path = " → ".join(chain + [row.code])
            row.row.error("parent", row.code, _("đơn vị cấp trên tạo thành vòng lặp: %(path)s.")
                          % {"path": path})


# --- frameworks ---------------------------------------------------------------------------

def import_framework(*, source, file_name: str | None = None, replace: bool = False,
                     actor=None) -> Framework:
    """Create a framework from its workbook; ``replace`` overwrites one with the same code
    if no published period uses it and no answer refers to its indicators.

    The returned framework carries the :class:`ImportSummary` as ``import_summary``.
    """
    book = open_workbook(source, file_name=file_name)
    problems = Problems(book.file_name)
    parsed = read_framework(book, problems)
    problems.check()
    spec = parsed.spec
    code_row = parsed.row_of("settings", "code")
    with transaction.atomic():
        framework = Framework.objects.select_for_update().filter(code=spec.code).first()
        if framework is not None:
            reason = None
            if not replace:
                reason = _("đã có bộ tiêu chí mã %(code)s; dùng --replace để thay thế.")
            else:
                reason = _replace_refusal(framework)
            if reason:
                code_row.error("value", spec.code, reason % {"code": spec.code})
        _warn_unknown_cohorts(parsed, problems)
        problems.check()
        if framework is None:
            framework = Framework(code=spec.code)
        else:
            framework.indicators.all().delete()
            framework.groups.all().delete()
            framework.bands.all().delete()
        _set_settings(framework, spec, description=parsed.description)
        framework.save()
        _create_tree(framework, spec, parsed.band_colors)
        summary = ImportSummary(
            kind="framework", file_name=book.file_name, sha256=book.sha256,
            counts={"code": spec.code, "groups": len(spec.groups),
                    "indicators": len(spec.indicators), "bands": len(spec.bands)},
            warnings=problems.warnings)
        _record(summary, actor=_actor(actor))
    framework.import_summary = summary
    return framework


def _replace_refusal(framework: Framework) -> str | None:
    """Why ``framework`` cannot be replaced (a message with ``%(code)s``), or None."""
    if framework.is_frozen:
        return _("bộ tiêu chí %(code)s đã được dùng cho một kỳ đã công bố: không thể thay thế. "
                 "Hãy sao chép để làm bộ tiêu chí mới.")
    if Answer.objects.filter(indicator__framework=framework).exists():
        return _("bộ tiêu chí %(code)s đã có câu trả lời của đơn vị: không thể thay thế.")
    if (CriterionGroup.objects.filter(framework=framework, results__isnull=False).exists()
            or Indicator.objects.filter(framework=framework, results__isnull=False).exists()):
        return _("bộ tiêu chí %(code)s đã có kết quả xếp hạng đã tính: không thể thay thế.")
    return None


def _warn_unknown_cohorts(parsed, problems: Problems) -> None:
    known = set(Cohort.objects.values_list("code", flat=True))
    for indicator in parsed.spec.indicators:
        unknown = [c for c in indicator.applies_to if c not in known]
        row = parsed.row_of("indicator", indicator.code)
        if unknown and row is not None:
            row.warn("applies_to", indicator.code, _(
                "nhóm đơn vị %(codes)s chưa có trong hệ thống.") % {"codes": ", ".join(unknown)})


def _set_settings(framework: Framework, spec: FrameworkSpec, *, description: str) -> None:
    framework.name = spec.name
    framework.description = description
    framework.scale = spec.scale
    framework.aggregation = spec.aggregation
    framework.decimals = spec.decimals
    framework.rank_on = spec.rank_on
    framework.ties = spec.ties
    framework.missing = spec.missing


def _create_tree(framework: Framework, spec: FrameworkSpec, band_colors: dict[str, str]) -> None:
    """Groups (with parents), indicators and bands of ``spec`` under ``framework``."""
    groups = {
        g.code: CriterionGroup(framework=framework, code=g.code, name=g.name,
                               aggregation=g.aggregation, weight=g.weight,
                               max_points=g.max_points, rescale=g.rescale or "", order=g.order)
        for g in spec.groups
    }
    CriterionGroup.objects.bulk_create(groups.values())
    with_parent = []
    for g in spec.groups:
        if g.parent:
            groups[g.code].parent = groups[g.parent]
            with_parent.append(groups[g.code])
    CriterionGroup.objects.bulk_update(with_parent, ["parent"])
    Indicator.objects.bulk_create(
        Indicator(framework=framework, group=groups[i.group], code=i.code, name=i.name,
                  value_type=i.value_type, unit_of_measure=i.unit, rule=i.rule,
                  params=format_params(i.params), max_points=i.max_points, weight=i.weight,
                  inverse=i.inverse, applies_to=",".join(i.applies_to), required=i.required,
                  evidence_required=i.evidence, min_value=i.min, max_value=i.max,
                  formula=i.formula, guidance=i.guidance, order=i.order)
        for i in spec.indicators
    )
    Band.objects.bulk_create(
        Band(framework=framework, label=b.label, min_score=b.min_score,
             color=band_colors.get(b.label, ""))
        for b in spec.bands
    )


def export_framework(*, framework: Framework, destination) -> None:
    """Write ``framework`` as a workbook that :func:`import_framework` reads back identical."""
    write_framework(framework_spec(framework), destination, description=framework.description,
                    band_colors=dict(framework.bands.values_list("label", "color")))


def copy_framework(*, framework: Framework, code: str, name: str) -> Framework:
    """A new, editable framework with the settings, tree and bands of ``framework``."""
    code, name = (code or "").strip(), (name or "").strip()
    code_validator(code)
    if not name:
        raise ValidationError(_("Bộ tiêu chí mới cần có tên."))
    with transaction.atomic():
        if Framework.objects.filter(code=code).exists():
            raise ValidationError(_("Đã có bộ tiêu chí mã %(code)s.") % {"code": code})
        spec = framework_spec(framework)
        copy = Framework(code=code, copied_from=framework)
        _set_settings(copy, spec, description=framework.description)
        copy.name = name
        copy.save()
        _create_tree(copy, spec, dict(framework.bands.values_list("label", "color")))
    return copy


# --- periods ------------------------------------------------------------------------------

def create_period(*, code: str, framework: Framework, cohorts: Iterable[Cohort | str],
                  previous: Period | None = None, opens_on: date | None = None,
                  deadline: date | None = None, name: str | None = None) -> Period:
    """A new period, open for returns; ``previous`` defaults to the latest earlier period
    that shares a cohort with it."""
    code = (code or "").strip()
    errors = []
    try:
        code_validator(code)
    except ValidationError as exc:
        errors += [f"{code}: {m}" for m in exc.messages]
    cohort_list = _cohorts(cohorts, errors)
    if not cohort_list and not errors:
        errors.append(_("Kỳ đánh giá cần ít nhất một nhóm đơn vị."))
    if opens_on and deadline and deadline < opens_on:
        errors.append(_("Hạn nộp %(deadline)s trước ngày mở %(opens)s.")
                      % {"deadline": deadline.isoformat(), "opens": opens_on.isoformat()})
    issues = validate_framework(framework_spec(framework))
    if issues:
        errors.append(_("Bộ tiêu chí %(code)s chưa hợp lệ: %(issues)s")
                      % {"code": framework.code,
                         "issues": "; ".join(describe_issue(issue) for issue in issues)})
    with transaction.atomic():
        if code and Period.objects.filter(code=code).exists():
            errors.append(_("Đã có kỳ đánh giá mã %(code)s.") % {"code": code})
        if errors:
            raise ValidationError(errors)
        period = Period(code=code, name=name or _("Kỳ đánh giá %(code)s") % {"code": code},
                        framework=framework, opens_on=opens_on, deadline=deadline,
                        status=Period.Status.OPEN)
        period.previous = (previous if previous is not None
                           else period.default_previous(cohorts=cohort_list))
        period.save()
        period.cohorts.set(cohort_list)
    return period


def _cohorts(cohorts: Iterable[Cohort | str], errors: list) -> list[Cohort]:
    items = list(cohorts)
    codes = [c for c in items if isinstance(c, str)]
    found = {c.code: c for c in Cohort.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        errors.append(_("Không có nhóm đơn vị: %(codes)s.") % {"codes": ", ".join(missing)})
    return [found[c] if isinstance(c, str) else c for c in items if not (
        isinstance(c, str) and c in missing)]


# --- submissions --------------------------------------------------------------------------

#: Legal status changes of a submission (domain.md). approved -> returned is a reopen.
TRANSITIONS: dict[str, set[str]] = {
    "": {Status.DRAFT, Status.SUBMITTED},
    Status.DRAFT: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.DRAFT, Status.RETURNED, Status.APPROVED},
    Status.RETURNED: {Status.RESUBMITTED},
    Status.RESUBMITTED: {Status.RETURNED, Status.APPROVED},
    Status.APPROVED: set(),
}


def _status_label(status: str) -> str:
    return str(Status(status).label) if status else "∅"


def _apply_status(submission: Submission, to_status: str, now) -> None:
    submission.status = to_status
    if to_status in (Status.SUBMITTED, Status.RESUBMITTED):
        submission.submitted_at = now
    if to_status == Status.APPROVED:
        submission.approved_at = now
    elif submission.approved_at is not None:
        submission.approved_at = None


def transition_submission(*, submission: Submission, to_status: str, actor=None,
                          message: str = "", reopen: bool = False) -> Submission:
    """Move ``submission`` to ``to_status`` if domain.md allows it, and record the change.

    Returning an approved submission needs ``reopen=True`` and a reason in ``message``;
    returning any submission needs a message. Published periods refuse every change.
    """
    message = (message or "").strip()
    with transaction.atomic():
        locked = (Submission.objects.select_for_update(of=("self",))
                  .select_related("period", "unit").get(pk=submission.pk))
        from_status = locked.status
        if locked.period.status == Period.Status.PUBLISHED:
            raise ValidationError(_("Kỳ %(period)s đã công bố: không thể đổi trạng thái phiếu.")
                                  % {"period": locked.period.code})
        is_reopen = from_status == Status.APPROVED and to_status == Status.RETURNED
        if is_reopen and not reopen:
            raise ValidationError(_("Phiếu đã duyệt chỉ có thể trả lại khi mở lại có lý do."))
        if not is_reopen and to_status not in TRANSITIONS.get(from_status, set()):
            raise ValidationError(
                _("Không thể chuyển phiếu của %(unit)s từ '%(from)s' sang '%(to)s'.")
                % {"unit": locked.unit.code, "from": _status_label(from_status),
                   "to": _status_label(to_status)})
        if to_status == Status.RETURNED and not message:
            raise ValidationError(_("Trả lại phiếu cần có nội dung (lý do, các câu cần sửa)."))
        now = timezone.now()
        _apply_status(locked, to_status, now)
        locked.version += 1
        locked.save(update_fields=["status", "submitted_at", "approved_at", "version",
                                   "updated_at"])
        SubmissionTransition.objects.create(submission=locked, from_status=from_status,
                                            to_status=to_status, actor=_actor(actor), at=now,
                                            message=message)
    for name in ("status", "submitted_at", "approved_at", "version", "updated_at"):
        setattr(submission, name, getattr(locked, name))
    return submission


def _import_path(current: str, approve: bool) -> list[str]:
    """The statuses an imported return passes through from ``current`` ("" when new)."""
    path = {"": [Status.SUBMITTED], Status.DRAFT: [Status.SUBMITTED],
            Status.RETURNED: [Status.RESUBMITTED]}.get(current, [])
    if approve:
        path.append(Status.APPROVED)
    # every step must be a legal transition
    previous = current
    for status in path:
        assert status in TRANSITIONS[previous], (previous, status)
        previous = status
    return path


# --- returns ------------------------------------------------------------------------------

IMPORTABLE_PERIOD_STATUSES = (Period.Status.OPEN, Period.Status.CLOSED)


def import_returns(*, period: Period, source, file_name: str | None = None,
                   dry_run: bool = False, approve: bool = False, actor=None) -> ImportSummary:
    """Import returns (wide or long layout) as submitted submissions, approved with
    ``approve``. Approved submissions are locked: a file naming one is refused."""
    book = open_workbook(source, file_name=file_name)
    problems = Problems(book.file_name)
    with transaction.atomic():
        period = (Period.objects.select_for_update(of=("self",)).select_related("framework")
                  .get(pk=period.pk))
        if period.status not in IMPORTABLE_PERIOD_STATUSES:
            problems.fail("", "", period.code, _(
                "kỳ %(period)s đang ở trạng thái '%(status)s': không nhận nhập báo cáo (chỉ nhận "
                "khi đang mở hoặc đã hết hạn, chưa công bố).")
                % {"period": period.code, "status": period.get_status_display()})
        indicators = _indicator_infos(period.framework)
        cohorts = set(period.cohorts.values_list("code", flat=True))
        units = {row[1]: UnitInfo(*row) for row in Unit.objects.values_list(
            "id", "code", "name", "cohort__code")}
        parsed = read_returns(book, problems, indicators=indicators, units=units,
                              cohorts=cohorts)
        problems.check()

        unit_ids = [units[code].id for code in parsed.unit_rows]
        submissions = {}
        for chunk in range(0, len(unit_ids), 5_000):  # bounded IN lists (SQLite's limit)
            submissions.update((s.unit_id, s) for s in Submission.objects.select_for_update()
                               .filter(period=period, unit_id__in=unit_ids[chunk:chunk + 5_000]))
        for code, row in parsed.unit_rows.items():
            submission = submissions.get(units[code].id)
            if submission is not None and submission.status == Status.APPROVED:
                row.error("unit_code", code, _(
                    "phiếu của đơn vị đã được duyệt (khoá): không thể nhập đè. Hãy mở lại phiếu "
                    "trước khi nhập."))
        problems.check()

        # The values are compared with the stored answers and written in bulk (COPY into a
        # staging table and set-based SQL on PostgreSQL): see bulk_answers.py.
        writer = answer_writer(period_id=period.pk, values=parsed.columns,
                               indicators=parsed.indicators_by_id)
        try:
            summary = _returns_summary(book, parsed, writer.counts(), submissions, units,
                                       approve, dry_run, problems)
            if dry_run:
                return summary
            now = timezone.now()
            _write_returns(period, parsed, writer.changed_unit_ids, submissions, units, approve,
                           actor=_actor(actor), file_name=book.file_name, now=now)
            writer.write(submission_ids={unit_id: s.pk for unit_id, s in submissions.items()},
                         now=now, actor_id=getattr(_actor(actor), "pk", None),
                         source=_models.AnswerChange.Source.WORKBOOK)  # "tệp Excel"
        finally:
            writer.close()
        _record(summary, actor=_actor(actor), period=period)
    return summary


def _indicator_infos(framework: Framework) -> dict[str, IndicatorInfo]:
    infos = {}
    for i in framework.indicators.all():
        options = None
        if i.value_type == "choice" and i.rule == "choice" and i.params.strip():
            options = parse_params(i.params)
        infos[i.code] = IndicatorInfo(id=i.id, code=i.code, value_type=i.value_type,
                                      options=options, min=i.min_value, max=i.max_value,
                                      derived=i.is_derived, applies_to=i.applies_to_codes)
    return infos


def _returns_summary(book, parsed, unit_counts, submissions, units, approve, dry_run,
                     problems) -> ImportSummary:
    per_unit = []
    totals = {"created": 0, "changed": 0, "unchanged": 0}
    for code in parsed.unit_rows:
        unit = units[code]
        counts = unit_counts.get(unit.id, {"created": 0, "changed": 0, "unchanged": 0})
        for key in totals:
            totals[key] += counts[key]
        submission = submissions.get(unit.id)
        before = submission.status if submission else ""
        path = _import_path(before, approve)
        per_unit.append({"unit": code, "before": before or "-",
                         "after": path[-1] if path else before, **counts})
    return ImportSummary(
        kind="returns", file_name=book.file_name, sha256=book.sha256, dry_run=dry_run,
        layout=parsed.layout, units=per_unit, warnings=problems.warnings,
        counts={"units": len(per_unit), "answers_created": totals["created"],
                "answers_changed": totals["changed"], "answers_unchanged": totals["unchanged"]})


def _write_returns(period, parsed, changed_units, submissions, units, approve, *, actor,
                   file_name, now):
    """The submissions of the file's units: created, moved along their import path, their
    version raised when anything of theirs changes; their transitions recorded."""
    message = _("Nhập từ tệp %(file)s") % {"file": file_name}
    new_submissions, transitions = [], []
    touched: dict[tuple, list[int]] = {}  # the fields set -> submissions (one UPDATE each)
    status_fields = ("status", "submitted_at", "approved_at")
    for code in parsed.unit_rows:
        unit_id = units[code].id
        submission = submissions.get(unit_id)
        if submission is None:
            submission = Submission(period=period, unit_id=unit_id, status=Status.DRAFT)
            submissions[unit_id] = submission
            new_submissions.append(submission)
            before = ""
        else:
            before = submission.status
        original = [getattr(submission, name) for name in status_fields]
        path = _import_path(before, approve)
        for status in path:
            transitions.append(SubmissionTransition(submission=submission, from_status=before,
                                                    to_status=status, actor=actor, at=now,
                                                    message=message))
            _apply_status(submission, status, now)
            before = status
        if submission.pk and (path or unit_id in changed_units):
            submission.version += 1
            submission.updated_at = now
            key = tuple((name, getattr(submission, name)) for name, old in zip(
                status_fields, original, strict=True) if getattr(submission, name) != old)
            touched.setdefault(key, []).append(submission.pk)
    Submission.objects.bulk_create(new_submissions)
    # Submissions moved the same way share one UPDATE (bulk_update's CASE per row takes
    # minutes for thousands of rows).
    for key, ids in touched.items():
        for start in range(0, len(ids), 5_000):
            Submission.objects.filter(pk__in=ids[start:start + 5_000]).update(
                **dict(key), version=F("version") + 1, updated_at=now)
    for transition in transitions:
        transition.submission_id = transition.submission.pk
    SubmissionTransition.objects.bulk_create(transitions)


# --- Review (ICT office) ------------------------------------------------------------------
# The provincial ICT office's actions on submissions (issue 4): verdicts per answer, return
# for correction naming the answers to fix, approve, reopen, bulk approve, data-quality
# flags, appeals (phúc khảo) and the publication of a correction. Notifications are sent
# by e-mail once the transaction has committed.

from . import models as _models  # noqa: E402
from . import notifications as _notifications  # noqa: E402
from .models import Appeal, AppealItem, Review, ReviewFlag, ValueType  # noqa: E402

_Change = _models.AnswerChange

REVIEWABLE = (Status.SUBMITTED, Status.RESUBMITTED)


def _review_locked(submission: Submission) -> Submission:
    return (Submission.objects.select_for_update(of=("self",))
            .select_related("period", "unit").get(pk=submission.pk))


def _shown_value(number, text, value_type: str) -> str:
    value = Answer.raw_value(number, text, value_type)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_answer_value(indicator: Indicator, raw) -> tuple[float | None, str]:
    """``(number, text)`` for a value typed by a reviewer or a unit for ``indicator``;
    raises ValidationError naming the indicator."""
    from .workbooks.values import (
        ValueProblem,
        parse_bool,
        parse_integer,
        parse_number,
        parse_percent,
        parse_text,
    )

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationError(_("Tiêu chí %(code)s: cần nhập giá trị.")
                              % {"code": indicator.code})
    try:
        kind = indicator.value_type
        if kind == ValueType.PERCENT:
            number = parse_percent(raw)
        elif kind == ValueType.INTEGER:
            number = float(parse_integer(raw))
        elif kind == ValueType.BOOLEAN:
            number = 1.0 if parse_bool(raw) else 0.0
        elif kind in (ValueType.CHOICE, ValueType.TEXT):
            return None, parse_text(raw, max_length=2000)
        else:
            number = parse_number(raw)
    except ValueProblem as exc:
        raise ValidationError(_("Tiêu chí %(code)s: %(problem)s")
                              % {"code": indicator.code, "problem": exc}) from exc
    if indicator.min_value is not None and number < indicator.min_value:
        raise ValidationError(_("Tiêu chí %(code)s: giá trị %(value)g nhỏ hơn mức tối thiểu "
                                "%(min)g.") % {"code": indicator.code, "value": number,
                                               "min": indicator.min_value})
    if indicator.max_value is not None and number > indicator.max_value:
        raise ValidationError(_("Tiêu chí %(code)s: giá trị %(value)g lớn hơn mức tối đa "
                                "%(max)g.") % {"code": indicator.code, "value": number,
                                               "max": indicator.max_value})
    return number, ""


def review_answer(*, answer: Answer, verdict: str, adjusted_value=None, comment: str = "",
                  reviewer) -> Answer:
    """Record the reviewer's verdict on one answer of a submitted (or resubmitted) return.

    ``adjusted`` needs a value and a comment; ``needs_info`` needs a comment. The change of
    verdict and of the adjusted value is kept as _Change(source="review").
    """
    comment = (comment or "").strip()
    if verdict not in (Answer.Verdict.ACCEPTED, Answer.Verdict.ADJUSTED,
                       Answer.Verdict.NEEDS_INFO):
        raise ValidationError(_("Kết quả thẩm định không hợp lệ: %(v)s.") % {"v": verdict})
    if verdict in (Answer.Verdict.ADJUSTED, Answer.Verdict.NEEDS_INFO) and not comment:
        raise ValidationError(_("Tiêu chí %(code)s: điều chỉnh hoặc yêu cầu bổ sung cần có ý "
                                "kiến thẩm định.") % {"code": answer.indicator.code})
    number, text = None, ""
    if verdict == Answer.Verdict.ADJUSTED:
        number, text = parse_answer_value(answer.indicator, adjusted_value)
    with transaction.atomic():
        submission = _review_locked(answer.submission)
        if submission.status not in REVIEWABLE:
            raise ValidationError(_("Phiếu của %(unit)s đang ở trạng thái '%(status)s': chỉ "
                                    "thẩm định phiếu đã nộp hoặc đã nộp lại.")
                                  % {"unit": submission.unit.code,
                                     "status": _status_label(submission.status)})
        locked = Answer.objects.select_related("indicator").get(pk=answer.pk)
        value_type = locked.indicator.value_type
        now = timezone.now()
        changes = []
        if locked.verdict != verdict:
            changes.append(_Change(answer=locked, field=_Change.Field.VERDICT,
                                        old=locked.verdict, new=verdict,
                                        source=_Change.Source.REVIEW, actor=reviewer,
                                        at=now))
        old_adjusted = (_shown_value(locked.adjusted_number, locked.adjusted_text, value_type)
                        if locked.verdict == Answer.Verdict.ADJUSTED else "")
        new_adjusted = (_shown_value(number, text, value_type)
                        if verdict == Answer.Verdict.ADJUSTED else "")
        if old_adjusted != new_adjusted:
            changes.append(_Change(answer=locked, field=_Change.Field.ADJUSTED,
                                        old=old_adjusted, new=new_adjusted,
                                        source=_Change.Source.REVIEW, actor=reviewer,
                                        at=now))
        locked.verdict = verdict
        locked.adjusted_number = number
        locked.adjusted_text = text
        locked.review_comment = comment
        locked.reviewed_by = reviewer
        locked.reviewed_at = now
        locked.save(update_fields=["verdict", "adjusted_number", "adjusted_text",
                                   "review_comment", "reviewed_by", "reviewed_at",
                                   "updated_at"])
        _Change.objects.bulk_create(changes)
    return locked


def _answers_of(submission: Submission, answers) -> list[Answer]:
    ids = {a.pk if isinstance(a, Answer) else int(a) for a in answers}
    found = list(Answer.objects.filter(submission=submission, pk__in=ids)
                 .select_related("indicator"))
    if len(found) != len(ids):
        raise ValidationError(_("Có câu trả lời không thuộc phiếu của %(unit)s.")
                              % {"unit": submission.unit.code})
    return found


def _send_back(*, submission: Submission, answers, message: str, reviewer, outcome: str,
               reopen: bool) -> Review:
    message = (message or "").strip()
    if not message:
        raise ValidationError(_("Cần có nội dung gửi đơn vị (lý do, các câu cần sửa)."))
    answer_ids = list(answers or [])
    if not answer_ids:
        raise ValidationError(_("Cần chọn ít nhất một câu trả lời để đơn vị sửa."))
    with transaction.atomic():
        locked = _review_locked(submission)
        expected = (Status.APPROVED,) if reopen else REVIEWABLE
        if locked.status not in expected:
            raise ValidationError(_("Không thể trả lại phiếu của %(unit)s ở trạng thái "
                                    "'%(status)s'.") % {"unit": locked.unit.code,
                                                       "status": _status_label(locked.status)})
        named = _answers_of(locked, answer_ids)
        transition_submission(submission=locked, to_status=Status.RETURNED, actor=reviewer,
                              message=message, reopen=reopen)
        Answer.objects.filter(submission=locked).update(open_for_correction=False)
        Answer.objects.filter(pk__in=[a.pk for a in named]).update(open_for_correction=True)
        review = Review.objects.create(submission=locked, outcome=outcome, message=message,
                                       reviewer=_actor(reviewer))
        review.answers.set(named)
        transaction.on_commit(lambda: _notifications.submission_returned(review))
    for name in ("status", "version", "submitted_at", "approved_at"):
        setattr(submission, name, getattr(locked, name))
    return review


def return_submission(*, submission: Submission, answers, message: str, reviewer) -> Review:
    """Send a submitted return back to the unit, opening only the named answers."""
    return _send_back(submission=submission, answers=answers, message=message,
                      reviewer=reviewer, outcome=Review.Outcome.RETURNED, reopen=False)


def reopen_submission(*, submission: Submission, reason: str, answers, reviewer) -> Review:
    """Reopen an approved return (explicitly, with a reason), opening the named answers."""
    return _send_back(submission=submission, answers=answers, message=reason,
                      reviewer=reviewer, outcome=Review.Outcome.REOPENED, reopen=True)


def _approval_blockers(submission: Submission) -> list[str]:
    pending = list(Answer.objects.filter(submission=submission,
                                         verdict=Answer.Verdict.NEEDS_INFO)
                   .values_list("indicator__code", flat=True))
    if pending:
        return [_("%(unit)s: các câu cần bổ sung chưa được giải quyết: %(codes)s.")
                % {"unit": submission.unit.code, "codes": ", ".join(pending)}]
    return []


def approve_submission(*, submission: Submission, reviewer, message: str = "") -> Review:
    """Approve (and lock) a submitted or resubmitted return. Answers not yet reviewed are
    accepted as given; an answer still marked "needs information" blocks approval."""
    with transaction.atomic():
        locked = _review_locked(submission)
        if locked.status not in REVIEWABLE:
            raise ValidationError(_("Không thể duyệt phiếu của %(unit)s ở trạng thái "
                                    "'%(status)s'.") % {"unit": locked.unit.code,
                                                       "status": _status_label(locked.status)})
        blockers = _approval_blockers(locked)
        if blockers:
            raise ValidationError(blockers)
        now = timezone.now()
        Answer.objects.filter(submission=locked, verdict=Answer.Verdict.PENDING).update(
            verdict=Answer.Verdict.ACCEPTED, reviewed_by=_actor(reviewer), reviewed_at=now)
        Answer.objects.filter(submission=locked).update(open_for_correction=False)
        transition_submission(submission=locked, to_status=Status.APPROVED, actor=reviewer,
                              message=message)
        review = Review.objects.create(submission=locked, outcome=Review.Outcome.APPROVED,
                                       message=(message or "").strip(),
                                       reviewer=_actor(reviewer), at=now)
        transaction.on_commit(lambda: _notifications.submission_approved(review))
    for name in ("status", "version", "submitted_at", "approved_at"):
        setattr(submission, name, getattr(locked, name))
    return review


def bulk_approve(*, submissions, reviewer) -> list[Review]:
    """Approve several clean returns at once: each must be submitted or resubmitted,
    complete, without an unchecked flag and without an answer needing information.
    Nothing is approved when one of them is not clean (the message names it)."""
    from .review_selectors import unclean_reasons

    submissions = list(submissions)
    if not submissions:
        raise ValidationError(_("Chưa chọn phiếu nào để duyệt."))
    with transaction.atomic():
        problems = unclean_reasons(submissions)
        if problems:
            raise ValidationError(problems)
        return [approve_submission(submission=s, reviewer=reviewer) for s in submissions]


def compute_flags(*, period: Period) -> dict[str, int]:
    """Recompute the period's data-quality flags (flags.py). A flag that still applies
    keeps its "checked" mark; one that no longer applies is removed."""
    from .flags import period_flags

    found = period_flags(period)
    with transaction.atomic():
        Period.objects.select_for_update().get(pk=period.pk)
        existing = {(f.answer_id, f.kind): f for f in
                    ReviewFlag.objects.filter(answer__submission__period=period)}
        wanted = {(row.answer_id, row.kind): row.message for row in found}
        stale = [f.pk for key, f in existing.items() if key not in wanted]
        ReviewFlag.objects.filter(pk__in=stale).delete()
        now = timezone.now()
        new, changed = [], []
        for key, text in wanted.items():
            flag = existing.get(key)
            if flag is None:
                new.append(ReviewFlag(answer_id=key[0], kind=key[1], message=text[:500],
                                      computed_at=now))
            elif flag.message != text[:500]:
                flag.message, flag.computed_at = text[:500], now
                changed.append(flag)
        ReviewFlag.objects.bulk_create(new, batch_size=1000)
        ReviewFlag.objects.bulk_update(changed, ["message", "computed_at"], batch_size=1000)
    return {"created": len(new), "removed": len(stale), "kept": len(wanted) - len(new)}


def check_flag(*, flag: ReviewFlag, reviewer, checked: bool = True) -> ReviewFlag:
    """Mark a flag as checked by the reviewer (or undo that)."""
    with transaction.atomic():
        locked = ReviewFlag.objects.select_for_update().get(pk=flag.pk)
        locked.checked_by = _actor(reviewer) if checked else None
        locked.checked_at = timezone.now() if checked else None
        locked.save(update_fields=["checked_by", "checked_at"])
    return locked


def appeal_open(period: Period, *, today: date | None = None) -> bool:
    """Whether units may file an appeal now: the period is published (or in appeal) and
    today is not after ``appeal_until``."""
    today = today or timezone.localdate()
    return (period.status in (Period.Status.PUBLISHED, Period.Status.APPEAL)
            and period.appeal_until is not None and today <= period.appeal_until)


def file_appeal(*, submission: Submission, items, message: str = "", user,
                today: date | None = None) -> Appeal:
    """A unit asks for re-examination of named answers after publication.

    ``items``: ``[{"answer": Answer|id, "requested_value": raw, "reason": str}, ...]``;
    every item needs a reason; the requested value is optional (checked by the indicator's
    type). One appeal at a time per submission.
    """
    items = list(items or [])
    if not items:
        raise ValidationError(_("Cần nêu ít nhất một câu trả lời đề nghị phúc khảo."))
    with transaction.atomic():
        locked = _review_locked(submission)
        if not appeal_open(locked.period, today=today):
            raise ValidationError(_("Kỳ %(code)s không trong thời hạn phúc khảo.")
                                  % {"code": locked.period.code})
        if locked.status != Status.APPROVED:
            raise ValidationError(_("Chỉ phúc khảo được phiếu đã duyệt."))
        if locked.appeals.filter(status=Appeal.Status.FILED).exists():
            raise ValidationError(_("Đơn vị đã có một đề nghị phúc khảo đang chờ giải quyết."))
        answers = {a.pk: a for a in _answers_of(locked, [i["answer"] for i in items])}
        rows, errors = [], []
        for item in items:
            answer_id = item["answer"].pk if isinstance(item["answer"], Answer) else int(
                item["answer"])
            answer = answers[answer_id]
            reason = (item.get("reason") or "").strip()
            if not reason:
                errors.append(_("Tiêu chí %(code)s: cần nêu lý do phúc khảo.")
                              % {"code": answer.indicator.code})
                continue
            number, text = None, ""
            raw = item.get("requested_value")
            if raw is not None and str(raw).strip():
                try:
                    number, text = parse_answer_value(answer.indicator, raw)
                except ValidationError as exc:
                    errors.extend(exc.messages)
                    continue
            rows.append(AppealItem(answer=answer, reason=reason, requested_number=number,
                                   requested_text=text))
        if errors:
            raise ValidationError(errors)
        appeal = Appeal.objects.create(submission=locked, filed_by=_actor(user),
                                       message=(message or "").strip())
        for row in rows:
            row.appeal = appeal
        AppealItem.objects.bulk_create(rows)
        if locked.period.status == Period.Status.PUBLISHED:
            Period.objects.filter(pk=locked.period_id).update(status=Period.Status.APPEAL)
        transaction.on_commit(lambda: _notifications.appeal_filed(appeal))
    return appeal


def decide_appeal_item(*, item: AppealItem, decision: str, reason: str, reviewer,
                       value=None) -> AppealItem:
    """Decide one appealed answer with a reason. Accepting changes the scored value: the
    answer becomes "adjusted" to ``value`` (default: the value the unit asked for), logged
    as _Change(source="appeal"). The appeal is decided once every item is."""
    reason = (reason or "").strip()
    if decision not in (AppealItem.Decision.ACCEPTED, AppealItem.Decision.REJECTED):
        raise ValidationError(_("Quyết định không hợp lệ: %(d)s.") % {"d": decision})
    if not reason:
        raise ValidationError(_("Quyết định phúc khảo cần có lý do."))
    with transaction.atomic():
        locked = (AppealItem.objects.select_for_update(of=("self",))
                  .select_related("appeal", "answer__indicator").get(pk=item.pk))
        if locked.decision:
            raise ValidationError(_("Nội dung phúc khảo này đã được quyết định."))
        answer = locked.answer
        indicator = answer.indicator
        if decision == AppealItem.Decision.ACCEPTED:
            if value is not None and str(value).strip():
                number, text = parse_answer_value(indicator, value)
            elif locked.requested_number is not None or locked.requested_text:
                number, text = locked.requested_number, locked.requested_text
            else:
                raise ValidationError(_("Tiêu chí %(code)s: chấp nhận phúc khảo cần giá trị "
                                        "mới.") % {"code": indicator.code})
            now = timezone.now()
            old = _shown_value(*((answer.adjusted_number, answer.adjusted_text)
                                 if answer.verdict == Answer.Verdict.ADJUSTED
                                 else (answer.value_number, answer.value_text)),
                               indicator.value_type)
            new = _shown_value(number, text, indicator.value_type)
            locked.old_value = old
            _Change.objects.create(answer=answer, field=_Change.Field.ADJUSTED,
                                        old=old, new=new, source=_Change.Source.APPEAL,
                                        actor=_actor(reviewer), at=now)
            answer.verdict = Answer.Verdict.ADJUSTED
            answer.adjusted_number, answer.adjusted_text = number, text
            answer.review_comment = reason
            answer.reviewed_by, answer.reviewed_at = _actor(reviewer), now
            answer.save(update_fields=["verdict", "adjusted_number", "adjusted_text",
                                       "review_comment", "reviewed_by", "reviewed_at",
                                       "updated_at"])
        locked.decision = decision
        locked.decision_reason = reason
        locked.decided_by = _actor(reviewer)
        locked.decided_at = timezone.now()
        locked.save(update_fields=["old_value", "decision", "decision_reason", "decided_by",
                                   "decided_at"])
        appeal = locked.appeal
        if not appeal.items.filter(decision=AppealItem.Decision.PENDING).exists():
            appeal.status = Appeal.Status.DECIDED
            appeal.decided_at = timezone.now()
            appeal.save(update_fields=["status", "decided_at"])
            transaction.on_commit(lambda: _notifications.appeal_decided(appeal))
    return locked


def publish_results(*, snapshot, reviewer, note: str = ""):
    """Publish a computed snapshot (rankings.services.publish_snapshot) and tell the units.
    Publishing after an appeal ends the appeal stage of the period."""
    from rankings.services import publish_snapshot

    with transaction.atomic():
        published = publish_snapshot(snapshot=snapshot, actor=_actor(reviewer), note=note)
        transaction.on_commit(lambda: _notifications.results_published(published))
    return published

def notify_deadlines(*, days: int, today: date | None = None) -> list[dict]:
    """E-mail the staff of every unit that has not handed in its return for an open period
    whose deadline for the unit (with its extension) is within ``days`` days (0 = today).
    Returns one entry per unit reminded: period, unit, deadline, days_left, sent."""
    if days < 0:
        raise ValidationError(_("Số ngày phải từ 0 trở lên."))
    from datetime import timedelta

    today = today or timezone.localdate()
    reminded = []
    periods = Period.objects.filter(status=Period.Status.OPEN).prefetch_related("cohorts")
    for period in periods:
        extensions = dict(period.extensions.values_list("unit_id", "until"))
        handed_in = set(period.submissions.exclude(
            status__in=[Status.DRAFT, Status.RETURNED]).values_list("unit_id", flat=True))
        for unit in Unit.objects.filter(active=True, cohort__in=period.cohorts.all()):
            deadline = period.deadline
            if unit.pk in extensions and (deadline is None or extensions[unit.pk] > deadline):
                deadline = extensions[unit.pk]
            if deadline is None or unit.pk in handed_in:
                continue
            if today <= deadline <= today + timedelta(days=days):
                left = (deadline - today).days
                sent = _notifications.deadline_approaching(period, unit, deadline, left)
                reminded.append({"period": period.code, "unit": unit.code,
                                 "deadline": deadline, "days_left": left, "sent": sent})
    return reminded


# --- end of Review (ICT office) -----------------------------------------------------------


# --- Unit returns (web form) -------------------------------------------------------------
# Unit staff fill in their own return on the web (issue 3): answers saved with optimistic
# concurrency on Submission.version and recorded as AnswerChange, submit/recall, evidence,
# and the one-unit Excel round trip. Values are parsed by the import's parser.

from .models import AnswerChange, EvidenceFile  # noqa: E402


class SubmissionConflict(ValidationError):
    """A save based on an older version of the submission: nothing was written.

    ``changes`` lists what others changed meanwhile: dicts with ``code``, ``name``,
    ``field``, ``old`` (what the user started from), ``theirs`` (stored now) and
    ``yours`` (what the user sent)."""

    def __init__(self, changes: list[dict], version: int):
        self.changes = changes
        self.version = version
        super().__init__(_("Phiếu đã được người khác lưu trong khi bạn đang sửa: chưa lưu gì. "
                           "Hãy xem các thay đổi bên dưới rồi lưu lại."), code="conflict")


@dataclass
class SaveResult:
    version: int
    changed: int
    changes: list[dict] = field(default_factory=list)


def indicator_options(indicator: Indicator) -> dict[str, str] | None:
    """Option codes of a choice indicator (from its choice rule's params), else None."""
    if indicator.value_type == "choice" and indicator.rule == "choice" and indicator.params.strip():
        return parse_params(indicator.params)
    return None


def form_indicators(submission: Submission) -> list[Indicator]:
    """The indicators of the submission's framework that apply to its unit's cohort."""
    cohort = submission.unit.cohort.code
    return [i for i in Indicator.objects.filter(framework_id=submission.period.framework_id)
            .select_related("group").order_by("order", "code") if i.applies_to_cohort(cohort)]


def answer_text(number, text, value_type: str) -> str:
    """An answer's value as recorded in its history (``""`` when missing)."""
    if value_type in ("choice", "text"):
        return text or ""
    if number is None:
        return ""
    if value_type == "boolean":
        return str(_("Có") if number else _("Không"))
    return f"{number:.10g}"


def parse_answer_for(indicator: Indicator, raw) -> tuple[float | None, str]:
    """``raw`` (a form field or a cell) parsed as the import parses it."""
    from .workbooks.values import parse_answer

    return parse_answer(raw, value_type=indicator.value_type, options=indicator_options(indicator),
                        minimum=indicator.min_value, maximum=indicator.max_value)


def _lock_for_unit(submission: Submission, actor) -> Submission:
    from . import access

    locked = (Submission.objects.select_for_update(of=("self",))
              .select_related("period", "unit", "unit__cohort").get(pk=submission.pk))
    if not access.can_edit_submission(actor, locked):
        raise ValidationError(_("Phiếu này không còn sửa được (đã nộp, đã hết hạn hoặc không "
                                "thuộc đơn vị của bạn)."), code="locked")
    return locked


def _meanwhile(locked: Submission, indicators: dict[str, Indicator], answers: dict[int, Answer],
               sent: dict[str, tuple], original: dict[str, tuple] | None) -> list[dict]:
    """What differs between the user's starting point and the stored answers."""
    changes = []
    for code, indicator in indicators.items():
        answer = answers.get(indicator.id)
        theirs = ((answer.value_number, answer.value_text, answer.explanation) if answer
                  else (None, "", ""))
        start = original.get(code) if original is not None else None
        yours = sent.get(code)
        if start is None and yours is None:
            continue
        for index, name in ((0, AnswerChange.Field.VALUE), (2, AnswerChange.Field.EXPLANATION)):
            def show(v, index=index, value_type=indicator.value_type):
                if not v:
                    return ""
                return answer_text(v[0], v[1], value_type) if index == 0 else (v[2] or "")
            if start is not None:
                if show(start) == show(theirs):
                    continue
            elif yours is None or show(yours) == show(theirs):
                continue
            changes.append({"code": code, "name": indicator.name, "field": name,
                            "field_label": str(AnswerChange.Field(name).label),
                            "old": show(start), "theirs": show(theirs),
                            "yours": show(yours) if yours is not None else show(start)})
    return changes


def _write_answers(locked: Submission, indicators: dict[str, Indicator],
                   values: dict[str, tuple], *, actor, source: str) -> list[dict]:
    """Store ``values`` (code -> (number, text, explanation or None)) and their history."""
    now = timezone.now()
    answers = {a.indicator_id: a for a in Answer.objects.filter(submission=locked)}
    changes, history, new, changed = [], [], [], []
    for code, (number, text, explanation) in values.items():
        indicator = indicators[code]
        answer = answers.get(indicator.id)
        if answer is None:
            if number is None and not text and not explanation:
                continue
            answer = Answer(submission=locked, indicator=indicator)
            new.append(answer)
        elif answer.pk:
            changed.append(answer)
        old_value = answer_text(answer.value_number, answer.value_text, indicator.value_type)
        new_value = answer_text(number, text, indicator.value_type)
        touched = False
        if old_value != new_value or (answer.value_number, answer.value_text) != (number, text):
            if old_value != new_value:
                history.append((answer, AnswerChange.Field.VALUE, old_value, new_value))
                changes.append({"code": code, "field": "value", "old": old_value,
                                "new": new_value})
            answer.value_number, answer.value_text = number, text
            touched = True
        if explanation is not None and explanation != answer.explanation:
            history.append((answer, AnswerChange.Field.EXPLANATION, answer.explanation,
                            explanation))
            changes.append({"code": code, "field": "explanation", "old": answer.explanation,
                            "new": explanation})
            answer.explanation = explanation
            touched = True
        if not touched and answer in changed:
            changed.remove(answer)
        if not touched and answer in new:
            new.remove(answer)
    if not history:
        return []
    Answer.objects.bulk_create(new)
    # One INSERT ... ON CONFLICT DO UPDATE for the changed answers (as the import does): far
    # faster than an UPDATE with a CASE per field for a hundred rows.
    Answer.objects.bulk_create(
        [Answer(submission=locked, indicator_id=a.indicator_id, value_number=a.value_number,
                value_text=a.value_text, explanation=a.explanation, updated_at=now)
         for a in changed],
        update_conflicts=True, unique_fields=["submission", "indicator"],
        update_fields=["value_number", "value_text", "explanation", "updated_at"])
    AnswerChange.objects.bulk_create(
        AnswerChange(answer=answer, field=name, old=old[:2000], new=new_[:2000], source=source,
                     actor=_actor(actor), at=now)
        for answer, name, old, new_ in history)
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    return changes


def editable_codes(locked: Submission, indicators: dict[str, Indicator],
                    answers: dict[int, Answer]) -> set[str]:
    """Codes the unit may change: all but derived ones; of a returned submission only the
    answers the reviewer opened."""
    codes = {code for code, i in indicators.items() if not i.is_derived}
    if locked.status == Status.RETURNED:
        codes = {code for code in codes if (answers.get(indicators[code].id) is not None
                                            and answers[indicators[code].id].open_for_correction)}
    return codes


def save_answers(*, submission: Submission, data: dict, actor, expected_version: int,
                 original: dict | None = None, source: str = "form") -> SaveResult:
    """Save the unit's answers: ``data`` maps an indicator code to ``{"value": raw,
    "explanation": text}`` (either key may be absent: left as it is).

    Every value is parsed as the workbook import parses it; any error (``ValidationError``
    keyed by indicator code) writes nothing. ``expected_version`` is the submission's
    version the user started from: if someone saved since, :class:`SubmissionConflict` is
    raised (``original``: the values the user started from, code -> same dict) and nothing
    is overwritten. Every change is recorded as an :class:`AnswerChange`.
    """
    with transaction.atomic():
        locked = _lock_for_unit(submission, actor)
        indicators = {i.code: i for i in form_indicators(locked)}
        answers = {a.indicator_id: a for a in Answer.objects.filter(submission=locked)}
        editable = editable_codes(locked, indicators, answers)
        errors: dict[str, list[str]] = {}
        values: dict[str, tuple] = {}
        for code, item in data.items():
            indicator = indicators.get(code)
            if indicator is None:
                errors.setdefault(code, []).append(
                    _("Tiêu chí %(code)s không có trong phiếu này.") % {"code": code})
                continue
            answer = answers.get(indicator.id)
            stored = ((answer.value_number, answer.value_text, answer.explanation) if answer
                      else (None, "", ""))
            number, text = stored[0], stored[1]
            if "value" in item:
                try:
                    number, text = parse_answer_for(indicator, item["value"])
                except ValueError as problem:
                    message = str(getattr(problem, "message", problem))
                    errors.setdefault(code, []).append(message[:1].upper() + message[1:])
                    continue
            explanation = item.get("explanation")
            if explanation is not None:
                explanation = str(explanation).strip()
            new = (number, text, stored[2] if explanation is None else explanation)
            if new != stored and code not in editable:
                errors.setdefault(code, []).append(
                    _("Tiêu chí này không mở để sửa.") if not indicator.is_derived
                    else _("Tiêu chí này được tính tự động, không nhập."))
                continue
            values[code] = (number, text, explanation)
        if errors:
            raise ValidationError(errors)
        if locked.version != expected_version:
            sent = {code: (v[0], v[1], v[2]) for code, v in values.items()}
            start = None
            if original is not None:
                start = {}
                for code, item in original.items():
                    indicator = indicators.get(code)
                    if indicator is None:
                        continue
                    try:
                        number, text = parse_answer_for(indicator, item.get("value"))
                    except ValueError:
                        number, text = None, str(item.get("value") or "")
                    start[code] = (number, text, str(item.get("explanation") or "").strip())
            raise SubmissionConflict(_meanwhile(locked, indicators, answers, sent, start),
                                     locked.version)
        changes = _write_answers(locked, indicators, values, actor=actor, source=source)
    submission.version = locked.version
    return SaveResult(version=locked.version, changed=len(changes), changes=changes)


def submission_problems(submission: Submission) -> list[tuple[str, str]]:
    """Why the submission cannot be submitted yet: (indicator code, message) pairs."""
    indicators = [i for i in form_indicators(submission) if not i.is_derived]
    answers = {a.indicator_id: a for a in Answer.objects.filter(submission=submission)
               .select_related("indicator").prefetch_related("evidence")}
    problems = []
    for indicator in indicators:
        answer = answers.get(indicator.id)
        value = answer.value if answer else None
        if indicator.required and value is None:
            problems.append((indicator.code, str(_("Chưa nhập giá trị (bắt buộc)."))))
        if indicator.evidence_required and value is not None:
            has_evidence = bool(answer and list(answer.evidence.all()))
            if not has_evidence and not (answer and answer.explanation.strip()):
                problems.append((indicator.code, str(_(
                    "Cần tài liệu kiểm chứng; nếu chưa có, hãy ghi giải trình."))))
    return problems


def submit_submission(*, submission: Submission, actor, expected_version: int | None = None
                      ) -> Submission:
    """Send the unit's return to the office: only when every required answer is given and
    evidence (or an explanation) is there where the indicator asks for evidence."""
    with transaction.atomic():
        locked = _lock_for_unit(submission, actor)
        if expected_version is not None and locked.version != expected_version:
            raise SubmissionConflict([], locked.version)
        problems = submission_problems(locked)
        if problems:
            raise ValidationError({code: [message] for code, message in problems})
        to_status = Status.RESUBMITTED if locked.status == Status.RETURNED else Status.SUBMITTED
        transition_submission(submission=locked, to_status=to_status, actor=actor)
    for name in ("status", "submitted_at", "version", "updated_at"):
        setattr(submission, name, getattr(locked, name))
    return submission


def recall_submission(*, submission: Submission, actor) -> Submission:
    """Take a submitted return back to draft, before the unit's deadline."""
    from . import access

    with transaction.atomic():
        locked = (Submission.objects.select_for_update(of=("self",))
                  .select_related("period", "unit").get(pk=submission.pk))
        if not access.can_recall_submission(actor, locked):
            raise ValidationError(_("Không thể rút lại phiếu: phiếu chưa nộp, đã được thẩm định "
                                    "hoặc đã quá hạn nộp."), code="recall")
        transition_submission(submission=locked, to_status=Status.DRAFT, actor=actor,
                              message=str(_("Đơn vị rút lại phiếu để sửa.")))
    for name in ("status", "version", "updated_at"):
        setattr(submission, name, getattr(locked, name))
    return submission


def start_submission(*, period: Period, unit: Unit, actor) -> Submission:
    """The unit's return for ``period``, created as a draft when it does not exist yet."""
    from . import access

    if not access.periods_for_unit(unit).filter(pk=period.pk).exists():
        raise ValidationError(_("Đơn vị không tham gia kỳ đánh giá này."))
    with transaction.atomic():
        # Two staff of the unit pressing "start" at once: the second waits here for the
        # first, then finds its return (the period's lock is the one imports take too).
        Period.objects.select_for_update(of=("self",)).filter(pk=period.pk).first()
        submission = Submission.objects.filter(period=period, unit=unit).first()
        if submission is not None:
            return submission
        if not access.can_start_submission(unit, period):
            raise ValidationError(_("Kỳ đánh giá không còn nhận báo cáo."))
        submission = Submission.objects.create(period=period, unit=unit, status=Status.DRAFT)
        SubmissionTransition.objects.create(submission=submission, from_status="",
                                            to_status=Status.DRAFT, actor=_actor(actor))
    return submission


def attach_evidence(*, submission: Submission, indicator_code: str, upload, actor,
                    document_number: str = "", document_date: date | None = None,
                    issuer: str = "") -> EvidenceFile:
    """Attach a file to the answer of ``indicator_code`` (created empty if needed), stored
    once per content hash, with its citation."""
    from .evidence import store_blob

    with transaction.atomic():
        locked = _lock_for_unit(submission, actor)
        indicator = {i.code: i for i in form_indicators(locked)}.get(indicator_code)
        if indicator is None or indicator.is_derived:
            raise ValidationError(_("Tiêu chí %(code)s không nhận tài liệu.")
                                  % {"code": indicator_code})
        answer = Answer.objects.filter(submission=locked, indicator=indicator).first()
        if locked.status == Status.RETURNED and not (answer and answer.open_for_correction):
            raise ValidationError(_("Tiêu chí này không mở để sửa."))
        blob = store_blob(upload)
        if answer is None:
            answer = Answer.objects.create(submission=locked, indicator=indicator)
        evidence = EvidenceFile.objects.create(
            answer=answer, blob=blob, original_name=(getattr(upload, "name", "") or "tep")[:255],
            document_number=(document_number or "").strip()[:100], document_date=document_date,
            issuer=(issuer or "").strip()[:255], uploaded_by=_actor(actor))
        AnswerChange.objects.create(answer=answer, field=AnswerChange.Field.EVIDENCE, old="",
                                    new=evidence.original_name, actor=_actor(actor))
    return evidence


def remove_evidence(*, evidence: EvidenceFile, actor) -> None:
    """Detach a file from its answer (the stored bytes stay while another answer uses them)."""
    with transaction.atomic():
        submission = evidence.answer.submission
        locked = _lock_for_unit(submission, actor)
        answer = evidence.answer
        if locked.status == Status.RETURNED and not answer.open_for_correction:
            raise ValidationError(_("Tiêu chí này không mở để sửa."))
        AnswerChange.objects.create(answer=answer, field=AnswerChange.Field.EVIDENCE,
                                    old=evidence.original_name, new="", actor=_actor(actor))
        evidence.delete()


@dataclass
class WorkbookPlan:
    """What a unit's workbook would change: dicts with code, name, old, new."""

    changes: list[dict]
    warnings: list
    sha256: str
    applied: bool = False


def apply_unit_workbook(*, submission: Submission, source, actor, expected_version: int,
                        file_name: str | None = None, dry_run: bool = False) -> WorkbookPlan:
    """Read a returns workbook for the submission's unit only (a row of another unit is an
    error naming its cell), list the differences against the saved answers, and with
    ``dry_run=False`` apply all of them or none. A change to an answer the unit may not
    change (a returned submission opens only the answers the reviewer named; derived
    indicators are computed) is an error naming its cell, row and indicator."""
    from .workbooks.errors import cell_name
    from .workbooks.returns import WIDE

    book = open_workbook(source, file_name=file_name)
    problems = Problems(book.file_name)
    with transaction.atomic():
        locked = _lock_for_unit(submission, actor)
        unit = locked.unit
        indicators = {i.code: i for i in form_indicators(locked)}
        all_indicators = _indicator_infos(locked.period.framework)
        units = {u.code: UnitInfo(u.id, u.code, u.name, u.cohort.code)
                 for u in Unit.objects.select_related("cohort")}
        cohorts = set(locked.period.cohorts.values_list("code", flat=True))
        parsed = read_returns(book, problems, indicators=all_indicators, units=units,
                              cohorts=cohorts)
        if parsed is not None:
            for code, row in parsed.unit_rows.items():
                if code != unit.code:
                    row.error("unit_code", code, _(
                        "dòng của đơn vị khác (%(code)s): tệp này chỉ được chứa dòng của đơn vị "
                        "%(own)s.") % {"code": code, "own": unit.code})
            if unit.code not in parsed.unit_rows and not problems.errors:
                problems.error(parsed.sheet, "", unit.code, _(
                    "không có dòng nào của đơn vị %(own)s.") % {"own": unit.code})
        problems.check()
        answers = {a.indicator_id: a for a in Answer.objects.filter(submission=locked)}
        editable = editable_codes(locked, indicators, answers)
        values, changes = {}, []
        for value in parsed.values:
            indicator = indicators[value.indicator.code]
            answer = answers.get(indicator.id)
            old = answer_text(answer.value_number, answer.value_text, indicator.value_type) if (
                answer) else ""
            new = answer_text(value.number, value.text, indicator.value_type)
            old_explanation = answer.explanation if answer else ""
            explanation_changed = (value.explanation is not None
                                   and value.explanation != old_explanation)
            if old == new and not explanation_changed:
                continue
            if indicator.code not in editable:
                row = parsed.unit_rows[unit.code]
                facts = {"code": indicator.code, "name": indicator.name, "row": row.number,
                         "old": old or "–", "new": new or "–"}
                if indicator.is_derived:
                    message = _("dòng %(row)d, tiêu chí %(code)s “%(name)s”: tiêu chí này được "
                                "tính tự động, không nhập.") % facts
                else:
                    message = _("dòng %(row)d, tiêu chí %(code)s “%(name)s”: câu trả lời này "
                                "không mở để sửa (phiếu được trả lại chỉ mở các câu cán bộ "
                                "thẩm định nêu); đã lưu %(old)s, trong tệp %(new)s.") % facts
                index = next((i for header, i in getattr(row.table, "extra", {}).items()
                              if str(header).strip().casefold() == indicator.code.casefold()),
                             None) if parsed.layout == WIDE else None
                # the indicator's own cell in the unit's row (wide layout)
                problems.error(parsed.sheet, "" if index is None else cell_name(
                    row.number, index), indicator.code, message)
                continue
            values[indicator.code] = (value.number, value.text, value.explanation)
            changes.append({"code": indicator.code, "name": indicator.name, "old": old,
                            "new": new})
        problems.check()
        plan = WorkbookPlan(changes=changes, warnings=problems.warnings, sha256=book.sha256)
        if dry_run:
            return plan
        if locked.version != expected_version:
            raise SubmissionConflict([], locked.version)
        _write_answers(locked, indicators, values, actor=actor, source=AnswerChange.Source.WORKBOOK)
        plan.applied = True
    submission.version = locked.version
    return plan


def preview_points(*, submission: Submission, values: dict[str, object]) -> dict:
    """Points each answer, each group and the total would earn, computed by the scoring
    engine for this one unit alone (``values``: code -> typed value). Relative rules
    (minmax, zscore) and rescaled groups depend on the other units: they are named in
    ``relative`` and their points are not meaningful alone."""
    import pandas as pd

    from rankings.engine import compute
    from rankings.engine.spec import RELATIVE_RULES

    spec = framework_spec(submission.period.framework)
    unit_code, cohort = submission.unit.code, submission.unit.cohort.code
    units = pd.DataFrame([(unit_code, cohort)], columns=["unit_code", "cohort"], dtype=object)
    rows = [(unit_code, code, value) for code, value in values.items() if value is not None]
    frame = pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"], dtype=object)
    result = compute(spec, units, frame)
    relative = sorted({i.code for i in spec.indicators if i.rule in RELATIVE_RULES}
                      | {g.code for g in spec.groups if g.rescale})

    def number(x):
        return None if x is None or pd.isna(x) else float(x)

    indicators = {}
    for row in result.indicators.itertuples(index=False):
        value = row.value
        if isinstance(value, float) and pd.isna(value):
            value = None
        indicators[row.indicator_code] = {"points": number(row.points),
                                          "max_points": number(row.max_points),
                                          "value": value}
    groups = {row.group_code: {"score": number(row.score), "max_score": number(row.max_score),
                               "parent": row.parent}
              for row in result.groups.itertuples(index=False)}
    total = None
    if len(result.units):
        first = result.units.iloc[0]
        total = {"score": number(first["score"]), "max_score": number(first["max_score"]),
                 "band": first["band"] if isinstance(first["band"], str) else ""}
    return {"indicators": indicators, "groups": groups, "total": total, "relative": relative}
# --- end of Unit returns (web form) -------------------------------------------------------
