"""FakeXero rate limits, injected faults and Idempotency-Key replay, through the real SDK."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import urllib3
from xero_python.accounting.models import Contact, Invoice, Invoices, LineItem
from xero_python.exceptions import HTTPStatusException, RateLimitException

from trackmap.testing._fakexero import FakeXero, FakeXeroError, Fault, Limits, VirtualClock

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    return VirtualClock(start=START)


@pytest.fixture
def fake(clock):
    with FakeXero(clock=clock) as server:
        yield server


@pytest.fixture
def api(fake):
    return fake.sdk_client()


def _invoices(count=1):
    line = LineItem(description="Work", line_amount=10, account_code="200")
    invoice = Invoice(type="ACCREC", contact=Contact(name="Acme"), line_items=[line])
    return Invoices(invoices=[invoice] * count)


def _headers(excinfo):
    response = excinfo.value.http_resp
    return {name: response.getheader(name) for name in ("Retry-After", "X-Rate-Limit-Problem")}


class TestRemainingHeaders:
    """Every answer says how many calls are left, per minute, per day and per app."""

    def test_headers_count_down(self, fake):
        first = fake.raw("GET", "/Invoices")
        second = fake.raw("GET", "/Invoices")
        assert ("59", "4999", "9999") == (
            first.headers["X-MinLimit-Remaining"],
            first.headers["X-DayLimit-Remaining"],
            first.headers["X-AppMinLimit-Remaining"],
        )
        assert "58" == second.headers["X-MinLimit-Remaining"]

    def test_limits_can_be_replaced_whole(self, fake):
        fake.limits = Limits(minute=2)
        assert "1" == fake.raw("GET", "/Invoices").headers["X-MinLimit-Remaining"]


class TestRequestSize:
    """A body over the request size limit (3.5 MB in Xero) is refused unprocessed."""

    def test_an_oversized_body_gets_413(self, fake, api):
        fake.limits.request_bytes = 200
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_invoices(fake.tenant_id, _invoices(5))
        assert 413 == int(excinfo.value.status)
        assert [] == fake.documents("Invoices")
        assert [] == api.create_invoices(fake.tenant_id, Invoices(invoices=[])).invoices


class TestMinuteLimit:
    """A fixed minute window per tenant on the virtual clock."""

    def test_over_the_minute_limit_gets_429_with_retry_after(self, fake, api, clock):
        fake.limits.minute = 3
        for _ in range(3):
            api.get_invoices(fake.tenant_id)
        clock.advance(20)
        with pytest.raises(RateLimitException) as excinfo:
            api.get_invoices(fake.tenant_id)
        assert {"Retry-After": "40", "X-Rate-Limit-Problem": "minute"} == _headers(excinfo)
        assert "0" == excinfo.value.http_resp.getheader("X-MinLimit-Remaining")

    def test_a_refused_call_is_not_counted(self, fake, api, clock):
        fake.limits.minute = 1
        api.get_invoices(fake.tenant_id)
        for _ in range(3):
            with pytest.raises(RateLimitException):
                api.get_invoices(fake.tenant_id)
        assert 1 == fake.calls()
        clock.advance(60)
        api.get_invoices(fake.tenant_id)
        assert 2 == fake.calls()

    def test_the_window_is_per_tenant(self, fake, api):
        fake.limits.minute = 1
        other = fake.add_tenant()
        api.get_invoices(fake.tenant_id)
        api.get_invoices(other)
        assert 2 == fake.calls()

    def test_the_sdk_client_does_not_retry_a_429(self, fake, api):
        fake.inject(Fault.rate_limit("minute", retry_after=30))
        with pytest.raises(RateLimitException):
            api.get_invoices(fake.tenant_id)
        assert 1 == len(fake.requests)


class TestDayLimit:
    """The day window: a 429 that says ``day`` and how long until it resets."""

    def test_over_the_day_limit(self, fake, api, clock):
        fake.limits.day = 2
        api.get_invoices(fake.tenant_id)
        clock.advance(3600)
        api.get_invoices(fake.tenant_id)
        with pytest.raises(RateLimitException) as excinfo:
            api.get_invoices(fake.tenant_id)
        assert {"Retry-After": str(86400 - 3600), "X-Rate-Limit-Problem": "day"} == _headers(
            excinfo
        )

    def test_an_injected_day_limit(self, fake, api):
        fake.inject(Fault.rate_limit("day", retry_after=7200), path="/Invoices")
        with pytest.raises(RateLimitException) as excinfo:
            api.create_invoices(fake.tenant_id, _invoices())
        assert {"Retry-After": "7200", "X-Rate-Limit-Problem": "day"} == _headers(excinfo)
        assert [] == fake.documents("Invoices")


class TestConcurrencyLimit:
    """A sixth call while five are in flight gets 429 ``concurrent``."""

    @staticmethod
    def _sixth(fake):
        fake.inject(Fault.slow(seconds=5), method="GET", path="/Invoices", times=5)
        held = [threading.Thread(target=fake.raw, args=("GET", "/Invoices")) for _ in range(5)]
        for thread in held:
            thread.start()
        assert fake.wait_for_requests(5)
        in_flight = [(r.method, r.path, r.status) for r in fake.in_flight]
        sixth = fake.raw("GET", "/Invoices")
        fake.release_held()
        for thread in held:
            thread.join()
        assert [("GET", "/Invoices", None)] * 5 == in_flight
        assert [] == fake.in_flight
        return sixth

    def test_sixth_concurrent_call_has_no_retry_after_by_default(self, fake):
        """Only the minute and day limits are documented to carry Retry-After."""
        sixth = self._sixth(fake)
        assert (429, "concurrent") == (sixth.status, sixth.headers["X-Rate-Limit-Problem"])
        assert "Retry-After" not in sixth.headers

    def test_sixth_concurrent_call_with_a_retry_after_setting(self, fake):
        fake.limits.concurrent_retry_after = 1
        sixth = self._sixth(fake)
        assert (429, "1") == (sixth.status, sixth.headers["Retry-After"])


class TestInjectedFaults:
    """Statuses, dropped connections and slow answers, each on the requests it matches."""

    def test_status_faults_answer_without_processing(self, fake, api):
        fake.inject(Fault.status(503), method="PUT", path="/Invoices", times=2)
        for _ in range(2):
            with pytest.raises(HTTPStatusException) as excinfo:
                api.create_invoices(fake.tenant_id, _invoices())
            assert 503 == int(excinfo.value.status)
        api.create_invoices(fake.tenant_id, _invoices())
        assert (1, 1) == (len(fake.documents("Invoices")), fake.calls())

    def test_a_fault_matches_only_its_method_and_path(self, fake, api):
        fake.inject(Fault.status(500), method="PUT", path="/Invoices")
        api.get_invoices(fake.tenant_id)
        assert 200 == fake.raw("GET", "/TrackingCategories").status
        assert 500 == fake.raw("PUT", "/Invoices/", {"Invoices": []}).status

    def test_drop_before_processes_nothing(self, fake, api):
        fake.inject(Fault.drop_before(), method="PUT")
        with pytest.raises(urllib3.exceptions.ProtocolError):
            api.create_invoices(fake.tenant_id, _invoices())
        assert ([], 0, None) == (fake.documents("Invoices"), fake.calls(), fake.requests[0].status)

    def test_drop_after_processes_and_answers_nothing(self, fake, api):
        fake.inject(Fault.drop_after(), method="PUT")
        with pytest.raises(urllib3.exceptions.ProtocolError):
            api.create_invoices(fake.tenant_id, _invoices(3))
        assert 3 == len(fake.documents("Invoices"))

    def test_slow_answer_times_out_after_the_work_is_done(self, fake, api):
        fake.inject(Fault.slow(seconds=5), method="PUT")
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            api.create_invoices(fake.tenant_id, _invoices(), _request_timeout=(1, 1))
        assert 1 == len(fake.documents("Invoices"))

    def test_a_fault_can_target_one_tenant(self, fake, api):
        other = fake.add_tenant()
        fake.inject(Fault.status(502), tenant_id=other)
        api.get_invoices(fake.tenant_id)
        with pytest.raises(HTTPStatusException) as excinfo:
            api.get_invoices(other)
        assert 502 == int(excinfo.value.status)

    def test_a_dropped_answer_is_recorded_without_a_status(self, fake, api):
        fake.inject(Fault.drop_after(), method="PUT")
        with pytest.raises(urllib3.exceptions.ProtocolError):
            api.create_invoices(fake.tenant_id, _invoices())
        (request,) = fake.requests
        assert (None, True) == (request.status, request.handled)

    def test_waiting_for_requests_that_never_come_times_out(self, fake):
        assert fake.wait_for_requests(1, timeout=0.01) is False

    def test_unknown_rate_problem_is_refused(self):
        with pytest.raises(FakeXeroError, match="minute, day, concurrent and appminute"):
            Fault.rate_limit("hourly")  # type: ignore[arg-type]


class TestIdempotencyKey:
    """A repeated key replays the first answer and creates nothing new."""

    def test_replay_has_the_same_status_and_body(self, fake):
        body = {
            "Invoices": [
                {"Type": "ACCREC", "Contact": {"Name": "A"}, "LineItems": [{"LineAmount": 1}]}
            ]
        }
        key = {"Idempotency-Key": "batch-1"}
        first = fake.raw("PUT", "/Invoices", body, headers=key)
        second = fake.raw("PUT", "/Invoices", body, headers=key)
        assert (first.status, first.data) == (second.status, second.data)
        assert 1 == len(fake.documents("Invoices"))
        assert [False, True] == [r.replayed for r in fake.requests]

    def test_a_failed_answer_is_replayed_too(self, fake):
        key = {"Idempotency-Key": "bad-1"}
        first = fake.raw("PUT", "/Invoices", {"Invoices": [{}]}, headers=key)
        second = fake.raw("PUT", "/Invoices", {"Invoices": [{}]}, headers=key)
        assert (400, first.data) == (second.status, second.data)

    def test_keys_are_per_tenant(self, fake, api):
        other = fake.add_tenant()
        api.create_invoices(fake.tenant_id, _invoices(), idempotency_key="k")
        api.create_invoices(other, _invoices(), idempotency_key="k")
        assert (1, 1) == (
            len(fake.documents("Invoices")),
            len(fake.documents("Invoices", tenant_id=other)),
        )

    def test_retry_after_drop_after_creates_nothing_new(self, fake, api):
        fake.inject(Fault.drop_after(), method="PUT", path="/Invoices")
        with pytest.raises(urllib3.exceptions.ProtocolError):
            api.create_invoices(fake.tenant_id, _invoices(2), idempotency_key="push-7")
        answer = api.create_invoices(fake.tenant_id, _invoices(2), idempotency_key="push-7")
        stored = {doc["InvoiceID"] for doc in fake.documents("Invoices")}
        assert stored == {i.invoice_id for i in answer.invoices}
        assert 2 == len(stored)

    @pytest.mark.breaks_contract("an Idempotency-Key of 129 characters, to see it refused")
    def test_a_key_over_128_characters_is_refused(self, fake, api):
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_invoices(fake.tenant_id, _invoices(), idempotency_key="k" * 129)
        assert 400 == int(excinfo.value.status)
        assert [] == fake.documents("Invoices")

    def test_gets_ignore_the_key(self, fake):
        key = {"Idempotency-Key": "same"}
        fake.raw("GET", "/Invoices", headers=key)
        fake.raw("GET", "/Invoices", headers=key)
        assert [False, False] == [r.replayed for r in fake.requests]
