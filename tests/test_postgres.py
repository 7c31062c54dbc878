"""What only PostgresLedger has: the host's schema and pool, migrations as a list of steps,
workers opening a new ledger together. (Its Ledger guarantees are in tests/ledger_contract.py.)"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import uuid

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from services import POSTGRES, required
from trackmap import postgres
from trackmap._engine._document import DocumentKind
from trackmap._sync._ledger import SendIntent, SendMember, SendOutcome
from trackmap._sync._target import DeliveryStatus
from trackmap.postgres import PostgresLedger

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def url():
    return required(POSTGRES)


@pytest.fixture
def schema(url):
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def tables(url: str, schema: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "ORDER BY table_name",
            (schema,),
        ).fetchall()
    return [name for (name,) in rows]


class TestTheHostsDatabase:
    """The ledger lives in the host's database: a schema it names, a pool it owns."""

    def test_the_tables_live_in_the_schema_the_host_names_even_an_odd_one(self, url, schema):
        odd = f'{schema} "App"'
        try:
            with PostgresLedger(url, schema=odd) as ledger:
                ledger.record_outcomes("t", ledger.open_batch("t", T0), [])
            assert {"batches", "documents", "leases", "meta", "sends"} <= set(tables(url, odd))
        finally:
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    psycopg.sql.Identifier(odd)))  # fmt: skip

    def test_a_pool_the_host_hands_in_is_used_and_left_open(self, url, schema):
        with ConnectionPool(url, min_size=1, max_size=3, open=True) as pool:
            with PostgresLedger(pool, schema=schema) as ledger, ledger.lease("t"):
                assert 1 <= pool.get_stats()["pool_size"]
            with pool.connection() as conn:
                assert [(1,)] == conn.execute("SELECT 1").fetchall()

    def test_a_lease_gives_its_connection_back_to_the_pool(self, url, schema):
        with ConnectionPool(url, min_size=2, max_size=2, open=True) as pool:
            pool.wait()
            with PostgresLedger(pool, schema=schema) as ledger:
                for _ in range(5):  # more leases than the pool has connections, one after another
                    with ledger.lease("t"):
                        pass
                assert 2 == pool.get_stats()["pool_available"]


class TestMigrations:
    """Migrations are a list of SQL steps; a new column is one more step."""

    def test_the_version_is_the_number_of_steps(self):
        assert len(postgres.MIGRATIONS) == postgres.SCHEMA_VERSION

    def test_a_new_column_step_keeps_the_data_and_adds_the_column(self, url, schema, monkeypatch):
        with PostgresLedger(url, schema=schema) as ledger:
            outcome = SendOutcome(
                kind=DocumentKind.BILL, key="B1", status=DeliveryStatus.CREATED, xero_id="x"
            )
            ledger.record_outcomes("t", ledger.open_batch("t", T0), [outcome])
        steps = (*postgres.MIGRATIONS, "ALTER TABLE {schema}.documents ADD COLUMN digest text")
        monkeypatch.setattr(postgres, "MIGRATIONS", steps)
        monkeypatch.setattr(postgres, "SCHEMA_VERSION", len(steps))
        with PostgresLedger(url, schema=schema) as ledger:
            assert len(steps) == ledger.schema_version
            assert "x" == ledger.entries_for("t", DocumentKind.BILL, ["B1"])["B1"].xero_id
        with psycopg.connect(url) as conn:
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'documents'",
                (schema,),
            ).fetchall()
        assert ("digest",) in columns

    def test_a_version_1_ledger_keeps_its_in_doubt_intent_through_migration_2(
        self, url, schema, monkeypatch
    ):
        """Step 2 (settlement by reading Xero) adds columns; an older intent reads back empty."""
        member = SendMember(key="B1", idempotency_key="k1", fingerprint="f1")
        old = SendIntent(send_id="s1", batch=1, kind=DocumentKind.BILL, members=(member,))
        with monkeypatch.context() as older:
            older.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS[:1])
            older.setattr(postgres, "SCHEMA_VERSION", 1)
            with PostgresLedger(url, schema=schema) as ledger, ledger.lease("t"):
                assert 1 == ledger.schema_version
                ledger.open_batch("t", T0)
                # What a version-1 trackmap wrote: no time, no digests.
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute(
                        f'INSERT INTO "{schema}".sends (tenant_id, send_id, batch, kind) '  # noqa: S608
                        "VALUES ('t', 's1', 1, %s)",
                        (DocumentKind.BILL.value,),
                    )
                    admin.execute(
                        f'INSERT INTO "{schema}".send_members (tenant_id, send_id, position, '  # noqa: S608
                        "key, idempotency_key, fingerprint) VALUES ('t', 's1', 0, 'B1', 'k1', 'f1')"
                    )
        with PostgresLedger(url, schema=schema) as ledger:
            assert postgres.SCHEMA_VERSION == ledger.schema_version
            assert (old,) == ledger.in_doubt("t")


def _open(url: str, schema: str, barrier, answers) -> None:  # pragma: no cover - a child
    barrier.wait()
    try:
        PostgresLedger(url, schema=schema).close()
        answers.put("ok")
    except Exception as exc:  # noqa: BLE001 - the parent reports whatever went wrong
        answers.put(repr(exc))


class TestOpeningTogether:
    """Workers starting together on a new schema: each opens it, it is migrated once."""

    def test_six_processes_open_a_new_schema_at_once(self, url, schema):
        context = multiprocessing.get_context("spawn")
        barrier, answers = context.Barrier(6), context.Queue()
        children = [
            context.Process(target=_open, args=(url, schema, barrier, answers)) for _ in range(6)
        ]
        for child in children:
            child.start()
        said = [answers.get(timeout=120) for _ in children]
        for child in children:
            child.join(timeout=60)
        assert ["ok"] * 6 == said
        with PostgresLedger(url, schema=schema) as ledger:
            assert postgres.SCHEMA_VERSION == ledger.schema_version
