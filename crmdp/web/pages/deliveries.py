"""A listener's delivery log (Settings → Webhook → a listener): each request it
received, its outcome, replay, and the test console that sends the guide's samples."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from crmdp.lib.issues import Invalid
from crmdp.listeners.formats import preview
from crmdp.listeners.models import Delivery, Format, Listener
from crmdp.listeners.selectors import (
    delivery_outcome,
    delivery_outcomes,
    listener_deliveries,
    listener_delivery,
    org_listener,
    stored_actions,
)
from crmdp.listeners.services import delivery_replay
from crmdp.orgs.models import Membership
from crmdp.web.access import manager_view
from crmdp.web.console import console_samples
from crmdp.web.layout import NavLink
from crmdp.web.pages.listeners import listener_url, webhook_not_found, webhook_page
from crmdp.web.records import Badge, fact, record_link, when


def outcome_summary(delivery: Delivery) -> str:
    """`2 created · 1 duplicate`, or why the request was refused."""
    if delivery.outcomes:
        return " · ".join(f"{count} {status}" for status, count in delivery.outcomes.items())
    error = delivery.response.get("error") if isinstance(delivery.response, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "")
    return "no actions" if delivery.status == 200 else ""


# Each outcome in words, and its colour (the CSS class badge-<tone>).
OUTCOME_BADGES = {
    "ok": Badge("OK", "ok"),
    "partial": Badge("Partial", "partial"),
    "failed": Badge("Failed", "failed"),
    "refused": Badge("Refused", "refused"),
}
OUTCOME_MEANING = {
    "ok": "Every action did what it was asked.",
    "partial": "Some actions did what they were asked; the others changed nothing (see below).",
    "failed": "No action did what it was asked: nothing was changed.",
    "refused": "Refused before any action ran: nothing was changed.",
}


def outcome_badge(delivery: Delivery) -> Badge:
    return OUTCOME_BADGES[delivery_outcome(delivery)]


def _listener_page(
    request: HttpRequest,
    membership: Membership,
    listener: Listener,
    template: str,
    tab: str,
    context: dict[str, Any],
) -> HttpResponse:
    return webhook_page(
        request,
        membership,
        template,
        {"listener": listener, "url": listener_url(request, listener), "tab": tab, **context},
    )


@manager_view
def listener_detail(request: HttpRequest, membership: Membership, listener_id: int) -> HttpResponse:
    listener = org_listener(membership.org_id, listener_id)
    if listener is None:
        return webhook_not_found(request, membership, "listener")
    failed = request.GET.get("show") == "failed"
    log = listener_deliveries(listener, failed=failed)
    shown = Paginator(log, 25).get_page(request.GET.get("page"))
    rows = [
        {
            "delivery": d,
            "at": when(d.received_at),
            "summary": outcome_summary(d),
            "outcome": outcome_badge(d),
        }
        for d in shown
    ]
    here = reverse("web:listener", args=[listener.id])
    filters = [
        NavLink("All", here, not failed),
        NavLink("Failed", f"{here}?show=failed", failed),
    ]
    return _listener_page(
        request,
        membership,
        listener,
        "web/listeners/detail.html",
        "log",
        {"rows": rows, "page_obj": shown, "filters": filters, "failed": failed},
    )


def _delivery(listener: Listener, delivery_id: int) -> Delivery | None:
    return listener_delivery(listener, delivery_id=delivery_id)


def _pretty(text: str) -> str:
    """JSON indented for reading; anything else as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@manager_view
def delivery_detail(
    request: HttpRequest, membership: Membership, listener_id: int, delivery_id: int
) -> HttpResponse:
    listener = org_listener(membership.org_id, listener_id)
    delivery = _delivery(listener, delivery_id) if listener else None
    if listener is None or delivery is None:
        return webhook_not_found(request, membership, "delivery")
    outcomes = [
        {
            "outcome": outcome,
            "record": record_link(outcome.record) if outcome.record else None,
            "related": [(record_link(ref), ref.get("status") or "") for ref in outcome.related],
        }
        for outcome in delivery_outcomes(delivery)
    ]
    replays = list(delivery.replays.order_by("id").values_list("id", flat=True))
    facts = [
        fact("Received", when(delivery.received_at)),
        fact("Source address", delivery.source_ip),
        fact("Sender", delivery.sender),
        fact("Content type", delivery.content_type),
        fact("Body size", f"{delivery.body_size} bytes"),
        fact("Duration", f"{delivery.duration_ms:.0f} ms"),
        fact("Request ID", str(delivery.request_id)),
    ]
    return _listener_page(
        request,
        membership,
        listener,
        "web/listeners/delivery.html",
        "log",
        {
            "delivery": delivery,
            "crumb": f"Delivery #{delivery.id}",
            "facts": facts,
            "summary": outcome_summary(delivery),
            "outcome": outcome_badge(delivery),
            "outcome_meaning": OUTCOME_MEANING[delivery_outcome(delivery)],
            "outcomes": outcomes,
            "replays": replays,
            "body": _pretty(delivery.body_text),
            "response": json.dumps(delivery.response, indent=2, ensure_ascii=False),
        },
    )


