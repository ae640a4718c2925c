"""Listeners (secret inbound URLs) and their delivery log."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crmdp.orgs.models import CatalogItem, Org, User


def new_token() -> str:
    """192 random bits, URL-safe: the listener URL is the only credential a sender has."""
    return secrets.token_urlsafe(24)


def default_rate_limit() -> int | None:
    """A new listener's accepted requests per minute (CRMDP_LISTENER_RATE_LIMIT;
    0: none), so that a leaked URL cannot be used to flood the org out of the box."""
    limit = settings.CRMDP_LISTENER_RATE_LIMIT
    return limit if limit > 0 else None


class Format(models.TextChoices):
    """How a listener reads a body into actions (crmdp.listeners.formats)."""

    ACTIONS = "actions"  # the JSON envelope of SPEC §3
    FORM = "form"  # HTML form posts (urlencoded or multipart)
    GOOGLE_ADS = "google-ads"  # the Google Ads lead form webhook
    TYPEFORM = "typeform"  # Typeform's form_response webhook
    MAPPED = "mapped"  # any JSON, through the listener's field map


class Creates(models.TextChoices):
    """What a form-like submission creates."""

    LEAD = "lead"
    CONTACT = "contact"


class Listener(models.Model):
    """A secret URL that outside systems POST actions to, with its settings (SPEC §2)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="listeners")
    name = models.CharField(max_length=200)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    enabled = models.BooleanField(default=True)
    allowed_ips = models.JSONField(default=list, blank=True)  # ["10.0.0.0/8", "1.2.3.4"]
    default_tag = models.CharField(max_length=200, blank=True)
    default_contact_source = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_lead_source = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email_enabled = models.BooleanField(default=False)
    email_subject = models.CharField(max_length=500, blank=True)
    email_body = models.TextField(blank=True)
    sms_enabled = models.BooleanField(default=False)
    sms_text = models.TextField(blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, default=default_rate_limit
    )
    # Standard Webhooks secret; when set, every request must be signed with it.
    signing_secret = models.CharField(max_length=100, blank=True)
    # How bodies are read, and the settings of the formats other than `actions`.
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.ACTIONS)
    creates = models.CharField(max_length=10, choices=Creates.choices, default=Creates.LEAD)
    redirect_url = models.CharField(max_length=2000, blank=True)
    redirect_hosts = models.JSONField(default=list, blank=True)  # ["shop.example"]
    embed_origins = models.JSONField(default=list, blank=True)  # ["https://shop.example"]
    form_fields = models.JSONField(default=list, blank=True)  # [] = the default fields
    # google-ads: the google_key the body must carry; typeform: the HMAC secret.
    format_secret = models.CharField(max_length=200, blank=True)
    field_map = models.JSONField(default=dict, blank=True)  # mapped: {target: path}
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> str:
        return f"/listener/{self.token}"


class Delivery(models.Model):
    """One request that reached an enabled listener, kept raw whatever its outcome."""

    # Found by delivery_log (Meta), which starts with it.
    listener = models.ForeignKey(
        Listener, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    request_id = models.UUIDField(default=uuid.uuid4, unique=True)
    received_at = models.DateTimeField(default=timezone.now)
    source_ip = models.CharField(max_length=64)
    content_type = models.CharField(max_length=200, blank=True)
    # The bytes as they arrived (they may not even be UTF-8).
    body = models.BinaryField()
    body_size = models.PositiveIntegerField(default=0)
    status = models.PositiveSmallIntegerField()  # the HTTP status answered
    response = models.JSONField()
    # {"created": 2, "duplicate": 1, ...}: the per-action outcomes at a glance.
    outcomes = models.JSONField(default=dict, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    duration_ms = models.FloatField(default=0)
    replay_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
        db_index=False,
    )
    format = models.CharField(max_length=20, default=Format.ACTIONS)  # the listener's, then
    spam = models.BooleanField(default=False)  # a form's honeypot was filled in

    class Meta:
        indexes = [
            models.Index(fields=["listener", "-id"], name="delivery_log"),
            # The rate limit counts a listener's accepted requests of the last minute.
            models.Index(fields=["listener", "received_at"], name="delivery_recent"),
            # Replays are few: only they are indexed.
            models.Index(
                fields=["replay_of"],
                name="delivery_replay_of",
                condition=Q(replay_of__isnull=False),
            ),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.request_id} ({self.status})"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")


class IdempotencyRecord(models.Model):
    """The first response to a request sent with an Idempotency-Key, kept for 24 h
    so that a retry of it returns the same answer without doing anything again."""

    listener = models.ForeignKey(Listener, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listener", "key"], name="idempotency_unique_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_age")]

    def __str__(self) -> str:
        return self.key
