"""Xero's answers in, trackmap values out: statuses, money, times and echoed tracking.

The schema comes as SDK models; documents come as Xero's JSON (read leniently)."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xero_python.accounting import TrackingCategory, TrackingOption

from trackmap._engine._document import DocumentKind
from trackmap._engine._schema import Capabilities, TrackingStatus
from trackmap._sync._target import DeliveryStatus, TrackingEntry
from trackmap.errors import TargetError
from trackmap.xero._bodies import SPECS
from trackmap.xero._read import (
    IDS_PER_WHERE,
    echoed_tracking,
    element_messages,
    has_errors,
    ids_where,
    is_guid,
    listed_documents,
    read_json,
    remote_document,
    tracking_schema,
    type_where,
    where_by_id,
)


@pytest.fixture
def org(xero_fake, xero_clock):
    from test_xero_target import Org  # the end-to-end organisation helper

    return Org(xero_fake, xero_clock)


INVOICE = SPECS[DocumentKind.SALES_INVOICE]
JOURNAL = SPECS[DocumentKind.MANUAL_JOURNAL]


class TestSchema:
    """Categories and options keep Xero's names and statuses."""

    def test_statuses_and_names(self):
        category = TrackingCategory(
            tracking_category_id="c",
            name="Region ",
            status="ARCHIVED",
            options=[
                TrackingOption(tracking_option_id="o1", name="North", status="ACTIVE"),
                TrackingOption(tracking_option_id="o2", name="Old", status="DELETED"),
            ],
        )
        caps = Capabilities(batch_size=10)
        schema = tracking_schema([category], caps)
        (read,) = schema.categories
        assert ("Region ", TrackingStatus.ARCHIVED, caps) == (
            read.name,
            read.status,
            schema.capabilities,
        )
        assert [TrackingStatus.ACTIVE, TrackingStatus.DELETED] == [o.status for o in read.options]

    def test_category_without_options(self):
        category = TrackingCategory(tracking_category_id="c", name="Empty", status="ACTIVE")
        assert () == tracking_schema([category], Capabilities()).categories[0].options


TRACKING_JSON = {
    "TrackingCategoryID": "c",
    "TrackingOptionID": "o",
    "Name": "Region",
    "Option": "North",
}
NORTH = TrackingEntry(category_id="c", category_name="Region", option_id="o", option_name="North")


