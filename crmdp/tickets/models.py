"""Support tickets."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.deals.models import Deal
from crmdp.orgs.models import CatalogItem, Org, User, UserGroup


class TicketStatus(models.TextChoices):
    """The vendor's ticket statuses (SPEC §1); a new ticket is New."""

    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Statuses in which a ticket still waits for work: its SLA due times still apply.
UNRESOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Ticket(models.Model):
    """A ticket. Its code is `TID-<number>`, the number counted per org."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="tickets")
    number = models.BigIntegerField()  # the n of TID-n, in this org
    title = models.CharField(max_length=500)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    group = models.ForeignKey(
        UserGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    sla = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    channel = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who works on it now (SPEC §1's assignee): a member of the ticket's org.
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    created_by_listener = models.ForeignKey(
        "listeners.Listener", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["org", "-id"], name="ticket_list")]
        constraints = [models.UniqueConstraint(fields=["org", "number"], name="ticket_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return f"TID-{self.number}"
