"""Load the demo through the portal's own services: what ``manage.py load_demo`` runs.

Idempotent: every step is skipped when its result is already there (units unchanged,
framework or period existing, period already with returns or a public result, account
existing), and the whole load is one transaction, so a failure leaves nothing behind.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from rankings.models import RankingSnapshot
from rankings.services import compute_snapshot, publish_snapshot

from ..models import Framework, Period, Unit, User
from ..services import create_period, import_framework, import_returns, import_units
from .plan import (
    DEMO_PASSWORD,
    FIXTURES,
    FRAMEWORK_FILES,
    OPEN,
    OPEN_DAYS_AFTER,
    OPEN_DAYS_BEFORE,
    PUBLISHED,
    UNITS_FILE,
    DemoPeriod,
)
from .units import UNITS


@dataclass
class LoadReport:
    """What the load did; ``done`` lists the steps taken, in order (empty: nothing to do)."""

    done: list[str] = field(default_factory=list)

    def step(self, text: str) -> None:
        self.done.append(text)


def load_demo(*, today: datetime.date | None = None) -> LoadReport:
    """Create the demo accounts, import the workbooks, compute and publish the results."""
    report = LoadReport()
    today = today or timezone.localdate()
    with transaction.atomic():
        admin = _staff_accounts(report)
        _units(report, admin)
        _unit_accounts(report)
        for code, file_name in FRAMEWORK_FILES.items():
            if not Framework.objects.filter(code=code).exists():
                import_framework(source=FIXTURES / file_name, actor=admin)
                report.step(_("bộ tiêu chí %(code)s") % {"code": code})
        for plan in PUBLISHED:
            _published_period(report, plan, admin)
        if not Period.objects.filter(code=OPEN.code).exists():
            _create_period(OPEN, opens_on=today - datetime.timedelta(days=OPEN_DAYS_BEFORE),
                           deadline=today + datetime.timedelta(days=OPEN_DAYS_AFTER))
            report.step(_("kỳ %(code)s đang mở") % {"code": OPEN.code})
    return report


def _units(report: LoadReport, admin: User) -> None:
    """Import the units workbook unless a dry run says it would change nothing."""
    source = FIXTURES / UNITS_FILE
    preview = import_units(source=source, dry_run=True)
    counts = preview.counts
    if any(counts[key] for key in ("cohorts_created", "cohorts_updated", "units_created",
                                   "units_updated")):
        import_units(source=source, actor=admin)
        report.step(_("%(created)d đơn vị mới, %(updated)d cập nhật")
                    % {"created": counts["units_created"], "updated": counts["units_updated"]})


def _create_period(plan: DemoPeriod, **dates) -> Period:
    previous = Period.objects.get(code=plan.previous) if plan.previous else None
    return create_period(code=plan.code, name=plan.name,
                         framework=Framework.objects.get(code=plan.framework),
                         cohorts=plan.cohorts, previous=previous, **dates)


def _published_period(report: LoadReport, plan: DemoPeriod, admin: User) -> None:
    period = Period.objects.filter(code=plan.code).first()
    if period is None:
        period = _create_period(plan, opens_on=plan.opens_on, deadline=plan.deadline)
        report.step(_("kỳ %(code)s") % {"code": plan.code})
    if not period.submissions.exists():
        import_returns(period=period, source=FIXTURES / plan.returns, approve=True, actor=admin)
        report.step(_("báo cáo %(code)s") % {"code": plan.code})
    if not RankingSnapshot.objects.filter(period=period, is_public=True).exists():
        snapshot = compute_snapshot(period=period, actor=admin)
        publish_snapshot(snapshot=snapshot, actor=admin, note="Dữ liệu minh hoạ (demo).")
        if plan.published_on:
            # Demo only: date the publication as the real report was dated.
            when = datetime.datetime.combine(plan.published_on, datetime.time(9, 0),
                                             tzinfo=timezone.get_current_timezone())
            RankingSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=when,
                                                                  published_at=when)
        report.step(_("công bố %(code)s") % {"code": plan.code})


def _add_accounts(report: LoadReport, users: list[User], what) -> None:
    """Create the ``users`` that do not exist yet, all with the demo password (hashed once:
    hashing it for each of the hundred-odd accounts would take most of the load's time).
    ``what`` says what they are, a message with ``%(n)d`` for their number."""
    existing = set(User.objects.filter(username__in=[u.username for u in users])
                   .values_list("username", flat=True))
    new = [user for user in users if user.username not in existing]
    if new:
        password = make_password(DEMO_PASSWORD)
        for user in new:
            user.password = password
        User.objects.bulk_create(new)
        report.step(what % {"n": len(new)})


def _staff_accounts(report: LoadReport) -> User:
    """``admin`` (superuser) and ``reviewer``; returns the admin, the actor of the load."""
    _add_accounts(report, [
        User(username="admin", role=User.Role.ADMIN, is_superuser=True, is_staff=True,
             first_name="Quản trị", last_name="hệ thống"),
        User(username="reviewer", role=User.Role.REVIEWER, first_name="Cán bộ",
             last_name="thẩm định"),
    ], ngettext_lazy("%(n)d tài khoản quản trị, thẩm định", "%(n)d tài khoản quản trị, thẩm định",
                     "n"))
    return User.objects.get(username="admin")


def _unit_accounts(report: LoadReport) -> None:
    """One unit staff account per demo unit: the unit code in lower case."""
    units = Unit.objects.filter(code__in=[unit.code for unit in UNITS]).order_by("code")
    _add_accounts(report, [
        User(username=unit.code.lower(), role=User.Role.UNIT_STAFF, unit=unit,
             first_name="Cán bộ", last_name=unit.name[:150])
        for unit in units
    ], ngettext_lazy("%(n)d tài khoản cán bộ đơn vị", "%(n)d tài khoản cán bộ đơn vị", "n"))
