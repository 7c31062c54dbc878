"""The Target protocol: what the delivery layer needs from Xero (or any stand-in for it).

`trackmap.xero.XeroTarget` implements it over xero-python; `trackmap.testing.InMemoryTarget`
implements it in memory. Nothing here imports either.

Who does what (one owner per duty; the pusher relies on exactly this and does none of it):

- SPLITTING a request Xero refused as a whole is the TARGET's duty (`Target.push`). The pusher
  sends each request once and never re-sends its documents one by one. A refusal about one
  document costs a few calls (the target narrows it down), a refusal that is about the request
  and not about any one document costs at most two calls, however many documents it carried:
  every document then gets a FAILED result with Xero's message.
- READING TRACKING BACK is the TARGET's duty: every CREATED or UPDATED `PushResult` carries in
  ``echoed`` the tracking Xero holds for each line (from the answer, or read back by id when the
  answer carried no lines). ``echoed`` is None only when it could not be read; the pusher then
  records the document as FAILED with its Xero id (the next push updates it) and never as a
  quiet success. COMPARING the echo with what was sent is the PUSHER's (`verify_tracking`).
- THE ALL-ZERO ID Xero gives a failed element is checked by the TARGET: a CREATED or UPDATED
  result always carries a real Xero id, a FAILED one never carries the all-zero id.
- IDEMPOTENCY: ``PushItem.idempotency_key`` is given by the pusher and is the same for the same
  tenant, kind, document key, content (tracking and body) and ledger revision, and different as
  soon as any of them differs: two documents never share one, and one key never goes with two
  different bodies. The target derives each request's ``Idempotency-Key`` from its items' keys
  in order. Nobody relies on Xero remembering a key: an in-doubt request is settled by reading
  what Xero holds (`Target.read_documents`, compared with `DescribesSent.as_sent`), not by
  replaying it. Where Xero keeps document numbers unique (sales invoices), a member whose
  body set its number is looked up by that number instead (`ReadsByNumber`, optional).
- Errors: implementations raise only `trackmap.errors.TargetError` subclasses; a body that
  cannot be built is a FAILED result of that item, never an exception of the whole push.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._match import TrackingEntry
from trackmap._engine._schema import TrackingOption, TrackingSchema
from trackmap._sources._body import ContactRef

__all__ = [
    "ContactsAndItems",
    "DeliveryStatus",
    "DescribesSent",
    "DocumentPage",
    "KnowsXeroClock",
    "PushItem",
    "PushResult",
    "ReadsByNumber",
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
    HELD = "held"  # for a person: an earlier send whose fate in Xero cannot be proven


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

    ``echoed`` is the tracking Xero holds for each line (None only if it could not be read), so
    that the sync layer can verify that nothing was dropped. ``remote_status`` is Xero's own
    status of the document as saved (DRAFT, AUTHORISED...), when the answer said.
    """

    key: str
    status: DeliveryStatus
    xero_id: str | None = None
    number: str | None = None
    messages: tuple[str, ...] = ()
    echoed: tuple[tuple[TrackingEntry, ...], ...] | None = None
    remote_status: str | None = None


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
        """Create or update documents of ONE kind; one result per item, in order.

        An error on one document never sinks the others: it is a FAILED result (nothing
        saved). A PENDING result says the target cannot tell whether Xero saved that document
        (its answer did not mention it): the pusher keeps it in doubt and settles it by reading
        Xero, exactly as for a request whose whole answer was lost. A request
        refused as a whole is narrowed down here (see the module notes), never by the caller.
        Raises a `TargetError` only when the outcome is unknown or nothing was done (Xero
        unreachable, a day limit): the caller then treats every item as possibly sent.
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
class DescribesSent(Protocol):
    """**Protocol:** a target that can say what Xero will hold of a document before sending it.

    Settlement (docs/delivery.md) recognises a document whose answer was lost by comparing
    what Xero holds with this description. `XeroTarget` and `InMemoryTarget` implement it; a
    target that does not gets every in-doubt creation HELD for a person instead (never re-sent
    blind).
    """

    def as_sent(self, item: PushItem) -> RemoteDocument:
        """The document as `read_documents` would return it once Xero saved ``item`` as sent.

        Only what the sender decides is filled in (number and reference if the body sets them,
        the contact's name if the body names it, each line's description and amount); what
        Xero assigns (id, number, status, times) is left empty. Settlement compares it with
        what Xero holds to recognise a document whose answer was lost.

        Raises:
            DocumentError: The body cannot be sent (the same reason `push` would fail it for).
        """
        ...


@runtime_checkable
class ReadsByNumber(Protocol):
    """**Protocol:** a target that can read documents by their numbers (optional).

    Settlement uses it for the kinds whose numbers Xero keeps unique in an organisation (sales
    invoices, XERO.md): an in-doubt member whose body set its number is settled by looking
    that number up, whenever and however the document was changed since. A target without
    it has those members settled like the others (by the documents changed since the send).
    """

    def read_numbered(
        self, kind: DocumentKind, numbers: Sequence[str], *, page: int = 1
    ) -> DocumentPage:
        """Read the documents of ``kind`` whose number is one of ``numbers``, any status.

        One call a page. Numbers are compared as Xero compares them; the caller matches the
        answer to its numbers itself, so a document it did not ask for does no harm.
        """
        ...


@runtime_checkable
class KnowsXeroClock(Protocol):
    """**Protocol:** a target that knows how far this machine's clock is from Xero's (optional).

    Settlement reads the documents Xero changed since an in-doubt intent was written; the
    intent's time is this machine's, the filter and the documents' times are Xero's. With the
    offset, settlement turns the one into the other (`trackmap.xero.XeroTarget` measures it
    on every answer, from the ``Date`` header). Without it, the clocks are taken to agree
    within the settlement margin.
    """

    @property
    def clock_offset(self) -> dt.timedelta | None:
        """This machine's clock minus Xero's, as last measured; None when not known yet."""
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
