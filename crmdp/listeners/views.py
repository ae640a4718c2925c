"""The one inbound view: the secret in the URL is the credential (SPEC §2-3)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from crmdp.lib.netaddr import client_address
from crmdp.lib.throttle import SlidingLimit
from crmdp.listeners import browsers
from crmdp.listeners.hosted import allow_framing
from crmdp.listeners.models import Format, Listener
from crmdp.listeners.receiving import Inbound, receive
from crmdp.listeners.results import error_body
from crmdp.listeners.selectors import listener_for_token

_NOT_FOUND = error_body("not_found", "no such listener")
# What secrets.token_urlsafe() makes, within the column's length. Anything else is
# not looked up: PostgreSQL refuses NUL in a query parameter (a 500, not a 404).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_unknown_tokens = SlidingLimit(settings.CRMDP_UNKNOWN_TOKEN_LIMIT)


def _content_type(request: HttpRequest) -> str:
    # Kept in the delivery log: a control character (NUL) would not store on PostgreSQL.
    # Whole, parameters included: a multipart body is read by its boundary (and so
    # is its replay).
    whole = request.META.get("CONTENT_TYPE") or request.content_type or ""
    return "".join(ch for ch in whole if ch.isprintable())


def _body_reader(request: HttpRequest) -> Callable[[int], bytes]:
    """Django reads no body without Content-Length; a chunked one is read from the
    server's stream (gunicorn removes the chunking), still at most the limit + 1."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        stream = request.META["wsgi.input"]
        return lambda size: bytes(stream.read(size))
    return request.read


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


@csrf_exempt  # senders are machines with a secret URL, not browsers with a session
def listener_inbound(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "OPTIONS":
        return browsers.preflight(request, _listener_or_none(token))
    if request.method != "POST":
        refused = JsonResponse(
            error_body("method_not_allowed", "listeners accept POST only"), status=405
        )
        refused["Allow"] = "POST"
        return refused
    source_ip = client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.TRUSTED_PROXIES,
    )
    listener = _listener_or_none(token)
    if listener is None:  # unknown and disabled alike: no hint that it exists
        wait = _unknown_tokens.hit(source_ip)
        if wait:
            # Someone is trying tokens: slow them down (per web process).
            slowed = JsonResponse(
                error_body("rate_limited", "too many requests to unknown listeners"), status=429
            )
            slowed["Retry-After"] = str(math.ceil(wait))
            return slowed
        return JsonResponse(_NOT_FOUND, status=404)
    inbound = Inbound(
        source_ip=source_ip,
        content_type=_content_type(request),
        declared_length=_declared_length(request),
        read_body=_body_reader(request),
        idempotency_key=request.headers.get("Idempotency-Key"),
        webhook_id=request.headers.get("webhook-id"),
        webhook_timestamp=request.headers.get("webhook-timestamp"),
        webhook_signature=request.headers.get("webhook-signature"),
        headers=request.headers,
    )
    reply = receive(listener, inbound)
    response: HttpResponse
    if listener.format == Format.FORM and browsers.wants_html(request):
        response = browsers.page_for(reply)
        # Shown in the hosted form's frame: framed by the same sites only.
        allow_framing(listener, response)
    else:
        response = JsonResponse(
            reply.body, status=reply.status, json_dumps_params={"ensure_ascii": False}
        )
    for name, value in reply.headers.items():
        response[name] = value
    if listener.format == Format.FORM:
        browsers.allow_origin(request, listener, response)
    return response


def _listener_or_none(token: str) -> Listener | None:
    return listener_for_token(token) if _TOKEN_SHAPE.fullmatch(token) else None
