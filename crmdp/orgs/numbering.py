"""Per-org record numbers: every org has its own PID-1, CID-1, LID-1, TID-1 and deal 1.

An org has one NumberSeries row per series, holding the last number given. A write
transaction that numbers records reads all of its org's rows in one statement that
also locks them (an upsert that changes nothing, and creates the rows of an org
that has none yet), hands numbers out from memory, and writes the new last numbers
back in one statement before it commits.

The row locks are held until COMMIT or ROLLBACK. Another transaction of the same org
that numbers records waits for them, so no number is ever given twice; a transaction
that rolls back takes its numbers back with it, so numbers have no gaps. Transactions
of other orgs, and those that number nothing (updates, duplicates, notes, SMS), never
wait. On SQLite the write transaction holds the database's one write lock anyway.

Why not a database sequence: one per org and series means DDL at run time on
PostgreSQL and nothing like it on SQLite, and a sequence leaves gaps.
"""

from __future__ import annotations

from crmdp.backends import counters
from crmdp.orgs.models import NumberSeries, Series

_ALL_NAMES = tuple(series.value for series in Series)


class Numbers:
    """The numbers one write transaction gives to the records of one org."""

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id
        self._last: dict[str, int] | None = None  # as handed out so far
        self._stored: dict[str, int] = {}  # as in the database
        self._undo: dict[str, int] | None = None  # the running action's starting point

    @property
    def locked(self) -> bool:
        return self._last is not None

    def lock(self) -> None:
        """Read (and lock) the org's counters, if not done yet. A request that will
        number records takes this lock before any row lock of its actions, so two
        requests never wait for each other in a cycle."""
        if self._last is not None:
            return
        self._last = counters.read_and_lock(
            NumberSeries,
            scope=("org", self.org_id),
            key="series",
            value="last_given",
            keys=_ALL_NAMES,
        )
        self._stored = dict(self._last)

    def take(self, series: Series) -> int:
        """The next number of `series` in this org."""
        self.lock()
        assert self._last is not None
        if self._undo is not None:
            self._undo.setdefault(series, self._last[series])
        self._last[series] += 1
        return self._last[series]

    # -- per action: a failed action's numbers are given again -----------------------

    def action_started(self) -> None:
        self._undo = {}

    def action_done(self) -> None:
        self._undo = None

    def action_failed(self) -> None:
        if self._last is not None:
            self._last.update(self._undo or {})
        self._undo = None

    def save(self) -> int:
        """Write the counters that moved; returns how many."""
        moved = {s: n for s, n in (self._last or {}).items() if n != self._stored[s]}
        if not moved:
            return 0
        counters.write(
            NumberSeries,
            scope=("org", self.org_id),
            key="series",
            value="last_given",
            values=moved,
        )
        self._stored.update(moved)
        return len(moved)


def take_number(org_id: int, series: Series) -> int:
    """One number, for a write outside a listener request (in its own transaction's
    lock, as `Numbers`)."""
    numbers = Numbers(org_id)
    number = numbers.take(series)
    numbers.save()
    return number
