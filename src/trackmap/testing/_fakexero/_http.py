"""The loopback HTTP layer: a ThreadingHTTPServer that hands every request to FakeXero.

HTTP/1.0 (one request per connection) keeps shutdown clean: no idle keep-alive threads
outlive `FakeXero.close`, and a dropped answer is simply a connection closed unanswered.

Every answer's ``Date`` header is the fake's clock, as Xero's is Xero's: a client that measures
how far its clock is from the server's (settlement does) sees the virtual time, not the
machine's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs

__all__ = ["Incoming", "Outcome", "Server"]


@attrs.frozen(kw_only=True)
class Incoming:
    """A request as it arrived: method, target (path and query), headers, raw body."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes


@attrs.frozen(kw_only=True)
class Outcome:
    """What to do with a connection: answer (status, headers, body) or close unanswered."""

    status: int | None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""

    @property
    def dropped(self) -> bool:
        """True when the connection is closed without an answer."""
        return self.status is None


Serve = Callable[[Incoming], Outcome]


class _Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        incoming = Incoming(method=self.command, target=self.path, headers=headers, body=body)
        outcome = self.server.serve(incoming)
        if outcome.status is None:
            self.close_connection = True
            return
        # The client may have given up on a held answer: nothing is left to tell it.
        with contextlib.suppress(OSError):
            self._write(outcome)

    def do_PUT(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        self.do_GET()

    def do_DELETE(self) -> None:
        self.do_GET()

    def _write(self, outcome: Outcome) -> None:
        self.send_response(outcome.status or 500)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  # stdlib name
        """Stay quiet: tests read `FakeXero.requests`, not stderr."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header: the fake's clock (the standard library would use the machine's)."""
        moment = (
            self.server.now() if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC)
        )
        return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)


class Server(ThreadingHTTPServer):
    """A threading HTTP server bound to 127.0.0.1 on a free port."""

    daemon_threads = True
    # socketserver's default backlog of 5 would make a burst of concurrent test calls wait
    # for SYN retransmits (a real second) instead of reaching the concurrency limit.
    request_queue_size = 128

    def __init__(
        self,
        serve: Serve,
        host: str = "127.0.0.1",
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        super().__init__((host, 0), _Handler)
        self.serve = serve
        self.now = now

    @property
    def port(self) -> int:
        """The port the operating system picked."""
        return int(self.server_address[1])
