"""FakeXero documents through the SDK: batches, summarizeErrors, tracking, updates, reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import models
from xero_python.accounting.models import (
    Account,
    BankTransaction,
    BankTransactions,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    Item,
    Items,
    LineItem,
    LineItemTracking,
    ManualJournal,
    ManualJournalLine,
    ManualJournals,
    PurchaseOrder,
    PurchaseOrders,
    TrackingCategory,
)
from xero_python.api_client import ModelFinder
from xero_python.api_client.deserializer import deserialize
from xero_python.exceptions import HTTPStatusException, NotFoundException

from trackmap.testing._fakexero import FakeXero, FakeXeroError, VirtualClock

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def clock():
    return VirtualClock(start=START)


@pytest.fixture
def fake(clock):
    with FakeXero(clock=clock) as server:
        server.add_category("Region", options=["North", "South"])
        yield server


@pytest.fixture
def api(fake):
    return fake.sdk_client()


def _sdk_reads(response_type, answer):
    """Deserialise a raw answer exactly as xero-python does (fails if the SDK could not)."""
    return deserialize(response_type, answer.json, ModelFinder(models))


def _tracking(*pairs):
    return [LineItemTracking(name=name, option=option) for name, option in pairs]


def _invoice(*pairs, contact="Acme Ltd", amount=100, **fields):
    line = LineItem(
        description="Work",
        quantity=1,
        unit_amount=amount,
        account_code="200",
        tracking=_tracking(*pairs),
    )
    return Invoice(
        type=fields.pop("type", "ACCREC"),
        contact=Contact(name=contact),
        date=dt.date(2026, 11, 1),
        line_items=[line],
        **fields,
    )


def _put(api, fake, invoices, **kwargs):
    return api.create_invoices(fake.tenant_id, Invoices(invoices=invoices), **kwargs)


def _echoed(invoice):
    return [(t.name, t.option) for line in invoice.line_items for t in line.tracking]


class TestBatchesWithoutSummary:
    """summarizeErrors=false: HTTP 200, one answer per element, failures zero-id'd."""

    def test_one_bad_element_in_fifty(self, fake, api):
        batch = [_invoice(("Region", "North")) for _ in range(50)]
        batch[17] = Invoice(contact=Contact(name="Acme Ltd"), line_items=batch[0].line_items)
        answer = _put(api, fake, batch, summarize_errors=False)
        assert 50 == len(answer.invoices)
        bad = answer.invoices[17]
        assert (ZERO, "ERROR", True) == (
            bad.invoice_id,
            bad.status_attribute_string,
            bad.has_errors,
        )
        assert "Type" in bad.validation_errors[0].message
        good = [i for n, i in enumerate(answer.invoices) if n != 17]
        assert {"OK"} == {i.status_attribute_string for i in good}
        assert 49 == len(fake.documents("Invoices"))

    @pytest.mark.parametrize("spelling", ["false", "False"])
    def test_both_spellings_of_false(self, fake, spelling):
        body = {"Invoices": [{"Contact": {"Name": "A"}, "LineItems": [{"LineAmount": 1}]}]}
        answer = fake.raw("PUT", f"/Invoices?summarizeErrors={spelling}", body)
        assert 200 == answer.status
        assert "ERROR" == answer.json["Invoices"][0]["StatusAttributeString"]

    def test_a_nonsense_flag_is_refused(self, fake):
        answer = fake.raw("PUT", "/Invoices?summarizeErrors=perhaps", {"Invoices": []})
        assert 400 == answer.status


