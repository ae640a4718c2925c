"""Bearer tokens for the read API: one per user per org, only a digest kept."""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from crmdp.backends.nowait import write_or_skip
from crmdp.lib.netaddr import client_address
from crmdp.lib.throttle import SlidingLimit
from crmdp.listeners.results import error_body
from crmdp.orgs.models import ApiToken, Membership

log = logging.getLogger(__name__)

TOKEN_PREFIX = "crmdp_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(membership: Membership) -> str:
    """A new token for `membership`; the only time its text is known."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(membership=membership, digest=digest(token), prefix=token[:12])
    return token


def membership_for(token: str) -> Membership | None:
    found = (
        ApiToken.objects.select_related("membership__org", "membership__user")
        .filter(
            digest=digest(token),
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    # Touch at most once a minute: a busy API client must not write on every read.
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        _touch(found.id, now)
    return found.membership


def _touch(token_id: int, now: datetime) -> None:
    """Record a token's last use if the database takes the write at once; else skip
    it (the next read a minute on tries again). A read must never wait for the
    write lock: on SQLite it could wait behind a long batch and end in "database is
    locked", a 500 for a request that only wanted to read."""
    try:
        with write_or_skip():
            ApiToken.objects.filter(id=token_id).update(last_used_at=now)
    except OperationalError as exc:
        log.info("API token %s: last use not recorded (%s)", token_id, exc)


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
