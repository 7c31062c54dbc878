"""trackmap.protocols: every contract a host implements or injects, in one place.

Most hosts never implement one of these: `trackmap.xero.XeroTarget`, `trackmap.SqliteLedger`
and `trackmap.postgres.PostgresLedger` are the implementations, and a plain function is a
`ProgressCallback`. Read them to plug in your own, or to type your own code against them.

Delivery (a `trackmap.Pusher` takes these):

- `Target`: where documents go, one organisation per instance. **Protocol.**
- `DescribesSent`: a target that can say what Xero will hold of a document before sending it,
  so that a document whose answer was lost is recognised (optional). **Protocol.**
- `ReadsByNumber`: a target that can read documents by their numbers (optional). **Protocol.**
- `KnowsXeroClock`: a target that knows how far this machine's clock is from Xero's, so that
  settlement reads far enough back when this machine runs ahead (optional). **Protocol.**
- `ContactsAndItems`: a target that can find and create contacts and items, for a
  `trackmap.DeliveryPolicy` that asks for it (optional). **Protocol.**
- `Ledger`: the memory of deliveries. **Protocol.** `SendIntent`, `SendMember` and
  `SendOutcome` are the values it records around each request (what a ledger of your own
  stores; `trackmap.SqliteLedger` and `trackmap.postgres.PostgresLedger` are the two there are).
- `ProgressCallback`: ``(Progress) -> None``, called after every step of a push.

Talking to Xero (`trackmap.xero.XeroTarget` and `trackmap.xero.connect` take these):

- `RateBudget`: who may call Xero when; `trackmap.xero.LocalBudget` (one process) and
  `trackmap.redis.RedisBudget` (shared) implement it. **Protocol.**
- `TokenGetter` / `TokenSaver`: how the host's stored OAuth token is read and written.
- `Clock` / `Sleep`: time and waiting, injectable so that tests never wait for real.

Host records are read by subclassing `trackmap.SourceAdapter` (an abstract class, not a
Protocol: a missing method fails when the class is made). The integrations keep the hooks
only they call beside them: `trackmap.webhooks` (`WebhookInbox`, `DocumentsHook`,
`ReferenceHook`, `StatusRefresh`, `Enqueue`) and `trackmap.celery` (`JobFactory`).

The names from `trackmap.xero` load on first use, so that importing this module loads no
xero-python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trackmap._lazy import lazy_names as _lazy_names
from trackmap._sync._target import (
    ContactsAndItems,
    DescribesSent,
    KnowsXeroClock,
    ReadsByNumber,
    Target,
)

if TYPE_CHECKING:
    from trackmap._sync._ledger import Ledger, SendIntent, SendMember, SendOutcome
    from trackmap._sync._progress import ProgressCallback
    from trackmap.xero._auth import TokenGetter, TokenSaver
    from trackmap.xero._calls import Clock, RateBudget, Sleep

_LAZY: dict[str, str] = {
    "Ledger": "trackmap._sync._ledger",
    "SendIntent": "trackmap._sync._ledger",
    "SendMember": "trackmap._sync._ledger",
    "SendOutcome": "trackmap._sync._ledger",
    "ProgressCallback": "trackmap._sync._progress",
    "TokenGetter": "trackmap.xero._auth",
    "TokenSaver": "trackmap.xero._auth",
    "Clock": "trackmap.xero._calls",
    "RateBudget": "trackmap.xero._calls",
    "Sleep": "trackmap.xero._calls",
}

__all__ = [
    "Clock",
    "ContactsAndItems",
    "DescribesSent",
    "KnowsXeroClock",
    "Ledger",
    "ProgressCallback",
    "RateBudget",
    "ReadsByNumber",
    "SendIntent",
    "SendMember",
    "SendOutcome",
    "Sleep",
    "Target",
    "TokenGetter",
    "TokenSaver",
]


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, __all__)