class TestBatchesWithSummary:
    """The default (summarised): HTTP 400 for the batch, valid documents STILL created."""

    def test_failure_answers_400_and_still_creates_the_valid_ones(self, fake, api):
        batch = [_invoice(("Region", "North")) for _ in range(5)]
        batch[2] = Invoice(contact=Contact(name="Acme Ltd"), line_items=batch[0].line_items)
        with pytest.raises(HTTPStatusException) as excinfo:
            _put(api, fake, batch)
        assert 400 == int(excinfo.value.status)
        elements = excinfo.value.error_data["Elements"]
        assert 1 == len(elements)
        assert ZERO == elements[0]["InvoiceID"]
        assert 4 == len(fake.documents("Invoices"))

    def test_an_all_valid_batch_answers_200(self, fake, api):
        answer = _put(api, fake, [_invoice(), _invoice()])
        assert 2 == len({i.invoice_id for i in answer.invoices})


class TestStoredDocuments:
    """Numbers, defaults, Decimal totals and contacts, as Xero fills them in."""

    def test_numbers_status_dates_and_totals(self, fake, api):
        line = LineItem(description="x", quantity=3, unit_amount=Decimal("0.1"), tax_amount=1)
        invoice = Invoice(type="ACCREC", contact=Contact(name="A"), line_items=[line])
        (made,) = _put(api, fake, [invoice]).invoices
        assert ("INV-0001", "DRAFT", dt.date(2026, 11, 1)) == (
            made.invoice_number,
            made.status,
            made.date,
        )
        assert START == made.updated_date_utc
        stored = fake.document("Invoices", made.invoice_id)
        assert (Decimal("0.30"), Decimal(1), Decimal("1.30")) == (
            stored["SubTotal"],
            stored["TotalTax"],
            stored["Total"],
        )

    def test_sales_invoice_numbers_are_unique(self, fake, api):
        _put(api, fake, [_invoice(invoice_number="T-1")])
        (again,) = _put(
            api, fake, [_invoice(invoice_number="T-1")], summarize_errors=False
        ).invoices
        assert ["Invoice # must be unique."] == [e.message for e in again.validation_errors]

    def test_bills_may_share_numbers(self, fake, api):
        bills = [_invoice(type="ACCPAY", invoice_number="SUP-9") for _ in range(2)]
        answer = _put(api, fake, bills, summarize_errors=False)
        assert ["OK", "OK"] == [b.status_attribute_string for b in answer.invoices]

    def test_automatic_numbers_skip_numbers_in_use(self, fake, api):
        _put(api, fake, [_invoice(invoice_number="INV-0001")])
        (made,) = _put(api, fake, [_invoice()]).invoices
        assert "INV-0002" == made.invoice_number

    def test_bills_are_not_numbered_by_xero(self, fake, api):
        (bill,) = _put(api, fake, [_invoice(type="ACCPAY")]).invoices
        assert bill.invoice_number is None

    def test_an_unknown_contact_name_creates_the_contact(self, fake, api):
        _put(api, fake, [_invoice(contact="New Co"), _invoice(contact="new co")])
        contacts = api.get_contacts(fake.tenant_id, where='Name=="New Co"').contacts
        assert 1 == len(contacts)
        ids = {i["Contact"]["ContactID"] for i in fake.documents("Invoices")}
        assert {contacts[0].contact_id} == ids

    def test_an_unknown_contact_id_is_an_element_error(self, fake, api):
        invoice = _invoice()
        invoice.contact = Contact(contact_id="5b8a4e7c-1d2f-4a3b-9c8d-7e6f5a4b3c2d")
        (answer,) = _put(api, fake, [invoice], summarize_errors=False).invoices
        assert "ERROR" == answer.status_attribute_string
        assert [] == fake.documents("Invoices")

    def test_missing_lines_are_an_element_error(self, fake, api):
        invoice = Invoice(type="ACCREC", contact=Contact(name="A"))
        (answer,) = _put(api, fake, [invoice], summarize_errors=False).invoices
        assert "line" in answer.validation_errors[0].message

    def test_set_up_helpers_name_unknown_things(self, fake):
        with pytest.raises(FakeXeroError, match="no documents of kind"):
            fake.documents("Quotes")
        with pytest.raises(FakeXeroError, match="no invoice"):
            fake.set_document_status("Invoices", "INV-0404", "PAID")


