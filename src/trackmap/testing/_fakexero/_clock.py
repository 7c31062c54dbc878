"""FakeXero's clocks: a virtual one for tests, the real one for pushers in other processes.

Rate-limit windows and timestamps run on the fake's clock. Tests use `VirtualClock` (time
moves only when told to); a fake shared by several processes (``FakeXero(real_time=True)``)
uses `RealClock`, so that pushers that sleep for real meet real windows.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol

from trackmap.testing._fakexero._errors import FakeXeroError

__all__ = ["Clock", "RealClock", "VirtualClock"]

_DEFAULT_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class VirtualClock:
    """A clock that moves only when told to, so tests run in virtual time.

    ``sleep`` advances the clock and returns at once: hand it to code under test wherever
    that code would sleep (retry waits, ``Retry-After``), and the waits cost nothing.

    Args:
        start: the first instant; must be timezone-aware. Defaults to 2026-01-01 00:00 UTC.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        moment = _DEFAULT_START if start is None else start
        if moment.tzinfo is None:
            msg = f"VirtualClock needs a timezone-aware start, got {moment.isoformat()}."
            raise FakeXeroError(msg)
        self._now = moment
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """Return the current virtual instant (timezone-aware)."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (zero or more)."""
        if seconds < 0:
            msg = f"A virtual clock cannot go back in time ({seconds} seconds)."
            raise FakeXeroError(msg)
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` without blocking: a drop-in for ``time.sleep``."""
        self.advance(max(seconds, 0.0))

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now().isoformat()})"


class Clock(Protocol):
    """What FakeXero needs of a clock: the current aware instant."""

    def now(self) -> dt.datetime:
        """Return the current instant (timezone-aware)."""
        ...


class RealClock:
    """The real time (UTC): for a fake that pushers in other processes talk to."""

    def now(self) -> dt.datetime:
        """Return the real current instant, in UTC."""
        return dt.datetime.now(dt.UTC)

    def advance(self, seconds: float) -> None:
        """Refuse: real time cannot be moved (use a `VirtualClock` for that)."""
        msg = f"A real clock cannot be advanced ({seconds} seconds): use a VirtualClock."
        raise FakeXeroError(msg)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of real time (``time.sleep``)."""
        time.sleep(max(seconds, 0.0))

    def __repr__(self) -> str:
        return "RealClock()"
