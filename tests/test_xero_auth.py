"""Building a hardened SDK client from a host's token storage."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse

import pytest
import urllib3
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import TokenApi

from delivery_kit import FIELDS, fake_documents, fake_organisation, many, mapping_for
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._push import Pusher
from trackmap.errors import NetworkError, UnauthorisedError, UnavailableError
from trackmap.testing._fakexero import FakeXero, Limits, VirtualClock
from trackmap.xero import XeroTarget, connect
from trackmap.xero._auth import harden


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


# -- renewing the token -------------------------------------------------------------------


class Identity:
    """A loopback stand-in for identity.xero.com/connect/token: scripted answers, counted."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = []
        self.calls: list[dict[str, list[str]]] = []
        identity = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                identity.calls.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
                status, body = identity.answers[0] if identity.answers else (500, b"")
                if len(identity.answers) > 1:
                    identity.answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/connect/token"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def identity():
    server = Identity()
    yield server
    server.close()


INVALID_GRANT = (400, b'{"error":"invalid_grant"}')


def expiring(access_token, *, after_calls=0, refresh_token="rt-1"):  # noqa: S107 - a test value
    """A getter whose stored token is valid for ``after_calls`` calls, then expired."""
    calls = [0]

    def getter():
        calls[0] += 1
        left = calls[0] <= after_calls
        return token(
            access_token,
            refresh_token=refresh_token,
            expires_at=time.time() + (1800 if left else -10),
        )

    return getter


def renewing(xero_fake, identity, getter, saver=lambda _t: None):
    return connect(
        getter,
        saver,
        client_id="app",
        client_secret="secret",  # noqa: S106 - a test value
        base_url=xero_fake.base_url,
        identity_url=identity.url,
    )


class TestRenewal:
    """A renewal Xero refuses is "connect again", tried once; every failure is a trackmap error."""

    def test_a_refused_refresh_token_is_unauthorised_and_tried_once(
        self, xero_fake, xero_clock, identity
    ):
        identity.answers = [INVALID_GRANT]
        api = renewing(xero_fake, identity, expiring(xero_fake.access_token))
        target = XeroTarget(api, xero_fake.tenant_id, clock=xero_clock.now)
        for _ in range(3):
            with pytest.raises(UnauthorisedError, match="connect this organisation") as caught:
                target.read_schema()
            assert "invalid_grant" in str(caught.value)
        assert 1 == len(identity.calls)
        assert ["rt-1"] == identity.calls[0]["refresh_token"]
        assert [] == xero_fake.requests

    def test_a_new_refresh_token_from_the_host_is_tried_again(
        self, xero_fake, xero_clock, identity
    ):
        identity.answers = [INVALID_GRANT]
        stored = {"rt": "rt-1"}

        def getter():
            return token(xero_fake.access_token, refresh_token=stored["rt"], expires_at=0.5)

        target = XeroTarget(renewing(xero_fake, identity, getter), xero_fake.tenant_id)
        with pytest.raises(UnauthorisedError):
            target.read_schema()
        stored["rt"] = "rt-2"  # the person connected the organisation again
        with pytest.raises(UnauthorisedError):
            target.read_schema()
        assert [["rt-1"], ["rt-2"]] == [c["refresh_token"] for c in identity.calls]

    def test_a_renewed_token_is_saved_and_used(self, xero_fake, xero_clock, identity):
        fresh = json.dumps(
            {
                "access_token": xero_fake.access_token,
                "refresh_token": "rt-2",
                "expires_in": 1800,
                "token_type": "Bearer",
                "scope": "accounting.settings",
            }
        ).encode()
        identity.answers = [(200, fresh)]
        saved = []
        getter = expiring("stale")
        target = XeroTarget(
            renewing(xero_fake, identity, getter, saved.append), xero_fake.tenant_id
        )
        assert () == target.read_schema().categories
        assert ["rt-2"] == [t["refresh_token"] for t in saved]

    @pytest.mark.parametrize(
        ("answer", "error", "says"),
        [
            ((401, b'{"error":"invalid_client"}'), UnauthorisedError, "invalid_client"),
            ((204, b""), UnauthorisedError, "HTTP 204 and no new token"),
            ((202, b'{"access_token":"secret-token"}'), UnauthorisedError, "HTTP 202"),
            ((200, b"not json"), UnauthorisedError, "could not read"),
            ((200, b'{"token_type":"Bearer"}'), UnauthorisedError, "without a token"),
            ((503, b""), UnavailableError, "HTTP 503"),
        ],
    )
    def test_every_failed_renewal_is_a_trackmap_error(  # noqa: PLR0917 - fixtures and cases
        self, xero_fake, xero_clock, identity, answer, error, says
    ):
        identity.answers = [answer]
        target = XeroTarget(
            renewing(xero_fake, identity, expiring(xero_fake.access_token)),
            xero_fake.tenant_id,
            clock=xero_clock.now,
            sleep=xero_clock.sleep,
        )
        with pytest.raises(error, match=says) as caught:
            target.read_schema()
        assert "secret-token" not in str(caught.value)
        assert "rt-1" not in str(caught.value)

    def test_an_unreachable_identity_service_is_a_network_error(
        self, xero_fake, xero_clock, identity
    ):
        url = identity.url
        identity.close()
        api = connect(
            expiring(xero_fake.access_token),
            lambda _t: None,
            client_id="app",
            client_secret="secret",  # noqa: S106 - a test value
            base_url=xero_fake.base_url,
            identity_url=url,
        )
        target = XeroTarget(api, xero_fake.tenant_id, clock=xero_clock.now, sleep=xero_clock.sleep)
        with pytest.raises(NetworkError, match="identity service"):
            target.read_schema()