class TestTrackingOnLines:
    """Tracking by id or name; unknown and archived entries silently dropped."""

    def test_tracking_by_name_is_echoed_with_ids(self, fake, api):
        (made,) = _put(api, fake, [_invoice(("Region", "North"))]).invoices
        (entry,) = made.line_items[0].tracking
        category = fake.categories()[0]
        north = category["Options"][0]
        assert (category["TrackingCategoryID"], north["TrackingOptionID"], "Region", "North") == (
            entry.tracking_category_id,
            entry.tracking_option_id,
            entry.name,
            entry.option,
        )

    def test_tracking_by_ids_alone(self, fake, api):
        category = fake.categories()[0]
        south = category["Options"][1]["TrackingOptionID"]
        invoice = _invoice()
        invoice.line_items[0].tracking = [
            LineItemTracking(
                tracking_category_id=category["TrackingCategoryID"], tracking_option_id=south
            )
        ]
        (made,) = _put(api, fake, [invoice]).invoices
        assert [("Region", "South")] == _echoed(made)

    def test_archived_and_unknown_options_are_silently_dropped(self, fake, api):
        category = fake.categories()[0]
        fake.set_option_status(
            category["TrackingCategoryID"], category["Options"][0]["TrackingOptionID"], "ARCHIVED"
        )
        batch = [
            _invoice(("Region", "North")),
            _invoice(("Region", "Nowhere")),
            _invoice(("Nope", "North")),
        ]
        answer = _put(api, fake, batch, summarize_errors=False)
        assert [[], [], []] == [_echoed(i) for i in answer.invoices]
        assert {"OK"} == {i.status_attribute_string for i in answer.invoices}
        assert [[] for _ in range(3)] == [
            i.validation_errors + (i.warnings or []) for i in answer.invoices
        ]

    def test_renamed_options_read_back_under_their_new_names(self, fake, api):
        (made,) = _put(api, fake, [_invoice(("Region", "North"))]).invoices
        category = fake.categories()[0]
        fake.rename_option(
            category["TrackingCategoryID"], category["Options"][0]["TrackingOptionID"], "Nord"
        )
        (read,) = api.get_invoice(fake.tenant_id, made.invoice_id).invoices
        assert [("Region", "Nord")] == _echoed(read)

    @pytest.mark.breaks_contract("three tracking entries on a line, to see Xero refuse them")
    def test_three_tracking_entries_are_an_element_error(self, fake, api):
        invoice = _invoice(("Region", "North"), ("Region", "South"), ("X", "Y"))
        (answer,) = _put(api, fake, [invoice], summarize_errors=False).invoices
        assert "at most 2" in answer.validation_errors[0].message

    def test_two_options_of_one_category_are_an_element_error(self, fake, api):
        invoice = _invoice(("Region", "North"), ("Region", "South"))
        (answer,) = _put(api, fake, [invoice], summarize_errors=False).invoices
        assert "only one option" in answer.validation_errors[0].message

    def test_tracking_as_an_object_gets_http_500(self, fake):
        line = {"LineAmount": 1, "Tracking": {"Name": "Region", "Option": "North"}}
        body = {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "A"}, "LineItems": [line]}]}
        assert 500 == fake.raw("PUT", "/Invoices", body).status
        assert [] == fake.documents("Invoices")

    @pytest.mark.parametrize("field", ["TrackingCategoryID", "TrackingOptionID"])
    def test_a_malformed_guid_fails_the_whole_request(self, fake, field):
        line = {
            "LineAmount": 1,
            "Tracking": [{field: "not-a-guid", "Name": "Region", "Option": "North"}],
        }
        good = {"Type": "ACCREC", "Contact": {"Name": "A"}, "LineItems": [{"LineAmount": 1}]}
        bad = {**good, "LineItems": [line]}
        answer = fake.raw("PUT", "/Invoices?summarizeErrors=false", {"Invoices": [good, bad]})
        assert (400, 14, "PostDataInvalidException") == (
            answer.status,
            answer.json["ErrorNumber"],
            answer.json["Type"],
        )
        assert [] == fake.documents("Invoices")


