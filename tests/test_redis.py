"""RedisBudget against a real Redis: Xero's four limits shared by every process, in virtual time."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid

import pytest
import redis

from services import REDIS, redis_server, required
from trackmap.errors import TargetError
from trackmap.protocols import RateBudget
from trackmap.redis import RedisBudget, XeroLimits
from trackmap.xero import RateReport


class StopError(Exception):
    """Raised by a test's sleep: the budget asked to wait."""


class Clock:
    """Virtual seconds; ``sleep`` advances them (or stops the test, when told to)."""

    def __init__(self, now: float = 1_000_000.0, *, stop_on_sleep: bool = False) -> None:
        self.now = now
        self.slept: list[float] = []
        self.stop_on_sleep = stop_on_sleep

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.stop_on_sleep:
            raise StopError(seconds)
        self.now += seconds


@pytest.fixture
def client():
    connection = redis.Redis.from_url(required(REDIS))
    yield connection
    connection.close()


@pytest.fixture
def prefix():
    return f"test-{uuid.uuid4().hex[:10]}"


def budget(client, prefix, clock, **limits) -> RedisBudget:
    return RedisBudget(
        client, prefix=prefix, limits=XeroLimits(**limits), clock=clock, sleep=clock.sleep
    )


def calls(b: RedisBudget, tenant: str, count: int) -> None:
    for _ in range(count):
        with b.slot(tenant):
            pass


class TestProtocol:
    """RedisBudget is a RateBudget, so XeroTarget takes it."""

    def test_it_is_a_rate_budget(self, client, prefix):
        assert isinstance(budget(client, prefix, Clock()), RateBudget)


class TestInFlight:
    """At most five calls of a tenant in flight, across processes."""

    def test_a_sixth_call_waits_while_five_are_in_flight(self, client, prefix):
        clock = Clock(stop_on_sleep=True)
        shared = budget(client, prefix, clock)
        other_process = budget(redis.Redis.from_url(required(REDIS)), prefix, clock)
        with contextlib.ExitStack() as stack:
            for n in range(5):
                stack.enter_context((shared if n % 2 else other_process).slot("t"))
            assert 5 == shared.in_flight("t")
            with pytest.raises(StopError), shared.slot("t"):
                pass
            with shared.slot("another tenant"):
                pass
        assert 0 == shared.in_flight("t")

    def test_the_slots_of_a_killed_worker_lapse_within_slot_seconds(self, client, prefix):
        url = required(REDIS)
        child = (
            "import os, signal, sys, redis\n"
            "from trackmap.redis import RedisBudget\n"
            "b = RedisBudget(redis.Redis.from_url(sys.argv[1]), prefix=sys.argv[2],"
            " clock=lambda: 1000.0)\n"
            "slots = [b.slot('t') for _ in range(5)]\n"
            "[s.__enter__() for s in slots]\n"
            "print('holding', flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", child, url, prefix], capture_output=True, text=True, check=False
        )
        assert (-9, "holding") == (done.returncode, done.stdout.strip())
        clock = Clock(1000.0, stop_on_sleep=True)
        survivor = budget(client, prefix, clock)
        assert 5 == survivor.in_flight("t")
        with pytest.raises(StopError), survivor.slot("t"):
            pass
        clock.now = 1000.0 + survivor.slot_seconds + 0.001
        assert 0 == survivor.in_flight("t")
        with survivor.slot("t"):
            assert 1 == survivor.in_flight("t")

    def test_a_live_holder_keeps_its_slot_by_renewing(self, client, prefix):
        clock = Clock()
        holder = budget(client, prefix, clock)
        with holder.slot("t"):
            for _ in range(5):
                clock.now += holder.slot_seconds * 0.8
                assert holder.renew()
                assert 1 == holder.in_flight("t")
        assert not holder.renew()

    def test_a_late_renewal_never_shortens_a_slot(self, client, prefix):
        """The renewing thread may compute its expiry just before another renewal lands."""
        clock = Clock()
        holder = budget(client, prefix, clock)
        start = clock.now
        with holder.slot("t"):
            clock.now = start + 4.0
            assert holder.renew()  # expires at start + 9
            clock.now = start  # a renewal computed earlier, arriving later: start + 5
            assert holder.renew()
            clock.now = start + 6.0
            assert 1 == holder.in_flight("t")


