"""``trackmap demo``, the webhook step: a payment in Xero reaches the ledger by a signed webhook.

FakeXero plays Xero's part. The step serves `trackmap.webhooks`' WSGI app on 127.0.0.1 (a port
the system picks), subscribes it in the fake, and lets the fake run Xero's intent-to-receive
check against it. Then an invoice is paid in the fake, and the fake POSTs the signed event.
The endpoint checks the signature, writes the event to an inbox file and queues it. The step
re-sends the same body, as Xero does when it misses the 200: the endpoint recognises it. It
also sends a copy signed with another key, which is refused. `process_events` then refreshes
exactly that invoice: one GET by id, and no polling. Everything runs in the fake's virtual
time; the only network is loopback.

`show_webhook_payment` takes the delivery's pieces (the fake, the target, the ledger and the
exit stack that closes them), so this module needs nothing from the other delivery steps. Each
line it prints comes from what happened: the answers the endpoint gave, the requests the fake
received, and the status the ledger holds afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import secrets
import tempfile
import threading
import wsgiref.simple_server
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._sync._ledger import LedgerEntry, SqliteLedger
from trackmap.webhooks import (
    SqliteWebhookInbox,
    WebhookEvent,
    WebhookReceiver,
    WebhookReply,
    process_events,
    sign,
    wsgi_app,
)

if TYPE_CHECKING:
    from trackmap._cli._demo import DemoContext
    from trackmap.testing._fakexero import FakeXero
    from trackmap.xero import XeroTarget

__all__ = ["WEBHOOK_PATH", "RecordingReceiver", "show_webhook_payment"]

#: Where the demo's endpoint listens, on 127.0.0.1.
WEBHOOK_PATH = "/xero/webhooks"
_POLL = 0.01  # how often the server thread looks for a shutdown request, in seconds
_PAID = "PAID"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class RecordingReceiver(WebhookReceiver):
    """The real receiver, which also keeps each raw body and reply (so the demo can re-send)."""

    def __init__(self, key: str, inbox: SqliteWebhookInbox) -> None:
        self.queued: list[WebhookEvent] = []
        self.received: list[tuple[bytes, str | None]] = []
        self.replies: list[WebhookReply] = []
        super().__init__(key, inbox, self.queued.extend)

    def receive(self, body: bytes, signature: str | None) -> WebhookReply:
        """Answer as `WebhookReceiver` does, and keep the body and the reply."""
        self.received.append((body, signature))
        reply = super().receive(body, signature)
        self.replies.append(reply)
        return reply


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *_: object) -> None:
        """Keep the demo's output to the story: no access log."""


def _serve(stack: contextlib.ExitStack, receiver: WebhookReceiver) -> int:
    """Serve the receiver's WSGI app on 127.0.0.1 until the stack closes; return its port."""
    server = wsgiref.simple_server.make_server(
        "127.0.0.1", 0, wsgi_app(receiver), handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": _POLL}, daemon=True
    )
    thread.start()
    stack.callback(server.server_close)
    stack.callback(thread.join)
    stack.callback(server.shutdown)
    return int(server.server_port)


