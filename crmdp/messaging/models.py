"""The outbox: every email and SMS the platform sends is first a row here,
written in the same transaction as whatever caused it, then sent by a worker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.orgs.models import Org


class Channel(models.TextChoices):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(models.TextChoices):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class Message(models.Model):
    """One email or SMS. queued → sent, or → failed with the reason."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    to = models.CharField(max_length=254)  # an email address, or a number in E.164
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    # A welcome message's templates and the values they see, as queued: the worker
    # renders subject and body from them when it sends (outside any transaction,
    # within the template budget), so no listener request runs an org's template.
    # Empty once rendered, and for messages whose text came as it is (send-sms).
    template = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=20)  # welcome, send-sms
    uses_trial = models.BooleanField(default=False)  # an SMS on the org's trial allowance
    listener = models.ForeignKey(
        "listeners.Listener", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_id = models.UUIDField(null=True, blank=True)

    status = models.CharField(
        max_length=6, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker owns a message while lease_until is in the future; a worker that
    # dies mid-send leaves a lease that expires, and another worker takes over.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=36, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The worker's only query: due, queued messages.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="queued"),
                name="message_due",
            ),
            models.Index(fields=["customer", "-id"], name="message_customer"),
            # The daily SMS cap counts an org's messages of the day.
            models.Index(fields=["org", "channel", "created_at"], name="message_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """Sent with every delivery attempt so a provider can drop a repeat."""
        return f"crmdp-msg-{self.id}"


class MessageAttempt(models.Model):
    """One try at sending a message, whatever came of it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=20)  # sent, retry, failed
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"attempt {self.number} of message {self.message_id}: {self.outcome}"