class TestHostCallables:
    """The host's token getter and saver: whatever they raise or return is a trackmap error."""

    @pytest.mark.parametrize(
        ("getter", "says"),
        [
            (lambda: 1 / 0, "token getter failed \\(ZeroDivisionError\\)"),
            (lambda: {}["missing"], "token getter failed \\(KeyError\\)"),
            (lambda: None, "returned NoneType"),
            (lambda: {"access_token": "a"}, "lacks scope, expires_in, token_type"),
            (lambda: token("a", expires_at="soon"), "malformed expires_at \\(str\\)"),
            (lambda: token("a", scope=None), "malformed scope \\(NoneType\\)"),
            (lambda: token(None), "malformed access_token \\(NoneType\\)"),
            (lambda: token("a", refresh_token=7), "malformed refresh_token \\(int\\)"),
        ],
    )
    def test_a_failing_getter(self, xero_fake, getter, says):
        api = connect(getter, lambda _t: None, base_url=xero_fake.base_url)
        with pytest.raises(UnauthorisedError, match=says):
            XeroTarget(api, xero_fake.tenant_id).read_schema()
        assert [] == xero_fake.requests

    def test_a_failing_getter_of_a_host_built_client(self, xero_fake):
        def getter():
            msg = "vault sealed"
            raise RuntimeError(msg)

        client = ApiClient(Configuration(), oauth2_token_getter=getter)
        target = XeroTarget(client, xero_fake.tenant_id, base_url=xero_fake.base_url)
        with pytest.raises(UnauthorisedError, match="RuntimeError"):
            target.read_schema()

    def test_a_failing_saver(self, xero_fake, identity):
        fresh = json.dumps(
            {"access_token": "a2", "expires_in": 1800, "token_type": "Bearer", "scope": "x"}
        ).encode()
        identity.answers = [(200, fresh)]

        def saver(_token):
            msg = "disk full"
            raise OSError(msg)

        api = renewing(xero_fake, identity, expiring(xero_fake.access_token), saver)
        with pytest.raises(UnauthorisedError, match="token saver failed \\(OSError\\)"):
            XeroTarget(api, xero_fake.tenant_id).read_schema()


class TestRefusedRenewalInAPush:
    """A push whose token renewal is refused stops: documents pending, not failed (was: 120
    documents FAILED after 124 refresh calls)."""

    def test_the_push_stops_with_everything_pending_after_one_attempt(
        self, tmp_path, identity, monkeypatch
    ):
        clock = VirtualClock()
        identity.answers = [INVALID_GRANT]
        # The SDK's own address for renewals, pointed at the stand-in (as on the old code).
        monkeypatch.setattr(TokenApi, "refresh_token_url", identity.url)
        with FakeXero(clock=clock, limits=Limits(minute=10_000, day=10_000)) as fake:
            ids = fake_organisation(fake)
            # The schema read goes through; then the stored token has expired.
            api = connect(
                expiring(fake.access_token, after_calls=1),
                lambda _t: None,
                client_id="app",
                client_secret="secret",  # noqa: S106 - a test value
                base_url=fake.base_url,
            )
            target = XeroTarget(api, fake.tenant_id, clock=clock.now, sleep=clock.sleep)
            with SqliteLedger(tmp_path / "l.db") as ledger:
                report = Pusher(
                    target=target,
                    ledger=ledger,
                    mapping=mapping_for(ids["region"], ids["job"]),
                    fields=FIELDS,
                ).push(list(many(120, new_jobs=0)))
            assert 0 == len(fake_documents(fake))
        assert 1 == len(identity.calls)
        assert (0, 0, 120) == (report.counts.created, report.counts.failed, report.counts.pending)
        assert "connect this organisation" in report.batch.note