class TestUpdates:
    """PUT creates only; POST updates by id, replacing lines; locked statuses refuse edits."""

    def test_put_with_an_existing_id_is_an_element_error(self, fake, api):
        (made,) = _put(api, fake, [_invoice()]).invoices
        again = _invoice()
        again.invoice_id = made.invoice_id
        (answer,) = _put(api, fake, [again], summarize_errors=False).invoices
        assert "PUT only creates" in answer.validation_errors[0].message

    def test_post_replaces_the_lines_wholesale_and_creates_the_rest(self, fake, api, clock):
        (made,) = _put(api, fake, [_invoice(("Region", "North"))]).invoices
        clock.advance(60)
        update = Invoice(
            invoice_id=made.invoice_id,
            line_items=[
                LineItem(description="a", line_amount=5, tracking=_tracking(("Region", "South"))),
                LineItem(description="b", line_amount=7),
            ],
        )
        answer = api.update_or_create_invoices(
            fake.tenant_id, Invoices(invoices=[update, _invoice()]), summarize_errors=False
        )
        first, second = answer.invoices
        assert (made.invoice_id, [("Region", "South")], Decimal(12)) == (
            first.invoice_id,
            _echoed(first),
            first.sub_total,
        )
        assert START + dt.timedelta(seconds=60) == first.updated_date_utc
        assert made.invoice_id != second.invoice_id
        assert 2 == len(fake.documents("Invoices"))

    def test_post_with_an_unknown_id_is_an_element_error(self, fake, api):
        ghost = _invoice()
        ghost.invoice_id = "0b7c1d2e-3f4a-4b5c-8d6e-7f8a9b0c1d2e"
        answer = api.update_or_create_invoices(
            fake.tenant_id, Invoices(invoices=[ghost]), summarize_errors=False
        )
        assert "not found" in answer.invoices[0].validation_errors[0].message

    @pytest.mark.parametrize("status", ["PAID", "VOIDED", "DELETED"])
    def test_a_locked_document_cannot_be_updated(self, fake, api, status):
        (made,) = _put(api, fake, [_invoice()]).invoices
        fake.set_document_status("Invoices", made.invoice_id, status)
        update = Invoice(invoice_id=made.invoice_id, reference="changed")
        answer = api.update_or_create_invoices(
            fake.tenant_id, Invoices(invoices=[update]), summarize_errors=False
        )
        message = answer.invoices[0].validation_errors[0].message
        assert "Invoice not of valid status for modification" == message
        assert "changed" != fake.document("Invoices", made.invoice_id).get("Reference")

    def test_paid_settles_the_amount_due(self, fake, api):
        (made,) = _put(api, fake, [_invoice(amount=40)]).invoices
        fake.set_document_status("Invoices", made.invoice_id, "PAID")
        (read,) = api.get_invoice(fake.tenant_id, made.invoice_id).invoices
        assert ("PAID", Decimal(0), Decimal(40)) == (read.status, read.amount_due, read.amount_paid)

    def test_update_by_id_in_the_path(self, fake, api):
        (made,) = _put(api, fake, [_invoice()]).invoices
        update = Invoices(invoices=[Invoice(reference="PO 7")])
        (answer,) = api.update_invoice(fake.tenant_id, made.invoice_id, update).invoices
        assert (made.invoice_id, "PO 7") == (answer.invoice_id, answer.reference)


