"""Xero's contract: the strict variant catches what the published one lets through."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

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
