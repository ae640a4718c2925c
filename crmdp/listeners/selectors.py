"""Reading listeners and their delivery log as the settings pages show them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

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


def listener_deliveries(listener: Listener, *, failed: bool = False) -> QuerySet[Delivery]:
    """The delivery log, newest first, without the raw bodies (the list does not show
    them). `failed`: only the deliveries whose outcome is not `ok`."""
    log = Delivery.objects.filter(listener=listener).defer("body").order_by("-id")
    return log.filter(_NOT_OK) if failed else log


# What a delivery came to, in words (issue 17): the HTTP status alone hides a 200
# whose every action failed.
OK = "ok"  # every action did what it was asked (or there were none)
PARTIAL = "partial"  # some actions did, some did not
FAILED = "failed"  # no action did, or a fault of ours (5xx): nothing was stored
REFUSED = "refused"  # refused before any action ran (4xx: auth, limits, a bad body)
# Action results that did not do what was asked: `error` changed nothing, and
# `not_found` found nothing to update or note.
UNDONE = ("error", "not_found")
_NOT_OK = Q(status__gte=300) | Q(status__lt=200)
for _result in UNDONE:
    _NOT_OK |= Q(outcomes__has_key=_result)


def delivery_outcome(delivery: Delivery) -> str:
    """ok, partial, failed or refused (see above)."""
    if delivery.status >= 500:
        return FAILED
    if not 200 <= delivery.status < 300:
        return REFUSED
    counts = delivery.outcomes if isinstance(delivery.outcomes, dict) else {}
    undone = sum(int(counts.get(result) or 0) for result in UNDONE)
    done = sum(int(n or 0) for result, n in counts.items() if result not in UNDONE)
    if not undone:
        return OK
    return PARTIAL if done else FAILED


def stored_actions(delivery: Delivery) -> list[str] | None:
    """The actionType of each action a replay runs again, in order; None when the
    stored body is not a request a replay could run. A body of another format (a
    form, a vendor's webhook) is read into actions again as it was the first time, so
    its actions are those of the first run."""
    if delivery.format != "actions":
        if not 200 <= delivery.status < 300:
            return None
        return [outcome.action_type or "?" for outcome in delivery_outcomes(delivery)]
    try:
        envelope = json.loads(delivery.body_text)
    except ValueError:
        return None
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if not isinstance(data, list):
        return None
    return [
        str(action.get("actionType") or "?") if isinstance(action, dict) else "?" for action in data
    ]


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
