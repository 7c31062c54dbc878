"""Progress of a push or a status refresh, as values handed to a host's callback.

A host hooks one plain callable (`ProgressCallback`); trackmap calls it after every step that
moves the numbers: a chunk resolved, a request answered, an option created, a wait for a rate
limit begun. The callback must be quick and must not raise: an exception from it is a host bug
and propagates (it is never swallowed), leaving the push resumable like any other interruption.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable

import attrs

__all__ = ["Phase", "Progress", "ProgressCallback", "RateLimitWaits", "describe_progress"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Phase(enum.Enum):
    """What the delivery is doing when it reports."""

    RESOLVING = "resolving"
    CREATING_OPTIONS = "creating options"
    SENDING = "sending"
    WAITING = "waiting"
    REFRESHING = "refreshing statuses"
    DONE = "done"


@attrs.frozen(kw_only=True)
class Progress:
    """A snapshot of a delivery's progress.

    Attributes:
        phase: What is happening now.
        done: Documents settled so far (created, updated, unchanged, failed or left pending).
        total: Documents in the whole run, when the host said (None for an open stream).
        calls: Calls made to the target so far.
        batch: The batch number, once the batch is open.
        waiting_until: While waiting for a rate limit, when the wait ends.
    """

    phase: Phase
    done: int = 0
    total: int | None = None
    calls: int = 0
    batch: int | None = None
    waiting_until: dt.datetime | None = None


ProgressCallback = Callable[[Progress], None]
"""A host's progress hook: called with a `Progress` snapshot after every step."""


def describe_progress(progress: Progress) -> str:
    """Render one progress line, as the command line shows it.

    >>> describe_progress(Progress(phase=Phase.SENDING, done=50, total=200, calls=3, batch=7))
    'batch 7: sending, 50/200 documents, 3 calls'
    """
    of_total = f"/{progress.total}" if progress.total is not None else ""
    noun = "call" if progress.calls == 1 else "calls"
    text = f"{progress.phase.value}, {progress.done}{of_total} documents, {progress.calls} {noun}"
    if progress.waiting_until is not None:
        text += f", waiting for the rate limit until {progress.waiting_until:%H:%M:%S}"
    if progress.batch is not None:
        text = f"batch {progress.batch}: {text}"
    return text


class RateLimitWaits:
    """A sleep function to hand to a target, so that a push can report its waits.

    A target such as `trackmap.xero.XeroTarget` takes a ``sleep`` callable and calls it to wait
    for a rate limit (or a back-off); wrap the sleep in this and give the same object to the
    push, which then reports `Phase.WAITING` with the moment the wait ends.

    Args:
        sleep: The real sleep (or a virtual clock's, in tests).
        clock: Gives the current time, to say until when.
    """

    def __init__(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self.listener: Callable[[dt.datetime], None] | None = None

    def __call__(self, seconds: float) -> None:
        """Tell the listener until when, then sleep."""
        if self.listener is not None and seconds > 0:
            self.listener(self._clock() + dt.timedelta(seconds=seconds))
        self._sleep(seconds)
