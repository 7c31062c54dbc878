"""trackmap.xero: deliver to a real Xero organisation through xero-python, safely.

The only package of trackmap that imports ``xero_python`` or ``urllib3``; none of their types
or exceptions leave it. See ``docs/xero.md`` ("Xero delivery").

- `XeroTarget`: the `trackmap.protocols.Target` (and contacts / items powers) over
  xero-python, with ``summarizeErrors=false``, idempotency keys, retries, pacing and a
  concurrency cap. It switches urllib3's hidden retries off on the ``AccountingApi`` it is
  given, whoever built it.
- `connect`: build an ``AccountingApi`` from a host's token getter and saver.
- `RetryPolicy`: how calls are retried, paced and bounded.
- `LocalBudget`: this process's `trackmap.protocols.RateBudget` (pacing, in-flight cap), the
  default; `RateReport` is what Xero's rate-limit headers said.

The contracts these take (`RateBudget`, `TokenGetter`, `TokenSaver`, `Clock`, `Sleep`) are in
`trackmap.protocols`.
"""

from trackmap.xero._auth import connect
from trackmap.xero._calls import LocalBudget, RateReport, RetryPolicy
from trackmap.xero._target import XeroTarget

__all__ = [
    "LocalBudget",
    "RateReport",
    "RetryPolicy",
    "XeroTarget",
    "connect",
]
