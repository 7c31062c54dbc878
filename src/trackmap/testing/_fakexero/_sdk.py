"""A ready xero-python client for FakeXero, with the SDK's traps disarmed (XERO.md).

- urllib3's hidden ``Retry(3)`` is replaced by ``retries=False``: a 429 or a dropped
  connection reaches the caller at once instead of being retried with real sleeps (and a
  dropped PUT re-sent without an Idempotency-Key).
- A timeout is always set: xero-python sets none by default.
- The token has a scope and a far-future ``expires_at``, so the SDK never tries to refresh it
  against identity.xero.com.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import urllib3
from urllib3.util.timeout import Timeout

if TYPE_CHECKING:
    from xero_python.accounting import AccountingApi

__all__ = ["SCOPES", "sdk_client"]

SCOPES = (
    "offline_access",
    "accounting.transactions",
    "accounting.settings",
    "accounting.contacts",
)
_TEN_YEARS = 10 * 365 * 24 * 3600


class _TimeoutPoolManager(urllib3.PoolManager):
    """A pool manager that applies its own timeout when xero-python passes none.

    xero-python hands ``timeout=None`` to urllib3 unless a call gives ``_request_timeout``,
    and an explicit None means "wait forever" to urllib3.
    """

    def __init__(self, timeout: Timeout) -> None:
        # Room for concurrent test threads, so urllib3 does not warn about a full pool.
        super().__init__(retries=False, timeout=timeout, maxsize=16)
        self._default_timeout = timeout

    def urlopen(  # type: ignore[override]  # urllib3 declares its keywords one by one
        self,
        method: str,
        url: str,
        redirect: bool = True,  # noqa: FBT001, FBT002  # urllib3's own signature
        **kw: Any,  # noqa: ANN401  # passed through to urllib3 untouched
    ) -> urllib3.BaseHTTPResponse:
        if kw.get("timeout") is None:
            kw["timeout"] = self._default_timeout
        return super().urlopen(method, url, redirect=redirect, **kw)


def sdk_client(
    base_url: str, access_token: str, *, timeout: tuple[float, float] = (2, 10)
) -> AccountingApi:
    """Build an ``AccountingApi`` that talks to ``base_url`` with ``access_token``.

    Args:
        base_url: ``FakeXero.base_url`` (``http://127.0.0.1:PORT/api.xro/2.0``).
        access_token: ``FakeXero.access_token``.
        timeout: (connect, read) seconds for every call that does not set its own.

    Returns:
        A client whose every call reaches FakeXero once: no hidden retries, no refresh.
    """
    from xero_python.accounting import AccountingApi  # noqa: PLC0415  # optional dependency
    from xero_python.api_client import ApiClient, Configuration  # noqa: PLC0415
    from xero_python.api_client.oauth2 import OAuth2Token  # noqa: PLC0415

    token = {
        "access_token": access_token,
        "token_type": "Bearer",
        "scope": list(SCOPES),
        "expires_in": _TEN_YEARS,
        "expires_at": time.time() + _TEN_YEARS,
    }
    config = Configuration()
    # Configuration is shared process-wide: assign the token rather than pass it in.
    config.oauth2_token = OAuth2Token(client_id="fakexero", client_secret="")
    api_client = ApiClient(
        config, oauth2_token_getter=lambda: token, oauth2_token_saver=lambda _token: None
    )
    connect, read = timeout
    pool = _TimeoutPoolManager(Timeout(connect=connect, read=read))
    api_client.rest_client.pool_manager = pool
    return AccountingApi(api_client, base_url=base_url)
