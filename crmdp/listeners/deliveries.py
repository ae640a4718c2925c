"""The delivery log: every request to a listener is kept with its answer, accepted,
rejected, refused (bounded, see log_refused) or failed alike, so that an admin can
see and replay it."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from crmdp.backends import rows
from crmdp.listeners.envelope import MINUTE, REFUSED_STATUSES, Inbound, Reply
from crmdp.listeners.models import Delivery, Listener
from crmdp.listeners.results import error_body
from crmdp.orgs.models import User

log = logging.getLogger(__name__)


def storable(response: dict[str, Any]) -> dict[str, Any]:
    """`response` as kept in the delivery log and for idempotent repeats: whole up
    to CRMDP_MAX_STORED_RESPONSE_BYTES of JSON, else its first results within that,
    marked `"truncated": true` with the count left out. 500 actions with long
    warnings each would otherwise store megabytes per request."""
    limit = settings.CRMDP_MAX_STORED_RESPONSE_BYTES
    size = len(json.dumps(response, ensure_ascii=False).encode())
    if size <= limit:
        return response
    results = response.get("results")
    kept: list[Any] = []
    if isinstance(results, list):
        budget = limit - 512  # room for the envelope of the shortened response
        for result in results:
            budget -= len(json.dumps(result, ensure_ascii=False).encode()) + 2
            if budget < 0:
                break
            kept.append(result)
    shortened = {key: value for key, value in response.items() if key != "results"}
    if len(json.dumps(shortened, ensure_ascii=False).encode()) > limit - 512:
        shortened = {key: response[key] for key in ("requestId",) if key in response}
    return {
        **shortened,
        "results": kept,
        "truncated": True,
        "resultsLeftOut": (len(results) - len(kept)) if isinstance(results, list) else 0,
        "size": size,
    }


def save_delivery(
    listener: Listener,
    inbound: Inbound,
    request_id: uuid.UUID | None,
    body: bytes,
    sender: User | str | None,
    reply: Reply,
    started: float,
    outcomes: Counter[str] | None = None,
    body_size: int | None = None,
    spam: bool = False,
) -> Delivery:
    """Insert the log entry of one request, in the caller's transaction."""
    entry = prepare_delivery(listener, inbound, request_id, body, sender, started, body_size, spam)
    return finish_delivery(entry, reply, started, outcomes)


def prepare_delivery(
    listener: Listener,
    inbound: Inbound,
    request_id: uuid.UUID | None,
    body: bytes,
    sender: User | str | None,
    started: float,
    body_size: int | None = None,
    spam: bool = False,
) -> rows.Prepared[Delivery]:
    """The log entry of one request with everything but its answer, ready to insert:
    made before the request's write transaction opens, so that on SQLite the
    database's one write lock is not held while the raw body, the headers and the
    sender are converted for storing (issue 19)."""
    return rows.prepare(
        Delivery,
        _ANSWER,
        listener=listener,
        org_id=listener.org_id,
        request_id=request_id or uuid.uuid4(),
        source_ip=inbound.source_ip[:64],
        content_type=inbound.content_type[:200],
        body=body,
        body_size=body_size or (len(body) if body else (inbound.declared_length or 0)),
        sender=(sender.email if isinstance(sender, User) else sender or "")[:254],
        idempotency_key=printable(inbound.idempotency_key or "")[:200],
        # When the request arrived, not when its processing ended.
        received_at=timezone.now() - timedelta(seconds=time.monotonic() - started),
        replay_of=inbound.replay_of,
        format=listener.format,
        spam=spam,
    )


_ANSWER = ("status", "response", "outcomes", "duration_ms")  # known at the end only


def finish_delivery(
    entry: rows.Prepared[Delivery],
    reply: Reply,
    started: float,
    outcomes: Counter[str] | None = None,
) -> Delivery:
    """Insert a prepared log entry with its answer, in the caller's transaction."""
    return entry.insert(
        status=reply.status,
        response=storable(reply.body),
        outcomes=dict(outcomes or {}),
        duration_ms=round((time.monotonic() - started) * 1000, 3),
    )


def printable(text: str) -> str:
    """A header as sent, even one refused for it, without control characters: NUL
    does not store on PostgreSQL."""
    return "".join(ch for ch in text if ch.isprintable())


def log_rejected(
    listener: Listener,
    inbound: Inbound,
    request_id: uuid.UUID | None,
    body: bytes,
    sender: User | str | None,
    reply: Reply,
    started: float,
) -> None:
    with transaction.atomic():
        save_delivery(listener, inbound, request_id, body, sender, reply, started)


def log_refused(
    listener: Listener,
    inbound: Inbound,
    request_id: uuid.UUID | None,
    body: bytes,
    sender: User | str | None,
    reply: Reply,
    started: float,
) -> None:
    """A refusal is kept with at most CRMDP_REFUSED_LOG_BYTES of its body, and at
    most CRMDP_REFUSED_LOG_LIMIT refusals per listener per minute are kept at all:
    a flood of refused requests costs one small read each, not a megabyte row
    each. The sender is answered the same either way."""
    limit = settings.CRMDP_REFUSED_LOG_LIMIT
    if limit > 0:
        latest = (
            Delivery.objects.filter(
                listener=listener,
                received_at__gt=timezone.now() - MINUTE,
                status__in=REFUSED_STATUSES,
            )
            .order_by()
            .values_list("id", flat=True)[limit - 1 : limit]
        )
        if list(latest):
            log.info(
                "listener %s: refused request %s (%s) not logged: over %d refusals a minute",
                listener.id,
                request_id,
                reply.status,
                limit,
            )
            return
    kept = body[: settings.CRMDP_REFUSED_LOG_BYTES]
    with transaction.atomic():
        save_delivery(
            listener, inbound, request_id, kept, sender, reply, started, body_size=len(body)
        )


def log_failure(
    listener: Listener, inbound: Inbound, request_id: uuid.UUID, body: bytes, started: float
) -> Reply:
    """After an unexpected error the request is still kept, raw, with its 500, under
    the id that the log line with the traceback names."""
    reply = Reply(
        500,
        {
            **error_body(
                "internal_error", "the request could not be processed; nothing was stored"
            ),
            "requestId": str(request_id),
        },
    )
    try:
        log_rejected(listener, inbound, request_id, body, "", reply, started)
    except DatabaseError:
        log.exception("could not log failed delivery %s", request_id)
    return reply
