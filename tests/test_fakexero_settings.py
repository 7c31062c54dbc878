"""FakeXero's settings for behaviours Xero documents loosely, and its kit for hosts' tests.

Settings (`Limits`): the option-name limit, a purchase order's contact, unknown tracking ids
dropped / warned about / refused, a concurrent-limit 429 without ``Retry-After``. Kit: ids a
test chooses (or a seed), documents by trackmap kind, faults that can be cleared, numbering
that stays right (and constant-time) over many documents.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._target import DeliveryStatus, PushItem, TrackingEntry
from trackmap._sync._verify import verify_tracking
from trackmap.testing._fakexero import FakeXero, FakeXeroError, Fault, Limits, VirtualClock
from trackmap.xero import RetryPolicy, XeroTarget

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
UNKNOWN = "0b1c8e55-2f4d-4f59-8c3e-6a2d7a0e9b22"


@pytest.fixture
def clock():
    return VirtualClock(start=START)


@pytest.fixture
def fake(clock):
    with FakeXero(clock=clock) as server:
        yield server


def _invoice(category_id, option_id, *, kind="ACCREC", contact=None, number=None):
    tracking = [{"TrackingCategoryID": category_id, "TrackingOptionID": option_id}]
    invoice = {
        "Type": kind,
        "Contact": contact or {"Name": "Acme Ltd"},
        "LineItems": [
            {"Description": "Work", "Quantity": 1, "UnitAmount": 10, "Tracking": tracking}
        ],
    }
    if number is not None:
        invoice["InvoiceNumber"] = number
    return invoice


def _put(fake, resource, *documents):
    answer = fake.raw("PUT", f"/{resource}?summarizeErrors=false", {resource: list(documents)})
    assert 200 == answer.status, answer.data
    return answer.json[resource]


class TestOptionNameLimit:
    """Xero's PUT Options page says 50 characters; categories keep the spec's 100."""

    def test_fifty_one_characters_are_refused(self, fake):
        category = fake.add_category("Region")
        path = f"/TrackingCategories/{category}/Options"
        assert 200 == fake.raw("PUT", path, {"Name": "x" * 50}).status
        refused = fake.raw("PUT", path, {"Name": "y" * 51})
        assert 400 == refused.status
        assert b"longer than 50 characters" in refused.data

    def test_a_category_name_may_be_longer(self, fake):
        assert 200 == fake.raw("PUT", "/TrackingCategories", {"Name": "c" * 100}).status


class TestUnknownTrackingIds:
    """A well-formed id naming nothing: dropped (default), warned about, or refused."""

    @pytest.fixture
    def region(self, fake):
        category = fake.add_category("Region", ["North"])
        (north,) = fake.categories()[0]["Options"]
        return category, north["TrackingOptionID"]

    def test_dropped_silently_by_default(self, fake, region):
        category, _north = region
        (element,) = _put(fake, "Invoices", _invoice(category, UNKNOWN))
        assert ("OK", [], []) == (
            element["StatusAttributeString"],
            element["Warnings"],
            element["LineItems"][0]["Tracking"],
        )

    def test_warned_about(self, fake, region):
        fake.limits.unknown_tracking = "warn"
        category, _north = region
        (element,) = _put(fake, "Invoices", _invoice(category, UNKNOWN))
        assert "WARNING" == element["StatusAttributeString"]
        assert [UNKNOWN in w["Message"] for w in element["Warnings"]] == [True]
        assert [] == element["LineItems"][0]["Tracking"]
        assert 1 == len(fake.documents("Invoices"))

    def test_refused(self, fake, region):
        fake.limits.unknown_tracking = "error"
        category, north = region
        unknown_category = str(uuid.UUID(int=7))
        bad, worse, good = _put(
            fake,
            "Invoices",
            _invoice(category, UNKNOWN),
            _invoice(unknown_category, north),
            _invoice(category, north),
        )
        assert ("ERROR", "ERROR", "OK") == tuple(
            e["StatusAttributeString"] for e in (bad, worse, good)
        )
        assert UNKNOWN in bad["ValidationErrors"][0]["Message"]
        assert unknown_category in worse["ValidationErrors"][0]["Message"]
        assert 1 == len(fake.documents("Invoices"))

    def test_an_archived_option_is_still_dropped_not_refused(self, fake, region):
        fake.limits.unknown_tracking = "error"
        category, north = region
        fake.set_option_status(category, north, "ARCHIVED")
        (element,) = _put(fake, "Invoices", _invoice(category, north))
        assert ("OK", []) == (element["StatusAttributeString"], element["LineItems"][0]["Tracking"])

    def test_xero_target_keeps_the_warning_and_the_push_sees_the_drop(self, fake, clock, region):
        fake.limits.unknown_tracking = "warn"
        category, _north = region
        target = XeroTarget(
            fake.sdk_client(),
            fake.tenant_id,
            clock=clock.now,
            sleep=clock.sleep,
            policy=RetryPolicy(jitter=False),
        )
        entry = TrackingEntry(
            category_id=category, category_name="Region", option_id=UNKNOWN, option_name="Gone"
        )
        body = DocumentBody(
            contact=ContactRef(name="Acme Ltd"),
            date=dt.date(2026, 11, 1),
            lines=(BodyLine(description="Work", unit_amount=Decimal(10), account_code="200"),),
        )
        item = PushItem(
            key="D-1",
            kind=DocumentKind.SALES_INVOICE,
            body=body,
            tracking=((entry,),),
            idempotency_key="k-1",
        )
        (result,) = target.push([item])
        assert DeliveryStatus.CREATED is result.status
        assert any(UNKNOWN in message for message in result.messages)
        assert verify_tracking(item.tracking, result.echoed, document_key=item.key)


class TestPurchaseOrderContact:
    """Sources say a PO needs an existing contact (unconfirmed): three settings."""

    @staticmethod
    def _order(contact):
        line = {"Description": "Parts", "Quantity": 1, "UnitAmount": 5}
        return {"Contact": contact, "LineItems": [line]}

    def test_create_by_default(self, fake):
        (element,) = _put(fake, "PurchaseOrders", self._order({"Name": "New Supplier"}))
        assert "OK" == element["StatusAttributeString"]
        assert "New Supplier" == element["Contact"]["Name"]

    def test_existing_refuses_an_unknown_name_and_accepts_a_known_one(self, fake):
        fake.limits.purchase_order_contact = "existing"
        fake.add_contact("Known Supplier")
        unknown, known = _put(
            fake,
            "PurchaseOrders",
            self._order({"Name": "New Supplier"}),
            self._order({"Name": "known supplier"}),
        )
        assert ("ERROR", "OK") == (
            unknown["StatusAttributeString"],
            known["StatusAttributeString"],
        )
        assert "must already exist" in unknown["ValidationErrors"][0]["Message"]

    def test_id_wants_a_contact_id_or_number(self, fake):
        fake.limits.purchase_order_contact = "id"
        contact_id = fake.add_contact("Known Supplier")
        by_name, by_id = _put(
            fake,
            "PurchaseOrders",
            self._order({"Name": "Known Supplier"}),
            self._order({"ContactID": contact_id}),
        )
        assert ("ERROR", "OK") == (
            by_name["StatusAttributeString"],
            by_id["StatusAttributeString"],
        )

    def test_a_contact_number_finds_the_contact(self, fake):
        fake.limits.purchase_order_contact = "id"
        fake.raw("PUT", "/Contacts", {"Contacts": [{"Name": "Numbered", "ContactNumber": "S-7"}]})
        (element,) = _put(fake, "PurchaseOrders", self._order({"ContactNumber": "S-7"}))
        assert ("OK", "Numbered") == (
            element["StatusAttributeString"],
            element["Contact"]["Name"],
        )


class TestConcurrentLimitWithoutRetryAfter:
    """A concurrent-limit 429 carries no Retry-After: XeroTarget backs off briefly."""

    def test_push_waits_a_second_not_a_minute(self, fake, clock):
        fake.inject(Fault.rate_limit("concurrent"), method="PUT", path="/Invoices")
        target = XeroTarget(
            fake.sdk_client(),
            fake.tenant_id,
            clock=clock.now,
            sleep=clock.sleep,
            policy=RetryPolicy(jitter=False),
        )
        body = DocumentBody(
            contact=ContactRef(name="Acme Ltd"),
            date=dt.date(2026, 11, 1),
            lines=(BodyLine(description="Work", unit_amount=Decimal(10), account_code="200"),),
        )
        item = PushItem(
            key="D-1",
            kind=DocumentKind.SALES_INVOICE,
            body=body,
            tracking=((),),
            idempotency_key="k-1",
        )
        (result,) = target.push([item])
        refused = [r for r in fake.requests if r.status == 429]
        assert [None] == [r.answer_headers.get("Retry-After") for r in refused]
        assert DeliveryStatus.CREATED is result.status
        assert START + dt.timedelta(seconds=1) == clock.now()


class TestChosenIds:
    """A test chooses ids (or a seed), so a saved settings fixture can be reused."""

    IDS = tuple(str(uuid.UUID(int=n)) for n in range(1, 6))

    def test_chosen_ids(self, clock):
        tenant, category, north, south, extra = self.IDS
        with FakeXero(clock=clock, tenant_id=tenant) as fake:
            assert tenant == fake.tenant_id
            got = fake.add_category(
                "Region", ["North", "South"], category_id=category, option_ids=[north, south]
            )
            assert category == got
            assert extra == fake.add_option(category, "East", option_id=extra)
            options = {o["Name"]: o["TrackingOptionID"] for o in fake.categories()[0]["Options"]}
            assert {"North": north, "South": south, "East": extra} == options

    def test_a_chosen_id_must_be_a_fresh_guid(self, fake):
        category = fake.add_category("Region", category_id=self.IDS[0])
        with pytest.raises(FakeXeroError, match="GUID"):
            fake.add_category("Other", category_id="not-a-guid")
        with pytest.raises(FakeXeroError, match="already"):
            fake.add_category("Other", category_id=self.IDS[0].upper())
        with pytest.raises(FakeXeroError, match="2 option ids"):
            fake.add_category("Third", ["One"], option_ids=self.IDS[1:3])
        assert self.IDS[0] == category

    @staticmethod
    def _story(clock):
        with FakeXero(clock=clock, seed=42) as fake:
            category = fake.add_category("Region", ["North"])
            option = fake.categories()[0]["Options"][0]["TrackingOptionID"]
            contact = fake.add_contact("Acme Ltd")
            (element,) = _put(fake, "Invoices", _invoice(category, option))
            return (
                fake.tenant_id,
                category,
                option,
                contact,
                element["InvoiceID"],
                element["LineItems"][0]["LineItemID"],
            )

    def test_a_seed_repeats_every_id(self):
        first = self._story(VirtualClock(start=START))
        again = self._story(VirtualClock(start=START))
        assert first == again
        assert len(set(first)) == len(first)

    def test_without_a_seed_ids_differ(self, clock):
        with FakeXero(clock=clock) as one, FakeXero(clock=clock) as two:
            assert one.add_category("Region") != two.add_category("Region")


class TestDocumentsByKind:
    """``fake.documents(kind)`` takes trackmap's kinds: bills are not sales invoices."""

    def test_sales_invoices_and_bills_apart(self, fake):
        category = fake.add_category("Region", ["North"])
        option = fake.categories()[0]["Options"][0]["TrackingOptionID"]
        _put(
            fake, "Invoices", _invoice(category, option), _invoice(category, option, kind="ACCPAY")
        )
        assert ["ACCREC"] == [d["Type"] for d in fake.documents(DocumentKind.SALES_INVOICE)]
        assert ["ACCPAY"] == [d["Type"] for d in fake.documents("bill")]
        assert 2 == len(fake.documents("Invoices"))
        assert [] == fake.documents(DocumentKind.SPEND_MONEY)

    def test_unknown_kind(self, fake):
        with pytest.raises(FakeXeroError, match="no documents of kind 'Quotes'"):
            fake.documents("Quotes")


