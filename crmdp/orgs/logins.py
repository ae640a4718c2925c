"""Throttling failed logins, per account and per client address (issue 13).

An account (the email typed, whether or not it has a login, so the lock tells
nobody which emails exist) is locked after CRMDP_LOGIN_ACCOUNT_FAILURES failures
within CRMDP_LOGIN_WINDOW_SECONDS; a client address after CRMDP_LOGIN_CLIENT_FAILURES
(whatever the emails, so one address cannot spray passwords over many accounts).
A lock lasts CRMDP_LOGIN_LOCKOUT_SECONDS. While locked, the password is not even
checked. Anyone can lock an account by failing on purpose; the lock is short, and
the operator lifts it with `crmdp user unlock` (docs/operations.md).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from crmdp.orgs.models import LoginThrottle

Scope = LoginThrottle.Scope


def _limits() -> dict[str, int]:
    return {
        Scope.ACCOUNT: settings.CRMDP_LOGIN_ACCOUNT_FAILURES,
        Scope.CLIENT: settings.CRMDP_LOGIN_CLIENT_FAILURES,
    }


def _keys(email: str, client: str) -> dict[str, str]:
    return {Scope.ACCOUNT: email.strip().lower()[:254], Scope.CLIENT: client[:254]}


def login_wait(*, email: str, client: str, now: datetime | None = None) -> int:
    """Seconds before this email may be tried from this client again; 0: now."""
    at = now or timezone.now()
    keys = _keys(email, client)
    locks = LoginThrottle.objects.filter(
        Q(scope=Scope.ACCOUNT, key=keys[Scope.ACCOUNT])
        | Q(scope=Scope.CLIENT, key=keys[Scope.CLIENT]),
        locked_until__gt=at,
    ).values_list("locked_until", flat=True)
    return max((math.ceil((until - at).total_seconds()) for until in locks if until), default=0)


@transaction.atomic
def login_failed(*, email: str, client: str, now: datetime | None = None) -> None:
    """Count one failed login against the account and the client address."""
    at = now or timezone.now()
    window = timedelta(seconds=settings.CRMDP_LOGIN_WINDOW_SECONDS)
    lockout = timedelta(seconds=settings.CRMDP_LOGIN_LOCKOUT_SECONDS)
    limits = _limits()
    for scope, key in _keys(email, client).items():
        if limits[scope] <= 0:  # 0 turns this throttle off
            continue
        row = _row(scope, key, at)
        if row.window_started_at <= at - window:
            row.failures, row.window_started_at = 0, at
        row.failures += 1
        if row.failures >= limits[scope]:
            row.locked_until = at + lockout
            row.failures, row.window_started_at = 0, at
        row.save(update_fields=["failures", "window_started_at", "locked_until"])
    # Keep the table to the attempts that still matter: a spray from many addresses
    # or over many emails must not grow it for ever.
    LoginThrottle.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=at),
        scope__in=(Scope.ACCOUNT, Scope.CLIENT),  # the reset counts keep their hour
        window_started_at__lt=at - window,
    ).delete()


def _row(scope: str, key: str, now: datetime) -> LoginThrottle:
    found = LoginThrottle.objects.select_for_update().filter(scope=scope, key=key).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return LoginThrottle.objects.create(scope=scope, key=key, window_started_at=now)
    except IntegrityError:  # another process counted the first failure at the same moment
        return LoginThrottle.objects.select_for_update().get(scope=scope, key=key)


def login_succeeded(*, email: str) -> None:
    """A right password clears the account's count (never the client's: an attacker
    with an account of their own must not reset their address's count with it)."""
    LoginThrottle.objects.filter(scope=Scope.ACCOUNT, key=_keys(email, "")[Scope.ACCOUNT]).filter(
        Q(failures__gt=0) | Q(locked_until__isnull=False)
    ).delete()


def login_unlock(*, email: str = "", client: str = "") -> int:
    """Lift the lock and the count of an account and/or a client address (the
    operator's `crmdp user unlock`), and their "forgot password" counts; how many
    locks and counts were lifted."""
    keys = _keys(email, client)
    query = Q(pk__in=[])
    if email.strip():
        query |= Q(scope__in=(Scope.ACCOUNT, Scope.RESET_EMAIL), key=keys[Scope.ACCOUNT])
    if client.strip():
        query |= Q(scope__in=(Scope.CLIENT, Scope.RESET_CLIENT), key=keys[Scope.CLIENT])
    deleted, _ = LoginThrottle.objects.filter(query).delete()
    return deleted


RESET_WINDOW = timedelta(hours=1)


@transaction.atomic
def reset_allowed(*, email: str, client: str, now: datetime | None = None) -> bool:
    """Count one "forgot password" request; whether its link may be sent.

    At most CRMDP_RESET_REQUESTS_PER_HOUR requests from one client address, and
    CRMDP_RESET_EMAILS_PER_HOUR links to one address, in an hour that starts with the
    first request (0 or less: none). Counted in the database, as failed logins are:
    a count kept in each web process would allow the limit once per process. A
    request refused by the client's limit is not counted against the address."""
    at = now or timezone.now()
    keys = _keys(email, client)
    limits = (
        (Scope.RESET_CLIENT, keys[Scope.CLIENT], settings.CRMDP_RESET_REQUESTS_PER_HOUR),
        (Scope.RESET_EMAIL, keys[Scope.ACCOUNT], settings.CRMDP_RESET_EMAILS_PER_HOUR),
    )
    allowed = True
    for scope, key, limit in limits:
        row = _row(scope, key, at)
        if row.window_started_at <= at - RESET_WINDOW:
            row.failures, row.window_started_at = 0, at
        if row.failures >= limit:
            allowed = False
            break
        row.failures += 1
        row.save(update_fields=["failures", "window_started_at"])
    # Counts whose hour is over matter no more (a spray over many addresses must
    # not grow the table for ever).
    LoginThrottle.objects.filter(
        scope__in=(Scope.RESET_EMAIL, Scope.RESET_CLIENT),
        window_started_at__lt=at - RESET_WINDOW,
    ).delete()
    return allowed
