"""Signal handlers that fill the audit trail.

Tracked: cohorts, units, users (and their groups and permissions), auth groups,
frameworks with their criterion groups, indicators and bands, periods (and their cohorts)
with their extensions, ranking snapshots (computation, publication, withdrawal), and the
unlocking of a locked-out sign-in. Answers keep their history in
``assessments.AnswerChange``, written by the services that change them (form, workbook,
review, appeal, bulk import); only an edit in the Django admin, which writes no
AnswerChange, is recorded here.

What signals cannot see: ``QuerySet.update()``, ``bulk_create`` and ``bulk_update`` (the
workbook imports of units, frameworks and returns use them and record an
``ImportRecord`` with who, when, which file and counts; answers also get AnswerChange
rows), and raw SQL. Fixture loading (``loaddata``, a restore) is not recorded.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.apps import apps
from django.contrib.auth import signals as auth_signals
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import signals

from .context import client_ip, current_actor, current_request

#: "app_label.Model" of every model whose saves and deletions are recorded.
TRACKED = (
    "assessments.Cohort",
    "assessments.Unit",
    "assessments.User",
    "assessments.Framework",
    "assessments.CriterionGroup",
    "assessments.Indicator",
    "assessments.Band",
    "assessments.Period",
    "assessments.Extension",
    "rankings.RankingSnapshot",
    "auth.Group",
)
#: Fields whose changes are noise (set on every save or sign-in).
IGNORED = {"last_login", "updated_at"}
#: Fields whose value never enters the trail: only the fact that they changed.
MASKED = {"password"}
MASK = "***"
#: A change of one of these on a user is a permission change.
PERMISSION_FIELDS = {"role", "unit", "is_staff", "is_superuser", "is_active", "groups",
                     "user_permissions", "permissions"}
MAX_TEXT = 1000


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return value[:MAX_TEXT] + "…"
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, dict)):
        return value
    return str(value)


def _fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in IGNORED]


def _state(instance) -> dict:
    return {f.name: jsonable(getattr(instance, f.attname)) for f in _fields(type(instance))}


def _masked(name: str, old, new):
    if name in MASKED:
        return [MASK if old else "", MASK if new else ""]
    return [old, new]


def record(action: str, obj=None, *, changes: dict | None = None, actor=None,
           actor_name: str = "", object_repr: str = "", request=None, model=None,
           object_id=None):
    """Write one entry; the actor and the address default to the current request's."""
    from .models import AuditEntry

    default_actor, ip = current_actor()
    if request is not None:
        ip = client_ip(request)
    if actor is None:
        actor = default_actor
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    model = model or (obj._meta.model if obj is not None else None)
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_name=(actor.get_username() if actor is not None else actor_name)[:150],
        ip=ip,
        content_type=ContentType.objects.get_for_model(model) if model is not None else None,
        object_id=str(object_id if object_id is not None
                      else getattr(obj, "pk", "") or "")[:64],
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:300],
        changes=changes or {},
    )


def _action_for(model, changes: dict) -> str:
    from .models import AuditEntry

    names = set(changes)
    if model._meta.label == "assessments.User" or model._meta.label == "auth.Group":
        if names & PERMISSION_FIELDS:
            return AuditEntry.Action.PERMISSIONS
        if names == {"password"}:
            return AuditEntry.Action.PASSWORD
    return AuditEntry.Action.UPDATE


# --- saves and deletions ----------------------------------------------------------------------

def _pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._audit_old = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) - IGNORED:
        return
    names = [f.attname for f in _fields(sender)]
    row = sender._base_manager.filter(pk=instance.pk).values(*names).first()
    if row is not None:
        instance._audit_old = {f.name: jsonable(row[f.attname]) for f in _fields(sender)}


def _post_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    from .models import AuditEntry

    if raw:
        return
    new = _state(instance)
    if created:
        changes = {name: _masked(name, None, value) for name, value in new.items()
                   if value not in (None, "")}
        record(AuditEntry.Action.CREATE, instance, changes=changes)
        return
    old = getattr(instance, "_audit_old", None)
    instance._audit_old = None
    if old is None:
        return
    changes = {name: _masked(name, old[name], value) for name, value in new.items()
               if old.get(name) != value}
    if changes:
        record(_action_for(sender, changes), instance, changes=changes)


def _post_delete(sender, instance, **kwargs):
    from .models import AuditEntry

    changes = {name: _masked(name, value, None) for name, value in _state(instance).items()
               if value not in (None, "")}
    record(AuditEntry.Action.DELETE, instance, changes=changes)


def _is_admin_request() -> bool:
    request = current_request()
    match = getattr(request, "resolver_match", None)
    return bool(match and match.app_name == "admin")


def _answer_pre_save(sender, instance, update_fields=None, **kwargs):
    if update_fields is None and _is_admin_request():
        _pre_save(sender, instance, update_fields=update_fields, **kwargs)
    else:
        instance._audit_old = None


def _answer_post_save(sender, instance, created, update_fields=None, **kwargs):
    if not created and getattr(instance, "_audit_old", None) is not None:
        _post_save(sender, instance, created, update_fields=update_fields, **kwargs)


