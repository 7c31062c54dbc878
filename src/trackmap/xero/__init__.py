"""trackmap.xero: deliver to a real Xero organisation through xero-python, safely.

The only package of trackmap that imports ``xero_python`` or ``urllib3``; none of their types
or exceptions leave it. See ``docs/xero.md`` ("Xero delivery").

- `XeroTarget`: the `trackmap.Target` (and contacts / items powers) over xero-python, with
  ``summarizeErrors=false``, idempotency keys, retries, pacing and a concurrency cap.
- `connect`: build a hardened ``AccountingApi`` from a host's token getter and saver.
- `harden`: switch off urllib3's hidden retries on an ``ApiClient`` the host built itself.
- `RetryPolicy`: how calls are retried, paced and bounded.
- `RateBudget`: who may call Xero when (pacing, in-flight cap); `LocalBudget` is this
  process's, the default; `RateReport` is what Xero's rate-limit headers said.
"""

from trackmap.xero._auth import TokenGetter, TokenSaver, connect, harden
from trackmap.xero._calls import Clock, LocalBudget, RateBudget, RateReport, RetryPolicy, Sleep
from trackmap.xero._target import XeroTarget, request_key

__all__ = [
    "Clock",
    "LocalBudget",
    "RateBudget",
    "RateReport",
    "RetryPolicy",
    "Sleep",
    "TokenGetter",
    "TokenSaver",
    "XeroTarget",
    "connect",
    "harden",
    "request_key",
]
