"""Pushes run by real Celery workers: many organisations, one worker killed mid-push.

200 organisations x 50 documents, pushed by 4 worker processes (2 nodes x 2, prefork) through
XeroTarget -> FakeXero (Xero's limits: 5 in flight, 60 a minute per organisation), with the
ledger in PostgreSQL and the rate budget in Redis. The worker process pushing one organisation
SIGKILLs itself after Xero answered a request and before the outcome was recorded (the
hardest moment); Celery redelivers its task (late acks, reject on worker lost) and another
worker finishes it. The verdict: every document exactly once in Xero, the ledger in sync with
nothing in doubt, not one 429 (so no organisation ever went over its limits: FakeXero refuses
what is over), and every task's report in the result backend and in the ledger.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import uuid

import pytest

from delivery_kit import REGIONS, expected_tracking, many
from services import POSTGRES, REDIS, required
from trackmap.testing._fakexero import FakeXero, Limits

TESTS = pathlib.Path(__file__).parent
ORGS = 200
DOCS = 50
KINDS = {"ACCREC": "sales_invoice", "ACCPAY": "bill"}


def broker_url(redis_url: str) -> str:
    """The broker on database 5 of the test Redis, apart from the budgets' keys."""
    return redis_url.rsplit("/", 1)[0] + "/5"


