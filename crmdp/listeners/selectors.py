"""Reading listeners and their delivery log as the settings pages show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from crmdp.backends import rows
from crmdp.listeners.models import Delivery, Listener
from crmdp.orgs.models import Org


def listener_for_token(token: str) -> Listener | None:
    """The enabled listener with this token, with its org: the inbound view's
    lookup, run on every request, so written by hand (see crmdp.backends.rows)."""
    found = rows.select_many(
        (Listener, Org),
        f"SELECT {rows.columns(Listener, 'l')}, {rows.columns(Org, 'o')} "
        f"FROM {Listener._meta.db_table} l JOIN {Org._meta.db_table} o ON o.id = l.org_id "
        "WHERE l.token = %s AND l.enabled LIMIT 1",
        [token],
    )
    if not found:
        return None
    listener, org = found[0]
    listener.org = org
    return listener


def org_listeners(org: Org) -> QuerySet[Listener]:
    """The org's listeners, each with the time and HTTP status of its last delivery."""
    last = Delivery.objects.filter(listener_id=OuterRef("id")).order_by("-id")
    return (
        Listener.objects.filter(org=org)
        .annotate(
            last_delivery_at=Subquery(last.values("received_at")[:1]),
            last_delivery_status=Subquery(last.values("status")[:1]),
        )
        .order_by("name", "id")
    )


def listener_deliveries(listener: Listener) -> QuerySet[Delivery]:
    """The delivery log, newest first, without the raw bodies (the list does not show them)."""
    return Delivery.objects.filter(listener=listener).defer("body").order_by("-id")


@dataclass
class ActionOutcome:
    """One action's result in a delivery's response, as the log shows it."""

    index: int
    action_type: str
    status: str
    record: dict[str, Any] | None
    related: list[dict[str, Any]] = field(default_factory=list)
    matched_on: str | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


def delivery_outcomes(delivery: Delivery) -> list[ActionOutcome]:
    """The per-action results of a delivery's response (none for a refused request).

    Read defensively: the log keeps responses of every past version of the pipeline.
    """
    results = delivery.response.get("results") if isinstance(delivery.response, dict) else None
    outcomes = []
    for position, result in enumerate(results if isinstance(results, list) else []):
        if not isinstance(result, dict):
            continue
        record = result.get("record")
        related = result.get("related")
        outcomes.append(
            ActionOutcome(
                index=result.get("index", position),
                action_type=str(result.get("actionType") or ""),
                status=str(result.get("status") or ""),
                record=record if isinstance(record, dict) else None,
                related=[r for r in related or [] if isinstance(r, dict)],
                matched_on=result.get("matchedOn"),
                warnings=list(result.get("warnings") or []),
                errors=list(result.get("errors") or []),
            )
        )
    return outcomes


def org_listener(org_id: int, listener_id: int) -> Listener | None:
    """One of the org's listeners; another org's is None, as a missing one is."""
    return (
        Listener.objects.select_related("default_contact_source", "default_lead_source")
        .filter(org_id=org_id, id=listener_id)
        .first()
    )


def listener_delivery(
    listener: Listener, *, delivery_id: int | None = None, request_id: str | None = None
) -> Delivery | None:
    """One delivery of the listener's log, by its number or by its requestId."""
    found = Delivery.objects.select_related("replay_of").filter(listener=listener)
    if delivery_id is not None:
        found = found.filter(id=delivery_id)
    if request_id is not None:
        found = found.filter(request_id=request_id)
    return found.first()
