"""InMemoryTarget: the test kit's organisation in memory, with the Xero behaviours that matter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from delivery_kit import JOB, REGION, memory_target, outbound
from trackmap._engine._document import DocumentKind
from trackmap._engine._schema import TrackingStatus
from trackmap._sources._body import ContactRef
from trackmap._sync._target import (
    ContactsAndItems,
    DeliveryStatus,
    PushItem,
    ReadsByNumber,
    Target,
    TrackingEntry,
)
from trackmap.errors import DailyLimitError, NotFoundError, RejectedError

INVOICE = DocumentKind.SALES_INVOICE


def entry(category_id: str, option_name: str, option_id: str | None = None) -> TrackingEntry:
    name = "Region" if category_id == REGION else "Job"
    return TrackingEntry(
        category_id=category_id, category_name=name, option_id=option_id, option_name=option_name
    )


def item(key: str, *tracking, idem: str | None = None, xero_id=None, **body) -> PushItem:
    return PushItem(
        key=key,
        kind=INVOICE,
        body=outbound(key, jobs=("J1",), **body).body,
        tracking=(tuple(tracking),),
        idempotency_key=idem or f"k-{key}",
        xero_id=xero_id,
    )


@pytest.fixture
def target():
    return memory_target()


class TestProtocols:
    """It is a Target and a ContactsAndItems."""

    def test_protocols(self, target):
        assert (True, True) == (isinstance(target, Target), isinstance(target, ContactsAndItems))


class TestReadNumbered:
    """Documents by number, trimmed and case-insensitively, of one kind only."""

    def test_by_number(self, target):
        numbered = [
            attrs.evolve(one, body=attrs.evolve(one.body, number=f"INV-{n}"))
            for n, one in enumerate((item("A"), item("B")), 1)
        ]
        target.push(numbered)
        page = target.read_numbered(INVOICE, ["inv-1", "INV-3"])
        assert (["INV-1"], None) == ([d.number for d in page.documents], page.next_page)
        assert () == target.read_numbered(DocumentKind.BILL, ["INV-1"]).documents
        assert isinstance(target, ReadsByNumber)


class TestPush:
    """Creation, update by id, replay of a seen key, and Xero's refusals."""

    def test_create_then_update_by_id(self, target):
        (created,) = target.push([item("A", entry(REGION, "North"))])
        (updated,) = target.push(
            [item("A", entry(REGION, "South"), idem="k2", xero_id=created.xero_id)]
        )
        assert (DeliveryStatus.CREATED, DeliveryStatus.UPDATED) == (created.status, updated.status)
        assert created.xero_id == updated.xero_id
        assert "South" == target.documents()[0].tracking[0][0].option_name

    def test_a_seen_request_key_replays_the_first_answer(self, target):
        first = target.push([item("A", entry(REGION, "North"))])
        again = target.push([item("A", entry(REGION, "North"))])
        assert first == again
        assert 1 == len(target.documents())

    def test_a_locked_document_cannot_be_updated(self, target):
        (created,) = target.push([item("A", entry(REGION, "North"))])
        target.set_status(created.xero_id, "PAID")
        (refused,) = target.push([item("A", idem="k2", xero_id=created.xero_id)])
        assert (DeliveryStatus.FAILED, ("Document is paid in Xero and cannot be edited.",)) == (
            refused.status,
            refused.messages,
        )

    def test_an_unknown_id_is_refused(self, target):
        (refused,) = target.push([item("A", xero_id="nope")])
        assert ("Document nope does not exist in Xero.",) == refused.messages

    def test_an_unknown_item_code_is_refused(self, target):
        (refused,) = target.push([item("A", item_code="GHOST")])
        assert ('Item code "GHOST" is not valid in Xero.',) == refused.messages

    def test_the_day_budget_runs_out(self):
        target = memory_target(calls_left=1)
        target.read_schema()
        with pytest.raises(DailyLimitError):
            target.push([item("A")])


