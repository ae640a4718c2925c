"""Receiving a listener request (SPEC §3): the envelope checks, then every action in
order inside one transaction (a failing action leaves no trace: see _Batch), then
the delivery log entry in that same transaction, so a 200 is only ever answered
for what is committed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from crmdp.backends import rows
from crmdp.backends.health import CONNECTION_ERRORS, database_answers
from crmdp.customers.locking import customer_key, lock_identities
from crmdp.customers.matching import KeyIndex
from crmdp.customers.numbering import NewCustomers
from crmdp.customers.writing import Batch
from crmdp.history.models import HistoryEntry
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.lib import signatures
from crmdp.lib.issues import ActionFailed, Invalid, Issue, Warnings, join_path
from crmdp.lib.jsonbody import BodyError, parse_json
from crmdp.lib.netaddr import in_networks, parse_address, parse_networks
from crmdp.listeners.actions import ACTIONS, Action
from crmdp.listeners.formats import FORMATS
from crmdp.listeners.formats import submission as formats
from crmdp.listeners.models import Delivery, Format, IdempotencyRecord, Listener
from crmdp.listeners.results import Outcome, action_result, error_body
from crmdp.messaging.models import Message
from crmdp.messaging.services import welcome_new_customers
from crmdp.orgs.directory import OrgDirectory, active_member
from crmdp.orgs.models import Membership, Role, User
from crmdp.orgs.numbering import Numbers

log = logging.getLogger(__name__)

ALLOWED_ACTIONS = ", ".join(ACTIONS)
_ENVELOPE_KEYS = {"actionType", "data"}
# PostgreSQL's serialization_failure and deadlock_detected: the request is retried.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
_ATTEMPTS = 5
_MINUTE = timedelta(seconds=60)
# Errors an odd value can raise deep in a library (decimal's Overflow, datetime's
# OverflowError and ValueError): they fail one action, never the request.
_ODD_VALUE = (ArithmeticError, ValueError)
IDEMPOTENCY_WINDOW = timedelta(hours=24)
# Refusals before a request is trusted (a bad signature, address or sender, too
# large, past the rate limit): anyone holding or guessing at a URL can send them at
# will, so what is kept of them is bounded (see _log_refused).
REFUSED_STATUSES = (401, 403, 413, 429)


@dataclass
class Inbound:
    """What the view knows of a request, without Django's request object."""

    source_ip: str
    content_type: str
    declared_length: int | None
    read_body: Callable[[int], bytes]
    idempotency_key: str | None = None
    # Standard Webhooks headers, for listeners that require signed requests.
    webhook_id: str | None = None
    webhook_timestamp: str | None = None
    webhook_signature: str | None = None
    replay_of: Delivery | None = None  # set when an admin replays a stored delivery
    # Every header (case-insensitive), for the formats whose senders sign in one.
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    redirect: str | None = None  # form posts: where a browser goes next


class Rejected(Exception):
    """The envelope is refused: nothing is done, but the delivery is logged."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *details: Issue,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.reply = Reply(status, error_body(code, message, list(details)), headers or {})


class Replayed(Exception):
    """The request repeats an earlier one (same Idempotency-Key, same body)."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.reply = Reply(record.status, record.response, {"Idempotent-Replayed": "true"})


@dataclass
class _Planned:
    """One action of the request: read (or refused while reading), ready to run."""

    index: int
    action_type: str | None
    warnings: Warnings
    action: Action | None = None
    failure: ActionFailed | None = None


