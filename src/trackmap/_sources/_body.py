"""What a host hands over besides tracking: the document body, and the pair of both.

The engine only sees `Document` (keys and field values). Delivery also needs the Xero body:
either trackmap's small neutral `DocumentBody` below, or a xero-python model built by the host.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import attrs

from trackmap._engine._document import Document

__all__ = ["BodyLine", "ContactRef", "DocumentBody", "Outbound"]


@attrs.frozen(kw_only=True)
class ContactRef:
    """The contact of a document: by Xero id when the host stored it, else by name."""

    name: str
    contact_id: str | None = None
    email: str | None = None


@attrs.frozen(kw_only=True)
class BodyLine:
    """One line of trackmap's neutral document body (money as Decimal, never float).

    ``discount_rate`` is a percentage (Xero supports it on sales invoices); ``tax_amount``
    overrides the tax Xero would compute from the tax type (Xero allows it), and a split keeps
    it exact across the split lines (see `trackmap.split_body`).
    """

    description: str
    unit_amount: Decimal
    quantity: Decimal = Decimal(1)
    account_code: str | None = None
    tax_type: str | None = None
    item_code: str | None = None
    # Fields added after bodies were first digested: left out of the digest while None, so
    # the ledger's stored fingerprints of older bodies stay valid (see `_sync._keys`).
    discount_rate: Decimal | None = attrs.field(default=None, metadata={"digest": "omit_none"})
    tax_amount: Decimal | None = attrs.field(default=None, metadata={"digest": "omit_none"})


def _body_lines(items: Iterable[BodyLine]) -> tuple[BodyLine, ...]:
    # A typed converter: with a bare `tuple`, mypy cannot type the __init__ argument.
    return tuple(items)


@attrs.frozen(kw_only=True)
class DocumentBody:
    """trackmap's small neutral document, for hosts that do not build xero-python models.

    The lines align one to one, in order, with the engine document's lines; trackmap puts the
    resolved tracking on them. ``number`` is the invoice / credit note / purchase order number;
    ``bank_account_code`` is for spend and receive money; ``narration`` for manual journals
    (whose line ``unit_amount`` is the signed line amount).
    """

    contact: ContactRef | None
    date: dt.date
    lines: tuple[BodyLine, ...] = attrs.field(converter=_body_lines)
    due_date: dt.date | None = None
    number: str | None = None
    reference: str | None = None
    currency_code: str | None = None
    status: str = "DRAFT"
    line_amount_types: str = "Exclusive"
    bank_account_code: str | None = None
    narration: str | None = None


@attrs.frozen(kw_only=True)
class Outbound:
    """One document ready for delivery: the engine document and its body.

    ``body`` is a `DocumentBody`, or a xero-python model of the kind's type (Invoice,
    CreditNote, PurchaseOrder, BankTransaction, ManualJournal) whose lines align, in order,
    with ``document.lines``.
    """

    document: Document
    body: object
