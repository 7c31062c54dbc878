"""Building and hardening a xero-python client without its traps (XERO.md).

- ``Configuration()`` is a process-wide singleton in disguise: every later construction returns
  a shallow copy of the first one and shares its ``OAuth2Token``. So each client gets a fresh
  ``OAuth2Token`` assigned after construction, never one passed to the constructor.
- The token getter's dict must hold exactly the keys ``OAuth2Token.update_token`` takes; any
  other key raises ``TypeError`` deep inside a call. The getter handed to the SDK keeps only
  those keys.
- urllib3's default ``Retry(3)`` re-sends a PUT after a dropped connection and sleeps through
  429s; `harden` swaps in a pool manager with ``retries=False`` and the same TLS settings.
- Renewing the token (read in the SDK's ``oauth2.py``): before every call the SDK asks the
  host's getter for the token and, within 60 s of ``expires_at``, POSTs the refresh token to
  ``identity.xero.com/connect/token`` through the same client, then hands the new token to the
  host's saver. Left alone, a refresh token Xero refuses (HTTP 400 ``invalid_grant``: revoked,
  expired after 60 days unused, or already rotated) surfaces as the Accounting API's own
  ``BadRequestException`` ("Xero rejected the request"), once per call and so once per
  document; a 2xx other than 200 raises a bare ``Exception`` whose text holds the answer; a
  failing getter or saver escapes as whatever it raised. `harden` installs a guarded token
  (`_GuardedToken`) that turns each of these into a trackmap error: a refused renewal is an
  `UnauthorisedError` ("connect this organisation again") and is remembered, so that the same
  refresh token is never offered again by this client; the host's getter and saver are guarded
  so that their failures are `UnauthorisedError` too. A refused renewal never reaches Xero's
  Accounting API, so nothing was sent by the call that raised it.

Nothing here logs, prints or stores a token, and no error message quotes one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import urllib3
import urllib3.exceptions
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import HTTPStatusException

from trackmap.errors import (
    NetworkError,
    TargetError,
    TrackmapError,
    UnauthorisedError,
    UnavailableError,
)

__all__ = ["TokenGetter", "TokenSaver", "connect", "harden"]

TokenGetter = Callable[[], Mapping[str, Any]]
"""Returns the stored token: ``access_token``, ``scope``, ``expires_in``, ``token_type`` and
optionally ``expires_at``, ``refresh_token``, ``id_token``; other keys are ignored."""
TokenSaver = Callable[[Mapping[str, Any]], None]
"""Stores a refreshed token (the SDK calls it after refreshing against identity.xero.com)."""

_TOKEN_KEYS = frozenset(
    {"access_token", "scope", "expires_in", "token_type", "expires_at", "refresh_token", "id_token"}
)
_REQUIRED_KEYS = ("access_token", "scope", "expires_in", "token_type")
_CONNECT_AGAIN = "connect this organisation to Xero again (the host's Connect to Xero step)"
_HTTP_SERVER_ERROR = 500
# The SDK's own text for a non-200 answer: "refresh token status 204 <body> <headers>".
_RENEWAL_TIMEOUT = (10, 30)  # the SDK sets none on its token call


def _number_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _text_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


def _scope(value: object) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list | tuple) and all(isinstance(s, str) for s in value)
    )


# What the SDK compares, joins or formats; a wrong type there raises TypeError mid-call.
_TOKEN_CHECKS: dict[str, Callable[[object], bool]] = {
    "access_token": lambda v: isinstance(v, str) and bool(v),
    "token_type": lambda v: isinstance(v, str),
    "scope": _scope,
    "expires_in": _number_or_none,
    "expires_at": _number_or_none,
    "refresh_token": _text_or_none,
    "id_token": _text_or_none,
}


def connect(
    token_getter: TokenGetter,
    token_saver: TokenSaver,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    base_url: str | None = None,
    identity_url: str | None = None,
) -> AccountingApi:
    """Build a hardened xero-python ``AccountingApi`` from a host's token storage.

    Args:
        token_getter: Returns the token the host stored for this connection.
        token_saver: Stores the token after the SDK refreshes it.
        client_id: The app's OAuth2 client id; with ``client_secret`` it lets the SDK refresh
            an expiring token (without them an expired token is an `UnauthorisedError`).
        client_secret: The app's OAuth2 client secret.
        base_url: Where the Accounting API lives; FakeXero's ``base_url`` in tests.
        identity_url: Where tokens are renewed (Xero's ``identity.xero.com/connect/token``
            unless told otherwise; a loopback stand-in in tests).

    Returns:
        An ``AccountingApi`` with urllib3 retries off and the token guarded, ready for
        `XeroTarget`. Every failure of ``token_getter``, ``token_saver`` or of a renewal is
        a trackmap error (an `UnauthorisedError` unless the network or Xero failed).
    """
    configuration = Configuration()
    configuration.oauth2_token = _GuardedToken(
        client_id=client_id, client_secret=client_secret, identity_url=identity_url
    )
    client = ApiClient(
        configuration,
        oauth2_token_getter=_guarded_getter(token_getter),
        oauth2_token_saver=_guarded_saver(token_saver),
    )
    harden(client)
    return AccountingApi(client, base_url=base_url)


def _guarded_getter(token_getter: Callable[[], object]) -> Callable[[], dict[str, Any]]:
    """The host's getter, keeping only the SDK's keys; every failure an `UnauthorisedError`."""
    if getattr(token_getter, "trackmap_guarded", False):
        return token_getter  # type: ignore[return-value]

    def getter() -> dict[str, Any]:
        try:
            token = token_getter()
            items = dict(token.items()) if isinstance(token, Mapping) else None
        except TrackmapError:
            raise
        except Exception as exc:  # the host's code: anything may come out
            msg = (
                f"The stored Xero token could not be read: the host's token getter failed "
                f"({type(exc).__name__}); nothing was sent to Xero."
            )
            raise UnauthorisedError(msg) from exc
        if items is None:
            msg = (
                f"The host's token getter returned {type(token).__name__}, not the stored "
                f"token (a mapping); nothing was sent to Xero."
            )
            raise UnauthorisedError(msg)
        missing = [k for k in _REQUIRED_KEYS if k not in items]
        if missing:
            msg = (
                f"The stored Xero token lacks {', '.join(missing)}; nothing was sent to Xero. "
                f"Store the whole token Xero answered, or {_CONNECT_AGAIN}."
            )
            raise UnauthorisedError(msg)
        wrong = [k for k, ok in _TOKEN_CHECKS.items() if k in items and not ok(items[k])]
        if wrong:
            shapes = ", ".join(f"{k} ({type(items[k]).__name__})" for k in wrong)
            msg = (
                f"The stored Xero token has a malformed {shapes}; nothing was sent to Xero. "
                f"Store the token as Xero answered it, or {_CONNECT_AGAIN}."
            )
            raise UnauthorisedError(msg)
        return {k: v for k, v in items.items() if k in _TOKEN_KEYS}

    getter.trackmap_guarded = True  # type: ignore[attr-defined]
    return getter


def _guarded_saver(token_saver: Callable[[Any], object]) -> Callable[[Any], None]:
    """The host's saver; a failure is an `UnauthorisedError` that says what it means."""
    if getattr(token_saver, "trackmap_guarded", False):
        return token_saver  # type: ignore[return-value]

    def saver(token: Mapping[str, Any]) -> None:
        try:
            token_saver(token)
        except TrackmapError:
            raise
        except Exception as exc:  # the host's code: anything may come out
            msg = (
                f"Xero renewed the access token but the host's token saver failed "
                f"({type(exc).__name__}), so the renewed token is not stored; this push "
                f"stopped. If the next one is refused, {_CONNECT_AGAIN}."
            )
            raise UnauthorisedError(msg) from exc

    saver.trackmap_guarded = True  # type: ignore[attr-defined]
    return saver


