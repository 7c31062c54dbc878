"""trackmap's test kit, for our tests and for hosts' own.

- `FakeXero`: a loopback HTTP stand-in for the part of Xero's Accounting API trackmap uses,
  which the real xero-python SDK talks to; with Xero's limits and quirks, a `VirtualClock`,
  rate limits (`Limits`) and scripted faults (`Fault`). See ``docs/testing.md``.
- `sdk_client`: an ``AccountingApi`` wired to a FakeXero, hidden retries off, timeouts set.
- `InMemoryTarget`: a `trackmap.Target` in memory, for fast tests of delivery logic.
- `trackmap.testing.hosts`: two complete sample hosts (job management, project practice).
- `trackmap.testing.strategies`: Hypothesis strategies for schemas, mappings and documents
  (import it explicitly; it needs Hypothesis).
"""

from trackmap.testing._fakexero import (
    FakeXero,
    FakeXeroError,
    Fault,
    Limits,
    RecordedRequest,
    VirtualClock,
    sdk_client,
)
from trackmap.testing._memory import InMemoryTarget, StoredDocument

__all__ = [
    "FakeXero",
    "FakeXeroError",
    "Fault",
    "InMemoryTarget",
    "Limits",
    "RecordedRequest",
    "StoredDocument",
    "VirtualClock",
    "sdk_client",
]
