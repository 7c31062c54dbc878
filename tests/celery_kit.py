"""The Celery app of the Celery tests and benchmarks/tenants.py: what a host writes, once.

Workers load it with ``celery -A celery_kit worker`` (``tests`` on ``PYTHONPATH``). Everything
it needs comes from the environment the test (or benchmark) sets:

- ``TRACKMAP_CELERY_BROKER``: the Redis URL of the broker and result backend.
- ``TRACKMAP_CELERY_QUEUE``: the queue (one per test run).
- ``TRACKMAP_TEST_POSTGRES`` and ``TRACKMAP_CELERY_SCHEMA``: the ledger.
- ``TRACKMAP_TEST_REDIS`` and ``TRACKMAP_CELERY_PREFIX``: the shared rate budget.
- ``TRACKMAP_CELERY_XERO``: ``base_url token now`` of the FakeXero (in the test's process);
  ``now`` is its virtual clock's time, the workers' clock (settlement reads what Xero changed
  since an intent was written, so the host's clock must be in step with Xero's).
- ``TRACKMAP_CELERY_ORGS``: a JSON file: tenant id -> {"region": id, "job": id, "count": n}.
- ``TRACKMAP_CELERY_LIMITS``: optional JSON of `trackmap.redis.XeroLimits` fields (the
  benchmark's time-scaled limits); Xero's own limits otherwise.
- ``TRACKMAP_CELERY_KILL``: ``tenant step hit marker [node]``: the worker process running that
  tenant's push SIGKILLs itself at that step, once (the marker file says it happened); with
  ``node``, its whole worker node (the process group: the main process and every child).
- ``TRACKMAP_CELERY_VISIBILITY``: optional seconds before the broker redelivers a task whose
  worker node vanished without a word (Redis transport ``visibility_timeout``).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import json
import os
import pathlib
import signal

from celery import Celery

from delivery_kit import FIELDS, many, mapping_for
from trackmap._sync._push import Pusher
from trackmap.celery import PushJob, push_task

app = Celery(
    "celery_kit",
    broker=os.environ.get("TRACKMAP_CELERY_BROKER", "redis://127.0.0.1:1/0"),
    backend=os.environ.get("TRACKMAP_CELERY_BROKER", "redis://127.0.0.1:1/0"),
)
app.conf.update(
    task_default_queue=os.environ.get("TRACKMAP_CELERY_QUEUE", "trackmap"),
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    result_expires=3600,
    worker_hijack_root_logger=False,
)
if "TRACKMAP_CELERY_VISIBILITY" in os.environ:
    app.conf.broker_transport_options = {
        "visibility_timeout": float(os.environ["TRACKMAP_CELERY_VISIBILITY"]),
        # kombu sweeps for abandoned messages every interval x throttle seconds (100 s by
        # default): sweep every second here, so the test waits seconds, not minutes.
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }


@functools.cache
def _pool():
    from psycopg_pool import ConnectionPool

    return ConnectionPool(
        os.environ["TRACKMAP_TEST_POSTGRES"],
        min_size=1,
        max_size=int(os.environ.get("TRACKMAP_CELERY_PG_POOL", "3")),  # one per push, and more
        kwargs={"autocommit": True},
        check=ConnectionPool.check_connection,
    )


@functools.cache
def _budget():
    from trackmap.redis import RedisBudget, XeroLimits

    limits = XeroLimits(**json.loads(os.environ.get("TRACKMAP_CELERY_LIMITS", "{}")))
    return RedisBudget(
        os.environ["TRACKMAP_TEST_REDIS"],
        prefix=os.environ["TRACKMAP_CELERY_PREFIX"],
        limits=limits,
        slot_seconds=min(5.0, limits.minute_window / 2),
    )


@functools.cache
def _orgs() -> dict[str, dict[str, object]]:
    return json.loads(pathlib.Path(os.environ["TRACKMAP_CELERY_ORGS"]).read_text())


def _checkpoint(tenant_id: str):
    said = (os.environ.get("TRACKMAP_CELERY_KILL", "") + " - - - - -").split()
    tenant, step, hit, marker, scope = said[:5]
    seen: collections.Counter[str] = collections.Counter()

    def checkpoint(name: str) -> None:
        seen[name] += 1
        if tenant_id == tenant and name == step and seen[name] == int(hit):
            path = pathlib.Path(marker)
            if not path.exists():
                path.write_text(str(os.getpid()))
                if scope == "node":
                    os.killpg(os.getpgid(0), signal.SIGKILL)
                os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def job(tenant_id: str) -> PushJob:
    """The host's part: build one organisation's push inside the worker."""
    from trackmap.postgres import PostgresLedger
    from trackmap.testing._fakexero import sdk_client
    from trackmap.xero import XeroTarget

    base_url, token, now = os.environ["TRACKMAP_CELERY_XERO"].split()
    start = dt.datetime.fromisoformat(now)
    org = _orgs()[tenant_id]
    ledger = PostgresLedger(_pool(), schema=os.environ["TRACKMAP_CELERY_SCHEMA"])
    target = XeroTarget(sdk_client(base_url, token, timeout=(5, 60)), tenant_id, budget=_budget())
    pusher = Pusher(
        target=target,
        ledger=ledger,
        mapping=mapping_for(str(org["region"]), str(org["job"])),
        fields=FIELDS,
        chunk_size=100,
        lease_wait=30.0,
        checkpoint=_checkpoint(tenant_id),
        clock=lambda: start,
    )
    return PushJob(pusher=pusher, documents=many(int(org["count"])), close=ledger.close)  # type: ignore[call-overload]


push = push_task(app, job, busy_retry=2.0, ledger_retry=2.0)
