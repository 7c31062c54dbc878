"""FakeXero's webhooks: signed events POSTed to a loopback endpoint, retried as Xero retries.

When an invoice or a credit note changes in the fake (created or updated through the API, or
given a status with ``set_document_status``), an event is queued; `FakeWebhooks.send_due` POSTs
the queued events, signed with the subscription's key, to the registered URL (127.0.0.1 or
localhost only). A delivery that is not answered 200 is retried, as the same bytes, on the
virtual clock: after 1, 5, 15 and 30 minutes, then every hour, for up to 24 hours after its
first attempt; then the subscription is disabled, as Xero disables a webhook that keeps
failing. Xero documents "decreasing frequency for up to 24 hours" but not the exact schedule:
this one is the fake's reading.

`FakeWebhooks.intent_to_receive` runs Xero's check against an endpoint: several requests with
``"events": []``, some correctly signed (each must be answered 200 with an empty body and no
cookie), some not (each must be answered 401), each within 5 seconds.

The signature is computed here independently of `trackmap.webhooks`, so the fake is an oracle.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import random
import secrets
import string
import threading
from urllib.parse import urlsplit

import attrs

from trackmap.testing._fakexero._clock import RealClock, VirtualClock
from trackmap.testing._fakexero._errors import FakeXeroError

__all__ = ["DeliveryAttempt", "FakeWebhooks", "IntentCheck", "IntentReport"]

_CATEGORIES = {"Invoices": ("INVOICE", "Invoices"), "CreditNotes": ("CREDITNOTE", "CreditNotes")}
_RETRY_AFTER = (60.0, 300.0, 900.0, 1800.0)
_THEN_EVERY = 3600.0
_GIVE_UP_AFTER = dt.timedelta(hours=24)
_ANSWER_WITHIN = 5.0
_LOOPBACK = frozenset({"127.0.0.1", "localhost"})


@attrs.frozen(kw_only=True)
class DeliveryAttempt:
    """One POST of a delivery: when, its sequence numbers, and the answer (None: no answer)."""

    at: dt.datetime
    first_sequence: int
    last_sequence: int
    events: int
    status: int | None
    error: str = ""


@attrs.frozen(kw_only=True)
class IntentCheck:
    """One request of an intent-to-receive run and whether its answer was the one Xero wants."""

    signed_correctly: bool
    status: int | None
    body: bytes
    cookie: bool
    error: str = ""

    @property
    def passed(self) -> bool:
        """200, empty, no cookie for a correct signature; 401 for a wrong one."""
        if self.signed_correctly:
            return self.status == 200 and not self.body and not self.cookie  # noqa: PLR2004
        return self.status == 401  # noqa: PLR2004


@attrs.frozen(kw_only=True)
class IntentReport:
    """The outcome of an intent-to-receive run."""

    checks: tuple[IntentCheck, ...]

    @property
    def passed(self) -> bool:
        """Whether every answer was right."""
        return all(check.passed for check in self.checks)

    def problems(self) -> list[str]:
        """A sentence per wrong answer."""
        wanted = {True: "200 with an empty body and no cookie", False: "401"}
        return [
            f"A {'correctly' if c.signed_correctly else 'wrongly'} signed request was answered "
            f"{c.status if c.status is not None else f'not at all ({c.error})'}; "
            f"Xero wants {wanted[c.signed_correctly]}."
            for c in self.checks
            if not c.passed
        ]


@attrs.define(kw_only=True)
class _Delivery:
    body: bytes
    first_sequence: int
    last_sequence: int
    events: int
    first_attempt: dt.datetime | None = None
    due: dt.datetime | None = None
    tries: int = 0


def _sign(key: str, body: bytes) -> str:
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _xero_time(moment: dt.datetime) -> str:
    # Xero's eventDateUtc: UTC, milliseconds, no zone ("2017-06-21T01:15:39.902").
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _entropy() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


def _loopback(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK or parts.port is None:
        msg = f"FakeXero posts webhooks to http://127.0.0.1:PORT/... only, not to {url!r}."
        raise FakeXeroError(msg)
    return parts.hostname, parts.port, parts.path or "/"


def _post(url: str, body: bytes, signature: str) -> tuple[int, bytes, bool]:
    """POST one body (directly, never through a proxy); return status, body, whether a cookie."""
    host, port, path = _loopback(url)
    connection = http.client.HTTPConnection(host, port, timeout=_ANSWER_WITHIN)
    try:
        headers = {"Content-Type": "application/json"}
        if signature:
            headers["x-xero-signature"] = signature
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read(), answer.getheader("Set-Cookie") is not None
    finally:
        connection.close()


class FakeWebhooks:
    """The fake's webhook subscription: one URL and key, as a Xero app has.

    Args:
        clock: The fake's clock (event times and retry schedule; `run` moves a virtual one and
            refuses a real one).
        batch_size: At most this many events in one delivery.
    """

    def __init__(self, clock: VirtualClock | RealClock, *, batch_size: int = 100) -> None:
        self._clock = clock
        self.batch_size = max(1, batch_size)
        """At most this many events in one delivery (settable)."""
        self._lock = threading.RLock()
        self._queued: list[dict[str, str]] = []
        self._deliveries: list[_Delivery] = []
        self._sequence = 0
        self.url: str | None = None
        self.key = ""
        self.disabled = False
        self.attempts: list[DeliveryAttempt] = []

    def subscribe(self, url: str, key: str | None = None) -> str:
        """Register the endpoint (loopback only) and return the webhook key it must check."""
        _loopback(url)
        with self._lock:
            self.url = url
            self.key = key or base64.b64encode(secrets.token_bytes(64)).decode("ascii")
            self.disabled = False
            return self.key

    def document_changed(self, tenant_id: str, kind: str, document_id: str, created: bool) -> None:  # noqa: FBT001 - the hook's signature
        """The hook where the fake's documents change: queue an event (no I/O here)."""
        found = _CATEGORIES.get(kind)
        if found is None or self.url is None:
            return
        category, endpoint = found
        event = {
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/{endpoint}/{document_id}",
            "resourceId": document_id,
            "eventDateUtc": _xero_time(self._clock.now()),
            "eventType": "CREATE" if created else "UPDATE",
            "eventCategory": category,
            "tenantId": tenant_id,
            "tenantType": "ORGANISATION",
        }
        with self._lock:
            self._queued.append(event)

    @property
    def queued(self) -> int:
        """Events waiting for their first delivery."""
        with self._lock:
            return len(self._queued)

    @property
    def undelivered(self) -> int:
        """Deliveries made up but not yet answered 200."""
        with self._lock:
            return len(self._deliveries)

    def _package(self) -> None:
        while self._queued:
            events, self._queued = (
                self._queued[: self.batch_size],
                self._queued[self.batch_size :],
            )
            first = self._sequence + 1
            self._sequence += len(events)
            body = {
                "events": events,
                "firstEventSequence": first,
                "lastEventSequence": self._sequence,
                "entropy": _entropy(),
            }
            self._deliveries.append(
                _Delivery(
                    body=json.dumps(body).encode("utf-8"),
                    first_sequence=first,
                    last_sequence=self._sequence,
                    events=len(events),
                )
            )

    def send_due(self) -> list[DeliveryAttempt]:
        """POST every delivery due now (new events first packed into deliveries).

        Runs in the caller's thread, outside the fake's lock: the endpoint may call the fake.
        """
        with self._lock:
            if self.url is None or self.disabled:
                return []
            self._package()
            now = self._clock.now()
            due = [d for d in self._deliveries if d.due is None or d.due <= now]
            url, key = self.url, self.key
        return [self._attempt(delivery, url, key) for delivery in due]

    def _attempt(self, delivery: _Delivery, url: str, key: str) -> DeliveryAttempt:
        now = self._clock.now()
        error = ""
        try:
            status, _, _ = _post(url, delivery.body, _sign(key, delivery.body))
        except OSError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"
        attempt = DeliveryAttempt(
            at=now,
            first_sequence=delivery.first_sequence,
            last_sequence=delivery.last_sequence,
            events=delivery.events,
            status=status,
            error=error,
        )
        with self._lock:
            self.attempts.append(attempt)
            self._settle(delivery, now, delivered=status == 200)  # noqa: PLR2004
        return attempt

    def _settle(self, delivery: _Delivery, now: dt.datetime, *, delivered: bool) -> None:
        if delivered:
            self._deliveries.remove(delivery)
            return
        delivery.first_attempt = delivery.first_attempt or now
        wait = _RETRY_AFTER[delivery.tries] if delivery.tries < len(_RETRY_AFTER) else _THEN_EVERY
        delivery.tries += 1
        delivery.due = now + dt.timedelta(seconds=wait)
        if delivery.due - delivery.first_attempt > _GIVE_UP_AFTER:
            self.disabled = True

    def run(self, *, limit: int = 1000) -> list[DeliveryAttempt]:
        """Send what is due, then move the virtual clock to each next retry, and so on.

        Ends when every delivery was answered 200 or the subscription is disabled (at most
        ``limit`` rounds). No real waiting: the clock is moved.
        """
        attempts = self.send_due()
        for _ in range(limit):
            with self._lock:
                if self.disabled or not self._deliveries:
                    break
                next_due = min(d.due or self._clock.now() for d in self._deliveries)
            self._clock.advance(max(0.0, (next_due - self._clock.now()).total_seconds()))
            attempts += self.send_due()
        return attempts

    def intent_to_receive(
        self, url: str | None = None, key: str | None = None, *, seed: int = 0
    ) -> IntentReport:
        """Run Xero's intent-to-receive check against ``url`` (default: the subscription's).

        Two correctly signed and three wrongly signed requests (another key, a signature of
        another body, none), in a shuffled order; each with ``"events": []``.
        """
        target = url or self.url
        secret = key or self.key
        if target is None or not secret:
            msg = "Subscribe an endpoint (or pass url and key) before the intent-to-receive check."
            raise FakeXeroError(msg)
        order = [True, True, False, False, False]
        random.Random(seed).shuffle(order)  # noqa: S311 - an order, not a secret
        wrong = iter(("other key", "other body", "none"))
        hows = ["" if correct else next(wrong) for correct in order]
        return IntentReport(
            checks=tuple(
                self._intent_check(target, secret, how=how, correct=correct)
                for correct, how in zip(order, hows, strict=True)
            )
        )

    def _intent_check(self, url: str, key: str, *, correct: bool, how: str) -> IntentCheck:
        body = json.dumps(
            {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": _entropy()}
        ).encode("utf-8")
        signature = {
            "": _sign(key, body),
            "other key": _sign(key + "x", body),
            "other body": _sign(key, body + b" "),
            "none": "",
        }[how]
        try:
            status, answer, cookie = _post(url, body, signature)
        except OSError as exc:
            return IntentCheck(
                signed_correctly=correct, status=None, body=b"", cookie=False, error=str(exc)
            )
        return IntentCheck(signed_correctly=correct, status=status, body=answer, cookie=cookie)
