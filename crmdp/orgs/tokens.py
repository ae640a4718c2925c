"""API tokens: one per user per org, only a digest kept. Issued by the CLI and
the UI (orgs), checked by the read API (crmdp.api.auth)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime

from django.db import OperationalError
from django.utils import timezone

from crmdp.backends.nowait import write_or_skip
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
