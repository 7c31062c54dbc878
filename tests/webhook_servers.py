"""Loopback HTTP servers for the webhook tests: wsgiref for WSGI, a tiny harness for ASGI.

No ASGI server is installed in this project, so `AsgiServer` is a minimal HTTP/1.1 server on
asyncio streams (one request per connection, Content-Length bodies) that drives an ASGI
callable the way an ASGI server does: an ``http`` scope, ``http.request`` messages (the body in
two chunks, to exercise ``more_body``), and the ``http.response.*`` messages written back.
Both servers run in a thread and listen on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import threading
import wsgiref.simple_server
from collections.abc import Iterator
from typing import Any

import attrs


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        return


@contextlib.contextmanager
def wsgi_server(app: Any) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1; yield its URL."""
    server = wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/xero/webhooks"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


async def _handle(app: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = [
        (name.strip().lower().encode("latin-1"), value.strip().encode("latin-1"))
        for name, value in (line.split(":", 1) for line in header_lines if ":" in line)
    ]
    length = int(dict(headers).get(b"content-length", b"0"))
    body = await reader.readexactly(length) if length else b""
    half = len(body) // 2
    messages = [
        {"type": "http.request", "body": body[:half], "more_body": True},
        {"type": "http.request", "body": body[half:], "more_body": False},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    lines = [f"HTTP/1.1 {start['status']} {http.client.responses[start['status']]}"]
    lines += [f"{k.decode('latin-1')}: {v.decode('latin-1')}" for k, v in start["headers"]]
    lines.append("Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
    await writer.drain()
    writer.close()


@attrs.define
class _Loop:
    loop: asyncio.AbstractEventLoop
    port: int = 0


@contextlib.contextmanager
def asgi_server(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 (see the module docstring); yield its URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state = _Loop(loop=loop)
    stop: asyncio.Future[None] | None = None

    async def main() -> None:
        nonlocal stop
        stop = loop.create_future()
        server = await asyncio.start_server(lambda r, w: _handle(app, r, w), "127.0.0.1", 0)
        state.port = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),))
    thread.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{state.port}/xero/webhooks"
    finally:
        loop.call_soon_threadsafe(lambda: stop is not None and stop.set_result(None))
        thread.join()
        loop.close()


def post(
    url: str,
    body: bytes,
    signature: str | None,
    *,
    method: str = "POST",
) -> tuple[int, bytes, dict[str, str]]:
    """Send one request straight to the loopback URL; return status, body, headers."""
    parts = url.split("/", 3)
    host, port = parts[2].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["x-xero-signature"] = signature
    try:
        connection.request(method, "/" + parts[3], body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read(), {k.lower(): v for k, v in answer.getheaders()}
    finally:
        connection.close()
