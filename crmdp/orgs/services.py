"""Provisioning orgs, users, groups, catalogs and custom fields (SPEC §8).

Each function validates its input (raising Invalid, which names the field) and
owns its transaction.

Over 400 lines on purpose: every provisioning write the CLI and the settings pages
make, one short function each, found in one place (about fifty imports name it).
"""

from __future__ import annotations

from collections.abc import Sequence

import pycountry
from django.db import transaction
from django.db.models import Max, ProtectedError
from email_validator import EmailNotValidError, validate_email

from crmdp.lib import locales
from crmdp.lib.issues import Invalid
from crmdp.lib.values import is_phone_region, name_key
from crmdp.orgs.models import (
    DEFAULT_CHANNELS,
    CatalogItem,
    CatalogKind,
    CustomFieldDefinition,
    FieldType,
    Membership,
    Org,
    RecordType,
    Role,
    User,
    UserGroup,
)


def find_org(ref: str) -> Org:
    """An org by id or by name (any case)."""
    ref = ref.strip()
    org = None
    if ref.isdecimal() and len(ref) < 19:
        org = Org.objects.filter(id=int(ref)).first()
    if org is None:
        org = Org.objects.filter(name__iexact=ref).first()
    if org is None:
        raise Invalid("org", f"no org with id or name {ref!r}")
    return org


def _clean_email(email: str) -> str:
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid("email", f"{email!r} is not a valid email address: {exc}") from None
    return email.strip().lower()


@transaction.atomic
def org_create(
    *,
    name: str,
    owner_email: str,
    password: str | None = None,
    phone_region: str = "VN",
    currency: str = "VND",
    country: str | None = None,
    timezone: str | None = None,
) -> tuple[Org, Membership]:
    """A new org with its owner, its default currency and the default ticket channels.
    Its country defaults to its phone region, its timezone to the country's main one."""
    name = name.strip()
    if not name:
        raise Invalid("name", "an org needs a name")
    if Org.objects.filter(name__iexact=name).exists():
        raise Invalid("name", f"an org named {name!r} already exists")
    region = phone_region.strip().upper()
    if not is_phone_region(region):
        raise Invalid(
            "phone-region", f"{phone_region!r} is not a phone region (ISO code such as VN, US)"
        )
    code = _currency_code(currency)
    org = Org(name=name, phone_region=region)
    _set_region(org, country or region, timezone)
    org.save()
    CatalogItem.objects.create(
        org=org, kind=CatalogKind.CURRENCY, name=code, key=code, is_default=True
    )
    CatalogItem.objects.bulk_create(
        CatalogItem(
            org=org, kind=CatalogKind.CHANNEL, name=channel, key=name_key(channel), position=i
        )
        for i, channel in enumerate(DEFAULT_CHANNELS)
    )
    membership = user_add(org=org, email=owner_email, role=Role.OWNER, password=password)
    return org, membership


def org_set_region(
    org: Org, *, phone_region: str, country: str, timezone: str | None = None
) -> Org:
    """Change how an org's incoming values are read: national phone numbers (the phone
    region), dates and numbers (the country), instants (the timezone; blank: the
    country's main one). Stored values are not re-read."""
    region = phone_region.strip().upper()
    if not is_phone_region(region):
        raise Invalid(
            "phone_region", f"{phone_region!r} is not a phone region (ISO code such as VN, US)"
        )
    org.phone_region = region
    _set_region(org, country, timezone)
    org.save(update_fields=["phone_region", "country", "timezone"])
    return org


def _set_region(org: Org, country: str, timezone: str | None) -> None:
    code = country.strip().upper()
    if not locales.is_country(code):
        raise Invalid("country", f"{country!r} is not a country (ISO 3166 code such as VN, US)")
    zone = (timezone or "").strip() or locales.main_timezone(code)
    if not locales.is_timezone(zone):
        raise Invalid(
            "timezone", f"{timezone!r} is not a timezone (IANA name such as Asia/Ho_Chi_Minh)"
        )
    org.country, org.timezone = code, zone


def _currency_code(currency: str) -> str:
    code = currency.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise Invalid("currency", f"{currency!r} is not an ISO 4217 currency code")
    return code


