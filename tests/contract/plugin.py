"""pytest plugin: the Xero contract fixtures, and FakeXero whose every request body is checked.

``tests/conftest.py`` loads it with ``pytest_plugins``, so it serves the
whole session. Three hooks:

- every document body XeroTarget builds, in any test of the session (an autouse fixture
  wrapping the target's one body-building step), against the strict request variant;
- every PUT/POST body FakeXero received, in tests using the ``xero_fake`` fixture, checked at
  teardown (option, contact and item bodies included, hand-made ones too), and every PUT/POST
  body the SDK sent to any other FakeXero of the test process (from child processes too),
  against the strict request variant;
- every exchange of EVERY FakeXero started in the test process, in any test (an autouse
  fixture wraps ``FakeXero.__init__`` to see each one): the whole request the SDK sent
  (path, query, headers) and every answer FakeXero gave, against the published variant's
  operations, parameters and response schemas (`contract.exchanges`). FakeXeros started in
  subprocesses (the crash tests) are not seen.

A failure fails that test. The session ends with a line saying how many bodies, whole
requests and answers were validated.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from xero_python.api_client.serializer import serialize

from contract.xero_contract import Contracts, counts_line, load, missing_reason
from trackmap.testing._fakexero import FakeXero, VirtualClock
from trackmap.xero import _target as xero_target
from trackmap.xero._bodies import KindSpec

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _xero_built_bodies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Validate every document body XeroTarget builds, in ANY test of the session.

    The hook is the target's one body-building step (``wrap``): whatever the test, each
    request body of documents is checked against the strict variant as it is built.
    """
    contracts = load()
    if contracts is None:
        yield
        return
    real = xero_target.wrap
    failures: list[str] = []

    def checked(spec: KindSpec, models: Sequence[Any]) -> Any:
        body = real(spec, models)
        wire = json.loads(json.dumps(serialize(body)))
        errors = contracts.strict.errors("PUT", f"/{spec.resource}", wire, source="built")
        failures.extend(f"{spec.resource}: {error}" for error in errors)
        return body

    monkeypatch.setattr(xero_target, "wrap", checked)
    yield
    assert not failures, "Bodies XeroTarget built break Xero's contract:\n" + "\n".join(failures)


BREACH = "breaks_contract"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of tests that send requests the contract forbids, on purpose."""
    config.addinivalue_line(
        "markers",
        f"{BREACH}(reason): the test sends a request the contract forbids, to see it refused; "
        "its requests are not held to the contract (its answers still are)",
    )


@pytest.fixture(autouse=True)
def _xero_exchanges(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Validate every request and answer of every FakeXero the test starts, at teardown."""
    contracts = load()
    breach = request.node.get_closest_marker(BREACH) is not None
    if contracts is None:
        yield
        return
    started: list[FakeXero] = []
    real = FakeXero.__init__

    @functools.wraps(real)  # keeps FakeXero's signature for docs/api.md's check
    def seen(self: FakeXero, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(FakeXero, "__init__", seen)
    yield
    exchanges = contracts.exchanges
    failures = [
        failure
        for fake in started
        for record in fake.requests
        for failure in (
            *(() if breach else exchanges.request_errors(record)),
            *(() if breach or _BODIES_CHECKED in vars(fake) else _sdk_body(contracts, record)),
            *exchanges.answer_errors(record),
        )
    ]
    assert not failures, "FakeXero exchanges break Xero's contract:\n" + "\n".join(failures)


_BODIES_CHECKED = "_contract_bodies_checked"


def _sdk_body(contracts: Contracts, record: Any) -> list[str]:
    """The body of a PUT/POST the SDK sent (from any process), against the strict variant."""
    sdk = str(record.headers.get("user-agent", "")).startswith("xero-python")
    if not sdk or record.method not in {"PUT", "POST"} or not record.body:
        return []
    errors = contracts.strict.errors(record.method, record.path, record.body, source="wire")
    return [f"{record.method} {record.path}: {error}" for error in errors]


@pytest.fixture(scope="session")
def xero_contract() -> Contracts:
    """The loaded contract; the test is skipped, naming TRACKMAP_XERO_SPEC, when it is missing."""
    contracts = load()
    if contracts is None:
        pytest.skip(missing_reason())
    return contracts


@pytest.fixture
def xero_clock() -> VirtualClock:
    """A virtual clock shared by FakeXero and the target under test."""
    return VirtualClock(start=START)


@pytest.fixture
def xero_fake(xero_clock: VirtualClock) -> Iterator[FakeXero]:
    """A running FakeXero; at teardown every PUT/POST body it got must fit the strict contract."""
    with FakeXero(clock=xero_clock) as fake:
        vars(fake)[_BODIES_CHECKED] = True  # every body is checked below, raw ones too
        yield fake
    contracts = load()
    if contracts is not None:
        failures = contracts.check_recorded(fake.requests)
        assert not failures, "Request bodies break Xero's contract:\n" + "\n".join(failures)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Quote how many request bodies were validated (only when the contract was used)."""
    if load.cache_info().currsize:
        terminalreporter.write_line(counts_line(load()))
