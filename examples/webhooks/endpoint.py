# ruff: noqa: INP001 - an example, run by path
"""A Xero webhook endpoint with the standard library only: receive, queue, work.

The web side answers Xero at once (the signature check and one SQLite write); a worker thread
drains the events and refreshes the statuses of the documents they name in the delivery
ledger. Run it with your webhook key and ledger (Xero must reach it over HTTPS: put it behind
your usual reverse proxy)::

    XERO_WEBHOOK_KEY=... python examples/webhooks/endpoint.py --ledger ledger.db --port 8000

``connect`` below is where your app turns a tenant id into a `trackmap.xero.XeroTarget` with
that organisation's stored token; as shipped it knows no organisation, and says so.
"""

from __future__ import annotations

import argparse
import os
import queue
import threading
import wsgiref.simple_server
from collections.abc import Callable
from pathlib import Path

from trackmap import SqliteLedger
from trackmap.protocols import Target
from trackmap.webhooks import (
    SqliteWebhookInbox,
    WebhookReceiver,
    WebhookReport,
    process_events,
    wsgi_app,
)

Connect = Callable[[str], Target | None]
_WORK, _STOP = "work", "stop"


class Endpoint:
    """The endpoint and its worker, sharing one event store.

    Args:
        key: The webhook key shown in Xero's developer portal.
        inbox_path: The event store file (it must survive restarts: Xero retries for a day).
        ledger: The delivery ledger whose documents get their statuses refreshed.
        connect: A tenant's target, or None when that organisation is not connected.
    """

    def __init__(
        self, key: str, inbox_path: str | Path, ledger: SqliteLedger, connect: Connect
    ) -> None:
        self.inbox = SqliteWebhookInbox(inbox_path)
        self.ledger = ledger
        self.connect = connect
        self.wake: queue.Queue[str] = queue.Queue()
        self.reports: list[WebhookReport] = []
        # The queue only wakes the worker: the events themselves wait in the inbox.
        self.app = wsgi_app(WebhookReceiver(key, self.inbox, lambda _events: self.wake.put(_WORK)))

    def drain(self) -> WebhookReport:
        """Work every pending event (also the ones a previous process never got to)."""
        report = process_events(self.inbox, self.ledger, self.connect)
        self.reports.append(report)
        return report

    def work_forever(self) -> None:
        """The worker: drain once at start, then once per burst of wake-ups, until stopped."""
        self.drain()
        while True:
            signals = [self.wake.get()]
            while not self.wake.empty():  # many deliveries, one drain
                signals.append(self.wake.get_nowait())
            if _WORK in signals:
                self.drain()
            if _STOP in signals:
                return

    def stop(self) -> None:
        """Ask the worker to stop after its current drain."""
        self.wake.put(_STOP)

    def close(self) -> None:
        """Close the event store (after the worker stopped)."""
        self.inbox.close()


def no_organisation(tenant_id: str) -> Target | None:
    """Replace with your app's lookup: a XeroTarget for a connected tenant, else None."""
    print(f"organisation {tenant_id} is not connected here: its events are settled unworked")  # noqa: T201
    return None


def main(argv: list[str] | None = None) -> None:
    """Serve the endpoint on 127.0.0.1 and run its worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, required=True)
    parser.add_argument("--events", type=Path, default=Path("webhook-events.db"))
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with SqliteLedger(args.ledger) as ledger:
        endpoint = Endpoint(os.environ["XERO_WEBHOOK_KEY"], args.events, ledger, no_organisation)
        worker = threading.Thread(target=endpoint.work_forever, daemon=True)
        worker.start()
        with wsgiref.simple_server.make_server("127.0.0.1", args.port, endpoint.app) as server:
            print(f"listening on http://127.0.0.1:{server.server_port}/", flush=True)  # noqa: T201
            try:
                server.serve_forever()
            finally:
                endpoint.stop()
                worker.join()
                endpoint.close()


if __name__ == "__main__":
    main()
