"""The delivery part of ``trackmap demo``: push, re-run, edit, payments (polled, and told by a
webhook), tracking summary."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from trackmap._cli._demo import DemoContext, run_demo, step_host
from trackmap._cli._demo_delivery import (
    DELIVERY_STEPS,
    ProgressLine,
    remap_mapping,
    step_payment,
    step_push,
    step_webhook_payment,
    tracking_totals,
)
from trackmap._cli._main import main
from trackmap._engine._document import DocumentKind
from trackmap._engine._mapping import ByTable
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingSchema
from trackmap._sync._progress import Phase, Progress
from trackmap._sync._target import RemoteDocument, RemoteLine, TrackingEntry
from trackmap.testing.hosts import SAMPLES, sample_practice


def demo_output(host: str) -> str:
    out = io.StringIO()
    assert 0 == run_demo(out, host=host, steps=(step_host, *DELIVERY_STEPS))
    return out.getvalue()


class TestTheStory:
    """The demo delivers every sample document once and tells each part of the story."""

    @pytest.mark.parametrize("host", sorted(SAMPLES))
    def test_each_step_tells_its_part(self, host):
        text = demo_output(host)
        count = len(SAMPLES[host]().records)
        assert f"Batch 1: {count} created" in text
        assert f"Batch 2: {count} unchanged (1 call)." in text
        assert f"FakeXero holds {count} documents for {count} host documents." in text
        assert f"Batch 3: 1 updated, {count - 1} unchanged (2 calls)." in text
        assert f"FakeXero still holds {count} documents." in text
        assert re.search(r'sales invoice "[^"]+" is now PAID in Xero \(was DRAFT\)\.', text)
        assert "A payment told by a Xero webhook" in text
        assert "1 event, 1 call to Xero (GET /Invoices by IDs), no polling." in text
        assert re.search(r"The ledger shows \S+ as PAID\.", text)
        assert "Tracking summary" in text

    def test_options_created_for_new_jobs_are_named(self):
        text = demo_output("jobs")
        assert 'Option "J1046" created in tracking category "Job".' in text

    def test_the_command_runs_the_whole_demo(self, capsys):
        assert 0 == main(["demo"])
        text = capsys.readouterr().out
        assert "A rejected mapping" in text
        assert "A payment in Xero, synced back" in text
        assert "A payment told by a Xero webhook: one read by id, no polling" in text


class TestRemap:
    """The sample mapping follows the organisation copy by names, since FakeXero makes new ids."""

    def test_table_rows_and_categories_take_the_new_ids(self):
        sample = sample_practice()
        renamed = TrackingSchema(
            categories=tuple(
                TrackingCategory(
                    id="new-" + c.id,
                    name=c.name,
                    status=c.status,
                    options=tuple(
                        TrackingOption(id="new-" + o.id, name=o.name, status=o.status)
                        for o in c.options
                    ),
                )
                for c in sample.schema.categories
            )
        )
        moved = remap_mapping(sample.mapping, sample.schema, renamed)
        for before, after in zip(sample.mapping.bindings, moved.bindings, strict=True):
            assert "new-" + before.category_id == after.category_id
            if isinstance(before.values, ByTable):
                assert [
                    None if r.option_id is None else "new-" + r.option_id
                    for r in before.values.rows
                ] == [r.option_id for r in after.values.rows]


class TestTotals:
    """Totals by option: sales and purchases apart, credit notes subtracted."""

    def test_totals(self):
        north = TrackingEntry(
            category_id="c", category_name="Region", option_id="n", option_name="North"
        )

        def doc(kind, amount):
            line = RemoteLine(description="x", line_amount=Decimal(amount), tracking=(north,))
            return RemoteDocument(kind=kind, xero_id="i", status="DRAFT", lines=(line,))

        totals = tracking_totals(
            [
                doc(DocumentKind.SALES_INVOICE, "100"),
                doc(DocumentKind.SALES_CREDIT_NOTE, "30"),
                doc(DocumentKind.BILL, "40"),
            ]
        )
        assert {("Region", "North"): [Decimal(70), Decimal(40)]} == totals


class TestProgressLine:
    """On a pipe only the end of a push is shown; on a terminal one line is rewritten."""

    def test_a_pipe_gets_the_last_line_only(self):
        out = io.StringIO()
        line = ProgressLine(out)
        line(Progress(phase=Phase.SENDING, done=1, total=2, calls=1, batch=1))
        line(Progress(phase=Phase.DONE, done=2, total=2, calls=2, batch=1))
        assert "  [batch 1: done, 2/2 documents, 2 calls]\n" == out.getvalue()

    def test_a_terminal_gets_one_rewritten_line(self):
        class Terminal(io.StringIO):
            def isatty(self):
                return True

        out = Terminal()
        line = ProgressLine(out)
        line(Progress(phase=Phase.SENDING, done=1, total=2, calls=1))
        line(Progress(phase=Phase.DONE, done=2, total=2, calls=2))
        assert (
            "\rsending, 1/2 documents, 1 call\rdone, 2/2 documents, 2 calls  \n" == out.getvalue()
        )


def paid_by_webhook(host: str, *, before=()):
    """Run the push, then ``before``, then the webhook step; return its text and what it did."""
    seen: dict[str, object] = {}

    def mark(ctx: DemoContext) -> None:
        d = ctx.extras["delivery"]
        seen["requests"] = len(d.fake.requests)
        seen["statuses"] = {e.key: e.remote_status for e in d.ledger.entries(d.target.tenant_id)}

    def look(ctx: DemoContext) -> None:
        d = ctx.extras["delivery"]
        seen["made"] = d.fake.requests[seen["requests"] :]
        seen["attempts"] = list(d.fake.webhooks.attempts)
        seen["after"] = {e.key: e.remote_status for e in d.ledger.entries(d.target.tenant_id)}
        seen["by_id"] = {e.xero_id: e.key for e in d.ledger.entries(d.target.tenant_id)}
        d.stack.close()

    out = io.StringIO()
    assert 0 == run_demo(
        out, host=host, steps=(step_push, *before, mark, step_webhook_payment, look)
    )
    return out.getvalue(), seen


class TestWebhookPayment:
    """The demo's webhook step: a payment made in Xero reaches the ledger through a signed
    webhook to a real loopback endpoint, verified, de-duplicated and worked in one GET by id."""

    def test_the_step_is_part_of_the_demo_before_the_summary(self):
        names = [step.__name__ for step in DELIVERY_STEPS]
        assert names.index("step_payment") < names.index("step_webhook_payment")
        assert names.index("step_webhook_payment") < names.index("step_summary")

    @pytest.mark.parametrize("host", sorted(SAMPLES))
    def test_exactly_the_paid_invoice_changes_in_the_ledger(self, host):
        _, seen = paid_by_webhook(host)
        changed = {k: v for k, v in seen["after"].items() if v != seen["statuses"][k]}
        (key,) = changed
        assert {key: "PAID"} == changed
        assert "DRAFT" == seen["statuses"][key]

    def test_the_status_costs_one_get_by_id_and_no_polling(self):
        _, seen = paid_by_webhook("jobs")
        (call,) = seen["made"]
        assert ("GET", "/Invoices") == (call.method, call.path)
        (paid,) = (k for k, v in seen["after"].items() if v != seen["statuses"][k])
        assert paid == seen["by_id"][call.query["IDs"]]

    def test_the_fake_posted_one_signed_delivery_answered_200(self):
        _, seen = paid_by_webhook("jobs")
        assert [(1, 200)] == [(a.events, a.status) for a in seen["attempts"]]

    def test_the_text_follows_the_endpoint_and_the_ledger(self):
        text, seen = paid_by_webhook("jobs")
        (paid,) = (k for k, v in seen["after"].items() if v != seen["statuses"][k])
        assert "intent-to-receive check against it: passed (5 of 5 answers" in text
        assert f"In Xero, {paid} is paid." in text
        assert "answered 200; 1 event queued for the worker." in text
        assert "misses the 200): answered 200; 0 new events queued." in text
        assert "signed with another key: answered 401; 0 new events queued." in text
        assert f'sales invoice "{paid}" is now PAID in Xero (was DRAFT).' in text
        assert f"The ledger shows {paid} as PAID." in text

    def test_after_the_polled_payment_another_invoice_is_paid(self):
        text, seen = paid_by_webhook("jobs", before=(step_payment,))
        polled = {k for k, v in seen["statuses"].items() if v == "PAID"}
        told = {k for k, v in seen["after"].items() if v == "PAID"} - polled
        assert 1 == len(polled)
        assert 1 == len(told)
        (key,) = told
        assert f"The ledger shows {key} as PAID." in text

    def test_an_endpoint_that_refuses_xero_is_reported_and_nothing_claimed(self, monkeypatch):
        import trackmap.webhooks

        monkeypatch.setattr(trackmap.webhooks, "verify_signature", lambda *_: False)
        text, seen = paid_by_webhook("jobs")
        assert "intent-to-receive check against it: FAILED (3 of 5 answers" in text
        assert "Xero wants 200 with an empty body and no cookie." in text
        assert "The ledger shows" not in text
        assert seen["statuses"] == seen["after"]
        assert [] == seen["made"]
