"""The delivery ledger: what trackmap has sent, so that a re-run neither duplicates nor loses.

Per tenant and document (kind + the host's key) the ledger keeps the Xero id, the fingerprint of
what Xero holds, the status, the last batch and the messages. Around every request it keeps an
INTENT (a "send": the ordered documents of one request with their Idempotency-Keys), written and
committed before the request goes out and deleted in the same transaction that records the
OUTCOME. A send still present when a run starts is "in doubt": the previous run stopped between
those two writes, and the next run re-sends exactly that request (same documents, same order,
same keys) so that Xero replays its answer instead of creating the documents a second time.

`SqliteLedger` is the embedded default: one SQLite file (standard library), a path the host
chooses, WAL journal, its own application id and schema version with forward migrations. It never
writes to a file it does not recognise: a foreign or damaged file raises `LedgerCorruptError` and
is left byte for byte as it was.

Two processes pushing for one tenant: each push holds a per-tenant LEASE in the ledger (owner,
host, process id, expiry). A second pusher gets `LedgerBusyError` at once, or waits up to the
seconds it asked for. A heartbeat renews a held lease every third of ``lease_seconds`` (60 s by
default) while the push runs or waits out Xero's rate limits. A lease is taken over when its
time ran out (its holder stopped beating: dead on another machine, or stopped), when its
process is gone or is a zombie (same host; POSIX, zombies read from ``/proc`` on Linux), or when
it names this very process but no lease this process holds (its release failed, on a full
disk say). Every intent write checks that the lease is still held, so a stalled process that
lost its lease can never send. Tenant ids are canonical (`canonical_tenant_id`) in every
public method.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, Self, runtime_checkable

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._sync._batch import Batch, BatchCounts, BatchDocument, BatchState
from trackmap._sync._target import DeliveryStatus
from trackmap._sync._tenant import canonicalises_tenant
from trackmap.errors import LedgerBusyError, LedgerCorruptError, LedgerError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerEntry",
    "SendIntent",
    "SendMember",
    "SendOutcome",
    "SqliteLedger",
]

APPLICATION_ID = 0x544B4D50
"""SQLite ``PRAGMA application_id`` of a trackmap ledger ("TKMP"): how a foreign file is told."""

SCHEMA_VERSION = 5
"""The ledger schema this trackmap writes (``PRAGMA user_version``)."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_INTERRUPTED = "The push ended before it finished (the process stopped); the next batch resumed it."
_PAGE = 500
# Statuses that mean "Xero holds exactly the stored fingerprint".
IN_SYNC = frozenset({DeliveryStatus.CREATED, DeliveryStatus.UPDATED, DeliveryStatus.UNCHANGED})


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """What the ledger knows of one document of one tenant.

    Attributes:
        kind: The document's kind.
        key: The host's document key.
        xero_id: Its Xero id, once Xero created it.
        number: Xero's document number, when it has one.
        fingerprint: The fingerprint of what Xero holds (tracking and body), "" when unknown.
        status: The last delivery status.
        last_batch: The last batch that settled it.
        messages: The messages of that batch.
        remote_status: Xero's own status (DRAFT, AUTHORISED, PAID...) at the last refresh.
        revision: How many answered requests carried it; part of its next Idempotency-Key.
    """

    kind: DocumentKind
    key: str
    xero_id: str | None = None
    number: str | None = None
    fingerprint: str = ""
    status: DeliveryStatus = DeliveryStatus.PENDING
    last_batch: int | None = None
    messages: tuple[str, ...] = ()
    remote_status: str | None = None
    revision: int = 0

    @property
    def in_sync(self) -> bool:
        """Whether Xero holds this document as the stored fingerprint describes it."""
        return self.xero_id is not None and self.status in IN_SYNC


@attrs.frozen(kw_only=True)
class SendMember:
    """One document of a request, as the intent recorded it.

    ``content`` and ``tracking`` are what settlement needs to recognise the document in Xero
    without Xero's memory of the request: the digest of the content Xero echoes back
    (`trackmap.content_digest`) and the digest of the tracking sent (`trackmap.tracking_digest`).
    ``number`` is the document number its body set ("" when Xero numbers it): where Xero
    keeps numbers unique, settlement looks the document up by it. Empty for intents written
    by a trackmap that did not record them.
    """

    key: str
    idempotency_key: str
    fingerprint: str
    xero_id: str | None = None
    content: str = ""
    tracking: str = ""
    number: str = ""


@attrs.frozen(kw_only=True)
class SendIntent:
    """A request about to go out: its documents in order, with their keys.

    ``written_at`` is when the intent was written (None for intents of an older ledger):
    settlement reads the documents Xero changed since then.
    """

    send_id: str
    batch: int
    kind: DocumentKind
    members: tuple[SendMember, ...]
    written_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class SendOutcome:
    """What became of one document in a batch, to record.

    Attributes:
        kind: The document's kind.
        key: The host's document key.
        status: Its status in this batch.
        messages: Plain-language messages.
        xero_id: The Xero id (None keeps the one stored).
        number: Xero's number (None keeps the one stored).
        fingerprint: What Xero now holds (None keeps the one stored).
        answered: Whether a request carrying it was answered (moves its revision on).
        remote_status: Xero's own status of it as sent (DRAFT...), None keeps the one stored.
    """

    kind: DocumentKind
    key: str
    status: DeliveryStatus
    messages: tuple[str, ...] = ()
    xero_id: str | None = None
    number: str | None = None
    fingerprint: str | None = None
    answered: bool = False
    remote_status: str | None = None