class TestDocuments:
    """Xero's JSON in: money as Decimal, times aware in UTC, tracking per line."""

    def test_invoice(self):
        invoice = {
            "InvoiceID": "i-1",
            "InvoiceNumber": "INV-1",
            "Type": "ACCREC",
            "Status": "PAID",
            "Contact": {"Name": "Acme"},
            "Total": Decimal("10.10"),
            "UpdatedDateUTC": "/Date(1793523600000+0000)/",
            "LineItems": [
                {"Description": "a", "LineAmount": Decimal("10.1"), "Tracking": [TRACKING_JSON]}
            ],
        }
        document = remote_document(INVOICE, invoice)
        assert ("i-1", "PAID", "INV-1", "Acme", Decimal("10.1")) == (
            document.xero_id,
            document.status,
            document.number,
            document.contact_name,
            document.total,
        )
        assert dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC) == document.updated_at
        assert (NORTH,) == document.lines[0].tracking

    def test_journal_lines(self):
        journal = {
            "ManualJournalID": "j",
            "Status": "POSTED",
            "Narration": "n",
            "JournalLines": [
                {
                    "LineAmount": 5,
                    "Tracking": [{"TrackingCategoryID": "c", "Name": "Region", "Option": "South"}],
                }
            ],
        }
        document = remote_document(JOURNAL, journal)
        assert (None, None, Decimal(5)) == (
            document.number,
            document.total,
            document.lines[0].line_amount,
        )
        assert [("c", None, "South")] == [
            (e.category_id, e.option_id, e.option_name) for e in document.lines[0].tracking
        ]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("/Date(1793523600000+0000)/", dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)),
            ("/Date(1793523600000+1300)/", dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)),
            ("/Date(1793523600000)/", dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)),
            ("2026-11-01T09:00:00", dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)),
            ("2026-11-01T20:00:00+11:00", dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)),
            ("/Date(99999999999999999)/", None),
            ("/Date(abc)/", None),
            ("yesterday", None),
            (1793523600000, None),
            (None, None),
        ],
    )
    def test_times(self, text, expected):
        """An instant is read whatever offset Xero writes beside it; anything else is None."""
        assert (
            expected
            == remote_document(INVOICE, {"InvoiceID": "i", "UpdatedDateUTC": text}).updated_at
        )

    def test_odd_and_missing_fields_read_as_unknown(self):
        """Absent, null and wrongly typed fields read as unknown; the document still reads."""
        document = remote_document(
            INVOICE,
            {
                "InvoiceID": "i",
                "Status": {"odd": 1},
                "InvoiceNumber": 42,
                "Reference": None,
                "Contact": "Acme",
                "Total": "lots",
                "LineItems": [
                    {"Description": ["a"], "LineAmount": True, "Tracking": {"Name": "x"}},
                    "not a line",
                    {"LineAmount": "NaN", "Tracking": [None, {"Option": 7}]},
                ],
            },
        )
        assert ("i", "", "42", None, None, None) == (
            document.xero_id,
            document.status,
            document.number,
            document.reference,
            document.contact_name,
            document.total,
        )
        assert [(None, None, ())] * 2 == [
            (line.description, line.line_amount, line.tracking) for line in document.lines[:2]
        ]
        blank = TrackingEntry(category_id="", category_name="", option_id=None, option_name="")
        assert (blank, attrs.evolve(blank, option_name="7")) == document.lines[2].tracking

    def test_lines_that_are_not_a_list_read_as_none(self):
        assert () == remote_document(INVOICE, {"InvoiceID": "i", "LineItems": {"a": 1}}).lines

    def test_listed_documents_keep_the_kind_and_need_an_id(self):
        """Invoices list sales AND bills; an element that is no object or has no id is left out."""
        answer = {
            "Invoices": [
                {"InvoiceID": "s", "Type": "ACCREC"},
                {"InvoiceID": "b", "Type": "ACCPAY"},
                {"Type": "ACCREC"},
                {"InvoiceID": "", "Type": "ACCREC"},
                {"InvoiceID": "  ", "Type": "ACCREC"},
                {"InvoiceID": 7, "Type": "ACCREC"},
                "INV-1",
                None,
            ]
        }
        assert ["s"] == [d["InvoiceID"] for d in listed_documents(INVOICE, answer)]
        assert [] == listed_documents(INVOICE, {"Invoices": {"InvoiceID": "s"}})
        assert [] == listed_documents(INVOICE, ["Invoices"])

    def test_json_numbers_are_exact(self):
        data = read_json(b'{"Invoices": [{"Total": 0.1, "LineAmount": 3}]}')
        assert Decimal("0.1") == data["Invoices"][0]["Total"]

    @pytest.mark.parametrize("body", [b"<html>", b"\xff\xfe\x00", b"[" * 100_000])
    def test_unreadable_json_is_a_value_error(self, body):
        """Not JSON, not text, nested beyond recursion: a ValueError for the boundary."""
        with pytest.raises(ValueError, match=r"."):
            read_json(body)


class TestEchoAndMessages:
    """No lines in an answer means no echo (None), not an empty echo."""

    @pytest.mark.parametrize("lines", [None, {"x": 1}, "lines"])
    def test_no_lines_is_none(self, lines):
        assert echoed_tracking(INVOICE, {"InvoiceID": "i"}) is None
        assert echoed_tracking(INVOICE, {"InvoiceID": "i", "LineItems": lines}) is None

    def test_lines_without_tracking(self):
        assert ((),) == echoed_tracking(INVOICE, {"LineItems": [{"Description": "a"}]})
        assert ((), ()) == echoed_tracking(INVOICE, {"LineItems": [{"Tracking": None}, 5]})

    def test_tracking_per_line(self):
        answer = {"LineItems": [{"Tracking": [TRACKING_JSON]}, {"Tracking": []}]}
        assert ((NORTH,), ()) == echoed_tracking(INVOICE, answer)

    def test_messages_verbatim(self):
        invoice = {
            "ValidationErrors": [{"Message": "Contact is required"}],
            "Warnings": [{"Message": "Rounded"}],
        }
        assert (("Contact is required",), ("Rounded",)) == element_messages(invoice)

    def test_odd_messages(self):
        """A message that is not text, or an entry that is no object, still counts (blank)."""
        invoice = {"ValidationErrors": [{"Message": 14}, "x", {}], "Warnings": {"Message": "w"}}
        assert (("14", "", ""), ()) == element_messages(invoice)
        assert ((), ()) == element_messages(None)

    @pytest.mark.parametrize(
        ("flag", "expected"),
        [
            (True, True),
            ("true", True),
            (" True ", True),
            (False, False),
            ("false", False),
            (None, False),
            (1, False),
            ("yes", False),
        ],
    )
    def test_has_errors(self, flag, expected):
        assert expected == has_errors({"HasErrors": flag})


