"""trackmap.webhooks: signatures, the handshake, parsing, de-duplication, planning, the driver.

Everything that crosses HTTP goes through a real loopback server: wsgiref for `wsgi_app`, and
the small ASGI harness of `webhook_servers` for `asgi_app` (no ASGI server is installed).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import math
import random
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery_kit import FIELDS, MAPPING, WrappedTarget, memory_target, outbound
from trackmap._engine._document import DocumentKind
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._push import Pusher
from trackmap.errors import DailyLimitError
from trackmap.webhooks import (
    InboundRead,
    SqliteWebhookInbox,
    StatusRefresh,
    WebhookError,
    WebhookEvent,
    WebhookInbox,
    WebhookReceiver,
    asgi_app,
    parse_delivery,
    plan_work,
    process_events,
    sign,
    verify_signature,
    wsgi_app,
)
from webhook_servers import asgi_server, post, wsgi_server

KEY = "hK2Vg0m4Zg8bXbC3o1m+0yU4p0yQ2nq7f9jG5wq1oQeQm2q0PpX1u0Nw3rQv8kq3rE6aQzY1Xw2Vb0fJ5pH7sA=="
TENANT = "6a0b9c3e-1111-4d2e-9f00-000000000001"
INVOICE = DocumentKind.SALES_INVOICE
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def wire_event(
    resource_id: str,
    *,
    tenant: str = TENANT,
    category: str = "INVOICE",
    event_type: str = "UPDATE",
    at: dt.datetime = T0,
) -> dict[str, str]:
    """One event as Xero writes it."""
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
        "eventType": event_type,
        "eventCategory": category,
        "tenantId": tenant,
        "tenantType": "ORGANISATION",
    }


def body_of(events: list[dict[str, str]], sequence: int = 1) -> bytes:
    payload = {
        "events": events,
        "firstEventSequence": sequence,
        "lastEventSequence": sequence + max(len(events) - 1, 0),
        "entropy": "QWERTYUIOPASDFGHJKLZ",
    }
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def oracle_signature(key: str, body: bytes) -> str:
    """Xero's rule written out independently: base64(HMAC-SHA256(key text, raw body))."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


class Queue:
    """The host's queue: remembers what it was handed; can be told to refuse."""

    def __init__(self) -> None:
        self.items: list[tuple[WebhookEvent, ...]] = []
        self.refuse = False

    def __call__(self, events: tuple[WebhookEvent, ...]) -> None:
        if self.refuse:
            msg = "queue is down"
            raise ConnectionError(msg)
        self.items.append(events)


@pytest.fixture
def inbox(tmp_path):
    with SqliteWebhookInbox(tmp_path / "webhooks.db") as opened:
        yield opened


@pytest.fixture
def queue():
    return Queue()


@pytest.fixture(params=["wsgi", "asgi"])
def endpoint(request, inbox, queue):
    """The receiver served over real HTTP, by WSGI and by ASGI in turn."""
    receiver = WebhookReceiver(KEY, inbox, queue)
    serve = wsgi_server(wsgi_app(receiver)) if request.param == "wsgi" else None
    serve = serve or asgi_server(asgi_app(receiver))
    with serve as url:
        yield url


class TestSignature:
    """The signature is HMAC-SHA256 of the raw body with the key's text, in base64."""

    def test_matches_the_independent_oracle(self):
        body = body_of([wire_event("a0000000-0000-4000-8000-000000000001")])
        assert oracle_signature(KEY, body) == sign(KEY, body)
        assert verify_signature(KEY, body, oracle_signature(KEY, body))

    @pytest.mark.parametrize(
        "signature",
        [None, "", "not base64 at all", "é" * 44, oracle_signature("other key", b"{}")],
    )
    def test_anything_else_is_refused(self, signature):
        assert not verify_signature(KEY, b"{}", signature)

    @given(st.binary(max_size=300), st.binary(min_size=1, max_size=8))
    def test_any_change_to_the_body_breaks_it(self, body, extra):
        """For any body and any appended bytes, the old signature no longer verifies."""
        assert not verify_signature(KEY, body + extra, sign(KEY, body))


