"""`InMemoryTarget`: a Target (and ContactsAndItems) that keeps an organisation in memory.

For hosts' tests and trackmap's own: no network, no threads, deterministic ids. It keeps the
Xero behaviours that delivery must survive (XERO.md):

- per request Idempotency-Key: a request whose key was seen before gets the first answer back
  and changes nothing (like `trackmap.xero.XeroTarget`, the key is a digest of the tenant and
  the documents' own keys in order, so the same documents in the same order replay);
- tracking on an unknown, archived or deleted category or option is SILENTLY DROPPED from the
  line (switch ``silent_drop`` off to get a rejected document instead);
- updating a PAID, VOIDED or DELETED document is rejected; an unknown id is rejected;
- a contact named but not found is created on the fly, as Xero does; an unknown item code is
  rejected;
- ``calls_left``: the day's call budget; when it is spent every call raises `DailyLimitError`.

It also lets a test look behind the curtain: ``documents()``, ``calls`` and ``set_status``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._names import normalise
from trackmap._engine._schema import (
    Capabilities,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap._sources._body import ContactRef, DocumentBody
from trackmap._sync._target import (
    DeliveryStatus,
    DocumentPage,
    PushItem,
    PushResult,
    RemoteDocument,
    RemoteLine,
    TrackingEntry,
)
from trackmap._sync._tenant import canonical_tenant_id
from trackmap.errors import (
    DailyLimitError,
    DocumentError,
    NotFoundError,
    RejectedError,
    TargetError,
)

__all__ = ["InMemoryTarget", "StoredDocument", "request_key"]

_PAGE_SIZE = 100
_LOCKED = frozenset({"PAID", "VOIDED", "DELETED"})
_PREFIX = {
    DocumentKind.SALES_INVOICE: "INV",
    DocumentKind.BILL: "BILL",
    DocumentKind.SALES_CREDIT_NOTE: "CN",
    DocumentKind.PURCHASE_CREDIT_NOTE: "PCN",
    DocumentKind.PURCHASE_ORDER: "PO",
}


def request_key(tenant_id: str, items: Sequence[PushItem]) -> str:
    """The Idempotency-Key of one request: a digest of the tenant and the items' keys in order."""
    digest = hashlib.sha256(tenant_id.encode())
    for item in items:
        digest.update(b"\x00" + item.idempotency_key.encode())
    return digest.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@attrs.frozen(kw_only=True)
class StoredDocument:
    """A document as the in-memory organisation holds it.

    ``source_key`` is the trackmap document key that created it: Xero knows no such thing, a
    test uses it to check that every host document exists exactly once.
    """

    kind: DocumentKind
    xero_id: str
    source_key: str
    status: str
    updated_at: dt.datetime
    body: object
    tracking: tuple[tuple[TrackingEntry, ...], ...]
    number: str | None = None
    reference: str | None = None
    contact_name: str | None = None
    total: Decimal | None = None

    def remote(self) -> RemoteDocument:
        """The document as `Target.read_documents` returns it."""
        lines = _body_lines(self.body)
        return RemoteDocument(
            kind=self.kind,
            xero_id=self.xero_id,
            status=self.status,
            updated_at=self.updated_at,
            number=self.number,
            reference=self.reference,
            contact_name=self.contact_name,
            total=self.total,
            lines=tuple(
                RemoteLine(
                    description=description,
                    line_amount=amount,
                    tracking=self.tracking[i] if i < len(self.tracking) else (),
                )
                for i, (description, amount) in enumerate(lines)
            ),
        )


def _body_lines(body: object) -> tuple[tuple[str | None, Decimal | None], ...]:
    if isinstance(body, DocumentBody):
        return tuple((ln.description, _amount(n, ln)) for n, ln in enumerate(body.lines, 1))
    return ()


def _amount(number: int, line: object) -> Decimal:
    """A line's amount, rounded to the cent as Xero stores it; impossible amounts refused."""
    quantity = ascii(getattr(line, "quantity", None))
    unit = ascii(getattr(line, "unit_amount", None))
    msg = (
        f"Line {number}: its quantity {quantity} times its unit amount {unit} is not a finite "
        "number Xero can hold."
    )
    try:
        value = Decimal(line.unit_amount) * Decimal(line.quantity)  # type: ignore[attr-defined]
        finite = value.is_finite()
        amount = value.quantize(Decimal("0.01")) if finite else None
    except (decimal.InvalidOperation, TypeError, ValueError, AttributeError) as exc:
        raise RejectedError(msg) from exc
    if amount is None:
        raise RejectedError(msg)
    return amount