class TestWhereFilters:
    """The where filters that ask Xero for one kind, or for documents by id."""

    def test_which_kinds_read_by_where(self):
        by_where = {kind for kind, spec in SPECS.items() if where_by_id(spec)}
        assert {
            DocumentKind.SALES_CREDIT_NOTE,
            DocumentKind.PURCHASE_CREDIT_NOTE,
            DocumentKind.SPEND_MONEY,
            DocumentKind.RECEIVE_MONEY,
            DocumentKind.MANUAL_JOURNAL,
        } == by_where

    def test_type_filters(self):
        assert ('Type=="ACCPAYCREDIT"', None) == (
            type_where(SPECS[DocumentKind.PURCHASE_CREDIT_NOTE]),
            type_where(JOURNAL),
        )

    def test_ids_joined_by_or(self):
        spec = SPECS[DocumentKind.SPEND_MONEY]
        first, second = (
            "0b7c1d2e-3f4a-4b5c-8d6e-7f8a9b0c1d2e",
            "A1B2C3D4-0000-4000-8000-00000000000F",
        )
        expected = f'BankTransactionID==Guid("{first}") OR BankTransactionID==Guid("{second}")'
        assert expected == ids_where(spec, [first, "CN-0001", second])

    def test_a_full_chunk_of_the_longest_id_field_stays_under_2000_characters(self):
        """The longest where (20 bank transaction ids) fits comfortably in a query string."""
        ids = [f"{n:08x}-aaaa-4bbb-8ccc-dddddddddddd" for n in range(IDS_PER_WHERE)]
        where = ids_where(SPECS[DocumentKind.RECEIVE_MONEY], ids)
        query = urllib.parse.urlencode({"where": where, "page": 1})
        assert len(query) < 2000

    @given(
        st.lists(
            st.one_of(
                st.uuids().map(str),
                st.uuids().map(lambda u: str(u).upper()),
                st.text(max_size=40),
            ),
            min_size=1,
            max_size=30,
        )
    )
    def test_exactly_the_guids_go_in_in_order(self, ids):
        """Invariant: the where names every well-formed GUID given, in order, and nothing else."""
        where = ids_where(SPECS[DocumentKind.MANUAL_JOURNAL], ids)
        named = (
            [
                part.removeprefix('ManualJournalID==Guid("').removesuffix('")')
                for part in where.split(" OR ")
            ]
            if where
            else []
        )
        assert [i for i in ids if is_guid(i)] == named


class TestReadNumbered:
    """Sales invoices by number (``InvoiceNumbers``), any status, kind kept apart."""

    def test_invoices_by_number_one_call_and_bills_are_not_sales_invoices(self, org):
        org.target.push([org.item(n) for n in range(3)])
        org.target.push([org.item(7, DocumentKind.BILL)])
        before = len(org.fake.requests)
        page = org.target.read_numbered(DocumentKind.SALES_INVOICE, ["D-0", "D-2", "D-7", "D-9"])
        assert ["D-0", "D-2"] == sorted(d.number or "" for d in page.documents)
        assert all(d.lines for d in page.documents)  # a paged read carries the lines
        (call,) = org.fake.requests[before:]
        assert ("D-0,D-2,D-7,D-9", 'Type=="ACCREC"') == (
            call.query["InvoiceNumbers"],
            call.query["where"],
        )

    def test_a_kind_xero_cannot_read_by_number_is_refused(self, org):
        with pytest.raises(TargetError, match="by number"):
            org.target.read_numbered(DocumentKind.PURCHASE_ORDER, ["PO-1"])


