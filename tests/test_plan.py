"""The delivery planner: decisions from values, with no target and no ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._document import DocumentKind
from trackmap._engine._results import OptionToCreate
from trackmap._sync import _plan as plan
from trackmap._sync._ledger import LedgerEntry, SendIntent, SendMember
from trackmap._sync._target import (
    DeliveryStatus,
    PushResult,
    RemoteDocument,
    RemoteLine,
    TrackingEntry,
)

INVOICE = DocumentKind.SALES_INVOICE
T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
REGION = TrackingEntry(
    category_id="c1", category_name="Region", option_id="o1", option_name="North"
)

keys = st.text(min_size=1, max_size=8).filter(lambda k: k.strip() and plan.storable(k) == k)
prints = st.text(alphabet="0123456789abcdef", min_size=4, max_size=8)
statuses = st.sampled_from(list(DeliveryStatus))


def candidate(key="A", fingerprint="f1", **fields):
    return plan.Candidate(kind=INVOICE, key=key, fingerprint=fingerprint, **fields)


def entry(key="A", fingerprint="f1", **fields):
    values = {"xero_id": "X1", "status": DeliveryStatus.CREATED} | fields
    return LedgerEntry(kind=INVOICE, key=key, fingerprint=fingerprint, **values)


def remote(xero_id, *, reference="R", contact="Acme", lines=(("a", "10.00"),), **fields):
    return RemoteDocument(
        kind=INVOICE,
        xero_id=xero_id,
        status=fields.pop("status", "DRAFT"),
        reference=reference,
        contact_name=contact,
        lines=tuple(
            RemoteLine(description=d, line_amount=Decimal(a), tracking=fields.get("tracking", ()))
            for d, a in lines
        ),
        updated_at=T0,
        number=fields.get("number"),
    )


def sent(**fields):
    """What the target says it will send (no id, no status, no times)."""
    doc = remote("", **fields)
    return attrs.evolve(doc, status="", updated_at=None)


def member(key, content, *, xero_id=None, tracking=""):
    return SendMember(
        key=key,
        idempotency_key=f"k-{key}",
        fingerprint=f"f-{key}",
        xero_id=xero_id,
        content=content,
        tracking=tracking,
    )


def intent(*members):
    return SendIntent(send_id="s1", batch=1, kind=INVOICE, members=members, written_at=T0)


class TestDecide:
    """Rule 1: one document, one decision."""

    def test_errors_fail_before_anything_else(self):
        decided = plan.decide("t", candidate(errors=("bad",), notes=("n",)), entry(), held="why")
        assert plan.Fail(kind=INVOICE, key="A", reasons=("n", "bad")) == decided

    def test_a_held_document_is_not_sent(self):
        assert plan.Hold(kind=INVOICE, key="A", reason="why") == plan.decide(
            "t", candidate(), None, held="why"
        )

    def test_unchanged_only_when_xero_holds_that_fingerprint(self):
        assert isinstance(plan.decide("t", candidate(), entry()), plan.Unchanged)
        changed = plan.decide("t", candidate(fingerprint="f2"), entry())
        assert isinstance(changed, plan.Send)
        assert ("X1", False) == (changed.xero_id, changed.creates)
        failed = entry(status=DeliveryStatus.FAILED)
        assert isinstance(plan.decide("t", candidate(), failed), plan.Send)

    def test_a_new_document_is_created(self):
        decided = plan.decide("t", candidate(), None)
        assert isinstance(decided, plan.Send)
        assert decided.creates

    def test_identical_documents_with_different_keys_get_different_idempotency_keys(self):
        one = plan.decide("t", candidate(key="A"), None)
        two = plan.decide("t", candidate(key="B"), None)
        assert isinstance(one, plan.Send)
        assert isinstance(two, plan.Send)
        assert one.idempotency_key != two.idempotency_key

    @given(
        key=keys,
        fingerprint=prints,
        errors=st.lists(st.text(max_size=5), max_size=2),
        held=st.none() | st.text(min_size=1, max_size=5),
        stored=st.none()
        | st.tuples(prints, statuses, st.none() | st.just("X9"), st.integers(0, 3)),
    )
    def test_the_decision_follows_the_rules_in_order(self, key, fingerprint, errors, held, stored):
        """Invariant: fail iff errors; else hold iff held; else unchanged iff the ledger holds
        the same fingerprint in sync; else send (an update iff the ledger has a Xero id)."""
        found = None
        if stored is not None:
            fp, status, xero_id, revision = stored
            found = LedgerEntry(
                kind=INVOICE,
                key=key,
                fingerprint=fp,
                status=status,
                xero_id=xero_id,
                revision=revision,
            )
        decided = plan.decide(
            "t", candidate(key, fingerprint, errors=tuple(errors)), found, held=held
        )
        if errors:
            assert isinstance(decided, plan.Fail)
        elif held is not None:
            assert isinstance(decided, plan.Hold)
        elif found is not None and found.in_sync and found.fingerprint == fingerprint:
            assert isinstance(decided, plan.Unchanged)
        else:
            assert isinstance(decided, plan.Send)
            assert decided.xero_id == (found.xero_id if found else None)

    @given(
        a=st.tuples(keys, prints, st.integers(0, 3)), b=st.tuples(keys, prints, st.integers(0, 3))
    )
    def test_keys_differ_whenever_key_fingerprint_or_revision_differ(self, a, b):
        """Invariant: two sends share an Idempotency-Key only if they are the same send."""

        def send(values):
            key, fingerprint, revision = values
            found = LedgerEntry(
                kind=INVOICE,
                key=key,
                fingerprint="",
                status=DeliveryStatus.FAILED,
                revision=revision,
            )
            decided = plan.decide("t", candidate(key, fingerprint), found)
            assert isinstance(decided, plan.Send)
            return decided.idempotency_key

        assert (send(a) == send(b)) == (a == b)


class TestOptions:
    """Rule 2: no side effect for documents that will not be sent."""

    def test_an_option_only_blocked_documents_need_is_not_created(self):
        only_blocked = OptionToCreate(
            category_id="c", category_name="Job", name="J9", document_keys=("B",)
        )
        shared = OptionToCreate(
            category_id="c", category_name="Job", name="J8", document_keys=("A", "B")
        )
        assert (shared,) == plan.options_for([only_blocked, shared], blocked=["B"])


class TestContentDigest:
    """What settlement matches on: only what the sender decided."""

    def test_what_xero_assigns_does_not_change_the_digest(self):
        mine = plan.content_digest(sent())
        held = attrs.evolve(
            remote("X1", number="INV-0042", status="AUTHORISED", tracking=(REGION,)),
            total=Decimal("11.50"),
        )
        fields = mine.partition(":")[0].split(",")
        assert mine == plan.content_digest(held, fields)

    @pytest.mark.parametrize(
        "other",
        [
            {"reference": "R2"},
            {"contact": "Other Ltd"},
            {"lines": (("a", "10.01"),)},
            {"lines": (("b", "10.00"),)},
            {"lines": (("a", "10.00"), ("a", "10.00"))},
        ],
    )
    def test_any_difference_in_what_was_sent_changes_it(self, other):
        mine = plan.content_digest(sent())
        fields = mine.partition(":")[0].split(",")
        assert mine != plan.content_digest(remote("X1", **other), fields)

    def test_names_compare_as_xero_compares_them(self):
        mine = plan.content_digest(sent(contact="Acme Ltd"))
        fields = mine.partition(":")[0].split(",")
        assert mine == plan.content_digest(remote("X1", contact="  ACME ltd "), fields)


class TestSettle:
    """Rule 3: an in-doubt send settled from what Xero holds, never from Xero's memory."""

    def content(self, **fields):
        return plan.member_content(sent(**fields))

    def test_found_documents_are_adopted_and_missing_ones_resent(self):
        settled = plan.settle(
            intent(
                member("A", self.content(reference="A")), member("B", self.content(reference="B"))
            ),
            [remote("X1", reference="A")],
            frozenset(),
        )
        assert (("A", "X1"),) == tuple((a.key, a.xero_id) for a in settled.adopted)
        assert ("B",) == settled.absent
        assert () == settled.held

    def test_a_document_the_ledger_already_knows_is_never_adopted_again(self):
        settled = plan.settle(
            intent(member("A", self.content())), [remote("X1")], frozenset({"X1"})
        )
        assert ((), ("A",)) == (settled.adopted, settled.absent)

    def test_identical_documents_are_adopted_only_when_as_many_are_found(self):
        same = self.content()
        both = intent(member("A", same), member("B", same))
        found_both = plan.settle(both, [remote("X1"), remote("X2")], frozenset())
        assert {"X1", "X2"} == {a.xero_id for a in found_both.adopted}
        found_none = plan.settle(both, [], frozenset())
        assert ("A", "B") == found_none.absent
        found_one = plan.settle(both, [remote("X1")], frozenset())
        assert ((), (), 2) == (found_one.adopted, found_one.absent, len(found_one.held))
        assert "1 matching document(s) found for 2 sent" in found_one.held[0].reason

    def test_a_document_with_its_reference_but_other_content_is_held(self):
        """A person may have edited it in Xero: re-sending could create it twice."""
        settled = plan.settle(
            intent(member("A", self.content(reference="REF-7"))),
            [remote("X1", reference="REF-7", lines=(("edited", "99.00"),))],
            frozenset(),
        )
        assert ((), ()) == (settled.adopted, settled.absent)
        (held,) = settled.held
        assert 'ledger.abandon(tenant_id, "s1")' in held.reason

    def test_an_intent_without_content_is_held(self):
        settled = plan.settle(intent(member("A", "")), [], frozenset())
        assert ("A",) == tuple(h.key for h in settled.held)

    def test_updates_are_resent_without_reading(self):
        """An update never duplicates, but may or may not have been applied: its fingerprint is
        cleared so that the next push carrying it sends it again."""
        settled = plan.settle(intent(member("A", self.content(), xero_id="X1")), [], frozenset())
        assert ("A",) == settled.absent
        (unknown,) = settled.outcomes("Recovered.")
        assert (DeliveryStatus.PENDING, "") == (unknown.status, unknown.fingerprint)
        assert not plan.needs_read(plan.settlements([intent(member("A", "c", xero_id="X1"))])[0])

    def test_dropped_tracking_is_adopted_but_failed(self):
        sent_tracking = plan.tracking_digest([(REGION,)])
        settled = plan.settle(
            intent(member("A", self.content(), tracking=sent_tracking)), [remote("X1")], frozenset()
        )
        (outcome,) = settled.outcomes("Recovered.")
        assert (DeliveryStatus.FAILED, "X1", None) == (
            outcome.status,
            outcome.xero_id,
            outcome.fingerprint,
        )

    def test_one_read_per_kind_from_the_earliest_intent_less_the_margin(self):
        later = attrs.evolve(
            intent(member("B", "c")), send_id="s2", written_at=T0 + dt.timedelta(hours=1)
        )
        (read,) = plan.settlements([later, intent(member("A", "c"))], dt.timedelta(minutes=15))
        assert T0 - dt.timedelta(minutes=15) == read.since

    @given(
        created=st.lists(st.booleans(), min_size=1, max_size=8),
        noise=st.integers(0, 3),
        known=st.integers(0, 3),
    )
    def test_settlement_adopts_exactly_what_xero_created(self, created, noise, known):
        """Invariant: with distinct contents, a member is adopted iff Xero holds it (and the
        ledger does not know that document), absent iff not; documents of other content and
        documents the ledger knows never change the verdict; every member gets one verdict."""
        members = [member(f"K{i}", self.content(reference=f"R{i}")) for i in range(len(created))]
        pool = [remote(f"X{i}", reference=f"R{i}") for i, c in enumerate(created) if c]
        pool += [remote(f"N{i}", reference=f"other {i}") for i in range(noise)]
        pool += [remote(f"KNOWN{i}", reference=f"R{i}") for i in range(known)]
        settled = plan.settle(intent(*members), pool, frozenset(f"KNOWN{i}" for i in range(known)))
        assert {f"K{i}" for i, c in enumerate(created) if c} == {a.key for a in settled.adopted}
        assert {f"K{i}" for i, c in enumerate(created) if not c} == set(settled.absent)
        assert () == settled.held
        assert all(a.xero_id == f"X{a.key[1:]}" for a in settled.adopted)


