"""FakeXero's Idempotency-Key lifetime and its answer to a reused key with another body."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._target import DeliveryStatus
from trackmap.testing._fakexero import FakeXero, Limits, VirtualClock
from trackmap.xero import XeroTarget

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
ONE = {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "A"}, "LineItems": [{"LineAmount": 1}]}]}
OTHER = {
    "Invoices": [{"Type": "ACCREC", "Contact": {"Name": "B"}, "LineItems": [{"LineAmount": 2}]}]
}
KEY = {"Idempotency-Key": "batch-1"}


@pytest.fixture
def fake():
    with FakeXero(clock=VirtualClock(start=START)) as server:
        yield server


class TestKeyLifetime:
    """A key's first answer is kept for ``Limits.idempotency_seconds`` of virtual time."""

    def test_the_default_is_a_few_minutes(self):
        assert 60 <= Limits().idempotency_seconds <= 15 * 60

    def test_within_the_lifetime_the_answer_is_replayed(self, fake):
        fake.raw("PUT", "/Invoices", ONE, headers=KEY)
        fake.clock.advance(fake.limits.idempotency_seconds - 1)
        fake.raw("PUT", "/Invoices", ONE, headers=KEY)
        assert (1, [False, True]) == (
            len(fake.documents("Invoices")),
            [r.replayed for r in fake.requests],
        )

    def test_after_the_lifetime_the_key_is_forgotten_and_the_request_runs_again(self, fake):
        fake.raw("PUT", "/Invoices", ONE, headers=KEY)
        fake.clock.advance(fake.limits.idempotency_seconds)
        fake.raw("PUT", "/Invoices", ONE, headers=KEY)
        assert (2, [False, False]) == (
            len(fake.documents("Invoices")),
            [r.replayed for r in fake.requests],
        )

    def test_the_lifetime_is_a_setting(self):
        clock = VirtualClock(start=START)
        with FakeXero(clock=clock, limits=Limits(idempotency_seconds=86_400)) as fake:
            fake.raw("PUT", "/Invoices", ONE, headers=KEY)
            clock.advance(86_399)
            fake.raw("PUT", "/Invoices", ONE, headers=KEY)
            assert 1 == len(fake.documents("Invoices"))


class TestReusedKeyWithAnotherBody:
    """The same key with a different body is refused (400), as idempotent APIs answer."""

    def test_it_is_refused_and_creates_nothing(self, fake):
        fake.raw("PUT", "/Invoices", ONE, headers=KEY)
        refused = fake.raw("PUT", "/Invoices", OTHER, headers=KEY)
        assert 400 == refused.status
        assert "is used with a different request" in str(refused.data)
        assert 1 == len(fake.documents("Invoices"))

    def test_after_the_lifetime_it_is_a_new_request(self, fake):
        fake.raw("PUT", "/Invoices", ONE, headers=KEY)
        fake.clock.advance(fake.limits.idempotency_seconds)
        assert 200 == fake.raw("PUT", "/Invoices", OTHER, headers=KEY).status


class TestIdenticalBodiesDifferentKeys:
    """Two documents with identical bodies and different keys get distinct Idempotency-Keys and
    both reach Xero, even sent in separate requests within the key lifetime."""

    def test_both_are_created(self, fake):
        from trackmap import Pusher, SqliteLedger
        from trackmap._engine._document import Document, Line
        from trackmap._engine._mapping import TrackingMapping
        from trackmap._sources._body import Outbound

        body = DocumentBody(
            contact=ContactRef(name="Acme"),
            date=dt.date(2026, 11, 1),
            lines=(BodyLine(description="Work", unit_amount=Decimal(10), account_code="200"),),
        )
        target = XeroTarget(
            fake.sdk_client(), fake.tenant_id, clock=fake.clock.now, sleep=fake.clock.sleep
        )
        with SqliteLedger(":memory:") as ledger:
            for key in ("A", "B"):
                document = Document(
                    key=key, kind=DocumentKind.SALES_INVOICE, lines=(Line(key="1"),)
                )
                Pusher(
                    target=target,
                    ledger=ledger,
                    mapping=TrackingMapping(bindings=()),
                    fields=(),
                    clock=fake.clock.now,
                ).push([Outbound(document=document, body=body)])
            entries = list(ledger.entries(fake.tenant_id))
        assert 2 == len(fake.documents("Invoices"))
        assert {DeliveryStatus.CREATED} == {e.status for e in entries}
        assert 2 == len({e.xero_id for e in entries})
        puts = [r.headers["idempotency-key"] for r in fake.requests if r.method == "PUT"]
        assert 2 == len(set(puts))
