"""FakeXero: a loopback stand-in for Xero's Accounting API, for trackmap's tests and hosts'.

The real xero-python SDK talks to it over real HTTP on 127.0.0.1; it reproduces the Xero
behaviours trackmap exists to survive (XERO.md): tracking silently dropped, summarised
batches that still create documents, Idempotency-Key replays, rate limits with Xero's
headers, dropped and slow answers.
"""

from __future__ import annotations

from trackmap.testing._fakexero._clock import VirtualClock
from trackmap.testing._fakexero._errors import FakeXeroError
from trackmap.testing._fakexero._fake import FakeXero
from trackmap.testing._fakexero._faults import Fault
from trackmap.testing._fakexero._limits import Limits
from trackmap.testing._fakexero._recording import RecordedRequest
from trackmap.testing._fakexero._sdk import sdk_client

__all__ = [
    "FakeXero",
    "FakeXeroError",
    "Fault",
    "Limits",
    "RecordedRequest",
    "VirtualClock",
    "sdk_client",
]
