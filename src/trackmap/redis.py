"""`RedisBudget`: one rate budget for every process and machine that calls Xero for the app.

Xero's limits (XERO.md, "Rate limits"), each enforced here for all workers together:

1. Per tenant at most ``max_in_flight`` (5) calls in flight. A call holds a SLOT: a member of
   a sorted set scored by its expiry, ``slot_seconds`` (5) ahead. While the call runs, a
   thread of the holding process pushes the expiry on every ``slot_seconds / 3``; a worker
   that dies stops doing so, and its slots lapse within ``slot_seconds``. A renewal only ever
   moves an expiry later (``ZADD XX GT``: Redis 6.2 or later), so a late one, computed before
   another, never shortens a live slot.
2. Per tenant ``minute`` (60) calls a minute and ``day`` (5,000) a day; per app
   ``app_minute`` (10,000) a minute across tenants. Each is a fixed window that opens with its
   first call, lasting the window plus ``margin`` seconds (Xero's own window opens when the
   request reaches it, a little later than ours: the margin keeps ours from closing first).
3. Xero's count wins when it is higher: every answer's ``X-MinLimit-Remaining``,
   ``X-DayLimit-Remaining`` and ``X-AppMinLimit-Remaining`` raise the window's count to
   ``limit - remaining`` (never lower it: calls still in flight are not in Xero's count yet).
   So calls made by anything outside this budget (another deployment, a human in the Xero
   app's own integrations) still pace the budget after the next answer.
4. A slot is taken only when all four limits allow it, in one Lua script, atomically: a call
   refused by one limit consumes nothing from the others.

Why a script of our own and not a limiter library: the well-kept Redis limiters (``limits``,
``redis-py``'s own ``Lock``) each do ONE of these (a window count, a mutex); none takes a slot
against four limits at once, expires slots of dead holders, or lets an outside count (Xero's
headers) raise a window. Composing them would consume from one limit while another refuses.

Time: the Redis server's clock (``TIME``), so machines with skewed clocks share one notion of
"now"; tests pass ``clock`` (seconds) to run the windows in virtual time. All keys share one
hash tag, so the script works on Redis Cluster too.

Requires the ``redis`` extra: ``pip install 'trackmap[redis]'``.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import redis

from trackmap.errors import TargetError
from trackmap.xero._calls import RateReport

__all__ = ["RedisBudget", "XeroLimits"]

_ACQUIRE = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local token, in_flight, slot = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local function window(key, length)
  local start = tonumber(redis.call('HGET', key, 'start'))
  if start == nil or now >= start + length then return nil, 0 end
  return start, tonumber(redis.call('HGET', key, 'count') or '0')
end
local waits = {}
for i = 2, 4 do
  local limit, length = tonumber(ARGV[3 + 2 * i - 2]), tonumber(ARGV[3 + 2 * i - 1])
  local start, count = window(KEYS[i], length)
  if count >= limit then
    return {0, tostring(start + length - now), KEYS[i]}
  end
end
if redis.call('ZCARD', KEYS[1]) >= in_flight then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tostring(math.min(0.05, tonumber(first[2]) - now)), 'in_flight'}
end
for i = 2, 4 do
  local length = tonumber(ARGV[3 + 2 * i - 1])
  local start = window(KEYS[i], length)
  if start == nil then
    redis.call('HSET', KEYS[i], 'start', tostring(now), 'count', 1)
    redis.call('PEXPIRE', KEYS[i], math.ceil(length * 1000) + 1000)
  else
    redis.call('HINCRBY', KEYS[i], 'count', 1)
  end
end
redis.call('ZADD', KEYS[1], now + slot, token)
redis.call('PEXPIRE', KEYS[1], math.ceil(slot * 1000) + 1000)
return {1, '0', ''}
"""

