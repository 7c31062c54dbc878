"""Xero's contract: the strict variant catches what the published one lets through."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import ClassVar

import pytest
from xero_python.api_client.serializer import serialize

from contract.xero_contract import ENV, load, missing_reason, spec_path
from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._target import PushItem, TrackingEntry
from trackmap.xero._bodies import SPECS, build_model, wrap

ENTRY = TrackingEntry(
    category_id="5e2f0b54-5b0a-4cbb-9d44-2f0c1c6b4a11",
    category_name="Region",
    option_id="0b1c8e55-2f4d-4f59-8c3e-6a2d7a0e9b22",
    option_name="Perth",
)


def wire_body(kind=DocumentKind.SALES_INVOICE, tracking=((ENTRY,),)):
    body = DocumentBody(
        contact=ContactRef(name="Acme Ltd"),
        date=dt.date(2026, 11, 1),
        due_date=dt.date(2026, 11, 30),
        lines=tuple(
            BodyLine(description="Work", unit_amount=Decimal(100), account_code="200")
            for _ in tracking
        ),
        number="INV-42",
        bank_account_code="090",
        narration="Accrual",
    )
    item = PushItem(key="INV-42", kind=kind, body=body, tracking=tracking, idempotency_key="k")
    return json.loads(json.dumps(serialize(wrap(SPECS[kind], [build_model(item)]))))


PATHS = {
    "Invoices": "/api.xro/2.0/Invoices",
    "CreditNotes": "/api.xro/2.0/CreditNotes",
    "PurchaseOrders": "/api.xro/2.0/PurchaseOrders",
    "BankTransactions": "/api.xro/2.0/BankTransactions",
    "ManualJournals": "/api.xro/2.0/ManualJournals",
}


class TestLoading:
    """The spec is found through TRACKMAP_XERO_SPEC, loaded once, skipped with a reason."""

    def test_env_variable_wins(self, monkeypatch, tmp_path):
        monkeypatch.setenv(ENV, str(tmp_path / "x.yaml"))
        assert tmp_path / "x.yaml" == spec_path()
        assert ENV in missing_reason()

    def test_loaded_once(self, xero_contract):
        assert load() is xero_contract


class TestTrackmapBodies:
    """Every body trackmap builds, for every kind, fits the strict variant."""

    @pytest.mark.parametrize("kind", list(DocumentKind))
    def test_every_kind(self, xero_contract, kind):
        spec = SPECS[kind]
        body = wire_body(kind, tracking=((ENTRY,), ()))
        assert [] == xero_contract.strict.errors("PUT", PATHS[spec.resource], body)
        assert [] == xero_contract.strict.errors("POST", PATHS[spec.resource], body)


class TestStrictVariantCatches:
    """Four mistakes the published spec lets through; the strict variant rejects each."""

    @staticmethod
    def both(contracts, body):
        path = PATHS["Invoices"]
        return (
            contracts.published.errors("PUT", path, body),
            contracts.strict.errors("PUT", path, body),
        )

    def test_misspelt_key(self, xero_contract):
        body = wire_body()
        body["Invoices"][0]["Referense"] = "typo"
        published, strict = self.both(xero_contract, body)
        assert [] == published
        assert any("Referense" in e for e in strict)

    def test_three_tracking_entries(self, xero_contract):
        body = wire_body()
        line = body["Invoices"][0]["LineItems"][0]
        line["Tracking"] = [copy.deepcopy(line["Tracking"][0]) for _ in range(3)]
        published, strict = self.both(xero_contract, body)
        assert [] == published
        assert any("Tracking" in e and "too long" in e for e in strict)

    def test_bare_invoice_not_wrapped(self, xero_contract):
        bare = wire_body()["Invoices"][0]
        published, strict = self.both(xero_contract, bare)
        assert [] == published
        assert strict != []

    def test_bad_date(self, xero_contract):
        body = wire_body()
        body["Invoices"][0]["Date"] = "next tuesday"
        published, strict = self.both(xero_contract, body)
        assert [] == published
        assert any("next tuesday" in e for e in strict)

    def test_read_only_field(self, xero_contract):
        body = wire_body()
        body["Invoices"][0]["SubTotal"] = 100.0
        assert any("SubTotal" in e for e in self.both(xero_contract, body)[1])

    def test_iso_and_ms_dates_pass(self, xero_contract):
        for value in ("2026-11-01", "/Date(1793491200000)/", "/Date(1793491200000+0000)/"):
            body = wire_body()
            body["Invoices"][0]["Date"] = value
            assert [] == self.both(xero_contract, body)[1]


class _Record:
    """A recorded exchange, shaped like FakeXero's `RecordedRequest`, built by hand."""

    def __init__(self, method, path, *, query=None, headers=None, status=200, answer=None):
        self.method = method
        self.path = path
        self.query = query or {}
        self.headers = {
            "user-agent": "xero-python (15.2.0)",
            "authorization": "<redacted>",
            "xero-tenant-id": "5e2f0b54-5b0a-4cbb-9d44-2f0c1c6b4a11",
            **(headers or {}),
        }
        self.status = status
        self.handled = True
        self.answer_headers = {"Content-Type": "application/json; charset=utf-8"}
        self.answer = json.dumps(answer if answer is not None else {}).encode()


