"""What FakeXero remembers of each request, for a test to assert on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["RecordedRequest"]

REDACTED = "<redacted>"


@attrs.frozen(kw_only=True, eq=False)
class RecordedRequest:
    """One request as FakeXero received it.

    Attributes:
        method: ``GET``, ``PUT``, ``POST`` or ``DELETE``.
        path: the path after ``/api.xro/2.0`` (``/Invoices``), as the client sent it.
        query: query parameters (the last value wins for a repeated name).
        headers: request headers, lower-case names; ``authorization`` is redacted.
        body: the raw body.
        json: the body parsed as JSON (fractions as Decimal), or None.
        status: the status answered; None when the connection was dropped unanswered.
        handled: True when the request got past auth, injected faults and rate limits.
        replayed: True when the answer was replayed for a repeated Idempotency-Key.
        answer_headers: the headers answered (empty when unanswered or not yet answered).
        answer: the body answered, as sent (empty when unanswered or not yet answered).
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    json: Any
    status: int | None
    handled: bool
    replayed: bool = False
    answer_headers: Mapping[str, str] = attrs.field(factory=dict)
    answer: bytes = b""
