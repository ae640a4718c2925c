"""The read API's bearer tokens: `Authorization: Bearer <token>` to a membership
(the tokens themselves: crmdp.orgs.tokens)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from crmdp.lib.netaddr import client_address
from crmdp.lib.throttle import SlidingLimit
from crmdp.listeners.results import error_body
from crmdp.orgs.tokens import membership_for

View = Callable[..., JsonResponse]


# Bad tokens a client address may send per minute (each web process counts its own;
# at most 10,000 addresses are remembered): guessing tokens is slowed to a crawl.
_bad_tokens = SlidingLimit(settings.CRMDP_API_BAD_TOKEN_LIMIT)


def bearer(view: View) -> View:
    """Resolve `Authorization: Bearer <token>` to a membership, or answer 401 (429
    once a client address has sent too many bad tokens)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        client = client_address(
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_X_FORWARDED_FOR"),
            settings.TRUSTED_PROXIES,
        )
        wait = _bad_tokens.wait(client) if _bad_tokens.limit > 0 else 0
        if wait:
            # Not even looked up: the answer must not depend on the token any more.
            limited = JsonResponse(
                error_body("rate_limited", "too many bad API tokens from this address"),
                status=429,
            )
            limited["Retry-After"] = str(math.ceil(wait))
            return limited
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        membership = membership_for(token.strip()) if scheme.lower() == "bearer" else None
        if membership is None:
            if _bad_tokens.limit > 0:  # 0 turns the limit off
                _bad_tokens.hit(client)
            response = JsonResponse(
                error_body("unauthorized", "send Authorization: Bearer <api token>"), status=401
            )
            response["WWW-Authenticate"] = 'Bearer realm="crmdp"'
            return response
        return view(request, membership, *args, **kwargs)

    return wrapper
