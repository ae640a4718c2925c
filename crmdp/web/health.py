"""Probes for load balancers and orchestrators.

- `GET /healthz`: the process is up and serving (no database access), so a slow or
  down database never gets healthy web processes restarted.
- `GET /readyz`: this process can do useful work: the database answers and every
  migration the code knows is applied. 503 with the reason otherwise, so a new
  release is not sent traffic before `crmdp migrate` has run.

Probes arrive with whatever Host header the prober uses (Kubernetes and cloud load
balancers send the instance's address), so `ProbeMiddleware`, first in the
middleware list, answers them before Django's ALLOWED_HOSTS check could refuse
them with a 400. Nothing else bypasses that check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import Error
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from crmdp.backends.health import unapplied_migrations

log = logging.getLogger(__name__)


def _probe_reply(status: int, body: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return _probe_reply(200, {"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    try:
        unapplied = unapplied_migrations()
    except Error as exc:  # DatabaseError, and InterfaceError for a dropped connection
        # The details (host names, users) go to the log, not to whoever probes.
        log.warning("readyz: the database does not answer: %s", exc)
        return _probe_reply(
            503,
            {
                "status": "unavailable",
                "reason": "database",
                "message": "the database does not answer",
            },
        )
    if unapplied:
        return _probe_reply(
            503,
            {
                "status": "unavailable",
                "reason": "migrations",
                "message": f"{len(unapplied)} migration(s) not applied; run `crmdp migrate`",
                "unapplied": unapplied,
            },
        )
    return _probe_reply(200, {"status": "ok"})


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


class ProbeMiddleware:
    """Answers /healthz and /readyz ahead of the rest of the stack (see above).

    Every method: GET and HEAD get the probe, anything else 405 from `require_safe`,
    so the probes need no CSRF exemption and a stray POST is told plainly.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
