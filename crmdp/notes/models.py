"""Notes on a customer, a deal or a ticket."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.deals.models import Deal
from crmdp.orgs.models import CatalogItem, Org, User, UserGroup


class Note(models.Model):
    """A note on a customer, a deal or a ticket, with its own permit and channel.
    Listeners write notes on customers and deals (add-note); people also write them
    on tickets, from the ticket's page."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    permit_status = models.PositiveSmallIntegerField(default=1)
    permit_group = models.ForeignKey(
        UserGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    permit_users = models.ManyToManyField(User, blank=True, related_name="+")
    listener = models.ForeignKey(
        "listeners.Listener", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.body[:60]