class TestReading:
    """GET lists: ordered by UpdatedDateUTC then id; page, pageSize, IDs, Statuses, since."""

    def _make(self, api, fake, count, clock=None):
        made = []
        for _ in range(count):
            made.extend(_put(api, fake, [_invoice()]).invoices)
            if clock is not None:
                clock.advance(1)
        return made

    def test_pages_of_100(self, fake, api):
        fake.limits.minute = 1000
        body = {
            "Invoices": [
                {"Type": "ACCREC", "Contact": {"Name": "A"}, "LineItems": [{"LineAmount": 1}]}
            ]
            * 250
        }
        assert 200 == fake.raw("PUT", "/Invoices", body).status
        sizes = [len(api.get_invoices(fake.tenant_id, page=n).invoices) for n in (1, 2, 3, 4)]
        assert [100, 100, 50, 0] == sizes
        page = api.get_invoices(fake.tenant_id, page=2)
        assert (2, 100, 3, 250) == (
            page.pagination.page,
            page.pagination.page_size,
            page.pagination.page_count,
            page.pagination.item_count,
        )
        assert 250 == len(api.get_invoices(fake.tenant_id, page=1, page_size=1000).invoices)

    def test_unpaged_lists_are_summaries_without_lines(self, fake, api):
        (made,) = self._make(api, fake, 1)
        (summary,) = api.get_invoices(fake.tenant_id).invoices
        (paged,) = api.get_invoices(fake.tenant_id, page=1).invoices
        (single,) = api.get_invoice(fake.tenant_id, made.invoice_id).invoices
        assert (None, 1, 1) == (summary.line_items, len(paged.line_items), len(single.line_items))

    def test_page_size_over_1000_is_refused(self, fake, api):
        with pytest.raises(HTTPStatusException) as excinfo:
            api.get_invoices(fake.tenant_id, page=1, page_size=1001)
        assert 400 == int(excinfo.value.status)

    def test_order_is_by_update_time_then_id(self, fake, api, clock):
        made = self._make(api, fake, 3, clock)
        clock.advance(5)
        api.update_or_create_invoices(
            fake.tenant_id,
            Invoices(invoices=[Invoice(invoice_id=made[0].invoice_id, reference="r")]),
        )
        order = [i.invoice_id for i in api.get_invoices(fake.tenant_id).invoices]
        assert [made[1].invoice_id, made[2].invoice_id, made[0].invoice_id] == order

    def test_same_instant_orders_by_id(self, fake, api):
        made = self._make(api, fake, 5)
        order = [i.invoice_id for i in api.get_invoices(fake.tenant_id).invoices]
        assert sorted(i.invoice_id for i in made) == order

    def test_ids_and_statuses_filters(self, fake, api):
        made = self._make(api, fake, 3)
        fake.set_document_status("Invoices", made[1].invoice_id, "PAID")
        by_ids = api.get_invoices(fake.tenant_id, i_ds=[made[0].invoice_id, made[2].invoice_id])
        assert {made[0].invoice_id, made[2].invoice_id} == {i.invoice_id for i in by_ids.invoices}
        paid = api.get_invoices(fake.tenant_id, statuses=["PAID"]).invoices
        assert [made[1].invoice_id] == [i.invoice_id for i in paid]

    def test_if_modified_since_returns_later_changes_only(self, fake, api, clock):
        self._make(api, fake, 2, clock)
        since = clock.now()
        clock.advance(1)
        later = self._make(api, fake, 1)
        read = api.get_invoices(fake.tenant_id, if_modified_since=since).invoices
        assert [later[0].invoice_id] == [i.invoice_id for i in read]

    def test_if_modified_since_as_an_http_date(self, fake, api, clock):
        self._make(api, fake, 1)
        header = {"If-Modified-Since": "Sun, 01 Nov 2026 09:00:00 GMT"}
        assert [] == fake.raw("GET", "/Invoices", headers=header).json["Invoices"]

    def test_one_document_by_id_or_number_and_404(self, fake, api):
        (made,) = self._make(api, fake, 1)
        by_number = fake.raw("GET", "/Invoices/INV-0001").json["Invoices"][0]
        assert made.invoice_id == by_number["InvoiceID"]
        with pytest.raises(NotFoundException):
            api.get_invoice(fake.tenant_id, "0b7c1d2e-3f4a-4b5c-8d6e-7f8a9b0c1d2e")

    def test_an_unsupported_where_clause_is_refused_not_ignored(self, fake, api):
        with pytest.raises(HTTPStatusException) as excinfo:
            api.get_invoices(fake.tenant_id, where="Total > 5")
        assert 400 == int(excinfo.value.status)

    def test_order_overrides_the_default(self, fake, api):
        _put(api, fake, [_invoice(amount=5), _invoice(amount=50), _invoice(amount=20)])
        read = api.get_invoices(fake.tenant_id, order="Total DESC").invoices
        assert [Decimal(50), Decimal(20), Decimal(5)] == [i.total for i in read]

    def test_a_nonsense_order_is_refused(self, fake):
        assert 400 == fake.raw("GET", "/Invoices?order=Total%20SIDEWAYS").status

    def test_where_on_a_contact_guid(self, fake, api):
        (made,) = _put(api, fake, [_invoice(contact="Solo")]).invoices
        contact_id = made.contact.contact_id
        where = f'Contact.ContactID=Guid("{contact_id}")'
        read = api.get_invoices(fake.tenant_id, where=where).invoices
        assert [made.invoice_id] == [i.invoice_id for i in read]

    def test_a_simple_where_clause_filters(self, fake, api):
        _put(api, fake, [_invoice(type="ACCPAY"), _invoice()])
        read = api.get_invoices(fake.tenant_id, where='Type=="ACCPAY"').invoices
        assert ["ACCPAY"] == [i.type for i in read]


