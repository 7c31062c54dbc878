"""Ledger files under attack: every refusal leaves the file byte for byte as it was, every
operating-system failure is a LedgerError naming the path, an unreadable row is a trackmap
error naming the row, and a full disk never leaves the tenant blocked."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackmap._engine._document import DocumentKind
from trackmap._sync._ledger import SCHEMA_VERSION, SendOutcome, SqliteLedger
from trackmap._sync._target import DeliveryStatus
from trackmap.errors import LedgerCorruptError, LedgerError, TrackmapError
from trackmap.testing import InMemoryTarget

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
INVOICE = DocumentKind.SALES_INVOICE
NOBODY = 65534


def snapshot(path: Path) -> dict[str, bytes | None]:
    """The whole file and its side files (WAL, shared memory, rollback journal)."""
    names = [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))]
    return {n.name: (n.read_bytes() if n.exists() else None) for n in names}


def sqlite_file(path: Path, *statements: str, journal: str = "DELETE") -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA journal_mode={journal}")
    for statement in statements:
        db.execute(statement)
    db.close()


def a_ledger(path: Path, rows: int = 20) -> None:
    """A real ledger with some rows, checkpointed, back in rollback-journal mode, so that
    any switch to WAL would rewrite bytes 18-19 of its header."""
    with SqliteLedger(path) as ledger:
        number = ledger.open_batch("t", T0)
        outcomes = [
            SendOutcome(kind=INVOICE, key=f"K{i}", status=DeliveryStatus.CREATED, xero_id=f"x{i}")
            for i in range(rows)
        ]
        ledger.record_outcomes("t", number, outcomes)
    sqlite_file(path, "PRAGMA wal_checkpoint(TRUNCATE)", journal="DELETE")


def foreign(path: Path) -> None:
    sqlite_file(path, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('mine')")


def foreign_empty_with_id(path: Path) -> None:
    sqlite_file(path, "PRAGMA application_id = 1234")


def foreign_empty_with_version(path: Path) -> None:
    sqlite_file(path, "PRAGMA user_version = 7")


def newer(path: Path) -> None:
    a_ledger(path)
    sqlite_file(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def newer_in_wal(path: Path) -> None:
    a_ledger(path)
    sqlite_file(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}", journal="WAL")
    sqlite_file(path, "PRAGMA wal_checkpoint(TRUNCATE)", journal="WAL")


def damaged(path: Path) -> None:
    a_ledger(path, rows=400)
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 5] = b"\xff" * (4096 * 3)
    path.write_bytes(bytes(data))


def truncated(path: Path) -> None:
    a_ledger(path, rows=400)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def text(path: Path) -> None:
    path.write_text("customer,amount\nAcme,10\n")


REFUSED = {
    "foreign": (foreign, LedgerCorruptError, "another application's"),
    "foreign, empty, with an application id": (
        foreign_empty_with_id,
        LedgerCorruptError,
        "another application's",
    ),
    "foreign, empty, with a user version": (
        foreign_empty_with_version,
        LedgerCorruptError,
        "another application's",
    ),
    "newer": (newer, LedgerError, "newer trackmap"),
    "newer, in WAL mode": (newer_in_wal, LedgerError, "newer trackmap"),
    "damaged": (damaged, LedgerCorruptError, "damaged"),
    "truncated": (truncated, LedgerCorruptError, "damaged"),
    "not SQLite": (text, LedgerCorruptError, "not an SQLite database"),
}


class TestRefusedFilesAreNeverWritten:
    """Whole files (header included) and their side files are identical after a refusal."""

    @pytest.mark.parametrize("case", list(REFUSED))
    def test_refused_and_left_byte_for_byte(self, tmp_path, case):
        make, error, says = REFUSED[case]
        path = tmp_path / "ledger.db"
        make(path)
        before = snapshot(path)
        with pytest.raises(error, match=says) as caught:
            SqliteLedger(path)
        assert before == snapshot(path)
        assert str(path) == caught.value.path

    def test_a_newer_ledger_was_written_before_the_fix(self, tmp_path):
        """The case the old order broke: the WAL switch rewrote the header's bytes 18-19."""
        path = tmp_path / "ledger.db"
        newer(path)
        header = path.read_bytes()[:100]
        assert (1, 1) == (header[18], header[19])  # rollback-journal mode, as made
        with pytest.raises(LedgerError):
            SqliteLedger(path)
        assert header == path.read_bytes()[:100]

    def test_a_read_only_ledger_is_refused_and_left_byte_for_byte(self, tmp_path):
        folder = Path(tempfile.mkdtemp(prefix="trackmap-ro-"))
        try:
            path = folder / "ledger.db"
            a_ledger(path)
            path.chmod(0o444)
            folder.chmod(0o555)
            before = snapshot(path)
            kind, message, where = open_as_unprivileged(path)
            assert before == snapshot(path)
        finally:
            folder.chmod(0o755)
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()
        assert "LedgerError" == kind
        assert str(path) == where
        assert "cannot be opened" in message


