"""FakeXero sends webhooks: signed events on every document change, retried on its virtual
clock, and Xero's intent-to-receive check run against the example endpoint."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path

import pytest

from delivery_kit import FIELDS, fake_organisation, many, mapping_for, outbound
from trackmap._engine._document import DocumentKind
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._push import Pusher
from trackmap.testing import FakeXeroError
from trackmap.webhooks import (
    SqliteWebhookInbox,
    WebhookReceiver,
    parse_delivery,
    process_events,
    verify_signature,
    wsgi_app,
)
from trackmap.xero import RetryPolicy, XeroTarget
from webhook_servers import wsgi_server

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "webhooks" / "endpoint.py"
INVOICE = DocumentKind.SALES_INVOICE
KEY = "Zm9yIHRoZSB0ZXN0czogbm90IGEgcmVhbCBrZXkgb2YgYW55IFhlcm8gYXBw"


def load_example():
    spec = importlib.util.spec_from_file_location("webhook_endpoint_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Recorder:
    """A WSGI endpoint that keeps every request and answers what it is told to."""

    def __init__(self, answers=(200,)):
        self.requests: list[tuple[bytes, str | None]] = []
        self.answers = list(answers)
        self.cookie = False

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.requests.append(
            (environ["wsgi.input"].read(length), environ.get("HTTP_X_XERO_SIGNATURE"))
        )
        status = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        headers = [("Content-Length", "0")]
        if self.cookie:
            headers.append(("Set-Cookie", "session=1"))
        start_response(f"{status} X", headers)
        return []


@pytest.fixture
def org(xero_fake, xero_clock):
    """FakeXero with Region and Job, a XeroTarget on the virtual clock, and its mapping."""
    ids = fake_organisation(xero_fake)
    target = XeroTarget(
        xero_fake.sdk_client(),
        xero_fake.tenant_id,
        clock=xero_clock.now,
        sleep=xero_clock.sleep,
        policy=RetryPolicy(jitter=False),
    )
    return xero_fake, target, mapping_for(ids["region"], ids["job"])


class TestEvents:
    """Every change of an invoice is a signed event: created, updated, paid."""

    def test_created_updated_and_paid_are_sent_signed(self, org, tmp_path):
        fake, target, mapping = org
        recorder = Recorder()
        with wsgi_server(recorder) as url, SqliteLedger(tmp_path / "l.db") as ledger:
            key = fake.webhooks.subscribe(url)
            pusher = Pusher(target=target, ledger=ledger, mapping=mapping, fields=FIELDS)
            pusher.push([outbound("A")])
            pusher.push([outbound("A", region="South")])
            (entry,) = ledger.entries(fake.tenant_id)
            fake.set_document_status("Invoices", entry.xero_id, "PAID")
            attempts = fake.webhooks.send_due()
        ((body, signature),) = recorder.requests
        assert verify_signature(key, body, signature)
        events = parse_delivery(body).events
        assert [("CREATE",), ("UPDATE",), ("UPDATE",)] == [(e.event_type,) for e in events]
        assert {(fake.tenant_id, "INVOICE", entry.xero_id)} == {
            (e.tenant_id, e.category, e.resource_id) for e in events
        }
        assert [200] == [a.status for a in attempts]
        assert json.loads(body)["lastEventSequence"] == 3

    def test_only_invoices_and_credit_notes_raise_events(self, org, tmp_path):
        fake, target, mapping = org
        recorder = Recorder()
        with wsgi_server(recorder) as url, SqliteLedger(tmp_path / "l.db") as ledger:
            fake.webhooks.subscribe(url)
            Pusher(target=target, ledger=ledger, mapping=mapping, fields=FIELDS).push(many(6))
            fake.webhooks.send_due()
        kinds = {d.kind for d in ledger_kinds(tmp_path / "l.db")}
        assert DocumentKind.PURCHASE_ORDER in kinds
        ((body, _),) = recorder.requests
        assert {"INVOICE"} == {e.category for e in parse_delivery(body).events}
        assert 4 == len(parse_delivery(body).events)  # 2 invoices + 2 bills of the 6

    def test_nothing_is_sent_before_a_subscription(self, xero_fake):
        assert ([], 0) == (xero_fake.webhooks.send_due(), xero_fake.webhooks.queued)

    def test_only_loopback_urls_are_accepted(self, xero_fake):
        with pytest.raises(FakeXeroError, match=r"127\.0\.0\.1"):
            xero_fake.webhooks.subscribe("http://example.com:80/hook")


def ledger_kinds(path):
    with SqliteLedger(path) as ledger:
        return list(ledger.entries(ledger_tenant(ledger)))


def ledger_tenant(ledger):
    (tenant,) = {row[0] for row in ledger._read("SELECT tenant_id FROM documents").fetchall()}
    return tenant


class TestRetries:
    """A delivery not answered 200 is re-sent, the same bytes, on the virtual clock."""

    def test_retried_until_answered_then_never_again(self, xero_fake, xero_clock):
        recorder = Recorder(answers=(500, 503, 200))
        with wsgi_server(recorder) as url:
            xero_fake.webhooks.subscribe(url)
            xero_fake.webhooks.document_changed(xero_fake.tenant_id, "Invoices", "x", created=True)
            start = xero_clock.now()
            attempts = xero_fake.webhooks.run()
            assert [] == xero_fake.webhooks.run()
        assert [500, 503, 200] == [a.status for a in attempts]
        assert [0.0, 60.0, 360.0] == [(a.at - start).total_seconds() for a in attempts]
        assert 1 == len({body for body, _ in recorder.requests})  # the same bytes each time
        assert 0 == xero_fake.webhooks.undelivered

    def test_an_endpoint_down_for_a_day_disables_the_webhook(self, xero_fake, xero_clock):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        xero_fake.webhooks.subscribe(f"http://127.0.0.1:{port}/hook")
        xero_fake.webhooks.document_changed(xero_fake.tenant_id, "Invoices", "x", created=True)
        start = xero_clock.now()
        attempts = xero_fake.webhooks.run()
        assert xero_fake.webhooks.disabled
        assert {None} == {a.status for a in attempts}
        waited = (attempts[-1].at - start).total_seconds() / 3600
        assert 23 <= waited <= 24
        # The first attempt, retries after 1, 5, 15 and 30 minutes (51 minutes in), then every
        # hour while still within a day of the first attempt (1h51 ... 23h51).
        assert 1 + 4 + 23 == len(attempts)


class TestEndToEnd:
    """A payment in Xero reaches the ledger by webhook: no polling call at all."""

    def test_a_paid_invoice_is_in_the_ledger_without_polling(self, org, tmp_path):
        fake, target, mapping = org
        example = load_example()
        with SqliteLedger(tmp_path / "ledger.db") as ledger:
            connect = {fake.tenant_id: target}.get
            endpoint = example.Endpoint(KEY, tmp_path / "events.db", ledger, connect)
            with wsgi_server(endpoint.app) as url:
                fake.webhooks.subscribe(url, KEY)
                assert fake.webhooks.intent_to_receive().passed
                Pusher(target=target, ledger=ledger, mapping=mapping, fields=FIELDS).push(
                    [outbound(f"I{n}") for n in range(3)]
                )
                assert [200] == [a.status for a in fake.webhooks.send_due()]  # three CREATEs
                created = endpoint.drain()
                paid = ledger.entries_for(fake.tenant_id, INVOICE, ["I1"])["I1"]
                before = len(fake.requests)
                fake.set_document_status("Invoices", paid.xero_id, "PAID")
                assert [200] == [a.status for a in fake.webhooks.send_due()]
            report = endpoint.drain()
            entry = ledger.entries_for(fake.tenant_id, INVOICE, ["I1"])["I1"]
            endpoint.close()
        assert "PAID" == entry.remote_status
        assert [] == list(created.changes)  # the ledger kept the status each was sent with
        assert [("I1", "DRAFT", "PAID")] == [(c.key, c.before, c.after) for c in report.changes]
        after = fake.requests[before:]
        assert [("GET", "/Invoices", paid.xero_id)] == [
            (r.method, r.path, r.query.get("IDs")) for r in after
        ]
        assert "if-modified-since" not in after[0].headers


class TestIntentToReceive:
    """The fake's intent-to-receive run: passes the example endpoint, fails broken ones."""

    def test_the_example_endpoint_passes(self, xero_fake, tmp_path):
        example = load_example()
        with SqliteLedger(tmp_path / "ledger.db") as ledger:
            endpoint = example.Endpoint(KEY, tmp_path / "events.db", ledger, {}.get)
            with wsgi_server(endpoint.app) as url:
                report = xero_fake.webhooks.intent_to_receive(url, KEY)
            pending = endpoint.inbox.pending()
            endpoint.close()
        assert (True, [], ()) == (report.passed, report.problems(), pending)
        assert (2, 3) == (
            sum(c.signed_correctly for c in report.checks),
            sum(not c.signed_correctly for c in report.checks),
        )

    @pytest.mark.parametrize("broken", ["always 200", "cookie", "always 401"])
    def test_a_broken_endpoint_fails(self, xero_fake, broken):
        recorder = Recorder(answers=(401,) if broken == "always 401" else (200,))
        recorder.cookie = broken == "cookie"
        with wsgi_server(recorder) as url:
            report = xero_fake.webhooks.intent_to_receive(url, "key")
        assert not report.passed
        assert report.problems()

    def test_the_trackmap_receiver_passes(self, xero_fake, tmp_path):
        with SqliteWebhookInbox(tmp_path / "e.db") as inbox:
            app = wsgi_app(WebhookReceiver("k" * 40, inbox, lambda _: None))
            with wsgi_server(app) as url:
                assert xero_fake.webhooks.intent_to_receive(url, "k" * 40).passed


