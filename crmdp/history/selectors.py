"""Reading timelines as a given member may see them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from crmdp.history.models import HistoryEntry
from crmdp.orgs.models import Membership
from crmdp.orgs.permits import permitted


def visible_history(
    membership: Membership, entries: QuerySet[HistoryEntry]
) -> QuerySet[HistoryEntry]:
    """`entries` without the lines that name a record this member may not see
    (a private contact joining a company, a note with its own permit, a deal)."""
    if membership.sees_everything:
        return entries
    return entries.filter(
        Q(mentions_customer__isnull=True)
        | Q(mentions_customer__in=_visible("mentions_customer", membership)),
        Q(mentions_deal__isnull=True) | Q(mentions_deal__in=_visible("mentions_deal", membership)),
        Q(mentions_note__isnull=True) | Q(mentions_note__in=_visible("mentions_note", membership)),
    )


def _visible(mention: str, membership: Membership) -> QuerySet[Any]:
    """The ids of the org's records of the kind a `mentions_*` column points at that
    this member may see: customers, deals and notes all carry a permit. The model is
    the column's (named by string): history is left of the records it mentions and
    imports none of them."""
    model: Any = HistoryEntry._meta.get_field(mention).related_model
    return permitted(model.objects.filter(org_id=membership.org_id), membership).values("id")


def timeline(membership: Membership) -> QuerySet[HistoryEntry]:
    """Every line this member may see, newest first (filter it to one record)."""
    return visible_history(membership, HistoryEntry.objects.order_by("-at", "-id")).select_related(
        "listener", "actor"
    )
