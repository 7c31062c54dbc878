"""Building a hardened SDK client from a host's token storage."""

from __future__ import annotations

import time

import pytest
import urllib3
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration

from trackmap.errors import UnauthorisedError
from trackmap.xero import XeroTarget, connect, harden


def token(access_token, **extra):
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "scope": ["accounting.settings"],
        "expires_in": 1800,
        "expires_at": time.time() + 1800,
        **extra,
    }


class TestConnect:
    """connect() gives each client its own token and switches urllib3 retries off."""

    def test_two_connections_do_not_share_a_token(self, xero_fake, xero_clock):
        good = connect(
            lambda: token(xero_fake.access_token), lambda _t: None, base_url=xero_fake.base_url
        )
        bad = connect(lambda: token("wrong"), lambda _t: None, base_url=xero_fake.base_url)
        assert (
            good.api_client.configuration.oauth2_token
            is not bad.api_client.configuration.oauth2_token
        )
        XeroTarget(good, xero_fake.tenant_id, clock=xero_clock.now).read_schema()
        with pytest.raises(UnauthorisedError):
            XeroTarget(bad, xero_fake.tenant_id, clock=xero_clock.now).read_schema()

    def test_extra_token_keys_are_ignored(self, xero_fake, xero_clock):
        api = connect(
            lambda: token(xero_fake.access_token, tenant_name="Demo", stored_by="host"),
            lambda _t: None,
            base_url=xero_fake.base_url,
        )
        assert (
            ()
            == XeroTarget(api, xero_fake.tenant_id, clock=xero_clock.now).read_schema().categories
        )

    def test_expired_token_without_refresh_is_unauthorised(self, xero_fake, xero_clock):
        expired = token(xero_fake.access_token, expires_at=time.time() - 10)
        api = connect(lambda: expired, lambda _t: None, base_url=xero_fake.base_url)
        with pytest.raises(UnauthorisedError, match="expired"):
            XeroTarget(api, xero_fake.tenant_id, clock=xero_clock.now).read_schema()
        assert 0 == len(xero_fake.requests)

    def test_api_client_is_accepted_and_hardened(self, xero_fake, xero_clock):
        client = ApiClient(
            Configuration(), oauth2_token_getter=lambda: token(xero_fake.access_token)
        )
        target = XeroTarget(
            client, xero_fake.tenant_id, base_url=xero_fake.base_url, clock=xero_clock.now
        )
        assert (
            target._api.api_client.rest_client.pool_manager.connection_pool_kw["retries"].total
            is False
        )


class TestHarden:
    """harden() keeps the SDK's TLS settings and drops its retries."""

    def test_keeps_tls_settings(self):
        client = ApiClient(Configuration())
        before = dict(client.rest_client.pool_manager.connection_pool_kw)
        harden(client)
        after = client.rest_client.pool_manager.connection_pool_kw
        assert (before["cert_reqs"], before["ca_certs"]) == (after["cert_reqs"], after["ca_certs"])
        assert after["retries"].total is False
        assert after["maxsize"] >= 5

    def test_pool_grows_to_the_calls_in_flight(self):
        client = ApiClient(Configuration())
        harden(client, connections=40)
        assert 40 == client.rest_client.pool_manager.connection_pool_kw["maxsize"]

    def test_proxy_kept(self):
        client = ApiClient(Configuration())
        client.rest_client.pool_manager = urllib3.ProxyManager("http://proxy.invalid:3128")
        harden(client)
        manager = client.rest_client.pool_manager
        assert isinstance(manager, urllib3.ProxyManager)
        assert "proxy.invalid" == manager.proxy.host
        assert manager.connection_pool_kw["retries"].total is False