def test_the_example_worker_drains_in_its_thread(org, tmp_path):
    """The example's worker thread works what the endpoint queued, and stops when told."""
    import threading

    fake, target, mapping = org
    example = load_example()
    with SqliteLedger(tmp_path / "ledger.db") as ledger:
        endpoint = example.Endpoint(
            KEY, tmp_path / "events.db", ledger, {fake.tenant_id: target}.get
        )
        worker = threading.Thread(target=endpoint.work_forever)
        worker.start()
        with wsgi_server(endpoint.app) as url:
            fake.webhooks.subscribe(url, KEY)
            Pusher(target=target, ledger=ledger, mapping=mapping, fields=FIELDS).push(
                [outbound("W1")]
            )
            assert [200] == [a.status for a in fake.webhooks.send_due()]
        endpoint.stop()
        worker.join(timeout=30)
        (entry,) = ledger.entries(fake.tenant_id)
        pending = endpoint.inbox.pending()
        endpoint.close()
    assert (False, "DRAFT", ()) == (worker.is_alive(), entry.remote_status, pending)


def test_process_events_is_the_drain_the_example_runs(tmp_path):
    """The example's drain is trackmap's: no events, no work, nothing settled."""
    example = load_example()
    with SqliteLedger(tmp_path / "ledger.db") as ledger:
        endpoint = example.Endpoint("k", tmp_path / "events.db", ledger, {}.get)
        assert () == endpoint.drain().tenants
        assert () == process_events(endpoint.inbox, ledger, {}.get).tenants
        endpoint.close()


