"""The append-only timeline of what happened to a record, and who or what did it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from crmdp.orgs.models import Org, User


class HistoryEntry(models.Model):
    """One line on a record's timeline. Never updated, never deleted."""

    # Indexes: see Meta. Every line written is an entry in each of them, so a column
    # gets none of its own where another index starts with it, and an index of a
    # column most lines leave empty holds only the lines that fill it.
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="history",
        db_index=False,
    )
    deal = models.ForeignKey(
        "deals.Deal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="history",
        db_index=False,
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="history",
        db_index=False,
    )
    # Another record the line names ("PID-7 Lan joined this company", "Note added:
    # …"): a viewer who may not see that record does not see the line either.
    mentions_customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    mentions_deal = models.ForeignKey(
        "deals.Deal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    mentions_note = models.ForeignKey(
        "notes.Note",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
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
            # A record's timeline, newest first; also what deleting the record
            # finds its lines by. Partial where most lines name no such record: a
            # query for one record's lines (`deal_id = 7`) still uses them.
            models.Index(fields=["customer", "-id"], name="history_customer"),
            models.Index(
                fields=["deal", "-id"], name="history_deal", condition=Q(deal__isnull=False)
            ),
            models.Index(
                fields=["ticket", "-id"], name="history_ticket", condition=Q(ticket__isnull=False)
            ),
            *(
                models.Index(
                    fields=[field],
                    name=f"history_{field}",
                    condition=Q(**{f"{field}__isnull": False}),
                )
                for field in ("mentions_customer", "mentions_deal", "mentions_note")
            ),
        ]
        verbose_name_plural = "history"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.text
