"""Xero webhooks: know within seconds that an invoice was paid, without polling for it.

Xero POSTs a signed JSON body of events (XERO.md, "Webhooks") to the host's endpoint. This module
is that endpoint, in four parts, none of which needs a web framework:

1. **Receive** (`WebhookReceiver`, served by `wsgi_app` or `asgi_app`): check the
   ``x-xero-signature`` header against the raw body (HMAC-SHA256 with the webhook key, base64,
   compared in constant time), answer the intent-to-receive check (200 with an empty body for a
   correct signature, 401 for any other), and hand new events to the host's queue at once, so
   that the answer goes out well within Xero's 5 seconds.
2. **Remember** (`SqliteWebhookInbox`): every event admitted is written to a small SQLite table
   before the 200 goes out, and marked settled only once its work is done. Xero retries a
   delivery for up to 24 hours, so the table is a file that survives a restart: a redelivered
   or replayed event is recognised and does no work; an event admitted but never worked (the
   process died, the queue lost it) is still pending and is worked by the next drain.
3. **Decide** (`plan_work`, pure): the events of a drain become the work they imply: one status
   refresh of exactly the ledger documents they name (per tenant and kind, so that documents
   share calls), an inbound read of the documents trackmap did not send, and a reference-data
   sync where the host asks for one.
4. **Do** (`process_events`, a thin driver): run the plan against each tenant's target and the
   ledger, and settle the events of every tenant whose work succeeded. A tenant whose target
   fails (a day limit) keeps its events pending for the next drain; the others go on.

An event carries no document data (Xero's events name a resource and a time), so every piece
of work reads Xero's current state: doing it twice is harmless, and nothing is lost by folding
many events about one document into one refresh.
"""

from __future__ import annotations

import asyncio
import base64
import collections.abc as cabc
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import pathlib
import sqlite3
import threading
import typing

import attrs

from trackmap._engine import _document
from trackmap._sync import _inbound, _ledger, _status, _target
from trackmap.errors import TargetError as _TargetError
from trackmap.errors import TrackmapError as _TrackmapError

__all__ = [
    "CATEGORY_KINDS",
    "SIGNATURE_HEADER",
    "DocumentsHook",
    "Enqueue",
    "InboundRead",
    "Known",
    "ReferenceHook",
    "SqliteWebhookInbox",
    "StatusRefresh",
    "Targets",
    "TenantOutcome",
    "TenantWork",
    "WebhookDelivery",
    "WebhookError",
    "WebhookEvent",
    "WebhookInbox",
    "WebhookPlan",
    "WebhookReceiver",
    "WebhookReply",
    "WebhookReport",
    "asgi_app",
    "parse_delivery",
    "plan_work",
    "process_events",
    "sign",
    "verify_signature",
    "wsgi_app",
]

SIGNATURE_HEADER = "x-xero-signature"
"""The header in which Xero sends the body's signature."""

CATEGORY_KINDS: cabc.Mapping[str, tuple[_document.DocumentKind, ...]] = {
    "INVOICE": (_document.DocumentKind.SALES_INVOICE, _document.DocumentKind.BILL),
    "CREDITNOTE": (
        _document.DocumentKind.SALES_CREDIT_NOTE,
        _document.DocumentKind.PURCHASE_CREDIT_NOTE,
    ),
}
"""The event categories that name trackmap documents, and the kinds each may be.

Xero's INVOICE events cover sales invoices and bills alike (one endpoint holds both); other
categories (CONTACT, SUBSCRIPTION...) name no document and imply no status refresh.
"""

_MAX_BODY = 1024 * 1024
_UNAUTHORISED = 401
_OK = 200


class WebhookError(_TrackmapError):
    """A webhook body that cannot be read, or an event store that cannot be used."""


# -- signatures ---------------------------------------------------------------------------------


def _key_bytes(key: str | bytes) -> bytes:
    # Xero's webhook key is used as it is shown (its text's bytes), not base64-decoded.
    return key if isinstance(key, bytes) else key.encode("utf-8")