@runtime_checkable
class Ledger(Protocol):
    """**Protocol:** the memory of deliveries. `SqliteLedger` is the embedded default."""

    def lease(
        self, tenant_id: str, *, wait: float = 0.0
    ) -> contextlib.AbstractContextManager[None]:
        """Hold the tenant for one push; raise `LedgerBusyError` if another holder has it."""
        ...

    def open_batch(self, tenant_id: str, started_at: dt.datetime) -> int:
        """Open the tenant's next batch and return its number."""
        ...

    def close_batch(
        self, tenant_id: str, number: int, finished_at: dt.datetime, *, note: str = ""
    ) -> Batch:
        """Close a batch (stopped when ``note`` says why) and return it with its counts."""
        ...

    def entries_for(
        self, tenant_id: str, kind: DocumentKind, keys: Sequence[str]
    ) -> dict[str, LedgerEntry]:
        """Return the entries of these documents that the ledger has, by key."""
        ...

    def in_doubt(self, tenant_id: str) -> tuple[SendIntent, ...]:
        """Return the sends whose intent was written but whose outcome never was."""
        ...

    def record_intent(self, tenant_id: str, intent: SendIntent) -> None:
        """Record a send before its request goes out (checks the lease is still held)."""
        ...

    def record_outcomes(
        self,
        tenant_id: str,
        batch: int,
        outcomes: Sequence[SendOutcome],
        *,
        send_id: str | None = None,
        settled: Sequence[str] | None = None,
    ) -> None:
        """Record outcomes in one transaction, settling the send ``send_id`` if given.

        With ``settled``, only those members (by key) of the send are settled; the send stays
        in doubt while any member is left.
        """
        ...

    def known_ids(
        self, tenant_id: str, kind: DocumentKind, xero_ids: Sequence[str]
    ) -> frozenset[str]:
        """Return those of ``xero_ids`` that the ledger already holds for a document."""
        ...

    def batches(self, tenant_id: str) -> tuple[Batch, ...]:
        """Return the tenant's batches, newest first."""
        ...

    def batch(self, tenant_id: str, number: int) -> Batch | None:
        """Return one batch, or None."""
        ...

    def batch_documents(self, tenant_id: str, number: int) -> Iterator[BatchDocument]:
        """Yield the documents of a batch (streamed, in kind and key order)."""
        ...

    def entries(self, tenant_id: str, kind: DocumentKind | None = None) -> Iterator[LedgerEntry]:
        """Yield the tenant's documents (streamed, in kind and key order)."""
        ...

    def record_remote_statuses(
        self, tenant_id: str, statuses: Sequence[tuple[DocumentKind, str, str | None]]
    ) -> None:
        """Store Xero's current status of documents: (kind, key, status or None if gone)."""
        ...

    def close(self) -> None:
        """Release the ledger's resources."""
        ...

    def entries_by_xero_id(self, tenant_id: str, xero_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        """Return the tenant's entries holding these Xero ids, keyed by the id in lower case."""
        ...


_MIGRATIONS: dict[int, str] = {
    1: """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE batches (
            tenant_id TEXT NOT NULL, number INTEGER NOT NULL, started_at TEXT NOT NULL,
            finished_at TEXT, state TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (tenant_id, number));
        CREATE TABLE documents (
            tenant_id TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, xero_id TEXT,
            number TEXT, fingerprint TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,
            last_batch INTEGER, messages TEXT NOT NULL DEFAULT '[]',
            revision INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tenant_id, kind, key));
        CREATE TABLE batch_documents (
            tenant_id TEXT NOT NULL, batch INTEGER NOT NULL, kind TEXT NOT NULL,
            key TEXT NOT NULL, status TEXT NOT NULL, xero_id TEXT, number TEXT,
            messages TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (tenant_id, batch, kind, key));
        CREATE TABLE sends (
            tenant_id TEXT NOT NULL, send_id TEXT NOT NULL, batch INTEGER NOT NULL,
            kind TEXT NOT NULL, PRIMARY KEY (tenant_id, send_id));
        CREATE TABLE send_members (
            tenant_id TEXT NOT NULL, send_id TEXT NOT NULL, position INTEGER NOT NULL,
            key TEXT NOT NULL, idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL,
            xero_id TEXT, PRIMARY KEY (tenant_id, send_id, position));
        CREATE TABLE leases (
            tenant_id TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL,
            pid INTEGER NOT NULL, expires_at REAL NOT NULL);
        INSERT INTO meta (key, value) VALUES ('application', 'trackmap ledger');
    """,
    # Version 2: status refresh (Xero's own status of each document).
    2: """
        ALTER TABLE documents ADD COLUMN remote_status TEXT;
    """,
    # Version 3: settlement without Xero's memory of keys (when an intent was written, and
    # per member the digests of the content and the tracking sent).
    3: """
        ALTER TABLE sends ADD COLUMN written_at TEXT;
        ALTER TABLE send_members ADD COLUMN content TEXT NOT NULL DEFAULT '';
        ALTER TABLE send_members ADD COLUMN tracking TEXT NOT NULL DEFAULT '';
    """,
    # Version 4: settlement by number (the number a member's body set, where Xero keeps
    # numbers unique: the in-doubt member is looked up by it).
    4: """
        ALTER TABLE send_members ADD COLUMN number TEXT NOT NULL DEFAULT '';
    """,
    # Version 5: no history row per unchanged document. A batch counts its unchanged
    # documents; each one's own row (documents: status, last_batch, messages) says the rest.
    5: """
        ALTER TABLE batches ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX documents_by_batch ON documents (tenant_id, last_batch, status);
    """,
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _read_header(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(100)
    except OSError as exc:
        msg = f"The delivery ledger {str(path)!r} cannot be read: {exc.strerror or exc}."
        raise LedgerError(msg, path=str(path)) from exc


def _check_header(path: Path, header: bytes) -> None:
    """Refuse, before SQLite touches it, any file that is not an SQLite database at all."""
    if not header.startswith(_SQLITE_MAGIC):
        msg = (
            f"The file {str(path)!r} is not a trackmap delivery ledger (it is not an SQLite "
            "database); it was left untouched."
        )
        raise LedgerCorruptError(msg, path=str(path))


@contextlib.contextmanager
def _translated(path: Path) -> Iterator[None]:
    """SQLite's errors (disk full, locked for too long...) as `LedgerError`.

    So are values SQLite cannot take (text with a lone surrogate, an integer over 64 bits),
    which the sqlite3 module raises as ``UnicodeEncodeError`` / ``OverflowError``; the
    transaction they were part of is rolled back.
    """
    try:
        yield
    except sqlite3.Error as exc:
        msg = f"The delivery ledger {str(path)!r} could not be used: {_bounded(exc)}."
        raise LedgerError(msg, path=str(path)) from exc
    except (UnicodeError, OverflowError) as exc:
        msg = (
            f"The delivery ledger {str(path)!r} cannot store a value it was given "
            f"({type(exc).__name__}: {_bounded(exc)}); nothing of that write was kept."
        )
        raise LedgerError(msg, path=str(path)) from exc


@contextlib.contextmanager
def _os_errors(path: Path, doing: str) -> Iterator[None]:
    """What the operating system refuses, as a `LedgerError` naming the path.

    Permissions, a file where a folder should be, a missing folder, a NUL in the path...
    """
    try:
        yield
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        msg = f"The delivery ledger {str(path)!r} {doing}: {reason}."
        raise LedgerError(msg, path=str(path)) from exc


def _bounded(exc: BaseException, limit: int = 200) -> str:
    """An exception's text, safe to show: escaped and at most ``limit`` characters.

    Control characters and lone surrogates come out as escapes.
    """
    text = ascii(str(exc))[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock (worth waiting out)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


_canonical_tenant = canonicalises_tenant(lambda ledger: str(ledger.path))


def _process_gone(host: str, pid: int) -> bool:
    """Whether a lease holder's process is known to be dead (same host, POSIX only).

    A process killed but not yet reaped by its parent (a zombie) still answers ``kill(pid,
    0)``, yet will never run again: on Linux its state in ``/proc/<pid>/stat`` says so.
    """
    if host != socket.gethostname() or os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return _process_state(pid) in {"Z", "X", "x"}


def _process_state(pid: int) -> str:
    """The one-letter state of a process from ``/proc`` (Linux), "" when it cannot be read."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text(encoding="ascii", errors="replace")
    except (OSError, ValueError):
        return ""
    # "pid (command) S ...": the command may hold spaces and parentheses; the state follows
    # the last ")".
    fields = stat.rpartition(")")[2].split()
    return fields[0] if fields else ""


_LIVE_TOKENS: set[str] = set()
"""The leases this process holds right now, across every ledger object (see `_lapsed`)."""


class _Heartbeat:
    """Renews one held lease every ``lease_seconds / 3`` while the push runs or waits.

    A push may wait longer than the lease lasts (Xero's rate limits: a day limit, minutes of
    429s), and a lease renewed only when an intent is written would lapse meanwhile and let
    another push in. The heartbeat is a daemon thread with its own SQLite connection; it stops
    when the lease is released, and stops beating once the lease is lost. A stopped (SIGSTOP)
    or dead process stops beating too, so its lease lapses as it should.
    """

    def __init__(self, ledger: SqliteLedger, tenant_id: str, token: str) -> None:
        self._ledger = ledger
        self._tenant_id = tenant_id
        self._token = token
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"trackmap lease {tenant_id}", daemon=True
        )

    def start(self) -> None:
        if self._ledger.heartbeat_seconds > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        ledger = self._ledger
        db: sqlite3.Connection | None = None
        try:
            while not ledger.heartbeat_wait(self._stop, ledger.heartbeat_seconds):
                try:
                    # mode=rw: never create a file that is gone (a ledger deleted under a push).
                    db = db or sqlite3.connect(
                        ledger.path.resolve().as_uri() + "?mode=rw",
                        uri=True,
                        timeout=ledger.busy_timeout,
                        isolation_level=None,
                    )
                    if not ledger._beat(db, self._tenant_id, self._token):  # noqa: SLF001
                        return  # lost to another holder: nothing left to keep alive
                except sqlite3.Error:
                    continue  # a full disk or a long lock: try again at the next beat
        finally:
            if db is not None:
                db.close()


def _wait(event: threading.Event, seconds: float) -> bool:
    return event.wait(seconds)


ENTRY_COLUMNS = (
    "kind, key, xero_id, number, fingerprint, status, last_batch, messages, remote_status, revision"
)
"""The ``documents`` columns `entry_of` reads, in its order (both ledgers select them)."""


def _messages(value: object) -> tuple[str, ...]:
    """A row's messages: JSON text (SQLite) or the list a JSONB column gives (PostgreSQL)."""
    found = json.loads(value) if isinstance(value, str) else value
    if not isinstance(found, list) or not all(isinstance(m, str) for m in found):
        message = f"the messages are not a list of text: {str(value)[:80]!r}"
        raise TypeError(message)
    return tuple(found)


def entry_of(row: Sequence[object]) -> LedgerEntry:
    """The `LedgerEntry` of a ``documents`` row of `ENTRY_COLUMNS`, from either ledger.

    A value of the wrong shape raises; the ledgers read rows inside ``_row``, which turns that
    into a `LedgerCorruptError` naming the row.
    """
    kind, key, xero_id, number, fingerprint, status, batch, messages, remote, revision = row
    return LedgerEntry(
        kind=DocumentKind(kind),
        key=str(key),
        xero_id=None if xero_id is None else str(xero_id),
        number=None if number is None else str(number),
        fingerprint=str(fingerprint),
        status=DeliveryStatus(status),
        last_batch=None if batch is None else int(str(batch)),
        messages=_messages(messages),
        remote_status=None if remote is None else str(remote),
        revision=int(str(revision)),
    )


MEMBER_COLUMNS = "key, idempotency_key, fingerprint, xero_id, content, tracking, number"
"""The ``send_members`` columns `member_of` reads, in its order (both ledgers select them)."""


def member_of(row: Sequence[object]) -> SendMember:
    """The `SendMember` of a ``send_members`` row of `MEMBER_COLUMNS`, from either ledger."""
    key, idempotency_key, fingerprint, xero_id, content, tracking, number = row
    return SendMember(
        key=str(key),
        idempotency_key=str(idempotency_key),
        fingerprint=str(fingerprint),
        xero_id=None if xero_id is None else str(xero_id),
        content=str(content),
        tracking=str(tracking),
        number=str(number),
    )


def batch_document_of(batch: int, row: Sequence[object]) -> BatchDocument:
    """The `BatchDocument` of a row ``kind, key, status, xero_id, number, messages``."""
    kind, key, status, xero_id, number, messages = row
    return BatchDocument(
        batch=batch,
        kind=DocumentKind(kind),
        key=str(key),
        status=DeliveryStatus(status),
        xero_id=None if xero_id is None else str(xero_id),
        number=None if number is None else str(number),
        messages=_messages(messages),
    )


class SqliteLedger:
    """The embedded ledger: one SQLite file, WAL, schema versioned, foreign files refused.

    Args:
        path: The file; created (with its directory) when missing or empty.
        lease_seconds: How long a push's hold on a tenant lasts without renewal; a heartbeat
            renews it while the push runs or waits, so this bounds how long a holder that
            died on another machine (or stopped beating) blocks the next push.
        busy_timeout: Seconds to wait for another process's write to finish.
        clock: Gives the current time (batch dates); injectable for tests.
        wall_time: Gives seconds since the epoch (lease expiry); injectable for tests.
        sleep: Waits while a lease is busy; injectable for tests.
        heartbeat_seconds: Seconds between renewals of a held lease (default a third of
            ``lease_seconds``; 0 switches the heartbeat off).
        heartbeat_wait: Waits between beats: ``(stop_event, seconds) -> stopped``;
            injectable, so that tests drive the heartbeat on a virtual clock.

    Raises:
        LedgerCorruptError: The file is not a trackmap ledger, or it is damaged.
        LedgerError: The file was written by a newer trackmap, or cannot be opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lease_seconds: float = 60.0,
        busy_timeout: float = 30.0,
        clock: Callable[[], dt.datetime] = _now,
        wall_time: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        heartbeat_seconds: float | None = None,
        heartbeat_wait: Callable[[threading.Event, float], bool] = _wait,
    ) -> None:
        try:
            self.path = Path(path)
        except TypeError as exc:
            msg = f"A delivery ledger needs a file path, not {type(path).__name__}."
            raise LedgerError(msg) from exc
        self._lease_seconds = lease_seconds
        self.heartbeat_seconds = (
            lease_seconds / 3 if heartbeat_seconds is None else heartbeat_seconds
        )
        self.heartbeat_wait = heartbeat_wait
        self.busy_timeout = busy_timeout
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._wall_time = wall_time
        self._sleep = sleep
        self._held: dict[str, str] = {}  # tenant -> the token of the lease this object holds
        self._lock = threading.RLock()
        self._db = self._open()

    # -- opening, checking, migrating ------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        with _os_errors(self.path, "cannot be opened"):
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            if not fresh:
                _check_header(self.path, _read_header(self.path))
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                # One connection, guarded by a lock: usable from a thread other than its
                # creator's.
                db = sqlite3.connect(
                    self.path,
                    timeout=self._busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                msg = f"The delivery ledger {str(self.path)!r} cannot be opened: {exc}."
                raise LedgerError(msg, path=str(self.path)) from exc
        try:
            self._prepare(db, fresh=fresh)
        except BaseException:
            db.close()
            raise
        return db

    def _prepare(self, db: sqlite3.Connection, *, fresh: bool) -> None:
        try:
            self._set_up(db, fresh=fresh)
        except sqlite3.OperationalError as exc:
            # Locked by another process for too long, or unreadable: nothing says it is damaged.
            msg = f"The delivery ledger {str(self.path)!r} cannot be opened: {exc}."
            raise LedgerError(msg, path=str(self.path)) from exc
        except sqlite3.DatabaseError as exc:
            msg = (
                f"The delivery ledger {str(self.path)!r} is damaged ({exc}); it was left "
                "untouched. Restore it from a backup, or point trackmap at a new file."
            )
            raise LedgerCorruptError(msg, path=str(self.path)) from exc

    def _set_up(self, db: sqlite3.Connection, *, fresh: bool) -> None:
        """Check, then switch to WAL and migrate, waiting out another process doing the same.

        Every check (ownership, schema version, integrity) only reads, and all of them come
        before the first write (the switch to WAL rewrites the file's header), so that a file
        trackmap refuses is never written to.

        SQLite answers "database is locked" at once, without its busy handler, to some of the
        lock upgrades that two processes opening a new ledger together make (the switch to WAL
        among them); so a busy answer here is retried until ``busy_timeout`` runs out.
        """
        deadline = self._wall_time() + self._busy_timeout
        while True:
            try:
                if not fresh:
                    self._check_ownership(db)
                    self._check_integrity(db)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                self._migrate(db)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or self._wall_time() >= deadline:
                    raise
                self._sleep(0.02)
            else:
                return

    def _check_ownership(self, db: sqlite3.Connection) -> None:
        """Read the application id through SQLite: in WAL mode the file header may lag behind.

        An empty database with no id and no version is one whose creation was interrupted:
        nothing to lose. A version this trackmap does not know is refused here, before the
        switch to WAL could write anything.
        """
        # One read transaction: two separate reads could straddle another process's commit
        # of a new ledger's tables and id, and see its tables without its id.
        db.execute("BEGIN")
        try:
            (application_id,) = db.execute("PRAGMA application_id").fetchone()
            (version,) = db.execute("PRAGMA user_version").fetchone()
            (tables,) = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            db.execute("COMMIT")
        if application_id == APPLICATION_ID:
            self._check_version(version)
            return
        if application_id == 0 and tables == 0 and version == 0:
            return
        msg = (
            f"The file {str(self.path)!r} is not a trackmap delivery ledger (it is another "
            "application's SQLite database); it was left untouched."
        )
        raise LedgerCorruptError(msg, path=str(self.path))

    def _check_integrity(self, db: sqlite3.Connection) -> None:
        (verdict,) = db.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            msg = (
                f"The delivery ledger {str(self.path)!r} is damaged ({verdict}); it was left "
                "untouched. Restore it from a backup, or point trackmap at a new file."
            )
            raise LedgerCorruptError(msg, path=str(self.path))

    def _migrate(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            self._check_version(version)
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            msg = (
                f"The delivery ledger {str(self.path)!r} was written by a newer trackmap "
                f"(ledger version {version}; this one knows up to {SCHEMA_VERSION}); it was "
                "left untouched: upgrade trackmap to use it."
            )
            raise LedgerError(msg, path=str(self.path))

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so that writers queue instead of deadlocking."""
        with self._lock, _translated(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (disk full, I/O error): a second
                # ROLLBACK would fail and hide the first error, which is the one to report.
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _read(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run a query, turning SQLite's errors into trackmap's."""
        with self._lock, _translated(self.path):
            return self._db.execute(sql, params)

    @contextlib.contextmanager
    def _row(self, what: str) -> Iterator[None]:
        """A stored value this trackmap cannot read, as a `LedgerCorruptError` naming the row.

        Rows edited by hand or by another program would otherwise raise ``ValueError`` from
        deep inside a push.
        """
        try:
            yield
        except (ValueError, TypeError, KeyError) as exc:
            msg = (
                f"The delivery ledger {str(self.path)!r} holds a value this trackmap cannot "
                f"read in {what} ({_bounded(exc)}); nothing was changed. Correct or delete "
                "that row, or restore the file from a backup."
            )
            raise LedgerCorruptError(msg, path=str(self.path)) from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The ledger's schema version on disk."""
        (version,) = self._read("PRAGMA user_version").fetchone()
        return int(version)

    # -- leases ----------------------------------------------------------------------------

    @_canonical_tenant
    @contextlib.contextmanager
    def lease(self, tenant_id: str, *, wait: float = 0.0) -> Iterator[None]:
        """Hold the tenant for one push (each hold is its own, even within one ledger object).

        Args:
            tenant_id: The organisation.
            wait: Seconds to keep trying while another live holder has it (0: fail at once).

        Raises:
            LedgerBusyError: Another push holds the tenant (after ``wait`` seconds).
        """
        token = uuid.uuid4().hex
        deadline = self._wall_time() + wait
        while not self._try_lease(tenant_id, token):
            if self._wall_time() >= deadline:
                raise self._busy(tenant_id)
            self._sleep(min(0.5, max(deadline - self._wall_time(), 0.0)))
        self._held[tenant_id] = token
        _LIVE_TOKENS.add(token)
        heartbeat = _Heartbeat(self, tenant_id, token)
        heartbeat.start()
        try:
            yield
        except BaseException as exc:
            heartbeat.stop()
            self._release(tenant_id, token, failing=exc)
            raise
        heartbeat.stop()
        self._release(tenant_id, token, failing=None)

    def _release(self, tenant_id: str, token: str, *, failing: BaseException | None) -> None:
        """Give the tenant back.

        A release that fails (a full disk) never hides the error that ended the push, and
        never blocks this process's next push (see `_lapsed`).
        """
        del self._held[tenant_id]
        _LIVE_TOKENS.discard(token)
        try:
            with self._write() as db:
                db.execute(
                    "DELETE FROM leases WHERE tenant_id = ? AND owner = ?", (tenant_id, token)
                )
        except LedgerError as exc:
            if failing is None:
                raise
            failing.add_note(f"The lease could not be released afterwards: {exc}")

    def _beat(self, db: sqlite3.Connection, tenant_id: str, token: str) -> bool:
        """Extend a held lease from the heartbeat's own connection; False once it is lost."""
        db.execute("BEGIN IMMEDIATE")
        try:
            renewed = db.execute(
                "UPDATE leases SET expires_at = ? WHERE tenant_id = ? AND owner = ?",
                (self._wall_time() + self._lease_seconds, tenant_id, token),
            ).rowcount
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise
        return renewed == 1

    def _try_lease(self, tenant_id: str, token: str) -> bool:
        with self._write() as db:
            if not self._free(db, tenant_id, token):
                return False
            self._put_lease(db, tenant_id, token)
        return True

    def _free(self, db: sqlite3.Connection, tenant_id: str, token: str) -> bool:
        """Whether ``token`` may hold the tenant: nobody holds it, or the holder is gone."""
        row = db.execute(
            "SELECT owner, host, pid, expires_at FROM leases WHERE tenant_id = ?", (tenant_id,)
        ).fetchone()
        return row is None or row[0] == token or self._lapsed(row)

    def _lapsed(self, row: tuple[str, str, int, float]) -> bool:
        owner, host, pid, expires_at = row
        if expires_at <= self._wall_time() or _process_gone(host, pid):
            return True
        # This very process, holding no such lease any more: one whose release failed (a
        # full disk, say). Never "another push is running (process <its own pid>)".
        return host == socket.gethostname() and pid == os.getpid() and owner not in _LIVE_TOKENS

    def _put_lease(self, db: sqlite3.Connection, tenant_id: str, token: str) -> None:
        db.execute(
            "INSERT OR REPLACE INTO leases (tenant_id, owner, host, pid, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                tenant_id,
                token,
                socket.gethostname(),
                os.getpid(),
                self._wall_time() + self._lease_seconds,
            ),
        )

    def _busy(self, tenant_id: str) -> LedgerBusyError:
        row = self._read(
            "SELECT host, pid FROM leases WHERE tenant_id = ?", (tenant_id,)
        ).fetchone()
        holder = f" (process {row[1]} on {row[0]})" if row else ""
        msg = (
            f"Another push for organisation {tenant_id!r} is running{holder}; trackmap will not "
            "send the same documents twice. Try again when it has finished."
        )
        return LedgerBusyError(msg, path=str(self.path))

    def _renew(self, db: sqlite3.Connection, tenant_id: str) -> None:
        """Extend this holder's lease; refuse if it holds none or lost it to another."""
        token = self._held.get(tenant_id)
        if token is None:
            msg = (
                f"Nothing may be sent for organisation {tenant_id!r} without holding its lease "
                "(`SqliteLedger.lease`)."
            )
            raise LedgerError(msg, path=str(self.path))
        if not self._free(db, tenant_id, token):
            raise self._busy(tenant_id)
        self._put_lease(db, tenant_id, token)

    # -- batches ---------------------------------------------------------------------------

    @_canonical_tenant
    def open_batch(self, tenant_id: str, started_at: dt.datetime) -> int:
        """Open the tenant's next batch and return its number (1, 2, 3...).

        Called under the tenant's lease: a batch still open then belongs to a push whose
        process ended, and is marked interrupted.
        """
        with self._write() as db:
            db.execute(
                "UPDATE batches SET state = ?, note = ? WHERE tenant_id = ? AND state = ?",
                (BatchState.INTERRUPTED.value, _INTERRUPTED, tenant_id, BatchState.OPEN.value),
            )
            (last,) = db.execute(
                "SELECT COALESCE(MAX(number), 0) FROM batches WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
            number = int(last) + 1
            db.execute(
                "INSERT INTO batches (tenant_id, number, started_at, state) VALUES (?, ?, ?, ?)",
                (tenant_id, number, _iso(started_at), BatchState.OPEN.value),
            )
        return number

    @_canonical_tenant
    def close_batch(
        self, tenant_id: str, number: int, finished_at: dt.datetime, *, note: str = ""
    ) -> Batch:
        """Close a batch: complete, or stopped when ``note`` says why."""
        state = BatchState.STOPPED if note else BatchState.COMPLETE
        with self._write() as db:
            db.execute(
                "UPDATE batches SET finished_at = ?, state = ?, note = ? "
                "WHERE tenant_id = ? AND number = ?",
                (_iso(finished_at), state.value, note, tenant_id, number),
            )
        batch = self.batch(tenant_id, number)
        if batch is None:
            msg = f"Batch {number} of organisation {tenant_id!r} is not in the ledger."
            raise LedgerError(msg, path=str(self.path))
        return batch

    @_canonical_tenant
    def batches(self, tenant_id: str) -> tuple[Batch, ...]:
        """Return the tenant's batches, newest first."""
        rows = self._read(
            "SELECT number FROM batches WHERE tenant_id = ? ORDER BY number DESC", (tenant_id,)
        ).fetchall()
        return tuple(b for (n,) in rows if (b := self.batch(tenant_id, n)) is not None)

    @_canonical_tenant
    def batch(self, tenant_id: str, number: int) -> Batch | None:
        """Return one batch with its counts, or None."""
        row = self._read(
            "SELECT started_at, finished_at, state, note FROM batches "
            "WHERE tenant_id = ? AND number = ?",
            (tenant_id, number),
        ).fetchone()
        if row is None:
            return None
        started, finished, state, note = row
        with self._row(f"batch {number} of organisation {tenant_id!r}"):
            return Batch(
                tenant_id=tenant_id,
                number=number,
                started_at=dt.datetime.fromisoformat(started),
                finished_at=None if finished is None else dt.datetime.fromisoformat(finished),
                state=BatchState(state),
                counts=self._counts(tenant_id, number),
                note=str(note),
            )

    def _counts(self, tenant_id: str, number: int) -> BatchCounts:
        counts = BatchCounts()
        (unchanged,) = self._read(
            "SELECT unchanged FROM batches WHERE tenant_id = ? AND number = ?", (tenant_id, number)
        ).fetchone() or (0,)
        counts = counts.add(DeliveryStatus.UNCHANGED, int(unchanged))
        for status, count in self._read(
            "SELECT status, COUNT(*) FROM batch_documents WHERE tenant_id = ? AND batch = ? "
            "GROUP BY status",
            (tenant_id, number),
        ):
            with self._row(f"the documents of batch {number}"):
                counts = counts.add(DeliveryStatus(status), int(count))
        return counts

    @_canonical_tenant
    def batch_documents(self, tenant_id: str, number: int) -> Iterator[BatchDocument]:
        """Yield the documents of a batch, in kind and key order, a page at a time.

        Unchanged documents have no history row (`record_outcomes`): those whose latest batch
        this is come from their own row. An unchanged document seen again in a later batch
        is counted in this one (`Batch.counts`) but no longer listed here.
        """
        sql = (
            "SELECT kind, key, status, xero_id, number, messages FROM ("
            "SELECT kind, key, status, xero_id, number, messages FROM batch_documents "
            "WHERE tenant_id = ? AND batch = ? "
            "UNION ALL SELECT d.kind, d.key, d.status, d.xero_id, d.number, d.messages "
            "FROM documents d WHERE d.tenant_id = ? AND d.last_batch = ? AND d.status = ? "
            "AND NOT EXISTS (SELECT 1 FROM batch_documents b WHERE b.tenant_id = d.tenant_id "
            "AND b.batch = d.last_batch AND b.kind = d.kind AND b.key = d.key)) "
            "WHERE (kind, key) > (?, ?) ORDER BY kind, key LIMIT ?"
        )
        params = (tenant_id, number, tenant_id, number, DeliveryStatus.UNCHANGED.value)
        for row in self._pages(sql, params):
            with self._row(f"the {row[0]!r} document {row[1]!r} of batch {number}"):
                document = batch_document_of(number, row)
            yield document

    def _pages(self, sql: str, params: tuple[object, ...]) -> Iterator[tuple[str, ...]]:
        """Keyset paging on (kind, key): no cursor stays open across the caller's writes."""
        after = ("", "")
        while True:
            rows = self._read(sql, (*params, *after, _PAGE)).fetchall()
            yield from rows
            if len(rows) < _PAGE:
                return
            after = (rows[-1][0], rows[-1][1])

    # -- documents -------------------------------------------------------------------------

    _ENTRY_COLUMNS = ENTRY_COLUMNS

    def _entry(self, row: Sequence[object]) -> LedgerEntry:
        with self._row(f"the {row[0]!r} document {row[1]!r}"):
            return entry_of(row)

    @_canonical_tenant
    def entries_for(
        self, tenant_id: str, kind: DocumentKind, keys: Sequence[str]
    ) -> dict[str, LedgerEntry]:
        """Return the entries of these documents that the ledger has, by key."""
        found: dict[str, LedgerEntry] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _PAGE):
            part = unique[start : start + _PAGE]
            marks = ", ".join("?" * len(part))
            rows = self._read(
                f"SELECT {self._ENTRY_COLUMNS} FROM documents "  # noqa: S608 - marks are "?"s
                f"WHERE tenant_id = ? AND kind = ? AND key IN ({marks})",
                (tenant_id, kind.value, *part),
            ).fetchall()
            found.update((str(row[1]), self._entry(row)) for row in rows)
        return found

    @_canonical_tenant
    def entries(self, tenant_id: str, kind: DocumentKind | None = None) -> Iterator[LedgerEntry]:
        """Yield the tenant's documents (of one kind, if given), in kind and key order."""
        only_kind = "" if kind is None else "AND kind = ? "
        params: tuple[object, ...] = (tenant_id,) if kind is None else (tenant_id, kind.value)
        sql = (
            f"SELECT {self._ENTRY_COLUMNS} FROM documents "  # noqa: S608 - fixed text only
            f"WHERE tenant_id = ? {only_kind}AND (kind, key) > (?, ?) ORDER BY kind, key LIMIT ?"
        )
        for row in self._pages(sql, params):
            yield self._entry(row)

    # -- intents and outcomes --------------------------------------------------------------

    @_canonical_tenant
    def abandon(self, tenant_id: str, send_id: str) -> SendIntent:
        """Forget an in-doubt send, once a person has checked Xero for its documents.

        A push never re-sends part of an in-doubt request (another key could create its
        documents twice), so a request whose documents the host no longer has stays in doubt.
        After checking in Xero which of them exist, a person may abandon it: its documents are
        then sent like new ones by the next push (delete from Xero any that already exist).

        Raises:
            LedgerError: No such send is in doubt.
        """
        intent = next((i for i in self.in_doubt(tenant_id) if i.send_id == send_id), None)
        if intent is None:
            msg = f"No request {send_id!r} of organisation {tenant_id!r} is in doubt."
            raise LedgerError(msg, path=str(self.path))
        with self._write() as db:
            db.execute(
                "DELETE FROM send_members WHERE tenant_id = ? AND send_id = ?",
                (tenant_id, send_id),
            )
            db.execute(
                "DELETE FROM sends WHERE tenant_id = ? AND send_id = ?", (tenant_id, send_id)
            )
        return intent

    @_canonical_tenant
    def in_doubt(self, tenant_id: str) -> tuple[SendIntent, ...]:
        """Return the sends whose intent was written but whose outcome never was."""
        sends = self._read(
            "SELECT send_id, batch, kind, written_at FROM sends WHERE tenant_id = ? ORDER BY rowid",
            (tenant_id,),
        ).fetchall()
        intents = []
        for send_id, batch, kind, written in sends:
            with self._row(f"the in-doubt request {send_id!r}"):
                intents.append(
                    SendIntent(
                        send_id=str(send_id),
                        batch=int(batch),
                        kind=DocumentKind(kind),
                        members=self._members(tenant_id, send_id),
                        written_at=None if written is None else dt.datetime.fromisoformat(written),
                    )
                )
        return tuple(intents)

    def _members(self, tenant_id: str, send_id: str) -> tuple[SendMember, ...]:
        rows = self._read(
            f"SELECT {MEMBER_COLUMNS} "  # noqa: S608 - a constant column list
            "FROM send_members WHERE tenant_id = ? AND send_id = ? ORDER BY position",
            (tenant_id, send_id),
        ).fetchall()
        return tuple(map(member_of, rows))

    @_canonical_tenant
    def record_intent(self, tenant_id: str, intent: SendIntent) -> None:
        """Record a send before its request goes out; the members show as pending meanwhile.

        Raises:
            LedgerBusyError: This pusher's lease on the tenant was lost to another one.
        """
        with self._write() as db:
            self._renew(db, tenant_id)
            db.execute(
                "INSERT INTO sends (tenant_id, send_id, batch, kind, written_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    tenant_id,
                    intent.send_id,
                    intent.batch,
                    intent.kind.value,
                    _iso(intent.written_at),
                ),
            )
            db.executemany(
                "INSERT INTO send_members (tenant_id, send_id, position, key, idempotency_key, "
                "fingerprint, xero_id, content, tracking, number) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        tenant_id,
                        intent.send_id,
                        i,
                        m.key,
                        m.idempotency_key,
                        m.fingerprint,
                        m.xero_id,
                        m.content,
                        m.tracking,
                        m.number,
                    )
                    for i, m in enumerate(intent.members)
                ],
            )
            self._put_batch_documents(
                db,
                tenant_id,
                intent.batch,
                [
                    SendOutcome(
                        kind=intent.kind,
                        key=m.key,
                        status=DeliveryStatus.PENDING,
                        messages=("Sent to Xero; waiting for the answer.",),
                        xero_id=m.xero_id,
                    )
                    for m in intent.members
                ],
            )

    @_canonical_tenant
    def record_outcomes(
        self,
        tenant_id: str,
        batch: int,
        outcomes: Sequence[SendOutcome],
        *,
        send_id: str | None = None,
        settled: Sequence[str] | None = None,
    ) -> None:
        """Record outcomes in one transaction, settling the send ``send_id`` if given.

        With ``settled``, only those members (by key) of the send are settled; the send stays
        in doubt while any member is left.
        """
        with self._write() as db:
            # Batched statements; a document named twice in one call is taken in order.
            distinct = len({(o.kind, o.key) for o in outcomes}) == len(outcomes)
            for part in [outcomes] if distinct else [[o] for o in outcomes]:
                self._put_documents(db, tenant_id, batch, part)
                unchanged = [o for o in part if o.status is DeliveryStatus.UNCHANGED]
                self._count_unchanged(db, tenant_id, batch, unchanged)
                self._put_batch_documents(
                    db,
                    tenant_id,
                    batch,
                    [o for o in part if o.status is not DeliveryStatus.UNCHANGED],
                )
            if send_id is not None:
                self._settle_send(db, tenant_id, send_id, settled)

    @staticmethod
    def _count_unchanged(
        db: sqlite3.Connection, tenant_id: str, batch: int, outcomes: Sequence[SendOutcome]
    ) -> None:
        """Count unchanged documents in their batch: no history row of their own.

        A document that already has a row in this batch (it was sent earlier in the same
        push) keeps it, updated as before; only the others are counted.
        """
        if not outcomes:
            return
        latest = {(o.kind.value, o.key): o for o in outcomes}
        cursor = db.executemany(
            "UPDATE batch_documents SET status = ?, messages = ? "
            "WHERE tenant_id = ? AND batch = ? AND kind = ? AND key = ?",
            [
                (o.status.value, json.dumps(o.messages), tenant_id, batch, kind, key)
                for (kind, key), o in latest.items()
            ],
        )
        counted = len(latest) - max(0, cursor.rowcount)
        db.execute(
            "UPDATE batches SET unchanged = unchanged + ? WHERE tenant_id = ? AND number = ?",
            (counted, tenant_id, batch),
        )

    @staticmethod
    def _settle_send(
        db: sqlite3.Connection, tenant_id: str, send_id: str, settled: Sequence[str] | None
    ) -> None:
        if settled is None:
            db.execute(
                "DELETE FROM send_members WHERE tenant_id = ? AND send_id = ?",
                (tenant_id, send_id),
            )
        else:
            db.executemany(
                "DELETE FROM send_members WHERE tenant_id = ? AND send_id = ? AND key = ?",
                [(tenant_id, send_id, key) for key in settled],
            )
        db.execute(
            "DELETE FROM sends WHERE tenant_id = ? AND send_id = ? AND NOT EXISTS ("
            "SELECT 1 FROM send_members m WHERE m.tenant_id = sends.tenant_id "
            "AND m.send_id = sends.send_id)",
            (tenant_id, send_id),
        )

    @_canonical_tenant
    def known_ids(
        self, tenant_id: str, kind: DocumentKind, xero_ids: Sequence[str]
    ) -> frozenset[str]:
        """Return those of ``xero_ids`` that the ledger already holds for a document."""
        found: set[str] = set()
        unique = list(dict.fromkeys(xero_ids))
        for start in range(0, len(unique), _PAGE):
            part = unique[start : start + _PAGE]
            marks = ", ".join("?" * len(part))
            rows = self._read(
                f"SELECT xero_id FROM documents "  # noqa: S608 - marks are "?"s
                f"WHERE tenant_id = ? AND kind = ? AND xero_id IN ({marks})",
                (tenant_id, kind.value, *part),
            ).fetchall()
            found.update(str(row[0]) for row in rows)
        return frozenset(found)

    @staticmethod
    def _put_documents(
        db: sqlite3.Connection, tenant_id: str, batch: int, outcomes: Sequence[SendOutcome]
    ) -> None:
        """Upsert the documents' rows: one statement for all, in this one transaction."""
        db.executemany(
            "INSERT INTO documents (tenant_id, kind, key, xero_id, number, fingerprint, status, "
            "last_batch, messages, revision, remote_status) "
            "VALUES (?, ?, ?, ?, ?, COALESCE(?, ''), ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, kind, key) DO UPDATE SET "
            "xero_id = COALESCE(excluded.xero_id, xero_id), "
            "number = COALESCE(excluded.number, number), "
            "fingerprint = COALESCE(?, fingerprint), status = excluded.status, "
            "last_batch = excluded.last_batch, messages = excluded.messages, "
            "revision = revision + ?, "
            "remote_status = COALESCE(excluded.remote_status, remote_status)",
            [
                (
                    tenant_id,
                    o.kind.value,
                    o.key,
                    o.xero_id,
                    o.number,
                    o.fingerprint,
                    o.status.value,
                    batch,
                    json.dumps(o.messages),
                    int(o.answered),
                    o.remote_status,
                    o.fingerprint,
                    int(o.answered),
                )
                for o in outcomes
            ],
        )

    @staticmethod
    def _put_batch_documents(
        db: sqlite3.Connection, tenant_id: str, batch: int, outcomes: Iterable[SendOutcome]
    ) -> None:
        db.executemany(
            "INSERT INTO batch_documents (tenant_id, batch, kind, key, status, xero_id, number, "
            "messages) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, batch, kind, key) DO UPDATE SET "
            "status = excluded.status, xero_id = COALESCE(excluded.xero_id, xero_id), "
            "number = COALESCE(excluded.number, number), messages = excluded.messages",
            [
                (
                    tenant_id,
                    batch,
                    o.kind.value,
                    o.key,
                    o.status.value,
                    o.xero_id,
                    o.number,
                    json.dumps(o.messages),
                )
                for o in outcomes
            ],
        )

    @_canonical_tenant
    def record_remote_statuses(
        self, tenant_id: str, statuses: Sequence[tuple[DocumentKind, str, str | None]]
    ) -> None:
        """Store Xero's current status of documents: (kind, key, status, None if not found)."""
        with self._write() as db:
            db.executemany(
                "UPDATE documents SET remote_status = ? "
                "WHERE tenant_id = ? AND kind = ? AND key = ?",
                [(status, tenant_id, kind.value, key) for kind, key, status in statuses],
            )

    @_canonical_tenant
    def entries_by_xero_id(self, tenant_id: str, xero_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        """Return the tenant's entries holding these Xero ids, keyed by the id in lower case.

        Xero writes its ids in lower case, the ledger keeps them as the target answered: both
        sides are compared in lower case. Ids the ledger does not hold are left out (documents
        trackmap did not send). One query per 500 ids.
        """
        found: dict[str, LedgerEntry] = {}
        unique = list(dict.fromkeys(i.lower() for i in xero_ids))
        for start in range(0, len(unique), _PAGE):
            part = unique[start : start + _PAGE]
            marks = ", ".join("?" * len(part))
            rows = self._read(
                f"SELECT {self._ENTRY_COLUMNS} FROM documents "  # noqa: S608 - marks are "?"s
                f"WHERE tenant_id = ? AND xero_id IS NOT NULL AND lower(xero_id) IN ({marks})",
                (tenant_id, *part),
            ).fetchall()
            found.update((str(row[2]).lower(), self._entry(row)) for row in rows)
        return found
