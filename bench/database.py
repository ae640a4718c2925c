"""A fresh database for one benchmark run, and a fast set-based preload."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmdp.backends.sqlite import commit_durability

ROOT = Path(__file__).resolve().parents[1]
CRMDP = [sys.executable, "-m", "crmdp"]
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


@dataclass
class Database:
    """One benchmark database: its engine, the env that points crmdp at it."""

    engine: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    pg_name: str = ""

    def crmdp(self, *args: str) -> str:
        done = subprocess.run(
            [*CRMDP, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"crmdp {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    @property
    def durability(self) -> tuple[str, bool]:
        """SQLite's `PRAGMA synchronous` and whether a commit is synced after the
        write lock is released, as the product commits (crmdp.backends.sqlite)."""
        level = os.environ.get("CRMDP_SQLITE_SYNCHRONOUS", "FULL").strip().upper() or "FULL"
        return commit_durability(level)

    @property
    def syncs_after_commit(self) -> bool:
        return self.engine == "sqlite" and self.durability[1]

    def connect(self) -> Any:
        """A raw DB-API connection (the same drivers Django uses)."""
        if self.engine == "sqlite":
            connection = sqlite3.connect(
                self.data_dir / "crmdp.sqlite3", timeout=30, isolation_level=None
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # As the product (the sync after each commit is the ceiling's Sql.commit).
            connection.execute(f"PRAGMA synchronous={self.durability[0]}")
            return connection
        import psycopg

        return psycopg.connect(f"{PG_URL}/{self.pg_name}", autocommit=True)

    def drop(self) -> None:
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@dataclass
class Site:
    """A fresh benchmark database with an org, its owner and one listener."""

    database: Database
    org_id: int
    owner_id: int
    listener_id: int
    listener_path: str


def bench_site(engine: str, sender: str) -> Site:
    """A fresh database (under $BENCH_DIR) provisioned through `crmdp` as a user would."""
    root = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "crmdp-bench"))
    database = fresh_database(engine, root)
    org = json.loads(
        database.crmdp("org", "create", "--name", "Bench", "--owner", sender, "--json")
    )
    listener = json.loads(
        database.crmdp("listener", "create", "--org", "Bench", "--name", "Bench", "--json")
    )
    raw = database.connect()
    mark = "?" if engine == "sqlite" else "%s"
    owner_id = raw.execute(f"SELECT id FROM orgs_user WHERE email = {mark}", (sender,)).fetchone()[
        0
    ]
    raw.close()
    return Site(database, org["id"], owner_id, listener["id"], listener["url"])


def fresh_database(engine: str, root: Path) -> Database:
    data_dir = root / f"{engine}-{int(time.time())}-{uuid.uuid4().hex[:6]}"
    data_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "CRMDP_DATA_DIR": str(data_dir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The benchmark's one listener takes thousands of requests a minute: no
        # per-listener rate limit (the default for new listeners is 600 a minute).
        "CRMDP_LISTENER_RATE_LIMIT": os.environ.get("CRMDP_LISTENER_RATE_LIMIT", "0"),
    }
    env.pop("DATABASE_URL", None)
    database = Database(engine, data_dir, env)
    if engine == "postgres":
        import psycopg

        database.pg_name = f"crmdp_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database.pg_name}"')
        env["DATABASE_URL"] = f"{PG_URL}/{database.pg_name}"
    database.crmdp("migrate", "--no-input", "-v0")
    return database


# -- the preload ------------------------------------------------------------------------
# Customers numbered 1..N get predictable identities, so the load generator can
# send duplicates of them: email p<n>@example.com, phone +8490<7 digits of n>,
# passport P<9 digits of n>.


def email_of(n: int) -> str:
    return f"p{n}@example.com"


def phone_of(n: int) -> str:
    return f"+8490{n:07d}"


def passport_of(n: int) -> str:
    return f"P{n:09d}"


def preload(database: Database, org_id: int, owner_id: int, count: int) -> float:
    """Insert `count` customers and their keys with set-based SQL; returns seconds."""
    if count == 0:
        return 0.0
    started = time.perf_counter()
    connection = database.connect()
    try:
        if database.engine == "sqlite":
            _preload_sqlite(connection, org_id, owner_id, count)
        else:
            _preload_postgres(connection, org_id, owner_id, count)
    finally:
        connection.close()
    return time.perf_counter() - started


# The preloaded contacts are PID-1 … PID-count: the org's counter must say so, or the
# first contact the listener creates would take PID-1 again.
_SET_CONTACT_COUNTER = (
    "INSERT INTO orgs_numberseries (org_id, series, last_given) VALUES ({org_id}, 'PID', {count}) "
    "ON CONFLICT (org_id, series) DO UPDATE SET last_given = excluded.last_given"
)

_KEY_KINDS = [
    ("'email:p' || n || '@example.com'",),
    ("'phone:+8490' || {pad7}",),
    ("'passport:P' || {pad9}",),
    ("'name:customer ' || n",),
]


def _preload_sqlite(connection: sqlite3.Connection, org_id: int, owner_id: int, count: int) -> None:
    pad7 = "substr('0000000' || n, -7, 7)"
    pad9 = "substr('000000000' || n, -9, 9)"
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("BEGIN")
    connection.execute("DROP INDEX IF EXISTS customer_key_lookup")
    connection.execute(
        f"""
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})
        INSERT INTO customers_customer (
            id, org_id, kind, name, lastname, title, passport, gender, bg_info, contact_id,
            emails, phones, addresses, im, websites, tags, custom_fields, owner_id,
            permit_status, company_lead, created_at, updated_at, number, attribution)
        SELECT n, {org_id}, 'contact', 'Customer ' || n, '', '', 'P' || {pad9}, 2, '', '',
            json_array(json_object('type', 'Other', 'value', 'p' || n || '@example.com',
                                   'normalized', 'p' || n || '@example.com')),
            json_array(json_object('type', 'Mobile', 'value', '+8490' || {pad7},
                                   'e164', '+8490' || {pad7})),
            '[]', '[]', '[]', '[]', '{{}}', {owner_id}, 1, '',
            datetime('now'), datetime('now'), n, '{{}}'
        FROM seq
        """
    )
    for (expression,) in _KEY_KINDS:
        key = expression.format(pad7=pad7, pad9=pad9)
        connection.execute(
            f"""
            WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})
            INSERT INTO customers_customerkey (org_id, key, kind, customer_id)
            SELECT {org_id}, {key}, 'contact', n FROM seq
            """
        )
    connection.execute("CREATE INDEX customer_key_lookup ON customers_customerkey (org_id, key)")
    connection.execute(_SET_CONTACT_COUNTER.format(org_id=org_id, count=count))
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _preload_postgres(connection: Any, org_id: int, owner_id: int, count: int) -> None:
    pad7 = "lpad(n::text, 7, '0')"
    pad9 = "lpad(n::text, 9, '0')"
    with connection.transaction():
        connection.execute("SET LOCAL synchronous_commit = off")
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at once
        # instead, or CREATE INDEX below refuses the table's pending trigger events.
        connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
        connection.execute(
            f"""
            INSERT INTO customers_customer (
                id, org_id, kind, name, lastname, title, passport, gender, bg_info, contact_id,
                emails, phones, addresses, im, websites, tags, custom_fields, owner_id,
                permit_status, company_lead, created_at, updated_at, number, attribution)
            SELECT n, {org_id}, 'contact', 'Customer ' || n, '', '', 'P' || {pad9}, 2, '', '',
                jsonb_build_array(jsonb_build_object('type', 'Other',
                    'value', 'p' || n || '@example.com', 'normalized', 'p' || n || '@example.com')),
                jsonb_build_array(jsonb_build_object('type', 'Mobile',
                    'value', '+8490' || {pad7}, 'e164', '+8490' || {pad7})),
                '[]', '[]', '[]', '[]', '{{}}', {owner_id}, 1, '', now(), now(), n, '{{}}'
            FROM generate_series(1, {count}) AS n
            """
        )
        connection.execute("DROP INDEX IF EXISTS customer_key_lookup")
        connection.execute(
            f"""
            INSERT INTO customers_customerkey (org_id, key, kind, customer_id)
            SELECT {org_id}, k.key, 'contact', n
            FROM generate_series(1, {count}) AS n,
            LATERAL (VALUES ('email:p' || n || '@example.com'), ('phone:+8490' || {pad7}),
                            ('passport:P' || {pad9}), ('name:customer ' || n)) AS k(key)
            """
        )
        connection.execute(
            'CREATE INDEX customer_key_lookup ON customers_customerkey (org_id, "key")'
        )
        connection.execute(_SET_CONTACT_COUNTER.format(org_id=org_id, count=count))
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
            "(SELECT max(id) FROM customers_customer))"
        )
    connection.execute("VACUUM ANALYZE customers_customer")
    connection.execute("VACUUM ANALYZE customers_customerkey")
