"""Who is acting: the current request (its user and address) or an explicit actor.

``AuditContextMiddleware`` (after the authentication middleware) puts the request in a
context variable; the user is read from it only when an entry is written, so a sign-in in
the middle of the request is seen. Commands and scripts may name their actor with
``acting_as(user)``; without either, entries have no actor (the system).
"""

from __future__ import annotations

import contextlib
import ipaddress
from contextvars import ContextVar

from django.conf import settings

_request: ContextVar = ContextVar("audit_request", default=None)
_actor: ContextVar = ContextVar("audit_actor", default=None)


def client_ip(request) -> str | None:
    """The client's address, for the trail and for the sign-in lock-out.

    REMOTE_ADDR, unless ``settings.CLIENT_IP_FROM_PROXY`` (on with ``BEHIND_PROXY``): then
    the last address of X-Forwarded-For, the one our own reverse proxy appended (nginx's
    ``$proxy_add_x_forwarded_for``); addresses before it were sent by the client and are
    never trusted, so nobody can write a chosen address into the trail or dodge the
    lock-out by changing it."""
    if request is None:
        return None
    if getattr(settings, "CLIENT_IP_FROM_PROXY", False):
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return _valid_ip(forwarded[-1])
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def current_request():
    return _request.get()


def current_actor():
    """``(user or None, ip or None)`` for the entry being written."""
    actor = _actor.get()
    request = _request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    return actor, client_ip(request)


@contextlib.contextmanager
def acting_as(user):
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
