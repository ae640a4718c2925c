"""The append-only timeline of what happened to a record, and who or what did it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from crmdp.orgs.models import Org, User


class HistoryEntry(models.Model):
    """One line on a record's timeline. Never updated, never deleted."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="history",
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="history"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="history"
    )
    # Another record the line names ("PID-7 Lan joined this company", "Note added:
    # …"): a viewer who may not see that record does not see the line either.
    mentions_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    mentions_deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    mentions_note = models.ForeignKey(
        "notes.Note", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()
    listener = models.ForeignKey(
        "listeners.Listener", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_id = models.UUIDField(null=True, blank=True)  # the delivery that caused it

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-id"], name="history_customer"),
            models.Index(fields=["deal", "-id"], name="history_deal"),
            models.Index(fields=["ticket", "-id"], name="history_ticket"),
        ]
        verbose_name_plural = "history"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.text
