"""Settings → Other settings → Webhook → Listener (the vendor guide's path): the
listeners and their settings. A listener's delivery log, replay and test console are
in deliveries.py."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from crmdp.listeners.hosted import embed_snippets
from crmdp.listeners.models import Format, Listener
from crmdp.listeners.selectors import (
    org_listener,
    org_listeners,
)
from crmdp.listeners.services import (
    listener_create,
    listener_delete,
    listener_regenerate,
    listener_set_enabled,
    listener_update,
)
from crmdp.orgs.models import Membership
from crmdp.web.access import manager_view
from crmdp.web.layout import settings_page
from crmdp.web.listener_form import ListenerSettingsForm
from crmdp.web.records import Link, when


def webhook_page(
    request: HttpRequest,
    membership: Membership,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    return settings_page(request, membership, template, context, current="webhook", status=status)


def webhook_not_found(request: HttpRequest, membership: Membership, what: str) -> HttpResponse:
    back = Link("Webhook", reverse("web:webhook"))
    return webhook_page(
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
    return webhook_page(request, membership, "web/listeners/list.html", {"listeners": listeners})


def _form_page(
    request: HttpRequest,
    membership: Membership,
    form: ListenerSettingsForm,
    listener: Listener | None,
) -> HttpResponse:
    return webhook_page(
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
        return webhook_not_found(request, membership, "listener")
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
        return webhook_not_found(request, membership, "listener")
    if request.method == "POST":
        listener_regenerate(listener=listener)
        messages.success(
            request, "New URL generated. The old one no longer works: give this one to senders."
        )
        return redirect("web:listener", listener.id)
    return webhook_page(
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
        return webhook_not_found(request, membership, "listener")
    if request.method == "POST":
        listener_delete(listener=listener)
        messages.success(request, f"Listener “{listener.name}” deleted.")
        return redirect("web:webhook")
    return webhook_page(
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
        return webhook_not_found(request, membership, "listener")
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
