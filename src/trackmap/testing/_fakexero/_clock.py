"""A virtual clock: FakeXero's rate-limit windows and timestamps run on it, never on real time."""

from __future__ import annotations

import datetime as dt
import threading

from trackmap.testing._fakexero._errors import FakeXeroError

__all__ = ["VirtualClock"]

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