class InMemoryTarget:
    """An organisation in memory, implementing `Target` and `ContactsAndItems`.

    Args:
        tenant_id: The organisation's id (kept trimmed and lower-case).
        categories: Its tracking categories (with options).
        capabilities: Its limits.
        silent_drop: Drop unusable tracking silently, as Xero does (else reject the document).
        calls_left: The day's call budget (None: unlimited).
        clock: Gives the time stamped on documents.
    """

    def __init__(
        self,
        *,
        tenant_id: str = "tenant-1",
        categories: Sequence[TrackingCategory] = (),
        capabilities: Capabilities | None = None,
        silent_drop: bool = True,
        calls_left: int | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self._tenant_id = canonical_tenant_id(tenant_id, error=TargetError)
        self._categories = {c.id: c for c in categories}
        self.capabilities = capabilities or Capabilities()
        self.silent_drop = silent_drop
        self.calls_left = calls_left
        self._clock = clock
        self._lock = threading.RLock()
        self._docs: dict[str, StoredDocument] = {}
        self._answers: dict[str, tuple[PushResult, ...]] = {}
        self._contacts: dict[str, str] = {}
        self._items: dict[str, str] = {}
        self._ids = (f"{n:08d}-0000-4000-8000-000000000000" for n in itertools.count(1))
        self._numbers: dict[DocumentKind, int] = {}
        self.calls: dict[str, int] = {}

    # -- the curtain -----------------------------------------------------------------------

    @property
    def tenant_id(self) -> str:
        """The organisation's id."""
        return self._tenant_id

    @property
    def total_calls(self) -> int:
        """Every call made, of every method."""
        return sum(self.calls.values())

    def documents(self, kind: DocumentKind | None = None) -> tuple[StoredDocument, ...]:
        """Every stored document (of one kind, if given), in creation order."""
        return tuple(d for d in self._docs.values() if kind is None or d.kind is kind)

    def set_status(self, xero_id: str, status: str) -> None:
        """Change a document's status, as a payment or a void in Xero would."""
        with self._lock:
            doc = self._docs[xero_id]
            self._docs[xero_id] = attrs.evolve(doc, status=status, updated_at=self._clock())

    def add_category(self, name: str, options: Sequence[str] = ()) -> TrackingCategory:
        """Add an active category with active options; return it."""
        with self._lock:
            category = TrackingCategory(
                id=next(self._ids),
                name=name,
                options=tuple(TrackingOption(id=next(self._ids), name=o) for o in options),
            )
            self._categories[category.id] = category
            return category

    def set_option_status(self, category_id: str, option_id: str, status: TrackingStatus) -> None:
        """Archive, delete or restore an option."""
        with self._lock:
            category = self._categories[category_id]
            options = tuple(
                attrs.evolve(o, status=status) if o.id == option_id else o for o in category.options
            )
            self._categories[category_id] = attrs.evolve(category, options=options)

    def add_contact(self, name: str) -> str:
        """Add a contact; return its id."""
        with self._lock:
            contact_id = next(self._ids)
            self._contacts[normalise(name)] = contact_id
            return contact_id

    def add_item(self, code: str) -> None:
        """Add an item."""
        with self._lock:
            self._items[normalise(code)] = code

    def _call(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        if self.calls_left is not None:
            if self.calls_left <= 0:
                msg = "Xero's daily call limit for this organisation is spent; resume tomorrow."
                raise DailyLimitError(msg, retry_after=3600.0, problem="day")
            self.calls_left -= 1

    # -- Target: schema and options ----------------------------------------------------------

    def read_schema(self) -> TrackingSchema:
        """Every category with its options, archived ones included."""
        with self._lock:
            self._call("read_schema")
            return TrackingSchema(
                categories=tuple(self._categories.values()), capabilities=self.capabilities
            )

    def create_option(self, category_id: str, name: str) -> TrackingOption:
        """Create one option (trimmed); reject a duplicate name or an unknown category."""
        with self._lock:
            self._call("create_option")
            category = self._categories.get(category_id)
            if category is None:
                msg = f"Tracking category {category_id!r} does not exist in Xero."
                raise NotFoundError(msg, status=404)
            trimmed = " ".join(name.split())
            if category.options_named(trimmed):
                msg = f'Tracking category "{category.name}" already has an option "{trimmed}".'
                raise RejectedError(msg, messages=(msg,))
            option = TrackingOption(id=next(self._ids), name=trimmed)
            self._categories[category_id] = attrs.evolve(
                category, options=(*category.options, option)
            )
            return option

    # -- Target: documents -----------------------------------------------------------------

    def forget_answers(self) -> None:
        """Forget every Idempotency-Key, as Xero does once a key's lifetime has passed."""
        with self._lock:
            self._answers.clear()

    def as_sent(self, item: PushItem) -> RemoteDocument:
        """The document as `read_documents` would return it once saved as sent."""
        body = item.body
        if not isinstance(body, DocumentBody):
            return RemoteDocument(kind=item.kind, xero_id="", status="")
        try:
            lines = _body_lines(body)
        except RejectedError as exc:
            raise DocumentError(exc.message, document_key=item.key) from exc
        return RemoteDocument(
            kind=item.kind,
            xero_id="",
            status="",
            number=body.number,
            reference=body.reference,
            contact_name=body.contact.name if body.contact is not None else None,
            lines=tuple(RemoteLine(description=d, line_amount=a) for d, a in lines),
        )

    def push(self, items: Sequence[PushItem]) -> tuple[PushResult, ...]:
        """Create or update documents in one request; replay the answer for a seen key."""
        with self._lock:
            self._call("push")
            key = request_key(self._tenant_id, items)
            if key in self._answers:
                return self._answers[key]
            answer = tuple(self._push_one(item) for item in items)
            self._answers[key] = answer
            return answer

    def _push_one(self, item: PushItem) -> PushResult:
        try:
            problem, previous = self._check(item)
            if problem is not None:
                return self._failed(item, problem)
            kept, dropped = self._usable_tracking(item.tracking)
            if dropped and not self.silent_drop:
                return self._failed(item, f"Tracking not found in Xero: {', '.join(dropped)}.")
            doc = self._store(item, kept, previous)
        except RejectedError as exc:
            return self._failed(item, exc.message)
        status = DeliveryStatus.UPDATED if previous else DeliveryStatus.CREATED
        return PushResult(
            key=item.key,
            status=status,
            xero_id=doc.xero_id,
            number=doc.number,
            echoed=kept,
            remote_status=doc.status,
        )

    def _check(self, item: PushItem) -> tuple[str | None, StoredDocument | None]:
        if item.xero_id is None:
            return None, None
        previous = self._docs.get(item.xero_id)
        if previous is None:
            return f"Document {item.xero_id} does not exist in Xero.", None
        if previous.status in _LOCKED:
            return f"Document is {previous.status.lower()} in Xero and cannot be edited.", None
        return None, previous

    def _failed(self, item: PushItem, message: str) -> PushResult:
        return PushResult(
            key=item.key,
            status=DeliveryStatus.FAILED,
            xero_id=item.xero_id,
            messages=(message,),
        )

    def _usable_tracking(
        self, tracking: tuple[tuple[TrackingEntry, ...], ...]
    ) -> tuple[tuple[tuple[TrackingEntry, ...], ...], tuple[str, ...]]:
        kept: list[tuple[TrackingEntry, ...]] = []
        dropped: list[str] = []
        for line in tracking:
            matched = [(entry, self._match(entry)) for entry in line]
            kept.append(tuple(m for _, m in matched if m is not None))
            dropped.extend(f"{e.category_name} = {e.option_name}" for e, m in matched if m is None)
        return tuple(kept), tuple(dropped)

    def _match(self, entry: TrackingEntry) -> TrackingEntry | None:
        category = self._categories.get(entry.category_id)
        if category is None or not category.is_active:
            return None
        by_id = category.option(entry.option_id) if entry.option_id else None
        option = by_id or next(iter(category.options_named(entry.option_name)), None)
        if option is None or not option.is_active:
            return None
        return TrackingEntry(
            category_id=category.id,
            category_name=category.name,
            option_id=option.id,
            option_name=option.name,
        )

    def _store(
        self,
        item: PushItem,
        tracking: tuple[tuple[TrackingEntry, ...], ...],
        previous: StoredDocument | None,
    ) -> StoredDocument:
        contact = self._contact_name(item.body)
        self._check_items(item.body)
        body = item.body
        doc = StoredDocument(
            kind=item.kind,
            xero_id=previous.xero_id if previous else next(self._ids),
            source_key=previous.source_key if previous else item.key,
            status=body.status if isinstance(body, DocumentBody) else "DRAFT",
            updated_at=self._clock(),
            body=body,
            tracking=tracking,
            number=previous.number if previous else self._number(item),
            reference=body.reference if isinstance(body, DocumentBody) else None,
            contact_name=contact,
            total=sum((a or Decimal(0) for _, a in _body_lines(body)), Decimal(0)),
        )
        self._docs[doc.xero_id] = doc
        return doc

    def _number(self, item: PushItem) -> str | None:
        if isinstance(item.body, DocumentBody) and item.body.number:
            return item.body.number
        prefix = _PREFIX.get(item.kind)
        if prefix is None:
            return None
        self._numbers[item.kind] = self._numbers.get(item.kind, 0) + 1
        return f"{prefix}-{self._numbers[item.kind]:04d}"

    def _contact_name(self, body: object) -> str | None:
        if not isinstance(body, DocumentBody) or body.contact is None:
            return None
        contact = body.contact
        if contact.contact_id is not None:
            if contact.contact_id not in self._contacts.values():
                msg = f'Contact "{contact.name}" ({contact.contact_id}) does not exist in Xero.'
                raise RejectedError(msg)
            return contact.name
        if normalise(contact.name) not in self._contacts:
            self._contacts[normalise(contact.name)] = next(self._ids)
        return contact.name

    def _check_items(self, body: object) -> None:
        if not isinstance(body, DocumentBody):
            return
        for line in body.lines:
            if line.item_code and normalise(line.item_code) not in self._items:
                msg = f'Item code "{line.item_code}" is not valid in Xero.'
                raise RejectedError(msg)

    def read_documents(
        self,
        kind: DocumentKind,
        *,
        ids: Sequence[str] | None = None,
        modified_since: dt.datetime | None = None,
        page: int = 1,
    ) -> DocumentPage:
        """Read documents back, by ids or by modification time, 100 a page."""
        with self._lock:
            self._call("read_documents")
            wanted = None if ids is None else set(ids)
            found = sorted(
                (
                    d
                    for d in self._docs.values()
                    if d.kind is kind
                    and (wanted is None or d.xero_id in wanted)
                    and (modified_since is None or d.updated_at > modified_since)
                ),
                key=lambda d: (d.updated_at, d.xero_id),
            )
            start = (page - 1) * _PAGE_SIZE
            chunk = found[start : start + _PAGE_SIZE]
            more = start + _PAGE_SIZE < len(found)
            return DocumentPage(
                documents=tuple(d.remote() for d in chunk), next_page=page + 1 if more else None
            )

    def read_numbered(
        self, kind: DocumentKind, numbers: Sequence[str], *, page: int = 1
    ) -> DocumentPage:
        """The documents of ``kind`` with these numbers (trimmed, case-insensitive), 100 a page."""
        with self._lock:
            self._call("read_numbered")
            wanted = {normalise(n) for n in numbers}
            found = sorted(
                (
                    d
                    for d in self._docs.values()
                    if d.kind is kind and d.number and normalise(d.number) in wanted
                ),
                key=lambda d: (d.updated_at, d.xero_id),
            )
            start = (page - 1) * _PAGE_SIZE
            more = start + _PAGE_SIZE < len(found)
            return DocumentPage(
                documents=tuple(d.remote() for d in found[start : start + _PAGE_SIZE]),
                next_page=page + 1 if more else None,
            )

    def read_statuses(self, kind: DocumentKind, ids: Sequence[str]) -> Mapping[str, str]:
        """The current status of each id found (one call)."""
        with self._lock:
            self._call("read_statuses")
            return {
                i: self._docs[i].status
                for i in ids
                if i in self._docs and self._docs[i].kind is kind
            }

    # -- ContactsAndItems ------------------------------------------------------------------

    def find_contacts(self, names: Sequence[str]) -> Mapping[str, str]:
        """The contact id of each name that exists, keyed by the name as given."""
        with self._lock:
            self._call("find_contacts")
            return {
                n: self._contacts[normalise(n)] for n in names if normalise(n) in self._contacts
            }

    def create_contact(self, contact: ContactRef) -> str:
        """Create a contact; return its id."""
        with self._lock:
            self._call("create_contact")
            if normalise(contact.name) in self._contacts:
                msg = f'A contact named "{contact.name}" already exists in Xero.'
                raise RejectedError(msg, messages=(msg,))
            return self.add_contact(contact.name)

    def find_items(self, codes: Sequence[str]) -> frozenset[str]:
        """The codes (as given) that exist."""
        with self._lock:
            self._call("find_items")
            return frozenset(c for c in codes if normalise(c) in self._items)

    def create_item(self, code: str, description: str) -> None:
        """Create an item with this code."""
        with self._lock:
            self._call("create_item")
            if normalise(code) in self._items:
                msg = f'An item with code "{code}" already exists in Xero ({description}).'
                raise RejectedError(msg, messages=(msg,))
            self.add_item(code)

    def new_id(self) -> str:
        """A fresh id of the kind this target hands out (for tests building fixtures)."""
        with self._lock:
            return next(self._ids)