class TestAnswers:
    """Rule 4: an answer becomes an outcome; never a quiet success."""

    send = plan.Send(kind=INVOICE, key="A", fingerprint="f", idempotency_key="k")

    def answered(self, result):
        return plan.answered(self.send, result, tracking=((REGION,),), title="A", line_keys=["1"])

    def test_created_with_its_tracking(self):
        result = PushResult(
            key="A",
            status=DeliveryStatus.CREATED,
            xero_id="X1",
            echoed=((REGION,),),
            remote_status="DRAFT",
        )
        done = self.answered(result)
        assert (DeliveryStatus.CREATED, "X1", "f", "DRAFT") == (
            done.status,
            done.xero_id,
            done.fingerprint,
            done.remote_status,
        )

    def test_dropped_tracking_fails_and_keeps_the_id(self):
        result = PushResult(key="A", status=DeliveryStatus.CREATED, xero_id="X1", echoed=((),))
        done = self.answered(result)
        assert (DeliveryStatus.FAILED, "X1", None) == (done.status, done.xero_id, done.fingerprint)

    def test_no_echo_fails_and_keeps_the_id(self):
        result = PushResult(key="A", status=DeliveryStatus.CREATED, xero_id="X1")
        assert DeliveryStatus.FAILED is self.answered(result).status

    def test_a_missing_or_unknown_answer_stays_in_doubt(self):
        """Xero may have saved it: never FAILED (the next push would create it again)."""
        assert DeliveryStatus.PENDING is self.answered(None).status
        unknown = PushResult(key="A", status=DeliveryStatus.PENDING, messages=("?",))
        assert (DeliveryStatus.PENDING, True) == (
            self.answered(unknown).status,
            plan.in_doubt(unknown),
        )

    def test_a_failed_answer_fails(self):
        failed = PushResult(key="A", status=DeliveryStatus.FAILED, messages=("No.",))
        assert ("No.",) == self.answered(failed).messages

    @given(st.text())
    def test_every_text_is_storable(self, text):
        """Invariant: `storable` always gives encodable text, and leaves encodable text alone."""
        kept = plan.storable(text)
        kept.encode("utf-8")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return
        assert text == kept