class TestHostileInput:
    """The receiver answers anything with a reply; only Xero's signature gets past 401."""

    @given(
        st.binary(max_size=300) | st.text(max_size=100).map(str.encode),
        st.none() | st.text(max_size=60),
        st.booleans(),
    )
    def test_any_request_gets_a_reply(self, tmp_path_factory, body, signature, signed):
        """For any body and header: a reply of 200, 400 or 401, never an exception; 401
        exactly when the signature is not Xero's."""
        with SqliteWebhookInbox(tmp_path_factory.mktemp("h") / "e.db") as store:
            receiver = WebhookReceiver(KEY, store, lambda _: None)
            header = sign(KEY, body) if signed else signature
            reply = receiver.receive(body, header)
        assert reply.status in {200, 400, 401}
        assert (reply.status == 401) == (not verify_signature(KEY, body, header))


class TestParse:
    """A body becomes frozen values, or a WebhookError that says what is wrong."""

    def test_reads_every_field(self):
        resource = "A0000000-0000-4000-8000-000000000001"
        delivery = parse_delivery(body_of([wire_event(resource)], sequence=7))
        (event,) = delivery.events
        assert (TENANT, "INVOICE", "UPDATE", resource.lower(), T0, "ORGANISATION") == (
            event.tenant_id,
            event.category,
            event.event_type,
            event.resource_id,
            event.occurred_at,
            event.tenant_type,
        )
        assert (7, 7, False) == (
            delivery.first_sequence,
            delivery.last_sequence,
            delivery.is_intent_check,
        )

    def test_the_intent_check_has_no_events(self):
        assert parse_delivery(body_of([])).is_intent_check

    @pytest.mark.parametrize(
        ("body", "words"),
        [
            (b"\xff\xfe", "not JSON"),
            (b"[1, 2]", "no list of events"),
            (b'{"events": {}}', "no list of events"),
            (b'{"events": [], "firstEventSequence": true}', "whole number"),
            (b"[" * 100_000, "not JSON"),
        ],
    )
    def test_bodies_that_are_not_webhooks_are_refused_with_a_reason(self, body, words):
        with pytest.raises(WebhookError, match=words):
            parse_delivery(body)

    @pytest.mark.parametrize(
        ("bad", "words"),
        [
            (1, "event 2 is not an object"),
            ({**wire_event("x"), "tenantId": ""}, "event 2 has no usable 'tenantId'"),
            ({**wire_event("x"), "resourceId": 5}, "'resourceId'"),
            ({**wire_event("x"), "eventDateUtc": "yesterday"}, "not a time"),
            ({**wire_event("x"), "eventDateUtc": "9999-12-31T23:59:59-05:00"}, "not a time"),
            ({**wire_event("x"), "eventDateUtc": "0001-01-01T00:00:00+05:00"}, "not a time"),
            ({**wire_event("x"), "eventDateUtc": "2026-02-30T00:00:00"}, "not a time"),
            ({**wire_event("x"), "tenantId": "\ud800"}, "not text"),
        ],
    )
    def test_an_unreadable_event_is_named_and_the_others_are_read(self, bad, words):
        good = wire_event(RESOURCE)
        delivery = parse_delivery(body_of([good, bad, good]))
        assert [RESOURCE, RESOURCE] == [e.resource_id for e in delivery.events]
        (sentence,) = delivery.unreadable
        assert words in sentence
        assert not delivery.is_intent_check

    @given(
        st.binary(max_size=200)
        | st.builds(
            lambda x: json.dumps(x).encode(),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(
                        st.sampled_from(["events", "tenantId", "eventDateUtc", "resourceId", "x"]),
                        inner,
                        max_size=4,
                    )
                ),
                max_leaves=10,
            ),
        )
    )
    def test_any_body_gives_values_or_a_webhook_error(self, body):
        """For any bytes: a WebhookDelivery, or WebhookError; never another exception."""
        with contextlib.suppress(WebhookError):
            parse_delivery(body)


