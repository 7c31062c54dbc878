"""XeroTarget end to end: the real xero-python SDK over real HTTP against FakeXero.

Every PUT/POST body these tests send is validated against Xero's contract at teardown (the
``xero_fake`` fixture of the contract plugin). Everything runs in virtual time.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from decimal import Decimal

import attrs
import pytest
import urllib3
from xero_python.accounting import Contact, Invoice, LineItem

from trackmap._engine._document import DocumentKind
from trackmap._engine._schema import Capabilities, TrackingStatus
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._target import ContactsAndItems, DeliveryStatus, PushItem, Target, TrackingEntry
from trackmap._sync._verify import verify_tracking
from trackmap.errors import (
    DailyLimitError,
    DocumentError,
    ForbiddenError,
    NetworkError,
    RateLimitedError,
    RejectedError,
    TargetError,
    TrackmapError,
    UnauthorisedError,
    UnavailableError,
)
from trackmap.testing._fakexero import Fault, sdk_client
from trackmap.xero import RetryPolicy, XeroTarget
from trackmap.xero._bodies import SPECS
from trackmap.xero._target import _next

INVOICES = "/Invoices"


class Answer:
    """An answer body as the SDK hands it over with ``_preload_content=False`` (test stand-in)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.released = False

    def release_conn(self) -> None:
        self.released = True


def _read_whole(response):
    """The JSON of a real answer, its connection handed back to the pool."""
    try:
        return json.loads(response.data)
    finally:
        response.release_conn()


class Org:
    """A FakeXero organisation with a Region category, and a target pointed at it."""

    def __init__(self, fake, clock, **target_options):
        self.fake = fake
        self.clock = clock
        self.region = fake.add_category("Region", options=["North", "South"])
        schema_options = {o["Name"]: o["TrackingOptionID"] for o in self._options()}
        self.north = schema_options["North"]
        self.south = schema_options["South"]
        options = {"policy": RetryPolicy(jitter=False), **target_options}
        self.target = XeroTarget(
            fake.sdk_client(), fake.tenant_id, clock=clock.now, sleep=clock.sleep, **options
        )

    def _options(self):
        (category,) = [c for c in self.fake.categories() if c["TrackingCategoryID"] == self.region]
        return category["Options"]

    def entry(self, option_id=None, name="North"):
        return TrackingEntry(
            category_id=self.region,
            category_name="Region",
            option_id=option_id or self.north,
            option_name=name,
        )

    def item(self, n, kind=DocumentKind.SALES_INVOICE, *, contact="Acme Ltd", lines=1, **kw):
        body = DocumentBody(
            contact=ContactRef(name=contact) if contact else None,
            date=dt.date(2026, 11, 1),
            lines=tuple(
                BodyLine(description=f"line {i}", unit_amount=Decimal("10.50"), account_code="200")
                for i in range(lines)
            ),
            number=f"D-{n}" if kind in {DocumentKind.SALES_INVOICE, DocumentKind.BILL} else None,
            bank_account_code="090",
            narration=f"Journal {n}",
        )
        tracking = kw.pop("tracking", tuple((self.entry(),) for _ in range(lines)))
        return PushItem(
            key=f"D-{n}",
            kind=kind,
            body=body,
            tracking=tracking,
            idempotency_key=f"idem-{kind.value}-{n}",
            **kw,
        )


@pytest.fixture
def org(xero_fake, xero_clock):
    return Org(xero_fake, xero_clock)


def request_keys(fake, method="PUT"):
    return [r.headers.get("idempotency-key") for r in fake.requests if r.method == method]


class TestProtocols:
    """XeroTarget is a Target and a ContactsAndItems, and disarms urllib3's retries."""

    def test_protocols(self, org):
        assert isinstance(org.target, Target)
        assert isinstance(org.target, ContactsAndItems)

    def test_rejects_other_clients(self):
        with pytest.raises(TypeError, match="AccountingApi or an ApiClient"):
            XeroTarget(object(), "tenant")

    def test_pool_manager_never_retries(self, org):
        manager = org.target._api.api_client.rest_client.pool_manager
        assert isinstance(manager, urllib3.PoolManager)
        assert manager.connection_pool_kw["retries"].total is False


class TestSchemaAndOptions:
    """Tracking categories read with archived ones; options created one PUT each."""

    def test_read_schema_includes_archived(self, org):
        archived = org.fake.add_option(org.region, "West", status="ARCHIVED")
        old = org.fake.add_category("Old", options=["A"])
        org.fake.set_category_status(old, "ARCHIVED")
        schema = org.target.read_schema()
        region = schema.category(org.region)
        assert (TrackingStatus.ARCHIVED, TrackingStatus.ARCHIVED) == (
            region.option(archived).status,
            schema.category(old).status,
        )
        assert ["North", "South", "West"] == [o.name for o in region.options]
        assert Capabilities() == schema.capabilities

    def test_create_option_trims_and_returns_it(self, org):
        option = org.target.create_option(org.region, "  Perth ")
        assert ("Perth", TrackingStatus.ACTIVE) == (option.name, option.status)
        assert option.id in {o["TrackingOptionID"] for o in org._options()}
        assert 1 == org.fake.calls("PUT", "/TrackingCategories")

    def test_too_long_name_rejected_before_any_call(self, org):
        before = len(org.fake.requests)
        with pytest.raises(RejectedError, match="between 1 and 50 characters"):
            org.target.create_option(org.region, "x" * 51)
        assert before == len(org.fake.requests)

    def test_duplicate_name_is_rejected_by_xero(self, org):
        with pytest.raises(RejectedError) as info:
            org.target.create_option(org.region, "north")
        assert info.value.messages


