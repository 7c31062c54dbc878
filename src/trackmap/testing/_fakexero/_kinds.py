"""The document kinds FakeXero stores, and what Xero requires of each (XERO.md)."""

from __future__ import annotations

import attrs

__all__ = ["KINDS", "Kind"]

_INVOICE_STATUSES = frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"})


@attrs.frozen(kw_only=True)
class Kind:
    """One document endpoint: its keys, types, statuses and line shape."""

    key: str
    singular: str
    id_field: str
    lines_field: str = "LineItems"
    number_field: str | None = None
    number_prefix: str | None = None
    numbered_types: frozenset[str] | None = None
    unique_number_types: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    statuses: frozenset[str]
    default_status: str = "DRAFT"
    locked: frozenset[str] = frozenset({"PAID", "VOIDED", "DELETED"})
    journal: bool = False
    bank: bool = False
    # A list GET without ``page`` answers a summary without lines (xero-node#200,
    # webfox/laravel-xero-oauth2#85): only paged reads and single GETs carry them.
    lines_only_when_paged: bool = True

    def unique_number(self, doc_type: str | None) -> bool:
        """Whether Xero refuses a second document of this type with the same number."""
        return doc_type in self.unique_number_types

    def gets_number(self, doc_type: str | None) -> bool:
        """Whether Xero numbers a new document of this type itself."""
        if self.number_field is None or self.number_prefix is None:
            return False
        return self.numbered_types is None or doc_type in self.numbered_types


KINDS: dict[str, Kind] = {
    kind.key.lower(): kind
    for kind in (
        Kind(
            key="Invoices",
            singular="Invoice",
            id_field="InvoiceID",
            number_field="InvoiceNumber",
            number_prefix="INV-",
            # A bill's number is the supplier's reference: Xero does not invent one.
            numbered_types=frozenset({"ACCREC"}),
            # "Invoice # must be unique." for sales invoices (Xero-Net#236, pyxero#328);
            # bills may share numbers (xeroizer#125: Xero's docs say ACCPAY numbers are not).
            unique_number_types=frozenset({"ACCREC"}),
            types=frozenset({"ACCREC", "ACCPAY"}),
            statuses=_INVOICE_STATUSES,
        ),
        Kind(
            key="CreditNotes",
            singular="Credit note",
            id_field="CreditNoteID",
            number_field="CreditNoteNumber",
            number_prefix="CN-",
            numbered_types=frozenset({"ACCRECCREDIT"}),
            types=frozenset({"ACCRECCREDIT", "ACCPAYCREDIT"}),
            statuses=_INVOICE_STATUSES,
        ),
        Kind(
            key="PurchaseOrders",
            singular="Purchase order",
            id_field="PurchaseOrderID",
            number_field="PurchaseOrderNumber",
            number_prefix="PO-",
            statuses=frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED"}),
            locked=frozenset({"BILLED", "DELETED"}),
            lines_only_when_paged=False,
        ),
        Kind(
            key="BankTransactions",
            singular="Bank transaction",
            id_field="BankTransactionID",
            types=frozenset({"SPEND", "RECEIVE"}),
            statuses=frozenset({"AUTHORISED", "DELETED", "VOIDED"}),
            default_status="AUTHORISED",
            locked=frozenset({"DELETED", "VOIDED"}),
            bank=True,
            # Xero's contract makes LineItems a required property of a BankTransaction
            # answer, so even an unpaged list carries them.
            lines_only_when_paged=False,
        ),
        Kind(
            key="ManualJournals",
            singular="Manual journal",
            id_field="ManualJournalID",
            lines_field="JournalLines",
            statuses=frozenset({"DRAFT", "POSTED", "DELETED", "VOIDED", "ARCHIVED"}),
            locked=frozenset({"DELETED", "VOIDED", "ARCHIVED"}),
            journal=True,
        ),
    )
}