class _GuardedToken(OAuth2Token):  # type: ignore[misc]  # xero-python is untyped
    """The SDK's token, whose one call to Xero's identity service is translated and fused.

    ``call_refresh_token_api`` is the SDK's single place that asks for a new token; every
    failure there becomes a trackmap error, and a refresh token Xero refused is remembered, so
    that it is not offered again on every later call (one refusal, one attempt).
    """

    def __init__(
        self,
        *,
        client_id: str | None,
        client_secret: str | None,
        identity_url: str | None = None,
    ) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret)
        self.identity_url = identity_url
        self.refused: tuple[str, UnauthorisedError] | None = None  # (refresh token, error)

    def call_refresh_token_api(self, token_api: TokenApi) -> dict[str, Any]:
        """Ask Xero's identity service for a new token; every failure a trackmap error."""
        if self.refused is not None and self.refused[0] == self.refresh_token:
            raise _again(self.refused[1])
        try:
            return _renewed(token_api, self.identity_url, self.refresh_token, self.scope)
        except TrackmapError as error:
            if isinstance(error, UnauthorisedError):
                self.refused = (str(self.refresh_token), error)
            raise


def _renewed(
    token_api: TokenApi, url: str | None, refresh_token: object, scope: object
) -> dict[str, Any]:
    """POST the refresh token as the SDK's ``TokenApi.refresh_token`` does, but safely.

    With a timeout, the connection released on every path, and trackmap errors: the SDK
    raises a bare ``Exception`` for a non-200 answer, and leaks the connection when the
    answer is not JSON.
    """
    scopes = scope.split() if isinstance(scope, str) else list(scope or ())  # type: ignore[call-overload]
    try:
        response, status, _headers = token_api.api_client.call_api(
            url or token_api.refresh_token_url,
            "POST",
            header_params={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            post_params={
                "grant_type": "refresh_token",
                "scope": " ".join(str(s) for s in scopes),
                "refresh_token": refresh_token,
                "client_id": token_api.client_id,
                "client_secret": token_api.client_secret,
            },
            auth_settings=None,  # this call must not ask for a token itself
            _preload_content=False,
            _request_timeout=_RENEWAL_TIMEOUT,
        )
    except TrackmapError:
        raise
    except Exception as exc:  # the SDK's and urllib3's exceptions, translated below
        _release(getattr(getattr(exc, "http_resp", None), "urllib3_response", None))
        raise _renewal_error(exc) from exc
    try:
        body = response.data
    finally:
        _release(response)
    return _token_from(status, body)


def _release(response: object) -> None:
    release = getattr(response, "release_conn", None)
    if callable(release):
        release()


def _token_from(status: int, body: object) -> dict[str, Any]:
    if status != 200:  # noqa: PLR2004 - an HTTP status reads better as a number
        msg = (
            f"Xero's identity service answered the token renewal with HTTP {status} and no "
            f"new token; {_CONNECT_AGAIN}. Nothing was sent."
        )
        raise UnauthorisedError(msg, status=status)
    try:
        token = json.loads(body.decode("utf-8") if isinstance(body, bytes) else str(body))
    except ValueError as exc:
        msg = (
            "Xero's identity service answered the token renewal with an answer it could "
            f"not read (not JSON); {_CONNECT_AGAIN}. Nothing was sent."
        )
        raise UnauthorisedError(msg) from exc
    if not isinstance(token, dict) or not token.get("access_token"):
        msg = f"Xero's identity service answered the renewal without a token; {_CONNECT_AGAIN}."
        raise UnauthorisedError(msg)
    return token


def _again(error: UnauthorisedError) -> UnauthorisedError:
    """A fresh copy of a remembered refusal (an exception instance is not raised twice)."""
    return UnauthorisedError(error.message, status=error.status)


def _renewal_error(exc: BaseException) -> TargetError:
    """The trackmap error for a failed token renewal.

    The answer is never quoted: it may hold a token.
    """
    if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
        msg = (
            f"The connection to Xero's identity service failed while renewing the access "
            f"token ({type(exc).__name__}); nothing was sent, it is safe to try again."
        )
        return NetworkError(msg)
    status = _status_of(exc)
    if status is not None and status >= _HTTP_SERVER_ERROR:
        msg = (
            f"Xero's identity service failed (HTTP {status}) while renewing the access token; "
            "nothing was sent, it is safe to try again."
        )
        return UnavailableError(msg, status=status)
    if isinstance(exc, HTTPStatusException):
        reason = _oauth_error(exc)
        msg = (
            f"Xero refused to renew the access token (HTTP {status}{reason}): the connection "
            f"was revoked or has expired; {_CONNECT_AGAIN}. Nothing was sent."
        )
        return UnauthorisedError(msg, status=status)
    msg = (
        f"The access token could not be renewed ({type(exc).__name__}); {_CONNECT_AGAIN}. "
        "Nothing was sent."
    )
    return UnauthorisedError(msg, status=status)


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) and status else None


