"""Reliability at the boundary: retries, pacing and a concurrency cap for every Xero call.

The rules (XERO.md, "Rate limits" and "xero-python traps"):

1. urllib3's hidden retries are off (see `trackmap.xero._auth.harden`); retrying is done here,
   once, with tenacity, whose types never leave this module.
2. A minute or concurrency 429 waits ``Retry-After`` and tries again; a day 429 raises
   `DailyLimitError` at once, so that the delivery layer leaves the rest pending.
3. 5xx answers, dropped connections and timeouts retry with capped exponential backoff and
   jitter. Every PUT and POST carries an ``Idempotency-Key`` fixed before the first attempt,
   so a retry after a lost answer cannot duplicate a document.
4. 400, 401, 403 and 404 never retry: asking again gives the same answer.
5. Pacing: when ``X-MinLimit-Remaining`` reaches 0, wait until the minute window resets
   instead of provoking a 429. Xero does not say when its fixed window began, so the window
   is taken to start when a fresh budget was first seen: that errs on the late, safe side.
6. At most ``max_in_flight`` (Xero: 5) calls in flight per tenant, shared by every target of
   that tenant in the process.
7. Rules 5 and 6 are a `RateBudget`: the in-process one here by default; a budget shared by
   many processes and machines (`trackmap.redis.RedisBudget`) when the host hands one in.
8. Xero's clock: every answer's ``Date`` header (RFC 9110 has every origin server with a
   clock send one) is compared with this machine's clock when the answer arrives, so that
   settlement can read by Xero's time (`Caller.clock_offset`).

Clock and sleep are injected, so tests run all of this in virtual time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Protocol, TypeVar, runtime_checkable

import attrs
import tenacity

from trackmap.errors import DailyLimitError, NetworkError, RateLimitedError, UnavailableError
from trackmap.xero._errors import boundary

__all__ = [
    "Caller",
    "Clock",
    "LocalBudget",
    "RateBudget",
    "RateReport",
    "RetryPolicy",
    "Sleep",
    "utc_now",
]

T = TypeVar("T")
Clock = Callable[[], dt.datetime]
"""Returns the current time as an aware datetime (FakeXero's ``VirtualClock.now`` fits)."""
Sleep = Callable[[float], None]
"""Waits so many seconds (FakeXero's ``VirtualClock.sleep`` fits: it advances, never blocks)."""
Answer = tuple[object, object, object]
"""What an SDK method returns with ``_return_http_data_only=False``: (data, status, headers)."""


def utc_now() -> dt.datetime:
    """The real time, aware, in UTC: the default clock."""
    return dt.datetime.now(dt.UTC)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How `XeroTarget` retries, paces and bounds its calls.

    Attributes:
        retries: Retries after a 5xx, a dropped connection or a timeout (then it raises).
        rate_limit_retries: Retries after a minute or concurrency 429.
        backoff_base: First backoff in seconds; it doubles per retry.
        backoff_cap: Longest single backoff in seconds.
        max_retry_after: A 429 asking to wait longer than this many seconds is raised instead.
        max_in_flight: Calls in flight per tenant in this process (Xero allows 5).
        minute_window: Length of Xero's rate-limit window in seconds.
        jitter: Randomise backoffs (between half and all of the capped value).
    """

    retries: int = attrs.field(default=4, validator=attrs.validators.ge(0))
    rate_limit_retries: int = attrs.field(default=10, validator=attrs.validators.ge(0))
    backoff_base: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))
    backoff_cap: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=300.0, validator=attrs.validators.ge(0))
    max_in_flight: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    minute_window: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    jitter: bool = True


class _Gate:
    """What all targets of one tenant share: the in-flight cap and the minute budget seen."""

    def __init__(self, slots: int) -> None:
        self.slots = threading.BoundedSemaphore(slots)
        self.lock = threading.Lock()
        self.window_start: dt.datetime | None = None
        self.minute_remaining: int | None = None
        self.day_remaining: int | None = None


_GATES: dict[str, _Gate] = {}
_GATES_LOCK = threading.Lock()


def _gate_for(tenant_id: str, slots: int) -> _Gate:
    with _GATES_LOCK:
        return _GATES.setdefault(tenant_id, _Gate(slots))


@attrs.frozen(kw_only=True)
class RateReport:
    """What one answer of Xero said about the limits (None: the header was absent).

    Attributes:
        minute_remaining: ``X-MinLimit-Remaining``: the tenant's calls left this minute.
        day_remaining: ``X-DayLimit-Remaining``: the tenant's calls left today.
        app_minute_remaining: ``X-AppMinLimit-Remaining``: the app's calls left this minute,
            across all its tenants.
    """

    minute_remaining: int | None = None
    day_remaining: int | None = None
    app_minute_remaining: int | None = None

    @classmethod
    def of(cls, headers: object) -> RateReport:
        """Read Xero's rate-limit headers from an answer's headers."""
        return cls(
            minute_remaining=_int_header(headers, "X-MinLimit-Remaining"),
            day_remaining=_int_header(headers, "X-DayLimit-Remaining"),
            app_minute_remaining=_int_header(headers, "X-AppMinLimit-Remaining"),
        )


@runtime_checkable
class RateBudget(Protocol):
    """**Protocol:** who may call Xero when, for every tenant: pacing and the in-flight cap.

    `LocalBudget` (one process) is the default; `trackmap.redis.RedisBudget` shares one
    budget among processes and machines.
    """

    def slot(self, tenant_id: str) -> contextlib.AbstractContextManager[None]:
        """Wait until a call for the tenant may go out; hold one of its slots during the call."""
        ...

    def observe(self, tenant_id: str, report: RateReport) -> None:
        """Take in what Xero said about the limits on an answer."""
        ...

    def day_remaining(self, tenant_id: str) -> int | None:
        """The tenant's calls left today, as last known (None before any answer)."""
        ...


class LocalBudget:
    """The in-process budget: rules 5 and 6 for the targets of one process.

    Its state is the process's (every target of a tenant shares one gate); ``clock`` and
    ``sleep`` are the caller's, so tests run it in virtual time.
    """

    def __init__(
        self, policy: RetryPolicy, *, clock: Clock = utc_now, sleep: Sleep = time.sleep
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._sleep = sleep

    @contextlib.contextmanager
    def slot(self, tenant_id: str) -> Iterator[None]:
        """Pace on the minute budget seen, then hold one of the tenant's in-flight slots."""
        gate = _gate_for(tenant_id, self.policy.max_in_flight)
        self._pace(gate)
        with gate.slots:
            yield

    def day_remaining(self, tenant_id: str) -> int | None:
        """The day budget Xero last reported for this tenant, if any."""
        return _gate_for(tenant_id, self.policy.max_in_flight).day_remaining

    def _pace(self, gate: _Gate) -> None:
        with gate.lock:
            if gate.minute_remaining is None or gate.minute_remaining > 0:
                return
            start = gate.window_start or self._clock()
            wait = (start - self._clock()).total_seconds() + self.policy.minute_window
            if wait > 0:
                self._sleep(wait)
            gate.minute_remaining = None
            gate.window_start = None

    def observe(self, tenant_id: str, report: RateReport) -> None:
        """Remember the day budget, and when a new minute window began."""
        minute, day = report.minute_remaining, report.day_remaining
        gate = _gate_for(tenant_id, self.policy.max_in_flight)
        with gate.lock:
            if day is not None:
                gate.day_remaining = day
            if minute is None:
                return
            now = self._clock()
            # A new window shows as more calls remaining, or, when the new window reports the
            # same count as the old one did, as the old window's minute having run out.
            expired = (
                gate.window_start is not None
                and (now - gate.window_start).total_seconds() >= self.policy.minute_window
            )
            if gate.minute_remaining is None or minute > gate.minute_remaining or expired:
                gate.window_start = now
            gate.minute_remaining = minute


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, DailyLimitError):
        return False
    return isinstance(exc, (RateLimitedError, UnavailableError, NetworkError))


class _Budget:
    """Counts one call's retries by cause, and says how long to wait and when to give up."""

    def __init__(self, policy: RetryPolicy, rng: Callable[[], float]) -> None:
        self.policy = policy
        self.rng = rng
        self.rate_limited = 0
        self.transient = 0

    def wait(self, state: tenacity.RetryCallState) -> float:
        # tenacity asks for the wait before it asks whether to stop: count here.
        exc = _failure(state)
        if isinstance(exc, RateLimitedError):
            self.rate_limited += 1
            return float(exc.retry_after)
        self.transient += 1
        ceiling: float = min(
            self.policy.backoff_cap, self.policy.backoff_base * 2 ** (self.transient - 1)
        )
        if not self.policy.jitter:
            return ceiling
        return float(ceiling / 2 + self.rng() * ceiling / 2)

    def stop(self, state: tenacity.RetryCallState) -> bool:
        exc = _failure(state)
        if isinstance(exc, RateLimitedError):
            too_long = exc.retry_after > self.policy.max_retry_after
            return too_long or self.rate_limited > self.policy.rate_limit_retries
        return self.transient > self.policy.retries


def _failure(state: tenacity.RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


class Caller:
    """Makes SDK calls for one tenant: translated, retried, paced and capped.

    Attributes:
        attempts: How many requests went out through this caller (retries included).
    """

    def __init__(
        self,
        tenant_id: str,
        *,
        policy: RetryPolicy,
        clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
        rng: Callable[[], float] = random.random,
        budget: RateBudget | None = None,
    ) -> None:
        self.policy = policy
        self._tenant_id = tenant_id
        self._sleep = sleep
        self._rng = rng
        self._budget = budget or LocalBudget(policy, clock=clock, sleep=sleep)
        self._clock = clock
        self._count_lock = threading.Lock()
        self.attempts = 0
        self.clock_offset: dt.timedelta | None = None
        """This machine's clock minus Xero's (``Date``) at the last answer that said; None
        before one did. Positive: this machine is ahead."""

    @property
    def day_remaining(self) -> int | None:
        """The day budget Xero last reported for this tenant, if any."""
        return self._budget.day_remaining(self._tenant_id)

    def call(self, request: Callable[[], Answer], action: str) -> object:
        """Send one request (a closure over an SDK method) and return its data.

        Args:
            request: Calls the SDK with ``_return_http_data_only=False``.
            action: What the call does, for error messages ("sending 50 invoices").

        Raises:
            TargetError: What finally went wrong, once retries are spent or not allowed.
        """
        budget = _Budget(self.policy, self._rng)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_retryable),
            wait=budget.wait,
            stop=budget.stop,
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(self._once, request, action)

    def _once(self, request: Callable[[], Answer], action: str) -> object:
        with self._budget.slot(self._tenant_id):
            with self._count_lock:
                self.attempts += 1
            with boundary(action):
                data, _status, headers = request()
        self._budget.observe(self._tenant_id, RateReport.of(headers))
        server_time = _date_header(headers)
        if server_time is not None:
            self.clock_offset = self._clock() - server_time
        return data


def _pairs(headers: object) -> Iterable[tuple[object, object]]:
    if isinstance(headers, Mapping):
        return tuple(headers.items())
    if isinstance(headers, Iterable):
        return tuple(pair for pair in headers if isinstance(pair, tuple) and len(pair) == 2)  # noqa: PLR2004 - a header is a (name, value) pair
    return ()


def _date_header(headers: object) -> dt.datetime | None:
    """The ``Date`` header as an aware datetime, or None (absent or unreadable)."""
    for key, value in _pairs(headers):
        if str(key).lower() == "date":
            try:
                moment = email.utils.parsedate_to_datetime(str(value))
            except (TypeError, ValueError):
                return None
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return None


def _int_header(headers: object, name: str) -> int | None:
    wanted = name.lower()
    for key, value in _pairs(headers):
        if str(key).lower() == wanted:
            try:
                return int(str(value).strip())
            except ValueError:
                return None
    return None