def event(resource: str, *, tenant: str = TENANT, at: dt.datetime = T0, category: str = "INVOICE"):
    return WebhookEvent(
        tenant_id=tenant,
        category=category,
        event_type="UPDATE",
        resource_id=resource,
        occurred_at=at,
    )


class TestInbox:
    """The event store de-duplicates across redeliveries and restarts, and loses nothing."""

    def test_only_new_events_are_admitted(self, inbox):
        first, second = event("a"), event("b")
        assert (first,) == inbox.admit([first])
        assert (second,) == inbox.admit([first, second, second])
        assert (first, second) == inbox.pending()

    def test_it_survives_a_restart(self, tmp_path):
        path = tmp_path / "events.db"
        with SqliteWebhookInbox(path) as before:
            before.admit([event("a"), event("b")])
            before.settle([event("a")])
        with SqliteWebhookInbox(path) as after:
            assert () == after.admit([event("a"), event("b")])
            assert (event("b"),) == after.pending()

    def test_withdrawn_events_can_be_admitted_again(self, inbox):
        inbox.admit([event("a")])
        inbox.withdraw([event("a")])
        assert () == inbox.pending()
        assert (event("a"),) == inbox.admit([event("a")])

    def test_settled_events_are_forgotten_after_the_retention(self, tmp_path):
        now = [T0]
        with SqliteWebhookInbox(tmp_path / "e.db", clock=lambda: now[0]) as store:
            store.admit([event("a")])
            store.settle([event("a")])
            now[0] = T0 + dt.timedelta(hours=47)
            store.settle([])
            assert (1, ()) == (store.settled_count(), store.admit([event("a")]))
            now[0] = T0 + dt.timedelta(hours=49)
            store.settle([])
            assert 0 == store.settled_count()

    def test_a_foreign_file_is_refused_and_left_alone(self, tmp_path):
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE mine (x)")
        before = path.read_bytes()
        with pytest.raises(WebhookError, match="not a trackmap webhook event store"):
            SqliteWebhookInbox(path)
        assert before == path.read_bytes()

    def test_it_is_a_webhook_inbox(self, inbox):
        assert isinstance(inbox, WebhookInbox)


RESOURCE = "a0000000-0000-4000-8000-000000000001"


def keys(batches):
    return [tuple(e.key for e in batch) for batch in batches]


