"""503 with Retry-After while the database is lost, instead of a 500 per request.

A lost database (refused or cut connections, an SQLite file that cannot be
opened) is an outage, not a fault of the request: clients and load balancers
should retry later, and a sender's retry logic treats 503 as "try again" where a
500 may be taken as "this request is bad". The check is made only after a view
failed with a connection error, by asking the database a trivial query: a
connection error the database answers again is a fault of ours (500).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from crmdp.backends.health import CONNECTION_ERRORS, database_answers
from crmdp.listeners.results import error_body

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_MACHINE_PREFIXES = ("/listener/", "/api/")


def unavailable(request: HttpRequest) -> HttpResponse:
    message = "the database is unavailable; retry later"
    response: HttpResponse
    if request.path.startswith(_MACHINE_PREFIXES):
        response = JsonResponse(error_body("unavailable", message), status=503)
    else:
        response = HttpResponse(
            f"Service unavailable: {message}.\n", status=503, content_type="text/plain"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CONNECTION_ERRORS) or database_answers():
            return None
        # The details (host names, users) go to the log, not to the client.
        log.warning("database unavailable, answering 503: %s", exception)
        return unavailable(request)