class TestSilentDrop:
    """Unknown or archived tracking is dropped without a word, as Xero does (switchable)."""

    def test_archived_and_unknown_options_are_dropped_silently(self, target):
        perth = target.read_schema().category(REGION).options_named("Perth")[0]
        (result,) = target.push([item("A", entry(REGION, "Perth", perth.id), entry(JOB, "NOPE"))])
        assert (DeliveryStatus.CREATED, ((),)) == (result.status, result.echoed)

    def test_tracking_by_name_is_matched(self, target):
        (result,) = target.push([item("A", entry(REGION, " north "))])
        assert "North" == result.echoed[0][0].option_name

    def test_with_silent_drop_off_the_document_is_refused(self):
        target = memory_target(silent_drop=False)
        (result,) = target.push([item("A", entry(REGION, "Nowhere"))])
        assert ("Tracking not found in Xero: Region = Nowhere.",) == result.messages


class TestOptionsContactsItems:
    """Options, contacts and items: created once, duplicates refused."""

    def test_an_option_is_created_trimmed_and_a_duplicate_refused(self, target):
        option = target.create_option(JOB, "  J 99  ")
        assert "J 99" == option.name
        with pytest.raises(RejectedError):
            target.create_option(JOB, "j 99")
        with pytest.raises(NotFoundError):
            target.create_option("no-such-category", "X")

    def test_contacts_are_found_by_normalised_name_and_created_once(self, target):
        made = target.create_contact(ContactRef(name="Acme Ltd"))
        assert {"ACME  ltd": made} == dict(target.find_contacts(["ACME  ltd", "Other"]))
        with pytest.raises(RejectedError):
            target.create_contact(ContactRef(name="acme ltd"))

    def test_items(self, target):
        target.create_item("CONSULT", "Consulting")
        assert frozenset({"consult"}) == target.find_items(["consult", "other"])

    def test_a_contact_named_on_a_document_is_created_as_xero_does(self, target):
        target.push([item("A", contact="New Customer")])
        assert ["New Customer"] == list(target.find_contacts(["New Customer"]))


class TestReading:
    """Documents and statuses read back, by ids and by modification time, in pages."""

    def test_pages_of_a_hundred(self, target):
        target.push([item(f"D{n:03d}", idem=f"k{n}") for n in range(130)])
        first = target.read_documents(INVOICE)
        second = target.read_documents(INVOICE, page=2)
        assert (100, 2, 30, None) == (
            len(first.documents),
            first.next_page,
            len(second.documents),
            second.next_page,
        )

    def test_by_ids_and_since(self):
        times = iter(dt.datetime(2026, 11, 1, h, tzinfo=dt.UTC) for h in range(1, 20))
        target = memory_target(clock=lambda: next(times))
        a, b = target.push([item("A"), item("B")])
        assert [b.xero_id] == [
            d.xero_id
            for d in target.read_documents(
                INVOICE, modified_since=dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC)
            ).documents
        ]
        found = target.read_documents(INVOICE, ids=[a.xero_id]).documents
        assert [(a.xero_id, Decimal("100.00"))] == [(d.xero_id, d.total) for d in found]

    def test_statuses(self, target):
        (a,) = target.push([item("A")])
        target.set_status(a.xero_id, "VOIDED")
        assert {a.xero_id: "VOIDED"} == dict(target.read_statuses(INVOICE, [a.xero_id, "x"]))
        assert {} == dict(target.read_statuses(DocumentKind.BILL, [a.xero_id]))

    def test_an_archived_option_can_be_restored(self, target):
        north = target.read_schema().category(REGION).options_named("North")[0]
        target.set_option_status(REGION, north.id, TrackingStatus.ARCHIVED)
        target.set_option_status(REGION, north.id, TrackingStatus.ACTIVE)
        assert target.read_schema().category(REGION).option(north.id).is_active
