"""The writes the pages make, in one place: each page that changes a record calls
one function here, which calls the domain's service with the member as the actor
(the same services the listener and the CLI call, so the same history, matching
and messages apply)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crmdp.deals.models import Deal
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.orgs.models import CatalogItem, Membership


def origin_of(membership: Membership) -> Origin:
    """The member, writing through the UI."""
    return Origin(org=membership.org, actor=membership.user)


def deal_move(*, membership: Membership, deal: Deal, stage: CatalogItem) -> bool:
    """Move a deal to another stage of its org, with a history line naming who did
    it. Returns whether anything changed (the stage it is in is no change)."""
    origin = origin_of(membership)
    if stage.org_id != deal.org_id or stage.kind != "stage":
        raise ValueError("not a stage of the deal's org")
    with transaction.atomic():
        # Locked: two people moving one deal at once each see the other's move.
        current = (
            Deal.objects.select_for_update(of=("self",)).select_related("stage").get(id=deal.id)
        )
        if current.stage_id == stage.id:
            return False
        old = current.stage.name if current.stage else "(none)"
        current.stage = stage
        current.updated_at = timezone.now()
        current.save(update_fields=["stage", "updated_at"])
        history = HistoryBuffer(origin)
        history.add(f"Stage: {old} → {stage.name}, by {origin.describe()}.", deal=current)
        history.flush()
    deal.stage = stage
    return True