class LosingAnswers:
    """In front of the endpoint: now and then, the endpoint's 200 is lost on its way back.

    The endpoint has admitted the events; Xero (the fake) sees a failure and delivers the same
    bytes again later: the redeliveries that de-duplication exists for.
    """

    def __init__(self, app, rng):
        self.app = app
        self.rng = rng
        self.lost = 0

    def __call__(self, environ, start_response):
        answered = []
        self.app(environ, lambda status, headers: answered.append(status))
        if answered[0].startswith("200") and self.rng.random() < 0.3:
            self.lost += 1
            start_response("502 Bad Gateway", [("Content-Length", "0")])
        else:
            start_response(answered[0], [("Content-Length", "0")])
        return []


class TestScaleThroughFakeXero:
    """1,000 events from FakeXero for 50 organisations, with lost answers and redeliveries:
    one status read per affected document, in the fewest calls, through the real SDK."""

    def test_one_read_per_affected_document(self, xero_fake, xero_clock, tmp_path):
        import random

        fake = xero_fake
        rng = random.Random(7)  # noqa: S311 - a fixed, reproducible sample
        tenants = [fake.tenant_id] + [fake.add_tenant() for _ in range(49)]
        kinds = (INVOICE, DocumentKind.BILL)
        with (
            SqliteLedger(tmp_path / "ledger.db") as ledger,
            SqliteWebhookInbox(tmp_path / "events.db") as inbox,
        ):
            targets = {}
            for n, tenant in enumerate(tenants):
                region = fake.add_category("Region", ["North", "South"], tenant_id=tenant)
                job = fake.add_category("Job", ["J1", "J2"], tenant_id=tenant)
                targets[tenant] = XeroTarget(
                    fake.sdk_client(), tenant, clock=xero_clock.now, sleep=xero_clock.sleep
                )
                Pusher(
                    target=targets[tenant],
                    ledger=ledger,
                    mapping=mapping_for(region, job),
                    fields=FIELDS,
                ).push([outbound(f"T{n}-{i}", kind=kinds[i % 2]) for i in range(6)])
            affected = {
                (t, e.xero_id): e for t in tenants for e in ledger.entries(t) if e.key[-1] in "0123"
            }
            receiver = WebhookReceiver(KEY, inbox, lambda _events: None)
            lossy = LosingAnswers(wsgi_app(receiver), rng)
            with wsgi_server(lossy) as url:
                fake.webhooks.subscribe(url, KEY)
                fake.webhooks.batch_size = 10
                final = {}
                for tenant, xero_id in affected:
                    final[tenant, xero_id] = rng.choice(["PAID", "VOIDED", "AUTHORISED"])
                    changes = ("SUBMITTED", "AUTHORISED", "PAID", "AUTHORISED")
                    for status in (*changes, final[tenant, xero_id]):
                        xero_clock.advance(0.5)  # five changes, five instants, five events
                        fake.set_document_status("Invoices", xero_id, status, tenant_id=tenant)
                assert 1000 == fake.webhooks.queued
                attempts = fake.webhooks.run()
            assert (0, False) == (fake.webhooks.undelivered, fake.webhooks.disabled)
            assert lossy.lost > 0
            assert len(attempts) == 100 + lossy.lost  # every lost answer was delivered again
            assert 1000 == len(inbox.pending())  # and not admitted twice

            before = len(fake.requests)
            report = process_events(inbox, ledger, targets.get)
            reads = fake.requests[before:]
            statuses = {(t, e.xero_id): e.remote_status for t in tenants for e in ledger.entries(t)}
        assert {("GET", "/Invoices")} == {(r.method, r.path) for r in reads}
        asked = [(r.headers["xero-tenant-id"], i) for r in reads for i in r.query["IDs"].split(",")]
        assert sorted(affected) == sorted(asked)  # each affected document exactly once
        assert 2 * 50 == len(reads) == report.calls  # one call per tenant and kind: the fewest
        assert final == {k: v for k, v in statuses.items() if k in affected}
        assert {"DRAFT"} == {v for k, v in statuses.items() if k not in affected}  # as sent