class TestThroughHttp:
    """The endpoint over real HTTP (WSGI and ASGI): 401 and no work for anything but Xero's."""

    def test_a_correct_delivery_is_accepted_and_queued(self, endpoint, inbox, queue):
        body = body_of([wire_event(RESOURCE)])
        status, answer, headers = post(endpoint, body, sign(KEY, body))
        assert (200, b"", False) == (status, answer, "set-cookie" in headers)
        assert [(event(RESOURCE).key,)] == keys(queue.items)
        assert [event(RESOURCE).key] == [e.key for e in inbox.pending()]
        assert parse_delivery(body).events == inbox.pending()

    @pytest.mark.parametrize(
        "tamper",
        ["forged", "truncated", "re-encoded", "other body", "no signature", "signature of key"],
    )
    def test_anything_not_signed_by_xero_is_refused_with_no_work(
        self, endpoint, inbox, queue, tamper
    ):
        body = body_of([wire_event(RESOURCE)])
        good = sign(KEY, body)
        sent, signature = {
            "forged": (body, sign("a guessed key", body)),
            "truncated": (body[:-5], good),
            "re-encoded": (json.dumps(json.loads(body), indent=1).encode(), good),
            "other body": (body_of([wire_event(RESOURCE, event_type="CREATE")]), good),
            "no signature": (body, None),
            "signature of key": (body, base64.b64encode(KEY.encode()).decode()),
        }[tamper]
        status, answer, _ = post(endpoint, sent, signature)
        assert (401, b"") == (status, answer)
        assert ([], ()) == (queue.items, inbox.pending())

    def test_a_replayed_delivery_does_no_work(self, endpoint, inbox, queue):
        """Xero re-sends a delivery whose 200 it missed: answered 200 (a 401 would make Xero
        retry for a day and disable the webhook), and nothing is queued again."""
        body = body_of([wire_event(RESOURCE)])
        assert 200 == post(endpoint, body, sign(KEY, body))[0]
        inbox.settle(inbox.pending())
        replies = [post(endpoint, body, sign(KEY, body))[0] for _ in range(3)]
        assert ([200, 200, 200], 1, ()) == (replies, len(queue.items), inbox.pending())

    def test_the_intent_to_receive_check_is_answered(self, endpoint, queue):
        body = body_of([])
        assert (200, b"") == post(endpoint, body, sign(KEY, body))[:2]
        assert (401, b"") == post(endpoint, body, sign(KEY + "x", body))[:2]
        assert [] == queue.items

    def test_a_signed_body_that_is_not_a_webhook_is_a_400_with_no_work(self, endpoint, queue):
        body = b'{"no events": []}'
        assert 400 == post(endpoint, body, sign(KEY, body))[0]
        assert [] == queue.items

    def test_a_refusing_queue_gets_xero_to_deliver_again(self, endpoint, inbox, queue):
        body = body_of([wire_event(RESOURCE)])
        queue.refuse = True
        assert 503 == post(endpoint, body, sign(KEY, body))[0]
        assert () == inbox.pending()
        queue.refuse = False
        assert 200 == post(endpoint, body, sign(KEY, body))[0]
        assert [(event(RESOURCE).key,)] == keys(queue.items)

    def test_an_unreadable_event_holds_no_other(self, inbox, queue):
        told = []
        receiver = WebhookReceiver(KEY, inbox, queue, on_unreadable=told.append)
        body = body_of([{"resourceId": "no tenant"}, wire_event(RESOURCE)])
        with wsgi_server(wsgi_app(receiver)) as url:
            assert 200 == post(url, body, sign(KEY, body))[0]
            only_bad = body_of([{"resourceId": "no tenant"}])
            assert 200 == post(url, only_bad, sign(KEY, only_bad))[0]
        assert [(event(RESOURCE).key,)] == keys(queue.items)
        assert [1, 1] == [len(sentences) for sentences in told]
        assert "event 1 has no usable 'tenantId'" in told[0][0]

    def test_only_post_is_served(self, endpoint, queue):
        assert 405 == post(endpoint, b"", None, method="GET")[0]

    def test_an_oversized_body_is_refused_unread(self, inbox, queue):
        receiver = WebhookReceiver(KEY, inbox, queue)
        body = body_of([wire_event(RESOURCE)])
        for app in (wsgi_app(receiver, max_body=50), asgi_app(receiver, max_body=50)):
            serve = wsgi_server(app) if app.__qualname__.startswith("wsgi") else asgi_server(app)
            with serve as url:
                assert 413 == post(url, body, sign(KEY, body))[0]
        assert [] == queue.items


# -- planning and the driver ------------------------------------------------------------------


