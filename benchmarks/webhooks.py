"""Benchmark the webhook endpoint's answer time against Xero's 5-second budget.

Run: ``python benchmarks/webhooks.py [--repeat 200]``.

Measured: the wall time of one delivery answered over real HTTP (wsgiref on 127.0.0.1) by
`trackmap.webhooks.wsgi_app`: signature check, parse, the event store's write (a SQLite
transaction in WAL mode on local disk) and the host's queue (a ``queue.Queue``), for
deliveries of 1 and 100 new events, and for a redelivery of 100 events already admitted.
Baseline, measured in the same run and the same way: a WSGI endpoint that only reads the body
and answers 200 (the floor of any endpoint on this server). Every figure is the median of
``--repeat`` deliveries with its spread (the 5th to 95th percentile) and the worst one.

The event store commits with ``synchronous=FULL`` (one fsync per delivery: once Xero has its
200 it forgets the delivery), which is most of the difference from the baseline.

Target: answer "well within Xero's 5 seconds"; the verdict compares the WORST delivery with 5 s
("met" below a tenth of it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import queue
import statistics
import tempfile
import threading
import time
import wsgiref.simple_server
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from trackmap.webhooks import SqliteWebhookInbox, WebhookReceiver, sign, wsgi_app

KEY = "benchmark key, not a real one"
BUDGET = 5.0
T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *_args: object) -> None:
        return


def _baseline(environ: dict[str, Any], start_response: Callable[..., object]) -> list[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Length", "0")])
    return []


def _serve(app: Any) -> tuple[wsgiref.simple_server.WSGIServer, threading.Thread]:
    server = wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    return server, thread


def _bodies(size: int, start: int) -> Iterator[bytes]:
    n = start
    while True:
        events = [
            {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{n + i:036d}",
                "resourceId": f"{n + i:036d}",
                "eventDateUtc": f"{T0 + dt.timedelta(milliseconds=n + i):%Y-%m-%dT%H:%M:%S.%f}"[
                    :-3
                ],
                "eventType": "UPDATE",
                "eventCategory": "INVOICE",
                "tenantId": "c2cc9b6e-0000-4000-8000-00000000000a",
                "tenantType": "ORGANISATION",
            }
            for i in range(size)
        ]
        n += size
        yield json.dumps({"events": events, "firstEventSequence": n, "entropy": "X"}).encode()


def _post(port: int, body: bytes) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/", body=body, headers={"x-xero-signature": sign(KEY, body)})
    status = connection.getresponse().status
    connection.close()
    elapsed = time.perf_counter() - started
    if status != 200:
        msg = f"the endpoint answered {status}"
        raise RuntimeError(msg)
    return elapsed


def _summary(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=20)
    return (
        f"median {statistics.median(times) * 1000:7.2f} ms, "
        f"spread {cuts[0] * 1000:.2f}-{cuts[-1] * 1000:.2f} ms, worst {max(times) * 1000:.2f} ms"
    )


def main() -> None:
    """Run the benchmark and print medians, spreads, ratios and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    repeat = max(20, args.repeat)
    folder = Path(tempfile.mkdtemp())
    work: queue.Queue[object] = queue.Queue()
    with SqliteWebhookInbox(folder / "events.db") as inbox:
        trackmap_server, trackmap_thread = _serve(wsgi_app(WebhookReceiver(KEY, inbox, work.put)))
        base_server, base_thread = _serve(_baseline)
        worst = 0.0
        try:
            for size in (1, 100):
                bodies = _bodies(size, start=size * 10_000_000)
                measured, floor, sent = [], [], []
                for _ in range(repeat):  # in alternation, so that both see the same machine
                    body = next(bodies)
                    sent.append(body)
                    measured.append(_post(trackmap_server.server_port, body))
                    floor.append(_post(base_server.server_port, body))
                worst = max(worst, *measured)
                ratio = statistics.median(measured) / statistics.median(floor)
                print(f"{size:3d} new events  trackmap: {_summary(measured)}")
                print(f"{'':16s}baseline: {_summary(floor)}  ratio {ratio:.2f}x")
                if size == 100:
                    again = [_post(trackmap_server.server_port, b) for b in sent]
                    worst = max(worst, *again)
                    print(f"100 redelivered trackmap: {_summary(again)}")
        finally:
            for server, thread in ((trackmap_server, trackmap_thread), (base_server, base_thread)):
                server.shutdown()
                thread.join()
                server.server_close()
    verdict = "met" if worst < BUDGET / 10 else ("met, narrowly" if worst < BUDGET else "MISSED")
    print(f"worst answer {worst * 1000:.2f} ms against Xero's {BUDGET:.0f} s: target {verdict}")


if __name__ == "__main__":
    main()
