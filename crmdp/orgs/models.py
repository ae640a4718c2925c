"""Orgs (tenants), their users and groups, and the catalogs incoming data names."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.timezone import now

from crmdp.lib.locales import Conventions, conventions_for


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        user = self.model(email=email.strip().lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. The email is the login and the `senderUser` of listeners."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.email


class Org(models.Model):
    """A tenant: one company using the CRM. Everything else belongs to one org."""

    name = models.CharField(max_length=200, unique=True)
    # ISO 3166 region used to read national phone numbers ("0905 000 001" in VN).
    phone_region = models.CharField(max_length=2, default="VN")
    # How dates and numbers are read (01/02/1993, 50.000): ISO 3166 alpha-2; blank
    # means the phone region. The IANA zone in which an instant becomes a calendar
    # date; blank means the country's main zone (SPEC §1, §4).
    country = models.CharField(max_length=2, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=now)

    # SMS setup (`crmdp sms set`): an own provider, or the trial allowance.
    sms_provider = models.CharField(max_length=20, blank=True)
    sms_url = models.URLField(max_length=500, blank=True)
    sms_trial_remaining = models.PositiveIntegerField(default=10)
    # At most this many SMS a day (UTC); empty: CRMDP_SMS_DAILY_CAP.
    sms_daily_cap = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def conventions(self) -> Conventions:
        """How this org's people write dates and numbers (see crmdp.lib.locales)."""
        return conventions_for(self.country or self.phone_region, self.timezone or None)


class Series(models.TextChoices):
    """The numbered records of an org: each series counts from 1 in every org."""

    CONTACT = "PID", "contacts (PID-n)"
    ACCOUNT = "CID", "accounts (CID-n)"
    LEAD = "LID", "leads (LID-n)"
    TICKET = "TID", "tickets (TID-n)"
    DEAL = "deal", "deals (dealId)"


class NumberSeries(models.Model):
    """The last number an org has given in one series (see crmdp.orgs.numbering).

    Codes are per org (SPEC §1): a code never tells one org how many records the
    others have, and two orgs may both have a PID-1. A number is never given twice,
    even after its record is deleted: the counter only grows."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=8, choices=Series.choices)
    last_given = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "series"], name="number_series_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.last_given}"


class Role(models.TextChoices):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class Membership(models.Model):
    """A user's place in an org. Owners and admins manage settings and see every record."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)
    # How this org names the person. It lives here, not on the login, because a login
    # is shared between orgs and one org's admin must not rename another org's user.
    full_name = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user.email} in {self.org.name} ({self.role})"

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


class ApiToken(models.Model):
    """A bearer token for the read API. Only its SHA-256 is kept."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # to tell tokens apart in lists
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}…"


class UserGroup(models.Model):
    """A named group of an org's users (permit 3, deal owners, ticket groups)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=200)  # name_key(name)
    members = models.ManyToManyField(User, related_name="org_groups", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "key"], name="group_unique_name")]

    def __str__(self) -> str:
        return self.name


class CatalogKind(models.TextChoices):
    SOURCE = "source", "customer source"
    STAGE = "stage", "deal stage"
    CATEGORY = "category", "deal category"
    PACKAGE = "package", "deal package"
    CURRENCY = "currency", "currency"
    SLA = "sla", "ticket SLA policy"
    CHANNEL = "channel", "ticket channel"


DEFAULT_CHANNELS = (
    "Email",
    "Phone",
    "Web Contact Form",
    "Contact Form",
    "Kite Call",
    "Kite Chat",
    "Kite Viber",
    "Kite Facebook",
    "Kite Skype",
)


class CatalogItem(models.Model):
    """One entry of an org's catalog that incoming data refers to by name.

    The catalogs (sources, stages, categories, packages, currencies, SLA policies,
    channels) are all "a named thing of the org", matched case-insensitively, so
    they share one table; the few kind-specific columns are empty for other kinds.
    """

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="catalog")
    kind = models.CharField(max_length=10, choices=CatalogKind.choices)
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=200)  # name_key(name); currencies: the ISO code
    position = models.PositiveIntegerField(default=0)  # stages are ordered
    is_default = models.BooleanField(default=False)  # the org's default currency
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)  # SLA
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)  # SLA

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "key"], name="catalog_unique_name"),
            models.UniqueConstraint(
                fields=["org", "kind"],
                condition=models.Q(is_default=True),
                name="catalog_one_default",
            ),
        ]
        ordering = ["kind", "position", "name"]

    def __str__(self) -> str:
        return self.name


class RecordType(models.TextChoices):
    CONTACT = "contact"
    LEAD = "lead"
    DEAL = "deal"
    TICKET = "ticket"


class FieldType(models.TextChoices):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHECKBOX = "checkbox"
    INLINE_CHECKBOX = "inline_checkbox", "inline checkbox"
    SELECT = "select"


class CustomFieldDefinition(models.Model):
    """A custom field of one record type; incoming `cusFields` name it."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="custom_fields")
    record_type = models.CharField(max_length=10, choices=RecordType.choices)
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=200)  # name_key(name)
    field_type = models.CharField(max_length=20, choices=FieldType.choices)
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "record_type", "key"], name="custom_field_unique_name"
            )
        ]
        ordering = ["record_type", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.record_type}, {self.field_type})"


class LoginThrottle(models.Model):
    """Failed logins of one account (an email, whether or not it has a login) or one
    client address, counted in a window; past the limit, locked until a time. Also
    "forgot password" requests per address and per client, counted in an hour.

    In the database, not in a process: every web process must see the same count,
    or N processes would allow N times the attempts.
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account"
        CLIENT = "client"
        # "Forgot password" requests, counted the same way (crmdp.orgs.logins).
        RESET_EMAIL = "reset_mail"  # links asked for one address
        RESET_CLIENT = "reset_ip"  # requests from one client address

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=254)  # the email (lower case) or the client address
    failures = models.PositiveIntegerField(default=0)  # for the reset scopes: requests
    window_started_at = models.DateTimeField(default=now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_unique")
        ]
        indexes = [models.Index(fields=["window_started_at"], name="login_throttle_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures}"