def _notes(api, fake, *types):
    notes = [
        CreditNote(
            type=doc_type,
            contact=Contact(name="A"),
            reference=f"R{n}",
            line_items=[LineItem(description="x", line_amount=10)],
        )
        for n, doc_type in enumerate(types)
    ]
    return api.create_credit_notes(fake.tenant_id, CreditNotes(credit_notes=notes)).credit_notes


class TestWhereWithOr:
    """where: equality clauses joined by AND or OR (AND binds tighter); anything else is a 400."""

    def test_ids_chained_by_or(self, fake, api):
        made = _notes(api, fake, "ACCRECCREDIT", "ACCPAYCREDIT", "ACCRECCREDIT")
        wanted = [made[0].credit_note_id, made[2].credit_note_id]
        where = " OR ".join(f'CreditNoteID==Guid("{i}")' for i in wanted)
        read = api.get_credit_notes(fake.tenant_id, where=where, page=1).credit_notes
        # Xero orders by modification time, then id: both were made in the same instant.
        assert (sorted(wanted), [1, 1]) == (
            sorted(n.credit_note_id for n in read),
            [len(n.line_items) for n in read],
        )

    def test_and_binds_tighter_than_or(self, fake, api):
        _notes(api, fake, "ACCRECCREDIT", "ACCPAYCREDIT", "ACCRECCREDIT")
        where = 'Type=="ACCPAYCREDIT" AND Reference=="R0" || Reference=="R2"'
        read = api.get_credit_notes(fake.tenant_id, where=where).credit_notes
        assert ["R2"] == [n.reference for n in read]

    def test_or_inside_a_quoted_value_is_text(self, fake, api):
        _put(api, fake, [_invoice(contact="Rock OR Roll"), _invoice(contact="Rock")])
        read = api.get_invoices(fake.tenant_id, where='Contact.Name=="Rock OR Roll"').invoices
        assert ["Rock OR Roll"] == [i.contact.name for i in read]

    @pytest.mark.parametrize(
        "where",
        [
            'Type=="ACCPAY" OR',
            'OR Type=="ACCPAY"',
            '(Type=="ACCPAY" OR Type=="ACCREC")',
            'Type=="ACCPAY" XOR Type=="ACCREC"',
            'Type=="ACCPAY" Type=="ACCREC"',
            'Type!="ACCPAY"',
        ],
    )
    def test_anything_else_is_refused(self, fake, api, where):
        with pytest.raises(HTTPStatusException) as excinfo:
            api.get_invoices(fake.tenant_id, where=where)
        assert 400 == int(excinfo.value.status)


