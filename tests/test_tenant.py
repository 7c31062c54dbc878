"""Tenant ids: one canonical form (trimmed, lower-case) wherever an id enters trackmap."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery_kit import FIELDS, fake_documents, fake_organisation, many, mapping_for
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._push import Pusher
from trackmap._sync._tenant import canonical_tenant_id
from trackmap.errors import LedgerBusyError, LedgerError, TargetError, TrackmapError
from trackmap.postgres import PostgresLedger
from trackmap.testing import InMemoryTarget
from trackmap.testing._fakexero import FakeXero, Limits, VirtualClock
from trackmap.xero import XeroTarget

GUID = "5A2F0C1E-9B3D-4E7A-8C6F-0D1E2F3A4B5C"
COUNT = 28


def _target_error(message: str) -> TrackmapError:
    return TargetError(message)


class TestCanonicalForm:
    """Trimmed and lower-case; anything that cannot be an id is a trackmap error."""

    @pytest.mark.parametrize(
        "spelling", [GUID, GUID.lower(), f" {GUID}", f"{GUID}\t\n", GUID.title()]
    )
    def test_every_spelling_of_one_guid_is_one_id(self, spelling):
        assert GUID.lower() == canonical_tenant_id(spelling, error=_target_error, guid=True)

    @pytest.mark.parametrize(
        ("value", "says"),
        [
            (None, "must be text"),
            (42, "must be text"),
            ("", "blank"),
            ("   ", "blank"),
            ("tenant\x00one", "control characters"),
            ("tenant\ud800", "control characters"),
            ("x" * 256, "longer than 255"),
        ],
    )
    def test_what_cannot_be_an_id_is_refused(self, value, says):
        with pytest.raises(TargetError, match=says):
            canonical_tenant_id(value, error=_target_error)

    @pytest.mark.parametrize("value", ["tenant-1", GUID[:-1], f"{{{GUID}}}", GUID.replace("-", "")])
    def test_xero_needs_a_guid(self, value):
        with pytest.raises(TargetError, match="not a Xero tenant id"):
            canonical_tenant_id(value, error=_target_error, guid=True)

    @given(st.text(max_size=40))
    def test_canonical_is_a_fixed_point_or_a_trackmap_error(self, text):
        """For any text: a canonical id that canonicalises to itself, or a trackmap error."""
        try:
            once = canonical_tenant_id(text, error=_target_error)
        except TargetError as exc:
            str(exc).encode()
            return
        assert once == canonical_tenant_id(once, error=_target_error)
        # Upper-casing round-trips for ASCII (Xero's GUIDs), not for every script ("ß").
        if once.isascii():
            assert once == canonical_tenant_id(f"  {once.upper()} ", error=_target_error)


class TestWhereIdsEnter:
    """The targets and every public ledger method take the canonical form."""

    def test_xero_target_refuses_a_non_guid_before_any_call(self, xero_fake, xero_clock):
        with pytest.raises(TargetError, match="not a Xero tenant id"):
            XeroTarget(xero_fake.sdk_client(), "tenant-1", clock=xero_clock.now)
        assert [] == xero_fake.requests

    def test_the_targets_keep_the_canonical_id(self, xero_fake, xero_clock):
        spelt = f"  {xero_fake.tenant_id.upper()} "
        target = XeroTarget(xero_fake.sdk_client(), spelt, clock=xero_clock.now)
        assert xero_fake.tenant_id == target.tenant_id
        assert () == target.read_schema().categories
        assert "tenant-1" == InMemoryTarget(tenant_id=" Tenant-1 ").tenant_id

    def test_one_lease_whatever_the_spelling(self, tmp_path):
        with (
            SqliteLedger(tmp_path / "l.db") as first,
            SqliteLedger(tmp_path / "l.db") as second,
            first.lease(f" {GUID}"),
            pytest.raises(LedgerBusyError),
        ):
            second.lease(GUID.lower()).__enter__()

    def test_the_ledger_refuses_a_blank_tenant_with_its_path(self, tmp_path):
        with SqliteLedger(tmp_path / "l.db") as ledger:
            with pytest.raises(LedgerError, match="blank") as caught:
                ledger.batches("  ")
            assert str(tmp_path / "l.db") == caught.value.path
            with pytest.raises(LedgerError, match="blank"):
                ledger.open_batch(tenant_id=" ", started_at=None)

    @pytest.mark.parametrize("ledger_class", [SqliteLedger, PostgresLedger])
    def test_every_public_ledger_method_taking_a_tenant_canonicalises_it(self, ledger_class):
        """A method added later without the canonical form would key rows on raw spellings."""
        taking = [
            name
            for name, member in inspect.getmembers(ledger_class, inspect.isfunction)
            if not name.startswith("_") and "tenant_id" in inspect.signature(member).parameters
        ]
        assert len(taking) >= 13
        assert [] == [
            n for n in taking if not getattr(getattr(ledger_class, n), "canonical_tenant", False)
        ]


class TestNothingSentTwice:
    """Re-pushing with another spelling of the tenant id re-creates nothing (was 16 of 28)."""

    @pytest.mark.parametrize("respell", [lambda t: " " + t, str.upper, lambda t: t.upper() + "\n"])
    def test_a_respelt_tenant_id_recreates_nothing(self, tmp_path, respell):
        clock = VirtualClock()
        with FakeXero(clock=clock, limits=Limits(minute=10_000, day=10_000)) as fake:
            ids = fake_organisation(fake)

            def run(tenant_id: str):
                target = XeroTarget(
                    fake.sdk_client(), tenant_id, clock=clock.now, sleep=clock.sleep
                )
                with SqliteLedger(tmp_path / "l.db") as ledger:
                    pusher = Pusher(
                        target=target,
                        ledger=ledger,
                        mapping=mapping_for(ids["region"], ids["job"]),
                        fields=FIELDS,
                    )
                    return pusher.push(list(many(COUNT, new_jobs=0)))

            first = run(fake.tenant_id)
            assert COUNT == first.counts.created
            again = run(respell(fake.tenant_id))
            assert (0, COUNT) == (again.counts.created, again.counts.unchanged)
            assert COUNT == len(fake_documents(fake))
