"""The one inbound view: the secret in the URL is the credential (SPEC §2-3)."""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from crmdp.lib.throttle import SlidingLimit
from crmdp.listeners.envelope import inbound_from
from crmdp.listeners.receiving import receive
from crmdp.listeners.results import error_body
from crmdp.listeners.selectors import listener_for_token

# What secrets.token_urlsafe() makes, within the column's length. Anything else is
# not looked up: PostgreSQL refuses NUL in a query parameter (a 500, not a 404).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_unknown_tokens = SlidingLimit(settings.CRMDP_UNKNOWN_TOKEN_LIMIT)


def _reply(body: dict[str, Any], status: int, headers: dict[str, str]) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt  # senders are machines with a secret URL, not browsers with a session
def listener_inbound(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        refusal = error_body("method_not_allowed", "listeners accept POST only")
        return _reply(refusal, 405, {"Allow": "POST"})
    inbound = inbound_from(request)
    listener = listener_for_token(token) if _TOKEN_SHAPE.fullmatch(token) else None
    if listener is None:  # unknown and disabled alike: no hint that it exists
        wait = _unknown_tokens.hit(inbound.source_ip)
        if wait:  # someone is trying tokens: slow them down (per web process)
            refusal = error_body("rate_limited", "too many requests to unknown listeners")
            return _reply(refusal, 429, {"Retry-After": str(math.ceil(wait))})
        return _reply(error_body("not_found", "no such listener"), 404, {})
    reply = receive(listener, inbound)
    return _reply(reply.body, reply.status, reply.headers)
