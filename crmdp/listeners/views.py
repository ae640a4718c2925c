"""The one inbound view: the secret in the URL is the credential (SPEC §2-3)."""

from __future__ import annotations

import math
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from crmdp.lib.throttle import SlidingLimit
from crmdp.listeners import browsers
from crmdp.listeners.envelope import Reply, inbound_from
from crmdp.listeners.models import Format, Listener
from crmdp.listeners.receiving import receive
from crmdp.listeners.results import error_body
from crmdp.listeners.selectors import listener_for_token

# What secrets.token_urlsafe() makes, within the column's length. Anything else is
# not looked up: PostgreSQL refuses NUL in a query parameter (a 500, not a 404).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_unknown_tokens = SlidingLimit(settings.CRMDP_UNKNOWN_TOKEN_LIMIT)


@csrf_exempt  # senders are machines with a secret URL, not browsers with a session
def listener_inbound(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "OPTIONS":
        return browsers.preflight(request, _listener_or_none(token))
    if request.method != "POST":
        refusal = error_body("method_not_allowed", "listeners accept POST only")
        return Reply(405, refusal, {"Allow": "POST"}).as_json()
    inbound = inbound_from(request)
    listener = _listener_or_none(token)
    if listener is None:  # unknown and disabled alike: no hint that it exists
        wait = _unknown_tokens.hit(inbound.source_ip)
        if wait:  # someone is trying tokens: slow them down (per web process)
            refusal = error_body("rate_limited", "too many requests to unknown listeners")
            return Reply(429, refusal, {"Retry-After": str(math.ceil(wait))}).as_json()
        return Reply(404, error_body("not_found", "no such listener")).as_json()
    reply = receive(listener, inbound)
    if listener.format == Format.FORM:
        return browsers.form_response(request, listener, reply)
    return reply.as_json()


def _listener_or_none(token: str) -> Listener | None:
    return listener_for_token(token) if _TOKEN_SHAPE.fullmatch(token) else None
