"""The SQLite ledger: opening, refusing foreign files, migrations, batches, intents, leases."""

from __future__ import annotations

import datetime as dt
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading

import pytest

from trackmap._engine._document import DocumentKind
from trackmap._sync._batch import BatchState
from trackmap._sync._ledger import (
    _MIGRATIONS,
    APPLICATION_ID,
    SCHEMA_VERSION,
    Ledger,
    SendIntent,
    SendMember,
    SendOutcome,
    SqliteLedger,
    _process_state,
)
from trackmap._sync._target import DeliveryStatus
from trackmap.errors import LedgerBusyError, LedgerCorruptError, LedgerError

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
INVOICE = DocumentKind.SALES_INVOICE


def _outcome(key: str, status: DeliveryStatus = DeliveryStatus.CREATED, **extra) -> SendOutcome:
    return SendOutcome(kind=INVOICE, key=key, status=status, **extra)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ledger.db"


@pytest.fixture
def ledger(path):
    with SqliteLedger(path) as opened:
        yield opened


class TestOpening:
    """A ledger file is created on first use, recognised later, and foreign files are refused."""

    def test_a_new_file_is_a_wal_ledger_of_the_current_version(self, path):
        SqliteLedger(path).close()
        db = sqlite3.connect(path)
        assert "wal" == db.execute("PRAGMA journal_mode").fetchone()[0]
        assert APPLICATION_ID == db.execute("PRAGMA application_id").fetchone()[0]
        assert SCHEMA_VERSION == db.execute("PRAGMA user_version").fetchone()[0]
        db.close()

    def test_the_ledger_satisfies_the_protocol(self, ledger):
        assert isinstance(ledger, Ledger)

    def test_reopening_keeps_what_was_recorded(self, path):
        with SqliteLedger(path) as first:
            number = first.open_batch("t", T0)
            first.record_outcomes("t", number, [_outcome("INV-1", xero_id="x1")])
        with SqliteLedger(path) as second:
            assert "x1" == second.entries_for("t", INVOICE, ["INV-1"])["INV-1"].xero_id

    def test_an_empty_file_becomes_a_ledger(self, path):
        path.write_bytes(b"")
        with SqliteLedger(path) as opened:
            assert SCHEMA_VERSION == opened.schema_version

    def test_a_text_file_is_refused_and_left_untouched(self, path):
        path.write_text("customer,amount\nAcme,10\n")
        before = path.read_bytes()
        with pytest.raises(LedgerCorruptError, match="not a trackmap delivery ledger"):
            SqliteLedger(path)
        assert before == path.read_bytes()

    def test_another_applications_database_is_refused_and_left_untouched(self, path):
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('mine')")
        db.commit()
        db.close()
        before = path.read_bytes()
        with pytest.raises(LedgerCorruptError, match="another application's SQLite database"):
            SqliteLedger(path)
        assert before == path.read_bytes()
        assert not path.with_name(path.name + "-wal").exists()

    def test_a_damaged_ledger_is_refused_and_left_untouched(self, path):
        with SqliteLedger(path) as opened:
            number = opened.open_batch("t", T0)
            many = [_outcome(f"INV-{i}", messages=("x" * 200,)) for i in range(300)]
            opened.record_outcomes("t", number, many)
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        data = bytearray(path.read_bytes())
        data[4096 * 2 : 4096 * 6] = b"\xff" * (4096 * 4)  # scribble over b-tree pages
        path.write_bytes(bytes(data))
        with pytest.raises(LedgerCorruptError, match="damaged") as caught:
            SqliteLedger(path)
        assert bytes(data) == path.read_bytes()
        assert str(path) == caught.value.path

    def test_a_ledger_from_a_newer_trackmap_is_refused(self, path):
        SqliteLedger(path).close()
        db = sqlite3.connect(path)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.commit()
        db.close()
        with pytest.raises(LedgerError, match="newer trackmap"):
            SqliteLedger(path)

    def test_a_version_1_ledger_is_migrated_forward_with_its_data(self, path):
        db = sqlite3.connect(path)
        db.executescript(_MIGRATIONS[1])
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO documents (tenant_id, kind, key, xero_id, status) "
            "VALUES ('t', 'sales_invoice', 'INV-1', 'x1', 'created')"
        )
        db.commit()
        db.close()
        with SqliteLedger(path) as migrated:
            assert SCHEMA_VERSION == migrated.schema_version
            migrated.record_remote_statuses("t", [(INVOICE, "INV-1", "PAID")])
            entry = migrated.entries_for("t", INVOICE, ["INV-1"])["INV-1"]
        assert ("x1", "PAID") == (entry.xero_id, entry.remote_status)


