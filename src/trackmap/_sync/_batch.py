"""Batches as a host lists them: a number per tenant, a date, and every document's fate.

TrackerRMS shows a "Batch Number", "Batch Date" and "Batch Status" beside every invoice it sent;
these values carry the same, so a host can show them in its own lists.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._sync._target import DeliveryStatus

__all__ = ["Batch", "BatchCounts", "BatchDocument", "BatchState"]


class BatchState(enum.Enum):
    """Where a batch stands."""

    OPEN = "open"  # running
    COMPLETE = "complete"  # every document was settled
    STOPPED = "stopped"  # stopped cleanly (day limit): the pending ones resume next run
    INTERRUPTED = "interrupted"  # the process ended mid-push; the next batch picked it up


@attrs.frozen(kw_only=True)
class BatchCounts:
    """How many documents of a batch ended in each status."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    pending: int = 0
    held: int = 0

    @property
    def total(self) -> int:
        """Every document of the batch."""
        settled = self.created + self.updated + self.unchanged + self.failed
        return settled + self.pending + self.held

    def add(self, status: DeliveryStatus, count: int = 1) -> BatchCounts:
        """Return these counts with ``count`` more documents in ``status``."""
        name = status.value
        return attrs.evolve(self, **{name: getattr(self, name) + count})

    def sentence(self) -> str:
        """Say the counts in words: '3 created, 1 failed' (zeros left out)."""
        parts = [
            f"{getattr(self, s.value)} {s.value}" for s in DeliveryStatus if getattr(self, s.value)
        ]
        return ", ".join(parts) if parts else "no documents"


@attrs.frozen(kw_only=True)
class Batch:
    """One push for one tenant.

    Attributes:
        tenant_id: The organisation.
        number: Increasing per tenant, from 1.
        started_at: When the push began (the batch date).
        finished_at: When it ended, or None while open (or if the process died).
        state: Open, complete, or stopped cleanly with documents pending.
        counts: How many documents ended in each status.
        note: Why it stopped, in plain words, when it did.
    """

    tenant_id: str
    number: int
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    state: BatchState = BatchState.OPEN
    counts: BatchCounts = attrs.field(factory=BatchCounts)
    note: str = ""


@attrs.frozen(kw_only=True)
class BatchDocument:
    """What became of one document in one batch.

    Attributes:
        batch: The batch number.
        kind: The document's kind.
        key: The host's document key.
        status: Created, updated, unchanged, failed, pending, or held for a person.
        xero_id: The document's Xero id, once it has one.
        number: Xero's document number (INV-0042), when it has one.
        messages: What happened, in plain words ("Contact "Acme" created in Xero.").
    """

    batch: int
    kind: DocumentKind
    key: str
    status: DeliveryStatus
    xero_id: str | None = None
    number: str | None = None
    messages: tuple[str, ...] = ()
