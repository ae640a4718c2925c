"""What incoming data may name in an org (users, groups, catalog entries, custom
fields), looked up once per request and then served from memory: a batch of a
hundred actions that all name the same stage costs one query, not a hundred.
"""

from __future__ import annotations

from crmdp.backends import rows
from crmdp.lib.values import name_key
from crmdp.orgs.models import (
    CatalogItem,
    CustomFieldDefinition,
    Membership,
    Org,
    User,
    UserGroup,
)


class OrgDirectory:
    def __init__(self, org: Org) -> None:
        self.org = org
        self._users: dict[str, User | None] = {}
        self._groups: dict[str, UserGroup] | None = None
        self._catalog: dict[tuple[str, str], CatalogItem] | None = None
        self._fields: dict[str, dict[str, CustomFieldDefinition]] = {}

    def user(self, email: str) -> User | None:
        """An active user of this org, by email (any case)."""
        email = email.strip().lower()
        if email not in self._users:
            membership = (
                Membership.objects.select_related("user")
                .filter(org=self.org, user__email=email, is_active=True, user__is_active=True)
                .first()
            )
            self._users[email] = membership.user if membership else None
        return self._users[email]

    def group(self, name: str) -> UserGroup | None:
        if self._groups is None:
            self._groups = {group.key: group for group in UserGroup.objects.filter(org=self.org)}
        return self._groups.get(name_key(name))

    def catalog(self, kind: str, name: str) -> CatalogItem | None:
        return self._catalog_items().get((kind, self._catalog_key(kind, name)))

    def catalog_names(self, kind: str) -> list[str]:
        items = [item for (k, _), item in self._catalog_items().items() if k == kind]
        return [item.name for item in sorted(items, key=lambda item: (item.position, item.id))]

    def default(self, kind: str) -> CatalogItem | None:
        for (k, _), item in self._catalog_items().items():
            if k == kind and item.is_default:
                return item
        return None

    def custom_fields(self, record_type: str) -> dict[str, CustomFieldDefinition]:
        """The record type's custom field definitions by name_key(name)."""
        if record_type not in self._fields:
            self._fields[record_type] = {
                definition.key: definition
                for definition in CustomFieldDefinition.objects.filter(
                    org=self.org, record_type=record_type
                )
            }
        return self._fields[record_type]

    def _catalog_items(self) -> dict[tuple[str, str], CatalogItem]:
        if self._catalog is None:
            self._catalog = {
                (item.kind, item.key): item for item in CatalogItem.objects.filter(org=self.org)
            }
        return self._catalog

    @staticmethod
    def _catalog_key(kind: str, name: str) -> str:
        return name.strip().upper() if kind == "currency" else name_key(name)


def active_member(org: Org, email: str) -> User | None:
    """The active user of `org` with this email, or None: the listener's senderUser
    check, run on every request, so written by hand (see crmdp.backends.rows)."""
    found = rows.select(
        User,
        f"SELECT {rows.columns(User, 'u')} FROM {User._meta.db_table} u "
        f"JOIN {Membership._meta.db_table} m ON m.user_id = u.id "
        "WHERE m.org_id = %s AND u.email = %s AND m.is_active AND u.is_active LIMIT 1",
        [org.id, email.strip().lower()],
    )
    return found[0] if found else None
