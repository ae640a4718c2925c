"""Reading an org's people and catalogs as the settings pages list them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from crmdp.orgs.models import (
    CatalogItem,
    CatalogKind,
    CustomFieldDefinition,
    Membership,
    Org,
    User,
    UserGroup,
)


def active_memberships(user_id: int) -> list[Membership]:
    """A user's active memberships, by org name: the orgs they may work in."""
    return list(
        Membership.objects.select_related("org", "user")
        .filter(user_id=user_id, is_active=True)
        .order_by("org__name")
    )


def org_members(org: Org) -> QuerySet[Membership]:
    """Everyone in the org (active first), each with their groups in this org."""
    groups = UserGroup.objects.filter(org=org).order_by("name")
    return (
        Membership.objects.filter(org=org)
        .select_related("user")
        .prefetch_related(Prefetch("user__org_groups", queryset=groups, to_attr="groups_here"))
        .order_by("-is_active", "user__email")
    )


def org_groups(org: Org) -> QuerySet[UserGroup]:
    members = User.objects.order_by("email")
    return (
        UserGroup.objects.filter(org=org)
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("name")
    )


def catalog(org: Org, kind: str) -> QuerySet[CatalogItem]:
    """One of the org's catalogs, in its order (deal stages are ordered)."""
    return CatalogItem.objects.filter(org=org, kind=kind).order_by("position", "id")


def custom_fields(org: Org) -> QuerySet[CustomFieldDefinition]:
    return CustomFieldDefinition.objects.filter(org=org).order_by("record_type", "position", "id")


@dataclass(frozen=True)
class OrgOverview:
    members: int
    groups: int
    custom_fields: int
    listeners: int
    catalog: dict[str, int]  # kind → entries


def org_overview(org: Org) -> OrgOverview:
    counts = dict(
        CatalogItem.objects.filter(org=org)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return OrgOverview(
        members=Membership.objects.filter(org=org, is_active=True).count(),
        groups=UserGroup.objects.filter(org=org).count(),
        custom_fields=CustomFieldDefinition.objects.filter(org=org).count(),
        listeners=org.listeners.count(),
        catalog={kind: counts.get(kind, 0) for kind in CatalogKind.values},
    )


def org_member(org: Org, membership_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("user", "org").filter(org=org, id=membership_id).first()
    )


def member_groups(membership: Membership) -> list[UserGroup]:
    """The groups of this org the member belongs to."""
    return list(membership.user.org_groups.filter(org_id=membership.org_id).order_by("name"))


def catalog_entry(org: Org, kind: str, item_id: int) -> CatalogItem | None:
    return CatalogItem.objects.filter(org=org, kind=kind, id=item_id).first()


def custom_field(org: Org, field_id: int) -> CustomFieldDefinition | None:
    return CustomFieldDefinition.objects.filter(org=org, id=field_id).first()


def record_type_fields(org_id: int, record_type: str) -> QuerySet[CustomFieldDefinition]:
    """The custom fields of one record type (contact, lead, deal, ticket), in order."""
    return CustomFieldDefinition.objects.filter(org_id=org_id, record_type=record_type).order_by(
        "position", "id"
    )