def sign(key: str | bytes, body: bytes) -> str:
    """Return Xero's signature of a raw body: base64 of HMAC-SHA256 with the webhook key."""
    digest = hmac.new(_key_bytes(key), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(key: str | bytes, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is Xero's signature of exactly these bytes (constant-time compare).

    The body must be the raw bytes received: a body parsed and serialised again is another
    body, and fails.
    """
    if not signature:
        return False
    try:
        given = signature.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(sign(key, body).encode("ascii"), given)


# -- events -------------------------------------------------------------------------------------


def _events(items: cabc.Iterable[WebhookEvent]) -> tuple[WebhookEvent, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One event: something of ``category`` changed in an organisation at ``occurred_at``.

    Attributes:
        tenant_id: The organisation (Xero's ``tenantId``, as Xero spells it: the spelling its
            connections endpoint gave the host).
        category: ``INVOICE``, ``CONTACT``, ``CREDITNOTE``... (upper case).
        event_type: ``CREATE`` or ``UPDATE`` (upper case).
        resource_id: The changed resource's Xero id, in lower case.
        occurred_at: When Xero says it happened (UTC).
        resource_url: Where Xero says the resource can be read.
        tenant_type: ``ORGANISATION`` for accounting events.
    """

    tenant_id: str
    category: str
    event_type: str
    resource_id: str
    occurred_at: dt.datetime
    resource_url: str = ""
    tenant_type: str = ""

    @property
    def key(self) -> str:
        """The event's identity across redeliveries: Xero sends no event id of its own.

        Two real changes of one resource within the same millisecond share a key and are
        worked once, which loses nothing: the work reads the resource's current state.
        """
        parts = (self.tenant_id, self.category, self.event_type, self.resource_id)
        return "|".join((*parts, self.occurred_at.isoformat()))


def _sentences(items: cabc.Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One POST from Xero: its events and the sequence numbers Xero gave them.

    ``unreadable`` says, one sentence each, which events of the body could not be read (they
    are left out of ``events``: one bad event never holds the others). A delivery with no
    events at all is Xero's intent-to-receive check.
    """

    events: tuple[WebhookEvent, ...] = attrs.field(converter=_events)
    first_sequence: int | None = None
    last_sequence: int | None = None
    entropy: str = ""
    unreadable: tuple[str, ...] = attrs.field(converter=_sentences, default=())

    @property
    def is_intent_check(self) -> bool:
        """Whether this is an intent-to-receive request (``"events": []``)."""
        return not self.events and not self.unreadable


def _text(raw: cabc.Mapping[str, object], name: str, where: str, *, required: bool = True) -> str:
    value = raw.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        msg = f"The webhook body's {where} has no usable {name!r} (got {value!r})."
        raise WebhookError(msg)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        msg = f"The webhook body's {where} has characters that are not text in {name!r}."
        raise WebhookError(msg) from exc
    return value.strip()


def _moment(text: str, where: str) -> dt.datetime:
    # Xero writes "2017-06-21T01:15:39.902" (UTC, no zone); a zone, when present, is honoured.
    try:
        moment = dt.datetime.fromisoformat(text)
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        msg = f"The webhook body's {where} has an eventDateUtc that is not a time: {text!r}."
        raise WebhookError(msg) from exc


def _event(raw: object, position: int) -> WebhookEvent:
    where = f"event {position}"
    if not isinstance(raw, dict):
        msg = f"The webhook body's {where} is not an object."
        raise WebhookError(msg)
    return WebhookEvent(
        tenant_id=_text(raw, "tenantId", where),
        category=_text(raw, "eventCategory", where).upper(),
        event_type=_text(raw, "eventType", where).upper(),
        resource_id=_text(raw, "resourceId", where).lower(),
        occurred_at=_moment(_text(raw, "eventDateUtc", where), where),
        resource_url=_text(raw, "resourceUrl", where, required=False),
        tenant_type=_text(raw, "tenantType", where, required=False).upper(),
    )


def _sequence(raw: cabc.Mapping[str, object], name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"The webhook body's {name!r} is not a whole number (got {value!r})."
        raise WebhookError(msg)
    return value


def parse_delivery(body: bytes) -> WebhookDelivery:
    """Read a webhook body into values.

    An event that cannot be read (no tenant, category, type, resource id or time) is left out
    and named in ``unreadable``; the other events of the body are read as usual.

    Raises:
        WebhookError: The body is not UTF-8 JSON, has no ``events`` list, or its sequence
            numbers are not whole numbers: it is not a Xero webhook at all.
    """
    try:
        raw = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        msg = "The webhook body is not JSON text."
        raise WebhookError(msg) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        msg = "The webhook body is not a Xero webhook: it has no list of events."
        raise WebhookError(msg)
    events, unreadable = [], []
    for position, item in enumerate(raw["events"], 1):
        try:
            events.append(_event(item, position))
        except WebhookError as exc:
            unreadable.append(str(exc))
    entropy = raw.get("entropy")
    return WebhookDelivery(
        events=events,
        first_sequence=_sequence(raw, "firstEventSequence"),
        last_sequence=_sequence(raw, "lastEventSequence"),
        entropy=entropy if isinstance(entropy, str) else "",
        unreadable=unreadable,
    )


# -- the event store ----------------------------------------------------------------------------


@typing.runtime_checkable
class WebhookInbox(typing.Protocol):
    """**Protocol:** the events received, until their work is done (and a while after).

    `SqliteWebhookInbox` is the embedded default; a host with its own database implements these
    five methods over a table with the event key as its primary key.
    """

    def admit(self, events: cabc.Sequence[WebhookEvent]) -> tuple[WebhookEvent, ...]:
        """Record events as pending; return those never seen before (in order, once each)."""
        ...

    def withdraw(self, events: cabc.Sequence[WebhookEvent]) -> None:
        """Forget pending events (the host's queue refused them: Xero will deliver them again)."""
        ...

    def pending(self) -> tuple[WebhookEvent, ...]:
        """Return the admitted events whose work is not done, oldest first."""
        ...

    def settle(self, events: cabc.Sequence[WebhookEvent]) -> None:
        """Mark events done; a redelivery of them is recognised and does nothing."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...


_INBOX_APPLICATION_ID = 0x544B5748  # "TKWH"
_INBOX_SCHEMA = """
    CREATE TABLE IF NOT EXISTS webhook_events (
        key TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, category TEXT NOT NULL,
        event_type TEXT NOT NULL, resource_id TEXT NOT NULL, occurred_at TEXT NOT NULL,
        resource_url TEXT NOT NULL, tenant_type TEXT NOT NULL, received_at TEXT NOT NULL,
        settled_at TEXT);
    CREATE INDEX IF NOT EXISTS webhook_pending ON webhook_events (settled_at, received_at)
"""
_COLUMNS = "tenant_id, category, event_type, resource_id, occurred_at, resource_url, tenant_type"
_BATCH = 500


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SqliteWebhookInbox:
    """The embedded event store: one SQLite table in a file of its own.

    Why a file of its own and not the delivery ledger: the webhook endpoint runs in the web
    process, often beside but not inside the pusher; its writes (one per delivery, within
    Xero's 5 seconds) should never queue behind a push's transactions; and the ledger's schema
    stays the delivery core's alone. The file survives a restart, which de-duplication needs:
    Xero retries a delivery for up to 24 hours.

    Args:
        path: The file; created when missing.
        retention: How long settled events are remembered (default 48 hours: longer than
            Xero's 24 hours of retries). Older settled events are forgotten when events settle.
        clock: Gives the current time; injectable for tests.
        busy_timeout: Seconds to wait for another process's write.

    Raises:
        WebhookError: The file is another application's, or cannot be opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        retention: dt.timedelta = dt.timedelta(hours=48),
        clock: cabc.Callable[[], dt.datetime] = _utc_now,
        busy_timeout: float = 30.0,
    ) -> None:
        self.path = pathlib.Path(path)
        self._retention = retention
        self._clock = clock
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            msg = f"The webhook event store {str(self.path)!r} cannot be opened: {exc}."
            raise WebhookError(msg) from exc
        try:
            self._set_up()
        except sqlite3.Error as exc:
            self._db.close()
            msg = f"The webhook event store {str(self.path)!r} cannot be opened: {exc}."
            raise WebhookError(msg) from exc

    def _set_up(self) -> None:
        self._check_ownership()
        # WAL: the worker's reads never wait on the endpoint's writes, nor the other way round.
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: once the 200 is out, Xero forgets the delivery, so an admitted
        # event must survive a power cut too (one fsync per delivery: milliseconds).
        self._db.execute("PRAGMA synchronous=FULL")
        with self._write() as db:
            for statement in _INBOX_SCHEMA.split(";"):
                db.execute(statement)
            db.execute(f"PRAGMA application_id = {_INBOX_APPLICATION_ID}")

    def _check_ownership(self) -> None:
        """Refuse, before writing anything, a file that another application owns."""
        self._db.execute("BEGIN")
        try:
            (application_id,) = self._db.execute("PRAGMA application_id").fetchone()
            (tables,) = self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            self._db.execute("COMMIT")
        if application_id != _INBOX_APPLICATION_ID and (application_id or tables):
            self._db.close()
            msg = (
                f"The file {str(self.path)!r} is not a trackmap webhook event store; "
                "it was left untouched."
            )
            raise WebhookError(msg)

    @contextlib.contextmanager
    def _write(self) -> cabc.Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def admit(self, events: cabc.Sequence[WebhookEvent]) -> tuple[WebhookEvent, ...]:
        """Record events as pending in one transaction; return those never seen before."""
        fresh = {e.key: e for e in events}
        now = self._clock().isoformat()
        with self._write() as db:
            keys = list(fresh)
            for start in range(0, len(keys), _BATCH):
                part = keys[start : start + _BATCH]
                marks = ", ".join("?" * len(part))
                known = db.execute(
                    f"SELECT key FROM webhook_events WHERE key IN ({marks})",  # noqa: S608 - "?"s
                    part,
                ).fetchall()
                for (key,) in known:
                    fresh.pop(key, None)
            db.executemany(
                f"INSERT INTO webhook_events (key, {_COLUMNS}, received_at) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(e.key, *_row(e), now) for e in fresh.values()],
            )
        return tuple(fresh.values())

    def withdraw(self, events: cabc.Sequence[WebhookEvent]) -> None:
        """Forget pending events (settled ones stay settled)."""
        with self._write() as db:
            db.executemany(
                "DELETE FROM webhook_events WHERE key = ? AND settled_at IS NULL",
                [(e.key,) for e in events],
            )

    def pending(self) -> tuple[WebhookEvent, ...]:
        """Return the events admitted and not settled, in the order they were received."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM webhook_events "  # noqa: S608 - fixed text only
                "WHERE settled_at IS NULL ORDER BY received_at, rowid"
            ).fetchall()
        return tuple(_from_row(row) for row in rows)

    def settle(self, events: cabc.Sequence[WebhookEvent]) -> None:
        """Mark events done, and forget settled events older than the retention."""
        now = self._clock()
        with self._write() as db:
            db.executemany(
                "UPDATE webhook_events SET settled_at = ? WHERE key = ?",
                [(now.isoformat(), e.key) for e in events],
            )
            db.execute(
                "DELETE FROM webhook_events WHERE settled_at IS NOT NULL AND settled_at < ?",
                ((now - self._retention).isoformat(),),
            )

    def settled_count(self) -> int:
        """How many settled events are remembered (for inspection)."""
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM webhook_events WHERE settled_at IS NOT NULL"
            ).fetchone()
        return int(count)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> typing.Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _row(event: WebhookEvent) -> tuple[str, ...]:
    return (
        event.tenant_id,
        event.category,
        event.event_type,
        event.resource_id,
        event.occurred_at.isoformat(),
        event.resource_url,
        event.tenant_type,
    )


def _from_row(row: cabc.Sequence[object]) -> WebhookEvent:
    tenant, category, event_type, resource, occurred, url, tenant_type = (str(v) for v in row)
    return WebhookEvent(
        tenant_id=tenant,
        category=category,
        event_type=event_type,
        resource_id=resource,
        occurred_at=dt.datetime.fromisoformat(occurred),
        resource_url=url,
        tenant_type=tenant_type,
    )


# -- receiving ----------------------------------------------------------------------------------

Enqueue = cabc.Callable[[tuple[WebhookEvent, ...]], None]
"""The host's queue: takes the new events of one delivery and returns at once."""


@attrs.frozen(kw_only=True)
class WebhookReply:
    """What the endpoint answers: a status, always an empty body, never a cookie.

    ``reason`` says why, for the host's logs (it is never sent).
    """

    status: int
    reason: str
    new_events: int = 0


class WebhookReceiver:
    """The endpoint's logic, free of any web framework: raw body and header in, reply out.

    A correct signature on Xero's shape: the events never seen before are admitted to the inbox
    and handed to ``enqueue``; 200. An intent-to-receive check (no events) with a correct
    signature: 200, nothing queued. Any other signature (missing, forged, for another body):
    401, nothing read, nothing queued. A correctly signed body that is not a Xero webhook at
    all (not JSON, no events list): 400, nothing queued. An event that cannot be read is named
    to ``on_unreadable`` and left out; the body's other events go on as usual (a 400 would hold
    them all: Xero would retry the whole body for a day, then disable the webhook). If the
    inbox or the queue fails: 503 and the new events are withdrawn, so that Xero's retry
    delivers them again.

    A replay of a delivery already admitted is answered 200 and does no work: Xero itself
    re-sends a delivery whose 200 it did not receive, and a 401 would make it retry for a day
    and then disable the webhook.

    Args:
        key: The webhook key from Xero's developer portal.
        inbox: Remembers events across redeliveries and restarts.
        enqueue: The host's queue, called with the new events of each delivery.
        on_unreadable: Told, one sentence each, of the events that could not be read (for
            the host's log or alerts); they are not worked.
    """

    def __init__(
        self,
        key: str | bytes,
        inbox: WebhookInbox,
        enqueue: Enqueue,
        *,
        on_unreadable: cabc.Callable[[tuple[str, ...]], None] | None = None,
    ) -> None:
        self._key = _key_bytes(key)
        self._inbox = inbox
        self._enqueue = enqueue
        self._on_unreadable = on_unreadable

    def receive(self, body: bytes, signature: str | None) -> WebhookReply:
        """Answer one POST: its raw body and its ``x-xero-signature`` header (None if absent)."""
        if not verify_signature(self._key, body, signature):
            return WebhookReply(status=_UNAUTHORISED, reason="The signature is not Xero's.")
        try:
            delivery = parse_delivery(body)
        except WebhookError as exc:
            return WebhookReply(status=400, reason=str(exc))
        if delivery.is_intent_check:
            return WebhookReply(status=_OK, reason="Intent to receive: signature correct.")
        if delivery.unreadable and self._on_unreadable is not None:
            self._on_unreadable(delivery.unreadable)
        return self._admit(delivery)

    def _admit(self, delivery: WebhookDelivery) -> WebhookReply:
        try:
            fresh = self._inbox.admit(delivery.events)
        except _TrackmapError as exc:
            return WebhookReply(status=503, reason=str(exc))
        if not fresh:
            return WebhookReply(status=_OK, reason="Every event was received before.")
        try:
            self._enqueue(fresh)
        except Exception as exc:  # noqa: BLE001 - any queue failure: let Xero deliver again
            self._inbox.withdraw(fresh)
            return WebhookReply(status=503, reason=f"The host's queue refused the events: {exc!r}")
        return WebhookReply(status=_OK, reason="Accepted.", new_events=len(fresh))


# -- WSGI and ASGI ------------------------------------------------------------------------------

_StartResponse = cabc.Callable[[str, list[tuple[str, str]]], object]
_WsgiApp = cabc.Callable[[dict[str, typing.Any], _StartResponse], cabc.Iterable[bytes]]
_AsgiReceive = cabc.Callable[[], cabc.Awaitable[dict[str, typing.Any]]]
_AsgiSend = cabc.Callable[[dict[str, typing.Any]], cabc.Awaitable[None]]
_AsgiApp = cabc.Callable[
    [dict[str, typing.Any], _AsgiReceive, _AsgiSend], cabc.Coroutine[typing.Any, typing.Any, None]
]
_PHRASES = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    503: "Service Unavailable",
}


def _refusal(method: str, length: int | None, max_body: int) -> int | None:
    """The status that refuses a request before its body is read, or None."""
    if method != "POST":
        return 405
    if length is None:
        return 411
    if length > max_body:
        return 413
    return None


def _content_length(raw: object) -> int | None:
    try:
        length = int(str(raw))
    except ValueError:
        return None
    return length if length >= 0 else None


def wsgi_app(receiver: WebhookReceiver, *, max_body: int = _MAX_BODY) -> _WsgiApp:
    """A WSGI application serving ``receiver`` at any path (mount it where Xero posts).

    It reads exactly ``Content-Length`` bytes (the raw body the signature covers) and answers
    with an empty body and no other header than ``Content-Length: 0``.
    """

    def app(environ: dict[str, typing.Any], start_response: _StartResponse) -> list[bytes]:
        length = _content_length(environ.get("CONTENT_LENGTH", ""))
        status = _refusal(str(environ.get("REQUEST_METHOD", "")), length, max_body)
        if status is None:
            body = environ["wsgi.input"].read(length) if length else b""
            status = receiver.receive(body, environ.get("HTTP_X_XERO_SIGNATURE")).status
        start_response(f"{status} {_PHRASES[status]}", [("Content-Length", "0")])
        return []

    return app


async def _asgi_lifespan(receive: _AsgiReceive, send: _AsgiSend) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _asgi_body(receive: _AsgiReceive, max_body: int) -> bytes | None:
    """The whole request body, or None when it grows beyond ``max_body``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > max_body:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _asgi_header(scope: cabc.Mapping[str, typing.Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


def asgi_app(receiver: WebhookReceiver, *, max_body: int = _MAX_BODY) -> _AsgiApp:
    """An ASGI application serving ``receiver`` at any path (Starlette, FastAPI, Django...).

    The receiver's inbox write and the host's queue run in a worker thread
    (`asyncio.to_thread`), so the event loop never waits on them.
    """

    async def app(scope: dict[str, typing.Any], receive: _AsgiReceive, send: _AsgiSend) -> None:
        if scope["type"] == "lifespan":
            await _asgi_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        length = _asgi_header(scope, b"content-length")
        declared = None if length is None else _content_length(length)
        status = _refusal(str(scope.get("method", "")), declared or 0, max_body)
        if status is None:
            body = await _asgi_body(receive, max_body)
            if body is None:
                status = 413
            else:
                signature = _asgi_header(scope, SIGNATURE_HEADER.encode("ascii"))
                reply = await asyncio.to_thread(receiver.receive, body, signature)
                status = reply.status
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    return app


# -- deciding -----------------------------------------------------------------------------------


def _keys(items: cabc.Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class StatusRefresh:
    """Refresh Xero's status of these ledger documents of one kind (keys sorted, each once)."""

    kind: _document.DocumentKind
    keys: tuple[str, ...] = attrs.field(converter=_keys)


@attrs.frozen(kw_only=True)
class InboundRead:
    """Read these documents that trackmap did not send, by id, as one of these kinds."""

    kinds: tuple[_document.DocumentKind, ...]
    xero_ids: tuple[str, ...] = attrs.field(converter=_keys)


def _refreshes(items: cabc.Iterable[StatusRefresh]) -> tuple[StatusRefresh, ...]:
    return tuple(items)


def _reads(items: cabc.Iterable[InboundRead]) -> tuple[InboundRead, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class TenantWork:
    """What the events of one organisation imply.

    Attributes:
        tenant_id: The organisation.
        events: Its events in this drain (settled once the work is done).
        refreshes: One per kind with affected ledger documents.
        reads: One per event category naming documents the ledger does not hold.
        reference_sync: Whether to sync the host's reference data for this organisation.
        ignored: Events that imply no work (categories that name no document).
    """

    tenant_id: str
    events: tuple[WebhookEvent, ...] = attrs.field(converter=_events)
    refreshes: tuple[StatusRefresh, ...] = attrs.field(converter=_refreshes, default=())
    reads: tuple[InboundRead, ...] = attrs.field(converter=_reads, default=())
    reference_sync: bool = False
    ignored: tuple[WebhookEvent, ...] = attrs.field(converter=_events, default=())


def _tenants(items: cabc.Iterable[TenantWork]) -> tuple[TenantWork, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class WebhookPlan:
    """The work of one drain, per organisation in tenant id order."""

    tenants: tuple[TenantWork, ...] = attrs.field(converter=_tenants)

    def calls(self, page_size: int) -> int:
        """The fewest calls that carry the plan's status refreshes, ``page_size`` ids a call."""
        return sum(-(-len(r.keys) // page_size) for t in self.tenants for r in t.refreshes)


Known = cabc.Mapping[str, cabc.Mapping[str, _ledger.LedgerEntry]]
"""Per tenant, the ledger entries of the events' resource ids (lower case), as
`trackmap.protocols.Ledger.entries_by_xero_id` returns them."""


def _tenant_work(
    tenant_id: str,
    events: cabc.Sequence[WebhookEvent],
    known: cabc.Mapping[str, _ledger.LedgerEntry],
    *,
    reference_sync: bool,
) -> TenantWork:
    by_kind: dict[_document.DocumentKind, set[str]] = {}
    unknown: dict[str, set[str]] = {}
    ignored = []
    for event in events:
        kinds = CATEGORY_KINDS.get(event.category)
        entry = known.get(event.resource_id)
        if kinds is None:
            ignored.append(event)
        elif entry is not None:
            by_kind.setdefault(entry.kind, set()).add(entry.key)
        else:
            unknown.setdefault(event.category, set()).add(event.resource_id)
    return TenantWork(
        tenant_id=tenant_id,
        events=events,
        refreshes=(
            StatusRefresh(kind=kind, keys=sorted(keys))
            for kind, keys in sorted(by_kind.items(), key=lambda item: item[0].value)
        ),
        reads=(
            InboundRead(kinds=CATEGORY_KINDS[category], xero_ids=sorted(ids))
            for category, ids in sorted(unknown.items())
        ),
        reference_sync=reference_sync,
        ignored=ignored,
    )


def plan_work(
    events: cabc.Iterable[WebhookEvent], known: Known, *, reference_sync: bool = False
) -> WebhookPlan:
    """Decide the work a set of events implies (pure).

    Events about one document fold into one refresh of it, whatever their number; documents of
    one tenant and kind share one refresh, so that the driver reads them in the fewest calls.

    Args:
        events: The events of one drain, any tenants, any order, repeats allowed.
        known: The ledger entries of their resource ids (see `Known`).
        reference_sync: Whether every organisation with events gets a reference-data sync.
    """
    by_tenant: dict[str, dict[str, WebhookEvent]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, {})[event.key] = event
    return WebhookPlan(
        tenants=(
            _tenant_work(
                tenant,
                tuple(found.values()),
                known.get(tenant, {}),
                reference_sync=reference_sync,
            )
            for tenant, found in sorted(by_tenant.items())
        )
    )


# -- doing --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TenantOutcome:
    """What a drain did for one organisation.

    Attributes:
        tenant_id: The organisation.
        events: Its events in the drain.
        settled: Whether they were settled (False: they stay pending for the next drain).
        statuses: The status refreshes' reports, one per kind.
        read: How many documents trackmap did not send were read and handed to the host.
        calls: Target calls made for this organisation (refreshes and reads).
        stopped: Why its work stopped early (a day limit, a host hook failing...), or "".
    """

    tenant_id: str
    events: int
    settled: bool
    statuses: tuple[_status.StatusReport, ...] = ()
    read: int = 0
    calls: int = 0
    stopped: str = ""

    @property
    def changes(self) -> tuple[_status.StatusChange, ...]:
        """Every status change found, in kind and key order."""
        return tuple(change for report in self.statuses for change in report.changes)


def _outcomes(items: cabc.Iterable[TenantOutcome]) -> tuple[TenantOutcome, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class WebhookReport:
    """What one `process_events` drain did, per organisation."""

    tenants: tuple[TenantOutcome, ...] = attrs.field(converter=_outcomes)

    @property
    def calls(self) -> int:
        """Target calls made, all organisations together."""
        return sum(t.calls for t in self.tenants)

    @property
    def changes(self) -> tuple[_status.StatusChange, ...]:
        """Every status change found, all organisations together."""
        return tuple(change for tenant in self.tenants for change in tenant.changes)


Targets = cabc.Callable[[str], "_target.Target | None"]
"""The host's way to a tenant's target; None when the organisation is no longer connected."""
DocumentsHook = cabc.Callable[[str, _inbound.Pulled], None]
"""Takes the documents trackmap did not send, read for one tenant (match them, route them...)."""
ReferenceHook = cabc.Callable[["_target.Target"], None]
"""Syncs the host's reference data of one tenant (typically with
`trackmap.drift.sync_reference_data`)."""


class _Stopped(Exception):  # noqa: N818 - control flow inside the driver, never escapes
    """A tenant's work stopped: a target failure; its events stay pending."""


@attrs.define
class _Tally:
    """What one tenant's work has done so far, kept when it stops half way."""

    calls: int = 0
    read: int = 0
    reports: list[_status.StatusReport] = attrs.field(factory=list)


def _read_unsent(
    target: _target.Target, reads: cabc.Sequence[InboundRead], page_size: int, tally: _Tally
) -> _inbound.Pulled:
    found: dict[tuple[_document.DocumentKind, str], _target.RemoteDocument] = {}
    pages = 0
    for read in reads:
        for kind in read.kinds:
            for start in range(0, len(read.xero_ids), page_size):
                tally.calls += 1
                pages += 1
                ids = read.xero_ids[start : start + page_size]
                try:
                    page = target.read_documents(kind, ids=ids)
                except _TargetError as exc:
                    raise _Stopped(str(exc)) from exc
                found.update(((d.kind, d.xero_id), d) for d in page.documents)
    remote = tuple(found.values())
    tally.read = len(remote)
    return _inbound.Pulled(
        documents=(_inbound.tracked_document(d) for d in remote),
        remote=remote,
        cursor=None,
        pages=pages,
    )


def _refresh(
    target: _target.Target, ledger: _ledger.Ledger, work: TenantWork, page_size: int, tally: _Tally
) -> None:
    """Refresh each kind's affected documents, in pages of ids (`refresh_statuses`)."""
    for refresh in work.refreshes:
        report = _status.refresh_statuses(
            target, ledger, kinds=(refresh.kind,), keys=frozenset(refresh.keys), page_size=page_size
        )
        tally.reports.append(report)
        tally.calls += report.calls
        if report.stopped:
            raise _Stopped(report.stopped)


def _do_tenant(
    work: TenantWork,
    target: _target.Target,
    ledger: _ledger.Ledger,
    *,
    page_size: int,
    on_documents: DocumentsHook | None,
    sync_reference: ReferenceHook | None,
) -> TenantOutcome:
    tally = _Tally()
    stopped = ""
    try:
        _refresh(target, ledger, work, page_size, tally)
        if work.reads and on_documents is not None:
            on_documents(work.tenant_id, _read_unsent(target, work.reads, page_size, tally))
        if work.reference_sync and sync_reference is not None:
            sync_reference(target)
    except _Stopped as stop:
        stopped = str(stop)
    return TenantOutcome(
        tenant_id=work.tenant_id,
        events=len(work.events),
        settled=not stopped,
        statuses=tuple(tally.reports),
        read=tally.read,
        calls=tally.calls,
        stopped=stopped,
    )


def process_events(
    inbox: WebhookInbox,
    ledger: _ledger.Ledger,
    targets: Targets,
    *,
    page_size: int = 50,
    on_documents: DocumentsHook | None = None,
    sync_reference: ReferenceHook | None = None,
) -> WebhookReport:
    """Drain the inbox: do the work its pending events imply, then settle them per tenant.

    Run it from the host's queue worker (one drain at a time per inbox). Every pending event is
    taken, so events queued by many deliveries share one refresh per document.

    Args:
        inbox: The events received.
        ledger: The delivery ledger (read by Xero id; receives the refreshed statuses).
        targets: The target of each tenant (None: not connected any more; its events are
            settled with no work).
        page_size: Ids per call (Xero reads 50 invoices by ``IDs`` per call).
        on_documents: Takes the documents trackmap did not send; without it they are not read.
        sync_reference: Syncs a tenant's reference data; when given, every tenant with events
            gets one sync per drain.

    A tenant whose target fails (a day limit...) or whose hook raises keeps its events pending
    and is reported with the reason; the other tenants go on.
    """
    events = inbox.pending()
    tenants = sorted({e.tenant_id for e in events})
    known = {
        t: ledger.entries_by_xero_id(t, [e.resource_id for e in events if e.tenant_id == t])
        for t in tenants
    }
    plan = plan_work(events, known, reference_sync=sync_reference is not None)
    outcomes = []
    for work in plan.tenants:
        outcome = _run_tenant(
            work,
            ledger,
            targets,
            page_size=page_size,
            on_documents=on_documents,
            sync_reference=sync_reference,
        )
        if outcome.settled:
            inbox.settle(work.events)
        outcomes.append(outcome)
    return WebhookReport(tenants=outcomes)


def _run_tenant(
    work: TenantWork,
    ledger: _ledger.Ledger,
    targets: Targets,
    *,
    page_size: int,
    on_documents: DocumentsHook | None,
    sync_reference: ReferenceHook | None,
) -> TenantOutcome:
    try:
        target = targets(work.tenant_id)
        if target is None:
            return TenantOutcome(tenant_id=work.tenant_id, events=len(work.events), settled=True)
        return _do_tenant(
            work,
            target,
            ledger,
            page_size=max(1, page_size),
            on_documents=on_documents,
            sync_reference=sync_reference,
        )
    except Exception as exc:  # noqa: BLE001 - a host hook failing holds only its own tenant
        return TenantOutcome(
            tenant_id=work.tenant_id,
            events=len(work.events),
            settled=False,
            stopped=f"The work for this organisation failed and will be retried: {exc!r}",
        )