class TestBatches:
    """Batch numbers increase per tenant; a batch lists its documents and counts them."""

    def test_numbers_increase_per_tenant(self, ledger):
        numbers = [
            ledger.open_batch("a", T0),
            ledger.open_batch("a", T0),
            ledger.open_batch("b", T0),
        ]
        assert [1, 2, 1] == numbers

    def test_a_closed_batch_has_its_date_state_and_counts(self, ledger):
        number = ledger.open_batch("t", T0)
        ledger.record_outcomes(
            "t",
            number,
            [
                _outcome("INV-1"),
                _outcome("INV-2"),
                _outcome("INV-3", DeliveryStatus.FAILED, messages=("Xero rejected it.",)),
            ],
        )
        batch = ledger.close_batch("t", number, T0 + dt.timedelta(minutes=1))
        assert (T0, BatchState.COMPLETE) == (batch.started_at, batch.state)
        assert (2, 1, 3) == (batch.counts.created, batch.counts.failed, batch.counts.total)
        assert "2 created, 1 failed" == batch.counts.sentence()

    def test_a_stopped_batch_keeps_why(self, ledger):
        number = ledger.open_batch("t", T0)
        batch = ledger.close_batch("t", number, T0, note="The day's calls are spent.")
        assert (BatchState.STOPPED, "The day's calls are spent.") == (batch.state, batch.note)

    def test_batches_are_listed_newest_first(self, ledger):
        for _ in range(3):
            ledger.open_batch("t", T0)
        assert [3, 2, 1] == [b.number for b in ledger.batches("t")]
        assert ledger.batch("t", 9) is None

    def test_documents_of_a_batch_are_listed_across_pages(self, ledger):
        number = ledger.open_batch("t", T0)
        keys = [f"INV-{i:04d}" for i in range(1234)]
        ledger.record_outcomes("t", number, [_outcome(k, messages=(k,)) for k in keys])
        listed = list(ledger.batch_documents("t", number))
        assert keys == [d.key for d in listed]
        assert (keys[7],) == listed[7].messages

    def test_a_document_settled_twice_in_a_batch_shows_its_last_status(self, ledger):
        number = ledger.open_batch("t", T0)
        ledger.record_outcomes("t", number, [_outcome("INV-1", DeliveryStatus.PENDING)])
        ledger.record_outcomes("t", number, [_outcome("INV-1", DeliveryStatus.UPDATED)])
        assert [DeliveryStatus.UPDATED] == [d.status for d in ledger.batch_documents("t", number)]


class TestEntries:
    """Per document the ledger keeps the Xero id, fingerprint, status, batch and revision."""

    def test_an_outcome_without_an_id_keeps_the_stored_id_and_fingerprint(self, ledger):
        number = ledger.open_batch("t", T0)
        ledger.record_outcomes(
            "t", number, [_outcome("INV-1", xero_id="x1", fingerprint="f1", answered=True)]
        )
        ledger.record_outcomes(
            "t", number, [_outcome("INV-1", DeliveryStatus.FAILED, messages=("no",))]
        )
        entry = ledger.entries_for("t", INVOICE, ["INV-1"])["INV-1"]
        assert ("x1", "f1", DeliveryStatus.FAILED, 1) == (
            entry.xero_id,
            entry.fingerprint,
            entry.status,
            entry.revision,
        )
        assert not entry.in_sync

    def test_every_answered_request_moves_the_revision(self, ledger):
        number = ledger.open_batch("t", T0)
        for _ in range(3):
            ledger.record_outcomes("t", number, [_outcome("INV-1", xero_id="x", answered=True)])
        assert 3 == ledger.entries_for("t", INVOICE, ["INV-1"])["INV-1"].revision

    def test_entries_are_per_tenant_and_kind(self, ledger):
        number = ledger.open_batch("a", T0)
        ledger.record_outcomes("a", number, [_outcome("K")])
        assert {} == ledger.entries_for("b", INVOICE, ["K"])
        assert {} == ledger.entries_for("a", DocumentKind.BILL, ["K"])

    def test_entries_stream_across_pages(self, ledger):
        number = ledger.open_batch("t", T0)
        ledger.record_outcomes("t", number, [_outcome(f"K{i:04d}") for i in range(1100)])
        assert 1100 == sum(1 for _ in ledger.entries("t", INVOICE))
        assert 0 == sum(1 for _ in ledger.entries("t", DocumentKind.BILL))