class TestWindows:
    """The minute, day and app-wide windows: a call waits until its window allows it."""

    def test_the_sixty_first_call_of_a_minute_waits_for_the_next_window(self, client, prefix):
        clock = Clock()
        b = budget(client, prefix, clock)
        calls(b, "t", 60)
        assert [] == clock.slept
        calls(b, "t", 1)
        assert [61.0] == clock.slept  # the minute plus the margin, from the first call

    def test_the_day_limit_holds_the_tenant_until_the_next_day(self, client, prefix):
        clock = Clock()
        b = budget(client, prefix, clock, day=3, day_window=86_400.0)
        calls(b, "t", 3)
        assert 0 == b.day_remaining("t")
        calls(b, "t", 1)
        assert [86_401.0] == clock.slept

    def test_the_app_minute_is_shared_by_all_tenants(self, client, prefix):
        clock = Clock(stop_on_sleep=True)
        b = budget(client, prefix, clock, app_minute=4)
        for tenant in ("a", "b", "c", "d"):
            calls(b, tenant, 1)
        with pytest.raises(StopError):
            calls(b, "e", 1)

    def test_a_refused_call_consumes_nothing_from_the_other_limits(self, client, prefix):
        clock = Clock(stop_on_sleep=True)
        b = budget(client, prefix, clock, minute=2, app_minute=3)
        calls(b, "a", 2)
        for _ in range(5):
            with pytest.raises(StopError):
                calls(b, "a", 1)
        calls(b, "b", 1)  # the app minute still has this one: a's refusals took none of it
        with pytest.raises(StopError):
            calls(b, "c", 1)


class TestXeroHeaders:
    """Xero's own counts raise the budget's, never lower them."""

    def test_xero_saying_the_minute_is_spent_makes_the_next_call_wait(self, client, prefix):
        clock = Clock(stop_on_sleep=True)
        b = budget(client, prefix, clock)
        calls(b, "t", 1)
        b.observe("t", RateReport(minute_remaining=0, day_remaining=4000))
        with pytest.raises(StopError):
            calls(b, "t", 1)
        assert 4000 == b.day_remaining("t")

    def test_more_remaining_than_counted_never_lowers_the_count(self, client, prefix):
        clock = Clock(stop_on_sleep=True)
        b = budget(client, prefix, clock, minute=3)
        calls(b, "t", 3)
        b.observe("t", RateReport(minute_remaining=59))
        with pytest.raises(StopError):
            calls(b, "t", 1)

    def test_the_app_header_paces_every_tenant(self, client, prefix):
        clock = Clock(stop_on_sleep=True)
        b = budget(client, prefix, clock)
        calls(b, "a", 1)
        b.observe("a", RateReport(app_minute_remaining=0))
        with pytest.raises(StopError):
            calls(b, "someone else", 1)

    def test_a_count_seen_in_a_new_window_opens_it(self, client, prefix):
        clock = Clock()
        b = budget(client, prefix, clock)
        b.observe("t", RateReport(minute_remaining=1))  # Xero counted 59 calls made elsewhere
        calls(b, "t", 2)
        assert [61.0] == clock.slept


class TestRedisDown:
    """No Redis, no call: a TargetError the push turns into a clean stop."""

    def test_a_budget_without_its_redis_raises_a_target_error(self, tmp_path, prefix):
        with redis_server(tmp_path) as server:
            b = RedisBudget(server.url, prefix=prefix, clock=Clock())
            calls(b, "t", 1)
            server.kill()
            with pytest.raises(TargetError, match="shared rate budget"), b.slot("t"):
                pass
            b.observe("t", RateReport(minute_remaining=3))  # an answer in hand is never lost
