"""Every ledger passes the one Ledger contract (tests/ledger_contract.py): SQLite and PostgreSQL.

There is no in-memory ledger: an SQLite ``:memory:`` database is SqliteLedger itself, and it
cannot be reopened by a second connection or process, which half the contract is about.
"""

# ruff: noqa: S608 - the SQL names only the test's own random schema and its tables
from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest

from ledger_contract import (  # noqa: F401 - pytest collects the imported classes
    TestBatches,
    TestDocuments,
    TestIntents,
    TestLeases,
    TestSettlement,
    TestStore,
    TestTenantIds,
)
from services import POSTGRES, required
from trackmap._sync import _ledger
from trackmap._sync._ledger import SqliteLedger


class SqliteBackend:
    name = "sqlite"

    def __init__(self, directory, stem: str = "ledger") -> None:
        self.directory = directory
        self.path = directory / f"{stem}.db"
        self.spec = str(self.path)
        self.current_version = _ledger.SCHEMA_VERSION

    def open(self, **options: Any) -> SqliteLedger:
        return SqliteLedger(self.path, **options)

    def make_foreign(self) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute("CREATE TABLE customers (name TEXT)")
            db.execute("INSERT INTO customers VALUES ('Acme')")
        db.close()

    def snapshot(self) -> object:
        return self.path.read_bytes()

    def one_more_step(self, monkeypatch) -> None:
        step = _ledger.SCHEMA_VERSION + 1
        migrations = {
            **_ledger._MIGRATIONS,
            step: "ALTER TABLE documents ADD COLUMN rehearsal TEXT",
        }
        monkeypatch.setattr(_ledger, "_MIGRATIONS", migrations)
        monkeypatch.setattr(_ledger, "SCHEMA_VERSION", step)

    def schema_version(self, ledger) -> int:
        return ledger.schema_version

    def break_lease(self, ledger, tenant_id: str) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute("UPDATE leases SET expires_at = 0 WHERE tenant_id = ?", (tenant_id,))
        db.close()

    def other_store(self) -> SqliteBackend:
        return SqliteBackend(self.directory, "other")


class PostgresBackend:
    name = "postgres"

    def __init__(self, url: str, schema: str | None = None) -> None:
        import psycopg

        from trackmap import postgres

        self.postgres = postgres
        self.url = url
        self.schema = schema or f"contract_{uuid.uuid4().hex[:12]}"
        self.spec = f"{url}#{self.schema}"
        self.current_version = postgres.SCHEMA_VERSION
        self.admin = psycopg.connect(url, autocommit=True)
        self.others: list[PostgresBackend] = []

    def open(self, **options: Any):
        return self.postgres.PostgresLedger(self.url, schema=self.schema, **options)

    def make_foreign(self) -> None:
        self.admin.execute(f'CREATE SCHEMA "{self.schema}"')
        self.admin.execute(f'CREATE TABLE "{self.schema}".customers (name text)')
        self.admin.execute(f"INSERT INTO \"{self.schema}\".customers VALUES ('Acme')")

    def snapshot(self) -> object:
        """Every table of the schema with every row: what a write would change."""
        tables = self.admin.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "ORDER BY table_name",
            (self.schema,),
        ).fetchall()
        return {
            name: sorted(map(repr, self.admin.execute(f'SELECT * FROM "{self.schema}"."{name}"')))
            for (name,) in tables
        }

    def one_more_step(self, monkeypatch) -> None:
        steps = (
            *self.postgres.MIGRATIONS,
            "ALTER TABLE {schema}.documents ADD COLUMN rehearsal text",
        )
        monkeypatch.setattr(self.postgres, "MIGRATIONS", steps)
        monkeypatch.setattr(self.postgres, "SCHEMA_VERSION", len(steps))

    def schema_version(self, ledger) -> int:
        return ledger.schema_version

    def break_lease(self, ledger, tenant_id: str) -> None:
        """End the holder's session from outside, as a server restart or a DBA would."""
        ((backend,),) = self.admin.execute(
            f'SELECT backend FROM "{self.schema}".leases WHERE tenant_id = %s', (tenant_id,)
        ).fetchall()
        self.admin.execute("SELECT pg_terminate_backend(%s)", (backend,))

    def other_store(self) -> PostgresBackend:
        other = PostgresBackend(self.url)
        self.others.append(other)
        return other

    def drop(self) -> None:
        for other in self.others:
            other.drop()
        self.admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        yield SqliteBackend(tmp_path)
        return
    chosen = PostgresBackend(required(POSTGRES))
    try:
        yield chosen
    finally:
        chosen.drop()