class TestPlan:
    """Events fold into one refresh per document, documents into one refresh per kind."""

    def entry(self, key, kind=INVOICE):
        from trackmap._sync._ledger import LedgerEntry

        return LedgerEntry(kind=kind, key=key, xero_id=f"id-{key}")

    def test_events_fold_per_document_and_kind(self):
        known = {TENANT: {"id-a": self.entry("a"), "id-b": self.entry("b", DocumentKind.BILL)}}
        events = [
            event("id-a"),
            event("id-a", at=T0 + dt.timedelta(seconds=1)),
            event("id-b"),
            event("id-new"),
            event("id-c", category="CONTACT"),
        ]
        (work,) = plan_work(events, known).tenants
        assert (
            StatusRefresh(kind=DocumentKind.BILL, keys=("b",)),
            StatusRefresh(kind=INVOICE, keys=("a",)),
        ) == work.refreshes
        assert (InboundRead(kinds=(INVOICE, DocumentKind.BILL), xero_ids=("id-new",)),) == (
            work.reads
        )
        assert ((event("id-c", category="CONTACT"),), False) == (work.ignored, work.reference_sync)

    @given(
        st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30), st.integers(0, 5)), max_size=200),
        st.integers(1, 60),
    )
    def test_each_affected_document_is_refreshed_exactly_once(self, picks, page_size):
        """For any events over any tenants: every known document named is in exactly one
        refresh of its kind and tenant, no other document is, and the plan's calls are the
        sum over (tenant, kind) of ceil(documents / page size)."""
        kinds = (INVOICE, DocumentKind.BILL)
        known = {
            f"t{t}": {f"x{d}": self.entry(f"k{d}", kinds[d % 2]) for d in range(0, 31, 2)}
            for t in range(4)
        }
        events = [
            event(f"x{d}", tenant=f"t{t}", at=T0 + dt.timedelta(seconds=s)) for t, d, s in picks
        ]
        plan = plan_work(events, known)
        refreshed = [
            (work.tenant_id, r.kind, key)
            for work in plan.tenants
            for r in work.refreshes
            for key in r.keys
        ]
        expected = {
            (f"t{t}", kinds[d % 2], f"k{d}") for t, d, _ in picks if f"x{d}" in known[f"t{t}"]
        }
        assert len(refreshed) == len(set(refreshed))
        assert expected == set(refreshed)
        groups: dict[tuple[str, DocumentKind], int] = {}
        for tenant, kind, _ in expected:
            groups[tenant, kind] = groups.get((tenant, kind), 0) + 1
        assert sum(math.ceil(n / page_size) for n in groups.values()) == plan.calls(page_size)


class CountingTarget(WrappedTarget):
    """Records the ids of every status read and document read."""

    def __init__(self, inner, log):
        super().__init__(inner)
        self.log = log

    def read_statuses(self, kind, ids):
        self.log.append((self.tenant_id, "statuses", kind, tuple(ids)))
        return self.inner.read_statuses(kind, ids)

    def read_documents(self, kind, **options):
        self.log.append((self.tenant_id, "documents", kind, tuple(options.get("ids") or ())))
        return self.inner.read_documents(kind, **options)


def tenant_id(n: int) -> str:
    return f"7b000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def ledger(tmp_path):
    with SqliteLedger(tmp_path / "ledger.db") as opened:
        yield opened


def organisations(ledger, count, sizes):
    """``count`` in-memory organisations with ``sizes(n)`` invoices and bills each, pushed."""
    targets = {}
    for n in range(count):
        target = memory_target(tenant_id=tenant_id(n))
        kinds = (INVOICE, DocumentKind.BILL)
        documents = [outbound(f"D{n}-{i}", kind=kinds[i % 2]) for i in range(sizes(n))]
        Pusher(target=target, ledger=ledger, mapping=MAPPING, fields=FIELDS).push(documents)
        targets[target.tenant_id] = target
    return targets