@contextlib.contextmanager
def workers(env: dict[str, str], nodes: int = 2, concurrency: int = 2, pool: str = "prefork"):
    procs = []
    for n in range(nodes):
        argv = [
            sys.executable, "-m", "celery", "-A", "celery_kit", "worker",
            f"--pool={pool}", f"--concurrency={concurrency}", f"--hostname=w{n}@%h",
            "-Q", env["TRACKMAP_CELERY_QUEUE"], "-O", "fair",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(
                argv,
                env=env,
                cwd=TESTS,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        yield procs
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in procs:
            proc.communicate(timeout=60)


def organisations(fake: FakeXero, count: int, docs: int) -> dict[str, dict[str, object]]:
    orgs = {}
    for _ in range(count):
        tenant = fake.add_tenant()
        region = fake.add_category("Region", options=list(REGIONS), tenant_id=tenant)
        job = fake.add_category("Job", options=[f"J{n}" for n in range(1, 6)], tenant_id=tenant)
        orgs[tenant] = {"region": region, "job": job, "count": docs}
    return orgs


def held_by_xero(fake: FakeXero, tenant: str) -> collections.Counter[tuple[str, str]]:
    held: collections.Counter[tuple[str, str]] = collections.Counter()
    for doc in fake.documents("Invoices", tenant_id=tenant):
        held[(KINDS[doc["Type"]], doc["Reference"])] += 1
    for doc in fake.documents("PurchaseOrders", tenant_id=tenant):
        held[("purchase_order", doc["Reference"])] += 1
    return held


def assert_exactly_once(fake, ledger, tenant, docs) -> None:
    documents = list(many(docs))
    wanted = {(o.document.kind.value, o.document.key): 1 for o in documents}
    assert wanted == dict(held_by_xero(fake, tenant)), tenant
    lines = {
        doc["Reference"]: [
            tuple(sorted((t["Name"], t["Option"]) for t in line.get("Tracking", ())))
            for line in doc["LineItems"]
        ]
        for collection in ("Invoices", "PurchaseOrders")
        for doc in fake.documents(collection, tenant_id=tenant)
    }
    for item in documents[:: max(1, docs // 5)]:
        assert list(expected_tracking(item)) == lines[item.document.key]
    entries = list(ledger.entries(tenant))
    assert len(wanted) == len(entries)
    assert all(e.in_sync for e in entries)
    assert () == ledger.in_doubt(tenant)


@pytest.fixture
def scale_env(tmp_path):
    import psycopg

    postgres, redis_url = required(POSTGRES), required(REDIS)
    run = uuid.uuid4().hex[:10]
    yield {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "TRACKMAP_CELERY_BROKER": broker_url(redis_url),
        "TRACKMAP_CELERY_QUEUE": f"q-{run}",
        "TRACKMAP_CELERY_SCHEMA": f"celery_{run}",
        "TRACKMAP_CELERY_PREFIX": f"celery-{run}",
        "TRACKMAP_CELERY_ORGS": str(tmp_path / "orgs.json"),
    }
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "celery_{run}" CASCADE')


def queue_pushes(env: dict[str, str], tenants):
    """Queue one task per organisation, as the host would, from this process."""
    import celery_kit
    from trackmap.celery import push_many

    celery_kit.app.conf.update(
        broker_url=env["TRACKMAP_CELERY_BROKER"],
        result_backend=env["TRACKMAP_CELERY_BROKER"],
        task_default_queue=env["TRACKMAP_CELERY_QUEUE"],
    )
    return push_many(celery_kit.push, tenants)


class TestManyOrganisationsOneWorkerKilled:
    """200 organisations x 50 documents, 4 worker processes, one killed mid-push."""

    def test_every_document_exactly_once(self, scale_env, tmp_path):
        from trackmap.postgres import PostgresLedger

        with FakeXero(limits=Limits(concurrent=5, minute=60, day=5000)) as fake:
            orgs = organisations(fake, ORGS, DOCS)
            pathlib.Path(scale_env["TRACKMAP_CELERY_ORGS"]).write_text(json.dumps(orgs))
            victim = list(orgs)[ORGS // 3]
            marker = tmp_path / "killed"
            env = {
                **scale_env,
                "TRACKMAP_CELERY_XERO": (
                    f"{fake.base_url} {fake.access_token} {fake.clock.now().isoformat()}"
                ),
                "TRACKMAP_CELERY_KILL": f"{victim} after_send 2 {marker}",
            }
            results = queue_pushes(env, list(orgs))
            with workers(env):
                summaries = results.get(timeout=240, propagate=True)
            assert marker.exists()  # the worker process really died mid-push
            statuses = collections.Counter(r.status for r in fake.requests)
            assert 0 == statuses[429], statuses
            by_tenant = {s["tenant_id"]: s for s in summaries}
            assert set(orgs) == set(by_tenant)
            assert (
                0 < by_tenant[victim]["recovered"]
            )  # the redelivery settled the dead push's request
            assert all(s["counts"]["pending"] + s["counts"]["failed"] == 0 for s in summaries)
            with PostgresLedger(required(POSTGRES), schema=env["TRACKMAP_CELERY_SCHEMA"]) as ledger:
                for tenant in orgs:
                    assert_exactly_once(fake, ledger, tenant, DOCS)
                # The host shows the report from the ledger: batch 1 died, batch 2 finished it.
                assert [2, 1] == [b.number for b in ledger.batches(victim)]


class TestAWholeWorkerNodeLost:
    """A whole worker node (main process and children) vanishes mid-push, as a lost machine
    would: nothing tells the broker, which redelivers the task after its visibility timeout;
    the other node finishes it. Tasks still running when the timeout passes are delivered a
    second time too: those meet the lease, or find everything delivered."""

    def test_every_document_exactly_once(self, scale_env, tmp_path):
        from trackmap.postgres import PostgresLedger

        orgs_count, docs = 20, 50
        with FakeXero(limits=Limits(concurrent=5, minute=60, day=5000)) as fake:
            orgs = organisations(fake, orgs_count, docs)
            pathlib.Path(scale_env["TRACKMAP_CELERY_ORGS"]).write_text(json.dumps(orgs))
            victim = list(orgs)[3]
            marker = tmp_path / "killed"
            env = {
                **scale_env,
                "TRACKMAP_CELERY_XERO": (
                    f"{fake.base_url} {fake.access_token} {fake.clock.now().isoformat()}"
                ),
                "TRACKMAP_CELERY_KILL": f"{victim} after_send 2 {marker} node",
                "TRACKMAP_CELERY_VISIBILITY": "3",
            }
            results = queue_pushes(env, list(orgs))
            with workers(env, nodes=2, concurrency=1) as procs:
                summaries = results.get(timeout=240, propagate=True)
                lost = [p for p in procs if p.poll() is not None]
            assert marker.exists()
            assert 1 == len(lost)  # one node really vanished, the other finished its work
            statuses = collections.Counter(r.status for r in fake.requests)
            assert 0 == statuses[429], statuses
            by_tenant = {s["tenant_id"]: s for s in summaries}
            assert set(orgs) == set(by_tenant)
            assert 0 < by_tenant[victim]["recovered"]  # redelivered: it settled the lost request
            with PostgresLedger(required(POSTGRES), schema=env["TRACKMAP_CELERY_SCHEMA"]) as ledger:
                for tenant in orgs:
                    assert_exactly_once(fake, ledger, tenant, docs)
