"""Building and hardening a xero-python client without its traps (XERO.md).

- ``Configuration()`` is a process-wide singleton in disguise: every later construction returns
  a shallow copy of the first one and shares its ``OAuth2Token``. So each client gets a fresh
  ``OAuth2Token`` assigned after construction, never one passed to the constructor.
- The token getter's dict must hold exactly the keys ``OAuth2Token.update_token`` takes; any
  other key raises ``TypeError`` deep inside a call. The getter handed to the SDK keeps only
  those keys.
- urllib3's default ``Retry(3)`` re-sends a PUT after a dropped connection and sleeps through
  429s; `harden` swaps in a pool manager with ``retries=False`` and the same TLS settings.

Nothing here logs, prints or stores a token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token

__all__ = ["TokenGetter", "TokenSaver", "connect", "harden"]

TokenGetter = Callable[[], Mapping[str, Any]]
"""Returns the stored token: ``access_token``, ``scope``, ``expires_in``, ``token_type`` and
optionally ``expires_at``, ``refresh_token``, ``id_token``; other keys are ignored."""
TokenSaver = Callable[[Mapping[str, Any]], None]
"""Stores a refreshed token (the SDK calls it after refreshing against identity.xero.com)."""

_TOKEN_KEYS = frozenset(
    {"access_token", "scope", "expires_in", "token_type", "expires_at", "refresh_token", "id_token"}
)


def connect(
    token_getter: TokenGetter,
    token_saver: TokenSaver,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    base_url: str | None = None,
) -> AccountingApi:
    """Build a hardened xero-python ``AccountingApi`` from a host's token storage.

    Args:
        token_getter: Returns the token the host stored for this connection.
        token_saver: Stores the token after the SDK refreshes it.
        client_id: The app's OAuth2 client id; with ``client_secret`` it lets the SDK refresh
            an expiring token (without them an expired token is an `UnauthorisedError`).
        client_secret: The app's OAuth2 client secret.
        base_url: Where the Accounting API lives; FakeXero's ``base_url`` in tests.

    Returns:
        An ``AccountingApi`` with urllib3 retries off, ready for `XeroTarget`.
    """
    configuration = Configuration()
    configuration.oauth2_token = OAuth2Token(client_id=client_id, client_secret=client_secret)

    def getter() -> dict[str, Any]:
        return {k: v for k, v in token_getter().items() if k in _TOKEN_KEYS}

    client = ApiClient(configuration, oauth2_token_getter=getter, oauth2_token_saver=token_saver)
    harden(client)
    return AccountingApi(client, base_url=base_url)


def harden(api_client: ApiClient, *, connections: int = 5) -> None:
    """Switch off urllib3's hidden retries on an ``ApiClient``, keeping its TLS settings.

    Safe to call twice. The SDK's pool manager takes its certificate settings from the
    client's configuration; they are carried over to the new one.

    Args:
        api_client: The client to harden, in place.
        connections: Connections kept open per host: at least the calls allowed in flight,
            or urllib3 discards (and warns about) the extra ones.
    """
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