class TestScale:
    """1,000 events with redeliveries for 50 organisations, through real HTTP."""

    def test_one_refresh_per_affected_document_in_the_fewest_calls(self, ledger, inbox, queue):
        rng = random.Random(13)  # noqa: S311 - a fixed, reproducible sample
        targets = organisations(ledger, 50, lambda n: 260 if n == 0 else 12)
        ids = {t: {d.xero_id: d.kind for d in target.documents()} for t, target in targets.items()}
        wire, affected = [], set()
        while len(wire) < 1000:
            # The first organisation is busy (four events in ten): it needs several calls a kind.
            tenant = tenant_id(0) if rng.random() < 0.4 else rng.choice(sorted(ids))
            if rng.random() < 0.05:  # a document trackmap did not send, or a contact
                resource = f"ffff0000-0000-4000-8000-{len(wire):012d}"
                category = rng.choice(["INVOICE", "CONTACT"])
            else:
                resource, category = rng.choice(sorted(ids[tenant])), "INVOICE"
                affected.add((tenant, resource))
            at = T0 + dt.timedelta(milliseconds=rng.randrange(10_000))
            wire.append(wire_event(resource, tenant=tenant, category=category, at=at))
        bodies = [body_of(wire[i : i + 25], sequence=i + 1) for i in range(0, 1000, 25)]
        redelivered = rng.sample(bodies, 15)
        with wsgi_server(wsgi_app(WebhookReceiver(KEY, inbox, queue))) as url:
            statuses = [post(url, b, sign(KEY, b))[0] for b in bodies + redelivered]
        assert {200} == set(statuses)

        log: list[tuple[str, str, DocumentKind, tuple[str, ...]]] = []
        counting = {t: CountingTarget(target, log) for t, target in targets.items()}
        report = process_events(inbox, ledger, counting.get)

        read = [(t, i) for t, what, _, batch in log if what == "statuses" for i in batch]
        assert sorted(affected) == sorted(read)  # every affected document once, no other
        per_kind: dict[tuple[str, DocumentKind], int] = {}
        for tenant, resource in affected:
            key = (tenant, ids[tenant][resource])
            per_kind[key] = per_kind.get(key, 0) + 1
        fewest = sum(math.ceil(n / 50) for n in per_kind.values())
        status_calls = sum(1 for entry in log if entry[1] == "statuses")
        assert fewest == status_calls
        assert fewest > len(per_kind)  # the big organisation needed more than one call a kind
        assert all(t.settled for t in report.tenants)
        assert () == inbox.pending()

        # Everything delivered again a day later: no work at all.
        log.clear()
        with wsgi_server(wsgi_app(WebhookReceiver(KEY, inbox, queue))) as url:
            assert {200} == {post(url, b, sign(KEY, b))[0] for b in bodies}
        assert (0, []) == (process_events(inbox, ledger, counting.get).calls, log)

    def test_a_paid_invoice_reaches_the_ledger(self, ledger, inbox, queue):
        targets = organisations(ledger, 2, lambda _: 4)
        target = targets[tenant_id(1)]
        paid = target.documents(INVOICE)[0]
        target.set_status(paid.xero_id, "PAID")
        before = dict(target.calls)
        body = body_of([wire_event(paid.xero_id, tenant=tenant_id(1))])
        with wsgi_server(wsgi_app(WebhookReceiver(KEY, inbox, queue))) as url:
            assert 200 == post(url, body, sign(KEY, body))[0]
        report = process_events(inbox, ledger, targets.get)
        (change,) = report.changes
        entry = ledger.entries_by_xero_id(tenant_id(1), [paid.xero_id])[paid.xero_id]
        assert ("PAID", "PAID") == (change.after, entry.remote_status)
        # One read of that invoice's status by id; no listing, no polling.
        assert {"read_statuses": 1} == {
            m: n - before.get(m, 0) for m, n in target.calls.items() if n != before.get(m, 0)
        }


