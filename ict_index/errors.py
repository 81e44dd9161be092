"""The server error handler (``handler500``): 503 while the database is unreachable.

A request that fails because PostgreSQL is down or restarting (connection refused, the
server closing the connection, a connection timeout) gets ``503 Service Unavailable`` with
``Retry-After`` and the portal's Vietnamese page "tạm thời không truy cập được" (503.html)
instead of the generic 500 page: nothing was changed (the transaction did not commit), and
trying again in a moment works, because Django opens a new connection on the next request
(``CONN_HEALTH_CHECKS``). Any other error keeps Django's 500 page (500.html). Neither page
shows the error itself: that goes to the server's log only.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER = 10


def database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is the database being unreachable."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def server_error(request, template_name: str = "500.html"):
    if database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return defaults.server_error(request, template_name=template_name)
