"""Injected faults: what FakeXero does instead of (or after) answering a matching request.

The dangerous case trackmap exists for is `Fault.drop_after`: Xero did the work (documents
exist) but the answer never arrived, so a naive retry duplicates them (XERO.md, "HIDDEN
RETRIES"). `Fault.slow` holds the answer past a client's read timeout, to the same effect.
"""

from __future__ import annotations

import threading
from typing import Literal

import attrs

from trackmap.testing._fakexero._errors import FakeXeroError

__all__ = ["Fault", "FaultKind", "FaultRule", "RateProblem"]

FaultKind = Literal["status", "drop_before", "drop_after", "slow", "rate_limit"]
RateProblem = Literal["minute", "day", "concurrent", "appminute"]


@attrs.frozen(kw_only=True)
class Fault:
    """One misbehaviour; build it with the class methods, then hand it to `FakeXero.inject`."""

    kind: FaultKind
    code: int = 500
    seconds: float = 0.0
    problem: RateProblem = "minute"
    retry_after: int | None = None

    @classmethod
    def status(cls, code: int = 500) -> Fault:
        """Answer ``code`` (a 5xx by default) without processing the request."""
        return cls(kind="status", code=code)

    @classmethod
    def drop_before(cls) -> Fault:
        """Close the connection without processing the request or answering."""
        return cls(kind="drop_before")

    @classmethod
    def drop_after(cls) -> Fault:
        """Process the request (documents are created) and close without answering."""
        return cls(kind="drop_after")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Process the request, then hold the answer up to ``seconds`` of REAL time.

        The hold ends early when the fake closes, so a test that sets a short client read
        timeout (1 s, say) never waits for it.
        """
        return cls(kind="slow", seconds=seconds)

    @classmethod
    def rate_limit(cls, problem: RateProblem = "minute", retry_after: int | None = None) -> Fault:
        """Answer 429 for ``problem``; ``retry_after`` defaults to the window's real reset."""
        if problem not in ("minute", "day", "concurrent", "appminute"):
            msg = (
                "Xero's rate-limit problems are minute, day, concurrent and appminute, "
                f"not {problem!r}."
            )
            raise FakeXeroError(msg)
        return cls(kind="rate_limit", problem=problem, retry_after=retry_after)


@attrs.define(kw_only=True)
class FaultRule:
    """A fault waiting for ``times`` more requests that match method and path."""

    fault: Fault
    method: str | None
    path: str | None
    tenant_id: str | None
    times: int

    def matches(self, method: str, path: str, tenant_id: str) -> bool:
        """Tell whether a request (path relative to ``/api.xro/2.0``) triggers this rule."""
        if self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.tenant_id is not None and self.tenant_id != tenant_id:
            return False
        return self.path is None or _under(path, self.path)


def _under(path: str, prefix: str) -> bool:
    """Match ``/Invoices`` and ``/Invoices/<id>`` for ``/Invoices``, not ``/InvoicesX``."""
    prefix = prefix.rstrip("/")
    lowered = path.lower()
    return lowered == prefix.lower() or lowered.startswith(prefix.lower() + "/")


class Holds:
    """Held answers: released all at once when the fake closes."""

    def __init__(self) -> None:
        self._released = threading.Event()

    def hold(self, seconds: float) -> None:
        """Block the calling server thread up to ``seconds`` real seconds."""
        self._released.wait(timeout=seconds)

    def release_all(self) -> None:
        """Wake every held answer (and make later holds return at once)."""
        self._released.set()