class TestDriver:
    """Failures hold only their own organisation; unsent documents go to the host's hook."""

    def test_a_day_limit_keeps_only_that_tenants_events_pending(self, ledger, inbox):
        targets = organisations(ledger, 2, lambda _: 2)
        spent = targets[tenant_id(0)]
        spent.calls_left = 0
        for t, target in targets.items():
            inbox.admit([event(d.xero_id, tenant=t) for d in target.documents()])
        report = process_events(inbox, ledger, targets.get)
        first, second = report.tenants
        assert (False, True) == (first.settled, second.settled)
        assert "daily call limit" in first.stopped
        assert {tenant_id(0)} == {e.tenant_id for e in inbox.pending()}
        spent.calls_left = None
        assert all(t.settled for t in process_events(inbox, ledger, targets.get).tenants)
        assert () == inbox.pending()

    def test_documents_trackmap_did_not_send_are_read_for_the_host(self, ledger, inbox):
        targets = organisations(ledger, 1, lambda _: 2)
        target = targets[tenant_id(0)]
        foreign = target.documents(INVOICE)[0].xero_id
        known_ids = [d.xero_id for d in target.documents()]
        ledger_free = SqliteLedger(ledger.path.with_name("empty.db"))
        inbox.admit([event(foreign, tenant=tenant_id(0))])
        seen = []
        report = process_events(
            inbox, ledger_free, targets.get, on_documents=lambda t, p: seen.append((t, p))
        )
        ((tenant, pulled),) = seen
        assert (tenant_id(0), [foreign]) == (tenant, [d.xero_id for d in pulled.remote])
        assert foreign in known_ids
        assert (1, 2) == (report.tenants[0].read, report.calls)  # sales invoices, then bills
        ledger_free.close()

    def test_a_failing_host_hook_keeps_the_events(self, ledger, inbox):
        targets = organisations(ledger, 1, lambda _: 1)

        def broken(_target):
            msg = "no"
            raise DailyLimitError(msg, retry_after=1.0, problem="day")

        inbox.admit([event("nothing", tenant=tenant_id(0))])
        report = process_events(inbox, ledger, targets.get, sync_reference=broken)
        assert (False, 1) == (report.tenants[0].settled, len(inbox.pending()))

    def test_the_reference_sync_runs_once_per_tenant_when_asked(self, ledger, inbox):
        targets = organisations(ledger, 3, lambda _: 1)
        for t in targets:
            inbox.admit([event("c1", tenant=t, category="CONTACT"), event("c2", tenant=t)])
        synced = []
        process_events(inbox, ledger, targets.get, sync_reference=synced.append)
        assert sorted(targets) == sorted(t.tenant_id for t in synced)

    def test_an_unconnected_tenant_settles_with_no_work(self, ledger, inbox):
        inbox.admit([event("x", tenant="gone")])
        report = process_events(inbox, ledger, lambda _: None)
        assert (True, 0, ()) == (report.tenants[0].settled, report.calls, inbox.pending())


class TestLedgerByXeroId:
    """The ledger finds documents by their Xero id, in either case."""

    def test_finds_by_id_case_insensitively(self, ledger):
        from trackmap._sync._ledger import SendOutcome
        from trackmap._sync._target import DeliveryStatus

        batch = ledger.open_batch("org", T0)
        upper, lower = (
            "ABCDEF00-0000-4000-8000-00000000000A",
            "abcdef00-0000-4000-8000-00000000000b",
        )
        ledger.record_outcomes(
            "org",
            batch,
            [
                SendOutcome(kind=INVOICE, key="a", status=DeliveryStatus.CREATED, xero_id=upper),
                SendOutcome(kind=INVOICE, key="b", status=DeliveryStatus.CREATED, xero_id=lower),
                SendOutcome(kind=INVOICE, key="c", status=DeliveryStatus.FAILED),
            ],
        )
        found = ledger.entries_by_xero_id("org", [upper.lower(), lower.upper(), "not-there"])
        assert {upper.lower(): "a", lower: "b"} == {i: e.key for i, e in found.items()}
        assert {} == ledger.entries_by_xero_id("another tenant", [upper, lower])


class TestMore:
    """Edges: many events in one admit, a damaged file, the ASGI lifespan protocol."""

    def test_thousands_of_events_at_once(self, inbox):
        many_events = [event(f"r{n}", at=T0 + dt.timedelta(milliseconds=n)) for n in range(1200)]
        assert 1200 == len(inbox.admit(many_events))
        assert () == inbox.admit(many_events)
        inbox.settle(many_events[:700])
        assert many_events[700:] == list(inbox.pending())

    def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(self, tmp_path):
        path = tmp_path / "junk.db"
        path.write_bytes(b"not a database at all" * 100)
        with pytest.raises(WebhookError, match="cannot be opened"):
            SqliteWebhookInbox(path)
        assert b"not a database at all" * 100 == path.read_bytes()

    def test_the_asgi_app_speaks_the_lifespan_protocol(self, inbox, queue):
        import asyncio

        app = asgi_app(WebhookReceiver(KEY, inbox, queue))
        incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent = []

        async def receive():
            return incoming.pop(0)

        async def send(message):
            sent.append(message["type"])

        asyncio.run(app({"type": "lifespan"}, receive, send))
        assert ["lifespan.startup.complete", "lifespan.shutdown.complete"] == sent