class TestWholeRequests:
    """Path, query and headers of what the SDK sent are held to the contract too."""

    def test_a_fitting_request(self, xero_contract):
        record = _Record(
            "GET",
            "/Invoices",
            query={
                "page": "1",
                "IDs": "5e2f0b54-5b0a-4cbb-9d44-2f0c1c6b4a11",
                "summaryOnly": "true",
            },
        )
        assert [] == xero_contract.exchanges.request_errors(record)

    def test_capitalised_booleans_are_a_counted_quirk(self, xero_contract):
        before = sum(xero_contract.exchanges.quirks.values())
        record = _Record("PUT", "/Invoices", query={"summarizeErrors": "False"})
        assert [] == xero_contract.exchanges.request_errors(record)
        assert before + 1 == sum(xero_contract.exchanges.quirks.values())

    @pytest.mark.parametrize(
        ("record", "expected"),
        [
            (_Record("GET", "/Invoices", query={"pageSise": "100"}), "'pageSise' is not declared"),
            (_Record("GET", "/Invoices", query={"page": "one"}), "not an integer"),
            (_Record("GET", "/Invoices", query={"IDs": "INV-1"}), "is not a GUID"),
            (_Record("PUT", "/Invoices", query={"summarizeErrors": "no"}), "not a boolean"),
            (_Record("GET", "/Invoices", headers={"xero-tenant-id": None}), "xero-tenant-id"),
            (_Record("GET", "/Invoices", headers={"authorization": None}), "Authorization"),
            (
                _Record("PUT", "/Invoices", headers={"idempotency-key": "k" * 129}),
                "129 characters",
            ),
            (_Record("GET", "/TrackingCategories/not-a-guid"), "is not a GUID"),
            (_Record("PATCH", "/Invoices"), "no such operation"),
            (
                _Record("GET", "/Invoices", headers={"if-modified-since": "yesterday"}),
                "not an ISO 8601 date-time",
            ),
        ],
    )
    def test_each_breach_is_caught(self, xero_contract, record, expected):
        record.headers = {k: v for k, v in record.headers.items() if v is not None}
        errors = xero_contract.exchanges.request_errors(record)
        assert any(expected in error for error in errors), errors

    def test_hand_made_requests_are_not_held_to_it(self, xero_contract):
        record = _Record("GET", "/Invoices", query={"bogus": "1"})
        record.headers["user-agent"] = "python-urllib3/2"
        assert [] == xero_contract.exchanges.request_errors(record)


class TestAnswers:
    """FakeXero's answers are held to the response schema of their status."""

    INVOICE: ClassVar = {"InvoiceID": "5e2f0b54-5b0a-4cbb-9d44-2f0c1c6b4a11", "Type": "ACCREC"}

    def test_a_fitting_answer(self, xero_contract):
        record = _Record("GET", "/Invoices", answer={"Invoices": [self.INVOICE]})
        assert [] == xero_contract.exchanges.answer_errors(record)

    @pytest.mark.parametrize(
        ("invoice", "expected"),
        [
            ({"Type": "SALES"}, "'SALES' is not one of"),
            ({"Total": "12.50"}, "is not of type 'number'"),
            ({"LineItems": {"Description": "x"}}, "is not of type 'array'"),
        ],
    )
    def test_each_breach_is_caught(self, xero_contract, invoice, expected):
        record = _Record("PUT", "/Invoices", answer={"Invoices": [{**self.INVOICE, **invoice}]})
        errors = xero_contract.exchanges.answer_errors(record)
        assert any(expected in error for error in errors), errors

    def test_a_400_is_held_to_the_error_schema(self, xero_contract):
        record = _Record("PUT", "/Invoices", status=400, answer={"ErrorNumber": "ten"})
        errors = xero_contract.exchanges.answer_errors(record)
        assert any("ErrorNumber" in error for error in errors), errors

    def test_an_undocumented_status_is_counted_not_validated(self, xero_contract):
        before = xero_contract.exchanges.totals()[2]
        record = _Record("GET", "/Invoices", status=429, answer="not json")
        assert [] == xero_contract.exchanges.answer_errors(record)
        assert before + 1 == xero_contract.exchanges.totals()[2]