def _attempt_deleted(sender, instance, **kwargs):
    """Deleting a lock-out record in the admin (its "unlock" action or the list of
    attempts) is recorded; django-axes' own clean-ups (expired attempts, the count cleared
    by a sign-in) are not: the sign-in itself is."""
    from .models import AuditEntry

    if not _is_admin_request():
        return
    record(AuditEntry.Action.UNLOCK, model=sender, object_id=instance.pk,
           object_repr=f"{instance.username} @ {instance.ip_address}",
           changes={"failures": [instance.failures_since_start, 0]})


# --- many-to-many (period cohorts, user groups and permissions) ------------------------------

def _m2m_field(model, through):
    for field in model._meta.many_to_many:
        if field.remote_field.through is through:
            return field
    return None


def _m2m_targets(instance, action, reverse, model, pk_set, through):
    """``(owner model, m2m field, owner pks)`` whose relation changes."""
    if not reverse:
        return type(instance), _m2m_field(type(instance), through), [instance.pk]
    field = _m2m_field(model, through)
    if field is None:
        return model, None, []
    if pk_set is None:  # clear() from the other side: every owner linked now
        accessor = field.remote_field.get_accessor_name()
        pks = list(getattr(instance, accessor).values_list("pk", flat=True))
    else:
        pks = list(pk_set)
    return model, field, pks


def _m2m_values(owner_model, field, pks) -> dict:
    through = field.remote_field.through
    source = field.m2m_field_name()
    target = field.m2m_reverse_field_name()
    values = {pk: [] for pk in pks}
    for owner, related in through._base_manager.filter(**{f"{source}__in": pks}).values_list(
            source, target):
        values[owner].append(related)
    return {pk: sorted(v) for pk, v in values.items()}


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in {"pre_add", "pre_remove", "pre_clear", "post_add", "post_remove",
                      "post_clear"}:
        return
    owner_model, field, pks = _m2m_targets(instance, action, reverse, model, pk_set, sender)
    if field is None or owner_model._meta.label not in TRACKED:
        return
    memo = instance.__dict__.setdefault("_audit_m2m", {})
    if action.startswith("pre_"):
        memo[sender] = (pks, _m2m_values(owner_model, field, pks))
        return
    pks, before = memo.pop(sender, (pks, {}))
    after = _m2m_values(owner_model, field, pks)
    owners = owner_model._base_manager.in_bulk(pks)
    for pk in pks:
        old, new = before.get(pk, []), after.get(pk, [])
        if old != new and pk in owners:
            changes = {field.name: [old, new]}
            record(_action_for(owner_model, changes), owners[pk], changes=changes)


# --- sign-ins ---------------------------------------------------------------------------------

def _logged_in(sender, request, user, **kwargs):
    from .models import AuditEntry

    changes = {}
    if getattr(request, "otp_verified", False):
        changes["otp"] = [None, True]
    record(AuditEntry.Action.LOGIN, user, actor=user, request=request, changes=changes)


def _logged_out(sender, request, user, **kwargs):
    from .models import AuditEntry

    if user is not None:
        record(AuditEntry.Action.LOGOUT, user, actor=user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs):
    from .models import AuditEntry

    if getattr(request, "axes_locked_out", False):
        return  # recorded as a lock-out by _locked_out
    if getattr(request, "otp_failure", False):
        return  # recorded as a wrong code by the sign-in view
    username = str(credentials.get("username", ""))[:150]
    user = _user_named(username)
    record(AuditEntry.Action.LOGIN_FAILED, user, actor_name=username, request=request,
           object_repr=username, model=apps.get_model("assessments", "User"),
           object_id=getattr(user, "pk", ""))


def _locked_out(sender, request, username, ip_address, **kwargs):
    from .models import AuditEntry

    user = _user_named(username or "")
    record(AuditEntry.Action.LOCKED_OUT, user, actor_name=(username or "")[:150],
           request=request, object_repr=username or "",
           model=apps.get_model("assessments", "User"), object_id=getattr(user, "pk", ""))


def _user_named(username: str):
    from django.contrib.auth import get_user_model

    if not username:
        return None
    model = get_user_model()
    return model._base_manager.filter(**{model.USERNAME_FIELD: username}).first()


def connect() -> None:
    for label in TRACKED:
        model = apps.get_model(label)
        uid = f"audit:{label}"
        signals.pre_save.connect(_pre_save, sender=model, dispatch_uid=uid)
        signals.post_save.connect(_post_save, sender=model, dispatch_uid=uid)
        signals.post_delete.connect(_post_delete, sender=model, dispatch_uid=uid)
    answer = apps.get_model("assessments", "Answer")
    signals.pre_save.connect(_answer_pre_save, sender=answer, dispatch_uid="audit:answer")
    signals.post_save.connect(_answer_post_save, sender=answer, dispatch_uid="audit:answer")
    signals.m2m_changed.connect(_m2m_changed, dispatch_uid="audit:m2m")
    auth_signals.user_logged_in.connect(_logged_in, dispatch_uid="audit:login")
    auth_signals.user_logged_out.connect(_logged_out, dispatch_uid="audit:logout")
    auth_signals.user_login_failed.connect(_login_failed, dispatch_uid="audit:failed")
    if apps.is_installed("axes"):
        from axes.models import AccessAttempt
        from axes.signals import user_locked_out

        user_locked_out.connect(_locked_out, dispatch_uid="audit:locked")
        signals.post_delete.connect(_attempt_deleted, sender=AccessAttempt,
                                    dispatch_uid="audit:unlock")