@transaction.atomic
def user_add(
    *,
    org: Org,
    email: str,
    role: str = Role.MEMBER,
    groups: Sequence[str] = (),
    password: str | None = None,
    full_name: str = "",
) -> Membership:
    """Add a user to `org`, creating the login only if nobody logs in with `email` yet.

    A login is shared by every org its person belongs to, so for an existing login
    this adds (or updates) the membership in `org` and nothing else: the password,
    the login's name and its other memberships are never touched, or an admin of one
    org could take over an account of another by "adding" it with a password of their
    choosing. `password` sets only a new login's password; `full_name` is how `org`
    names the person (kept on the membership). Callers must answer the same way
    either way, so nobody learns from them whether an email has a login.
    """
    if role not in Role.values:
        raise Invalid("role", f"{role!r} is not a role; use one of {', '.join(Role.values)}")
    email = _clean_email(email)
    full_name = " ".join(full_name.split())
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name)
    membership, created = Membership.objects.get_or_create(
        org=org, user=user, defaults={"role": role, "full_name": full_name}
    )
    if not created:
        membership.role, membership.is_active = role, True
        membership.full_name = full_name or membership.full_name
        membership.save(update_fields=["role", "is_active", "full_name"])
    for group_name in groups:
        group_get_or_create(org, group_name).members.add(user)
    return membership


@transaction.atomic
def user_set_password(*, email: str, password: str) -> User:
    """Set a login's password: the operator's tool (`crmdp user set-password`).

    No org admin can do this: a login may belong to several orgs, and none of their
    admins speaks for the others.
    """
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise Invalid("email", f"nobody logs in with {email.strip()!r}")
    if not password:
        raise Invalid("password", "a password cannot be empty")
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def group_get_or_create(org: Org, name: str) -> UserGroup:
    clean = " ".join(name.split())
    if not clean:
        raise Invalid("group", "a group needs a name")
    group, _ = UserGroup.objects.get_or_create(
        org=org, key=name_key(clean), defaults={"name": clean}
    )
    return group


@transaction.atomic
def catalog_add(
    *,
    org: Org,
    kind: str,
    name: str,
    first_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
    default: bool = False,
) -> CatalogItem:
    """Add an entry to one of the org's catalogs; `group` makes a user group."""
    if kind not in CatalogKind.values:
        raise Invalid(
            "kind", f"{kind!r} is not a catalog; use one of {', '.join(CatalogKind.values)}, group"
        )
    clean = " ".join(name.split())
    if not clean:
        raise Invalid("name", "a catalog entry needs a name")
    key = name_key(clean)
    if kind == CatalogKind.CURRENCY:
        clean = key = _currency_code(clean)
    is_sla = kind == CatalogKind.SLA
    if is_sla and (first_response_minutes is None or resolution_minutes is None):
        raise Invalid("sla", "an SLA policy needs --first-response and --resolution (minutes)")
    if not is_sla and (first_response_minutes is not None or resolution_minutes is not None):
        raise Invalid("sla", "--first-response and --resolution apply to SLA policies only")
    for field, minutes in (
        ("first-response", first_response_minutes),
        ("resolution", resolution_minutes),
    ):
        if minutes is not None and minutes <= 0:
            raise Invalid(field, "must be a positive number of minutes")
    if (
        first_response_minutes is not None
        and resolution_minutes is not None
        and first_response_minutes > resolution_minutes
    ):
        # A first answer due after the resolution would never be the one that is late.
        raise Invalid("first-response", "must not be longer than the resolution time")
    if CatalogItem.objects.filter(org=org, kind=kind, key=key).exists():
        raise Invalid("name", f"the {CatalogKind(kind).label} {clean!r} already exists")
    if default:
        CatalogItem.objects.filter(org=org, kind=kind, is_default=True).update(is_default=False)
    position = (
        CatalogItem.objects.filter(org=org, kind=kind).aggregate(m=Max("position"))["m"] or 0
    ) + 1
    return CatalogItem.objects.create(
        org=org,
        kind=kind,
        name=clean,
        key=key,
        position=position,
        is_default=default,
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
    )


def catalog_get_or_create(org: Org, kind: str, name: str) -> CatalogItem:
    key = name_key(name)
    found = CatalogItem.objects.filter(org=org, kind=kind, key=key).first()
    return found or catalog_add(org=org, kind=kind, name=name)


@transaction.atomic
def field_add(
    *, org: Org, record_type: str, name: str, field_type: str, choices: Sequence[str] = ()
) -> CustomFieldDefinition:
    if record_type not in RecordType.values:
        raise Invalid(
            "record",
            f"{record_type!r} is not a record type; use one of {', '.join(RecordType.values)}",
        )
    if field_type not in FieldType.values:
        raise Invalid(
            "type", f"{field_type!r} is not a field type; use one of {', '.join(FieldType.values)}"
        )
    clean = " ".join(name.split())
    if not clean:
        raise Invalid("name", "a custom field needs a name")
    choice_list = list(dict.fromkeys(c.strip() for c in choices if c.strip()))
    if choice_list and field_type not in (
        FieldType.SELECT,
        FieldType.CHECKBOX,
        FieldType.INLINE_CHECKBOX,
    ):
        raise Invalid("choice", f"a {field_type} field has no choices")
    if field_type == FieldType.SELECT and not choice_list:
        raise Invalid("choice", "a select field needs at least one --choice")
    if any("|" in c for c in choice_list):
        raise Invalid("choice", "a choice cannot contain '|' (it separates checkbox values)")
    if CustomFieldDefinition.objects.filter(
        org=org, record_type=record_type, key=name_key(clean)
    ).exists():
        raise Invalid("name", f"the {record_type} field {clean!r} already exists")
    position = CustomFieldDefinition.objects.filter(org=org, record_type=record_type).count() + 1
    return CustomFieldDefinition.objects.create(
        org=org,
        record_type=record_type,
        name=clean,
        key=name_key(clean),
        field_type=field_type,
        choices=choice_list,
        position=position,
    )


