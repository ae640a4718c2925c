"""The outbox worker: claims due messages with a lease, sends them, records each
attempt, and retries temporary failures with exponential back-off (SPEC §6).

Any number of workers may run against one database. A claim is a conditional
UPDATE inside a short transaction: on PostgreSQL the candidate rows are selected
`FOR UPDATE SKIP LOCKED`, so two workers never take the same row and neither
waits for the other; on SQLite the transaction holds the write lock (BEGIN
IMMEDIATE), which serialises claims. A worker that dies mid-send leaves a lease
that expires; another worker then takes the message again. Providers receive the
message's idempotency key, so where they honour it the retaken message is not
delivered twice.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from crmdp.history.models import HistoryEntry
from crmdp.lib.templating import TemplateProblem
from crmdp.messaging.models import Channel, Message, MessageAttempt, MessageStatus
from crmdp.messaging.services import render_message
from crmdp.messaging.transports import SMS_TRANSPORTS, EmailTransport, Transport, TransportError
from crmdp.orgs.models import Org

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    lease: timedelta
    retry_base: float  # seconds before the first retry; each next one doubles
    max_attempts: int

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            lease=timedelta(seconds=settings.CRMDP_WORKER_LEASE_SECONDS),
            retry_base=settings.CRMDP_RETRY_BASE_SECONDS,
            max_attempts=settings.CRMDP_MAX_ATTEMPTS,
        )

    def backoff(self, attempts: int) -> timedelta:
        """Seconds until the next try after `attempts` tries: base, 2×, 4×, … ±20%."""
        delay = self.retry_base * 2 ** max(0, attempts - 1)
        return timedelta(seconds=delay * random.uniform(0.8, 1.2))


def _claimable(now: datetime) -> Q:
    return Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def claim(limit: int, policy: Policy) -> tuple[str, list[Message]]:
    """Lease up to `limit` due messages to this worker; returns the lease token and them."""
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return token, []
        # Conditional: a row another worker leased in the meantime is not taken.
        Message.objects.filter(_claimable(now), id__in=ids).update(
            lease_until=now + policy.lease, lease_token=token, attempts=F("attempts") + 1
        )
    claimed = list(
        Message.objects.filter(lease_token=token).select_related("org", "customer").order_by("id")
    )
    return token, claimed


def transport_for(message: Message) -> Transport:
    if message.channel == Channel.EMAIL:
        return EmailTransport()
    org = message.org
    if org.sms_provider and not message.uses_trial:
        return SMS_TRANSPORTS[org.sms_provider](org.sms_url)
    return SMS_TRANSPORTS[settings.CRMDP_TRIAL_SMS_PROVIDER](settings.CRMDP_TRIAL_SMS_URL)


def deliver(message: Message, token: str, policy: Policy, worker: str) -> str:
    """Send one leased message and record what came of it; returns the outcome."""
    started = timezone.now()
    provider_id, error, permanent = "", "", False
    transport = transport_for(message)
    try:
        # Here, outside any transaction and within its budget: an org's template
        # never holds a lock another org's request waits for.
        render_message(message)
    except TemplateProblem as exc:
        error, permanent = f"the template cannot be rendered: it {exc}", True
    if not error:
        try:
            provider_id = transport.send(message)
        except TransportError as exc:
            error, permanent = exc.reason, exc.permanent
        except Exception as exc:  # a bug or an odd failure: retried like a temporary one
            log.exception("message %s: unexpected error while sending", message.id)
            error = f"{type(exc).__name__}: {exc}"
    finished = timezone.now()
    if not error:
        outcome = "sent"
    elif permanent or message.attempts >= policy.max_attempts:
        outcome = "failed"
    else:
        outcome = "retry"
    _record(
        message,
        token,
        policy,
        worker,
        transport.name,
        outcome,
        provider_id,
        error,
        started,
        finished,
    )
    return outcome


def _record(
    message: Message,
    token: str,
    policy: Policy,
    worker: str,
    provider: str,
    outcome: str,
    provider_id: str,
    error: str,
    started: datetime,
    finished: datetime,
) -> None:
    # What was rendered is what was sent (or tried): kept, templates done with.
    text = {"subject": message.subject, "body": message.body, "template": {}}
    if outcome == "retry" or not message.template:
        text = {}
    with transaction.atomic():
        mine = Message.objects.filter(id=message.id, lease_token=token)
        if outcome == "sent":
            kept = mine.update(
                **text,
                status=MessageStatus.SENT,
                sent_at=finished,
                finished_at=finished,
                provider=provider,
                provider_message_id=provider_id[:200],
                last_error="",
                lease_until=None,
            )
        elif outcome == "failed":
            kept = mine.update(
                **text,
                status=MessageStatus.FAILED,
                finished_at=finished,
                provider=provider,
                last_error=error,
                lease_until=None,
            )
        else:
            kept = mine.update(
                next_attempt_at=timezone.now() + policy.backoff(message.attempts),
                last_error=error,
                lease_until=None,
            )
        MessageAttempt.objects.create(
            message=message,
            number=message.attempts,
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            error=error,
            worker=worker[:100],
        )
        if not kept:
            # Our lease ran out and another worker took the message over; it
            # records the outcome. (A provider that honours the idempotency key
            # delivers it once.)
            log.warning("message %s: lease lost before the outcome was recorded", message.id)
            return
        if outcome == "failed" and message.uses_trial:
            # Nothing was delivered: the trial message is given back.
            Org.objects.filter(id=message.org_id).update(
                sms_trial_remaining=F("sms_trial_remaining") + 1
            )
        if outcome != "retry" and message.customer_id is not None:
            HistoryEntry.objects.create(
                org_id=message.org_id,
                customer_id=message.customer_id,
                text=_history_text(message, outcome, error),
                request_id=message.request_id,
            )


def _history_text(message: Message, outcome: str, error: str) -> str:
    what = "Welcome email" if message.channel == Channel.EMAIL else "SMS"
    if message.reason == "welcome" and message.channel == Channel.SMS:
        what = "Welcome SMS"
    tries = f"{message.attempts} attempt{'s' if message.attempts != 1 else ''}"
    if outcome == "sent":
        return f"{what} sent to {message.to} ({tries})."
    return f"{what} to {message.to} failed after {tries}: {error}"


class Worker:
    """The loop behind `crmdp worker`."""

    def __init__(self, name: str | None = None, batch: int = 10) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.policy = Policy.from_settings()
        self.stopping = False

    def run_once(self) -> int:
        """Claim and send one batch; returns how many messages were handled."""
        if not connection.in_atomic_block:
            # Drop a connection that is broken or past CONN_MAX_AGE, as Django does
            # between requests (a worker has no requests).
            close_old_connections()
        token, messages = claim(self.batch, self.policy)
        for message in messages:
            deliver(message, token, self.policy, self.name)
        return len(messages)

    def run_until_idle(self) -> int:
        handled = 0
        while (count := self.run_once()) > 0:
            handled += count
        return handled

    def run_forever(self) -> None:
        log.info("outbox worker %s started", self.name)
        while not self.stopping:
            try:
                handled = self.run_once()
            except Exception:
                # The database may be restarting; keep the worker alive.
                log.exception("outbox worker: claim failed; retrying shortly")
                handled = 0
                time.sleep(1)
            if handled == 0 and not self.stopping:
                time.sleep(settings.CRMDP_WORKER_POLL_SECONDS)
        log.info("outbox worker %s stopped", self.name)
