"""The raw-SQL ceiling: the listener's essential work for the same actions, in plain
SQL through the same driver, with no web framework, no validation, no JSON
parsing: three indexed key lookups per action, then either a history line (a
duplicate) or the customer, its keys and a history line (a new customer).

Row-wise commits each action on its own (what `single` mode must do); set-based
resolves a whole batch's keys in one query and inserts with multi-row statements
(what `batch` mode can do). Each client thread has its own connection.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench.database import Database
from bench.workload import Workload

_CUSTOMER_COLUMNS = (
    "org_id, kind, name, lastname, title, passport, gender, bg_info, contact_id, emails, phones, "
    "addresses, im, websites, tags, custom_fields, owner_id, permit_status, company_lead, "
    "created_at, updated_at, number, attribution"
)


@dataclass
class Context:
    org_id: int
    owner_id: int
    listener_id: int


class Sql:
    """The few statements, in the driver's parameter style."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.connection = database.connect()
        self.mark = "?" if self.engine == "sqlite" else "%s"
        self.now = "datetime('now')" if self.engine == "sqlite" else "now()"
        if self.engine == "sqlite":
            path = database.data_dir / "crmdp.sqlite3.writelock"
            self.lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self.wal = database.data_dir / "crmdp.sqlite3-wal"
            self.syncs_after_commit = database.syncs_after_commit

    def q(self, sql: str) -> str:
        return sql.replace("%s", self.mark)

    def close(self) -> None:
        if self.engine == "sqlite":
            fcntl.flock(self.lock, fcntl.LOCK_UN)
            os.close(self.lock)
        self.connection.close()

    def begin(self) -> None:
        if self.engine == "sqlite":
            # As the product does: writers queue on a flock() (the kernel wakes the
            # next at once) rather than in SQLite's sleeping busy handler.
            fcntl.flock(self.lock, fcntl.LOCK_EX)
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            self.connection.execute("BEGIN")

    def commit(self) -> None:
        self.connection.execute("COMMIT")
        if self.engine == "sqlite":
            fcntl.flock(self.lock, fcntl.LOCK_UN)
            if self.syncs_after_commit:  # as the product: durable, outside the lock
                wal = os.open(self.wal, os.O_RDONLY)
                try:
                    os.fdatasync(wal)
                finally:
                    os.close(wal)

    def run(self, sql: str, params: tuple[Any, ...]) -> None:
        self.connection.execute(self.q(sql), params)

    def one(self, sql: str, params: tuple[Any, ...]) -> Any:
        return self.connection.execute(self.q(sql), params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return list(self.connection.execute(self.q(sql), params).fetchall())

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self.engine == "sqlite":
            self.connection.executemany(self.q(sql), rows)
        else:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.q(sql), rows)


def _keys(data: dict[str, Any]) -> list[str]:
    keys = [f"email:{e['value'].lower()}" for e in data.get("emails", [])]
    keys += [f"phone:{p['value']}" for p in data.get("phones", [])]
    return keys


def _customer_row(ctx: Context, data: dict[str, Any], number: int) -> tuple[Any, ...]:
    emails = json.dumps(
        [{"type": "Work", "value": e["value"], "normalized": e["value"]} for e in data["emails"]]
    )
    phones = json.dumps(
        [{"type": "Mobile", "value": p["value"], "e164": p["value"]} for p in data["phones"]]
    )
    return (
        ctx.org_id,
        data["name"],
        data.get("lastname", ""),
        emails,
        phones,
        ctx.owner_id,
        number,
    )


_INSERT_CUSTOMER_VALUES = "(%s, 'contact', %s, %s, '', '', 2, '', '', %s, %s, '[]', '[]', '[]', '[]', '{{}}', %s, 1, '', {now}, {now}, %s, '{{}}')"


# The product numbers each new contact from the org's counter row (crmdp.orgs.numbering):
# the ceiling takes its numbers the same way, in the same transaction.
_TAKE_NUMBERS = (
    "INSERT INTO orgs_numberseries (org_id, series, last_given) VALUES (%s, 'PID', %s) "
    "ON CONFLICT (org_id, series) DO UPDATE "
    "SET last_given = orgs_numberseries.last_given + excluded.last_given RETURNING last_given"
)


def _take_numbers(sql: Sql, ctx: Context, count: int) -> range:
    last = sql.one(_TAKE_NUMBERS, (ctx.org_id, count))[0]
    return range(last - count + 1, last + 1)


def _history_row(ctx: Context, customer_id: int, text: str) -> tuple[Any, ...]:
    return (ctx.org_id, customer_id, text, ctx.listener_id, ctx.owner_id)


_INSERT_HISTORY = (
    "INSERT INTO history_historyentry (org_id, customer_id, at, text, listener_id, actor_id) "
    "VALUES (%s, %s, {now}, %s, %s, %s)"
)