class TestPush:
    """Batches: summarizeErrors=false, one failure never sinks the others."""

    def test_mixed_batch_of_50(self, org):
        items = [org.item(n, contact=None if n == 17 else "Acme Ltd") for n in range(50)]
        results = org.target.push(items)
        statuses = [r.status for r in results]
        assert 49 == statuses.count(DeliveryStatus.CREATED)
        assert DeliveryStatus.FAILED == results[17].status
        assert results[17].messages[-1].startswith('Xero rejected invoice "D-17": ')
        assert results[17].messages[0] in results[17].messages[-1]
        assert 49 == len(org.fake.documents("Invoices"))
        assert 1 == org.fake.calls("PUT", INVOICES)
        assert ["false"] == [
            r.query.get("summarizeErrors", "").lower()
            for r in org.fake.requests
            if r.method == "PUT"
        ]
        by_number = {d["InvoiceNumber"]: d["InvoiceID"] for d in org.fake.documents("Invoices")}
        assert (results[0].xero_id, "D-0") == (by_number["D-0"], results[0].number)

    def test_repush_creates_nothing_new(self, org):
        items = [org.item(n) for n in range(5)]
        first = org.target.push(items)
        second = org.target.push(items)
        assert first == second
        assert 5 == len(org.fake.documents("Invoices"))
        keys = request_keys(org.fake)
        assert keys[0] == keys[1]
        assert 64 == len(keys[0])

    def test_split_by_count_and_bytes(self, xero_fake, xero_clock):
        org = Org(xero_fake, xero_clock)
        results = org.target.push([org.item(n) for n in range(120)])
        assert [50, 50, 20] == [
            len(r.json["Invoices"]) for r in xero_fake.requests if r.method == "PUT"
        ]
        small = Org(xero_fake, xero_clock, capabilities=Capabilities(batch_bytes=3000))
        small.target.push([small.item(n + 200) for n in range(10)])
        sizes = [len(r.body) for r in xero_fake.requests if r.method == "PUT"][3:]
        assert len(sizes) > 1
        assert all(size <= 3000 for size in sizes)
        assert 130 == len(xero_fake.documents("Invoices"))
        assert all(r.status is DeliveryStatus.CREATED for r in results)

    def test_document_too_big_fails_alone(self, xero_fake, xero_clock):
        org = Org(xero_fake, xero_clock, capabilities=Capabilities(batch_bytes=700))
        results = org.target.push([org.item(0), org.item(1, lines=8)])
        assert [DeliveryStatus.CREATED, DeliveryStatus.FAILED] == [r.status for r in results]
        assert "bytes once serialised" in results[1].messages[0]

    def test_body_error_fails_alone(self, org):
        bad = org.item(1, tracking=((org.entry(),), (org.entry(),)))
        results = org.target.push([org.item(0), bad])
        assert [DeliveryStatus.CREATED, DeliveryStatus.FAILED] == [r.status for r in results]
        assert "has 1 lines but tracking for 2" in results[1].messages[0]

    def test_one_kind_per_push(self, org):
        with pytest.raises(DocumentError, match="one kind"):
            org.target.push([org.item(0), org.item(1, DocumentKind.BILL)])

    def test_host_model_gets_tracking(self, org):
        host = Invoice(
            type="ACCREC",
            contact=Contact(name="Host Co"),
            date=dt.date(2026, 11, 1),
            line_items=[
                LineItem(description="host line", unit_amount=Decimal(5), account_code="200")
            ],
        )
        item = PushItem(
            key="H-1",
            kind=DocumentKind.SALES_INVOICE,
            body=host,
            tracking=((org.entry(org.south, "South"),),),
            idempotency_key="h1",
        )
        (result,) = org.target.push([item])
        assert DeliveryStatus.CREATED == result.status
        (stored,) = org.fake.documents("Invoices")
        assert "South" == stored["LineItems"][0]["Tracking"][0]["Option"]

    def test_request_refused_whole_is_split_per_document(self, org):
        bad = org.entry(option_id="not-a-guid")
        results = org.target.push([org.item(0), org.item(1, tracking=((bad,),)), org.item(2)])
        statuses = [r.status for r in results]
        assert [DeliveryStatus.CREATED, DeliveryStatus.FAILED, DeliveryStatus.CREATED] == statuses
        assert results[1].messages[-1].startswith('Xero rejected invoice "D-1": ')
        assert 2 == len(org.fake.documents("Invoices"))
        # Narrowed down in halves by the target (its duty alone), each part under its own key.
        assert [3, 1, 2, 1, 1] == [
            len(r.json["Invoices"]) for r in org.fake.requests if r.method == "PUT"
        ]
        assert 5 == len(set(request_keys(org.fake)))

    def test_one_bad_document_among_50_costs_a_dozen_calls_not_51(self, org):
        bad = org.entry(option_id="not-a-guid")
        items = [org.item(n) for n in range(50)]
        items[17] = org.item(17, tracking=((bad,),))
        results = org.target.push(items)
        assert [17] == [n for n, r in enumerate(results) if r.status is DeliveryStatus.FAILED]
        assert 49 == len(org.fake.documents("Invoices"))
        assert 13 >= len([r for r in org.fake.requests if r.method == "PUT"])

    def test_a_refusal_about_the_request_costs_three_calls_however_many_documents(self, org):
        """A 400 that is not about one document (issue 14): every half repeats it."""
        org.fake.inject(Fault.status(400), method="PUT", path=INVOICES, times=1000)
        results = org.target.push([org.item(n) for n in range(50)])
        assert {DeliveryStatus.FAILED} == {r.status for r in results}
        assert 3 == len([r for r in org.fake.requests if r.method == "PUT"])
        assert results[0].messages[-1].startswith('Xero rejected invoice "D-0": ')