def receive(listener: Listener, inbound: Inbound) -> Reply:
    """Handle one POST to `listener` and log it; returns what to answer."""
    started = time.monotonic()
    request_id = uuid.uuid4()
    body = b""
    sender = ""
    redirect: str | None = None
    spam = False
    try:
        try:
            _check_source(listener, inbound.source_ip)
        except Rejected:
            # Kept even from a refused address: once the address is allowed, the
            # admin can replay what was refused.
            with contextlib.suppress(Rejected):
                body = _read_body(inbound)
            raise
        _check_rate(listener)
        key = _idempotency_key(listener, inbound)
        body = _read_body(inbound)
        _check_signature(listener, inbound, body)
        if listener.format == Format.ACTIONS:
            sender, items = _read_envelope(_parse(body))
        else:
            submission = _read_format(listener, inbound, body)
            sender, items = submission.sender or _owner_email(listener), submission.items
            redirect = submission.redirect
            if inbound.replay_of is None:  # a replay is run again, as in `actions`
                key = key or _checked_key(submission.idempotency_key, "the sender's own id")
            spam = submission.spam
        _check_work(items)
        user = active_member(listener.org, sender)
        if user is None:
            raise Rejected(
                403,
                "unknown_sender",
                f"senderUser {sender!r} is not an active user of this org",
                Issue("senderUser", "must be the email of an active user of the listener's org"),
            )
        if key:
            _check_repeat(listener, key, body)
        if spam:
            # Answered as a success, so that the bot learns nothing; nothing is run.
            reply = Reply(200, {"requestId": str(request_id), "results": []}, redirect=redirect)
            with transaction.atomic():
                _save_delivery(listener, inbound, request_id, body, user, reply, started, spam=True)
            return reply
    except Rejected as rejected:
        reply = rejected.reply
        reply.body["requestId"] = str(request_id)
        if reply.status in REFUSED_STATUSES:
            _log_refused(listener, inbound, request_id, body, sender, reply, started)
        else:
            _log_rejected(listener, inbound, request_id, body, sender, reply, started)
        return reply
    except Replayed as replayed:
        _log_rejected(listener, inbound, request_id, body, sender, replayed.reply, started)
        return replayed.reply
    origin = Origin(org=listener.org, actor=user, listener=listener, request_id=request_id)
    try:
        reply = _run(listener, origin, inbound, body, items, key, started)
        reply.redirect = redirect
        return reply
    except Exception as exc:
        if isinstance(exc, CONNECTION_ERRORS) and not database_answers():
            raise  # an outage: answered 503 (crmdp/web/outage.py); nothing to log it in
        log.exception("request %s to listener %s failed", request_id, listener.id)
        return _log_failure(listener, inbound, body, started)


# -- the envelope ---------------------------------------------------------------------


def _check_source(listener: Listener, source_ip: str) -> None:
    if not listener.allowed_ips:
        return
    if not in_networks(parse_address(source_ip), parse_networks(listener.allowed_ips)):
        raise Rejected(403, "ip_not_allowed", f"requests from {source_ip} are not allowed")


def _check_rate(listener: Listener) -> None:
    """At most `rate_limit_per_minute` accepted requests in any 60 seconds.

    Counted from the delivery log (one indexed query), so the limit holds across
    every web process and host; refused requests do not count.
    """
    limit = listener.rate_limit_per_minute
    if not limit:
        return
    now = timezone.now()
    nth_latest = list(
        Delivery.objects.filter(listener=listener, status=200, received_at__gt=now - _MINUTE)
        .order_by("-received_at")
        .values_list("received_at", flat=True)[limit - 1 : limit]
    )
    if nth_latest:
        wait = math.ceil((nth_latest[0] + _MINUTE - now).total_seconds())
        raise Rejected(
            429,
            "rate_limited",
            f"this listener accepts {limit} requests a minute; retry in {wait} s",
            headers={"Retry-After": str(max(wait, 1))},
        )


def _check_signature(listener: Listener, inbound: Inbound, body: bytes) -> None:
    if not listener.signing_secret:
        return
    try:
        signatures.verify(
            listener.signing_secret,
            message_id=inbound.webhook_id,
            timestamp=inbound.webhook_timestamp,
            signature=inbound.webhook_signature,
            body=body,
        )
    except signatures.SignatureProblem as problem:
        raise Rejected(401, "invalid_signature", str(problem)) from None


def _read_format(listener: Listener, inbound: Inbound, body: bytes) -> formats.Submission:
    request = formats.Request(
        listener=listener,
        body=body,
        content_type=inbound.content_type,
        headers=inbound.headers,
        replay=inbound.replay_of is not None and inbound.replay_of.status == 200,
    )
    try:
        return FORMATS[listener.format](request)
    except formats.Refused as refused:
        raise Rejected(refused.status, refused.code, refused.message, *refused.details) from None


