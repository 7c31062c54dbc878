"""Status sync back: statuses of delivered documents, refreshed in pages, changes reported."""

from __future__ import annotations

import pytest

from delivery_kit import FIELDS, MAPPING, fake_organisation, many, mapping_for, memory_target
from trackmap._engine._document import DocumentKind
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._progress import Phase
from trackmap._sync._push import Pusher
from trackmap._sync._status import StatusChange, refresh_statuses
from trackmap.testing._fakexero import FakeXero
from trackmap.xero._target import XeroTarget

INVOICE = DocumentKind.SALES_INVOICE


@pytest.fixture
def ledger(tmp_path):
    with SqliteLedger(tmp_path / "ledger.db") as opened:
        yield opened


@pytest.fixture
def delivered(ledger):
    target = memory_target()
    Pusher(target=target, ledger=ledger, mapping=MAPPING, fields=FIELDS).push(many(12))
    return target


def xero_id(ledger, target, key):
    return ledger.entries_for(target.tenant_id, INVOICE, [key])[key].xero_id


class TestRefresh:
    """A refresh learns every status once, then reports only what changed."""

    def test_the_first_refresh_reports_only_real_changes(self, delivered, ledger):
        """The ledger knows the status each document was sent with (issue 8, item 7): a
        DRAFT invoice is not reported as "now DRAFT" by the first refresh."""
        entries = list(ledger.entries(delivered.tenant_id))
        assert {"DRAFT"} == {e.remote_status for e in entries}
        delivered.set_status(xero_id(ledger, delivered, "D00003"), "AUTHORISED")
        report = refresh_statuses(delivered, ledger)
        assert 12 == report.checked
        assert [("D00003", "DRAFT", "AUTHORISED")] == [
            (c.key, c.before, c.after) for c in report.changes
        ]

    def test_a_payment_in_xero_is_reported_once(self, delivered, ledger):
        refresh_statuses(delivered, ledger)
        delivered.set_status(xero_id(ledger, delivered, "D00003"), "PAID")
        report = refresh_statuses(delivered, ledger)
        assert (
            StatusChange(
                kind=INVOICE,
                key="D00003",
                xero_id=xero_id(ledger, delivered, "D00003"),
                number="INV-0002",
                before="DRAFT",
                after="PAID",
            ),
        ) == report.changes
        assert 'sales invoice "INV-0002" is now PAID in Xero (was DRAFT).' == (
            report.changes[0].sentence()
        )
        assert () == refresh_statuses(delivered, ledger).changes

    def test_the_status_is_kept_in_the_ledger(self, delivered, ledger):
        delivered.set_status(xero_id(ledger, delivered, "D00000"), "VOIDED")
        refresh_statuses(delivered, ledger)
        entry = ledger.entries_for(delivered.tenant_id, INVOICE, ["D00000"])["D00000"]
        assert "VOIDED" == entry.remote_status

    def test_a_document_gone_from_xero_is_reported_as_gone(self, delivered, ledger):
        refresh_statuses(delivered, ledger)
        gone = xero_id(ledger, delivered, "D00006")
        delivered._docs.pop(gone)
        (change,) = refresh_statuses(delivered, ledger).changes
        assert (None, 'sales invoice "INV-0003" was not found in Xero any more (was DRAFT).') == (
            change.after,
            change.sentence(),
        )

    def test_only_the_chosen_kinds_and_keys_are_asked_for(self, delivered, ledger):
        report = refresh_statuses(delivered, ledger, kinds=[INVOICE], keys={"D00000", "D00003"})
        assert (2, 1) == (report.checked, report.calls)


class TestPaging:
    """Ids go to the target in pages: one call per page per kind."""

    def test_pages_of_ids(self, delivered, ledger):
        seen = []
        report = refresh_statuses(delivered, ledger, page_size=3, progress=seen.append)
        # 12 documents: 4 of each of three kinds -> two pages per kind.
        assert (6, 6) == (report.calls, delivered.calls["read_statuses"])
        assert [3, 4, 7, 8, 11, 12] == [p.done for p in seen]
        assert {Phase.REFRESHING} == {p.phase for p in seen}

    def test_a_day_limit_stops_the_refresh_with_what_it_learnt(self, delivered, ledger):
        delivered.calls_left = 2
        report = refresh_statuses(delivered, ledger, page_size=3)
        # Sales invoices come first: pages of 3 and 1, then the budget is spent.
        assert (4, 3) == (report.checked, report.calls)
        assert "daily call limit" in report.stopped


class TestThroughTheSdk:
    """A payment recorded in FakeXero comes back through XeroTarget and the real SDK."""

    def test_a_paid_invoice_is_synced_back(self, ledger):
        with FakeXero() as fake:
            ids = fake_organisation(fake)
            target = XeroTarget(fake.sdk_client(), fake.tenant_id)
            mapping = mapping_for(ids["region"], ids["job"])
            Pusher(target=target, ledger=ledger, mapping=mapping, fields=FIELDS).push(many(6))
            refresh_statuses(target, ledger)
            paid = ledger.entries_for(fake.tenant_id, INVOICE, ["D00003"])["D00003"]
            fake.set_document_status("Invoices", paid.xero_id, "PAID")
            report = refresh_statuses(target, ledger)
        assert [("D00003", "DRAFT", "PAID")] == [(c.key, c.before, c.after) for c in report.changes]