class TestClearingFaults:
    """Injected faults that have not fired yet can be removed, all or by method and path."""

    def test_clear_all(self, fake):
        fake.inject(Fault.status(500), method="GET", path="/Invoices", times=3)
        fake.inject(Fault.drop_before(), method="PUT")
        assert 500 == fake.raw("GET", "/Invoices").status
        assert 2 == fake.clear_faults()
        assert 200 == fake.raw("GET", "/Invoices").status

    def test_clear_some(self, fake):
        fake.inject(Fault.status(500), method="GET", path="/Invoices")
        fake.inject(Fault.status(503), method="GET", path="/Contacts")
        assert 1 == fake.clear_faults(method="get", path="/Invoices")
        assert 200 == fake.raw("GET", "/Invoices").status
        assert 503 == fake.raw("GET", "/Contacts").status


class TestNumbering:
    """Numbers stay unique and are found by number, through renumbering, in constant time."""

    def test_numbers_skip_what_hosts_took_and_follow_changes(self, fake):
        category = fake.add_category("Region", ["North"])
        option = fake.categories()[0]["Options"][0]["TrackingOptionID"]
        (taken,) = _put(fake, "Invoices", _invoice(category, option, number="INV-0002"))
        first, second = _put(fake, "Invoices", *[_invoice(category, option) for _ in range(2)])
        assert ("INV-0001", "INV-0003") == (first["InvoiceNumber"], second["InvoiceNumber"])
        renumbered = fake.raw(
            "POST",
            "/Invoices?summarizeErrors=false",
            {"Invoices": [{"InvoiceID": taken["InvoiceID"], "InvoiceNumber": "INV-0100"}]},
        )
        assert 200 == renumbered.status
        assert taken["InvoiceID"] == fake.document("Invoices", "INV-0100")["InvoiceID"]
        with pytest.raises(FakeXeroError):
            fake.document("Invoices", "INV-0002")
        (reused,) = _put(fake, "Invoices", _invoice(category, option, number="INV-0002"))
        assert "OK" == reused["StatusAttributeString"]
        (clash,) = _put(fake, "Invoices", _invoice(category, option, number="INV-0100"))
        assert "Invoice # must be unique." in clash["ValidationErrors"][0]["Message"]


