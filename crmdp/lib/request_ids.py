"""One id per HTTP request, the same in the answer and in the server's log.

The middleware gives each request its id first of all and answers it in the
`X-Request-Id` header; the 500 handler (crmdp/api/errors.py) puts it in the reply's
body too, and `RequestIdInLog` appends it to Django's "Internal Server Error" line
(which carries the traceback), so a person quoting the id of a failed request leads
the operator to its traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-Id"


def request_id(request: HttpRequest) -> uuid.UUID:
    """The request's id, given now if nothing gave it one yet (a request that failed
    before the middleware ran)."""
    found = getattr(request, "request_id", None)
    if not isinstance(found, uuid.UUID):
        found = uuid.uuid4()
        request.request_id = found  # type: ignore[attr-defined]
    return found


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every answer, refusals and 500s included, has it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        given = request_id(request)
        response = self.get_response(request)
        # A view that answers its own id (the listener's requestId) keeps it.
        response.headers.setdefault(HEADER, str(given))
        return response


class RequestIdInLog(logging.Filter):
    """On the `django.request` logger: its lines end with `(request <id>)`."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        given = getattr(request, "request_id", None)
        if isinstance(given, uuid.UUID):
            record.msg, record.args = f"{record.getMessage()} (request {given})", None
        return True
