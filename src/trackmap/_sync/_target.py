"""The Target protocol: what the delivery layer needs from Xero (or any stand-in for it).

`trackmap.xero.XeroTarget` implements it over xero-python; `trackmap.testing.InMemoryTarget`
implements it in memory. Nothing here imports either.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._schema import TrackingOption, TrackingSchema
from trackmap._sources._body import ContactRef

__all__ = [
    "ContactsAndItems",
    "DeliveryStatus",
    "DocumentPage",
    "PushItem",
    "PushResult",
    "RemoteDocument",
    "RemoteLine",
    "Target",
    "TrackingEntry",
]


class DeliveryStatus(enum.Enum):
    """What happened to one document in a push."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    PENDING = "pending"


@attrs.frozen(kw_only=True)
class TrackingEntry:
    """One tracking entry as it goes on (or comes back from) the wire."""

    category_id: str
    category_name: str
    option_id: str | None
    option_name: str


@attrs.frozen(kw_only=True)
class PushItem:
    """One document to create (``xero_id`` None) or update (``xero_id`` set) in one push.

    ``body`` is a `trackmap.DocumentBody` or a xero-python model of the kind's type;
    ``tracking`` has one tuple of entries per body line, in order.
    """

    key: str
    kind: DocumentKind
    body: object
    tracking: tuple[tuple[TrackingEntry, ...], ...]
    idempotency_key: str
    xero_id: str | None = None


@attrs.frozen(kw_only=True)
class PushResult:
    """What the target says became of one pushed document.

    ``echoed`` is the tracking the target echoed for each line (None if it echoed no lines), so
    that the sync layer can verify that nothing was dropped.
    """

    key: str
    status: DeliveryStatus
    xero_id: str | None = None
    number: str | None = None
    messages: tuple[str, ...] = ()
    echoed: tuple[tuple[TrackingEntry, ...], ...] | None = None


@attrs.frozen(kw_only=True)
class RemoteLine:
    """A document line as read back from the target."""

    description: str | None
    line_amount: Decimal | None
    tracking: tuple[TrackingEntry, ...] = ()


@attrs.frozen(kw_only=True)
class RemoteDocument:
    """A document as read back from the target."""

    kind: DocumentKind
    xero_id: str
    status: str
    updated_at: dt.datetime | None = None
    number: str | None = None
    reference: str | None = None
    contact_name: str | None = None
    total: Decimal | None = None
    lines: tuple[RemoteLine, ...] = ()


@attrs.frozen(kw_only=True)
class DocumentPage:
    """One page of documents read back; ``next_page`` is None on the last page."""

    documents: tuple[RemoteDocument, ...]
    next_page: int | None = None


@runtime_checkable
class Target(Protocol):
    """**Protocol:** where documents go. One instance serves one tenant (organisation).

    Implementations raise only `trackmap.errors.TargetError` subclasses.
    """

    @property
    def tenant_id(self) -> str:
        """The organisation this target delivers to."""
        ...

    def read_schema(self) -> TrackingSchema:
        """Read every tracking category with its options, archived ones included."""
        ...

    def create_option(self, category_id: str, name: str) -> TrackingOption:
        """Create one option (trimmed, within the name length) and return it."""
        ...

    def push(self, items: Sequence[PushItem]) -> tuple[PushResult, ...]:
        """Create or update documents of ONE kind in one request; one result per item.

        An error on one document never sinks the others: it is a FAILED result.
        """
        ...

    def read_documents(
        self,
        kind: DocumentKind,
        *,
        ids: Sequence[str] | None = None,
        modified_since: dt.datetime | None = None,
        page: int = 1,
    ) -> DocumentPage:
        """Read documents back, by ids or by modification time, one page at a time."""
        ...

    def read_statuses(self, kind: DocumentKind, ids: Sequence[str]) -> Mapping[str, str]:
        """Return the current status (DRAFT, AUTHORISED, PAID, VOIDED...) of each id found."""
        ...


@runtime_checkable
class ContactsAndItems(Protocol):
    """**Protocol:** optional target powers for the hosts that allow auto-creation (TrackerRMS).

    Names and codes are compared after trimming and case folding.
    """

    def find_contacts(self, names: Sequence[str]) -> Mapping[str, str]:
        """Return the Xero contact id of each name that exists, keyed by the name as given."""
        ...

    def create_contact(self, contact: ContactRef) -> str:
        """Create a contact and return its Xero id."""
        ...

    def find_items(self, codes: Sequence[str]) -> frozenset[str]:
        """Return the item codes (as given) that exist."""
        ...

    def create_item(self, code: str, description: str) -> None:
        """Create an item with this code."""
        ...
