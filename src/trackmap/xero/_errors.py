"""THE boundary where xero-python and urllib3 exceptions become trackmap errors.

Every call into the SDK runs inside `boundary`; nothing from ``xero_python`` or ``urllib3``
escapes ``trackmap.xero``. The mapping follows XERO.md:

- 429 (`RateLimitException`): ``X-Rate-Limit-Problem`` says which limit; ``day`` becomes a
  `DailyLimitError`, the others a `RateLimitedError` carrying ``Retry-After``. The problem is
  compared case-insensitively: current SDKs report ``day`` (xero-python#74), an older report
  spells it ``Daily`` (calcinai/xero-php#352). Without ``Retry-After`` a minute or day limit
  (or the app-wide minute limit, ``appminute``) waits a whole minute, but a concurrent-limit
  429 (documented without the header) waits one second: it lifts as soon as a call in flight
  ends. The headers are read with
  ``http_resp.getheader``, which works on live answers and under vcrpy alike.
- 400 (`AccountingBadRequestException`): the SDK's ``reason`` shows only the first validation
  message, so every ``Elements[].ValidationErrors[].Message`` is collected.
- 401 / expired token: `UnauthorisedError`; 403: `ForbiddenError`; 404: `NotFoundError`;
  5xx: `UnavailableError`; a dropped connection or a timeout (raw urllib3 errors, which the SDK
  does not wrap): `NetworkError`.
- A ``ValueError`` raised while an answer is read (by the SDK's models: an enum value it does
  not know, xero-python #203; or by trackmap's JSON reading of document answers: a body that
  is not JSON) is a plain `TargetError`: the request may well have succeeded, so it is not
  retried blindly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import urllib3.exceptions
from xero_python.exceptions import (
    AccessTokenExpiredError,
    ApiException,
    BadRequestException,
    HTTPStatusException,
    NotFoundException,
    OAuth2Error,
    OpenApiException,
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
    TrackmapError,
    UnauthorisedError,
    UnavailableError,
)

__all__ = ["boundary", "header", "translate", "validation_messages"]

_DEFAULT_RETRY_AFTER = 60.0
_CONCURRENT_RETRY_AFTER = 1.0
_WINDOWED = ("minute", "day", "appminute")
_HTTP_SERVER_ERROR = 500


@contextlib.contextmanager
def boundary(action: str) -> Iterator[None]:
    """Run SDK code, turning any SDK or network exception into a trackmap error.

    Args:
        action: What was being done, as the end of a sentence ("reading the tracking
            categories"); it goes into the error's message.

    Raises:
        TargetError: A subclass matching what went wrong, chained to the original exception.
    """
    try:
        yield
    except TrackmapError:
        raise
    except (OpenApiException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        raise translate(exc, action) from exc


def header(response: object, name: str) -> str | None:
    """Read one header from an SDK response (live or replayed by vcrpy); None when absent."""
    getheader = getattr(response, "getheader", None)
    if getheader is None:
        return None
    value = getheader(name)
    return None if value is None else str(value)


def translate(exc: BaseException, action: str) -> TargetError:
    """Return the trackmap error for one SDK, urllib3 or socket exception."""
    for kinds, make in _TRANSLATIONS:
        if isinstance(exc, kinds):
            return make(exc, action)
    return TargetError(f"Xero's answer could not be read while {action}: {exc}.")


def _not_found(_exc: BaseException, action: str) -> TargetError:
    return NotFoundError(f"Xero found nothing at that address while {action}.", status=404)


def _status_error(exc: BaseException, action: str) -> TargetError:
    return _by_status(int(getattr(exc, "status", 0) or 0), action)


def _token_error(_exc: BaseException, action: str) -> TargetError:
    return UnauthorisedError(
        f"The Xero access token has expired and could not be refreshed while {action}; "
        "connect to Xero again."
    )


def _network_error(exc: BaseException, action: str) -> TargetError:
    return NetworkError(
        f"The connection to Xero failed or timed out while {action} ({type(exc).__name__})."
    )


def _by_status(status: int, action: str) -> TargetError:
    if status == 401:  # noqa: PLR2004 - HTTP statuses read better as numbers
        return UnauthorisedError(
            f"Xero did not accept the access token (it is missing, expired or revoked) "
            f"while {action}; connect to Xero again.",
            status=status,
        )
    if status == 403:  # noqa: PLR2004 - HTTP statuses read better as numbers
        return ForbiddenError(
            f"Xero refused access while {action}: the connection lacks a scope, or the "
            "organisation is no longer connected to this app.",
            status=status,
        )
    if status >= _HTTP_SERVER_ERROR:
        return UnavailableError(
            f"Xero failed (HTTP {status}) while {action}; it is safe to try again.",
            status=status,
        )
    return TargetError(f"Xero answered HTTP {status} while {action}.", status=status)


def _rate_limited(exc: BaseException, action: str) -> RateLimitedError:
    response = getattr(exc, "http_resp", None)
    problem = _problem(header(response, "X-Rate-Limit-Problem"))
    fallback = _DEFAULT_RETRY_AFTER if problem in _WINDOWED else _CONCURRENT_RETRY_AFTER
    retry_after = _seconds(header(response, "Retry-After"), fallback)
    if problem == "day":
        return DailyLimitError(
            f"This organisation's Xero API calls for the day are spent (while {action}); "
            f"what is left stays pending until the limit resets in {retry_after:.0f} seconds.",
            retry_after=retry_after,
            problem=problem,
        )
    return RateLimitedError(
        f"Xero's {problem} rate limit was reached while {action}; "
        f"try again in {retry_after:.0f} seconds.",
        retry_after=retry_after,
        problem=problem,
    )


def _problem(value: str | None) -> str:
    """Which limit a 429 names: ``day``, ``Day`` and ``Daily`` are all the day limit."""
    text = (value or "minute").strip().lower()
    if text.startswith(("day", "daily")):
        return "day"
    return "minute" if text.startswith("minute") else text


def _seconds(value: str | None, fallback: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else fallback
    except ValueError:
        return fallback


def _rejected(exc: BaseException, action: str) -> RejectedError:
    messages = validation_messages(_error_data(exc))
    detail = "; ".join(messages) if messages else "no reason given"
    return RejectedError(
        f"Xero rejected the request while {action}: {detail}.", messages=messages, status=400
    )


def _error_data(exc: BaseException) -> object:
    try:
        return getattr(exc, "error_data", None)
    except (ValueError, TypeError):
        return None


def validation_messages(data: object) -> tuple[str, ...]:
    """Every validation message in a Xero error body, in order, without repeats.

    Walks ``Elements[].ValidationErrors[].Message``; falls back to the top-level ``Message``.
    """
    if not isinstance(data, dict):
        return ()
    found: list[str] = []
    for element in data.get("Elements") or ():
        for error in (element or {}).get("ValidationErrors") or ():
            message = str((error or {}).get("Message", "")).strip()
            if message and message not in found:
                found.append(message)
    top = str(data.get("Message") or data.get("Detail") or "").strip()
    if not found and top:
        found.append(top)
    return tuple(found)


_Maker = Callable[[BaseException, str], TargetError]
# Order matters: the SDK's exception classes inherit from one another.
_TRANSLATIONS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], _Maker], ...] = (
    (RateLimitException, _rate_limited),
    (BadRequestException, _rejected),
    (NotFoundException, _not_found),
    (HTTPStatusException, _status_error),
    ((AccessTokenExpiredError, OAuth2Error), _token_error),
    ((ApiException, urllib3.exceptions.HTTPError, OSError), _network_error),
)