class TestEveryKind:
    """Every DocumentKind round-trips with tracking, echoed and read back."""

    @pytest.mark.parametrize("kind", list(DocumentKind))
    def test_round_trip(self, org, kind):
        item = org.item(
            1, kind, lines=2, tracking=((org.entry(),), (org.entry(org.south, "South"),))
        )
        (result,) = org.target.push([item])
        assert DeliveryStatus.CREATED == result.status, result.messages
        assert () == verify_tracking(item.tracking, result.echoed, document_key=item.key)
        (document,) = org.target.read_documents(kind, ids=[result.xero_id]).documents
        assert [("North",), ("South",)] == [
            tuple(e.option_name for e in line.tracking) for line in document.lines
        ]
        assert (kind, dt.UTC) == (document.kind, document.updated_at.tzinfo)
        assert {result.xero_id: document.status} == org.target.read_statuses(kind, [result.xero_id])


class TestAsSent:
    """`XeroTarget.as_sent` says what Xero will hold: settlement recognises documents by it."""

    @pytest.mark.parametrize("kind", list(DocumentKind))
    def test_the_digest_of_what_is_sent_matches_what_xero_holds(self, org, kind):
        from trackmap._sync import _plan as plan

        item = org.item(3, kind, lines=2, tracking=((org.entry(),), (org.entry(),)))
        mine = plan.member_content(org.target.as_sent(item)).split()
        (result,) = org.target.push([item])
        (held,) = org.target.read_documents(kind, ids=[result.xero_id]).documents
        for digest in mine:
            fields = digest.partition(":")[0].split(",")
            assert digest == plan.content_digest(held, fields)

    def test_an_impossible_amount_is_a_document_error_naming_line_and_field(self, org):
        item = org.item(1)
        line = attrs.evolve(item.body.lines[0], unit_amount=Decimal("Infinity"))
        bad = attrs.evolve(item, body=attrs.evolve(item.body, lines=(line,)))
        with pytest.raises(DocumentError, match="line 1: its unit amount is Decimal"):
            org.target.as_sent(bad)
        (result,) = org.target.push([bad])
        assert DeliveryStatus.FAILED is result.status
        assert [] == [r for r in org.fake.requests if r.method == "PUT"]


class TestUpdates:
    """Items with a xero_id go by POST and update in place."""

    def test_update_by_id(self, org):
        (created,) = org.target.push([org.item(1, lines=2)])
        changed = org.item(1, xero_id=created.xero_id, tracking=((org.entry(org.south, "South"),),))
        (updated,) = org.target.push([changed])
        assert (DeliveryStatus.UPDATED, created.xero_id) == (updated.status, updated.xero_id)
        (stored,) = org.fake.documents("Invoices")
        assert ["South"] == [line["Tracking"][0]["Option"] for line in stored["LineItems"]]
        assert 1 == org.fake.calls("POST", INVOICES)

    def test_paid_invoice_cannot_be_updated(self, org):
        (created,) = org.target.push([org.item(1)])
        org.fake.set_document_status("Invoices", created.xero_id, "PAID")
        (result,) = org.target.push([org.item(1, xero_id=created.xero_id)])
        assert DeliveryStatus.FAILED == result.status
        assert {created.xero_id: "PAID"} == org.target.read_statuses(
            DocumentKind.SALES_INVOICE, [created.xero_id]
        )

    def test_creations_and_updates_in_one_push(self, org):
        (created,) = org.target.push([org.item(1)])
        results = org.target.push([org.item(2), org.item(1, xero_id=created.xero_id)])
        assert [DeliveryStatus.CREATED, DeliveryStatus.UPDATED] == [r.status for r in results]


class TestSilentDrop:
    """Xero drops archived tracking without a word; verification catches it."""

    def test_archived_option_dropped_and_reported(self, org):
        org.target.read_schema()
        org.fake.set_option_status(org.region, org.north, "ARCHIVED")
        item = org.item(42)
        (result,) = org.target.push([item])
        assert DeliveryStatus.CREATED == result.status
        (problem,) = verify_tracking(
            item.tracking, result.echoed, document_key=item.key, document='invoice "D-42"'
        )
        assert (
            'Xero dropped tracking "Region = North" from line 1 of invoice "D-42".'
            == problem.message
        )