class TestIntents:
    """An intent stays in doubt until the outcome of its request is recorded."""

    def _intent(self, batch: int) -> SendIntent:
        return SendIntent(
            send_id="s1",
            batch=batch,
            kind=INVOICE,
            members=(
                SendMember(key="INV-2", idempotency_key="k2", fingerprint="f2"),
                SendMember(key="INV-1", idempotency_key="k1", fingerprint="f1", xero_id="x1"),
            ),
        )

    def test_an_intent_without_an_outcome_is_in_doubt_with_its_members_in_order(self, path):
        with SqliteLedger(path) as first, first.lease("t"):
            number = first.open_batch("t", T0)
            first.record_intent("t", self._intent(number))
        with SqliteLedger(path) as second:
            assert (self._intent(number),) == second.in_doubt("t")
            statuses = [d.status for d in second.batch_documents("t", number)]
        assert [DeliveryStatus.PENDING, DeliveryStatus.PENDING] == statuses

    def test_recording_the_outcome_settles_the_intent(self, ledger):
        with ledger.lease("t"):
            number = ledger.open_batch("t", T0)
            ledger.record_intent("t", self._intent(number))
            ledger.record_outcomes(
                "t",
                number,
                [_outcome("INV-2", xero_id="x2"), _outcome("INV-1", DeliveryStatus.UPDATED)],
                send_id="s1",
            )
        assert () == ledger.in_doubt("t")


class TestLeases:
    """Two pushers for one tenant never hold it at once; a dead holder does not block forever."""

    def test_a_second_holder_is_refused_while_the_first_holds(self, path):
        with SqliteLedger(path) as first, SqliteLedger(path) as second, first.lease("t"):
            with pytest.raises(LedgerBusyError, match="Another push for organisation 't'"):
                second.lease("t").__enter__()
            with second.lease("other tenant"):
                pass

    def test_two_holds_through_one_ledger_object_are_two_holders(self, ledger):
        with ledger.lease("t"), pytest.raises(LedgerBusyError), ledger.lease("t"):
            pass

    def test_nothing_is_recorded_as_sent_without_the_lease(self, ledger):
        number = ledger.open_batch("t", T0)
        intent = SendIntent(send_id="s", batch=number, kind=INVOICE, members=())
        with pytest.raises(LedgerError, match="without holding its lease"):
            ledger.record_intent("t", intent)

    def test_the_tenant_is_free_again_once_released(self, path):
        with SqliteLedger(path) as first, SqliteLedger(path) as second:
            with first.lease("t"):
                pass
            with second.lease("t"):
                pass

    def test_a_waiting_holder_gets_the_tenant_when_the_lease_expires(self, path):
        now = [1000.0]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            now[0] += seconds

        with (
            SqliteLedger(path, lease_seconds=2.0, wall_time=lambda: now[0]) as first,
            SqliteLedger(path, wall_time=lambda: now[0], sleep=sleep) as second,
            first.lease("t"),
            second.lease("t", wait=5.0),
        ):
            assert 2.0 == sum(slept)

    def test_a_lease_of_a_dead_process_is_taken_over(self, path):
        with SqliteLedger(path) as ledger:
            dead = subprocess.run(
                [sys.executable, "-c", "import os; print(os.getpid())"],
                capture_output=True,
                text=True,
                check=True,
            )
            ledger._db.execute(
                "INSERT INTO leases VALUES ('t', 'gone', ?, ?, ?)",
                (socket.gethostname(), int(dead.stdout), 1e12),
            )
            with ledger.lease("t"):
                pass

    def test_a_holder_that_lost_its_lease_cannot_record_an_intent(self, path):
        now = [1000.0]
        with (
            SqliteLedger(path, lease_seconds=1.0, wall_time=lambda: now[0]) as slow,
            SqliteLedger(path, wall_time=lambda: now[0]) as other,
            slow.lease("t"),
        ):
            number = slow.open_batch("t", T0)
            now[0] += 5.0
            with other.lease("t"):
                intent = SendIntent(send_id="s", batch=number, kind=INVOICE, members=())
                with pytest.raises(LedgerBusyError):
                    slow.record_intent("t", intent)
            assert () == other.in_doubt("t")


class TestInterruptedCreation:
    """A ledger whose creation was interrupted (an empty SQLite file) is simply created."""

    def test_an_empty_database_without_an_id_becomes_a_ledger(self, path):
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.close()
        with SqliteLedger(path) as opened:
            assert SCHEMA_VERSION == opened.schema_version

    def test_a_second_connection_recognises_a_ledger_whose_header_lags_in_the_wal(self, path):
        with SqliteLedger(path) as first, SqliteLedger(path) as second:
            assert first.schema_version == second.schema_version


class TestUse:
    """The ledger can be used from another thread, and SQLite's errors become trackmap's."""

    def test_a_ledger_made_in_one_thread_is_used_in_another(self, ledger):
        numbers: list[int] = []
        worker = threading.Thread(target=lambda: numbers.append(ledger.open_batch("t", T0)))
        worker.start()
        worker.join()
        assert [1] == numbers

    def test_an_sqlite_failure_is_a_ledger_error(self, path):
        opened = SqliteLedger(path)
        opened._db.close()
        with pytest.raises(LedgerError, match="could not be used"):
            opened.open_batch("t", T0)
        with pytest.raises(LedgerError, match="could not be used"):
            opened.batches("t")


