"""Bearer tokens for the read API: one per user per org, only a digest kept."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from crmdp.listeners.results import error_body
from crmdp.orgs.models import ApiToken, Membership

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
        ApiToken.objects.filter(id=found.id).update(last_used_at=now)
    return found.membership


View = Callable[..., JsonResponse]


def bearer(view: View) -> View:
    """Resolve `Authorization: Bearer <token>` to a membership, or answer 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        membership = membership_for(token.strip()) if scheme.lower() == "bearer" else None
        if membership is None:
            response = JsonResponse(
                error_body("unauthorized", "send Authorization: Bearer <api token>"), status=401
            )
            response["WWW-Authenticate"] = 'Bearer realm="crmdp"'
            return response
        return view(request, membership, *args, **kwargs)

    return wrapper
