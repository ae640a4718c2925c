"""Reading deals as a given member may see them (SPEC §1 permits), for the pages
and the read API alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from crmdp.customers.models import Customer
from crmdp.customers.selectors import permitted, visible_customers
from crmdp.deals.models import Deal, deal_number
from crmdp.history.models import HistoryEntry
from crmdp.history.selectors import timeline
from crmdp.lib.values import name_key
from crmdp.orgs.models import Membership

__all__ = ["deal_number"]  # the pages find a deal by the dealId typed in

# A dealId is a bigint: more digits than this cannot be one (and would overflow).


def visible_deals(membership: Membership) -> QuerySet[Deal]:
    return permitted(Deal.objects.filter(org_id=membership.org_id), membership)


@dataclass(frozen=True)
class Related:
    """Which related customers and deals (by id) a member may see, read once for a
    page of records: a record the member may see can point at one they may not (a
    deal's customer, a ticket's deal, a contact's company, a note's deal), and then
    neither its name nor its code may be shown (issue 13)."""

    everything: bool
    customer_ids: frozenset[int] = frozenset()
    deal_ids: frozenset[int] = frozenset()

    def customer(self, customer: Customer | None) -> Customer | None:
        """`customer` if the member may see it, else None."""
        if customer is None or self.everything or customer.id in self.customer_ids:
            return customer
        return None

    def deal(self, deal: Deal | None) -> Deal | None:
        """`deal` if the member may see it, else None."""
        if deal is None or self.everything or deal.id in self.deal_ids:
            return deal
        return None


def related_seen(
    membership: Membership,
    *,
    customer_ids: Iterable[int | None] = (),
    deal_ids: Iterable[int | None] = (),
) -> Related:
    """What `Related` says for these ids: two queries at most, whatever their number."""
    if membership.sees_everything:
        return Related(everything=True)
    customers = {i for i in customer_ids if i is not None}
    deals = {i for i in deal_ids if i is not None}
    seen_customers = (
        visible_customers(membership).filter(id__in=customers).values_list("id", flat=True)
        if customers
        else []
    )
    seen_deals = (
        visible_deals(membership).filter(id__in=deals).values_list("id", flat=True) if deals else []
    )
    return Related(False, frozenset(seen_customers), frozenset(seen_deals))


def deal_list(
    membership: Membership,
    *,
    q: str | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    category_id: int | None = None,
    customer: Customer | None = None,
) -> QuerySet[Deal]:
    """A list page of deals, newest first. `q` finds a dealId, or any part of a
    name in any case; `owner_id` is one of the deal's owner users (owner_opportunity).
    Each deal says whether the member may see its customer (`customer_visible`)."""
    deals = visible_deals(membership)
    if membership.sees_everything:
        deals = deals.annotate(customer_visible=Value(True))
    else:
        shown = visible_customers(membership).filter(id=OuterRef("customer_id"))
        deals = deals.annotate(customer_visible=Exists(shown))
    if q and q.strip():
        found = Q(name_key__contains=name_key(q))
        number = deal_number(q)
        if number is not None:
            found |= Q(number=number)
        deals = deals.filter(found)
    if stage_id is not None:
        deals = deals.filter(stage_id=stage_id)
    if category_id is not None:
        deals = deals.filter(category_id=category_id)
    if owner_id is not None:
        owners = Deal.owner_users.through.objects.filter(deal_id=OuterRef("id"), user_id=owner_id)
        deals = deals.filter(Exists(owners))
    if customer is not None:
        deals = deals.filter(_with_customer(customer))
    return (
        deals.select_related("stage", "currency", "category", "customer")
        .prefetch_related("owner_users")
        .order_by("-id")
    )


def _with_customer(customer: Customer) -> Q:
    """The deal is with this customer (dealWith) or names it among its contacts."""
    related = Deal.contacts.through.objects.filter(deal_id=OuterRef("id"), customer_id=customer.id)
    return Q(customer_id=customer.id) | Q(Exists(related))


def customer_deals(membership: Membership, customer: Customer) -> QuerySet[Deal]:
    """The deals this member may see that are with a customer or name it, newest first."""
    return (
        visible_deals(membership)
        .filter(_with_customer(customer))
        .select_related("stage", "currency")
        .order_by("-id")
    )


def _with_relations(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    return deals.select_related(
        "stage",
        "currency",
        "category",
        "package",
        "customer",
        "owner",
        "permit_group",
        "created_by_listener",
    ).prefetch_related("owner_users", "owner_groups", "contacts", "permit_users")


def deals_in_full(membership: Membership) -> QuerySet[Deal]:
    """Deals with every relation the read API shows, for a page of deals at once
    (their notes, which have permits of their own, the API adds: notes come after
    deals in the layers)."""
    return _with_relations(visible_deals(membership))


def visible_deal(membership: Membership, deal_id: int) -> Deal | None:
    """The deal with this dealId, with its relations, if the member may see it; None
    otherwise, so that "not yours" and "no such" look alike."""
    return _with_relations(visible_deals(membership)).filter(number=deal_id).first()


def deal_history(membership: Membership, deal: Deal) -> QuerySet[HistoryEntry]:
    """A deal's timeline as this member may see it, newest first."""
    return timeline(membership).filter(deal=deal)