# What running an action of the stored body again does (issue 17: Replay says what
# will be re-applied before it is done).
REPLAY_EFFECTS = {
    "add-contact": "found by its keys: comes back as duplicate, created again only if "
    "the first one was deleted",
    "add-lead": "found by its keys: comes back as duplicate, created again only if "
    "the first one was deleted",
    "update-contact": "its values are written again (a field changed since gets the "
    "sent value back)",
    "update-lead": "its values are written again (a field changed since gets the sent value back)",
    "add-deal": "found by its dealId or name: its values are written again, created "
    "again only if it was deleted",
    "add-note": "adds the note again: a second copy",
    "add-ticket": "opens a new ticket: a second one",
    "send-sms": "queues the SMS again: it is sent a second time",
}


def _replay_plan(delivery: Delivery) -> list[dict[str, str]] | None:
    """Each action the replay runs again, what the first run did and what running
    it again does; None when the stored body is not one a replay can run."""
    actions = stored_actions(delivery)
    if actions is None:
        return None
    first = {outcome.index: outcome.status for outcome in delivery_outcomes(delivery)}
    return [
        {
            "index": str(index),
            "action": action,
            "first": first.get(index, "—"),
            "effect": REPLAY_EFFECTS.get(action, "an unknown action: refused again"),
        }
        for index, action in enumerate(actions)
    ]


@manager_view
def delivery_replay_page(
    request: HttpRequest, membership: Membership, listener_id: int, delivery_id: int
) -> HttpResponse:
    """GET: what a replay would run again, and a button to do it; POST: replay."""
    listener = org_listener(membership.org_id, listener_id)
    delivery = _delivery(listener, delivery_id) if listener else None
    if listener is None or delivery is None:
        return webhook_not_found(request, membership, "delivery")
    if request.method != "POST":
        return _listener_page(
            request,
            membership,
            listener,
            "web/listeners/replay.html",
            "log",
            {"delivery": delivery, "plan": _replay_plan(delivery)},
        )
    try:
        replay = delivery_replay(delivery, by=membership.user)
    except Invalid as problem:
        messages.error(request, f"Not replayed: {problem.message}.")
        return redirect("web:delivery", listener.id, delivery.id)
    messages.success(
        request,
        f"Delivery #{delivery.id} replayed as #{replay.id}: {outcome_summary(replay)}.",
    )
    return redirect("web:delivery", listener.id, replay.id)


@manager_view
def delivery_by_request(
    request: HttpRequest, membership: Membership, listener_id: int, request_id: uuid.UUID
) -> HttpResponse:
    """The log entry of a request by its requestId (the test console links here)."""
    listener = org_listener(membership.org_id, listener_id)
    delivery = listener_delivery(listener, request_id=str(request_id)) if listener else None
    if listener is None or delivery is None:
        return webhook_not_found(request, membership, "delivery")
    return redirect("web:delivery", listener.id, delivery.id)


# -- the test console -----------------------------------------------------------------


@manager_view
def listener_console(
    request: HttpRequest, membership: Membership, listener_id: int
) -> HttpResponse:
    listener = org_listener(membership.org_id, listener_id)
    if listener is None:
        return webhook_not_found(request, membership, "listener")
    samples = console_samples(sender=membership.user.email)
    preview_body = ""
    preview_type = "application/x-www-form-urlencoded"
    previewed = None
    if request.method == "POST":
        # The format's reading of a pasted sample: nothing is run or logged.
        preview_body = request.POST.get("preview_body", "")[:_PREVIEW_LIMIT]
        preview_type = request.POST.get("preview_type", preview_type)[:200]
        previewed = json.dumps(
            preview(listener, preview_body.encode(), preview_type), indent=2, ensure_ascii=False
        )
    return _listener_page(
        request,
        membership,
        listener,
        "web/listeners/console.html",
        "console",
        {
            "samples": samples if listener.format == Format.ACTIONS else [],
            "first_body": samples[0].body if samples and listener.format == Format.ACTIONS else "",
            "sample_bodies": {sample.name: sample.body for sample in samples},
            "preview_body": preview_body,
            "preview_type": preview_type,
            "previewed": previewed,
            "content_types": _PREVIEW_TYPES,
        },
    )


_PREVIEW_LIMIT = 65536
_PREVIEW_TYPES = ("application/x-www-form-urlencoded", "application/json")