class TestFaults:
    """5xx and dropped connections retry with the same key and never duplicate."""

    def test_500s_then_success(self, org):
        org.fake.inject(Fault.status(500), method="PUT", path=INVOICES, times=2)
        results = org.target.push([org.item(n) for n in range(3)])
        assert all(r.status is DeliveryStatus.CREATED for r in results)
        assert 3 == len(org.fake.documents("Invoices"))
        keys = request_keys(org.fake)
        assert (3, 1) == (len(keys), len(set(keys)))

    @pytest.mark.parametrize("fault", [Fault.drop_after(), Fault.drop_before()])
    def test_dropped_connection_never_duplicates(self, org, fault):
        org.fake.inject(fault, method="PUT", path=INVOICES)
        results = org.target.push([org.item(n) for n in range(4)])
        assert all(r.status is DeliveryStatus.CREATED for r in results)
        assert 4 == len(org.fake.documents("Invoices"))
        assert 1 == len(set(request_keys(org.fake)))

    def test_unavailable_after_retries(self, xero_fake, xero_clock):
        org = Org(xero_fake, xero_clock, policy=RetryPolicy(retries=1, jitter=False))
        xero_fake.inject(Fault.status(503), method="GET", times=5)
        with pytest.raises(UnavailableError):
            org.target.read_schema()
        assert 2 == len(xero_fake.requests)

    def test_slow_answer_times_out_as_network_error(self, xero_fake, xero_clock):
        org = Org(xero_fake, xero_clock, timeout=(1, 1), policy=RetryPolicy(retries=0))
        xero_fake.inject(Fault.slow(seconds=5), method="GET")
        with pytest.raises(NetworkError):
            org.target.read_schema()


class TestRateLimits:
    """Minute 429s are waited out; the day limit stops cleanly; pacing avoids 429s."""

    def test_minute_storm_delivers_everything_once(self, org):
        org.fake.inject(Fault.rate_limit("minute", retry_after=7), method="PUT", times=4)
        start = org.clock.now()
        results = org.target.push([org.item(n) for n in range(10)])
        assert all(r.status is DeliveryStatus.CREATED for r in results)
        assert 10 == len(org.fake.documents("Invoices"))
        assert dt.timedelta(seconds=28) == org.clock.now() - start

    def test_day_limit_raises_at_once(self, org):
        org.fake.inject(Fault.rate_limit("day", retry_after=3600), method="PUT")
        with pytest.raises(DailyLimitError) as info:
            org.target.push([org.item(n) for n in range(3)])
        assert 3600 == info.value.retry_after
        assert (0, 1) == (len(org.fake.documents("Invoices")), len(request_keys(org.fake)))

    def test_pacing_avoids_429(self, xero_fake, xero_clock):
        xero_fake.limits.minute = 3
        org = Org(xero_fake, xero_clock)
        start = xero_clock.now()
        org.target.push([org.item(n) for n in range(350)])
        statuses = [r.status for r in xero_fake.requests]
        assert 429 not in statuses
        assert 350 == len(xero_fake.documents("Invoices"))
        assert xero_clock.now() - start >= dt.timedelta(minutes=2)


