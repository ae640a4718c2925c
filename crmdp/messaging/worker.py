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
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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


# A lane is one org's messages on one channel: the unit of fairness and back-off.
Lane = tuple[int, str]


def lane_of(message: Message) -> Lane:
    return (message.org_id, message.channel)


def claim(
    limit: int, policy: Policy, room: Callable[[Lane], int] | None = None
) -> tuple[str, list[Message]]:
    """Lease up to `limit` due messages to this worker; returns the lease token and
    them. `room(lane)`: how many more of a lane's messages this worker takes now (a
    lane with none left, busy or backed off, is skipped, so other orgs go first)."""
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        candidates = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now))
            .order_by("next_attempt_at", "id")
            .values_list("id", "org_id", "channel")[: limit * 4]
        )
        taken: Counter[Lane] = Counter()
        ids: list[int] = []
        for message_id, org_id, channel in candidates:
            lane = (org_id, channel)
            if room is not None and taken[lane] >= room(lane):
                continue
            taken[lane] += 1
            ids.append(message_id)
            if len(ids) == limit:
                break
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


def send_deadline(message: Message) -> float:
    """The longest one send of `message` can take: its template's budget and its
    transport's total deadline (each enforced by a watchdog or a budget)."""
    transport = (
        settings.CRMDP_EMAIL_TIMEOUT
        if message.channel == Channel.EMAIL
        else settings.CRMDP_SMS_TIMEOUT
    )
    return float(transport) + 2 * settings.CRMDP_TEMPLATE_MAX_SECONDS


def renew(message: Message, token: str, policy: Policy) -> bool:
    """Take the lease again, right before sending, for long enough to cover the whole
    send: False when it is no longer ours (it ran out and another worker took the
    message, or its outcome is recorded), and then this worker must not send it."""
    hold = max(policy.lease.total_seconds(), send_deadline(message) + LEASE_MARGIN_SECONDS)
    return bool(
        Message.objects.filter(
            id=message.id, lease_token=token, status=MessageStatus.QUEUED
        ).update(lease_until=timezone.now() + timedelta(seconds=hold))
    )


# Past a send's deadline the lease lasts this much longer: time to record the outcome.
LEASE_MARGIN_SECONDS = 2.0


def transport_for(message: Message) -> Transport:
    if message.channel == Channel.EMAIL:
        return EmailTransport()
    org = message.org
    if org.sms_provider and not message.uses_trial:
        return SMS_TRANSPORTS[org.sms_provider](org.sms_url)
    return SMS_TRANSPORTS[settings.CRMDP_TRIAL_SMS_PROVIDER](settings.CRMDP_TRIAL_SMS_URL)


def deliver(message: Message, token: str, policy: Policy, worker: str) -> str:
    """Send one leased message and record what came of it; returns the outcome
    ("lost" when the lease was no longer this worker's: nothing sent)."""
    if not renew(message, token, policy):
        log.info("message %s: lease lost before sending; left to its new owner", message.id)
        return "lost"
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
        # Compare-and-set: the outcome is recorded only while the message is still
        # queued under this worker's lease.
        mine = Message.objects.filter(id=message.id, lease_token=token, status=MessageStatus.QUEUED)
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


# The longest a worker leaves a failing lane alone before trying it again.
MAX_LANE_PAUSE_SECONDS = 300.0


class Worker:
    """The loop behind `crmdp worker`: a claiming loop and a pool of sending threads.

    Fairness: each lane (one org's emails, or its SMS) may use at most half the
    threads, so an org whose gateway is slow can hold only those, and its other
    messages wait while other orgs' go out. A lane whose send fails temporarily (a
    timeout, a 5xx, a refused connection) is backed off in this worker: 2 s, 4, 8 …
    (CRMDP_RETRY_BASE_SECONDS doubling, at most five minutes) before any more of its
    messages are claimed; a send that succeeds ends the back-off.
    """

    def __init__(
        self, name: str | None = None, batch: int = 10, threads: int | None = None
    ) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.threads = max(1, threads or settings.CRMDP_WORKER_THREADS)
        self.lane_cap = max(1, self.threads // 2)
        self.policy = Policy.from_settings()
        self.stopping = False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._busy: Counter[Lane] = Counter()
        self._failures: Counter[Lane] = Counter()
        self._paused: dict[Lane, float] = {}
        self._in_flight = 0

    def room(self, lane: Lane) -> int:
        """How many more of `lane`'s messages this worker may take now."""
        with self._lock:
            if self._paused.get(lane, 0.0) > time.monotonic():
                return 0
            return self.lane_cap - self._busy[lane]

    def _claim(self, limit: int) -> tuple[str, list[Message]]:
        if not connection.in_atomic_block:
            # Drop a connection that is broken or past CONN_MAX_AGE, as Django does
            # between requests (a worker has no requests).
            close_old_connections()
        token, messages = claim(limit, self.policy, self.room)
        with self._lock:
            for message in messages:
                self._busy[lane_of(message)] += 1
                self._in_flight += 1
        return token, messages

    def _send(self, message: Message, token: str) -> str:
        lane = lane_of(message)
        outcome = "retry"
        try:
            outcome = deliver(message, token, self.policy, self.name)
        finally:
            with self._lock:
                self._busy[lane] -= 1
                self._in_flight -= 1
                if outcome == "retry":
                    self._failures[lane] += 1
                    pause = self.policy.retry_base * 2 ** (self._failures[lane] - 1)
                    pause = min(pause, MAX_LANE_PAUSE_SECONDS)
                    self._paused[lane] = time.monotonic() + pause
                elif outcome in ("sent", "failed"):
                    self._failures.pop(lane, None)
                    self._paused.pop(lane, None)
                self._changed.notify_all()
        return outcome

    def _send_in_thread(self, message: Message, token: str) -> str:
        close_old_connections()  # this thread's own connection
        return self._send(message, token)

    def run_once(self) -> int:
        """Claim and send one batch in this thread; returns how many were handled."""
        token, messages = self._claim(self.batch)
        for message in messages:
            self._send(message, token)
        return len(messages)

    def run_until_idle(self) -> int:
        """Send what is due, in this thread, one message at a time (`--once`, tests)."""
        handled = 0
        while (count := self.run_once()) > 0:
            handled += count
        return handled

    def run_forever(self) -> None:
        log.info("outbox worker %s started with %s threads", self.name, self.threads)
        pending: list[Future[str]] = []
        with ThreadPoolExecutor(self.threads, thread_name_prefix="outbox") as pool:
            while not self.stopping:
                with self._lock:
                    free = self.threads - self._in_flight
                claimed: list[Message] = []
                if free > 0:
                    try:
                        token, claimed = self._claim(free)
                    except Exception:
                        # The database may be restarting; keep the worker alive.
                        log.exception("outbox worker: claim failed; retrying shortly")
                        time.sleep(1)
                        continue
                    for message in claimed:
                        pending.append(pool.submit(self._send_in_thread, message, token))
                    pending = [future for future in pending if not future.done()]
                if not claimed and not self.stopping:
                    # Until a send ends (a thread is free again) or it is time to look.
                    with self._changed:
                        self._changed.wait(settings.CRMDP_WORKER_POLL_SECONDS)
            # Leaving the pool waits for the messages in hand (each within its deadline).
        log.info("outbox worker %s stopped", self.name)
