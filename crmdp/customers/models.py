"""Customers: contacts (people), accounts (companies) and leads, and their keys."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from crmdp.orgs.models import CatalogItem, Org, Series, User, UserGroup
from crmdp.orgs.permits import PermitStatus


class Kind(models.TextChoices):
    CONTACT = "contact"
    ACCOUNT = "account"
    LEAD = "lead"


CODE_PREFIX = {Kind.CONTACT: "PID", Kind.ACCOUNT: "CID", Kind.LEAD: "LID"}
# Each kind is numbered on its own in every org: the first contact of an org is PID-1.
SERIES = {Kind.CONTACT: Series.CONTACT, Kind.ACCOUNT: Series.ACCOUNT, Kind.LEAD: Series.LEAD}


def kind_of_code(code: str | None) -> Kind | None:
    """The kind a customer code's prefix names (`" lid-7"` → lead), None for no code."""
    prefix = (code or "").strip().upper().partition("-")[0]
    return next((kind for kind, known in CODE_PREFIX.items() if known == prefix), None)


class Space(models.TextChoices):
    """Where matching looks: contacts and accounts match each other; leads only leads."""

    CUSTOMERS = "c"
    LEADS = "l"


def space_of(kind: str) -> Space:
    return Space.LEADS if kind == Kind.LEAD else Space.CUSTOMERS


# The kinds of each space: a customer is matched only with the kinds of its own.
CUSTOMER_KINDS = (Kind.CONTACT, Kind.ACCOUNT)
LEAD_KINDS = (Kind.LEAD,)


def kinds_matched_with(kind: str) -> tuple[Kind, ...]:
    """Contacts and accounts are looked for among each other; leads among leads."""
    return LEAD_KINDS if kind == Kind.LEAD else CUSTOMER_KINDS


def fields_of(kind: str) -> str:
    """Whose custom field definitions a customer of `kind` has: "lead" or "contact"
    (accounts share the contacts')."""
    return "lead" if kind == Kind.LEAD else "contact"


class Gender(models.IntegerChoices):
    MALE = 0
    FEMALE = 1
    OTHER = 2


class Customer(models.Model):
    """A contact, account or lead.

    Its code is the prefix of its kind and its number (`PID-41`), counted per org
    and kind (crmdp.orgs.numbering) and never given twice, so codes are unique
    within an org and say nothing about other orgs. Emails, phones, addresses, IM
    handles, websites and tags are small lists kept in JSON on the row; what
    customers are *found* by lives in CustomerKey, indexed.
    """

    # Found by the indexes of Meta, which start with it.
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="customers", db_index=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    number = models.BigIntegerField()  # the n of PID-n, in this org and kind
    name = models.CharField(max_length=500)
    lastname = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=500, blank=True)
    passport = models.CharField(max_length=200, blank=True)
    gender = models.PositiveSmallIntegerField(choices=Gender.choices, default=Gender.OTHER)
    bg_info = models.TextField(blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    contact_id = models.CharField(max_length=200, blank=True)  # the sender's own id

    # [{"type": "Work", "value": "a@b.com", "normalized": "a@b.com" | null}]
    emails = models.JSONField(default=list, blank=True)
    # [{"type": "Mobile", "value": "0905 000 001", "e164": "+84905000001" | null}]
    phones = models.JSONField(default=list, blank=True)
    # [{"type", "street", "city", "state", "zip", "country": {"code", "name"} | null}]
    addresses = models.JSONField(default=list, blank=True)
    im = models.JSONField(default=list, blank=True)  # [{"protocol", "value"}]
    websites = models.JSONField(default=list, blank=True)  # [{"value"}]
    tags = models.JSONField(default=list, blank=True)  # ["vip", "webhook"]
    custom_fields = models.JSONField(default=dict, blank=True)  # {definition id: value}
    # Where it came from, as the sender said: {"utm_source": "google", "gclid": "…"};
    # set when the record is created, never changed by a later arrival.
    attribution = models.JSONField(default=dict, blank=True)

    source = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    permit_status = models.PositiveSmallIntegerField(
        choices=PermitStatus.choices, default=PermitStatus.EVERYBODY
    )
    permit_group = models.ForeignKey(
        UserGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    permit_users = models.ManyToManyField(User, blank=True, related_name="+")

    company = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        db_index=False,
    )
    company_lead = models.CharField(max_length=500, blank=True)  # leads: free text

    created_by_listener = models.ForeignKey(
        "listeners.Listener", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["org", "kind", "-id"], name="customer_list"),
            # Most customers have no account and no permit group: these index only
            # those that do (an account's members, a group's records).
            models.Index(
                fields=["company"], name="customer_company", condition=Q(company__isnull=False)
            ),
            models.Index(
                fields=["permit_group"],
                name="customer_permit_group",
                condition=Q(permit_group__isnull=False),
            ),
        ]
        constraints = [
            # Also the index a code is found by.
            models.UniqueConstraint(fields=["org", "kind", "number"], name="customer_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def code(self) -> str:
        return f"{CODE_PREFIX[Kind(self.kind)]}-{self.number}"

    @property
    def display_name(self) -> str:
        return f"{self.name} {self.lastname}".strip()


class CustomerKey(models.Model):
    """A normalised value a customer is found by: `email:a@b.com`, `phone:+8490…`,
    `passport:B1234`, `contactid:77`, `name:huy nguyen`, and `tag:vip` for filters.

    Matching reads only this table, through one index, so it costs the same with a
    hundred customers or a million. Keys are not unique: two records may share an
    email after an update, and matching picks the oldest.
    """

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=300)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="keys")

    class Meta:
        indexes = [models.Index(fields=["org", "key"], name="customer_key_lookup")]

    def __str__(self) -> str:
        return self.key
