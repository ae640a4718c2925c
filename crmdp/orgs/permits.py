"""Permits: who besides the owner may see a record (SPEC §1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from crmdp.lib.issues import Warnings, join_path
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import Membership, User, UserGroup


class PermitStatus(models.IntegerChoices):
    """Who besides the owner may see a record: the one encoding of a permit's status
    (the vendor's numbers, SPEC §1), stored on customers, deals and notes."""

    EVERYBODY = 1, "everybody"
    OWNER = 2, "only the owner"
    OWNER_AND_GROUP = 3, "owner and group"
    OWNER_AND_USERS = 4, "owner and users"


EVERYBODY, OWNER = PermitStatus.EVERYBODY, PermitStatus.OWNER
OWNER_AND_GROUP, OWNER_AND_USERS = PermitStatus.OWNER_AND_GROUP, PermitStatus.OWNER_AND_USERS
PERMIT_WORDS: dict[int, str] = {
    EVERYBODY: "everybody",
    OWNER: "only the owner",
    OWNER_AND_GROUP: "the owner and a group",
    OWNER_AND_USERS: "the owner and named users",
}


@dataclass
class Permit:
    status: int = EVERYBODY
    group: UserGroup | None = None
    users: list[User] = field(default_factory=list)
    # False: a permit was sent but could not be read. It then reads as "only the
    # owner" for a new record, and an update leaves the stored permit as it was.
    readable: bool = True

    def describe(self) -> str:
        if self.status == OWNER_AND_GROUP:
            return f"the owner and group {self.group.name if self.group else '(none)'}"
        if self.status == OWNER_AND_USERS:
            # Sorted: the database returns a many-to-many set in no fixed order.
            emails = sorted(u.email for u in self.users)
            return "the owner and " + (", ".join(emails) or "nobody else")
        return PERMIT_WORDS.get(self.status, str(self.status))


def permit_of(record: Any) -> Permit:
    """The permit a customer, deal or note has (its named users read only for status
    4, from prefetched rows where the caller prefetched them)."""
    status = record.permit_status
    users = list(record.permit_users.all()) if status == OWNER_AND_USERS else []
    return Permit(status, record.permit_group, users)


def read_status(value: Any) -> int | None:
    """A permit status as senders write it (`2`, `"2"`, `2.0`); None when it is not
    one of 1-4."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        # Compared as text: int() of a long digit string is slow, and may refuse.
        value = {str(status): status for status in PERMIT_WORDS}.get(value.strip(), value)
    return value if isinstance(value, int) and value in PERMIT_WORDS else None


def read_permit(
    status: Any,
    group: str | None,
    users: Sequence[str] | None,
    directory: OrgDirectory,
    path: str,
    warnings: Warnings,
    *,
    updating: bool | None = None,
) -> Permit:
    """The permit as sent (SPEC §1). It fails closed: a permit that cannot be read
    (a status that is missing or not 1-4: `{}`, `0`, `5`, `"onlyme"`, a group
    without a status) makes a new record visible to its owner only and leaves an
    existing record's permit unchanged, with a warning naming `permit.status`.
    `updating` says which of the two the caller does (None: either), for the words.

    Names the org does not know are dropped with a warning. An unknown group or
    user never widens a permit: the record stays visible to its owner (and whoever
    else was named and found).
    """
    readable = read_status(status)
    if readable is None:
        if status is None:
            what = "a permit needs a status (1-4)" + (" besides its group" if group else "")
        else:
            shown = repr(status) if len(repr(status)) <= 40 else repr(status)[:39] + "…"
            what = f"{shown} is not a permit status (1 everybody, 2 owner, 3 group, 4 users)"
        consequence = {
            True: "the stored permit is kept",
            False: "only the owner will see the record",
            None: "a new record is seen by its owner only, an existing one keeps its permit",
        }[updating]
        warnings.warn(join_path(path, "status"), f"{what}; {consequence}")
        return Permit(OWNER, readable=False)
    permit = Permit(readable)
    if permit.status == OWNER_AND_GROUP:
        if not group:
            warnings.warn(
                join_path(path, "group"), "permit 3 needs a group; only the owner will see it"
            )
        else:
            permit.group = directory.group(group)
            if permit.group is None:
                warnings.warn(
                    join_path(path, "group"),
                    f"no group named {group!r} in this org; only the owner will see it",
                )
    elif group:
        warnings.warn(
            join_path(path, "group"), "a group is used only with permit status 3; ignored"
        )
    if permit.status == OWNER_AND_USERS:
        for index, email in enumerate(users or []):
            user = directory.user(email)
            if user is None:
                warnings.warn(
                    join_path(path, "users", index),
                    f"no active user {email!r} in this org; skipped",
                )
            elif user not in permit.users:
                permit.users.append(user)
    elif users:
        warnings.warn(join_path(path, "users"), "users are used only with permit status 4; ignored")
    return permit


M = TypeVar("M", bound=Model)


def permitted(queryset: QuerySet[M], membership: Membership) -> QuerySet[M]:
    """Only the records whose permit lets this member see them (SPEC §1); owners
    and admins see all. Works for any model with owner, permit_status,
    permit_group and permit_users, as customers, deals and notes have."""
    if membership.sees_everything:
        return queryset
    user: User = membership.user
    model: Any = queryset.model
    in_group = UserGroup.members.through.objects.filter(
        usergroup_id=OuterRef("permit_group_id"), user_id=user.id
    )
    # The auto-created through table names its columns <model>_id and user_id.
    named = model.permit_users.through.objects.filter(
        **{f"{model._meta.model_name}_id": OuterRef("id"), "user_id": user.id}
    )
    return queryset.filter(
        Q(permit_status=EVERYBODY)
        | Q(owner_id=user.id)
        | (Q(permit_status=OWNER_AND_GROUP) & Exists(in_group))
        | (Q(permit_status=OWNER_AND_USERS) & Exists(named))
    )
