"""pytest plugin: the Xero contract fixtures, and FakeXero whose every request body is checked.

Test modules load it with ``pytest_plugins = ["contract.plugin"]``. Every test that uses the
``xero_fake`` fixture has each PUT/POST body FakeXero received validated against the strict
request variant at teardown (a failure is an error of that test); the session ends with a line
saying how many bodies were validated, by route.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from contract.xero_contract import Contracts, counts_line, load, missing_reason
from trackmap.testing._fakexero import FakeXero, VirtualClock

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


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
        yield fake
    contracts = load()
    if contracts is not None:
        failures = contracts.check_recorded(fake.requests)
        assert not failures, "Request bodies break Xero's contract:\n" + "\n".join(failures)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Quote how many request bodies were validated (only when the contract was used)."""
    if load.cache_info().currsize:
        terminalreporter.write_line(counts_line(load()))
