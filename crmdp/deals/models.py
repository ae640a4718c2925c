"""Deals (orders): what a customer is buying, at which stage."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.orgs.models import CatalogItem, Org, User, UserGroup

# A deal's number (its dealId) fits PostgreSQL's bigint.
_MAX_DEAL_ID = 2**63 - 1


def deal_number(text: str | None) -> int | None:
    """The dealId someone wrote (`1234`, `#1234`, with spaces around), as the deal's
    number; None when it is not one. The one place a dealId is read: the listener's
    add-deal, add-note and add-ticket, the pages and the search.

    isdecimal, not isdigit: int() refuses "²"; at most 19 digits, so that a long
    string costs nothing to refuse."""
    digits = (text or "").strip().removeprefix("#").strip()
    if not digits.isdecimal() or len(digits) > 19:
        return None
    number = int(digits)
    return number if number <= _MAX_DEAL_ID else None


class Deal(models.Model):
    """A deal. Its `dealId` is its number, counted per org (not its database id)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="deals")
    number = models.BigIntegerField()  # the dealId, in this org
    name = models.CharField(max_length=500)
    name_key = models.CharField(max_length=500)  # name_key(name): found by name, any case
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    currency = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(blank=True)
    stage = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_date = models.DateTimeField(null=True, blank=True)
    category = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    package = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(  # dealWith
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    contacts = models.ManyToManyField(Customer, blank=True, related_name="related_deals")
    owner_users = models.ManyToManyField(User, blank=True, related_name="owned_deals")
    owner_groups = models.ManyToManyField(UserGroup, blank=True, related_name="owned_deals")
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    permit_status = models.PositiveSmallIntegerField(default=1)
    permit_group = models.ForeignKey(
        UserGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    permit_users = models.ManyToManyField(User, blank=True, related_name="+")
    custom_fields = models.JSONField(default=dict, blank=True)
    created_by_listener = models.ForeignKey(
        "listeners.Listener", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["org", "name_key"], name="deal_by_name"),
            models.Index(fields=["org", "-id"], name="deal_list"),
        ]
        constraints = [models.UniqueConstraint(fields=["org", "number"], name="deal_number")]

    def __str__(self) -> str:
        return f"#{self.number} {self.name}"
