"""The envelope of a listener request (SPEC §3): everything decided before an action
is read. Who may send (source allowlist, signature, senderUser), how much (body
size, rate, work cap), the body read in the listener's format (formats/), and
whether it repeats an earlier request (idempotency).
A check that fails raises `Rejected`; nothing has been written then.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from crmdp.lib import request_ids, signatures
from crmdp.lib.issues import Issue
from crmdp.lib.netaddr import client_address, in_networks, parse_address, parse_networks
from crmdp.listeners.formats import FORMATS
from crmdp.listeners.formats.submission import Refused, Request, Submission
from crmdp.listeners.models import Delivery, IdempotencyRecord, Listener
from crmdp.listeners.results import error_body
from crmdp.orgs.directory import active_member
from crmdp.orgs.models import Membership, Role, User

MINUTE = timedelta(seconds=60)
IDEMPOTENCY_WINDOW = timedelta(hours=24)
# Refusals before a request is trusted (a bad signature, address or sender, too
# large, past the rate limit): anyone holding or guessing at a URL can send them at
# will, so what is kept of them is bounded (see deliveries.log_refused).
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
    # The HTTP request's id (crmdp/lib/request_ids.py): the requestId of the answer,
    # its X-Request-Id and the delivery's. A replay is a request of its own.
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)


def inbound_from(request: HttpRequest) -> Inbound:
    """What a listener needs of a Django request, its body still unread."""
    return Inbound(
        source_ip=client_address(
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_X_FORWARDED_FOR"),
            settings.TRUSTED_PROXIES,
        ),
        content_type=_content_type(request),
        declared_length=_declared_length(request),
        read_body=_body_reader(request),
        idempotency_key=request.headers.get("Idempotency-Key"),
        webhook_id=request.headers.get("webhook-id"),
        webhook_timestamp=request.headers.get("webhook-timestamp"),
        webhook_signature=request.headers.get("webhook-signature"),
        headers=request.headers,
        request_id=request_ids.request_id(request),
    )


def _content_type(request: HttpRequest) -> str:
    # Kept in the delivery log: a control character (NUL) would not store on PostgreSQL.
    # Whole, parameters included: a multipart body is read by its boundary (and so
    # is its replay).
    whole = request.META.get("CONTENT_TYPE") or request.content_type or ""
    return "".join(ch for ch in whole if ch.isprintable())


def _body_reader(request: HttpRequest) -> Callable[[int], bytes]:
    """Django reads no body without Content-Length; a chunked one is read from the
    server's stream (gunicorn removes the chunking), still at most the limit + 1."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        stream = request.META["wsgi.input"]
        return lambda size: bytes(stream.read(size))
    return request.read


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    redirect: str | None = None  # form posts: where a browser goes next

    def as_json(self) -> HttpResponse:
        response = JsonResponse(
            self.body, status=self.status, json_dumps_params={"ensure_ascii": False}
        )
        for name, value in self.headers.items():
            response[name] = value
        return response


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


class Overtaken(Exception):
    """Another request with the same Idempotency-Key committed first."""


# -- who may send ---------------------------------------------------------------------


def check_source(listener: Listener, source_ip: str) -> None:
    if not listener.allowed_ips:
        return
    if not in_networks(parse_address(source_ip), parse_networks(listener.allowed_ips)):
        raise Rejected(403, "ip_not_allowed", f"requests from {source_ip} are not allowed")


def check_signature(listener: Listener, inbound: Inbound, body: bytes) -> None:
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


def read_submission(listener: Listener, inbound: Inbound, body: bytes) -> Submission:
    """The body read in the listener's format (crmdp.listeners.formats)."""
    request = Request(
        listener=listener,
        body=body,
        content_type=inbound.content_type,
        headers=inbound.headers,
        replay=inbound.replay_of is not None and inbound.replay_of.status == 200,
    )
    try:
        return FORMATS[listener.format](request)
    except Refused as refused:
        raise Rejected(refused.status, refused.code, refused.message, *refused.details) from None


def owner_email(listener: Listener) -> str:
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


def sender_user(listener: Listener, sender: str) -> User:
    """The active member of the listener's org that `senderUser` names."""
    user = active_member(listener.org, sender)
    if user is None:
        raise Rejected(
            403,
            "unknown_sender",
            f"senderUser {sender!r} is not an active user of this org",
            Issue("senderUser", "must be the email of an active user of the listener's org"),
        )
    return user


# -- how much -------------------------------------------------------------------------


def check_rate(listener: Listener) -> None:
    """At most `rate_limit_per_minute` accepted requests in any 60 seconds.

    Counted from the delivery log (one indexed query), so the limit holds across
    every web process and host; refused requests do not count.
    """
    limit = listener.rate_limit_per_minute
    if not limit:
        return
    now = timezone.now()
    nth_latest = list(
        Delivery.objects.filter(listener=listener, status=200, received_at__gt=now - MINUTE)
        .order_by("-received_at")
        .values_list("received_at", flat=True)[limit - 1 : limit]
    )
    if nth_latest:
        wait = math.ceil((nth_latest[0] + MINUTE - now).total_seconds())
        raise Rejected(
            429,
            "rate_limited",
            f"this listener accepts {limit} requests a minute; retry in {wait} s",
            headers={"Retry-After": str(max(wait, 1))},
        )


def read_body(inbound: Inbound) -> bytes:
    limit = settings.CRMDP_MAX_BODY_BYTES
    too_large = Rejected(413, "body_too_large", f"the body is larger than {limit} bytes")
    # Refused on the declared size, before a byte of the body is read.
    if inbound.declared_length is not None and inbound.declared_length > limit:
        raise too_large
    body = inbound.read_body(limit + 1)
    if len(body) > limit:
        raise too_large
    return body


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


def check_work(items: list[Any]) -> None:
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


# -- repeats (idempotency) ------------------------------------------------------------


def idempotency_key(listener: Listener, inbound: Inbound) -> str | None:
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


def checked_key(key: str | None, what: str) -> str | None:
    """A sender's own id of a submission, as an idempotency key."""
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > 200 or not key.isprintable() or not key.isascii():
        raise Rejected(
            400, "invalid_idempotency_key", f"{what} must be at most 200 printable ASCII characters"
        )
    return key


def _body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_repeat(listener: Listener, key: str, body: bytes) -> None:
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


def claim_key(listener: Listener, key: str, body: bytes) -> IdempotencyRecord:
    """Inside the request's transaction: take `key` for this request, and return the
    record to fill in with the response.

    Raises Overtaken when another request with the key committed first (on
    PostgreSQL the INSERT waits for it; on SQLite writers are serialised, so it
    already has)."""
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
    record = IdempotencyRecord.objects.filter(listener=listener, key=key, status=0).first()
    if record is None:
        raise Overtaken
    return record
