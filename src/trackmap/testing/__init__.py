"""trackmap's test kit, for our tests and for hosts' own.

- `FakeXero`: a loopback HTTP stand-in for the part of Xero's Accounting API trackmap uses,
  which the real xero-python SDK talks to; with Xero's limits and quirks, a `VirtualClock`,
  rate limits (`Limits`) and scripted faults (`Fault`). See ``docs/testing.md``.
- `sdk_client`: an ``AccountingApi`` wired to a FakeXero, hidden retries off, timeouts set.
- `InMemoryTarget`: a `trackmap.protocols.Target` in memory, for fast tests of delivery logic.
- `CHECKPOINTS`: the steps at which `trackmap.Pusher`'s ``checkpoint`` test hook is called, in
  order; make the hook raise at one to simulate a crash there.
- `trackmap.testing.hosts`: two complete sample hosts (job management, project practice).
- `trackmap.testing.strategies`: Hypothesis strategies for schemas, mappings and documents
  (import it explicitly; it needs Hypothesis).
"""

from trackmap._sync._push import CHECKPOINTS
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
    "CHECKPOINTS",
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
