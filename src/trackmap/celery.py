"""Pushes run by Celery: one task per organisation, safe to deliver twice.

Why a module and not a recipe: what makes a push task safe is a handful of settings and
reactions that are easy to get subtly wrong and hard to test from a host (late acks, requeue
when the worker process is lost, waiting out the lease a dead worker's push still holds,
retrying a busy organisation later instead of failing it). The host keeps what is its own: the
Celery app, and a `JobFactory` that builds one organisation's push (target, ledger, documents).

- `push_task(app, job)` registers the task: ``acks_late`` and ``reject_on_worker_lost``, so a
  task whose worker dies mid-push (SIGKILL, the OOM killer, a lost machine) goes back to the
  queue and another worker runs it again. That second delivery sends nothing twice: it waits
  for the organisation's ledger lease (the dead worker's session ended with it), settles the
  request the dead push left in doubt (same Idempotency-Key, or a read of what Xero holds), and
  skips every document the ledger already has in sync.
- A lease still held (the same task delivered twice at once, or a dead worker's session not
  yet ended) retries the task after ``busy_retry`` seconds: the later run then finds
  everything delivered. (A Pusher built with ``lease_wait`` waits a while before that.)
- A ledger that cannot be reached (PostgreSQL down) retries with a back-off, up to
  ``max_retries``; the documents stay pending and the intents in doubt until then.
- `push_many(task, tenant_ids)` fans out one task per organisation.
- The batch report is where every push keeps it: the ledger (``ledger.batches(tenant)``,
  ``ledger.batch_documents(tenant, number)``), which the host shows; the task also returns a
  JSON-able summary (`summary`) that Celery stores in its result backend when there is one.

Requires the ``celery`` extra: ``pip install 'trackmap[celery]'``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs
from celery import Celery, Task, group
from celery.result import GroupResult

from trackmap._sources._body import Outbound
from trackmap._sync._push import Pusher, PushReport
from trackmap.errors import LedgerBusyError, LedgerError

__all__ = ["JobFactory", "PushJob", "push_many", "push_task", "summary"]


@attrs.frozen(kw_only=True)
class PushJob:
    """One organisation's push, as the host builds it inside the worker.

    Attributes:
        pusher: The `trackmap.Pusher` (its target, ledger, mapping, fields).
        documents: The documents to deliver (a generator is fine: it is consumed once).
        close: Called when the task ends, to release what the job opened (a ledger, a client).
    """

    pusher: Pusher
    documents: Iterable[Outbound]
    close: Callable[[], None] | None = None


JobFactory = Callable[[str], PushJob]
"""Builds the push of one organisation (by tenant id), inside the worker process."""


def summary(tenant_id: str, report: PushReport) -> dict[str, Any]:
    """The JSON-able summary of a push that the task returns (the full report is the ledger's)."""
    batch = report.batch
    return {
        "tenant_id": tenant_id,
        "batch": batch.number,
        "state": batch.state.value,
        "counts": attrs.asdict(batch.counts),
        "note": batch.note,
        "calls": report.calls,
        "recovered": report.recovered,
        "in_doubt": report.in_doubt,
        "sentence": report.sentence(),
    }


@contextlib.contextmanager
def _opened(job: PushJob) -> Iterator[PushJob]:
    try:
        yield job
    finally:
        if job.close is not None:
            job.close()


def push_task(
    app: Celery,
    job: JobFactory,
    *,
    name: str = "trackmap.push",
    busy_retry: float = 60.0,
    ledger_retry: float = 30.0,
    max_retries: int = 20,
) -> Task:
    """Register the push task on ``app``: ``task.delay(tenant_id)`` pushes one organisation.

    Args:
        app: The host's Celery app.
        job: Builds an organisation's push inside the worker.
        name: The task's name.
        busy_retry: Seconds before a delivery that found the organisation busy runs again.
        ledger_retry: First back-off when the ledger cannot be reached (doubles per retry).
        max_retries: Retries before the task fails (busy or ledger down).

    Returns:
        The task; it returns `summary` of the push.
    """

    def push(self: Task, tenant_id: str) -> dict[str, Any]:
        try:
            with _opened(job(tenant_id)) as built:
                report = built.pusher.push(built.documents)
        except LedgerBusyError as exc:
            raise self.retry(exc=exc, countdown=busy_retry) from exc
        except LedgerError as exc:
            countdown = ledger_retry * 2 ** min(self.request.retries, 6)
            raise self.retry(exc=exc, countdown=countdown) from exc
        return summary(tenant_id, report)

    task: Task = app.task(
        bind=True,
        name=name,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=max_retries,
        track_started=True,
    )(push)
    return task


def push_many(task: Task, tenant_ids: Iterable[str]) -> GroupResult:
    """Fan out: one push task per organisation, all queued at once; returns their results."""
    result: GroupResult = group(task.s(tenant_id) for tenant_id in tenant_ids).apply_async()
    return result