_OBSERVE = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
for i = 1, 3 do
  local used = tonumber(ARGV[1 + 2 * i - 1])
  local length = tonumber(ARGV[1 + 2 * i])
  if used >= 0 then
    local start = tonumber(redis.call('HGET', KEYS[i], 'start'))
    if start == nil or now >= start + length then
      redis.call('HSET', KEYS[i], 'start', tostring(now), 'count', used)
      redis.call('PEXPIRE', KEYS[i], math.ceil(length * 1000) + 1000)
    elseif used > tonumber(redis.call('HGET', KEYS[i], 'count') or '0') then
      redis.call('HSET', KEYS[i], 'count', used)
    end
  end
end
return 1
"""

_RENEW = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local slot = tonumber(ARGV[2])
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[i - 2], 'XX', 'GT', now + slot, ARGV[i])
  redis.call('PEXPIRE', KEYS[i - 2], math.ceil(slot * 1000) + 1000)
end
return 1
"""


@attrs.frozen(kw_only=True)
class XeroLimits:
    """Xero's limits as the budget enforces them (developer.xero.com/documentation/oauth2/limits).

    Attributes:
        max_in_flight: Calls in flight per tenant.
        minute: Calls a minute per tenant.
        day: Calls a day per tenant (1,000 on Xero's Starter tier since March 2026).
        app_minute: Calls a minute per app, across all tenants.
        minute_window: Length of a minute window, in seconds.
        day_window: Length of a day window, in seconds.
        margin: Seconds added to each window, so that ours never closes before Xero's.
    """

    max_in_flight: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    minute: int = attrs.field(default=60, validator=attrs.validators.ge(1))
    day: int = attrs.field(default=5000, validator=attrs.validators.ge(1))
    app_minute: int = attrs.field(default=10_000, validator=attrs.validators.ge(1))
    minute_window: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    day_window: float = attrs.field(default=86_400.0, validator=attrs.validators.gt(0))
    margin: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))


