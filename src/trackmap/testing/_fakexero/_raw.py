"""Raw HTTP requests to FakeXero, for bodies the SDK would refuse to build.

xero-python validates models before sending (name lengths, enum values) and always wraps
documents, so some of Xero's answers (a 100+ character option name, ``Tracking`` sent as an
object) can only be reached by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import attrs
import urllib3

from trackmap.testing._fakexero._wire import Json, loads

__all__ = ["RawAnswer", "raw_request"]

_POOL = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=10), maxsize=16)


@attrs.frozen(kw_only=True)
class RawAnswer:
    """What came back: status, headers (case-insensitive) and the body."""

    status: int
    headers: Mapping[str, str]
    data: bytes

    @property
    def json(self) -> Json:
        """The body parsed as JSON (fractions as Decimal)."""
        return loads(self.data)


def raw_request(
    base_url: str,
    method: str,
    path: str,
    *,
    body: Json = None,
    headers: Mapping[str, str] | None = None,
) -> RawAnswer:
    """Send one request to ``base_url + path``; ``body`` is JSON-encoded when given.

    No retries, a 10 s read timeout; ``headers`` are sent as they are (add the
    ``Authorization`` and ``xero-tenant-id`` headers yourself, or use `FakeXero.raw`).
    """
    data = None if body is None else json.dumps(body)
    answer = _POOL.request(
        method, base_url + path, body=data, headers=dict(headers or {}), preload_content=True
    )
    return RawAnswer(status=answer.status, headers=answer.headers, data=answer.data)
