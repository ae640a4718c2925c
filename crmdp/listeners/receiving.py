"""Receiving a listener request (SPEC §3): the envelope checks and the body read in
the listener's format (envelope.py, formats/), every action read (actions/) and run
in order inside one transaction (batch.py), then the delivery log entry
(deliveries.py) in that same transaction, so a 200 is only ever answered for what
is committed.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from typing import Any

from django.db import transaction

from crmdp.backends.health import CONNECTION_ERRORS, database_answers
from crmdp.history.services import Origin
from crmdp.listeners import batch
from crmdp.listeners.actions import plan
from crmdp.listeners.deliveries import (
    finish_delivery,
    log_failure,
    log_refused,
    log_rejected,
    prepare_delivery,
    save_delivery,
    storable,
)
from crmdp.listeners.envelope import (
    REFUSED_STATUSES,
    Inbound,
    Overtaken,
    Rejected,
    Replayed,
    Reply,
    check_rate,
    check_repeat,
    check_signature,
    check_source,
    check_work,
    checked_key,
    claim_key,
    idempotency_key,
    owner_email,
    read_body,
    read_submission,
    sender_user,
)
from crmdp.listeners.models import IdempotencyRecord, Listener
from crmdp.listeners.results import error_body
from crmdp.orgs.directory import OrgDirectory

__all__ = ["Inbound", "Reply", "receive"]

log = logging.getLogger(__name__)


def receive(listener: Listener, inbound: Inbound) -> Reply:
    """Handle one POST to `listener` and log it; returns what to answer."""
    started = time.monotonic()
    request_id = inbound.request_id
    body = b""
    sender = ""
    try:
        try:
            check_source(listener, inbound.source_ip)
        except Rejected:
            # Kept even from a refused address: once the address is allowed, the
            # admin can replay what was refused.
            with contextlib.suppress(Rejected):
                body = read_body(inbound)
            raise
        check_rate(listener)
        key = idempotency_key(listener, inbound)
        body = read_body(inbound)
        check_signature(listener, inbound, body)
        submission = read_submission(listener, inbound, body)
        sender = submission.sender or owner_email(listener)
        if inbound.replay_of is None:  # a replay is run again, as in `actions`
            key = key or checked_key(submission.idempotency_key, "the sender's own id")
        check_work(submission.items)
        user = sender_user(listener, sender)
        if key:
            check_repeat(listener, key, body)
        if submission.spam:
            # Answered as a success, so that the bot learns nothing; nothing is run.
            reply = Reply(200, {"requestId": str(request_id), "results": []})
            reply.redirect = submission.redirect
            with transaction.atomic():
                save_delivery(listener, inbound, request_id, body, user, reply, started, spam=True)
            return reply
    except Rejected as rejected:
        reply = rejected.reply
        reply.body["requestId"] = str(request_id)
        if reply.status in REFUSED_STATUSES:
            log_refused(listener, inbound, request_id, body, sender, reply, started)
        else:
            log_rejected(listener, inbound, request_id, body, sender, reply, started)
        return reply
    except Replayed as replayed:
        log_rejected(listener, inbound, request_id, body, sender, replayed.reply, started)
        return replayed.reply
    origin = Origin(org=listener.org, actor=user, listener=listener, request_id=request_id)
    try:
        reply = _accept(listener, origin, inbound, body, key, submission.items, started)
        reply.redirect = submission.redirect
        return reply
    except Exception as exc:
        if isinstance(exc, CONNECTION_ERRORS) and not database_answers():
            raise  # an outage: answered 503 (crmdp/web/outage.py); nothing to log it in
        log.exception("request %s to listener %s failed", request_id, listener.id)
        return log_failure(listener, inbound, request_id, body, started)


def _accept(
    listener: Listener,
    origin: Origin,
    inbound: Inbound,
    body: bytes,
    key: str | None,
    items: list[Any],
    started: float,
) -> Reply:
    """Run the actions of a request the envelope let through, and log it with them."""
    directory = OrgDirectory(listener.org)
    # Reading needs no lock: it happens before the write transaction opens.
    planned = [plan(index, item, directory) for index, item in enumerate(items)]

    # The log entry's every column but the answer, before the transaction opens.
    entry = prepare_delivery(listener, inbound, origin.request_id, body, origin.actor, started)

    def claim() -> IdempotencyRecord | None:
        return claim_key(listener, key, body) if key else None

    def answer(record: IdempotencyRecord | None, results: list[dict[str, Any]]) -> Reply:
        reply = Reply(200, {"requestId": str(origin.request_id), "results": results})
        if record is not None:
            IdempotencyRecord.objects.filter(id=record.id).update(
                status=reply.status, response=storable(reply.body)
            )
        finish_delivery(entry, reply, started, Counter(result["status"] for result in results))
        return reply

    try:
        return batch.write(origin, directory, planned, opening=claim, closing=answer)
    except Overtaken:
        # The same key was processed while this request was read: answer as a
        # repeat is answered.
        assert key is not None
        reply = Reply(409, error_body("idempotency_conflict", "retry this request"))
        try:
            check_repeat(listener, key, body)
        except (Rejected, Replayed) as answered:
            reply = answered.reply
        log_rejected(listener, inbound, origin.request_id, body, origin.actor, reply, started)
        return reply
