"""Recorded Xero conversations replayed through XeroTarget (vcrpy, record_mode="none").

The cassettes were recorded once against FakeXero by ``tests/cassettes/record.py``; replaying
them needs no server at all, and proves the target reads Xero's answers (429 headers included)
as vcrpy hands them back.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cassettes.record import HERE, REPLAY_BASE_URL, SCENARIOS, cassette_vcr, target_for
from trackmap._engine._schema import TrackingStatus
from trackmap._sync._target import DeliveryStatus
from trackmap.testing._fakexero import VirtualClock, sdk_client

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def replay(name):
    clock = VirtualClock(start=START)
    target = target_for(
        sdk_client(REPLAY_BASE_URL, "replay-token"), "00000000-0000-4000-8000-00000000cafe", clock
    )
    with cassette_vcr("none").use_cassette(str(HERE / f"{name}.yaml")) as cassette:
        result = SCENARIOS[name](target)
    return result, cassette, clock


class TestReplays:
    """Each recorded scenario replays to the same outcome, without a server."""

    def test_schema_read(self):
        schema, cassette, _clock = replay("schema_read")
        region = schema.categories_named("Region")[0]
        assert ["North", "South", "West"] == [o.name for o in region.options]
        assert TrackingStatus.ARCHIVED == region.options_named("West")[0].status
        assert cassette.all_played

    def test_option_create(self):
        option, cassette, _clock = replay("option_create")
        assert ("Perth", TrackingStatus.ACTIVE) == (option.name, option.status)
        assert (2, True) == (cassette.play_count, cassette.all_played)

    def test_batch_with_failure(self):
        results, _cassette, _clock = replay("batch_with_failure")
        assert [DeliveryStatus.CREATED, DeliveryStatus.FAILED, DeliveryStatus.CREATED] == [
            r.status for r in results
        ]
        assert results[1].messages[-1].startswith('Xero rejected invoice "CAS-2": ')

    def test_update(self):
        (result,), cassette, _clock = replay("update")
        assert DeliveryStatus.UPDATED == result.status
        assert ["GET", "PUT", "POST"] == [r.method for r in cassette.requests]

    def test_rate_limited_then_success(self):
        results, cassette, clock = replay("rate_limited")
        assert [DeliveryStatus.CREATED] * 2 == [r.status for r in results]
        assert [429, 200] == [r["status"]["code"] for r in cassette.responses[1:]]
        assert dt.timedelta(seconds=5) == clock.now() - START


class TestSecrets:
    """No cassette holds a bearer token, an access token or a tenant id."""

    @pytest.mark.parametrize("name", list(SCENARIOS))
    def test_no_secrets(self, name):
        text = (HERE / f"{name}.yaml").read_text()
        lowered = text.lower()
        assert "bearer" not in lowered
        assert "authorization" not in lowered
        assert "xero-tenant-id" not in lowered
        assert "access_token" not in lowered
