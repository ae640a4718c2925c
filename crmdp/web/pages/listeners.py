"""Settings → Other settings → Webhook → Listener (the vendor guide's path): the
listeners, their settings, their delivery log, replay and the test console."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from crmdp.lib.issues import Invalid
from crmdp.listeners.formats import preview
from crmdp.listeners.hosted import embed_snippets
from crmdp.listeners.models import Delivery, Format, Listener
from crmdp.listeners.selectors import (
    delivery_outcome,
    delivery_outcomes,
    listener_deliveries,
    listener_delivery,
    org_listener,
    org_listeners,
    stored_actions,
)
from crmdp.listeners.services import (
    delivery_replay,
    listener_create,
    listener_delete,
    listener_regenerate,
    listener_set_enabled,
    listener_update,
)
from crmdp.orgs.models import Membership
from crmdp.web.access import manager_view
from crmdp.web.console import console_samples
from crmdp.web.layout import NavLink, settings_page
from crmdp.web.listener_form import ListenerSettingsForm
from crmdp.web.records import Badge, Link, fact, record_link, when


def _page(
    request: HttpRequest,
    membership: Membership,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    return settings_page(request, membership, template, context, current="webhook", status=status)


def _not_found(request: HttpRequest, membership: Membership, what: str) -> HttpResponse:
    back = Link("Webhook", reverse("web:webhook"))
    return _page(
        request, membership, "web/not_found.html", {"what": what, "back": back}, status=404
    )


def _listener(membership: Membership, listener_id: int) -> Listener | None:
    return org_listener(membership.org_id, listener_id)


def listener_url(request: HttpRequest, listener: Listener) -> str:
    """The URL senders post to, as the admin's browser reaches this site."""
    return request.build_absolute_uri(listener.path)


def _embedding(request: HttpRequest, listener: Listener | None) -> dict[str, str]:
    """A form listener's hosted form: its URL and the snippets a site pastes."""
    if listener is None or listener.format != Format.FORM:
        return {}
    site = request.build_absolute_uri("/").rstrip("/")
    frame, html = embed_snippets(listener, site)
    return {"form_url": f"{site}/f/{listener.token}", "frame_snippet": frame, "html_snippet": html}


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


# -- the Listener tab -----------------------------------------------------------------


@manager_view
def webhook(request: HttpRequest, membership: Membership) -> HttpResponse:
    listeners = [
        {
            "listener": listener,
            "url": listener_url(request, listener),
            "last_at": when(listener.last_delivery_at),  # type: ignore[attr-defined]
            "last_status": listener.last_delivery_status,  # type: ignore[attr-defined]
        }
        for listener in org_listeners(membership.org)
    ]
    return _page(request, membership, "web/listeners/list.html", {"listeners": listeners})


def _form_page(
    request: HttpRequest,
    membership: Membership,
    form: ListenerSettingsForm,
    listener: Listener | None,
) -> HttpResponse:
    return _page(
        request,
        membership,
        "web/listeners/form.html",
        {
            "form": form,
            "listener": listener,
            "url": listener_url(request, listener) if listener else "",
            "tab": "settings",
            **_embedding(request, listener),
        },
        status=400 if form.errors else 200,
    )


@manager_view
def listener_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ListenerSettingsForm(membership.org, request.POST or None)
    if request.method == "POST" and form.is_valid():
        listener = listener_create(
            org=membership.org, settings=form.settings(), actor=membership.user
        )
        messages.success(
            request, f"Listener “{listener.name}” created. Give its URL to the sender."
        )
        return redirect("web:listener", listener.id)
    return _form_page(request, membership, form, None)


@manager_view
def listener_edit(request: HttpRequest, membership: Membership, listener_id: int) -> HttpResponse:
    listener = _listener(membership, listener_id)
    if listener is None:
        return _not_found(request, membership, "listener")
    # The form reads what was typed into its own copy: the page's header keeps the
    # saved name while the settings are refused.
    form = ListenerSettingsForm(membership.org, request.POST or None, instance=copy.copy(listener))
    if request.method == "POST" and form.is_valid():
        listener_update(listener=listener, settings=form.settings())
        messages.success(request, f"Listener “{listener.name}” saved.")
        return redirect("web:listener", listener.id)
    return _form_page(request, membership, form, listener)