class TestOtherKinds:
    """Credit notes, purchase orders, bank transactions and manual journals round-trip."""

    def test_credit_note(self, fake, api):
        note = CreditNote(
            type="ACCRECCREDIT",
            contact=Contact(name="A"),
            line_items=[
                LineItem(description="x", line_amount=10, tracking=_tracking(("Region", "South")))
            ],
        )
        (made,) = api.create_credit_notes(
            fake.tenant_id, CreditNotes(credit_notes=[note])
        ).credit_notes
        assert ("CN-0001", [("Region", "South")]) == (made.credit_note_number, _echoed(made))

    def test_purchase_order(self, fake, api):
        order = PurchaseOrder(
            contact=Contact(name="Supplier"),
            line_items=[
                LineItem(
                    description="x",
                    quantity=2,
                    unit_amount=5,
                    tracking=_tracking(("Region", "North")),
                )
            ],
        )
        answer = api.create_purchase_orders(fake.tenant_id, PurchaseOrders(purchase_orders=[order]))
        (made,) = answer.purchase_orders
        assert ("PO-0001", Decimal(10), [("Region", "North")]) == (
            made.purchase_order_number,
            made.total,
            _echoed(made),
        )

    def test_bank_transaction(self, fake, api):
        spend = BankTransaction(
            type="SPEND",
            contact=Contact(name="Shop"),
            bank_account=Account(code="090"),
            line_items=[
                LineItem(description="x", line_amount=3, tracking=_tracking(("Region", "North")))
            ],
        )
        (made,) = api.create_bank_transactions(
            fake.tenant_id, BankTransactions(bank_transactions=[spend])
        ).bank_transactions
        assert ("AUTHORISED", [("Region", "North")]) == (made.status, _echoed(made))

    def test_a_bank_transaction_without_bank_account_fails_readably(self, fake):
        spend = {"Type": "SPEND", "Contact": {"Name": "Shop"}, "LineItems": [{"LineAmount": 3}]}
        answer = fake.raw(
            "PUT", "/BankTransactions?summarizeErrors=false", {"BankTransactions": [spend]}
        )
        (echo,) = _sdk_reads("BankTransactions", answer).bank_transactions
        assert "BankAccount" in echo.validation_errors[0].message

    def test_manual_journal_tracking_uses_the_category_shape(self, fake, api):
        tracking = [TrackingCategory(name="Region", option="South")]
        journal = ManualJournal(
            narration="Accrual",
            status="POSTED",
            journal_lines=[
                ManualJournalLine(line_amount=10, account_code="400", tracking=tracking),
                ManualJournalLine(line_amount=-10, account_code="800"),
            ],
        )
        answer = api.create_manual_journals(
            fake.tenant_id, ManualJournals(manual_journals=[journal])
        )
        (made,) = answer.manual_journals
        entry = made.journal_lines[0].tracking[0]
        assert ("Region", "South", "POSTED") == (entry.name, entry.option, made.status)

    def test_an_unbalanced_posted_journal_is_refused(self, fake, api):
        journal = ManualJournal(
            narration="Oops",
            status="POSTED",
            journal_lines=[ManualJournalLine(line_amount=10, account_code="400")],
        )
        answer = api.create_manual_journals(
            fake.tenant_id, ManualJournals(manual_journals=[journal]), summarize_errors=False
        )
        assert "balance" in answer.manual_journals[0].validation_errors[0].message


