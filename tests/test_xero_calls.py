"""Retries, pacing and the in-flight cap, all in virtual time."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
import urllib3.exceptions
from xero_python.exceptions import HTTPStatusException, RateLimitException

from test_xero_errors import FakeResponse, _bad_request
from trackmap.errors import (
    DailyLimitError,
    NetworkError,
    RateLimitedError,
    RejectedError,
    UnauthorisedError,
)
from trackmap.testing._fakexero._clock import VirtualClock
from trackmap.xero._calls import Caller, RetryPolicy

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def ok(minute=50, day=4000):
    return ("data", 200, {"X-MinLimit-Remaining": str(minute), "X-DayLimit-Remaining": str(day)})


def rate_limited(problem, retry_after):
    headers = {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem}
    return RateLimitException(http_resp=FakeResponse(429, headers=headers))


class Script:
    """A request that plays a list of outcomes (exceptions raised, tuples returned)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def caller(clock, **policy):
    settings = {"jitter": False, **policy}
    return Caller(
        str(uuid.uuid4()), policy=RetryPolicy(**settings), clock=clock.now, sleep=clock.sleep
    )


@pytest.fixture
def clock():
    return VirtualClock(start=START)


class TestRetries:
    """What retries, how long it waits, and what never retries."""

    def test_5xx_retries_with_doubling_backoff(self, clock):
        script = Script(
            HTTPStatusException(http_resp=FakeResponse(503)),
            HTTPStatusException(http_resp=FakeResponse(500)),
            ok(),
        )
        assert "data" == caller(clock).call(script, "x")
        assert (3, START + dt.timedelta(seconds=3)) == (script.calls, clock.now())

    def test_backoff_is_capped(self, clock):
        errors = [HTTPStatusException(http_resp=FakeResponse(502)) for _ in range(4)]
        caller(clock, backoff_cap=3.0).call(Script(*errors, ok()), "x")
        assert START + dt.timedelta(seconds=1 + 2 + 3 + 3) == clock.now()

    def test_jitter_stays_between_half_and_full(self, clock):
        c = Caller(
            str(uuid.uuid4()),
            policy=RetryPolicy(backoff_base=8.0),
            clock=clock.now,
            sleep=clock.sleep,
            rng=lambda: 0.5,
        )
        c.call(Script(NetworkError("down"), ok()), "x")
        assert START + dt.timedelta(seconds=6) == clock.now()

    def test_network_errors_retry_until_the_budget_is_spent(self, clock):
        script = Script(*[urllib3.exceptions.ProtocolError("reset") for _ in range(3)])
        c = caller(clock, retries=2)
        with pytest.raises(NetworkError):
            c.call(script, "sending 1 invoice")
        assert (3, 3) == (script.calls, c.attempts)

    @pytest.mark.parametrize(
        ("exc", "error"),
        [
            (_bad_request({"Message": "no"}), RejectedError),
            (HTTPStatusException(http_resp=FakeResponse(401)), UnauthorisedError),
        ],
    )
    def test_client_errors_never_retry(self, clock, exc, error):
        script = Script(exc, ok())
        with pytest.raises(error):
            caller(clock).call(script, "x")
        assert (1, START) == (script.calls, clock.now())


