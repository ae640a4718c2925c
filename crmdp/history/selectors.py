"""Reading timelines as a given member may see them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from crmdp.history.models import HistoryEntry
from crmdp.orgs.models import Membership


def visible_history(
    membership: Membership, entries: QuerySet[HistoryEntry]
) -> QuerySet[HistoryEntry]:
    """`entries` without the lines that name a record this member may not see
    (a private contact joining a company, a note with its own permit, a deal)."""
    if membership.sees_everything:
        return entries
    # Imported here: customers, deals and notes all write history; history reads them.
    from crmdp.customers.selectors import permitted, visible_customers
    from crmdp.deals.models import Deal
    from crmdp.notes.models import Note

    deals = permitted(Deal.objects.filter(org_id=membership.org_id), membership)
    notes = permitted(Note.objects.filter(org_id=membership.org_id), membership)
    return entries.filter(
        Q(mentions_customer__isnull=True)
        | Q(mentions_customer__in=visible_customers(membership).values("id")),
        Q(mentions_deal__isnull=True) | Q(mentions_deal__in=deals.values("id")),
        Q(mentions_note__isnull=True) | Q(mentions_note__in=notes.values("id")),
    )


def timeline(membership: Membership) -> QuerySet[HistoryEntry]:
    """Every line this member may see, newest first (filter it to one record)."""
    return visible_history(membership, HistoryEntry.objects.order_by("-at", "-id")).select_related(
        "listener", "actor"
    )
