"""Permits: who besides the owner may see a record (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crmdp.lib.issues import Notes, join_path
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import User, UserGroup

EVERYBODY, OWNER, OWNER_AND_GROUP, OWNER_AND_USERS = 1, 2, 3, 4
PERMIT_WORDS = {
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

    def describe(self) -> str:
        if self.status == OWNER_AND_GROUP:
            return f"the owner and group {self.group.name if self.group else '(none)'}"
        if self.status == OWNER_AND_USERS:
            # Sorted: the database returns a many-to-many set in no fixed order.
            emails = sorted(u.email for u in self.users)
            return "the owner and " + (", ".join(emails) or "nobody else")
        return PERMIT_WORDS.get(self.status, str(self.status))


def read_permit(
    status: int | None,
    group: str | None,
    users: list[str] | None,
    directory: OrgDirectory,
    path: str,
    notes: Notes,
) -> Permit:
    """The permit as sent; names the org does not know are dropped with a warning.

    An unknown group or user never widens a permit: the record stays visible to
    its owner (and whoever else was named and found).
    """
    permit = Permit(status or EVERYBODY)
    if permit.status == OWNER_AND_GROUP:
        if not group:
            notes.warn(
                join_path(path, "group"), "permit 3 needs a group; only the owner will see it"
            )
        else:
            permit.group = directory.group(group)
            if permit.group is None:
                notes.warn(
                    join_path(path, "group"),
                    f"no group named {group!r} in this org; only the owner will see it",
                )
    elif group:
        notes.warn(join_path(path, "group"), "a group is used only with permit status 3; ignored")
    if permit.status == OWNER_AND_USERS:
        for index, email in enumerate(users or []):
            user = directory.user(email)
            if user is None:
                notes.warn(
                    join_path(path, "users", index),
                    f"no active user {email!r} in this org; skipped",
                )
            elif user not in permit.users:
                permit.users.append(user)
    elif users:
        notes.warn(join_path(path, "users"), "users are used only with permit status 4; ignored")
    return permit
