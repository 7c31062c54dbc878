"""The crash tests against PostgreSQL: a pusher SIGKILLed at every step, re-run from another
process, and PostgreSQL itself killed mid-push: zero duplicates, zero losses.

The same child (tests/delivery_kit.py) and verdict as tests/test_faults.py, with the ledger in
PostgreSQL (a fresh schema per test). A SIGKILLed child's session ends with it, and with it its
lease (an advisory lock): the fresh child needs no expiry to wait out.
"""

from __future__ import annotations

import json
import random
import subprocess
import uuid

import psycopg
import pytest

from delivery_kit import (
    FIELDS,
    assert_exactly_once_in_fake,
    child_argv,
    fake_organisation,
    many,
    mapping_for,
    verdict,
)
from services import POSTGRES, postgres_server, required
from trackmap._sync._push import CHECKPOINTS, Pusher
from trackmap.errors import LedgerError
from trackmap.postgres import PostgresLedger
from trackmap.testing._fakexero import FakeXero, Limits
from trackmap.xero._target import XeroTarget

COUNT = 300


@pytest.fixture
def fake():
    with FakeXero(limits=Limits(minute=1_000_000, day=1_000_000, concurrent=50)) as server:
        yield server


@pytest.fixture
def spec():
    """A ledger in a schema of its own, dropped afterwards."""
    url = required(POSTGRES)
    schema = f"faults_{uuid.uuid4().hex[:12]}"
    yield f"{url}#{schema}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def child(fake, ids, ledger_spec, *extra: str, timeout: float = 120.0):
    argv = child_argv(fake, ids, ledger_spec, *extra)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    lines = done.stdout.strip().splitlines()
    return done.returncode, (json.loads(lines[-1]) if lines else {}), done.stderr


PROCESS_CRASHES = [f"{name}:1" for name in CHECKPOINTS] + ["after_intent:4", "after_send:5"]


class TestFreshProcessReruns:
    """A child killed (SIGKILL) at each distinct step; a fresh child re-runs on the same ledger."""

    @pytest.mark.parametrize("crash", PROCESS_CRASHES)
    def test_killed_at_a_step_then_a_fresh_process_reruns(self, fake, spec, crash):
        ids = fake_organisation(fake)
        code, _, _ = child(fake, ids, spec, "--crash", crash)
        assert -9 == code
        code, out, err = child(fake, ids, spec)
        assert 0 == code, err
        assert 0 == out["failed"] + out["pending"]
        verdict(fake, spec)

    def test_random_kills_then_a_clean_run(self, fake, spec):
        ids = fake_organisation(fake)
        rng = random.Random(20261201)  # noqa: S311 - fixed seed, so a failure can be replayed
        outcomes = []
        for _ in range(4):
            code, _, _ = child(fake, ids, spec, "--kill-after", f"{rng.uniform(0.2, 1.0):.3f}")
            outcomes.append(code)
        code, out, err = child(fake, ids, spec)
        assert 0 == code, err
        assert 0 == out["failed"] + out["pending"]
        verdict(fake, spec)
        assert set(outcomes) <= {0, -9}


class TestPostgresDiesMidPush:
    """PostgreSQL killed mid-push: the push stops with a LedgerError, its intents committed;
    once the server is back, the next push settles them and sends nothing twice."""

    def test_stop_then_resume_without_duplicates(self, fake, tmp_path):
        ids = fake_organisation(fake)
        seen: list[str] = []
        with postgres_server(tmp_path) as server:

            def kill_postgres(step: str) -> None:
                seen.append(step)
                if step == "after_send" and seen.count(step) == 2:
                    server.kill()

            ledger = PostgresLedger(server.url, schema="host_app_ledger")
            try:
                with pytest.raises(LedgerError):
                    pusher(fake, ids, ledger, kill_postgres).push(many(COUNT))
            finally:
                ledger.close()
            sent = len(fake.documents("Invoices")) + len(fake.documents("PurchaseOrders"))
            assert 0 < sent < COUNT
            server.start()
            with PostgresLedger(server.url, schema="host_app_ledger") as ledger:
                assert 1 == len(ledger.in_doubt(fake.tenant_id))  # the answer the kill lost
                report = pusher(fake, ids, ledger).push(many(COUNT))
                assert 0 == report.counts.pending + report.counts.failed
                assert 0 < report.recovered
                assert_exactly_once_in_fake(fake, ledger, fake.tenant_id, list(many(COUNT)))


def pusher(fake, ids, ledger, checkpoint=None) -> Pusher:
    # The host's clock in step with Xero's (FakeXero's virtual one): settlement reads what Xero
    # changed since each intent was written.
    return Pusher(
        target=XeroTarget(
            fake.sdk_client(), fake.tenant_id, clock=fake.clock.now, sleep=fake.clock.sleep
        ),
        ledger=ledger,
        clock=fake.clock.now,
        mapping=mapping_for(ids["region"], ids["job"]),
        fields=FIELDS,
        chunk_size=100,
        checkpoint=checkpoint,
    )