def row_wise(sql: Sql, ctx: Context, action: dict[str, Any]) -> None:
    data = action["data"]
    sql.begin()
    found = None
    keys = _keys(data)
    lookups = ([*keys, "passport:none", "passport:none", "passport:none"])[:3]
    for key in lookups:
        row = sql.one(
            "SELECT customer_id FROM customers_customerkey WHERE org_id = %s AND key = %s "
            "ORDER BY customer_id LIMIT 1",
            (ctx.org_id, key),
        )
        if row and found is None:
            found = row[0]
    if found is not None:
        sql.many(_INSERT_HISTORY.format(now=sql.now), [_history_row(ctx, found, "duplicate")])
    else:
        customer_id = sql.one(
            f"INSERT INTO customers_customer ({_CUSTOMER_COLUMNS}) VALUES "
            + _INSERT_CUSTOMER_VALUES.format(now=sql.now)
            + " RETURNING id",
            _customer_row(ctx, data, _take_numbers(sql, ctx, 1)[0]),
        )[0]
        sql.many(
            "INSERT INTO customers_customerkey (org_id, key, kind, customer_id) VALUES (%s, %s, 'contact', %s)",
            [(ctx.org_id, key, customer_id) for key in [*keys, f"name:{data['name'].lower()}"]],
        )
        sql.many(_INSERT_HISTORY.format(now=sql.now), [_history_row(ctx, customer_id, "created")])
    sql.commit()


def set_based(sql: Sql, ctx: Context, actions: list[dict[str, Any]]) -> None:
    sql.begin()
    all_keys = sorted({key for action in actions for key in _keys(action["data"])})
    marks = ", ".join(["%s"] * len(all_keys))
    known: dict[str, int] = {}
    for key, customer_id in sql.all(
        f"SELECT key, min(customer_id) FROM customers_customerkey WHERE org_id = %s AND key IN ({marks}) GROUP BY key",
        (ctx.org_id, *all_keys),
    ):
        known[key] = customer_id
    new_rows: list[tuple[Any, ...]] = []
    new_keys: list[list[str]] = []
    duplicates: list[int] = []
    pending: dict[str, int] = {}  # the in-batch index: key → position in new_rows
    for action in actions:
        data = action["data"]
        keys = _keys(data)
        hit = next((known[k] for k in keys if k in known), None)
        if hit is not None:
            duplicates.append(hit)
            continue
        if any(k in pending for k in keys):
            continue  # a repeat inside the batch: counted as a duplicate of that one
        for key in keys:
            pending[key] = len(new_rows)
        new_rows.append(data)
        new_keys.append([*keys, f"name:{data['name'].lower()}"])
    ids: list[int] = []
    if new_rows:
        numbers = _take_numbers(sql, ctx, len(new_rows))
        rows = [_customer_row(ctx, data, n) for data, n in zip(new_rows, numbers, strict=True)]
        values = ", ".join([_INSERT_CUSTOMER_VALUES.format(now=sql.now)] * len(rows))
        params = tuple(value for row in rows for value in row)
        ids = [
            r[0]
            for r in sql.all(
                f"INSERT INTO customers_customer ({_CUSTOMER_COLUMNS}) VALUES {values} RETURNING id",
                params,
            )
        ]
        key_rows = [
            (ctx.org_id, key, cid) for cid, keys in zip(ids, new_keys, strict=True) for key in keys
        ]
        key_values = ", ".join(["(%s, %s, 'contact', %s)"] * len(key_rows))
        sql.run(
            f"INSERT INTO customers_customerkey (org_id, key, kind, customer_id) VALUES {key_values}",
            tuple(v for row in key_rows for v in row),
        )
    history = [_history_row(ctx, cid, "created") for cid in ids] + [
        _history_row(ctx, cid, "duplicate") for cid in duplicates
    ]
    if history:
        values = ", ".join([f"(%s, %s, {sql.now}, %s, %s, %s)"] * len(history))
        sql.run(
            f"INSERT INTO history_historyentry (org_id, customer_id, at, text, listener_id, actor_id) VALUES {values}",
            tuple(v for row in history for v in row),
        )
    sql.commit()


def measure(
    database: Database,
    ctx: Context,
    *,
    clients: int,
    seconds: float,
    batch: int,
    preload: int,
    run_tag: str,
    set_wise: bool,
) -> float:
    """Actions per second of the ceiling for this workload."""
    counts = [0] * clients
    failures: list[BaseException] = []
    deadline = time.perf_counter() + seconds
    barrier = threading.Barrier(clients + 1)

    # Made here: one that cannot be made fails the run (see bench.load.drive).
    workloads = [Workload(index + 100, preload, run_tag) for index in range(clients)]

    def client(index: int) -> None:
        sql = Sql(database)
        workload = workloads[index]
        barrier.wait()
        try:
            while time.perf_counter() < deadline:
                actions = [workload.action() for _ in range(batch)]
                if set_wise:
                    set_based(sql, ctx, actions)
                else:
                    for action in actions:
                        row_wise(sql, ctx, action)
                counts[index] += len(actions)
        except BaseException as exc:  # reported below: a broken ceiling is no ceiling
            failures.append(exc)
        finally:
            sql.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError("the raw-SQL ceiling failed") from failures[0]
    return sum(counts) / (time.perf_counter() - began)
