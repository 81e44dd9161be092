"""E-mails of the review workflow (Django's e-mail backend: the console in development,
``locmem`` in tests, SMTP by configuration).

Who gets what:

- a return handed in through the portal (submitted, resubmitted) → every active reviewer;
- returned / reopened (with the message and the answers to fix), approved → the unit's staff;
- an appeal filed → every reviewer; an appeal decided → the unit's staff;
- results published → the staff of every unit of the period's cohorts;
- the deadline approaching (command ``notify_deadlines``) → the staff of units that have not
  handed in.

Every mail ends with an absolute link to the page to act on (the reviewer's page of the
submission, the unit's return, the published results, the unit's returns), built from
``settings.SITE_URL`` (the ``SITE_URL`` environment variable; default
``http://localhost:8000``) and always in Vietnamese (no ``/en/`` prefix).

A return imported from a workbook by an administrator (a transition without an actor) sends
nothing: the import's report tells the administrator. Addresses that are empty are skipped.
A failing mail server never undoes an action: mails are sent after the commit and errors are
logged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Submission, SubmissionTransition, Unit, User

log = logging.getLogger(__name__)


def _reviewer_addresses() -> list[str]:
    return sorted(set(User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(role__in=[User.Role.REVIEWER, User.Role.ADMIN]))
        .exclude(email="").values_list("email", flat=True)))


def _unit_addresses(units) -> list[str]:
    return sorted(set(User.objects.filter(is_active=True, role=User.Role.UNIT_STAFF,
                                          unit__in=units)
                      .exclude(email="").values_list("email", flat=True)))


def _send(subject: str, body: str, recipients: list[str]) -> int:
    if not recipients:
        return 0
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
                for address in recipients]
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:  # noqa: BLE001 - a mail server never undoes a committed action
        log.exception("could not send %r to %d recipients", subject, len(recipients))
        return 0


def _vi():
    return translation.override(settings.LANGUAGE_CODE)


def absolute_url(name: str, *args) -> str:
    """``SITE_URL`` + the Vietnamese path of the named URL."""
    base = str(getattr(settings, "SITE_URL", "") or "http://localhost:8000").rstrip("/")
    with _vi():
        return base + reverse(name, args=args)


def _with_link(body: str, label: str, url: str) -> str:
    return f"{body}\n\n{label}: {url}"


def submission_handed_in(transition: SubmissionTransition) -> int:
    submission = transition.submission
    with _vi():
        subject = _("[Chỉ số ICT] %(unit)s đã nộp báo cáo kỳ %(period)s") % {
            "unit": submission.unit.name, "period": submission.period.code}
        body = _("Đơn vị %(unit)s vừa %(what)s báo cáo kỳ %(period)s. Phiếu đang chờ thẩm "
                 "định.") % {"unit": submission.unit.name,
                             "what": transition.get_to_status_display().lower(),
                             "period": submission.period.name}
        body = _with_link(body, _("Xem và thẩm định phiếu"),
                          absolute_url("review:submission", submission.pk))
    return _send(subject, body, _reviewer_addresses())


def submission_returned(review) -> int:
    submission = review.submission
    codes = [f"- {a.indicator.code}. {a.indicator.name}"
             for a in review.answers.select_related("indicator")]
    with _vi():
        subject = _("[Chỉ số ICT] Báo cáo kỳ %(period)s được trả lại để bổ sung") % {
            "period": submission.period.code}
        body = "\n".join([
            _("Cán bộ thẩm định đã trả lại báo cáo của %(unit)s (kỳ %(period)s).")
            % {"unit": submission.unit.name, "period": submission.period.name},
            "", _("Nội dung:"), review.message, "", _("Các câu cần sửa:"), *codes])
        body = _with_link(body, _("Sửa báo cáo tại"), absolute_url("returns:form", submission.pk))
    return _send(subject, body, _unit_addresses([submission.unit_id]))


def submission_approved(review) -> int:
    submission = review.submission
    with _vi():
        subject = _("[Chỉ số ICT] Báo cáo kỳ %(period)s đã được duyệt") % {
            "period": submission.period.code}
        body = _("Báo cáo của %(unit)s (kỳ %(period)s) đã được duyệt.") % {
            "unit": submission.unit.name, "period": submission.period.name}
        if review.message:
            body += "\n\n" + review.message
        body = _with_link(body, _("Xem báo cáo tại"), absolute_url("returns:form", submission.pk))
    return _send(subject, body, _unit_addresses([submission.unit_id]))


def results_published(snapshot) -> int:
    period = snapshot.period
    units = Unit.objects.filter(active=True, cohort__in=period.cohorts.all())
    with _vi():
        subject = _("[Chỉ số ICT] Công bố kết quả kỳ %(period)s") % {"period": period.code}
        body = _("Kết quả xếp hạng kỳ %(period)s đã được công bố (lần tính %(n)s).") % {
            "period": period.name, "n": snapshot.number}
        if snapshot.note:
            body += "\n\n" + snapshot.note
        if period.appeal_until:
            body += "\n\n" + _("Đơn vị có thể đề nghị phúc khảo đến hết ngày %(d)s.") % {
                "d": period.appeal_until.strftime("%d/%m/%Y")}
        body = _with_link(body, _("Xem kết quả tại"),
                          absolute_url("rankings:period_leaderboard", period.code))
    return _send(subject, body, _unit_addresses(units))


def appeal_filed(appeal) -> int:
    submission = appeal.submission
    with _vi():
        subject = _("[Chỉ số ICT] %(unit)s đề nghị phúc khảo kỳ %(period)s") % {
            "unit": submission.unit.name, "period": submission.period.code}
        body = "\n".join(f"- {item.answer.indicator.code}: {item.reason}"
                         for item in appeal.items.select_related("answer__indicator"))
        body = _with_link(body, _("Xem và quyết định tại"),
                          absolute_url("review:appeal", appeal.pk))
    return _send(subject, body, _reviewer_addresses())


def appeal_decided(appeal) -> int:
    submission = appeal.submission
    with _vi():
        subject = _("[Chỉ số ICT] Kết quả phúc khảo kỳ %(period)s") % {
            "period": submission.period.code}
        lines = [f"- {item.answer.indicator.code}: {item.get_decision_display()} – "
                 f"{item.decision_reason}"
                 for item in appeal.items.select_related("answer__indicator")]
        body = _with_link("\n".join(lines), _("Xem báo cáo tại"),
                          absolute_url("returns:form", submission.pk))
    return _send(subject, body, _unit_addresses([submission.unit_id]))


def deadline_approaching(period, unit, deadline, days_left: int) -> int:
    with _vi():
        subject = _("[Chỉ số ICT] Còn %(days)d ngày đến hạn nộp báo cáo kỳ %(period)s") % {
            "days": days_left, "period": period.code}
        body = _("Báo cáo của %(unit)s kỳ %(period)s chưa được nộp. Hạn nộp: %(date)s.") % {
            "unit": unit.name, "period": period.name, "date": deadline.strftime("%d/%m/%Y")}
        body = _with_link(body, _("Điền báo cáo tại"), absolute_url("returns:index"))
    return _send(subject, body, _unit_addresses([unit.pk]))


@receiver(post_save, sender=SubmissionTransition, dispatch_uid="review-handed-in-mail")
def _on_transition(sender, instance: SubmissionTransition, created: bool, **kwargs):
    if not created or instance.actor_id is None:
        return
    if instance.to_status in (Submission.Status.SUBMITTED, Submission.Status.RESUBMITTED):
        from django.db import transaction

        transaction.on_commit(lambda: submission_handed_in(instance))