class TestContactsAndItems:
    """Contacts and items: created with unique names and codes, found by where and IDs."""

    def test_contacts(self, fake, api):
        made = api.create_contacts(fake.tenant_id, Contacts(contacts=[Contact(name="Acme")]))
        contact_id = made.contacts[0].contact_id
        assert (
            contact_id
            == fake.raw("GET", f"/Contacts/{contact_id}").json["Contacts"][0]["ContactID"]
        )
        by_ids = api.get_contacts(fake.tenant_id, i_ds=[contact_id]).contacts
        assert ["Acme"] == [c.name for c in by_ids]
        answer = api.create_contacts(
            fake.tenant_id, Contacts(contacts=[Contact(name="ACME")]), summarize_errors=False
        )
        assert "already assigned" in answer.contacts[0].validation_errors[0].message

    def test_post_updates_a_contact_by_id(self, fake, api):
        contact_id = fake.add_contact("Acme")
        update = Contact(contact_id=contact_id, name="Acme Ltd", email_address="a@example.com")
        api.update_or_create_contacts(fake.tenant_id, Contacts(contacts=[update]))
        (read,) = api.get_contacts(fake.tenant_id, i_ds=[contact_id]).contacts
        assert ("Acme Ltd", "a@example.com") == (read.name, read.email_address)
        assert 1 == len(api.get_contacts(fake.tenant_id).contacts)

    def test_post_updates_an_item_by_code(self, fake, api):
        item_id = fake.add_item("CONSULT")
        api.update_or_create_items(
            fake.tenant_id, Items(items=[Item(code="consult", name="Consulting")])
        )
        (read,) = api.get_items(fake.tenant_id).items
        assert (item_id, "Consulting") == (read.item_id, read.name)

    def test_contacts_changed_since(self, fake, api, clock):
        fake.add_contact("Old Co")
        since = clock.now()
        clock.advance(5)
        fake.add_contact("New Co")
        read = api.get_contacts(fake.tenant_id, if_modified_since=since).contacts
        assert ["New Co"] == [c.name for c in read]

    def test_items(self, fake, api):
        fake.add_item("CONSULT")
        made = api.create_items(fake.tenant_id, Items(items=[Item(code="TRAVEL", name="Travel")]))
        assert "TRAVEL" == made.items[0].code
        assert ["CONSULT", "TRAVEL"] == [i.code for i in api.get_items(fake.tenant_id).items]
        found = api.get_items(fake.tenant_id, where='Code=="TRAVEL"').items
        assert [made.items[0].item_id] == [i.item_id for i in found]
        with pytest.raises(HTTPStatusException):
            api.create_items(fake.tenant_id, Items(items=[Item(code="consult")]))


class TestWhatTheSdkCanRead:
    """Every answer deserialises in xero-python, even echoes of nonsense."""

    def test_a_failed_element_with_bad_enums_and_iso_dates_is_readable(self, fake):
        element = {
            "Type": "BOGUS",
            "Status": "WAT",
            "CurrencyCode": "zz",
            "LineAmountTypes": "Sometimes",
            "Date": "2026-11-01",
            "DueDate": "next tuesday",
            "Contact": "Acme",
            "LineItems": "none",
        }
        answer = fake.raw("PUT", "/Invoices?summarizeErrors=false", {"Invoices": [element]})
        (echo,) = _sdk_reads("Invoices", answer).invoices
        assert (dt.date(2026, 11, 1), "ERROR") == (echo.date, echo.status_attribute_string)
        assert 4 <= len(echo.validation_errors)

    def test_iso_dates_are_stored_in_xeros_format(self, fake):
        element = {
            "Type": "ACCREC",
            "Contact": {"Name": "A"},
            "Date": "2026-11-01",
            "DueDate": "2026-11-30T00:00:00",
            "LineItems": [{"LineAmount": 1}],
        }
        answer = fake.raw("PUT", "/Invoices", {"Invoices": [element]})
        (made,) = _sdk_reads("Invoices", answer).invoices
        assert (dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == (made.date, made.due_date)
        assert "/Date(1795996800000+0000)/" == fake.documents("Invoices")[0]["DueDate"]
