"""Xero's rate limits, per tenant and per app, in fixed windows on the fake's clock.

From developer.xero.com/documentation/oauth2/limits (XERO.md, "Rate limits"): 5 concurrent
calls, 60 a minute and 5,000 a day per tenant; 10,000 a minute per app across every tenant of
the fake (one fake stands for one app). Every answer carries ``X-MinLimit-Remaining``,
``X-DayLimit-Remaining`` and ``X-AppMinLimit-Remaining``; a refused call gets HTTP 429 with
``X-Rate-Limit-Problem`` (``day``, ``minute``, ``appminute`` (its spelling is unconfirmed),
``concurrent``, checked in that order) and ``Retry-After`` for the windowed limits, and does
not count against any window.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

import attrs

from trackmap.testing._fakexero._faults import RateProblem

__all__ = ["Limits", "PurchaseOrderContact", "RateLimiter", "Refusal", "UnknownTracking"]

_MINUTE = dt.timedelta(minutes=1)
_DAY = dt.timedelta(days=1)


UnknownTracking = Literal["drop", "warn", "error"]
PurchaseOrderContact = Literal["create", "existing", "id"]


@attrs.define(kw_only=True)
class Limits:
    """Xero's limits as FakeXero enforces them; every one is settable by a test.

    Each default is Xero's documented value where Xero documents one; the sources are named
    in docs/testing.md ("Limits and settings"). In short:

    - ``minute``, ``day``, ``concurrent``, ``app_minute``: developer.xero.com's limits page.
    - ``concurrent_retry_after``: only the minute and day 429s are documented to carry
      ``Retry-After``, so a concurrent-limit 429 omits it (None); set seconds to send one.
    - ``name_length`` (categories, 100: the spec and the SDK) and ``option_name_length``
      (options, 50: Xero's PUT Options documentation, stricter than the spec's 100).
    - ``options_per_category``: unconfirmed (100 active is widely repeated by third parties;
      archived options do not count).
    - ``request_bytes``: 3.5 MB a request; a bigger body gets HTTP 413, unprocessed.
    - ``unknown_tracking``: what a line entry naming a well-formed but unknown category or
      option id gets. ``"drop"`` (the default: the behaviour every SDK's tracker reports):
      removed without a word; ``"warn"``: removed, the document answered with
      ``StatusAttributeString: WARNING`` and a ``Warnings`` message; ``"error"``: the document
      refused with a validation error (one reporter's experience). Unconfirmed which Xero does.
    - ``purchase_order_contact``: what a purchase order whose contact is given by name gets.
      Sources say a PO needs the ContactID or ContactNumber of an existing contact
      (unconfirmed). ``"create"`` (the default, as for invoices) creates an unknown contact;
      ``"existing"`` accepts only a contact that exists (by id, number or name); ``"id"``
      only a ContactID or ContactNumber. The default is the lenient reading because
      trackmap's own purchase orders name their contact today (see docs/testing.md).
    - ``idempotency_seconds``: how long an ``Idempotency-Key``'s first answer is kept, on the
      fake's clock. UNCONFIRMED for Xero (one third-party note says about 6 minutes; other APIs
      keep keys 30 minutes to 24 hours), so a test can let it pass and rehearse a re-run a day
      later. Within it, the same key with a different body gets HTTP 400, as idempotent APIs
      answer.
    """

    minute: int = 60
    day: int = 5000
    concurrent: int = 5
    concurrent_retry_after: int | None = None
    app_minute: int = 10_000
    active_categories: int = 2
    total_categories: int = 4
    options_per_category: int = 100
    name_length: int = 100
    option_name_length: int = 50
    request_bytes: int = 3_500_000
    unknown_tracking: UnknownTracking = "drop"
    purchase_order_contact: PurchaseOrderContact = "create"
    idempotency_seconds: float = 360.0


@attrs.frozen(kw_only=True)
class Refusal:
    """A 429: which limit, and how many seconds until it lifts."""

    problem: RateProblem
    retry_after: int | None


@attrs.define
class _Window:
    """A fixed window: opens at its first call and lasts ``length``."""

    length: dt.timedelta
    start: dt.datetime | None = None
    count: int = 0

    def roll(self, now: dt.datetime) -> None:
        if self.start is None or now >= self.start + self.length:
            self.start, self.count = now, 0

    def seconds_left(self, now: dt.datetime) -> int:
        start = now if self.start is None else self.start
        return max(1, math.ceil((start + self.length - now).total_seconds()))


@attrs.define
class _TenantBudget:
    minute: _Window = attrs.field(factory=lambda: _Window(_MINUTE))
    day: _Window = attrs.field(factory=lambda: _Window(_DAY))
    in_flight: int = 0


class RateLimiter:
    """Counts calls per tenant; callers hold FakeXero's state lock around every method."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._tenants: dict[str, _TenantBudget] = {}
        self._app = _Window(_MINUTE)

    def _budget(self, tenant_id: str) -> _TenantBudget:
        return self._tenants.setdefault(tenant_id, _TenantBudget())

    def enter(self, tenant_id: str, now: dt.datetime) -> Refusal | None:
        """Admit one call (counting it), or say which limit refuses it."""
        budget = self._budget(tenant_id)
        for window in (budget.minute, budget.day, self._app):
            window.roll(now)
        if budget.day.count >= self.limits.day:
            return Refusal(problem="day", retry_after=budget.day.seconds_left(now))
        if budget.minute.count >= self.limits.minute:
            return Refusal(problem="minute", retry_after=budget.minute.seconds_left(now))
        if self._app.count >= self.limits.app_minute:
            return Refusal(problem="appminute", retry_after=self._app.seconds_left(now))
        if budget.in_flight >= self.limits.concurrent:
            return Refusal(problem="concurrent", retry_after=self.limits.concurrent_retry_after)
        budget.in_flight += 1
        for window in (budget.minute, budget.day, self._app):
            window.count += 1
        return None

    def leave(self, tenant_id: str) -> None:
        """Mark one admitted call of the tenant as finished."""
        budget = self._budget(tenant_id)
        budget.in_flight = max(0, budget.in_flight - 1)

    def seconds_left(self, tenant_id: str, problem: RateProblem, now: dt.datetime) -> int | None:
        """Seconds until the window behind ``problem`` resets (concurrency: the setting)."""
        budget = self._budget(tenant_id)
        if problem == "concurrent":
            return self.limits.concurrent_retry_after
        windows = {"minute": budget.minute, "day": budget.day, "appminute": self._app}
        window = windows[problem]
        window.roll(now)
        return window.seconds_left(now)

    def headers(self, tenant_id: str | None, now: dt.datetime) -> dict[str, str]:
        """The remaining-calls headers Xero puts on every answer."""
        self._app.roll(now)
        found = {"X-AppMinLimit-Remaining": str(max(0, self.limits.app_minute - self._app.count))}
        if tenant_id is None:
            return found
        budget = self._budget(tenant_id)
        budget.minute.roll(now)
        budget.day.roll(now)
        found["X-MinLimit-Remaining"] = str(max(0, self.limits.minute - budget.minute.count))
        found["X-DayLimit-Remaining"] = str(max(0, self.limits.day - budget.day.count))
        return found