def open_as_unprivileged(path: Path) -> tuple[str, str, str | None]:
    """Open a ledger in a child that cannot write the file (as nobody when run as root: root
    writes through any permission bits). Returns (error class, message, error path)."""
    code = textwrap.dedent(
        f"""
        import json, os
        from trackmap._sync._ledger import SqliteLedger
        if os.geteuid() == 0:  # after the imports: the interpreter lives under /root
            os.setgid({NOBODY}); os.setuid({NOBODY})
        try:
            SqliteLedger({str(path)!r}).close()
            print(json.dumps(["opened", "", None]))
        except Exception as exc:
            print(json.dumps([type(exc).__name__, str(exc), getattr(exc, "path", None)]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    kind, message, where = json.loads(done.stdout.strip().splitlines()[-1])
    return kind, message, where


class TestOperatingSystemFailures:
    """Whatever the operating system refuses is a LedgerError naming the path."""

    @pytest.mark.parametrize(
        "make",
        [
            pytest.param(lambda t: str(t / "nul\x00.db"), id="NUL in the path"),
            pytest.param(
                lambda t: (t / "file").write_text("") or t / "file" / "l.db",
                id="a file for a folder",
            ),
            pytest.param(
                lambda t: "/proc/self/no-such/ledger.db", id="a folder that cannot be made"
            ),
            pytest.param(lambda t: t, id="a folder for the file"),
            pytest.param(lambda t: "", id="empty"),
        ],
    )
    def test_refused_with_the_path(self, tmp_path, make):
        path = make(tmp_path)
        with pytest.raises(LedgerError) as caught:
            SqliteLedger(path)
        assert str(Path(path)) == caught.value.path
        assert repr(str(Path(path))) in str(caught.value)
        str(caught.value).encode()

    def test_no_permission(self, tmp_path):
        folder = Path(tempfile.mkdtemp(prefix="trackmap-np-"))
        try:
            folder.chmod(0o500)
            kind, message, where = open_as_unprivileged(folder / "sub" / "ledger.db")
        finally:
            folder.chmod(0o755)
            folder.rmdir()
        assert ("LedgerError", str(folder / "sub" / "ledger.db")) == (kind, where)
        assert "Permission denied" in message

    def test_not_a_path(self):
        with pytest.raises(LedgerError, match="needs a file path, not int"):
            SqliteLedger(42)


def corrupt(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    db = sqlite3.connect(path)
    db.execute(sql, params)
    db.commit()
    db.close()


class TestUnreadableRows:
    """A value edited into the file (status='creatd') is a trackmap error naming the row."""

    @pytest.fixture
    def path(self, tmp_path):
        path = tmp_path / "ledger.db"
        with SqliteLedger(path) as ledger:
            number = ledger.open_batch("t", T0)
            ledger.record_outcomes(
                "t",
                number,
                [
                    SendOutcome(
                        kind=INVOICE, key="INV-1", status=DeliveryStatus.CREATED, xero_id="x"
                    )
                ],
            )
            ledger.close_batch("t", number, T0)
        return path

    @pytest.mark.parametrize(
        ("sql", "read", "names"),
        [
            (
                "UPDATE documents SET status = 'creatd'",
                lambda led: led.entries_for("t", INVOICE, ["INV-1"]),
                "'sales_invoice' document 'INV-1'",
            ),
            (
                "UPDATE documents SET messages = '{not json'",
                lambda led: list(led.entries("t")),
                "'sales_invoice' document 'INV-1'",
            ),
            (  # JSON, but not a list of text: the old reader made its keys the messages
                """UPDATE documents SET messages = '{"sent": 1}'""",
                lambda led: list(led.entries("t")),
                "'sales_invoice' document 'INV-1'",
            ),
            (
                """UPDATE batch_documents SET messages = '["Created.", 5]'""",
                lambda led: list(led.batch_documents("t", 1)),
                "'sales_invoice' document 'INV-1' of batch 1",
            ),
            (
                "UPDATE documents SET kind = 'cheque'",
                lambda led: list(led.entries("t")),
                "'cheque' document 'INV-1'",
            ),
            (
                "UPDATE batches SET state = 'half'",
                lambda led: led.batches("t"),
                "batch 1 of organisation 't'",
            ),
            (
                "UPDATE batches SET started_at = 'yesterday'",
                lambda led: led.batch("t", 1),
                "batch 1 of organisation 't'",
            ),
            (
                "UPDATE batch_documents SET status = 'creatd'",
                lambda led: led.batch("t", 1),
                "the documents of batch 1",
            ),
            (
                "UPDATE batch_documents SET messages = '7'",
                lambda led: list(led.batch_documents("t", 1)),
                "'sales_invoice' document 'INV-1' of batch 1",
            ),
            (
                (
                    "INSERT INTO sends (tenant_id, send_id, batch, kind) "
                    "VALUES ('t', 's1', 1, 'cheque')"
                ),
                lambda led: led.in_doubt("t"),
                "in-doubt request 's1'",
            ),
        ],
    )
    def test_named_not_a_value_error(self, path, sql, read, names):
        corrupt(path, sql)
        with SqliteLedger(path) as ledger, pytest.raises(LedgerCorruptError) as caught:
            read(ledger)
        assert names in str(caught.value)
        assert str(path) == caught.value.path

    def test_a_push_over_a_corrupted_row_raises_a_trackmap_error(self, path):
        from delivery_kit import FIELDS, MAPPING, categories, many
        from trackmap._sync._push import Pusher

        documents = list(many(3))
        first = documents[0].document
        corrupt(
            path,
            "UPDATE documents SET status = 'creatd', kind = ?, key = ?",
            (first.kind.value, first.key),
        )
        with SqliteLedger(path) as ledger:
            pusher = Pusher(
                target=InMemoryTarget(tenant_id="t", categories=categories()),
                ledger=ledger,
                mapping=MAPPING,
                fields=FIELDS,
            )
            with pytest.raises(TrackmapError, match="creatd"):
                pusher.push(documents)


class TestFullDisk:
    """A full disk is a LedgerError that says so, and the tenant is free again at once.

    The disk is "filled" without privileges: ``PRAGMA max_page_count`` caps the database at
    the pages it has, so the next write that needs a page fails with SQLITE_FULL ("database
    or disk is full"), as a full disk does.
    """

    def fill(self, ledger: SqliteLedger) -> None:
        (pages,) = ledger._db.execute("PRAGMA page_count").fetchone()
        ledger._db.execute(f"PRAGMA max_page_count = {pages}")

    def big(self, count: int = 300) -> list[SendOutcome]:
        return [
            SendOutcome(
                kind=INVOICE, key=f"K{i}", status=DeliveryStatus.CREATED, messages=("x" * 400,)
            )
            for i in range(count)
        ]

    def push_into_a_full_disk(self, ledger: SqliteLedger) -> None:
        with ledger.lease("t"):
            number = ledger.open_batch("t", T0)
            self.fill(ledger)
            ledger.record_outcomes("t", number, self.big())

    def test_the_error_says_full_and_the_lease_is_released(self, tmp_path):
        with SqliteLedger(tmp_path / "l.db") as ledger:
            with pytest.raises(LedgerError, match="database or disk is full"):
                self.push_into_a_full_disk(ledger)
            with ledger.lease("t"):  # the same process, at once
                pass
            with SqliteLedger(tmp_path / "l.db") as other, other.lease("t"):
                pass

    def test_a_release_that_failed_does_not_block_this_process(self, tmp_path):
        """The release itself fails (the file stays locked by another writer, as a disk that
        stays full does): the lease row remains, naming this very process. Its next push
        takes it over at once instead of "another push is running (process <own pid>)"."""
        path = tmp_path / "l.db"
        with SqliteLedger(path, busy_timeout=0.05) as ledger:
            blocker = sqlite3.connect(path, isolation_level=None)

            def push_while_blocked() -> None:
                with ledger.lease("t"):
                    blocker.execute("BEGIN IMMEDIATE")  # any write now fails, the release too
                    ledger.open_batch("t", T0)

            with pytest.raises(LedgerError, match="locked") as caught:
                push_while_blocked()
            blocker.execute("ROLLBACK")
            blocker.close()
            assert any("could not be released" in n for n in caught.value.__notes__)
            (pid,) = ledger._db.execute("SELECT pid FROM leases WHERE tenant_id = 't'").fetchone()
            assert os.getpid() == pid
            with ledger.lease("t"):
                pass
            with SqliteLedger(path) as other, other.lease("t"):
                pass

    def test_another_live_lease_of_this_process_still_blocks(self, tmp_path):
        with (
            SqliteLedger(tmp_path / "l.db") as first,
            SqliteLedger(tmp_path / "l.db") as second,
            first.lease("t"),
            pytest.raises(LedgerError, match=f"process {os.getpid()}"),
        ):
            second.lease("t").__enter__()

    def test_a_push_into_a_full_disk_stops_and_the_next_push_delivers_once(self, tmp_path):
        """The disk fills while Xero creates a request's documents, so their outcome cannot be
        written: the push raises a LedgerError, its lease is released, and the next push, once
        there is room, settles the request and delivers every document exactly once."""
        from delivery_kit import (
            FIELDS,
            MAPPING,
            WrappedTarget,
            assert_exactly_once,
            categories,
            many,
        )
        from trackmap._sync._push import Pusher

        fill = self.fill

        class FillsTheDisk(WrappedTarget):
            def push(self, items):
                answers = self.inner.push(items)
                fill(ledger)
                return answers

        target = InMemoryTarget(tenant_id="t", categories=categories())
        documents = list(many(120))
        path = tmp_path / "l.db"
        with SqliteLedger(path) as ledger:
            pusher = Pusher(
                target=FillsTheDisk(target), ledger=ledger, mapping=MAPPING, fields=FIELDS
            )
            with pytest.raises(LedgerError, match="database or disk is full"):
                pusher.push(documents)
            assert 0 < len(target.documents())  # the organisation has the first request's
            with ledger.lease("t"):  # not "another push is running (process <own pid>)"
                pass
        with SqliteLedger(path) as ledger:  # room again: a new connection has no page cap
            Pusher(target=target, ledger=ledger, mapping=MAPPING, fields=FIELDS).push(documents)
            assert_exactly_once(target, ledger, documents)


SQLITE_MAGIC = b"SQLite format 3\x00"


class TestAnyInput:
    """Properties: any file content, any file name: a ledger or a LedgerError, never another
    exception; a refused file is left byte for byte; every message encodes as UTF-8."""

    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        content=st.one_of(
            st.binary(max_size=300),
            st.binary(max_size=4000).map(lambda tail: SQLITE_MAGIC + tail),
        )
    )
    def test_any_content(self, content):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "ledger.db"
            path.write_bytes(content)
            refusal = opening(path)
            if refusal is None:
                assert content == b""  # only an empty file is taken as a new ledger
            else:
                assert content == path.read_bytes()
                assert str(path) == refusal.path

    @settings(max_examples=150)
    @given(name=st.text(alphabet=st.characters(exclude_characters="/"), max_size=40))
    def test_any_file_name(self, name):
        with tempfile.TemporaryDirectory() as folder:
            refusal = opening(Path(folder) / name)
        assert refusal is None or len(str(refusal)) < 500


def opening(path: Path) -> LedgerError | None:
    """Open and close a ledger; the LedgerError it raised, if any (any other exception fails)."""
    try:
        SqliteLedger(path, busy_timeout=0.05).close()
    except LedgerError as exc:
        str(exc).encode()  # every message can be shown and logged as UTF-8
        return exc
    return None


class TestValuesSqliteCannotTake:
    """A value SQLite cannot store is a LedgerError, and the ledger stays usable."""

    @pytest.mark.parametrize(
        "outcome",
        [
            SendOutcome(kind=INVOICE, key="K\ud800", status=DeliveryStatus.CREATED),
            SendOutcome(kind=INVOICE, key="K1", status=DeliveryStatus.CREATED, number="\udcff1"),
        ],
        ids=["lone surrogate in a key", "lone surrogate in a number"],
    )
    def test_refused_whole_and_the_ledger_goes_on(self, tmp_path, outcome):
        with SqliteLedger(tmp_path / "l.db") as ledger:
            number = ledger.open_batch("t", T0)
            good = SendOutcome(kind=INVOICE, key="K0", status=DeliveryStatus.CREATED)
            with pytest.raises(LedgerError, match="cannot store a value") as caught:
                ledger.record_outcomes("t", number, [good, outcome])
            str(caught.value).encode()
            assert {} == ledger.entries_for("t", INVOICE, ["K0"])  # rolled back whole
            ledger.record_outcomes("t", number, [good])
            assert ["K0"] == [e.key for e in ledger.entries("t")]