class TestFailureAfterPartialSuccess:
    """A failure after an answered request raises; pushing the same items again is safe."""

    def test_second_request_hits_the_day_limit_then_resumes(self, org):
        calls = {"n": 0}
        real = org.target._api.create_invoices

        def second_fails(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                org.fake.inject(Fault.rate_limit("day", retry_after=3600), method="PUT")
            return real(*args, **kwargs)

        org.target._api.create_invoices = second_fails
        items = [org.item(n) for n in range(60)]
        with pytest.raises(DailyLimitError):
            org.target.push(items)
        assert 50 == len(org.fake.documents("Invoices"))
        results = org.target.push(items)
        assert [DeliveryStatus.CREATED] * 60 == [r.status for r in results]
        assert 60 == len(org.fake.documents("Invoices"))
        assert [False, False, True, False] == [
            r.replayed for r in org.fake.requests if r.method == "PUT"
        ]


class TestInFlight:
    """Threads sharing one tenant never exceed Xero's 5 concurrent calls."""

    @staticmethod
    def read_concurrently(target, count):
        errors = []

        def read():
            try:
                target.read_schema()
            except RateLimitedError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        return errors

    def test_capped_at_five(self, xero_fake, xero_clock):
        org = Org(xero_fake, xero_clock)
        # Held answers (0.3 real seconds each) make the calls overlap.
        xero_fake.inject(Fault.slow(seconds=0.3), method="GET", times=10)
        errors = self.read_concurrently(org.target, 10)
        statuses = [r.status for r in xero_fake.requests]
        assert (10, [], []) == (len(statuses), [s for s in statuses if s != 200], errors)

    def test_control_without_the_cap_gets_429(self, xero_fake, xero_clock):
        org = Org(xero_fake, xero_clock, policy=RetryPolicy(max_in_flight=10, jitter=False))
        # Five answers are held until released, so a sixth call is surely a sixth in flight.
        xero_fake.inject(Fault.slow(seconds=30), method="GET", times=5)
        reader = threading.Thread(target=self.read_concurrently, args=(org.target, 10))
        reader.start()
        arrived = xero_fake.wait_for_requests(6, timeout=30)
        xero_fake.release_held()
        reader.join(30)
        assert (True, True) == (arrived, 429 in [r.status for r in xero_fake.requests])


class TestAuth:
    """401 and 403 are translated, never retried."""

    def test_wrong_token(self, xero_fake, xero_clock):
        api = sdk_client(xero_fake.base_url, "not-the-token")
        target = XeroTarget(api, xero_fake.tenant_id, clock=xero_clock.now, sleep=xero_clock.sleep)
        with pytest.raises(UnauthorisedError):
            target.read_schema()
        assert 1 == len(xero_fake.requests)

    def test_unknown_tenant(self, xero_fake, xero_clock):
        target = XeroTarget(
            xero_fake.sdk_client(), "00000000-0000-0000-0000-000000000001", clock=xero_clock.now
        )
        with pytest.raises(ForbiddenError):
            target.read_schema()


class TestReading:
    """Pages, modification times and statuses."""

    def test_pages_and_modified_since(self, org):
        org.target.push([org.item(n) for n in range(120)])
        first = org.target.read_documents(DocumentKind.SALES_INVOICE)
        second = org.target.read_documents(DocumentKind.SALES_INVOICE, page=2)
        assert (100, 2, 20, None) == (
            len(first.documents),
            first.next_page,
            len(second.documents),
            second.next_page,
        )
        org.clock.advance(60)
        later = org.clock.now()
        org.clock.advance(60)
        org.target.push([org.item(500)])
        recent = org.target.read_documents(DocumentKind.SALES_INVOICE, modified_since=later)
        assert ["D-500"] == [d.number for d in recent.documents]

    def test_bills_are_not_listed_as_sales(self, org):
        org.target.push([org.item(1, DocumentKind.BILL)])
        assert () == org.target.read_documents(DocumentKind.SALES_INVOICE).documents

    def test_ids_of_another_kind_are_left_out(self, org):
        (bill,) = org.target.push([org.item(1, DocumentKind.BILL)])
        found = org.target.read_documents(DocumentKind.SALES_INVOICE, ids=[bill.xero_id])
        assert () == found.documents
        assert {bill.xero_id: "DRAFT"} == org.target.read_statuses(
            DocumentKind.BILL, [bill.xero_id]
        )

    def test_statuses_in_chunks(self, org):
        results = org.target.push([org.item(n) for n in range(60)])
        ids = [r.xero_id for r in results]
        org.fake.set_document_status("Invoices", ids[55], "PAID")
        before = len(org.fake.requests)
        statuses = org.target.read_statuses(DocumentKind.SALES_INVOICE, [*ids, ids[0]])
        assert (60, "PAID", "DRAFT") == (len(statuses), statuses[ids[55]], statuses[ids[0]])
        assert 2 == len(org.fake.requests) - before

    def test_unknown_ids_left_out(self, org):
        missing = "11111111-1111-1111-1111-111111111111"
        assert {} == org.target.read_statuses(DocumentKind.SPEND_MONEY, [missing])


def gets_since(fake, before):
    return [r for r in fake.requests[before:] if r.method == "GET"]


def pull_all(target, kind):
    """Every page of one kind: the documents' numbers and the next_page of each page."""
    numbers, next_pages, page = [], [], 1
    while page is not None:
        read = target.read_documents(kind, page=page)
        numbers.extend(d.number for d in read.documents)
        next_pages.append(read.next_page)
        page = read.next_page
    return numbers, next_pages


KIND_TYPES = {
    DocumentKind.SALES_INVOICE: ("/Invoices", 'Type=="ACCREC"'),
    DocumentKind.BILL: ("/Invoices", 'Type=="ACCPAY"'),
    DocumentKind.SALES_CREDIT_NOTE: ("/CreditNotes", 'Type=="ACCRECCREDIT"'),
    DocumentKind.PURCHASE_CREDIT_NOTE: ("/CreditNotes", 'Type=="ACCPAYCREDIT"'),
    DocumentKind.SPEND_MONEY: ("/BankTransactions", 'Type=="SPEND"'),
    DocumentKind.RECEIVE_MONEY: ("/BankTransactions", 'Type=="RECEIVE"'),
    DocumentKind.PURCHASE_ORDER: ("/PurchaseOrders", None),
    DocumentKind.MANUAL_JOURNAL: ("/ManualJournals", None),
}


class TestServerSideFilters:
    """Xero filters by kind and by id itself: fewer calls, full pages, right next_page.

    Call counts before this change are in the docstrings: sales invoices and bills read every
    page of /Invoices each, and credit notes were read back one GET per document.
    """

    @pytest.mark.parametrize("kind", list(KIND_TYPES))
    def test_each_kind_asks_for_its_own_type(self, org, kind):
        path, where = KIND_TYPES[kind]
        org.target.read_documents(kind)
        (read,) = org.fake.requests
        assert (path, where) == (read.path, read.query.get("where"))

    def test_mixed_sales_and_bills_pull_in_four_calls(self, org):
        """240 documents, 120 of each kind, interleaved: 4 GETs (6 before: 3 pages each)."""
        for start in range(0, 120, 40):
            org.target.push([org.item(n) for n in range(start, start + 40)])
            org.target.push([org.item(n, DocumentKind.BILL) for n in range(start, start + 40)])
        before = len(org.fake.requests)
        sales, sales_pages = pull_all(org.target, DocumentKind.SALES_INVOICE)
        bills, bill_pages = pull_all(org.target, DocumentKind.BILL)
        assert 4 == len(gets_since(org.fake, before))
        assert ([2, None], [2, None]) == (sales_pages, bill_pages)
        expected = {f"D-{n}" for n in range(120)}
        assert (expected, 120, expected, 120) == (set(sales), len(sales), set(bills), len(bills))

    def test_credit_notes_of_each_kind_page_apart(self, org):
        org.target.push([org.item(n, DocumentKind.SALES_CREDIT_NOTE) for n in range(30)])
        org.target.push([org.item(n, DocumentKind.PURCHASE_CREDIT_NOTE) for n in range(110)])
        sales, sales_pages = pull_all(org.target, DocumentKind.SALES_CREDIT_NOTE)
        purchases, purchase_pages = pull_all(org.target, DocumentKind.PURCHASE_CREDIT_NOTE)
        assert (30, [None], 110, [2, None]) == (
            len(sales),
            sales_pages,
            len(purchases),
            purchase_pages,
        )

    def test_a_full_last_page_needs_no_extra_call(self, org):
        """Xero's pagination says how many pages there are: 100 documents, one page."""
        for start in range(0, 100, 50):
            org.target.push([org.item(n) for n in range(start, start + 50)])
        org.target.push([org.item(1000, DocumentKind.BILL)])
        before = len(org.fake.requests)
        numbers, pages = pull_all(org.target, DocumentKind.SALES_INVOICE)
        assert (100, [None], 1) == (len(numbers), pages, len(gets_since(org.fake, before)))

    def test_modified_since_still_applies_with_the_type(self, org):
        org.target.push([org.item(1), org.item(2)])
        org.target.push([org.item(1, DocumentKind.BILL)])
        org.clock.advance(60)
        later = org.clock.now()
        org.clock.advance(60)
        org.target.push([org.item(3)])
        org.target.push([org.item(2, DocumentKind.BILL)])
        before = len(org.fake.requests)
        recent = org.target.read_documents(DocumentKind.SALES_INVOICE, modified_since=later)
        (read,) = gets_since(org.fake, before)
        assert (["D-3"], None) == ([d.number for d in recent.documents], recent.next_page)
        assert ('Type=="ACCREC"', True) == (
            read.query["where"],
            "if-modified-since" in read.headers,
        )

    def test_credit_note_statuses_in_six_calls(self, org):
        """120 credit notes: 6 GETs of 20 ids (120 before: one per document)."""
        results = org.target.push([org.item(n, DocumentKind.SALES_CREDIT_NOTE) for n in range(120)])
        ids = [r.xero_id for r in results]
        org.fake.set_document_status("CreditNotes", ids[100], "PAID")
        before = len(org.fake.requests)
        statuses = org.target.read_statuses(DocumentKind.SALES_CREDIT_NOTE, [*ids, ids[0]])
        reads = gets_since(org.fake, before)
        assert (120, "PAID", "DRAFT") == (len(statuses), statuses[ids[100]], statuses[ids[0]])
        assert (6, {"/CreditNotes"}) == (len(reads), {r.path for r in reads})
        assert all(len(urllib.parse.urlencode(r.query)) < 2000 for r in reads)

    @pytest.mark.parametrize(
        "kind",
        [DocumentKind.PURCHASE_CREDIT_NOTE, DocumentKind.SPEND_MONEY, DocumentKind.MANUAL_JOURNAL],
    )
    def test_statuses_by_where_for_every_kind_without_ids(self, org, kind):
        results = org.target.push([org.item(n, kind) for n in range(21)])
        ids = [r.xero_id for r in results]
        missing = "11111111-1111-1111-1111-111111111111"
        before = len(org.fake.requests)
        statuses = org.target.read_statuses(kind, [*ids, missing])
        assert (set(ids), 2) == (set(statuses), len(gets_since(org.fake, before)))

    def test_ids_that_are_not_guids_cost_no_call(self, org):
        before = len(org.fake.requests)
        assert {} == org.target.read_statuses(DocumentKind.SPEND_MONEY, ["BT-1", 'x") OR ("'])
        assert before == len(org.fake.requests)

    def test_ids_of_the_other_credit_note_kind_are_left_out(self, org):
        (sale,) = org.target.push([org.item(1, DocumentKind.SALES_CREDIT_NOTE)])
        found = org.target.read_documents(DocumentKind.PURCHASE_CREDIT_NOTE, ids=[sale.xero_id])
        assert () == found.documents

    def test_read_back_lines_come_with_the_where_read(self, org):
        (spent,) = org.target.push([org.item(1, DocumentKind.SPEND_MONEY, lines=2)])
        found = org.target.read_documents(DocumentKind.SPEND_MONEY, ids=[spent.xero_id])
        assert [(org.entry(),)] * 2 == [
            line.tracking for doc in found.documents for line in doc.lines
        ]


class TestNextPage:
    """next_page follows Xero's pagination; without it (or with a page count that is not a
    whole number), only a full page promises another."""

    @pytest.mark.parametrize(
        ("page", "answer", "expected"),
        [
            (1, {"pagination": {"pageCount": 2}, "Invoices": []}, 2),
            (2, {"pagination": {"pageCount": 2}, "Invoices": [{}] * 100}, None),
            (1, {"pagination": {"pageCount": 0}, "Invoices": []}, None),
            (3, {"Invoices": [{}] * 100}, 4),
            (3, {"Invoices": [{}] * 99}, None),
            (1, {}, None),
            (3, {"pagination": {"pageCount": "9"}, "Invoices": [{}] * 99}, None),
            (3, {"pagination": {"pageCount": True}, "Invoices": [{}] * 100}, 4),
            (1, {"pagination": None, "Invoices": None}, None),
            (1, [], None),
        ],
    )
    def test_next_page(self, page, answer, expected):
        assert expected == _next(SPECS[DocumentKind.BILL], page, answer)


class TestContactsAndItems:
    """Auto-creation powers for hosts that allow it."""

    def test_contacts(self, org):
        known = org.fake.add_contact("Acme Ltd")
        assert {"acme ltd": known} == org.target.find_contacts(["acme ltd", "Nobody"])
        created = org.target.create_contact(ContactRef(name="New Co", email="a@b.example"))
        assert {"New Co": created} == org.target.find_contacts(["New Co"])

    def test_a_name_with_quotes_and_a_backslash_is_found(self, org):
        name = 'The "Best" Co\\Ltd'
        known = org.fake.add_contact(name)
        assert {name: known} == org.target.find_contacts([name])

    def test_items(self, org):
        org.fake.add_item("CONSULT")
        assert frozenset({"consult"}) == org.target.find_items(["consult", "NOPE"])
        org.target.create_item("NOPE", "A new item")
        assert frozenset({"NOPE"}) == org.target.find_items(["NOPE"])

    def test_item_code_too_long_is_rejected_before_sending(self, org):
        before = len(org.fake.requests)
        with pytest.raises(RejectedError):
            org.target.create_item("X" * 31, "too long a code")
        assert before == len(org.fake.requests)


class TestHeaders:
    """Idempotency-Key on every PUT/POST, never on a GET; the timeout is always whole seconds."""

    def test_keys(self, org):
        (created,) = org.target.push([org.item(1)])
        org.target.push([org.item(1, xero_id=created.xero_id)])
        org.target.read_schema()
        for request in org.fake.requests:
            key = request.headers.get("idempotency-key")
            if request.method in {"PUT", "POST"}:
                assert key is not None
                assert len(key) <= 128
            else:
                assert key is None

    def test_day_budget_is_reported(self, org):
        assert org.target.day_remaining is None
        org.target.read_schema()
        org.target.read_schema()
        assert org.fake.limits.day - 2 == org.target.day_remaining

    def test_float_timeout_becomes_ints(self, xero_fake, xero_clock):
        target = XeroTarget(xero_fake.sdk_client(), xero_fake.tenant_id, timeout=(0.5, 2.2))
        assert (1, 3) == target._timeout


class TestReadBack:
    """When an answer carries no lines, the documents are read back: one GET per request
    (per document for purchase orders, whose list endpoint filters on neither IDs nor where)."""

    @staticmethod
    def strip_lines(target, method, plural):
        """Xero's answer to ``method`` as it came, less every element's lines."""
        real = getattr(target._api, method)

        def without_lines(*args, **kwargs):
            response, status, headers = real(*args, **kwargs)
            answer = _read_whole(response)
            for element in answer[plural]:
                del element["LineItems"]
            return Answer(json.dumps(answer).encode()), status, headers

        setattr(target._api, method, without_lines)

    def test_read_back_by_ids(self, org):
        self.strip_lines(org.target, "create_invoices", "Invoices")
        items = [org.item(n) for n in range(3)]
        results = org.target.push(items)
        assert 1 == org.fake.calls("GET", INVOICES)
        assert [((org.entry(),),)] * 3 == [r.echoed for r in results]

    def test_read_back_by_where_for_credit_notes(self, org):
        self.strip_lines(org.target, "create_credit_notes", "CreditNotes")
        items = [org.item(n, DocumentKind.SALES_CREDIT_NOTE) for n in range(2)]
        results = org.target.push(items)
        (read,) = [r for r in org.fake.requests if r.method == "GET"]
        ids = [r.xero_id for r in results]
        expected = f'CreditNoteID==Guid("{ids[0]}") OR CreditNoteID==Guid("{ids[1]}")'
        assert ("/CreditNotes", expected, "1") == (
            read.path,
            read.query["where"],
            read.query["page"],
        )
        assert [((org.entry(),),)] * 2 == [r.echoed for r in results]

    def test_read_back_per_document_for_purchase_orders(self, org):
        self.strip_lines(org.target, "create_purchase_orders", "PurchaseOrders")
        items = [org.item(n, DocumentKind.PURCHASE_ORDER) for n in range(2)]
        results = org.target.push(items)
        assert 2 == org.fake.calls("GET", "/PurchaseOrders/")
        assert [((org.entry(),),)] * 2 == [r.echoed for r in results]


def rewrite_answer(target, method, change):
    """Hand the target Xero's answer to ``method`` after ``change`` (JSON in, JSON out)."""
    real = getattr(target._api, method)
    seen = []

    def rewritten(*args, **kwargs):
        response, status, headers = real(*args, **kwargs)
        answer = Answer(json.dumps(change(_read_whole(response))).encode())
        seen.append(answer)
        return answer, status, headers

    setattr(target._api, method, rewritten)
    return seen


class TestOddAnswers:
    """Push answers are read as Xero's JSON, leniently, one document at a time: a field the SDK
    does not know, or an element that cannot be this document's, never loses the others."""

    def test_a_status_the_sdk_does_not_know_still_creates(self, org):
        """xero-python #203: one unknown enum value failed the whole answer; now it is text.

        On the SDK's models this push raised a TargetError for all three documents.
        """

        def new_status(answer):
            answer["Invoices"][1]["Status"] = "AWAITING_SOMETHING_NEW"
            return answer

        rewrite_answer(org.target, "create_invoices", new_status)
        results = org.target.push([org.item(n) for n in range(3)])
        assert [DeliveryStatus.CREATED] * 3 == [r.status for r in results]
        assert "AWAITING_SOMETHING_NEW" == results[1].remote_status

    def test_elements_that_cannot_be_the_document(self, org):
        """An element that is not an object, or none at all: PENDING (it may exist); an element
        without an id (or a blank one) is Xero's failed element, as before: FAILED."""

        def mangle(answer):
            del answer["Invoices"][0]["InvoiceID"]
            answer["Invoices"][1] = "INV-0002"
            answer["Invoices"][2]["InvoiceID"] = ""
            del answer["Invoices"][4]
            return answer

        rewrite_answer(org.target, "create_invoices", mangle)
        results = org.target.push([org.item(n) for n in range(5)])
        statuses = [r.status for r in results]
        assert [
            DeliveryStatus.FAILED,
            DeliveryStatus.PENDING,
            DeliveryStatus.FAILED,
            DeliveryStatus.CREATED,
            DeliveryStatus.PENDING,
        ] == statuses

    def test_has_errors_as_text_fails_the_document(self, org):
        def flagged(answer):
            answer["Invoices"][0]["HasErrors"] = "true"
            return answer

        rewrite_answer(org.target, "create_invoices", flagged)
        first, second = org.target.push([org.item(n) for n in range(2)])
        assert (DeliveryStatus.FAILED, DeliveryStatus.CREATED) == (first.status, second.status)

    def test_tracking_of_another_shape_is_reported_by_verification(self, org):
        def odd_tracking(answer):
            answer["Invoices"][0]["LineItems"][0]["Tracking"] = [{"Option": None}, "North"]
            return answer

        rewrite_answer(org.target, "create_invoices", odd_tracking)
        (item,) = [org.item(1)]
        (result,) = org.target.push([item])
        assert DeliveryStatus.CREATED == result.status
        assert verify_tracking(item.tracking, result.echoed, document_key=item.key)

    def test_an_answer_of_another_shape_leaves_every_document_in_doubt(self, org):
        seen = rewrite_answer(org.target, "create_invoices", lambda _answer: ["Invoices"])
        results = org.target.push([org.item(n) for n in range(2)])
        assert [DeliveryStatus.PENDING] * 2 == [r.status for r in results]
        assert all(answer.released for answer in seen)

    def test_an_answer_that_is_not_json_is_a_target_error(self, org):
        real = org.target._api.create_invoices

        def garbled(*args, **kwargs):
            response, status, headers = real(*args, **kwargs)
            _read_whole(response)
            return Answer(b"<html>oops</html>"), status, headers

        org.target._api.create_invoices = garbled
        with pytest.raises(TargetError, match="could not be read while sending 1 invoice"):
            org.target.push([org.item(1)])

    def test_every_answer_releases_its_connection(self, org):
        seen = rewrite_answer(org.target, "create_invoices", lambda answer: answer)
        org.target.push([org.item(n) for n in range(3)])
        assert [True] == [answer.released for answer in seen]


PUBLIC_CALLS = {
    "read_schema": lambda o: o.target.read_schema(),
    "create_option": lambda o: o.target.create_option(o.region, "Perth"),
    "push": lambda o: o.target.push([o.item(1)]),
    "read_documents": lambda o: o.target.read_documents(DocumentKind.BILL),
    "read_statuses": lambda o: o.target.read_statuses(
        DocumentKind.PURCHASE_ORDER, ["11111111-1111-1111-1111-111111111111"]
    ),
    "find_contacts": lambda o: o.target.find_contacts(["Acme"]),
    "create_contact": lambda o: o.target.create_contact(ContactRef(name="Acme")),
    "find_items": lambda o: o.target.find_items(["X"]),
    "create_item": lambda o: o.target.create_item("X", "x"),
}
FAULTS = {
    "500": (Fault.status(500), UnavailableError),
    "401": (Fault.status(401), UnauthorisedError),
    "403": (Fault.status(403), ForbiddenError),
    "dropped": (Fault.drop_before(), NetworkError),
    "day limit": (Fault.rate_limit("day", retry_after=60), DailyLimitError),
}


class TestNothingEscapes:
    """Whatever goes wrong, every public method raises a trackmap error, chained to the cause."""

    @pytest.mark.parametrize("fault_name", list(FAULTS))
    @pytest.mark.parametrize("call_name", list(PUBLIC_CALLS))
    def test_only_trackmap_errors(self, xero_fake, xero_clock, call_name, fault_name):
        org = Org(xero_fake, xero_clock, policy=RetryPolicy(retries=0, jitter=False))
        fault, expected = FAULTS[fault_name]
        xero_fake.inject(fault, times=10)
        with pytest.raises(TrackmapError) as info:
            PUBLIC_CALLS[call_name](org)
        assert expected is type(info.value)
        assert not type(info.value).__module__.startswith(("xero_python", "urllib3"))
        assert info.value.__cause__ is not None
