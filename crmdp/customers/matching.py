"""Finding the customer an incoming record is about (SPEC §5).

Every lookup goes through a KeyIndex: the CustomerKeys of one org as one request
sees them. It reads the keys a request carries in one indexed query on (org, key),
so matching costs the same at a hundred customers or a million, and a batch of a
hundred actions costs one query, not a hundred. Where several customers share a
key, the oldest wins: it is the one the sender most likely meant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from crmdp.backends import rows
from crmdp.customers import keys as keymod
from crmdp.customers.models import CODE_PREFIX, Customer, CustomerKey, Kind
from crmdp.customers.reading import CustomerInput

_PREFIX_KIND = {prefix: kind for kind, prefix in CODE_PREFIX.items()}


@dataclass(frozen=True)
class Match:
    customer_id: int
    matched_on: str  # the request field: customerId, contactId, passport, name, email, phone
    value: str  # the normalised value that matched
    kind: str = ""  # the customer's kind (contact, account, lead)
    number: int = 0  # the n of its code, PID-n

    def customer(self, org_id: int) -> Customer:
        """The matched customer, for pointing at (history lines, links, its code)
        without a query. Built as the hot path builds its rows (rows.build): a batch
        makes one per duplicate."""
        return rows.build(
            Customer, id=self.customer_id, org_id=org_id, kind=self.kind, number=self.number
        )


@dataclass(frozen=True)
class UpdateTarget:
    """The outcome of looking for the record an update is about."""

    match: Match | None = None
    ambiguous: int = 0  # how many candidates were left, when more than one
    # Keys given that point at other records than the one found: (request field,
    # value as shown, those records' ids). The update goes on; the sender is told.
    contradictions: list[tuple[str, str, list[int]]] = field(default_factory=list)


def parse_code(code: str) -> tuple[Kind, int] | None:
    """`" pid-41"` → (contact, 41); None when it is not a customer code.

    The number counts within the org (SPEC §1): a code means nothing without the
    org it was read in, so it is only ever looked up through `code_filter`."""
    prefix, _, number = code.strip().upper().partition("-")
    kind = _PREFIX_KIND.get(prefix)
    if kind is None or not number.isascii() or not number.isdecimal() or len(number) > 18:
        return None
    return kind, int(number)


def code_filter(code: str, kinds: Sequence[str] | None = None) -> Q | None:
    """The filter on customers that finds the one with this code (`PID-41`), among
    `kinds` if given; None when `code` is not a code of one of them. Combine it with
    the org's (or a member's) customers: codes repeat from org to org."""
    parsed = parse_code(code)
    if parsed is None or (kinds is not None and parsed[0] not in kinds):
        return None
    return Q(kind=parsed[0], number=parsed[1])


# Keys are read in chunks: SQLite allows at most 32,766 parameters a statement.
_CHUNK = 500


class KeyIndex:
    """The CustomerKeys of one org, as one request (one transaction) sees them.

    Each key is read from the database once; after that the index is kept in step
    with the request's own writes: the keys of customers it creates are added here
    and inserted all at once by `flush()` before the transaction commits, and keys
    it drops are deleted at once. Changes made by an action that then fails are
    undone (`action_failed`), as its savepoint undoes its rows.

    The request holds the locks on the keys it carries (see locking), so no other
    writer can add rows for them while the index holds them.
    """

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id
        self._rows: dict[str, set[tuple[int, str]]] = {}  # key → {(customer id, kind)}
        self._numbers: dict[int, int] = {}  # customer id → the n of its code
        self._fetched: set[str] = set()  # keys whose database rows are in _rows
        self._pending: dict[tuple[str, int], str] = {}  # rows to insert → kind
        self._undo: list[Callable[[], None]] | None = None

    def prefetch(self, keys: Iterable[str]) -> None:
        missing = [key for key in dict.fromkeys(keys) if key not in self._fetched]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            self._fetched.update(chunk)
            marks = ", ".join(["%s"] * len(chunk))
            # Hand-written: the hot path's one read (see crmdp.backends.rows).
            # With each customer's number, so that a match knows its code.
            found = rows.values(
                f"SELECT k.key, k.customer_id, k.kind, c.number "
                f"FROM {CustomerKey._meta.db_table} k "
                f"JOIN {Customer._meta.db_table} c ON c.id = k.customer_id "
                f"WHERE k.org_id = %s AND k.key IN ({marks})",
                [self.org_id, *chunk],
            )
            for key, customer_id, kind, number in found:
                self._rows.setdefault(key, set()).add((customer_id, kind))
                self._numbers[customer_id] = number

    def customers(
        self, keys: Iterable[str], kinds: Sequence[str]
    ) -> dict[str, list[tuple[int, str]]]:
        """{key: [(customer id, kind), oldest first]} for the keys found among `kinds`."""
        wanted = list(dict.fromkeys(keys))
        self.prefetch(wanted)
        found = {}
        for key in wanted:
            rows = sorted(row for row in self._rows.get(key, ()) if row[1] in kinds)
            if rows:
                found[key] = rows
        return found

    def number_of(self, customer_id: int) -> int:
        """The number in the code of a customer this index has found."""
        return self._numbers[customer_id]

    # -- the request's own writes ---------------------------------------------------

    def add(self, key: str, customer_id: int, kind: str, number: int) -> None:
        """A key of a customer this request created or changed (not in the database)."""
        self._numbers[customer_id] = number
        row = (customer_id, kind)
        rows = self._rows.setdefault(key, set())
        if row in rows:
            return
        rows.add(row)
        self._pending[(key, customer_id)] = kind

        def undo() -> None:
            rows.discard(row)
            self._pending.pop((key, customer_id), None)

        self._remember(undo)

    def remove(self, key: str, customer_id: int, kind: str) -> None:
        row = (customer_id, kind)
        self._rows.setdefault(key, set()).discard(row)
        was_pending = self._pending.pop((key, customer_id), None) is not None
        if not was_pending:
            # In the database already: deleted now, inside the action's savepoint.
            CustomerKey.objects.filter(
                org_id=self.org_id, key=key, customer_id=customer_id
            ).delete()

        def undo() -> None:
            self._rows[key].add(row)
            if was_pending:
                self._pending[(key, customer_id)] = kind

        self._remember(undo)

    def flush(self) -> int:
        """Insert the keys the request added; returns how many."""
        new = [
            rows.build(CustomerKey, org_id=self.org_id, key=key, kind=kind, customer_id=customer_id)
            for (key, customer_id), kind in self._pending.items()
        ]
        rows.insert(new)
        self._pending.clear()
        return len(new)

    # -- per action -----------------------------------------------------------------

    def action_started(self) -> None:
        self._undo = []

    def action_done(self) -> None:
        self._undo = None

    def action_failed(self) -> None:
        for undo in reversed(self._undo or []):
            undo()
        self._undo = None

    def _remember(self, undo: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(undo)


def customer_by_code(org_id: int, code: str) -> tuple[int, str, int] | None:
    """(id, kind, number) of the customer with this code in the org, if there is one.

    The one place a customerId is looked up (update-*, add-note, add-ticket, add-deal,
    send-sms): the code alone names the record, whatever else the data says (SPEC §4).
    Codes count per org, so another org's code never names anything here.
    """
    where = code_filter(code)
    if where is None:
        return None
    found = Customer.objects.filter(where, org_id=org_id).values_list("id", "kind", "number")
    return found.first()


def _key_groups(data: CustomerInput, field: str) -> list[str]:
    return {
        "contactId": data.contact_id_keys,
        "passport": data.passport_keys,
        "name": data.name_keys,
        "email": data.email_keys,
        "phone": data.phone_keys,
    }[field]()


def find_by(
    index: KeyIndex, kinds: Sequence[str], data: CustomerInput, order: Sequence[str]
) -> Match | None:
    """The customer `data` names, trying the keys in `order` (request field names:
    customerId, contactId, passport, name, email, phone); the first that matches
    wins, and among several customers with that key, the oldest. A customerId, when
    the order has it, always comes first."""
    if order[0] == "customerId":
        if data.code:
            by_code = customer_by_code(index.org_id, data.code)
            # The callers look among the kinds the code names (see
            # reading.settle_code); a companyContact's PID- code is no account's.
            if by_code is not None and by_code[1] in kinds:
                customer_id, kind, number = by_code
                return Match(customer_id, "customerId", data.code.strip().upper(), kind, number)
        order = order[1:]
    groups = [_key_groups(data, field) for field in order]
    found = index.customers((key for group in groups for key in group), kinds)
    for group in groups:
        for key in group:
            if found.get(key):
                customer_id, kind = found[key][0]
                return Match(
                    customer_id,
                    keymod.matched_on(key),
                    keymod.shown_value(key),
                    kind,
                    index.number_of(customer_id),
                )
    return None


# The orders of SPEC §5.
DUPLICATE_ORDER = ("contactId", "passport", "email", "phone")  # add-contact, add-lead
COMPANY_ORDER = ("customerId", "name", "email", "phone")  # companyContact
LINKED_ORDER = ("customerId", "passport", "email", "phone")  # dealWith, contacts
NOTE_ORDER = ("customerId", "contactId", "passport", "email", "phone")  # add-note
TICKET_ORDER = ("customerId", "contactId", "passport", "email", "phone")  # add-ticket


def find_duplicate(index: KeyIndex, kinds: Sequence[str], data: CustomerInput) -> Match | None:
    """An existing customer that `data` repeats: contactId → passport → email → phone."""
    return find_by(index, kinds, data, DUPLICATE_ORDER)


def find_company(index: KeyIndex, data: CustomerInput) -> Match | None:
    """The account a `companyContact` names: customerId → name → emails → phones."""
    return find_by(index, [Kind.ACCOUNT], data, COMPANY_ORDER)


def find_for_update(index: KeyIndex, kinds: Sequence[str], data: CustomerInput) -> UpdateTarget:
    """customerId → contactId → passport → name → emails → phones.

    The first key that matches anything gives the candidates; the keys after it
    narrow them down. One candidate is the target; several are ambiguous.
    """
    groups: list[tuple[str, list[str]]] = [
        ("contactId", data.contact_id_keys()),
        ("passport", data.passport_keys()),
        ("name", data.name_keys()),
        ("email", data.email_keys()),
        ("phone", data.phone_keys()),
    ]
    found = index.customers((key for _, group in groups for key in group), kinds)
    kind_of: dict[int, str] = {}
    number_of: dict[int, int] = {}
    steps: list[tuple[str, str, set[int]]] = []
    if data.code:
        by_code = customer_by_code(index.org_id, data.code)
        if by_code and by_code[1] not in kinds:
            by_code = None
        if by_code:
            kind_of[by_code[0]] = by_code[1]
            number_of[by_code[0]] = by_code[2]
        steps.append(("customerId", data.code.strip().upper(), {by_code[0]} if by_code else set()))
    for name, group in groups:
        if group:
            rows = [row for key in group for row in found.get(key, [])]
            kind_of.update(rows)
            shown = ", ".join(keymod.shown_value(key) for key in group)
            steps.append((name, shown, {customer_id for customer_id, _ in rows}))

    for position, (key, shown, ids) in enumerate(steps):
        if not ids:
            continue
        candidates = ids
        for _, _, narrower in steps[position + 1 :]:
            if len(candidates) == 1:
                break
            if candidates & narrower:
                candidates = candidates & narrower
        if len(candidates) > 1:
            return UpdateTarget(ambiguous=len(candidates))
        (target,) = candidates
        number = number_of[target] if target in number_of else index.number_of(target)
        contradictions = [
            (other, other_shown, sorted(ids))
            for other, other_shown, ids in steps[position + 1 :]
            if ids and target not in ids
        ]
        return UpdateTarget(
            Match(target, key, shown, kind_of[target], number), contradictions=contradictions
        )
    return UpdateTarget()
