"""What one Xero organisation (tenant) holds inside FakeXero.

Everything here is mutated only under FakeXero's state lock. Documents are kept as the
Xero-shaped dicts they are answered with, so what a test inspects is what a client reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

import attrs

from trackmap.testing._fakexero._wire import IdSource, JsonObj, ms_date, new_id

__all__ = [
    "Category",
    "Option",
    "Status",
    "StoredAnswer",
    "StoredDocument",
    "TenantState",
    "same_name",
]

Status = Literal["ACTIVE", "ARCHIVED", "DELETED"]
STATUSES: tuple[Status, ...] = ("ACTIVE", "ARCHIVED", "DELETED")


def same_name(left: str, right: str) -> bool:
    """Xero's name equality for tracking: trimmed, case-insensitive (XERO.md)."""
    return left.strip().casefold() == right.strip().casefold()


@attrs.define(kw_only=True)
class Option:
    """A tracking option."""

    id: str = attrs.field(factory=new_id)
    name: str
    status: Status = "ACTIVE"

    def wire(self, category_id: str) -> JsonObj:
        """The option as Xero answers it."""
        return {
            "TrackingOptionID": self.id,
            "Name": self.name,
            "Status": self.status,
            "TrackingCategoryID": category_id,
            # Xero's option answers carry these beside the status (its OpenAPI examples).
            "HasValidationErrors": False,
            "IsDeleted": self.status == "DELETED",
            "IsArchived": self.status == "ARCHIVED",
            "IsActive": self.status == "ACTIVE",
        }


@attrs.define(kw_only=True)
class Category:
    """A tracking category with its options, in creation order."""

    id: str = attrs.field(factory=new_id)
    name: str
    status: Status = "ACTIVE"
    options: list[Option] = attrs.field(factory=list)

    def option(self, option_id: str) -> Option | None:
        """The option with this id, whatever its status."""
        return next((opt for opt in self.options if opt.id == option_id), None)

    def option_named(self, name: str) -> Option | None:
        """The live (not deleted) option whose name equals ``name`` the way Xero compares."""
        live = (opt for opt in self.options if opt.status != "DELETED")
        return next((opt for opt in live if same_name(opt.name, name)), None)

    def wire(self, *, include_archived: bool) -> JsonObj:
        """The category as Xero answers it; archived options only when asked for."""
        shown = {"ACTIVE", "ARCHIVED"} if include_archived else {"ACTIVE"}
        options = sorted(
            (opt for opt in self.options if opt.status in shown),
            key=lambda opt: opt.name.casefold(),
        )
        return {
            "TrackingCategoryID": self.id,
            "Name": self.name,
            "Status": self.status,
            "Options": [opt.wire(self.id) for opt in options],
        }


@attrs.define(kw_only=True)
class StoredDocument:
    """A document of one kind; ``body`` is Xero-shaped, ``updated`` orders reads."""

    kind: str
    id: str
    body: JsonObj
    updated: dt.datetime
    number: str | None = None


@attrs.frozen(kw_only=True)
class StoredAnswer:
    """The first answer given under an Idempotency-Key, replayed for every repeat."""

    status: int
    body: bytes
    content_type: str
    stored_at: dt.datetime | None = None
    request: bytes = b""


@attrs.define(kw_only=True)
class TenantState:
    """One organisation: tracking, contacts, items, documents, idempotency answers.

    ``numbered`` indexes documents by kind and number, so numbering a new document and
    finding one by number take constant time however many documents are stored.
    """

    tenant_id: str
    ids: IdSource = attrs.field(factory=IdSource)
    categories: dict[str, Category] = attrs.field(factory=dict)
    contacts: dict[str, JsonObj] = attrs.field(factory=dict)
    items: dict[str, JsonObj] = attrs.field(factory=dict)
    documents: dict[str, dict[str, StoredDocument]] = attrs.field(factory=dict)
    numbered: dict[tuple[str, str], dict[str, None]] = attrs.field(factory=dict)
    numbers: dict[str, int] = attrs.field(factory=dict)
    answers: dict[str, StoredAnswer] = attrs.field(factory=dict)
    # Called as (tenant id, kind, document id, created) whenever a document is stored.
    on_document: Callable[[str, str, str, bool], None] | None = None

    def live_categories(self) -> list[Category]:
        """Categories that are not deleted."""
        return [cat for cat in self.categories.values() if cat.status != "DELETED"]

    def category_named(self, name: str) -> Category | None:
        """The live category whose name equals ``name`` the way Xero compares."""
        return next((c for c in self.live_categories() if same_name(c.name, name)), None)

    def contact_named(self, name: str) -> JsonObj | None:
        """The contact with this name (case-insensitive), if any."""
        found = (c for c in self.contacts.values() if same_name(str(c["Name"]), name))
        return next(found, None)

    def add_contact(
        self,
        name: str,
        now: dt.datetime,
        extra: JsonObj | None = None,
        contact_id: str | None = None,
    ) -> JsonObj:
        """Create a contact (as Xero does for an unknown contact name on a document)."""
        contact: JsonObj = dict(extra or {})
        contact.update(
            ContactID=(contact_id or self.ids.new()).lower(),
            Name=name,
            ContactStatus="ACTIVE",
            UpdatedDateUTC=ms_date(now),
        )
        self.contacts[contact["ContactID"]] = contact
        return contact

    def of_kind(self, kind: str) -> dict[str, StoredDocument]:
        """The documents of one kind (``Invoices``...), by id."""
        return self.documents.setdefault(kind, {})

    def store(self, doc: StoredDocument, number: str | None) -> None:
        """Keep a new or changed document, and index it under its number (if any)."""
        docs = self.of_kind(doc.kind)
        old = docs.get(doc.id)
        old_number = None if old is None else old.number
        if old_number is not None and old_number != number:
            self.numbered.get((doc.kind, old_number), {}).pop(doc.id, None)
        if number is not None:
            self.numbered.setdefault((doc.kind, number), {})[doc.id] = None
        doc.number = number
        docs[doc.id] = doc

    def with_number(self, kind: str, number: str) -> list[StoredDocument]:
        """The documents of a kind holding this number, oldest first (usually one or none)."""
        docs = self.of_kind(kind)
        return [docs[doc_id] for doc_id in self.numbered.get((kind, number), {})]

    def next_number(self, prefix: str) -> str:
        """The next document number with this prefix: INV-0001, INV-0002..."""
        count = self.numbers.get(prefix, 0) + 1
        self.numbers[prefix] = count
        return f"{prefix}{count:04d}"
