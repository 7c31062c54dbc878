"""`PostgresLedger`: the delivery ledger in PostgreSQL, for many workers on many machines.

It keeps the `trackmap.protocols.Ledger` promises of `SqliteLedger`
(tests/ledger_contract.py states them once, for every ledger):

1. An intent is committed before its request goes out, durably (``synchronous_commit`` is
   forced on for that transaction, whatever the server's setting: a crash must never lose an
   intent whose request went out); the outcomes and the deletion of the intent are one
   transaction.
2. A tenant's lease is a session-level ADVISORY LOCK, held by one connection taken from the
   pool for the whole push. Two sessions cannot both hold it, whichever machine they run on.
   Why advisory locks and not row locks: a row lock lives in a transaction, and holding a
   transaction open for a whole push keeps vacuum back and trips idle-in-transaction timeouts;
   a session lock needs no open transaction. And when a worker dies (SIGKILL, a lost machine),
   its session ends and PostgreSQL drops the lock with it: no expiry to wait out, no process id
   to probe. (A machine that vanishes without closing its socket is noticed by TCP keepalives:
   pass ``keepalives_idle`` and friends in the conninfo.) Every write of a tenant under lease
   goes through that same connection, so a push whose session was lost (a restarted server, a
   terminated backend) cannot record an intent, and so cannot send.
3. Its own schema version, in a ``meta`` table of the schema the host chooses (default
   ``trackmap``), with forward migrations (`MIGRATIONS`: a list of SQL steps; step ``n`` takes
   version ``n - 1`` to ``n``), applied in one transaction under an advisory lock so that
   workers starting together migrate once. A schema holding tables that are not a trackmap
   ledger, or a ledger of a newer version, is refused before anything is written.
4. Tenant ids are canonical (`canonical_tenant_id`: trimmed, lower-case) in every public
   method, as in `SqliteLedger`, so rows and lease keys never depend on a host's spelling.

Unlike `SqliteLedger`'s leases, an advisory lock needs no heartbeat: it has no expiry, it lasts
as long as its session, and the session of a dead worker ends with it.

Requires the ``postgres`` extra: ``pip install 'trackmap[postgres]'`` (psycopg 3 and
psycopg_pool).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Self

import attrs
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from trackmap._engine._document import DocumentKind
from trackmap._sync._batch import Batch, BatchCounts, BatchDocument, BatchState
from trackmap._sync._ledger import (
    ENTRY_COLUMNS,
    MEMBER_COLUMNS,
    LedgerEntry,
    SendIntent,
    SendMember,
    SendOutcome,
    batch_document_of,
    entry_of,
    member_of,
)
from trackmap._sync._target import DeliveryStatus
from trackmap._sync._tenant import canonicalises_tenant
from trackmap.errors import LedgerBusyError, LedgerCorruptError, LedgerError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresLedger"]

_APPLICATION = "trackmap ledger"
_INTERRUPTED = "The push ended before it finished (the process stopped); the next batch resumed it."
_PAGE = 500

MIGRATIONS: tuple[str, ...] = (
    # 1: the ledger as SqliteLedger's version 2 has it.
    """
    CREATE TABLE {schema}.meta (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE {schema}.batches (
        tenant_id text NOT NULL, number integer NOT NULL, started_at timestamptz NOT NULL,
        finished_at timestamptz, state text NOT NULL, note text NOT NULL DEFAULT '',
        PRIMARY KEY (tenant_id, number));
    CREATE TABLE {schema}.documents (
        tenant_id text NOT NULL, kind text NOT NULL, key text NOT NULL, xero_id text,
        number text, fingerprint text NOT NULL DEFAULT '', status text NOT NULL,
        last_batch integer, messages jsonb NOT NULL DEFAULT '[]',
        revision integer NOT NULL DEFAULT 0, remote_status text,
        PRIMARY KEY (tenant_id, kind, key));
    CREATE TABLE {schema}.batch_documents (
        tenant_id text NOT NULL, batch integer NOT NULL, kind text NOT NULL,
        key text NOT NULL, status text NOT NULL, xero_id text, number text,
        messages jsonb NOT NULL DEFAULT '[]',
        PRIMARY KEY (tenant_id, batch, kind, key));
    CREATE TABLE {schema}.sends (
        tenant_id text NOT NULL, send_id text NOT NULL, seq bigserial NOT NULL,
        batch integer NOT NULL, kind text NOT NULL, PRIMARY KEY (tenant_id, send_id));
    CREATE TABLE {schema}.send_members (
        tenant_id text NOT NULL, send_id text NOT NULL, position integer NOT NULL,
        key text NOT NULL, idempotency_key text NOT NULL, fingerprint text NOT NULL,
        xero_id text, PRIMARY KEY (tenant_id, send_id, position));
    CREATE TABLE {schema}.leases (
        tenant_id text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL,
        backend integer NOT NULL, since timestamptz NOT NULL);
    INSERT INTO {schema}.meta (key, value) VALUES ('application', 'trackmap ledger');
    INSERT INTO {schema}.meta (key, value) VALUES ('schema_version', '0');
    """,
    # 2: settlement without Xero's memory of keys, as SqliteLedger's version 3: when an intent
    # was written, and per member the digests of the content and of the tracking sent.
    # Indexes for `known_ids` and `entries_by_xero_id` (webhooks look ids up at every event).
    """
    ALTER TABLE {schema}.sends ADD COLUMN written_at timestamptz;
    ALTER TABLE {schema}.send_members ADD COLUMN content text NOT NULL DEFAULT '';
    ALTER TABLE {schema}.send_members ADD COLUMN tracking text NOT NULL DEFAULT '';
    CREATE INDEX documents_by_xero_id ON {schema}.documents (tenant_id, kind, xero_id)
        WHERE xero_id IS NOT NULL;
    CREATE INDEX documents_by_lower_xero_id ON {schema}.documents (tenant_id, lower(xero_id))
        WHERE xero_id IS NOT NULL;
    """,
    # 3: settlement by number, as SqliteLedger's version 4: the number a member's body set,
    # where Xero keeps numbers unique (the in-doubt member is looked up by it).
    """
    ALTER TABLE {schema}.send_members ADD COLUMN number text NOT NULL DEFAULT '';
    """,
)
"""The forward migrations, in order: ``MIGRATIONS[n - 1]`` takes version ``n - 1`` to ``n``.

A new column is one more step (``ALTER TABLE {schema}.documents ADD COLUMN ...``); ``{schema}``
is replaced by the host's schema, quoted.
"""

SCHEMA_VERSION = len(MIGRATIONS)
"""The ledger schema this trackmap writes."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key (PostgreSQL's key space is one per database)."""
    digest = hashlib.sha256("\x1f".join(("trackmap", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_canonical_tenant = canonicalises_tenant(lambda ledger: str(ledger.schema))


@attrs.define
class _Hold:
    """One lease: the connection whose session holds the advisory lock, and its guard."""

    connection: psycopg.Connection[Any]
    key: int
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    lost: bool = False


class PostgresLedger:
    """The ledger in PostgreSQL: tables in a schema the host chooses, leases as advisory locks.

    Args:
        connection: A ``psycopg_pool.ConnectionPool`` (the host's; left open by `close`) or a
            conninfo string (``postgresql://user@host/db``; the ledger opens its own pool).
        schema: The PostgreSQL schema holding the ledger's tables (created when missing).
        pool_size: Connections of the ledger's own pool (each held lease keeps one).
        clock: Gives the current time (batch dates); injectable for tests.
        sleep: Waits while a lease is busy; injectable for tests.
        wall_time: Seconds, for lease waits; injectable for tests.

    Raises:
        LedgerCorruptError: The schema holds tables that are not a trackmap ledger.
        LedgerError: The ledger was written by a newer trackmap, or the server cannot be used.
    """

    def __init__(
        self,
        connection: str | ConnectionPool[Any],
        *,
        schema: str = "trackmap",
        pool_size: int = 4,
        clock: Callable[[], dt.datetime] = _now,
        sleep: Callable[[float], None] = time.sleep,
        wall_time: Callable[[], float] = time.monotonic,
    ) -> None:
        self.schema = schema
        self._clock = clock
        self._sleep = sleep
        self._wall_time = wall_time
        self._held: dict[str, _Hold] = {}
        self._own_pool = isinstance(connection, str)
        if isinstance(connection, str):
            self._pool: ConnectionPool[Any] = ConnectionPool(
                connection,
                min_size=1,
                max_size=max(2, pool_size),
                kwargs={"autocommit": True},
                # A connection broken by a server restart is replaced, not handed out.
                check=ConnectionPool.check_connection,
                open=False,
                timeout=10.0,
            )
            with self._translated():
                self._pool.open(wait=True, timeout=10.0)
        else:
            self._pool = connection
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    # -- plumbing --------------------------------------------------------------------------

    def _q(self, text: str) -> sql.Composed:
        """A statement with ``{schema}`` replaced by the quoted schema name."""
        return sql.SQL(text).format(schema=sql.Identifier(self.schema))

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """The errors of psycopg and of its pool as `LedgerError`."""
        try:
            yield
        except (psycopg.Error, OSError) as exc:
            msg = (
                f"The delivery ledger (PostgreSQL schema {self.schema!r}) could not be used: {exc}"
            )
            raise LedgerError(msg, path=self.schema) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg_pool"):
                msg = (
                    f"The delivery ledger (PostgreSQL schema {self.schema!r}) could not get a "
                    f"connection: {exc}"
                )
                raise LedgerError(msg, path=self.schema) from exc
            raise

    @contextlib.contextmanager
    def _write(self, tenant_id: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        """One transaction; for a tenant this object holds, on the lease's own connection."""
        hold = self._held.get(tenant_id) if tenant_id is not None else None
        if hold is not None:
            with (
                hold.lock,
                self._lease_translated(tenant_id or "", hold),
                hold.connection.transaction(),
            ):
                yield hold.connection
            return
        with self._translated(), self._pool.connection() as conn, conn.transaction():
            yield conn

    @contextlib.contextmanager
    def _lease_translated(self, tenant_id: str, hold: _Hold) -> Iterator[None]:
        try:
            yield
        except psycopg.OperationalError as exc:
            if not hold.connection.closed and not hold.connection.broken:
                raise LedgerError(str(exc), path=self.schema) from exc
            hold.lost = True
            msg = (
                f"The connection holding the lease on organisation {tenant_id!r} was lost "
                f"({exc}); another push may hold it now, so nothing more is sent by this one."
            )
            raise LedgerBusyError(msg, path=self.schema) from exc
        except psycopg.Error as exc:
            msg = (
                f"The delivery ledger (PostgreSQL schema {self.schema!r}) could not be used: {exc}"
            )
            raise LedgerError(msg, path=self.schema) from exc

    def _rows(self, query: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._translated(), self._pool.connection() as conn:
            rows: list[tuple[Any, ...]] = conn.execute(self._q(query), params).fetchall()
            return rows

    @contextlib.contextmanager
    def _row(self, what: str) -> Iterator[None]:
        """A stored value this trackmap cannot read, as a `LedgerCorruptError` naming the row."""
        try:
            yield
        except (ValueError, TypeError, KeyError) as exc:
            reason = ascii(str(exc))[1:-1][:200]
            msg = (
                f"The delivery ledger (PostgreSQL schema {self.schema!r}) holds a value this "
                f"trackmap cannot read in {what} ({reason}); nothing was changed. Correct or "
                "delete that row, or restore the schema from a backup."
            )
            raise LedgerCorruptError(msg, path=self.schema) from exc

    def close(self) -> None:
        """Release held leases' connections, and close the pool if the ledger opened it."""
        for hold in list(self._held.values()):
            with contextlib.suppress(Exception):
                self._pool.putconn(hold.connection)
        self._held.clear()
        if self._own_pool:
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- opening, checking, migrating ------------------------------------------------------

    def _migrate(self) -> None:
        with self._write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("migrate", self.schema),))
            version = self._version_found(conn)
            if version == SCHEMA_VERSION:
                return
            conn.execute(self._q("CREATE SCHEMA IF NOT EXISTS {schema}"))
            for step in MIGRATIONS[version:]:
                conn.execute(self._q(step))
            conn.execute(
                self._q("UPDATE {schema}.meta SET value = %s WHERE key = 'schema_version'"),
                (str(SCHEMA_VERSION),),
            )

    def _version_found(self, conn: psycopg.Connection[Any]) -> int:
        """The version in the schema (0 when absent or empty); refuse foreign or newer ones."""
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (self.schema,),
            )
        }
        if not tables:
            return 0
        meta: dict[str, str] = {}
        if "meta" in tables:
            with contextlib.suppress(psycopg.Error), conn.transaction():
                meta = dict(
                    conn.execute(self._q("SELECT key, value FROM {schema}.meta")).fetchall()
                )
        if meta.get("application") != _APPLICATION or not meta.get("schema_version", "").isdigit():
            msg = (
                f"The PostgreSQL schema {self.schema!r} holds tables that are not a trackmap "
                "delivery ledger; it was left untouched. Choose another schema for the ledger."
            )
            raise LedgerCorruptError(msg, path=self.schema)
        version = int(meta["schema_version"])
        if version > SCHEMA_VERSION:
            msg = (
                f"The delivery ledger in PostgreSQL schema {self.schema!r} was written by a "
                f"newer trackmap (ledger version {version}; this one knows up to "
                f"{SCHEMA_VERSION}); upgrade trackmap to use it."
            )
            raise LedgerError(msg, path=self.schema)
        return version

    @property
    def schema_version(self) -> int:
        """The ledger's schema version in the database."""
        ((value,),) = self._rows("SELECT value FROM {schema}.meta WHERE key = 'schema_version'")
        return int(value)

    # -- leases ----------------------------------------------------------------------------

    @_canonical_tenant
    @contextlib.contextmanager
    def lease(self, tenant_id: str, *, wait: float = 0.0) -> Iterator[None]:
        """Hold the tenant for one push: an advisory lock on a connection kept for the push.

        Args:
            tenant_id: The organisation.
            wait: Seconds to keep trying while another session holds it (0: fail at once).

        Raises:
            LedgerBusyError: Another push holds the tenant (after ``wait`` seconds).
        """
        if tenant_id in self._held:
            raise self._busy(tenant_id)
        hold = self._take(tenant_id, wait)
        self._held[tenant_id] = hold
        try:
            yield
        finally:
            del self._held[tenant_id]
            self._give_back(tenant_id, hold)

    def _take(self, tenant_id: str, wait: float) -> _Hold:
        key = _lock_key("lease", self.schema, tenant_id)
        deadline = self._wall_time() + wait
        with self._translated():
            conn = self._pool.getconn()
        try:
            while not self._try_lock(conn, tenant_id, key):
                if self._wall_time() >= deadline:
                    break
                self._sleep(min(0.1, max(deadline - self._wall_time(), 0.0)))
            else:
                return _Hold(connection=conn, key=key)
        except BaseException:
            self._pool.putconn(conn)
            raise
        self._pool.putconn(conn)
        raise self._busy(tenant_id)

    def _try_lock(self, conn: psycopg.Connection[Any], tenant_id: str, key: int) -> bool:
        with self._translated(), conn.transaction():
            ((got,),) = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchall()
            if got:
                conn.execute(
                    self._q(
                        "INSERT INTO {schema}.leases (tenant_id, host, pid, backend, since) "
                        "VALUES (%s, %s, %s, pg_backend_pid(), now()) ON CONFLICT (tenant_id) "
                        "DO UPDATE SET host = excluded.host, pid = excluded.pid, "
                        "backend = excluded.backend, since = excluded.since"
                    ),
                    (tenant_id, socket.gethostname(), os.getpid()),
                )
        return bool(got)

    def _give_back(self, tenant_id: str, hold: _Hold) -> None:
        try:
            with hold.lock, hold.connection.transaction():
                hold.connection.execute(
                    self._q(
                        "DELETE FROM {schema}.leases WHERE tenant_id = %s "
                        "AND backend = pg_backend_pid()"
                    ),
                    (tenant_id,),
                )
                hold.connection.execute("SELECT pg_advisory_unlock(%s)", (hold.key,))
        except psycopg.Error:
            # The session is gone, and its lock with it; the pool discards a broken connection.
            hold.lost = True
        self._pool.putconn(hold.connection)

    def _busy(self, tenant_id: str) -> LedgerBusyError:
        rows = self._rows(
            "SELECT host, pid FROM {schema}.leases WHERE tenant_id = %s", (tenant_id,)
        )
        holder = f" (process {rows[0][1]} on {rows[0][0]})" if rows else ""
        msg = (
            f"Another push for organisation {tenant_id!r} is running{holder}; trackmap will not "
            "send the same documents twice. Try again when it has finished."
        )
        return LedgerBusyError(msg, path=self.schema)

    def _unheld(self, tenant_id: str) -> LedgerError:
        msg = (
            f"Nothing may be sent for organisation {tenant_id!r} without holding its lease "
            "(`PostgresLedger.lease`)."
        )
        return LedgerError(msg, path=self.schema)

    def _check_held(self, conn: psycopg.Connection[Any], hold: _Hold, tenant_id: str) -> None:
        """Prove, in the intent's transaction, that this session still holds the lock."""
        # A bigint advisory key shows in pg_locks as classid (high half) and objid (low half).
        ((held,),) = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid() AND objsubid = 1 "
            "AND classid::bigint = %s AND objid::bigint = %s",
            ((hold.key >> 32) & 0xFFFFFFFF, hold.key & 0xFFFFFFFF),
        ).fetchall()
        if not held:
            raise self._busy(tenant_id)

    # -- batches ---------------------------------------------------------------------------

    @_canonical_tenant
    def open_batch(self, tenant_id: str, started_at: dt.datetime) -> int:
        """Open the tenant's next batch; a batch still open belonged to a push that died."""
        with self._write(tenant_id) as conn:
            conn.execute(
                self._q(
                    "UPDATE {schema}.batches SET state = %s, note = %s "
                    "WHERE tenant_id = %s AND state = %s"
                ),
                (BatchState.INTERRUPTED.value, _INTERRUPTED, tenant_id, BatchState.OPEN.value),
            )
            ((number,),) = conn.execute(
                self._q(
                    "INSERT INTO {schema}.batches (tenant_id, number, started_at, state) "
                    "SELECT %s, COALESCE(MAX(number), 0) + 1, %s, %s FROM {schema}.batches "
                    "WHERE tenant_id = %s RETURNING number"
                ),
                (tenant_id, started_at, BatchState.OPEN.value, tenant_id),
            ).fetchall()
        return int(number)

    @_canonical_tenant
    def close_batch(
        self, tenant_id: str, number: int, finished_at: dt.datetime, *, note: str = ""
    ) -> Batch:
        """Close a batch: complete, or stopped when ``note`` says why."""
        state = BatchState.STOPPED if note else BatchState.COMPLETE
        with self._write(tenant_id) as conn:
            conn.execute(
                self._q(
                    "UPDATE {schema}.batches SET finished_at = %s, state = %s, note = %s "
                    "WHERE tenant_id = %s AND number = %s"
                ),
                (finished_at, state.value, note, tenant_id, number),
            )
        batch = self.batch(tenant_id, number)
        if batch is None:
            msg = f"Batch {number} of organisation {tenant_id!r} is not in the ledger."
            raise LedgerError(msg, path=self.schema)
        return batch

    @_canonical_tenant
    def batches(self, tenant_id: str) -> tuple[Batch, ...]:
        """Return the tenant's batches, newest first."""
        rows = self._rows(
            "SELECT number FROM {schema}.batches WHERE tenant_id = %s ORDER BY number DESC",
            (tenant_id,),
        )
        return tuple(b for (n,) in rows if (b := self.batch(tenant_id, n)) is not None)

    @_canonical_tenant
    def batch(self, tenant_id: str, number: int) -> Batch | None:
        """Return one batch with its counts, or None."""
        rows = self._rows(
            "SELECT started_at, finished_at, state, note FROM {schema}.batches "
            "WHERE tenant_id = %s AND number = %s",
            (tenant_id, number),
        )
        if not rows:
            return None
        ((started, finished, state, note),) = rows
        counts = BatchCounts()
        for status, count in self._rows(
            "SELECT status, COUNT(*) FROM {schema}.batch_documents "
            "WHERE tenant_id = %s AND batch = %s GROUP BY status",
            (tenant_id, number),
        ):
            with self._row(f"the documents of batch {number}"):
                counts = counts.add(DeliveryStatus(status), int(count))
        with self._row(f"batch {number} of organisation {tenant_id!r}"):
            return Batch(
                tenant_id=tenant_id,
                number=number,
                started_at=started,
                finished_at=finished,
                state=BatchState(state),
                counts=counts,
                note=note,
            )

    @_canonical_tenant
    def batch_documents(self, tenant_id: str, number: int) -> Iterator[BatchDocument]:
        """Yield the documents of a batch, in kind and key order, a page at a time."""
        query = (
            "SELECT kind, key, status, xero_id, number, messages FROM {schema}.batch_documents "
            "WHERE tenant_id = %s AND batch = %s AND (kind, key) > (%s, %s) "
            "ORDER BY kind, key LIMIT %s"
        )
        for row in self._pages(query, (tenant_id, number)):
            with self._row(f"the {row[0]!r} document {row[1]!r} of batch {number}"):
                document = batch_document_of(number, row)
            yield document

    def _pages(self, query: str, params: tuple[object, ...]) -> Iterator[tuple[Any, ...]]:
        """Keyset paging on (kind, key): no cursor stays open across the caller's writes."""
        after: tuple[str, str] = ("", "")
        while True:
            rows = self._rows(query, (*params, *after, _PAGE))
            yield from rows
            if len(rows) < _PAGE:
                return
            after = (rows[-1][0], rows[-1][1])

    # -- documents -------------------------------------------------------------------------

    _ENTRY_COLUMNS = ENTRY_COLUMNS

    def _entry(self, row: Sequence[Any]) -> LedgerEntry:
        with self._row(f"the {row[0]!r} document {row[1]!r}"):
            return entry_of(row)

    @_canonical_tenant
    def entries_for(
        self, tenant_id: str, kind: DocumentKind, keys: Sequence[str]
    ) -> dict[str, LedgerEntry]:
        """Return the entries of these documents that the ledger has, by key."""
        rows = self._rows(
            f"SELECT {self._ENTRY_COLUMNS} FROM {{schema}}.documents "  # noqa: S608 - fixed text
            "WHERE tenant_id = %s AND kind = %s AND key = ANY(%s)",
            (tenant_id, kind.value, list(dict.fromkeys(keys))),
        )
        return {row[1]: self._entry(row) for row in rows}

    @_canonical_tenant
    def entries(self, tenant_id: str, kind: DocumentKind | None = None) -> Iterator[LedgerEntry]:
        """Yield the tenant's documents (of one kind, if given), in kind and key order."""
        only_kind = "" if kind is None else "AND kind = %s "
        params: tuple[object, ...] = (tenant_id,) if kind is None else (tenant_id, kind.value)
        query = (
            f"SELECT {self._ENTRY_COLUMNS} FROM {{schema}}.documents "  # noqa: S608 - fixed text
            f"WHERE tenant_id = %s {only_kind}AND (kind, key) > (%s, %s) "
            "ORDER BY kind, key LIMIT %s"
        )
        for row in self._pages(query, params):
            yield self._entry(row)

    # -- intents and outcomes --------------------------------------------------------------

    @_canonical_tenant
    def in_doubt(self, tenant_id: str) -> tuple[SendIntent, ...]:
        """Return the sends whose intent was written but whose outcome never was."""
        sends = self._rows(
            "SELECT send_id, batch, kind, written_at FROM {schema}.sends "
            "WHERE tenant_id = %s ORDER BY seq",
            (tenant_id,),
        )
        intents = []
        for send_id, batch, kind, written in sends:
            with self._row(f"the in-doubt request {send_id!r}"):
                intents.append(
                    SendIntent(
                        send_id=send_id,
                        batch=batch,
                        kind=DocumentKind(kind),
                        members=self._members(tenant_id, send_id),
                        written_at=written,
                    )
                )
        return tuple(intents)

    def _members(self, tenant_id: str, send_id: str) -> tuple[SendMember, ...]:
        rows = self._rows(
            f"SELECT {MEMBER_COLUMNS} "  # noqa: S608 - a constant column list
            "FROM {schema}.send_members WHERE tenant_id = %s AND send_id = %s ORDER BY position",
            (tenant_id, send_id),
        )
        return tuple(map(member_of, rows))

    @_canonical_tenant
    def abandon(self, tenant_id: str, send_id: str) -> SendIntent:
        """Forget an in-doubt send, once a person has checked Xero (see `SqliteLedger.abandon`).

        Raises:
            LedgerError: No such send is in doubt.
        """
        intent = next((i for i in self.in_doubt(tenant_id) if i.send_id == send_id), None)
        if intent is None:
            msg = f"No request {send_id!r} of organisation {tenant_id!r} is in doubt."
            raise LedgerError(msg, path=self.schema)
        with self._write(tenant_id) as conn:
            self._settle(conn, tenant_id, send_id)
        return intent

    @_canonical_tenant
    def record_intent(self, tenant_id: str, intent: SendIntent) -> None:
        """Record a send before its request goes out; the members show as pending meanwhile.

        Raises:
            LedgerBusyError: This push's lease on the tenant was lost (its session ended).
            LedgerError: This ledger holds no lease on the tenant.
        """
        hold = self._held.get(tenant_id)
        if hold is None:
            raise self._unheld(tenant_id)
        with self._write(tenant_id) as conn:
            # The request goes out once this commit returns: it must be on disk by then, even
            # on a server (or session) that runs with synchronous_commit off.
            conn.execute("SET LOCAL synchronous_commit TO on")
            self._check_held(conn, hold, tenant_id)
            conn.execute(
                self._q(
                    "INSERT INTO {schema}.sends (tenant_id, send_id, batch, kind, written_at) "
                    "VALUES (%s, %s, %s, %s, %s)"
                ),
                (tenant_id, intent.send_id, intent.batch, intent.kind.value, intent.written_at),
            )
            with conn.cursor() as cursor:
                cursor.executemany(
                    self._q(
                        "INSERT INTO {schema}.send_members (tenant_id, send_id, position, key, "
                        "idempotency_key, fingerprint, xero_id, content, tracking, number) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    ),
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
            pending = [
                SendOutcome(
                    kind=intent.kind,
                    key=m.key,
                    status=DeliveryStatus.PENDING,
                    messages=("Sent to Xero; waiting for the answer.",),
                    xero_id=m.xero_id,
                )
                for m in intent.members
            ]
            self._put_batch_documents(conn, tenant_id, intent.batch, pending)

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
        with self._write(tenant_id) as conn:
            self._put_documents(conn, tenant_id, batch, outcomes)
            self._put_batch_documents(conn, tenant_id, batch, outcomes)
            if send_id is not None:
                self._settle(conn, tenant_id, send_id, settled)

    def _settle(
        self,
        conn: psycopg.Connection[Any],
        tenant_id: str,
        send_id: str,
        settled: Sequence[str] | None = None,
    ) -> None:
        if settled is None:
            conn.execute(
                self._q("DELETE FROM {schema}.send_members WHERE tenant_id = %s AND send_id = %s"),
                (tenant_id, send_id),
            )
        else:
            conn.execute(
                self._q(
                    "DELETE FROM {schema}.send_members "
                    "WHERE tenant_id = %s AND send_id = %s AND key = ANY(%s)"
                ),
                (tenant_id, send_id, list(settled)),
            )
        conn.execute(
            self._q(
                "DELETE FROM {schema}.sends s WHERE tenant_id = %s AND send_id = %s "
                "AND NOT EXISTS (SELECT 1 FROM {schema}.send_members m "
                "WHERE m.tenant_id = s.tenant_id AND m.send_id = s.send_id)"
            ),
            (tenant_id, send_id),
        )

    @_canonical_tenant
    def known_ids(
        self, tenant_id: str, kind: DocumentKind, xero_ids: Sequence[str]
    ) -> frozenset[str]:
        """Return those of ``xero_ids`` that the ledger already holds for a document."""
        rows = self._rows(
            "SELECT xero_id FROM {schema}.documents "
            "WHERE tenant_id = %s AND kind = %s AND xero_id IS NOT NULL AND xero_id = ANY(%s)",
            (tenant_id, kind.value, list(dict.fromkeys(xero_ids))),
        )
        return frozenset(str(xero_id) for (xero_id,) in rows)

    @_canonical_tenant
    def entries_by_xero_id(self, tenant_id: str, xero_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        """Return the tenant's entries holding these Xero ids, keyed by the id in lower case.

        Both sides are compared in lower case (Xero writes its ids in lower case, the ledger
        keeps them as the target answered); ids the ledger does not hold are left out.
        """
        rows = self._rows(
            f"SELECT {self._ENTRY_COLUMNS} FROM {{schema}}.documents "  # noqa: S608 - fixed text
            "WHERE tenant_id = %s AND xero_id IS NOT NULL AND lower(xero_id) = ANY(%s)",
            (tenant_id, list(dict.fromkeys(i.lower() for i in xero_ids))),
        )
        return {str(row[2]).lower(): self._entry(row) for row in rows}

    def _put_documents(
        self,
        conn: psycopg.Connection[Any],
        tenant_id: str,
        batch: int,
        outcomes: Iterable[SendOutcome],
    ) -> None:
        rows = [
            (
                tenant_id,
                o.kind.value,
                o.key,
                o.xero_id,
                o.number,
                o.fingerprint,
                o.status.value,
                batch,
                Jsonb(list(o.messages)),
                int(o.answered),
                o.remote_status,
            )
            for o in outcomes
        ]
        with conn.cursor() as cursor:
            cursor.executemany(
                self._q(
                    "INSERT INTO {schema}.documents AS d (tenant_id, kind, key, xero_id, number, "
                    "fingerprint, status, last_batch, messages, revision, remote_status) "
                    "VALUES (%s, %s, %s, %s, %s, COALESCE(%s, ''), %s, %s, %s, %s, %s) "
                    "ON CONFLICT (tenant_id, kind, key) DO UPDATE SET "
                    "xero_id = COALESCE(excluded.xero_id, d.xero_id), "
                    "number = COALESCE(excluded.number, d.number), "
                    "fingerprint = CASE WHEN %s THEN excluded.fingerprint ELSE d.fingerprint END, "
                    "status = excluded.status, last_batch = excluded.last_batch, "
                    "messages = excluded.messages, revision = d.revision + excluded.revision, "
                    "remote_status = COALESCE(excluded.remote_status, d.remote_status)"
                ),
                [(*row, row[5] is not None) for row in rows],
            )

    def _put_batch_documents(
        self,
        conn: psycopg.Connection[Any],
        tenant_id: str,
        batch: int,
        outcomes: Iterable[SendOutcome],
    ) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(
                self._q(
                    "INSERT INTO {schema}.batch_documents AS b (tenant_id, batch, kind, key, "
                    "status, xero_id, number, messages) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (tenant_id, batch, kind, key) DO UPDATE SET "
                    "status = excluded.status, xero_id = COALESCE(excluded.xero_id, b.xero_id), "
                    "number = COALESCE(excluded.number, b.number), messages = excluded.messages"
                ),
                [
                    (
                        tenant_id,
                        batch,
                        o.kind.value,
                        o.key,
                        o.status.value,
                        o.xero_id,
                        o.number,
                        Jsonb(list(o.messages)),
                    )
                    for o in outcomes
                ],
            )

    @_canonical_tenant
    def record_remote_statuses(
        self, tenant_id: str, statuses: Sequence[tuple[DocumentKind, str, str | None]]
    ) -> None:
        """Store Xero's current status of documents: (kind, key, status, None if not found)."""
        with self._write(tenant_id) as conn, conn.cursor() as cursor:
            cursor.executemany(
                self._q(
                    "UPDATE {schema}.documents SET remote_status = %s "
                    "WHERE tenant_id = %s AND kind = %s AND key = %s"
                ),
                [(status, tenant_id, kind.value, key) for kind, key, status in statuses],
            )