class TestOnlyWhatWasAskedFor:
    """Reads by id and option creation accept nothing but what was asked for.

    The server here ignores the filter it is given (the SDK call is wrapped to drop it), so
    its answer holds documents nobody asked for; XeroTarget must leave them out.
    """

    @staticmethod
    def _pushed(org, count, kind=DocumentKind.SALES_INVOICE):
        results = org.target.push([org.item(n, kind) for n in range(count)])
        return [result.xero_id for result in results]

    @staticmethod
    def _ignore(monkeypatch, org, method, parameter):
        real = getattr(org.target._api, method)

        def unfiltered(*args, **kwargs):
            kwargs.pop(parameter, None)
            return real(*args, **kwargs)

        monkeypatch.setattr(org.target._api, method, unfiltered)

    def test_read_documents_by_ids_leaves_out_other_ids(self, monkeypatch, org):
        first, *_others = self._pushed(org, 3)
        self._ignore(monkeypatch, org, "get_invoices", "i_ds")
        page = org.target.read_documents(DocumentKind.SALES_INVOICE, ids=[first.upper()])
        assert [first] == [document.xero_id for document in page.documents]

    def test_read_statuses_by_where_leaves_out_other_ids(self, monkeypatch, org):
        first, *_others = self._pushed(org, 3, DocumentKind.SPEND_MONEY)
        self._ignore(monkeypatch, org, "get_bank_transactions", "where")
        statuses = org.target.read_statuses(DocumentKind.SPEND_MONEY, [first])
        assert [first] == list(statuses)

    def test_read_numbered_leaves_out_other_numbers(self, monkeypatch, org):
        first, *_others = self._pushed(org, 3)
        self._ignore(monkeypatch, org, "get_invoices", "invoice_numbers")
        page = org.target.read_numbered(DocumentKind.SALES_INVOICE, [" d-0 "])
        assert [first] == [document.xero_id for document in page.documents]

    def test_create_option_refuses_an_answer_about_another_option(self, monkeypatch, org):
        real = org.target._api.create_tracking_options

        def renamed(tenant_id, category_id, option, **kwargs):
            option.name = "Somewhere else"
            return real(tenant_id, category_id, option, **kwargs)

        monkeypatch.setattr(org.target._api, "create_tracking_options", renamed)
        with pytest.raises(TargetError, match=r'"West".*"Somewhere else"'):
            org.target.create_option(org.region, "West")

    def test_create_option_accepts_its_own_name_however_cased(self, org):
        created = org.target.create_option(org.region, " West ")
        assert "West" == created.name


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=True)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["/Date(1793523600000+0000)/", "/Date(-99999999999999999)/", "ACCREC"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "InvoiceID",
                    "Type",
                    "Status",
                    "LineItems",
                    "JournalLines",
                    "Tracking",
                    "Name",
                    "Option",
                    "TrackingCategoryID",
                    "TrackingOptionID",
                    "LineAmount",
                    "Total",
                    "UpdatedDateUTC",
                    "Contact",
                    "ValidationErrors",
                    "Warnings",
                    "Message",
                    "HasErrors",
                    "Invoices",
                    "ManualJournals",
                    "ManualJournalID",
                    "pagination",
                    "pageCount",
                    "Reference",
                    "InvoiceNumber",
                    "Description",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


class TestAnyAnswer:
    """Whatever JSON Xero (or a proxy) sends, reading it gives values, never an exception."""

    @given(json_values)
    def test_push_answers(self, answer):
        """Invariant: every item gets a result of its own, whatever the answer holds."""
        from trackmap._sync._target import PushItem
        from trackmap.xero._target import _next, _result

        for spec in (INVOICE, JOURNAL):
            item = PushItem(key="K", kind=spec.kind, body=None, tracking=(), idempotency_key="k")
            for element in [answer, *(answer if isinstance(answer, list) else [])]:
                result = _result(spec, item, element, updating=False)
                assert "K" == result.key
                assert result.status is not DeliveryStatus.CREATED or result.xero_id
            _next(spec, 1, answer)

    @given(json_values)
    def test_list_answers(self, answer):
        """Invariant: every document read has an id, of the kind asked for."""
        for spec in (INVOICE, JOURNAL):
            for element in listed_documents(
                spec, {spec.wrapper.attribute_map[spec.plural]: [answer]}
            ):
                document = remote_document(spec, element)
                assert document.xero_id
                assert spec.kind is document.kind