@transaction.atomic
def group_add(*, org: Org, name: str) -> UserGroup:
    """A new, empty user group; a name the org already has is refused."""
    clean = " ".join(name.split())
    if not clean:
        raise Invalid("name", "a group needs a name")
    if UserGroup.objects.filter(org=org, key=name_key(clean)).exists():
        raise Invalid("name", f"the group {clean!r} already exists")
    return UserGroup.objects.create(org=org, name=clean, key=name_key(clean))


@transaction.atomic
def group_rename(*, org: Org, group_id: int, name: str) -> UserGroup:
    """Give one of the org's groups a new name; permits, deal owners and tickets keep
    pointing at it. Another org's group is "no such group", as a missing one is."""
    group = UserGroup.objects.select_for_update().filter(org=org, id=group_id).first()
    if group is None:
        raise Invalid("group", "no such group")
    clean = " ".join(name.split())
    if not clean:
        raise Invalid("name", "a group needs a name")
    key = name_key(clean)
    if UserGroup.objects.filter(org=org, key=key).exclude(id=group.id).exists():
        raise Invalid("name", f"the group {clean!r} already exists")
    group.name, group.key = clean, key
    group.save(update_fields=["name", "key"])
    return group


@transaction.atomic
def member_update(
    *, membership: Membership, role: str, groups: Sequence[UserGroup], is_active: bool = True
) -> Membership:
    """Change a user's role, groups and whether they may still log in to this org.

    An org always keeps one active owner: the last one cannot be demoted or
    deactivated, or nobody could manage the org any more.
    """
    if role not in Role.values:
        raise Invalid("role", f"{role!r} is not a role; use one of {', '.join(Role.values)}")
    org = membership.org
    if any(group.org_id != org.id for group in groups):
        raise Invalid("groups", "a group of another org")
    losing_owner = membership.role == Role.OWNER and (role != Role.OWNER or not is_active)
    if losing_owner:
        other_owners = (
            Membership.objects.select_for_update()
            .filter(org=org, role=Role.OWNER, is_active=True)
            .exclude(id=membership.id)
        )
        if not other_owners.exists():
            field = "role" if role != Role.OWNER else "is_active"
            raise Invalid(field, "the org's last owner must stay an active owner")
    membership.role, membership.is_active = role, is_active
    membership.save(update_fields=["role", "is_active"])
    user = membership.user
    for group in UserGroup.objects.filter(org=org):
        if group in groups:
            group.members.add(user)
        else:
            group.members.remove(user)
    return membership


@transaction.atomic
def catalog_remove(*, item: CatalogItem) -> None:
    """Remove a catalog entry; records that named it keep their data but lose the link.

    The org's default currency stays: incoming deals without a currency need it.
    """
    if item.kind == CatalogKind.CURRENCY and item.is_default:
        raise Invalid("default", "the default currency cannot be removed; make another default")
    try:
        item.delete()
    except ProtectedError:
        raise Invalid(
            "name", f"the {CatalogKind(item.kind).label} {item.name!r} is still in use"
        ) from None


@transaction.atomic
def catalog_move(*, item: CatalogItem, offset: int) -> CatalogItem:
    """Move an entry up (-1) or down (+1) its catalog's order (deal stages are ordered)."""
    siblings = list(
        CatalogItem.objects.select_for_update()
        .filter(org_id=item.org_id, kind=item.kind)
        .order_by("position", "id")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.id == item.id)
    target = min(max(index + offset, 0), len(siblings) - 1)
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    return siblings[target]


@transaction.atomic
def catalog_set_default(*, item: CatalogItem) -> CatalogItem:
    """Make `item` its catalog's one default (the org's default currency)."""
    CatalogItem.objects.filter(org_id=item.org_id, kind=item.kind, is_default=True).exclude(
        id=item.id
    ).update(is_default=False)
    item.is_default = True
    item.save(update_fields=["is_default"])
    return item


@transaction.atomic
def field_remove(*, definition: CustomFieldDefinition) -> None:
    """Remove a custom field definition. Values stored under it stay on the records
    (they are keyed by the definition's id) but are no longer shown or accepted."""
    definition.delete()


# The SMS providers an org may set up ("" is none: it sends from its trial allowance).