def _oauth_error(exc: HTTPStatusException) -> str:
    """``invalid_grant`` and the like from an OAuth2 error body; "" when there is none."""
    try:
        body = getattr(exc, "body", None) or getattr(getattr(exc, "http_resp", None), "data", b"")
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        code = re.search(r'"error"\s*:\s*"([a-z_]{1,40})"', text)
    except Exception:  # noqa: BLE001 - a reason is a nicety; never fail over it
        return ""
    return f", {code.group(1)}" if code else ""


def harden(api_client: ApiClient, *, connections: int = 5) -> None:
    """Switch off urllib3's hidden retries on an ``ApiClient``, keeping its TLS settings.

    It also guards the client's token (see the module notes): a renewal Xero refuses, and a
    failure of the client's token getter or saver, become trackmap errors. Safe to call twice.
    The SDK's pool manager takes its certificate settings from the client's configuration;
    they are carried over to the new one.

    Args:
        api_client: The client to harden, in place.
        connections: Connections kept open per host: at least the calls allowed in flight,
            or urllib3 discards (and warns about) the extra ones.
    """
    _guard(api_client)
    old = api_client.rest_client.pool_manager
    kept = getattr(old, "connection_pool_kw", {})
    # The proxy manager re-creates its own private "_proxy*" settings.
    settings = {k: v for k, v in kept.items() if not k.startswith("_proxy")}
    settings["retries"] = False
    settings["maxsize"] = max(int(settings.get("maxsize") or 1), connections)
    proxy = getattr(old, "proxy", None)
    if proxy is not None:
        api_client.rest_client.pool_manager = urllib3.ProxyManager(
            proxy_url=str(proxy), num_pools=4, **settings
        )
        return
    api_client.rest_client.pool_manager = urllib3.PoolManager(num_pools=4, **settings)


def _guard(api_client: ApiClient) -> None:
    """Give a host-built client the guarded token, getter and saver `connect` builds."""
    configuration = api_client.configuration
    token = getattr(configuration, "oauth2_token", None)
    if not isinstance(token, _GuardedToken):
        # None too: the SDK would fail with an AttributeError on the first call.
        configuration.oauth2_token = _GuardedToken(
            client_id=getattr(token, "client_id", None),
            client_secret=getattr(token, "client_secret", None),
        )
    # The SDK keeps the host's callables here; wrapping them is the only way in.
    getter = getattr(api_client, "_oauth2_token_getter", None)
    if callable(getter):
        api_client._oauth2_token_getter = _guarded_getter(getter)  # noqa: SLF001
    saver = getattr(api_client, "_oauth2_token_saver", None)
    if callable(saver):
        api_client._oauth2_token_saver = _guarded_saver(saver)  # noqa: SLF001