def _owner_email(listener: Listener) -> str:
    """Who owns what a form-like sender creates (such senders name no senderUser):
    the user who created the listener while they are an active member, else the
    org's first owner."""
    if listener.created_by is not None:
        creator = active_member(listener.org, listener.created_by.email)
        if creator is not None:
            return creator.email
    owner = (
        Membership.objects.filter(
            org_id=listener.org_id, role=Role.OWNER, is_active=True, user__is_active=True
        )
        .order_by("id")
        .values_list("user__email", flat=True)
        .first()
    )
    return owner or ""


def _checked_key(key: str | None, what: str) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > 200 or not key.isprintable() or not key.isascii():
        raise Rejected(
            400, "invalid_idempotency_key", f"{what} must be at most 200 printable ASCII characters"
        )
    return key


def _idempotency_key(listener: Listener, inbound: Inbound) -> str | None:
    """The key a repeat of this request is known by.

    A signed request's webhook-id names the message and is covered by the
    signature: it is the key whatever Idempotency-Key says. Otherwise anyone who
    captured a signed request could replay it within the signature's five minutes
    under a fresh Idempotency-Key (a header the signature does not cover)."""
    if listener.signing_secret:
        key = (inbound.webhook_id or "").strip()
    else:
        key = (inbound.idempotency_key or inbound.webhook_id or "").strip()
    if not key:
        return None
    if len(key) > 200 or not key.isprintable() or not key.isascii():
        header = "webhook-id" if key == (inbound.webhook_id or "").strip() else "Idempotency-Key"
        raise Rejected(
            400,
            "invalid_idempotency_key",
            f"the {header} header must be at most 200 printable ASCII characters",
        )
    return key


def _body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _check_repeat(listener: Listener, key: str, body: bytes) -> None:
    """A key seen in the last 24 h: the same body gets the first answer again (nothing
    is done); another body is refused with 422."""
    record = (
        IdempotencyRecord.objects.filter(
            listener=listener, key=key, created_at__gt=timezone.now() - IDEMPOTENCY_WINDOW
        )
        .only("key", "body_sha256", "status", "response")
        .first()
    )
    if record is None:
        return
    if record.body_sha256 != _body_digest(body):
        raise Rejected(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used in the last 24 hours with a different body",
        )
    raise Replayed(record)


def _claim_key(listener: Listener, key: str, body: bytes) -> IdempotencyRecord | None:
    """Inside the request's transaction: take `key` for this request.

    Returns the record to fill in, or None when another request with the key
    committed first (on PostgreSQL the INSERT waits for it; on SQLite writers are
    serialised, so it already has)."""
    cutoff = timezone.now() - IDEMPOTENCY_WINDOW
    IdempotencyRecord.objects.filter(listener=listener, key=key, created_at__lte=cutoff).delete()
    IdempotencyRecord.objects.bulk_create(
        [
            IdempotencyRecord(
                listener=listener, key=key, body_sha256=_body_digest(body), status=0, response={}
            )
        ],
        ignore_conflicts=True,
    )
    # Status 0 is only ever seen by the transaction that inserted it: the response
    # is filled in before that transaction commits.
    return IdempotencyRecord.objects.filter(listener=listener, key=key, status=0).first()


def _read_body(inbound: Inbound) -> bytes:
    limit = settings.CRMDP_MAX_BODY_BYTES
    too_large = Rejected(413, "body_too_large", f"the body is larger than {limit} bytes")
    # Refused on the declared size, before a byte of the body is read.
    if inbound.declared_length is not None and inbound.declared_length > limit:
        raise too_large
    body = inbound.read_body(limit + 1)
    if len(body) > limit:
        raise too_large
    return body


def _parse(body: bytes) -> Any:
    try:
        return parse_json(
            body,
            max_depth=settings.CRMDP_MAX_DEPTH,
            max_string=settings.CRMDP_MAX_STRING_LENGTH,
            max_items=settings.CRMDP_MAX_LIST_ITEMS,
        )
    except BodyError as exc:
        details = [Issue(exc.field, exc.message)] if exc.field else []
        raise Rejected(400, "invalid_body", exc.message, *details) from None