def _post(port: int, body: bytes, signature: str) -> int:
    """POST a body to the loopback endpoint, as Xero would; return the status answered."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", WEBHOOK_PATH, body=body, headers={"x-xero-signature": signature})
        return connection.getresponse().status
    finally:
        connection.close()


@attrs.frozen(kw_only=True)
class _Setup:
    port: int
    key: str
    inbox: SqliteWebhookInbox
    receiver: RecordingReceiver


def _set_up(fake: FakeXero, stack: contextlib.ExitStack) -> _Setup:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trackmap-webhooks-")))
    inbox = stack.enter_context(SqliteWebhookInbox(folder / "events.db", clock=fake.clock.now))
    key = base64.b64encode(secrets.token_bytes(64)).decode("ascii")  # as Xero's portal shows it
    receiver = RecordingReceiver(key, inbox)
    port = _serve(stack, receiver)
    fake.webhooks.subscribe(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", key)
    return _Setup(port=port, key=key, inbox=inbox, receiver=receiver)


def _unpaid_invoice(ledger: SqliteLedger, tenant_id: str) -> LedgerEntry | None:
    return next(
        (
            e
            for e in ledger.entries(tenant_id, DocumentKind.SALES_INVOICE)
            if e.xero_id is not None and e.remote_status != _PAID
        ),
        None,
    )


def _say_intent_check(ctx: DemoContext, fake: FakeXero) -> bool:
    check = fake.webhooks.intent_to_receive()
    right = sum(c.passed for c in check.checks)
    verdict = "passed" if check.passed else "FAILED"
    ctx.say(
        f"Xero's intent-to-receive check against it: {verdict} "
        f"({right} of {len(check.checks)} answers as Xero wants them)."
    )
    for problem in check.problems():
        ctx.say(f"  {problem}")
    return check.passed


def _say_deliveries(ctx: DemoContext, fake: FakeXero, setup: _Setup) -> None:
    attempts = fake.webhooks.send_due()
    events = sum(a.events for a in attempts)
    statuses = ", ".join(str(a.status) for a in attempts) or "nothing"
    queued = len(setup.receiver.queued)
    ctx.say(
        f"FakeXero POSTed {_n(len(attempts), 'signed request')} ({_n(events, 'event')}): "
        f"answered {statuses}; {_n(queued, 'event')} queued for the worker."
    )
    if not setup.receiver.received:
        return
    body, signature = setup.receiver.received[-1]
    again = _post(setup.port, body, signature or "")
    ctx.say(
        f"The same body again (Xero re-sends when it misses the 200): answered {again}; "
        f"{_n(len(setup.receiver.queued) - queued, 'new event')} queued."
    )
    forged = _post(setup.port, body, sign(setup.key + "guess", body))
    ctx.say(
        f"The same body signed with another key: answered {forged}; "
        f"{_n(len(setup.receiver.queued) - queued, 'new event')} queued."
    )


def _say_work(
    ctx: DemoContext, fake: FakeXero, target: XeroTarget, ledger: SqliteLedger, setup: _Setup
) -> None:
    before = len(fake.requests)
    report = process_events(setup.inbox, ledger, {target.tenant_id: target}.get)
    made = fake.requests[before:]
    listed = ", ".join(
        f"{r.method} {r.path}" + (" by IDs" if "IDs" in r.query else "") for r in made
    )
    ctx.say(
        f"The worker's process_events: {_n(sum(t.events for t in report.tenants), 'event')}, "
        f"{_n(len(made), 'call')} to Xero ({listed or 'none'}), no polling."
    )
    for change in report.changes:
        ctx.say(f"  {change.sentence()}")


def show_webhook_payment(
    ctx: DemoContext,
    fake: FakeXero,
    target: XeroTarget,
    ledger: SqliteLedger,
    stack: contextlib.ExitStack,
) -> None:
    """Pay an invoice in the fake and follow the webhook to the ledger (the module docstring)."""
    invoice = _unpaid_invoice(ledger, target.tenant_id)
    if invoice is None:  # pragma: no cover - the samples have several sales invoices
        ctx.say("No unpaid sales invoice is left to pay.")
        return
    setup = _set_up(fake, stack)
    ctx.say(
        f"A webhook endpoint (trackmap.webhooks' WSGI app) listens on 127.0.0.1 at {WEBHOOK_PATH}."
    )
    if not _say_intent_check(ctx, fake):
        return
    fake.set_document_status("Invoices", invoice.xero_id or "", _PAID)
    name = invoice.number or invoice.key
    ctx.say(f"In Xero, {name} is paid.")
    _say_deliveries(ctx, fake, setup)
    _say_work(ctx, fake, target, ledger, setup)
    after = ledger.entries_for(target.tenant_id, invoice.kind, [invoice.key])[invoice.key]
    ctx.say(f"The ledger shows {name} as {after.remote_status}.")