class TestManyProcesses:
    """One fake for many tenants and processes: the app-wide limit, real time."""

    def test_the_app_minute_limit_spans_every_tenant(self, clock):
        with FakeXero(clock=clock, limits=Limits(app_minute=3)) as fake:
            other = fake.add_tenant()
            answers = [fake.raw("GET", "/Invoices", tenant_id=t) for t in (fake.tenant_id, other)]
            answers.append(fake.raw("GET", "/Invoices", tenant_id=other))
            refused = fake.raw("GET", "/Invoices")
            assert ["2", "1", "0"] == [a.headers["X-AppMinLimit-Remaining"] for a in answers]
            assert (429, "appminute", "60") == (
                refused.status,
                refused.headers["X-Rate-Limit-Problem"],
                refused.headers["Retry-After"],
            )
            assert [fake.tenant_id, other] == fake.tenant_ids
            clock.advance(60)
            assert 200 == fake.raw("GET", "/Invoices", tenant_id=other).status

    def test_xero_target_waits_out_the_app_minute(self, clock):
        with FakeXero(clock=clock, limits=Limits(app_minute=1)) as fake:
            fake.raw("GET", "/Invoices", tenant_id=fake.add_tenant())
            target = XeroTarget(
                fake.sdk_client(),
                fake.tenant_id,
                clock=clock.now,
                sleep=clock.sleep,
                policy=RetryPolicy(jitter=False),
            )
            assert () == target.read_schema().categories
            assert START + dt.timedelta(seconds=60) == clock.now()

    def test_real_time(self):
        before = dt.datetime.now(dt.UTC)
        with FakeXero(real_time=True) as fake:
            stamped = fake.clock.now()
            with pytest.raises(FakeXeroError, match="cannot be advanced"):
                fake.clock.advance(1)
            assert 200 == fake.raw("GET", "/Invoices").status
        assert before <= stamped <= dt.datetime.now(dt.UTC)

    def test_real_time_or_a_virtual_clock_not_both(self, clock):
        with pytest.raises(FakeXeroError, match="not both"):
            FakeXero(clock=clock, real_time=True)