def _read_envelope(document: Any) -> tuple[str, list[Any]]:
    if not isinstance(document, dict):
        raise Rejected(400, "invalid_envelope", "the body must be a JSON object")
    sender = document.get("senderUser")
    problems = []
    if not isinstance(sender, str) or not sender.strip():
        problems.append(Issue("senderUser", "is required: the email of a user of this org"))
    items = document.get("data")
    if not isinstance(items, list):
        problems.append(Issue("data", "is required: an array of actions"))
    if problems:
        raise Rejected(400, "invalid_envelope", "the request envelope is incomplete", *problems)
    assert isinstance(sender, str) and isinstance(items, list)
    if len(items) > settings.CRMDP_MAX_ACTIONS:
        raise Rejected(
            413,
            "too_many_actions",
            f"{len(items)} actions in one request; the limit is {settings.CRMDP_MAX_ACTIONS}",
            Issue("data", f"at most {settings.CRMDP_MAX_ACTIONS} actions per request"),
        )
    return sender.strip(), items


def work_items(item: Any) -> int:
    """What one action weighs: itself, plus each further customer it may find or
    create (a deal's dealWith and contacts) or message (send-sms's phones).

    Counted on the raw JSON, before anything is read: reading 500 deals of 1,000
    contacts each would itself cost what the limit is there to prevent."""
    data = item.get("data") if isinstance(item, dict) else None
    if not isinstance(data, dict):
        return 1
    work = 1
    if isinstance(data.get("dealWith"), dict):
        work += 1
    for name in ("contacts", "phones"):
        named = data.get(name)
        if isinstance(named, list) and (name == "contacts" or item.get("actionType") == "send-sms"):
            work += len(named)
    return work


def _check_work(items: list[Any]) -> None:
    """A cap on the whole request's work (every customer of every action), so that
    no valid request holds the write lock for more than about a second."""
    limit = settings.CRMDP_MAX_WORK_ITEMS
    total = sum(work_items(item) for item in items)
    if total > limit:
        raise Rejected(
            413,
            "too_much_work",
            f"this request carries {total} work items (actions, plus the customers and "
            f"phones they name); the limit is {limit} (CRMDP_MAX_WORK_ITEMS): split it",
            Issue("data", f"at most {limit} work items per request"),
        )


# -- the actions ----------------------------------------------------------------------


def _plan(index: int, item: Any, directory: OrgDirectory) -> _Planned:
    path = f"data[{index}]"
    warnings = Warnings()
    if isinstance(item, formats.Unreadable):  # a format could not build this action
        issues = [Issue(join_path(path, issue.field), issue.message) for issue in item.issues]
        return _Planned(index, item.action_type, warnings, failure=ActionFailed(*issues))
    if not isinstance(item, dict):
        failure = ActionFailed(Issue(path, "must be an object with actionType and data"))
        return _Planned(index, None, warnings, failure=failure)
    action_type = item.get("actionType")
    if not isinstance(action_type, str) or action_type.strip() not in ACTIONS:
        message = (
            f"unknown actionType {action_type!r}; allowed: {ALLOWED_ACTIONS}"
            if action_type not in (None, "")
            else f"is required; allowed: {ALLOWED_ACTIONS}"
        )
        failure = ActionFailed(Issue(join_path(path, "actionType"), message))
        return _Planned(
            index, action_type if isinstance(action_type, str) else None, warnings, failure=failure
        )
    action_type = action_type.strip()
    for key in item.keys() - _ENVELOPE_KEYS:
        warnings.warn(join_path(path, key), "unknown field; ignored")
    try:
        action = ACTIONS[action_type](
            item.get("data"), directory, join_path(path, "data"), warnings
        )
    except ActionFailed as failure:
        return _Planned(index, action_type, warnings, failure=failure)
    except _ODD_VALUE as exc:
        # A value no reader foresaw (an overflow, a date past 9999): this action's
        # error, not a 500 for the whole request.
        log.warning("%s (%s): a value could not be read: %r", path, action_type, exc)
        odd = ActionFailed(Issue(join_path(path, "data"), "a value is out of range"))
        return _Planned(index, action_type, warnings, failure=odd)
    return _Planned(index, action_type, warnings, action=action)