class TestDamage:
    """More ways a ledger file goes wrong: each is refused, none is written to."""

    def test_a_truncated_ledger_is_refused_and_left_untouched(self, path):
        with SqliteLedger(path) as opened:
            number = opened.open_batch("t", T0)
            opened.record_outcomes("t", number, [_outcome(f"K{i}") for i in range(500)])
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        half = path.read_bytes()[: path.stat().st_size // 2]
        path.write_bytes(half)
        with pytest.raises(LedgerCorruptError):
            SqliteLedger(path)
        assert half == path.read_bytes()

    def test_a_ledger_locked_by_another_process_is_not_called_damaged(self, path):
        SqliteLedger(path).close()
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(LedgerError) as caught:
                SqliteLedger(path, busy_timeout=0.1)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert not isinstance(caught.value, LedgerCorruptError)
        assert "cannot be opened" in str(caught.value)


class Heartbeats:
    """Drives a ledger's lease heartbeat on a virtual clock, one beat at a time."""

    def __init__(self) -> None:
        self.now = [1000.0]
        self.tickets: queue.Queue[bool | None] = queue.Queue()
        self.waiting: queue.Queue[float] = queue.Queue()

    def wall(self) -> float:
        return self.now[0]

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.waiting.put(seconds)  # the previous beat, if any, is done
        if self.tickets.get() is None:
            return True
        self.now[0] += seconds
        return stop.is_set()

    def beat(self) -> float:
        """Let one interval pass and the heartbeat renew; return the interval."""
        seconds = self.waiting.get(timeout=60)  # a safety net against a hang, not a timing
        self.tickets.put(item=True)
        return seconds

    def settle(self) -> None:
        """Wait until the last beat is written, then let the heartbeat stop."""
        self.waiting.get(timeout=60)
        self.tickets.put(None)


class TestLeasesThatOutliveTheirHolders:
    """A dead or zombie holder never blocks for long; a waiting holder keeps its lease."""

    def test_a_lease_is_renewed_while_the_push_waits(self, path):
        beats = Heartbeats()
        with (
            SqliteLedger(
                path, lease_seconds=10.0, wall_time=beats.wall, heartbeat_wait=beats.wait
            ) as holder,
            SqliteLedger(path, wall_time=beats.wall, heartbeat_seconds=0) as other,
        ):
            with holder.lease("t"):
                try:
                    number = holder.open_batch("t", T0)
                    waited = sum(beats.beat() for _ in range(9))  # a long rate-limit wait
                    beats.settle()
                    assert 30.0 == pytest.approx(waited)
                    with pytest.raises(LedgerBusyError):
                        other.lease("t").__enter__()
                    intent = SendIntent(send_id="s", batch=number, kind=INVOICE, members=())
                    holder.record_intent("t", intent)
                finally:
                    beats.tickets.put(None)
            with other.lease("t"):
                pass

    def test_without_beats_the_lease_lapses(self, path):
        """The control: the same wait with the heartbeat off lets another push in."""
        now = [1000.0]
        with (
            SqliteLedger(
                path, lease_seconds=10.0, wall_time=lambda: now[0], heartbeat_seconds=0
            ) as holder,
            SqliteLedger(path, wall_time=lambda: now[0]) as other,
            holder.lease("t"),
        ):
            now[0] += 30.0
            with other.lease("t"):
                pass

    def test_the_heartbeat_stops_with_the_lease(self, ledger):
        with ledger.lease("t"):
            beating = [t for t in threading.enumerate() if t.name == "trackmap lease t"]
            assert 1 == len(beating)
        beating[0].join(timeout=60)
        assert not beating[0].is_alive()

    def test_a_killed_holder_not_yet_reaped_is_taken_over_at_once(self, path):
        """SIGKILLed and still a zombie (its parent has not waited for it): it answers
        ``kill(pid, 0)`` like a live process, but will never run again."""
        code = (
            "import sys\n"
            "from trackmap._sync._ledger import SqliteLedger\n"
            f"ledger = SqliteLedger({str(path)!r})\n"
            "with ledger.lease('t'):\n"
            "    print('held', flush=True)\n"
            "    sys.stdin.read()\n"
        )
        holder = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert "held" == holder.stdout.readline().strip()
            holder.kill()
            # Wait for it to die without reaping it: it stays a zombie meanwhile.
            os.waitid(os.P_PID, holder.pid, os.WEXITED | os.WNOWAIT)
            assert "Z" == _process_state(holder.pid)
            with SqliteLedger(path) as ledger, ledger.lease("t"):
                pass
        finally:
            holder.stdin.close()
            holder.stdout.close()
            holder.wait()