class RedisBudget:
    """A `trackmap.protocols.RateBudget` shared through Redis by every worker of the app.

    Hand the same budget (or one on the same Redis and ``prefix``) to every `XeroTarget`:
    ``XeroTarget(api, tenant_id, budget=RedisBudget(redis.Redis.from_url(url)))``.

    Args:
        client: A ``redis.Redis`` (or a URL for one).
        prefix: Namespaces the keys, so apps (Xero client ids) sharing a Redis never mix.
        limits: Xero's limits.
        slot_seconds: How long a slot of a dead holder lingers.
        clock: Seconds since the epoch (tests: virtual); None uses the Redis server's clock.
        sleep: Waits while the budget says wait (tests: virtual).
    """

    def __init__(
        self,
        client: redis.Redis | str,
        *,
        prefix: str = "trackmap",
        limits: XeroLimits | None = None,
        slot_seconds: float = 5.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._redis = redis.Redis.from_url(client) if isinstance(client, str) else client
        self._tag = f"{{{prefix}}}"
        self.limits = limits or XeroLimits()
        self.slot_seconds = slot_seconds
        self._clock = clock
        self._sleep = sleep
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._observe = self._redis.register_script(_OBSERVE)
        self._renew = self._redis.register_script(_RENEW)
        self._held: dict[str, str] = {}  # token -> slots key
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self.waited = 0.0
        """Seconds this budget made its callers wait (a figure for benchmarks)."""

    # -- keys and time ---------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return ":".join((self._tag, *parts))

    def _tenant_keys(self, tenant_id: str) -> list[str]:
        return [
            self._key("tenant", tenant_id, "slots"),
            self._key("tenant", tenant_id, "minute"),
            self._key("tenant", tenant_id, "day"),
            self._key("app", "minute"),
        ]

    def _now(self) -> float:
        return -1.0 if self._clock is None else self._clock()

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            msg = (
                f"The shared rate budget (Redis) cannot be reached ({exc}); nothing more is sent "
                "until it is back, and the documents not sent stay pending."
            )
            raise TargetError(msg) from exc

    # -- the RateBudget protocol -----------------------------------------------------------

    @contextlib.contextmanager
    def slot(self, tenant_id: str) -> Iterator[None]:
        """Wait until every limit allows a call for the tenant; hold a slot during it."""
        token = uuid.uuid4().hex
        keys = self._tenant_keys(tenant_id)
        self._take(keys, token)
        with self._held_lock:
            self._held[token] = keys[0]
            self._ensure_renewer()
        try:
            yield
        finally:
            with self._held_lock:
                del self._held[token]
            with contextlib.suppress(redis.RedisError):
                self._redis.zrem(keys[0], token)

    def _take(self, keys: list[str], token: str) -> None:
        limits = self.limits
        args: list[str | float] = [
            token,
            limits.max_in_flight,
            self.slot_seconds,
            limits.minute,
            limits.minute_window + limits.margin,
            limits.day,
            limits.day_window + limits.margin,
            limits.app_minute,
            limits.minute_window + limits.margin,
        ]
        while True:
            with self._translated():
                granted, wait, _why = self._acquire(keys=keys, args=[self._now(), *args])
            if int(granted):
                return
            seconds = max(float(wait), 0.001)
            self.waited += seconds
            self._sleep(seconds)

    def observe(self, tenant_id: str, report: RateReport) -> None:
        """Raise the windows' counts to what Xero's headers say it has counted."""
        limits = self.limits

        def used(limit: int, remaining: int | None) -> int:
            return -1 if remaining is None else max(0, limit - remaining)

        args = [
            self._now(),
            used(limits.minute, report.minute_remaining),
            limits.minute_window + limits.margin,
            used(limits.day, report.day_remaining),
            limits.day_window + limits.margin,
            used(limits.app_minute, report.app_minute_remaining),
            limits.minute_window + limits.margin,
        ]
        # The answer is in hand: a Redis that just went away must not lose it. The next
        # `slot` meets the failure and stops the push cleanly.
        with contextlib.suppress(redis.RedisError):
            self._observe(keys=self._tenant_keys(tenant_id)[1:], args=args)

    def day_remaining(self, tenant_id: str) -> int | None:
        """The tenant's calls left today by the shared count (None before any call today)."""
        with self._translated():
            count = self._redis.hget(self._key("tenant", tenant_id, "day"), "count")
        return None if count is None else max(0, self.limits.day - int(count))

    # -- slots of live holders stay, slots of dead ones lapse ------------------------------

    def _ensure_renewer(self) -> None:
        """Start the renewing thread unless one runs (called holding ``_held_lock``)."""
        if self._renewer is not None:
            return
        self._renewer = threading.Thread(
            target=_renew_forever, args=(weakref.ref(self),), daemon=True, name="trackmap-slots"
        )
        self._renewer.start()

    def renew(self) -> bool:
        """Push back the expiry of every slot this process holds; False when it holds none.

        Returning False retires the renewing thread; the next slot taken starts a new one.
        """
        with self._held_lock:
            held = dict(self._held)
            if not held:
                self._renewer = None
                return False
        # A failed renewal is retried on the next tick; if Redis stays away, the next slot
        # fails anyway. (A client closed under the thread raises more than RedisError.)
        with contextlib.suppress(Exception):
            self._renew(keys=list(held.values()), args=[self._now(), self.slot_seconds, *held])
        return True

    def in_flight(self, tenant_id: str) -> int:
        """Slots of the tenant held now (by live holders, and dead ones not yet lapsed)."""
        key = self._tenant_keys(tenant_id)[0]
        with self._translated():
            if self._clock is not None:
                self._redis.zremrangebyscore(key, "-inf", self._clock())
            return int(self._redis.zcard(key))


def _renew_forever(budget_ref: weakref.ReferenceType[Any]) -> None:
    """Renew slots while the budget lives and holds any; a thread per budget, started on use."""
    while True:
        budget = budget_ref()
        if budget is None:
            return
        period = budget.slot_seconds / 3
        if not budget.renew():
            return
        del budget
        time.sleep(period)