@manager_view
def listener_regenerate_url(
    request: HttpRequest, membership: Membership, listener_id: int
) -> HttpResponse:
    listener = _listener(membership, listener_id)
    if listener is None:
        return _not_found(request, membership, "listener")
    if request.method == "POST":
        listener_regenerate(listener=listener)
        messages.success(
            request, "New URL generated. The old one no longer works: give this one to senders."
        )
        return redirect("web:listener", listener.id)
    return _page(
        request,
        membership,
        "web/listeners/confirm.html",
        {
            "listener": listener,
            "title": "Regenerate the URL?",
            "text": "The current URL stops working at once: senders still using it get "
            "“404 Not Found” until they are given the new one.",
            "button": "Regenerate URL",
            "danger": True,
        },
    )


@manager_view
def listener_delete_page(
    request: HttpRequest, membership: Membership, listener_id: int
) -> HttpResponse:
    listener = _listener(membership, listener_id)
    if listener is None:
        return _not_found(request, membership, "listener")
    if request.method == "POST":
        listener_delete(listener=listener)
        messages.success(request, f"Listener “{listener.name}” deleted.")
        return redirect("web:webhook")
    return _page(
        request,
        membership,
        "web/listeners/confirm.html",
        {
            "listener": listener,
            "title": f"Delete the listener “{listener.name}”?",
            "text": "Its URL stops working at once and its delivery log is deleted. "
            "The contacts and leads it created stay.",
            "button": "Delete listener",
            "danger": True,
        },
    )


@require_POST
@manager_view
def listener_state(request: HttpRequest, membership: Membership, listener_id: int) -> HttpResponse:
    listener = _listener(membership, listener_id)
    if listener is None:
        return _not_found(request, membership, "listener")
    enabled = request.POST.get("enabled") == "1"
    listener_set_enabled(listener=listener, enabled=enabled)
    messages.success(
        request,
        f"Listener “{listener.name}” "
        + ("enabled." if enabled else "disabled: its URL answers 404 until it is enabled."),
    )
    if request.POST.get("back") == "list":
        return redirect("web:webhook")
    return redirect("web:listener", listener.id)


# -- one listener: its delivery log ---------------------------------------------------


def _listener_page(
    request: HttpRequest,
    membership: Membership,
    listener: Listener,
    template: str,
    tab: str,
    context: dict[str, Any],
) -> HttpResponse:
    return _page(
        request,
        membership,
        template,
        {"listener": listener, "url": listener_url(request, listener), "tab": tab, **context},
    )


@manager_view
def listener_detail(request: HttpRequest, membership: Membership, listener_id: int) -> HttpResponse:
    listener = _listener(membership, listener_id)
    if listener is None:
        return _not_found(request, membership, "listener")
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
    listener = _listener(membership, listener_id)
    delivery = _delivery(listener, delivery_id) if listener else None
    if listener is None or delivery is None:
        return _not_found(request, membership, "delivery")
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
    listener = _listener(membership, listener_id)
    delivery = _delivery(listener, delivery_id) if listener else None
    if listener is None or delivery is None:
        return _not_found(request, membership, "delivery")
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
    listener = _listener(membership, listener_id)
    delivery = listener_delivery(listener, request_id=str(request_id)) if listener else None
    if listener is None or delivery is None:
        return _not_found(request, membership, "delivery")
    return redirect("web:delivery", listener.id, delivery.id)


# -- the test console -----------------------------------------------------------------


@manager_view
def listener_console(
    request: HttpRequest, membership: Membership, listener_id: int
) -> HttpResponse:
    listener = _listener(membership, listener_id)
    if listener is None:
        return _not_found(request, membership, "listener")
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