def _run(
    listener: Listener,
    origin: Origin,
    inbound: Inbound,
    body: bytes,
    items: list[Any],
    idempotency_key: str | None,
    started: float,
) -> Reply:
    directory = OrgDirectory(listener.org)
    # Reading needs no lock: it happens before the write transaction opens.
    planned = [_plan(index, item, directory) for index, item in enumerate(items)]
    actions = [plan.action for plan in planned if plan.action]
    locks = [key for action in actions for key in action.lock_keys()]
    attempt, savepoints = 1, False
    while True:
        try:
            with transaction.atomic():
                record = _claim_key(listener, idempotency_key, body) if idempotency_key else None
                if idempotency_key and record is None:
                    raise _Overtaken
                lock_identities(listener.org_id, locks)
                org_id = listener.org_id
                batch = _Batch(origin, directory, KeyIndex(org_id), Numbers(org_id), savepoints)
                # Every customer key the actions carry, read in one query (after the
                # locks, so no other writer can change them before we commit).
                batch.keys.prefetch(key for lock in locks if (key := customer_key(lock)))
                if batch.new_customers.takes_ids_in_blocks:
                    expected = sum(action.new_customers_expected(batch.keys) for action in actions)
                    batch.new_customers.reserve(expected)
                if connection.vendor == "postgresql" and any(
                    action.may_number(batch.keys) for action in actions
                ):
                    # Before any row lock an action takes (see crmdp.orgs.numbering).
                    batch.numbers.lock()
                with connection.execute_wrapper(batch.count_writes):
                    results = [batch.execute(plan) for plan in planned]
                batch.flush()
                reply = Reply(200, {"requestId": str(origin.request_id), "results": results})
                if record is not None:
                    IdempotencyRecord.objects.filter(id=record.id).update(
                        status=reply.status, response=storable(reply.body)
                    )
                _save_delivery(
                    listener,
                    inbound,
                    origin.request_id,
                    body,
                    origin.actor,
                    reply,
                    started,
                    outcomes=Counter(result["status"] for result in results),
                )
            return reply
        except _Overtaken:
            # The same key was processed while this request was read: answer as
            # a repeat is answered.
            assert idempotency_key is not None
            reply = Reply(409, error_body("idempotency_conflict", "retry this request"))
            try:
                _check_repeat(listener, idempotency_key, body)
            except (Rejected, Replayed) as answered:
                reply = answered.reply
            _log_rejected(listener, inbound, origin.request_id, body, origin.actor, reply, started)
            return reply
        except _NeedsSavepoints:
            # Rolled back whole; run again, each action in a savepoint of its own.
            assert not savepoints
            savepoints = True
        except OperationalError as exc:
            if not _retryable(exc) or attempt == _ATTEMPTS:
                raise
            log.info("request %s: %s, retrying (attempt %d)", origin.request_id, exc, attempt)
            time.sleep(0.005 * attempt)
            attempt += 1


class _Overtaken(Exception):
    """Another request with the same Idempotency-Key committed first."""


class _NeedsSavepoints(Exception):
    """An action failed after writing to the database (or with a database error):
    only a savepoint can take its writes back, and it had none."""


