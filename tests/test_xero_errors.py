"""The one boundary: every SDK, urllib3 and socket exception becomes a trackmap error."""

from __future__ import annotations

import json

import pytest
import urllib3.exceptions
from xero_python.exceptions import (
    AccessTokenExpiredError,
    AccountingBadRequestException,
    ApiSSLException,
    HTTPStatusException,
    NotFoundException,
    RateLimitException,
)

from trackmap.errors import (
    DailyLimitError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    TargetError,
    UnauthorisedError,
    UnavailableError,
)
from trackmap.xero._errors import boundary, translate, validation_messages


class FakeResponse:
    """Just enough of xero-python's RESTResponse (headers as a case-insensitive lookup)."""

    def __init__(self, status, body=b"", headers=None):
        self.status = status
        self.reason = "reason"
        self.data = body
        self._headers = {k.lower(): v for k, v in (headers or {}).items()}

    @property
    def text(self):
        return self.data.decode()

    def getheader(self, name, default=None):
        return self._headers.get(name.lower(), default)

    def getheaders(self):
        return list(self._headers.items())


def _bad_request(body):
    return AccountingBadRequestException(http_resp=FakeResponse(400, json.dumps(body).encode()))


class TestRateLimits:
    """429s carry Retry-After and X-Rate-Limit-Problem, read through http_resp.getheader."""

    def test_minute_limit_is_rate_limited_with_retry_after(self):
        exc = RateLimitException(
            http_resp=FakeResponse(
                429, headers={"Retry-After": "17", "X-Rate-Limit-Problem": "minute"}
            )
        )
        error = translate(exc, "reading the tracking categories")
        assert type(error) is RateLimitedError
        assert (17.0, "minute") == (error.retry_after, error.problem)
        assert "reading the tracking categories" in str(error)

    def test_day_limit_is_a_daily_limit_error(self):
        exc = RateLimitException(
            http_resp=FakeResponse(
                429, headers={"retry-after": "3600", "x-rate-limit-problem": "Day"}
            )
        )
        error = translate(exc, "sending 50 invoices")
        assert type(error) is DailyLimitError
        assert 3600.0 == error.retry_after

    def test_missing_retry_after_defaults_to_a_minute(self):
        error = translate(RateLimitException(http_resp=FakeResponse(429)), "x")
        assert 60.0 == error.retry_after

    @pytest.mark.parametrize("spelling", ["day", "Day", "DAY", "Daily", "daily"])
    def test_every_spelling_of_the_day_problem_is_the_day_limit(self, spelling):
        """An older report spells it ``Daily`` (calcinai/xero-php#352): still the day limit."""
        headers = {"Retry-After": "3600", "X-Rate-Limit-Problem": spelling}
        error = translate(RateLimitException(http_resp=FakeResponse(429, headers=headers)), "x")
        assert (DailyLimitError, "day") == (type(error), error.problem)

    def test_concurrent_limit_without_retry_after_waits_a_second_not_a_minute(self):
        """Only the minute and day limits are documented to send Retry-After."""
        headers = {"X-Rate-Limit-Problem": "concurrent"}
        error = translate(RateLimitException(http_resp=FakeResponse(429, headers=headers)), "x")
        assert (RateLimitedError, 1.0) == (type(error), error.retry_after)

    def test_app_minute_limit_without_retry_after_waits_a_minute(self):
        headers = {"X-Rate-Limit-Problem": "appminute"}
        error = translate(RateLimitException(http_resp=FakeResponse(429, headers=headers)), "x")
        assert (RateLimitedError, "appminute", 60.0) == (
            type(error),
            error.problem,
            error.retry_after,
        )

    def test_concurrent_limit_is_rate_limited(self):
        exc = RateLimitException(
            http_resp=FakeResponse(
                429, headers={"Retry-After": "1", "X-Rate-Limit-Problem": "concurrent"}
            )
        )
        error = translate(exc, "x")
        assert (RateLimitedError, "concurrent") == (type(error), error.problem)


class TestRejections:
    """A 400 keeps EVERY validation message, not only the first one the SDK shows."""

    def test_every_element_message_is_kept(self):
        body = {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [
                {"ValidationErrors": [{"Message": "Contact is required"}, {"Message": "Bad date"}]},
                {"ValidationErrors": [{"Message": "Account code 999 is not valid"}]},
            ],
        }
        error = translate(_bad_request(body), "sending 2 invoices")
        assert isinstance(error, RejectedError)
        assert (
            "Contact is required",
            "Bad date",
            "Account code 999 is not valid",
        ) == error.messages
        assert 400 == error.status
        assert "Account code 999 is not valid" in str(error)

    def test_top_level_message_when_no_elements(self):
        body = {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": "Bad GUID"}
        assert ("Bad GUID",) == translate(_bad_request(body), "x").messages

    def test_unreadable_body_still_rejects(self):
        exc = AccountingBadRequestException(http_resp=FakeResponse(400, b"<html>"))
        error = translate(exc, "x")
        assert (RejectedError, ()) == (type(error), error.messages)

    def test_validation_messages_ignores_repeats_and_junk(self):
        data = {"Elements": [{"ValidationErrors": [{"Message": "A"}, {"Message": "A"}, {}]}, None]}
        assert ("A",) == validation_messages(data)
        assert () == validation_messages(["not", "a", "dict"])


class TestStatuses:
    """401, 403, 404 and 5xx each get their own error class."""

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            (401, UnauthorisedError),
            (403, ForbiddenError),
            (500, UnavailableError),
            (503, UnavailableError),
            (409, TargetError),
        ],
    )
    def test_status(self, status, expected):
        error = translate(HTTPStatusException(http_resp=FakeResponse(status)), "x")
        assert (expected, status) == (type(error), error.status)

    def test_not_found(self):
        error = translate(NotFoundException(http_resp=FakeResponse(404)), "x")
        assert (NotFoundError, 404) == (type(error), error.status)


class TestNetworkAndTokens:
    """Raw urllib3 errors, sockets and token expiry."""

    @pytest.mark.parametrize(
        "exc",
        [
            urllib3.exceptions.ProtocolError("Connection aborted"),
            urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out"),
            urllib3.exceptions.MaxRetryError(None, "/"),
            ConnectionResetError(),
            ApiSSLException(status=0, reason="SSL"),
        ],
    )
    def test_network(self, exc):
        assert NetworkError is type(translate(exc, "x"))

    def test_expired_token(self):
        assert UnauthorisedError is type(translate(AccessTokenExpiredError("expired"), "x"))

    def test_unknown_value_in_answer_is_a_plain_target_error(self):
        error = translate(ValueError("Invalid value for `status` (NEW)"), "reading invoices")
        assert TargetError is type(error)
        assert "reading invoices" in str(error)


BUG = "a bug stays a bug"


class TestBoundary:
    """Nothing from xero_python or urllib3 escapes; the cause is chained."""

    def test_chains_the_cause(self):
        original = HTTPStatusException(http_resp=FakeResponse(503))
        with pytest.raises(UnavailableError) as info, boundary("reading invoices"):
            raise original
        assert original is info.value.__cause__

    def test_trackmap_errors_pass_through(self):
        error = RejectedError("no")
        with pytest.raises(RejectedError) as info, boundary("x"):
            raise error
        assert error is info.value

    def test_other_exceptions_are_not_swallowed(self):
        with pytest.raises(KeyError), boundary("x"):
            raise KeyError(BUG)
