"""The Ledger contract: the ONE statement of what every `trackmap.protocols.Ledger` guarantees.

tests/test_ledger_contract.py runs every class below against every ledger (SQLite, PostgreSQL),
each through a `Backend` that knows how to open that ledger, and how to damage or inspect its
store. A new ledger, or a new guarantee, is added here, never in one ledger's own tests.

The guarantees:

1. Store: a new store is created at the current schema version; what was recorded survives
   reopening; a store holding something that is not a trackmap ledger, or a ledger of a newer
   version, is refused (`LedgerCorruptError` / `LedgerError`) without a single write; a ledger of
   an older version is migrated forward, keeping its data; two stores are independent.
2. Intents: an intent recorded before a request is in doubt, with its members in order, for any
   later connection, until the outcomes of that request are recorded; the outcomes and the
   settlement of the intent are one transaction (all or nothing).
3. Leases: two connections, two processes, never hold one tenant at once (raced, not just
   tried in turn); a second hold through the same object is refused too; nothing is recorded as
   sent without the lease; a holder whose process died is taken over; a holder that lost its
   lease can no longer record an intent; a waiting holder gets the tenant once it is free.
4. Documents and batches: entries per tenant and kind, streamed across pages; an outcome
   without an id keeps the stored id and fingerprint; revisions move with answered requests;
   batch numbers per tenant, dates, states, counts, notes; a batch left open by a push that
   died is marked interrupted by the next one; a held document counts as held.
5. Delivery core (settlement by reading Xero): an intent keeps when it was written and each
   member's content and tracking digests; outcomes may settle only some members of a send (the
   send stays in doubt while one is left), in the same one transaction; the status a document
   was sent with is kept until an outcome brings another; `known_ids` tells which Xero ids the
   ledger holds (per tenant and kind); `entries_by_xero_id` finds entries by Xero id whatever
   its case (webhooks).
6. Tenant ids: every spelling of one id (case, surrounding spaces) is one tenant, in rows and
   in leases; a blank id is refused with a `LedgerError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import attrs
import pytest

from delivery_kit import open_ledger
from trackmap._engine._document import DocumentKind
from trackmap._sync._batch import BatchState
from trackmap._sync._ledger import Ledger, SendIntent, SendMember, SendOutcome
from trackmap._sync._target import DeliveryStatus
from trackmap.errors import LedgerBusyError, LedgerCorruptError, LedgerError

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
INVOICE = DocumentKind.SALES_INVOICE
BILL = DocumentKind.BILL


class Backend(Protocol):
    """What the contract needs of one ledger implementation and its store."""

    name: str
    spec: str  # how a child process opens the same store (see `open_ledger`)
    current_version: int

    def open(self, **options: Any) -> Ledger: ...  # a new connection to the same store
    def make_foreign(self) -> None: ...  # put another application's data where the store is
    def snapshot(self) -> object: ...  # the store's whole content, to prove nothing was written
    def one_more_step(self, monkeypatch: pytest.MonkeyPatch) -> None: ...  # code knows v+1
    def schema_version(self, ledger: Ledger) -> int: ...
    def break_lease(self, ledger: Ledger, tenant_id: str) -> None: ...  # the holder loses it
    def other_store(self) -> Backend: ...


def outcome(key: str, status: DeliveryStatus = DeliveryStatus.CREATED, **extra) -> SendOutcome:
    return SendOutcome(kind=INVOICE, key=key, status=status, **extra)


def intent(batch: int, send_id: str = "s1") -> SendIntent:
    return SendIntent(
        send_id=send_id,
        batch=batch,
        kind=INVOICE,
        members=(
            SendMember(
                key="INV-2", idempotency_key="k2", fingerprint="f2", content="c2", tracking="t2"
            ),
            SendMember(
                key="INV-1",
                idempotency_key="k1",
                fingerprint="f1",
                xero_id="x1",
                content="c1",
                tracking="t1",
                number="INV-1",
            ),
        ),
        written_at=T0 + dt.timedelta(seconds=7),
    )


@contextlib.contextmanager
def opened(backend: Backend, **options: Any) -> Iterator[Ledger]:
    ledger = backend.open(**options)
    try:
        yield ledger
    finally:
        ledger.close()


class TestStore:
    """A store is created, reopened, migrated forward; foreign or newer stores are refused."""

    def test_a_new_store_is_a_ledger_of_the_current_version(self, backend):
        with opened(backend) as ledger:
            assert isinstance(ledger, Ledger)
            assert backend.current_version == backend.schema_version(ledger)

    def test_reopening_keeps_what_was_recorded(self, backend):
        with opened(backend) as first:
            number = first.open_batch("t", T0)
            first.record_outcomes("t", number, [outcome("INV-1", xero_id="x1", fingerprint="f")])
        with opened(backend) as second:
            entry = second.entries_for("t", INVOICE, ["INV-1"])["INV-1"]
            assert ("x1", "f", DeliveryStatus.CREATED) == (
                entry.xero_id,
                entry.fingerprint,
                entry.status,
            )
            assert [number] == [b.number for b in second.batches("t")]
            assert T0 == second.batches("t")[0].started_at

    def test_another_applications_store_is_refused_and_left_untouched(self, backend):
        backend.make_foreign()
        before = backend.snapshot()
        with pytest.raises(LedgerCorruptError, match="not a trackmap delivery ledger"):
            backend.open()
        assert before == backend.snapshot()

    def test_an_older_ledger_is_migrated_forward_with_its_data(self, backend, monkeypatch):
        with opened(backend) as old:
            number = old.open_batch("t", T0)
            old.record_outcomes("t", number, [outcome("INV-1", xero_id="x1")])
        backend.one_more_step(monkeypatch)
        with opened(backend) as new:
            assert backend.current_version + 1 == backend.schema_version(new)
            assert "x1" == new.entries_for("t", INVOICE, ["INV-1"])["INV-1"].xero_id

    def test_a_ledger_from_a_newer_trackmap_is_refused_and_left_untouched(self, backend):
        with pytest.MonkeyPatch.context() as newer:
            backend.one_more_step(newer)
            backend.open().close()
        before = backend.snapshot()
        with pytest.raises(LedgerError, match="newer trackmap"):
            backend.open()
        assert before == backend.snapshot()

    def test_two_stores_are_independent(self, backend):
        other = backend.other_store()
        with opened(backend) as first, opened(other) as second:
            first.record_outcomes("t", first.open_batch("t", T0), [outcome("INV-1")])
            assert {} == second.entries_for("t", INVOICE, ["INV-1"])
            with first.lease("t"), second.lease("t"):
                pass


class ExplodesOnSecondPass(Sequence[SendOutcome]):
    """Outcomes whose second iteration fails: a failure inside `record_outcomes`, after its
    first writes (the documents) and before its last (the settlement of the intent)."""

    def __init__(self, items: Sequence[SendOutcome]) -> None:
        self.items = list(items)
        self.passes = 0

    def __iter__(self) -> Iterator[SendOutcome]:
        self.passes += 1
        if self.passes > 1:
            msg = "the process failed half way through recording"
            raise RuntimeError(msg)
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):  # type: ignore[override]
        return self.items[index]


class TestIntents:
    """An intent stays in doubt until the outcomes of its request are recorded, atomically."""

    def test_an_intent_without_an_outcome_is_in_doubt_with_its_members_in_order(self, backend):
        with opened(backend) as first, first.lease("t"):
            number = first.open_batch("t", T0)
            first.record_intent("t", intent(number))
        with opened(backend) as second:
            assert (intent(number),) == second.in_doubt("t")
            statuses = [d.status for d in second.batch_documents("t", number)]
        assert [DeliveryStatus.PENDING, DeliveryStatus.PENDING] == statuses

    def test_recording_the_outcomes_settles_the_intent(self, backend):
        with opened(backend) as ledger, ledger.lease("t"):
            number = ledger.open_batch("t", T0)
            ledger.record_intent("t", intent(number))
            ledger.record_outcomes(
                "t",
                number,
                [outcome("INV-2", xero_id="x2"), outcome("INV-1", DeliveryStatus.UPDATED)],
                send_id="s1",
            )
            assert () == ledger.in_doubt("t")
        with opened(backend) as again:
            assert () == again.in_doubt("t")
            assert {"INV-1", "INV-2"} == set(again.entries_for("t", INVOICE, ["INV-1", "INV-2"]))

    def test_outcomes_and_settlement_are_one_transaction(self, backend):
        with opened(backend) as ledger, ledger.lease("t"):
            number = ledger.open_batch("t", T0)
            ledger.record_intent("t", intent(number))
            exploding = ExplodesOnSecondPass([outcome("INV-2", xero_id="x2")])
            with pytest.raises((RuntimeError, LedgerError)):
                ledger.record_outcomes("t", number, exploding, send_id="s1")
        with opened(backend) as again:
            assert (intent(number),) == again.in_doubt("t")
            assert {} == again.entries_for("t", INVOICE, ["INV-2"])

    def test_an_intent_with_many_members_keeps_their_order(self, backend):
        members = tuple(
            SendMember(key=f"K{n:03d}", idempotency_key=f"i{n}", fingerprint="f")
            for n in reversed(range(120))
        )
        big = SendIntent(send_id="big", batch=1, kind=BILL, members=members)
        with opened(backend) as ledger, ledger.lease("t"):
            ledger.record_intent(
                "t",
                SendIntent(
                    send_id="big", batch=ledger.open_batch("t", T0), kind=BILL, members=members
                ),
            )
        with opened(backend) as again:
            assert (big,) == again.in_doubt("t")


def _hold_in_child(spec: str, tenant: str, ready, go, answers) -> None:  # pragma: no cover
    """In a fresh process: wait for the start, try the lease once, report, hold until told."""
    ledger = open_ledger(spec)
    ready.wait()
    try:
        with ledger.lease(tenant):
            answers.put(("held", os.getpid()))
            go.wait()
    except LedgerBusyError:
        answers.put(("busy", os.getpid()))
        go.wait()
    finally:
        ledger.close()


class TestLeases:
    """Two pushers for one tenant never hold it at once; a dead holder never blocks for good."""

    def test_a_second_holder_is_refused_while_the_first_holds(self, backend):
        with opened(backend) as first, opened(backend) as second, first.lease("t"):
            with pytest.raises(LedgerBusyError, match="Another push for organisation 't'"):
                second.lease("t").__enter__()
            with second.lease("other tenant"):
                pass

    def test_two_holds_through_one_ledger_object_are_two_holders(self, backend):
        with (
            opened(backend) as ledger,
            ledger.lease("t"),
            pytest.raises(LedgerBusyError),
            ledger.lease("t"),
        ):
            pass

    def test_nothing_is_recorded_as_sent_without_the_lease(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            with pytest.raises(LedgerError, match="without holding its lease"):
                ledger.record_intent("t", intent(number))
            assert () == ledger.in_doubt("t")

    def test_the_tenant_is_free_again_once_released(self, backend):
        with opened(backend) as first, opened(backend) as second:
            with first.lease("t"):
                pass
            with second.lease("t"):
                pass

    def test_a_waiting_holder_gets_the_tenant_once_the_first_releases(self, backend):
        first = backend.open()
        held = first.lease("t")
        held.__enter__()
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            # The first holder finishes while the second waits.
            waits.append(seconds)
            if len(waits) == 1:
                held.__exit__(None, None, None)

        try:
            with opened(backend, sleep=sleep) as second, second.lease("t", wait=30.0):
                assert 1 <= len(waits)
        finally:
            first.close()

    def test_two_connections_racing_never_both_hold(self, backend):
        rounds = 15
        with opened(backend) as a, opened(backend) as b:
            for n in range(rounds):
                start = threading.Barrier(2)
                both_tried = threading.Barrier(2)
                got: list[str] = []

                def race(ledger, name, tenant=f"race-{n}", start=start, tried=both_tried, got=got):  # noqa: PLR0917 - defaults bind the loop's values
                    start.wait()
                    try:
                        with ledger.lease(tenant):
                            got.append(name)
                            tried.wait()
                    except LedgerBusyError:
                        tried.wait()

                threads = [
                    threading.Thread(target=race, args=(x, name))
                    for x, name in ((a, "a"), (b, "b"))
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=60)
                assert 1 == len(got), (n, got)

    def test_two_processes_racing_never_both_hold(self, backend):
        backend.open().close()  # the store exists before the race
        context = multiprocessing.get_context("spawn")
        for n in range(3):
            ready, go, answers = context.Barrier(3), context.Event(), context.Queue()
            children = [
                context.Process(
                    target=_hold_in_child, args=(backend.spec, f"p{n}", ready, go, answers)
                )
                for _ in range(2)
            ]
            for child in children:
                child.start()
            ready.wait(timeout=120)
            said = sorted(answers.get(timeout=120)[0] for _ in children)
            go.set()
            for child in children:
                child.join(timeout=60)
            assert ["busy", "held"] == said, n

    def test_the_lease_of_a_killed_process_is_taken_over(self, backend):
        backend.open().close()
        with subprocess.Popen(
            [sys.executable, __file__, "hold", backend.spec, "t"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as holder:
            try:
                assert "held" == holder.stdout.readline().strip()
                with opened(backend) as ledger, pytest.raises(LedgerBusyError):
                    ledger.lease("t").__enter__()
                holder.send_signal(signal.SIGKILL)
                assert -9 == holder.wait(timeout=60)
            finally:
                holder.kill()
        with opened(backend) as ledger, ledger.lease("t", wait=30.0):
            pass

    def test_a_holder_that_lost_its_lease_cannot_record_an_intent(self, backend):
        with opened(backend) as slow, opened(backend) as other, slow.lease("t"):
            number = slow.open_batch("t", T0)
            backend.break_lease(slow, "t")
            with other.lease("t", wait=30.0):
                with pytest.raises(LedgerBusyError):
                    slow.record_intent("t", intent(number))
                assert () == other.in_doubt("t")


class TestDocuments:
    """Entries per tenant and kind; what an outcome leaves out keeps its stored value."""

    def test_an_outcome_without_an_id_keeps_the_stored_id_and_fingerprint(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes(
                "t", number, [outcome("INV-1", xero_id="x1", fingerprint="f1", number="INV-0001")]
            )
            ledger.record_outcomes(
                "t", number, [outcome("INV-1", DeliveryStatus.FAILED, messages=("no",))]
            )
            entry = ledger.entries_for("t", INVOICE, ["INV-1"])["INV-1"]
        assert ("x1", "f1", "INV-0001") == (entry.xero_id, entry.fingerprint, entry.number)
        assert (DeliveryStatus.FAILED, ("no",), False) == (
            entry.status,
            entry.messages,
            entry.in_sync,
        )

    def test_every_answered_request_moves_the_revision(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            for answered in (True, False, True):
                ledger.record_outcomes("t", number, [outcome("INV-1", answered=answered)])
            assert 2 == ledger.entries_for("t", INVOICE, ["INV-1"])["INV-1"].revision

    def test_entries_are_per_tenant_and_kind(self, backend):
        with opened(backend) as ledger:
            ledger.record_outcomes("t", ledger.open_batch("t", T0), [outcome("A")])
            ledger.record_outcomes("u", ledger.open_batch("u", T0), [outcome("B")])
            assert {} == ledger.entries_for("t", BILL, ["A"])
            assert ["A"] == [e.key for e in ledger.entries("t")]
            assert [] == list(ledger.entries("t", BILL))

    def test_entries_and_batch_documents_stream_across_pages(self, backend):
        keys = [f"K{n:04d}" for n in range(1_203)]
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes("t", number, [outcome(k) for k in reversed(keys)])
            assert keys == [e.key for e in ledger.entries("t", INVOICE)]
            assert keys == [d.key for d in ledger.batch_documents("t", number)]
            assert len(keys) == len(ledger.entries_for("t", INVOICE, keys))

    def test_remote_statuses_are_stored(self, backend):
        with opened(backend) as ledger:
            ledger.record_outcomes("t", ledger.open_batch("t", T0), [outcome("A"), outcome("B")])
            ledger.record_remote_statuses("t", [(INVOICE, "A", "PAID"), (INVOICE, "B", None)])
            found = ledger.entries_for("t", INVOICE, ["A", "B"])
        assert ("PAID", None) == (found["A"].remote_status, found["B"].remote_status)


class TestBatches:
    """Batches: numbers per tenant, dates, states, counts, notes, newest first."""

    def test_numbers_increase_per_tenant(self, backend):
        with opened(backend) as ledger:
            assert [1, 2, 1] == [ledger.open_batch(t, T0) for t in ("t", "t", "u")]

    def test_a_closed_batch_has_its_dates_state_and_counts(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes(
                "t", number, [outcome("A"), outcome("B"), outcome("C", DeliveryStatus.FAILED)]
            )
            batch = ledger.close_batch("t", number, T0 + dt.timedelta(minutes=2))
        assert (T0, T0 + dt.timedelta(minutes=2)) == (batch.started_at, batch.finished_at)
        assert (BatchState.COMPLETE, 2, 1) == (
            batch.state,
            batch.counts.created,
            batch.counts.failed,
        )

    def test_a_stopped_batch_keeps_why_and_batches_come_newest_first(self, backend):
        with opened(backend) as ledger:
            first = ledger.open_batch("t", T0)
            ledger.close_batch("t", first, T0, note="The day's calls are spent.")
            second = ledger.open_batch("t", T0)
            batches = ledger.batches("t")
            assert [second, first] == [b.number for b in batches]
            assert (BatchState.STOPPED, "The day's calls are spent.") == (
                batches[1].state,
                batches[1].note,
            )
            assert None is ledger.batch("t", 99)

    def test_a_document_settled_twice_in_a_batch_shows_its_last_status(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes("t", number, [outcome("A", DeliveryStatus.PENDING)])
            ledger.record_outcomes("t", number, [outcome("A", xero_id="x")])
            (doc,) = ledger.batch_documents("t", number)
        assert (DeliveryStatus.CREATED, "x") == (doc.status, doc.xero_id)

    def test_a_batch_left_open_is_marked_interrupted_by_the_next(self, backend):
        with opened(backend) as ledger:
            first = ledger.open_batch("t", T0)
        with opened(backend) as again:
            again.open_batch("t", T0)
            assert BatchState.INTERRUPTED == again.batch("t", first).state

    def test_a_held_document_counts_as_held(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes(
                "t", number, [outcome("A", DeliveryStatus.HELD, messages=("check",)), outcome("B")]
            )
            batch = ledger.close_batch("t", number, T0)
            (held,) = [d for d in ledger.batch_documents("t", number) if d.key == "A"]
        assert (1, 1, DeliveryStatus.HELD) == (batch.counts.held, batch.counts.created, held.status)


class TestSettlement:
    """What settling by reading Xero needs of a ledger (delivery core)."""

    def test_an_intent_keeps_when_it_was_written_and_its_digests(self, backend):
        with opened(backend) as first, first.lease("t"):
            first.record_intent("t", intent(first.open_batch("t", T0)))
        with opened(backend) as second:
            (found,) = second.in_doubt("t")
        assert T0 + dt.timedelta(seconds=7) == found.written_at
        assert found.written_at is not None
        assert found.written_at.utcoffset() is not None
        assert [("c2", "t2"), ("c1", "t1")] == [(m.content, m.tracking) for m in found.members]

    def test_an_intent_without_a_time_reads_back_without_one(self, backend):
        undated = attrs.evolve(intent(1), written_at=None)
        with opened(backend) as ledger, ledger.lease("t"):
            ledger.record_intent("t", attrs.evolve(undated, batch=ledger.open_batch("t", T0)))
            assert (None,) == tuple(i.written_at for i in ledger.in_doubt("t"))

    def test_settling_some_members_leaves_the_send_in_doubt_for_the_others(self, backend):
        with opened(backend) as ledger, ledger.lease("t"):
            number = ledger.open_batch("t", T0)
            ledger.record_intent("t", intent(number))
            ledger.record_outcomes(
                "t", number, [outcome("INV-2", xero_id="x2")], send_id="s1", settled=["INV-2"]
            )
            (left,) = ledger.in_doubt("t")
            assert ["INV-1"] == [m.key for m in left.members]
            ledger.record_outcomes(
                "t", number, [outcome("INV-1", xero_id="x1")], send_id="s1", settled=["INV-1"]
            )
            assert () == ledger.in_doubt("t")
        with opened(backend) as again:
            assert () == again.in_doubt("t")

    def test_settling_nothing_leaves_the_whole_send_in_doubt(self, backend):
        with opened(backend) as ledger, ledger.lease("t"):
            number = ledger.open_batch("t", T0)
            ledger.record_intent("t", intent(number))
            ledger.record_outcomes("t", number, [], send_id="s1", settled=[])
            assert (intent(number),) == ledger.in_doubt("t")

    def test_settled_outcomes_are_one_transaction(self, backend):
        with opened(backend) as ledger, ledger.lease("t"):
            number = ledger.open_batch("t", T0)
            ledger.record_intent("t", intent(number))
            exploding = ExplodesOnSecondPass([outcome("INV-2", xero_id="x2")])
            with pytest.raises((RuntimeError, LedgerError)):
                ledger.record_outcomes("t", number, exploding, send_id="s1", settled=["INV-2"])
        with opened(backend) as again:
            assert (intent(number),) == again.in_doubt("t")
            assert {} == again.entries_for("t", INVOICE, ["INV-2"])

    def test_the_status_a_document_was_sent_with_is_kept(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes(
                "t", number, [outcome("A", xero_id="x", remote_status="AUTHORISED")]
            )
            ledger.record_outcomes("t", number, [outcome("A", DeliveryStatus.UNCHANGED)])
            kept = ledger.entries_for("t", INVOICE, ["A"])["A"].remote_status
            ledger.record_outcomes("t", number, [outcome("A", remote_status="DRAFT")])
            replaced = ledger.entries_for("t", INVOICE, ["A"])["A"].remote_status
        assert ("AUTHORISED", "DRAFT") == (kept, replaced)

    def test_known_ids_are_those_the_ledger_holds_for_the_tenant_and_kind(self, backend):
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes("t", number, [outcome("A", xero_id="x-a"), outcome("B")])
            ledger.record_outcomes(
                "t",
                number,
                [SendOutcome(kind=BILL, key="C", status=DeliveryStatus.CREATED, xero_id="x-c")],
            )
            ledger.record_outcomes("u", ledger.open_batch("u", T0), [outcome("D", xero_id="x-d")])
            found = ledger.known_ids("t", INVOICE, ["x-a", "x-c", "x-d", "x-none", "x-a"])
            many = ledger.known_ids("t", INVOICE, [f"n{n}" for n in range(1_200)] + ["x-a"])
        assert frozenset({"x-a"}) == found
        assert frozenset({"x-a"}) == many

    def test_entries_are_found_by_xero_id_whatever_its_case(self, backend):
        upper = "0F8E3C1A-5B7D-4E2F-9A6C-1D2B3C4D5E6F"
        with opened(backend) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes("t", number, [outcome("A", xero_id=upper), outcome("B")])
            ledger.record_outcomes("u", ledger.open_batch("u", T0), [outcome("C", xero_id="x-c")])
            found = ledger.entries_by_xero_id("t", [upper.lower(), "x-c", "missing"])
            again = ledger.entries_by_xero_id("t", [upper])
        assert [upper.lower()] == list(found)
        assert ("A", upper) == (found[upper.lower()].key, found[upper.lower()].xero_id)
        assert [upper.lower()] == list(again)


class TestTenantIds:
    """Every spelling of one tenant id is one tenant, in rows and in leases."""

    def test_every_spelling_of_a_tenant_is_one_tenant(self, backend):
        with opened(backend) as ledger:
            with ledger.lease(" ORG-One "):
                number = ledger.open_batch("Org-ONE", T0)
                ledger.record_intent("ORG-ONE", intent(number))
                ledger.record_outcomes(
                    "org-one ",
                    number,
                    [outcome("INV-2", xero_id="x2")],
                    send_id="s1",
                    settled=["INV-2"],
                )
            assert ["INV-2"] == [e.key for e in ledger.entries("org-one")]
            assert ["INV-1"] == [m.key for i in ledger.in_doubt("  org-ONE") for m in i.members]
            assert [number] == [b.number for b in ledger.batches("ORG-ONE")]
            assert "org-one" == ledger.batches("Org-One")[0].tenant_id
            assert {"x2"} == ledger.known_ids("ORG-one", INVOICE, ["x2"])
            assert ["x2"] == list(ledger.entries_by_xero_id(" ORG-ONE", ["X2"]))

    def test_one_lease_whatever_the_spelling(self, backend):
        with (
            opened(backend) as first,
            opened(backend) as second,
            first.lease("Org-One"),
            pytest.raises(LedgerBusyError),
            second.lease(" org-one "),
        ):
            pass

    def test_a_blank_tenant_is_refused(self, backend):
        with opened(backend) as ledger, pytest.raises(LedgerError, match="blank"):
            ledger.open_batch("   ", T0)


if __name__ == "__main__":  # pragma: no cover - a child that holds a lease until killed
    _, _command, spec, tenant = sys.argv
    held_ledger = open_ledger(spec)
    with held_ledger.lease(tenant):
        print("held", flush=True)  # noqa: T201 - the parent reads it
        sys.stdin.read()
