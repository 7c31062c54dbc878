"""trackmap values in, xero-python models out, with trackmap's tracking on every line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from xero_python.accounting import Invoice, LineItem, LineItemTracking
from xero_python.api_client.serializer import serialize

from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._target import PushItem, TrackingEntry
from trackmap.errors import DocumentError
from trackmap.xero._bodies import SPECS, build_model, wire_size, wrap

REGION = TrackingEntry(
    category_id="c-1", category_name="Region", option_id="o-1", option_name="Perth"
)
DEPT = TrackingEntry(category_id="c-2", category_name="Dept", option_id="o-2", option_name="Sales")


def body(lines=2, **kw):
    return DocumentBody(
        contact=ContactRef(name="Acme Ltd"),
        date=dt.date(2026, 11, 1),
        lines=tuple(
            BodyLine(description=f"line {n}", unit_amount=Decimal("10.005"), account_code="200")
            for n in range(lines)
        ),
        number="INV-42",
        **kw,
    )


def item(kind=DocumentKind.SALES_INVOICE, body_=None, tracking=((REGION, DEPT), (REGION,)), **kw):
    return PushItem(
        key="INV-42",
        kind=kind,
        body=body_ if body_ is not None else body(lines=len(tracking)),
        tracking=tracking,
        idempotency_key="k-1",
        **kw,
    )


def wire(model):
    return json.loads(json.dumps(serialize(model)))


class TestEveryKind:
    """Each DocumentKind becomes its own SDK model, type and line shape."""

    @pytest.mark.parametrize(
        ("kind", "wrapper_key", "type_value"),
        [
            (DocumentKind.SALES_INVOICE, "Invoices", "ACCREC"),
            (DocumentKind.BILL, "Invoices", "ACCPAY"),
            (DocumentKind.SALES_CREDIT_NOTE, "CreditNotes", "ACCRECCREDIT"),
            (DocumentKind.PURCHASE_CREDIT_NOTE, "CreditNotes", "ACCPAYCREDIT"),
            (DocumentKind.PURCHASE_ORDER, "PurchaseOrders", None),
            (DocumentKind.SPEND_MONEY, "BankTransactions", "SPEND"),
            (DocumentKind.RECEIVE_MONEY, "BankTransactions", "RECEIVE"),
        ],
    )
    def test_line_item_kinds(self, kind, wrapper_key, type_value):
        spec = SPECS[kind]
        b = body(bank_account_code="090") if spec.resource == "BankTransactions" else body()
        sent = wire(wrap(spec, [build_model(item(kind, body_=b))]))
        document = sent[wrapper_key][0]
        assert type_value == document.get("Type")
        assert [
            [
                {
                    "TrackingCategoryID": "c-1",
                    "TrackingOptionID": "o-1",
                    "Name": "Region",
                    "Option": "Perth",
                },
                {
                    "TrackingCategoryID": "c-2",
                    "TrackingOptionID": "o-2",
                    "Name": "Dept",
                    "Option": "Sales",
                },
            ],
            [
                {
                    "TrackingCategoryID": "c-1",
                    "TrackingOptionID": "o-1",
                    "Name": "Region",
                    "Option": "Perth",
                }
            ],
        ] == [line["Tracking"] for line in document["LineItems"]]
        assert "HasAttachments" not in document

    def test_manual_journal_lines_carry_tracking_in_category_shape(self):
        spec = SPECS[DocumentKind.MANUAL_JOURNAL]
        model = build_model(item(DocumentKind.MANUAL_JOURNAL, body_=body(narration="Accrual")))
        document = wire(wrap(spec, [model]))["ManualJournals"][0]
        assert "Accrual" == document["Narration"]
        assert [10.01, 10.01] == [line["LineAmount"] for line in document["JournalLines"]]
        assert {
            "TrackingCategoryID": "c-1",
            "TrackingOptionID": "o-1",
            "Name": "Region",
            "Option": "Perth",
        } == (document["JournalLines"][1]["Tracking"][0])

    def test_bank_transaction_draft_becomes_authorised(self):
        model = build_model(item(DocumentKind.SPEND_MONEY, body_=body(bank_account_code="090")))
        document = wire(model)
        assert ("AUTHORISED", {"Code": "090"}) == (document["Status"], document["BankAccount"])

    def test_every_kind_has_a_spec(self):
        assert set(DocumentKind) == set(SPECS)


class TestMoneyAndFields:
    """Money is rounded to cents as Decimal before the SDK turns it into a float."""

    def test_unit_amount_rounded_half_up(self):
        model = build_model(item())
        assert Decimal("10.01") == model.line_items[0].unit_amount

    def test_number_contact_and_dates(self):
        document = wire(build_model(item()))
        assert ("INV-42", {"Name": "Acme Ltd"}, "/Date(1793491200000)/") == (
            document["InvoiceNumber"],
            document["Contact"],
            document["Date"],
        )

    def test_contact_by_id_when_known(self):
        b = DocumentBody(
            contact=ContactRef(name="Acme", contact_id="abc"),
            date=dt.date(2026, 1, 1),
            lines=(BodyLine(description="x", unit_amount=Decimal(1)),),
        )
        assert {"ContactID": "abc"} == wire(build_model(item(body_=b, tracking=((),))))["Contact"]

    def test_update_sets_the_id(self):
        assert "x-9" == build_model(item(xero_id="x-9")).invoice_id

    def test_line_without_tracking_sends_none(self):
        document = wire(build_model(item(tracking=((), ()))))
        assert [False, False] == ["Tracking" in line for line in document["LineItems"]]


class TestHostModels:
    """A host's own model gets trackmap's tracking; the host's object is never changed."""

    def test_tracking_replaced_on_a_copy(self):
        old = LineItemTracking(name="Old", option="Gone")
        host = Invoice(type="ACCREC", line_items=[LineItem(description="a", tracking=[old])])
        model = build_model(item(body_=host, tracking=((REGION,),)))
        assert ["Region"] == [t.name for t in model.line_items[0].tracking]
        assert [old] == host.line_items[0].tracking

    def test_line_count_mismatch_names_the_document(self):
        host = Invoice(type="ACCREC", line_items=[LineItem(description="a")])
        with pytest.raises(DocumentError) as info:
            build_model(item(body_=host, tracking=((REGION,), (DEPT,))))
        assert "INV-42" == info.value.document_key
        assert 'invoice "INV-42" has 1 lines but tracking for 2' in str(info.value)

    def test_wrong_model_type(self):
        with pytest.raises(DocumentError, match="ManualJournal"):
            build_model(item(DocumentKind.MANUAL_JOURNAL, body_=Invoice(), tracking=()))

    def test_bank_transaction_needs_a_bank_account(self):
        with pytest.raises(DocumentError, match="bank_account"):
            build_model(item(DocumentKind.SPEND_MONEY))

    def test_setter_value_error_becomes_document_error_naming_the_field(self):
        with pytest.raises(DocumentError, match="status") as info:
            build_model(item(body_=body(status="SHIPPED")))
        assert isinstance(info.value.__cause__, ValueError)


class TestWireSize:
    """The size is measured on the serialised body."""

    def test_size_matches_json(self):
        model = build_model(item())
        assert len(json.dumps(serialize(model)).encode()) == wire_size(model)
