"""Ids for the customers a listener request creates, and inserting them together.

(The numbers in their codes, PID-41, are not these database ids: they count per
org, see crmdp.orgs.numbering.)

A new customer needs its id at once: its history lines, keys and welcome message
point at it, and later actions of the same request may match it. Learning
the id by inserting each customer on its own costs a round trip per customer
(measured here on PostgreSQL: 0.39 ms per customer, against 0.09 ms per row when
all of a request's new customers go in one statement). So ids are taken first:

- on PostgreSQL from the table's own sequence, as many as the request expects to
  create in one query (more one at a time if it creates more). An id taken for a
  customer that then is not created is not used again: customer numbers are
  unique and increasing but may have gaps, as with any sequence (a rolled-back
  transaction leaves one too);
- on SQLite after the highest id ever used, with no gaps: the request holds the
  database's one write lock, so no other writer can take the same ids.

The rows are inserted when the request's actions are done, or before an action
that needs customer rows in the database (`Action.needs_customer_rows`); such an
action inserts the customers it creates itself at once.
Foreign keys are checked at COMMIT on both engines, so history lines and keys may
point at a customer whose row is not inserted yet.
"""

from __future__ import annotations

from crmdp.backends import ids, rows
from crmdp.customers.models import Customer


class NewCustomers:
    """The customers one request has created and not yet inserted, with their ids."""

    def __init__(self) -> None:
        self.pending: list[Customer] = []
        self._ids: list[int] = []  # taken and not handed out yet, the next one last
        self._after: int | None = None  # SQLite: the highest id handed out
        # Whether `reserve` saves queries: on SQLite ids cost none, so the request
        # need not work out how many it will create. (Asked once: per customer, the
        # connection proxy's lookups were a noticeable part of a batch.)
        self.takes_ids_in_blocks = ids.ids_from_a_sequence()

    def reserve(self, count: int) -> None:
        """Take ids for `count` customers in one query (see `takes_ids_in_blocks`)."""
        if count > 0 and self.takes_ids_in_blocks:
            self._ids = sorted(ids.take_ids(Customer, count), reverse=True) + self._ids

    def take_id(self) -> int:
        if self._ids:
            return self._ids.pop()
        if self.takes_ids_in_blocks:
            return ids.take_ids(Customer, 1)[0]
        if self._after is None:
            self._after = ids.highest_id_ever(Customer)
        self._after += 1
        return self._after

    def insert_now(self, customer: Customer) -> None:
        """Insert one customer on its own, now. Its id comes from the same place as
        the others', so a request's customers are numbered in the order it created
        them (the oldest of several that share a key is the one matched)."""
        customer.id = self.take_id()
        rows.insert([customer])

    def add(self, customers: list[Customer]) -> None:
        """Customers of an action that succeeded, to insert with the others."""
        self.pending += customers

    def flush(self) -> int:
        """Insert the pending customers; returns how many."""
        inserted = len(rows.insert(self.pending))
        self.pending = []
        return inserted