@dataclass
class _Batch:
    """The actions of one request, run in order in its transaction. What they all
    write in the same shape (history lines, new customers' keys, outbox rows) is
    gathered here and inserted once, at the end, with one statement each.

    A failing action must leave no trace. What it gathered is simply dropped, and
    most actions fail (if they fail) while reading and matching, before any write
    of their own; so actions run without a savepoint each (two statements, a tenth
    of a batch's time). Should an action fail after a write of its own, the request
    is rolled back and run again with `savepoints`, which take each failing
    action's writes back and let the others stand."""

    origin: Origin
    directory: OrgDirectory
    keys: KeyIndex
    numbers: Numbers
    savepoints: bool = False
    new_customers: NewCustomers = field(default_factory=NewCustomers)
    history: list[HistoryEntry] = field(default_factory=list)
    outbox: list[Message] = field(default_factory=list)
    writes: int = 0  # statements other than SELECT run by the actions so far

    def count_writes(self, execute: Any, sql: str, *rest: Any) -> Any:
        """A database execute wrapper, around the running of the actions."""
        if sql.lstrip()[:6].upper() != "SELECT":
            self.writes += 1
        return execute(sql, *rest)

    def execute(self, plan: _Planned) -> dict[str, Any]:
        warnings = Warnings(list(plan.warnings))
        if plan.action is None:
            assert plan.failure is not None
            return action_result(
                plan.index, plan.action_type, Outcome("error"), warnings, plan.failure.issues
            )
        batch = Batch(
            self.directory,
            HistoryBuffer(self.origin),
            warnings,
            self.keys,
            self.new_customers,
            self.numbers,
            defer_new_customers=not plan.action.needs_customer_rows,
        )
        if plan.action.needs_customer_rows:
            self.new_customers.flush()  # so that it finds the customers created before it
        batch_outbox: list[Message] = []
        issues: list[Issue] = []
        self.keys.action_started()
        self.numbers.action_started()
        writes_before = self.writes
        try:
            with transaction.atomic() if self.savepoints else contextlib.nullcontext():
                outcome = plan.action.run(self.origin, batch)
                # The listener's welcome messages for every customer the action created.
                welcome_new_customers(
                    origin=self.origin,
                    customers=batch.created,
                    warnings=warnings,
                    outbox=batch_outbox,
                )
        except ActionFailed as failure:
            issues = failure.issues
        except Invalid as invalid:  # a service's validation error names its field too
            issues = [Issue(invalid.field, invalid.message)]
        except (DatabaseError, *_ODD_VALUE) as exc:
            retry = _retryable(exc) or connection.vendor == "sqlite"
            if isinstance(exc, OperationalError) and retry:
                raise  # the whole request is retried (or fails) rather than half-done
            if not self.savepoints:
                raise _NeedsSavepoints from exc
            log.exception("request %s: action %d failed", self.origin.request_id, plan.index)
            reference = f"could not be stored (reference {self.origin.request_id})"
            issues = [Issue(f"data[{plan.index}]", reference)]
        if issues:
            if self.writes != writes_before and not self.savepoints:
                raise _NeedsSavepoints
            self.keys.action_failed()
            self.numbers.action_failed()
            return action_result(plan.index, plan.action_type, Outcome("error"), warnings, issues)
        self.keys.action_done()
        self.numbers.action_done()
        self.new_customers.add(batch.deferred)
        self.history += batch.history.entries
        self.outbox += batch_outbox
        return action_result(plan.index, plan.action_type, outcome, warnings)

    def flush(self) -> None:
        self.new_customers.flush()
        self.keys.flush()
        self.numbers.save()
        rows.insert(self.history)
        rows.insert(self.outbox)


def _retryable(exc: BaseException) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES


# -- the delivery log -----------------------------------------------------------------


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


def _save_delivery(
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
    delivery = rows.build(
        Delivery,
        listener=listener,
        org_id=listener.org_id,
        request_id=request_id or uuid.uuid4(),
        source_ip=inbound.source_ip[:64],
        content_type=inbound.content_type[:200],
        body=body,
        body_size=body_size or (len(body) if body else (inbound.declared_length or 0)),
        status=reply.status,
        response=storable(reply.body),
        outcomes=dict(outcomes or {}),
        sender=(sender.email if isinstance(sender, User) else sender or "")[:254],
        idempotency_key=_printable(inbound.idempotency_key or "")[:200],
        # When the request arrived, not when its processing ended.
        received_at=timezone.now() - timedelta(seconds=time.monotonic() - started),
        duration_ms=round((time.monotonic() - started) * 1000, 3),
        replay_of=inbound.replay_of,
        format=listener.format,
        spam=spam,
    )
    rows.insert([delivery], return_ids=True)  # the hot path: no query compiler
    return delivery


def _printable(text: str) -> str:
    """A header as sent, even one refused for it, without control characters: NUL
    does not store on PostgreSQL."""
    return "".join(ch for ch in text if ch.isprintable())


def _log_rejected(
    listener: Listener,
    inbound: Inbound,
    request_id: uuid.UUID | None,
    body: bytes,
    sender: User | str | None,
    reply: Reply,
    started: float,
) -> None:
    with transaction.atomic():
        _save_delivery(listener, inbound, request_id, body, sender, reply, started)


def _log_refused(
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
                received_at__gt=timezone.now() - _MINUTE,
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
        _save_delivery(
            listener, inbound, request_id, kept, sender, reply, started, body_size=len(body)
        )


def _log_failure(listener: Listener, inbound: Inbound, body: bytes, started: float) -> Reply:
    """After an unexpected error the request is still kept, raw, with its 500."""
    request_id = uuid.uuid4()
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
        _log_rejected(listener, inbound, request_id, body, "", reply, started)
    except DatabaseError:
        log.exception("could not log failed delivery %s", request_id)
    return reply
