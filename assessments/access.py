"""Who may see and change what: the one place where roles and unit scoping are decided.

Every private view, download and admin-like page asks here. A unit's staff see only their
own unit; reviewers and admins see every unit. Asking for something that exists but is not
yours gives the same 404 as asking for something that does not exist, so ids reveal
nothing.
"""

from __future__ import annotations

import datetime
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Answer, EvidenceFile, Period, Submission, Unit, User

EDITABLE_BY_UNIT = {Submission.Status.DRAFT, Submission.Status.RETURNED}


def is_reviewer(user) -> bool:
    """The provincial ICT office (and admins)."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_superuser or user.role in {User.Role.REVIEWER, User.Role.ADMIN}))


def is_portal_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active
                and (user.is_superuser or user.role == User.Role.ADMIN))


def staff_unit(user) -> Unit | None:
    """The unit a unit-staff account is bound to (None for everybody else)."""
    if not (user.is_authenticated and user.is_active) or user.role != User.Role.UNIT_STAFF:
        return None
    return user.unit


# --- scoped querysets -------------------------------------------------------------------------

def submissions_visible_to(user) -> QuerySet[Submission]:
    submissions = Submission.objects.select_related("period", "unit", "unit__cohort")
    if is_reviewer(user):
        return submissions
    unit = staff_unit(user)
    if unit is None:
        return submissions.none()
    return submissions.filter(unit=unit)


def answers_visible_to(user) -> QuerySet[Answer]:
    return Answer.objects.filter(submission__in=submissions_visible_to(user))


def evidence_visible_to(user) -> QuerySet[EvidenceFile]:
    return EvidenceFile.objects.filter(answer__in=answers_visible_to(user))


def periods_for_unit(unit: Unit) -> QuerySet[Period]:
    """Periods the unit takes part in and that are past the draft stage."""
    return (Period.objects.filter(cohorts=unit.cohort)
            .exclude(status=Period.Status.DRAFT).distinct())


# --- objects ----------------------------------------------------------------------------------

def get_submission_for(user, pk) -> Submission:
    """The submission if ``user`` may read it, else 404 (whether or not it exists)."""
    try:
        return submissions_visible_to(user).get(pk=pk)
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Không tìm thấy phiếu báo cáo.")) from None


def get_answer_for(user, pk) -> Answer:
    try:
        return answers_visible_to(user).select_related("submission", "indicator").get(pk=pk)
    except (Answer.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Không tìm thấy câu trả lời.")) from None


def get_evidence_for(user, pk) -> EvidenceFile:
    try:
        return evidence_visible_to(user).select_related("blob", "answer__submission").get(pk=pk)
    except (EvidenceFile.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Không tìm thấy tài liệu.")) from None


def unit_may_edit(submission: Submission, *, today: datetime.date | None = None) -> bool:
    """Whether the unit may still change the submission: its status lets it, the period is
    open (or closed, for a returned submission or a unit with an extension), and the
    unit's deadline (with any extension) has not passed."""
    if submission.status not in EDITABLE_BY_UNIT:
        return False
    period = submission.period
    if period.status not in {Period.Status.OPEN, Period.Status.CLOSED}:
        return False
    today = today or timezone.localdate()
    deadline = period.deadline_for(submission.unit)
    if submission.status == Submission.Status.RETURNED:
        return True  # sent back by the office: the unit answers whatever the deadline
    if period.status == Period.Status.CLOSED and deadline == period.deadline:
        return False
    return deadline is None or today <= deadline


def can_edit_submission(user, submission: Submission, *,
                        today: datetime.date | None = None) -> bool:
    unit = staff_unit(user)
    return unit is not None and unit.pk == submission.unit_id and unit_may_edit(
        submission, today=today)


def can_edit_answer(user, answer: Answer, *, today: datetime.date | None = None) -> bool:
    """A returned submission opens only the answers the reviewer named."""
    submission = answer.submission
    if not can_edit_submission(user, submission, today=today):
        return False
    return submission.status != Submission.Status.RETURNED or answer.open_for_correction


# --- the admin site ---------------------------------------------------------------------------

def may_use_admin_site(request) -> bool:
    """The Django admin belongs to the portal's admins (domain.md: they manage cohorts, units,
    users, frameworks, periods). Django's own "staff status" flag is not enough: ticked by
    mistake for a reviewer or a unit's staff, with view permissions, it would show them every
    unit's answers, evidence and the user list."""
    return is_portal_admin(request.user)


def guard_admin_site(site) -> None:
    """Make ``site`` refuse everybody :func:`may_use_admin_site` refuses, on top of its own
    check (kept, and looked up on the site's class at each request, so a site class that
    adds a second factor still has its say). Called once from ``AssessmentsConfig.ready``."""
    from django.utils.functional import empty

    if getattr(site, "_wrapped", None) is empty:  # the default site is a lazy object
        site._setup()
    real = getattr(site, "_wrapped", site)
    if getattr(real, "_portal_guarded", False):
        return

    def has_permission(request):
        return type(real).has_permission(real, request) and may_use_admin_site(request)

    real.has_permission = has_permission
    real._portal_guarded = True


# --- view decorators --------------------------------------------------------------------------

def reviewer_required(view):
    """Signed-in reviewers and admins only: others are sent to sign in, or get 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_reviewer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_portal_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def unit_staff_required(view):
    """Signed-in staff of a unit only; the unit is passed to the view as ``unit``."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        unit = staff_unit(request.user)
        if unit is None:
            raise PermissionDenied
        return view(request, *args, unit=unit, **kwargs)

    return wrapper


# --- Unit returns (web form) ------------------------------------------------------------------

def can_recall_submission(user, submission: Submission, *,
                          today: datetime.date | None = None) -> bool:
    """The unit's staff may take a submitted (not yet reviewed) return back to draft while
    the period takes returns and the unit's deadline (with any extension) has not passed."""
    unit = staff_unit(user)
    if unit is None or unit.pk != submission.unit_id:
        return False
    if submission.status != Submission.Status.SUBMITTED:
        return False
    period = submission.period
    if period.status not in {Period.Status.OPEN, Period.Status.CLOSED}:
        return False
    deadline = period.deadline_for(submission.unit)
    if period.status == Period.Status.CLOSED and deadline == period.deadline:
        return False
    today = today or timezone.localdate()
    return deadline is None or today <= deadline


def can_start_submission(unit: Unit, period: Period, *,
                         today: datetime.date | None = None) -> bool:
    """A unit may open its return for a period it takes part in while the period is open,
    or closed with an extension for the unit that has not run out."""
    if period.status not in {Period.Status.OPEN, Period.Status.CLOSED}:
        return False
    deadline = period.deadline_for(unit)
    if period.status == Period.Status.CLOSED and deadline == period.deadline:
        return False
    today = today or timezone.localdate()
    return deadline is None or today <= deadline

# --- end of Unit returns (web form) ---------------------------------------------------------