class TestRateLimits:
    """Minute 429s wait Retry-After; a day 429 stops at once."""

    def test_minute_429_waits_retry_after(self, clock):
        script = Script(rate_limited("minute", 17), rate_limited("concurrent", 1), ok())
        assert "data" == caller(clock).call(script, "x")
        assert START + dt.timedelta(seconds=18) == clock.now()

    def test_concurrent_429_without_retry_after_backs_off_briefly(self, clock):
        headers = {"X-Rate-Limit-Problem": "concurrent"}
        refused = RateLimitException(http_resp=FakeResponse(429, headers=headers))
        assert "data" == caller(clock).call(Script(refused, ok()), "x")
        assert START + dt.timedelta(seconds=1) == clock.now()

    def test_a_daily_429_raises_at_once(self, clock):
        script = Script(rate_limited("Daily", 3600), ok())
        with pytest.raises(DailyLimitError):
            caller(clock).call(script, "x")
        assert (1, START) == (script.calls, clock.now())

    def test_day_429_raises_at_once(self, clock):
        script = Script(rate_limited("day", 3600), ok())
        with pytest.raises(DailyLimitError):
            caller(clock).call(script, "x")
        assert (1, START) == (script.calls, clock.now())

    def test_too_long_a_wait_is_raised(self, clock):
        with pytest.raises(RateLimitedError) as info:
            caller(clock, max_retry_after=100).call(Script(rate_limited("minute", 500)), "x")
        assert 500 == info.value.retry_after

    def test_storm_is_bounded(self, clock):
        script = Script(*[rate_limited("minute", 1) for _ in range(4)])
        with pytest.raises(RateLimitedError):
            caller(clock, rate_limit_retries=3).call(script, "x")
        assert 4 == script.calls


class TestPacing:
    """When the minute budget is spent, wait for the window to reset instead of a 429."""

    def test_waits_for_the_window_after_the_budget_is_spent(self, clock):
        c = caller(clock)
        c.call(Script(ok(minute=59)), "x")  # a fresh window seen at START
        clock.advance(10)
        c.call(Script(ok(minute=0)), "x")
        assert START + dt.timedelta(seconds=10) == clock.now()
        c.call(Script(ok(minute=59)), "x")
        assert START + dt.timedelta(seconds=60) == clock.now()

    def test_a_new_window_with_the_same_count_is_still_a_new_window(self, clock):
        c = caller(clock)
        c.call(Script(ok(minute=1)), "x")  # a window seen at START, one call left
        clock.advance(61)  # that window is over; the next one happens to report 1 left too
        c.call(Script(ok(minute=1)), "x")
        c.call(Script(ok(minute=0)), "x")  # the new window's budget is spent...
        c.call(Script(ok(minute=59)), "x")  # ...so this call waits for the window after it
        assert START + dt.timedelta(seconds=61 + 60) == clock.now()

    def test_no_wait_while_budget_remains(self, clock):
        c = caller(clock)
        for remaining in (5, 4, 3):
            c.call(Script(ok(minute=remaining)), "x")
        assert START == clock.now()

    def test_day_remaining_is_tracked(self, clock):
        c = caller(clock)
        c.call(Script(ok(day=12)), "x")
        assert 12 == c.day_remaining

    def test_headers_as_pairs_are_read(self, clock):
        c = caller(clock)
        c.call(Script(("d", 200, [("x-daylimit-remaining", "7")])), "x")
        assert 7 == c.day_remaining


class TestPolicy:
    """The policy refuses settings that make no sense."""

    @pytest.mark.parametrize(
        "settings",
        [{"retries": -1}, {"max_in_flight": 0}, {"minute_window": 0}, {"backoff_cap": -1}],
    )
    def test_invalid(self, settings):
        with pytest.raises(ValueError, match="must be"):
            RetryPolicy(**settings)


class TestInFlightCap:
    """At most max_in_flight calls at once per tenant, shared by every caller of that tenant."""

    def test_cap_shared_across_callers_of_one_tenant(self, clock):
        tenant = str(uuid.uuid4())
        policy = RetryPolicy(max_in_flight=3)
        callers = [
            Caller(tenant, policy=policy, clock=clock.now, sleep=clock.sleep) for _ in range(2)
        ]
        lock = threading.Lock()
        state = {"now": 0, "peak": 0}
        release = threading.Event()

        def request():
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
                if state["now"] == 3:  # the cap is reached: let everyone go
                    release.set()
            release.wait(5)
            with lock:
                state["now"] -= 1
            return ok()

        threads = [
            threading.Thread(target=callers[n % 2].call, args=(request, "x")) for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert 3 == state["peak"]
        assert 8 == callers[0].attempts + callers[1].attempts
