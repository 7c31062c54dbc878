"""Pushing: batches, unchanged and updated documents, failures, verification, policies, progress."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from delivery_kit import (
    FIELDS,
    JOB,
    MAPPING,
    REGION,
    WrappedTarget,
    assert_exactly_once,
    fake_organisation,
    many,
    mapping_for,
    memory_target,
    outbound,
)
from trackmap._engine._document import DocumentKind
from trackmap._engine._mapping import TrackingMapping
from trackmap._engine._schema import TrackingStatus
from trackmap._sync._batch import BatchState
from trackmap._sync._keys import idempotency_key
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._policy import DeliveryPolicy, OnMissing
from trackmap._sync._progress import Phase, Progress, RateLimitWaits, describe_progress
from trackmap._sync._push import Pusher
from trackmap._sync._target import DeliveryStatus
from trackmap.errors import (
    DocumentError,
    MappingError,
    NetworkError,
    RejectedError,
    TargetError,
    TrackmapError,
)
from trackmap.testing._fakexero import FakeXero, Limits, VirtualClock
from trackmap.xero._target import XeroTarget

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ledger(tmp_path):
    with SqliteLedger(tmp_path / "ledger.db") as opened:
        yield opened


@pytest.fixture
def target():
    return memory_target()


def pusher(target, ledger, **options) -> Pusher:
    return Pusher(
        target=target,
        ledger=ledger,
        mapping=MAPPING,
        fields=FIELDS,
        clock=lambda: T0,
        **options,
    )


def statuses(ledger, target, number):
    return {d.key: d.status for d in ledger.batch_documents(target.tenant_id, number)}


def messages(ledger, target, number, key):
    docs = {d.key: d for d in ledger.batch_documents(target.tenant_id, number)}
    return docs[key].messages


class TestFirstPush:
    """A first push creates every document once, with its tracking, in as few calls as it can."""

    def test_every_document_is_created_once_with_its_tracking(self, target, ledger):
        documents = list(many(120))
        report = pusher(target, ledger).push(documents)
        assert (1, 120, BatchState.COMPLETE) == (
            report.batch.number,
            report.counts.created,
            report.batch.state,
        )
        assert_exactly_once(target, ledger, documents)

    def test_calls_are_one_schema_read_one_per_new_option_and_one_per_fifty_of_a_kind(
        self, target, ledger
    ):
        documents = list(many(300))
        report = pusher(target, ledger).push(documents)
        per_kind = [sum(1 for d in documents if d.document.kind is k) for k in DocumentKind]
        requests = sum(math.ceil(n / 50) for n in per_kind)
        assert 1 + 3 + requests == report.calls
        assert report.calls == target.total_calls

    def test_each_missing_option_is_created_once_and_named_in_the_messages(self, target, ledger):
        documents = list(many(60))
        report = pusher(target, ledger).push(documents)
        assert ["N0", "N1", "N2"] == sorted(c.option.name for c in report.options_created)
        assert 3 == target.calls["create_option"]
        assert 'Option "N0" created in tracking category "Job".' in messages(
            ledger, target, 1, "D00000"
        )

    def test_a_document_with_a_problem_fails_alone_without_a_call(self, target, ledger):
        documents = [outbound("OK-1"), outbound("BAD-1", region="Perth"), outbound("OK-2")]
        report = pusher(target, ledger).push(documents)
        assert {
            "OK-1": DeliveryStatus.CREATED,
            "BAD-1": DeliveryStatus.FAILED,
            "OK-2": DeliveryStatus.CREATED,
        } == statuses(ledger, target, report.batch.number)
        assert any("Perth" in m for m in messages(ledger, target, 1, "BAD-1"))
        assert ["OK-1", "OK-2"] == sorted(d.source_key for d in target.documents())

    def test_a_broken_mapping_raises_before_anything_is_sent(self, target, ledger):
        broken = attrs.evolve(MAPPING, bindings=(*MAPPING.bindings, MAPPING.bindings[0]))
        with pytest.raises(MappingError):
            Pusher(target=target, ledger=ledger, mapping=broken, fields=FIELDS).push(many(3))
        assert ((), ()) == (target.documents(), ledger.batches(target.tenant_id))

    def test_a_second_copy_of_a_document_in_one_push_is_not_created_twice(self, target, ledger):
        pusher(target, ledger).push([outbound("A"), outbound("A"), outbound("B")])
        assert ["A", "B"] == sorted(d.source_key for d in target.documents())

    def test_a_document_the_engine_cannot_take_fails_alone(self, target, ledger):
        odd = outbound("ODD")
        twice = attrs.evolve(odd.document, lines=(*odd.document.lines, odd.document.lines[0]))
        report = pusher(target, ledger).push([attrs.evolve(odd, document=twice), outbound("B")])
        assert (1, 1) == (report.counts.failed, report.counts.created)


class TestReRuns:
    """A re-run sends nothing unchanged, and updates what changed, in place, by Xero id."""

    def test_a_second_run_is_all_unchanged_with_only_the_schema_read(self, target, ledger):
        documents = list(many(80))
        pusher(target, ledger).push(documents)
        before = target.total_calls
        report = pusher(target, ledger).push(documents)
        assert (2, 80, 1) == (report.batch.number, report.counts.unchanged, report.calls)
        assert before + 1 == target.total_calls

    def test_an_edited_amount_updates_the_existing_document(self, target, ledger):
        documents = [outbound("A"), outbound("B")]
        pusher(target, ledger).push(documents)
        first_id = next(d.xero_id for d in target.documents() if d.source_key == "A")
        documents[0] = outbound("A", amount=Decimal("250.00"))
        report = pusher(target, ledger).push(documents)
        assert {"A": DeliveryStatus.UPDATED, "B": DeliveryStatus.UNCHANGED} == statuses(
            ledger, target, report.batch.number
        )
        assert_exactly_once(target, ledger, documents)
        assert first_id == next(d.xero_id for d in target.documents() if d.source_key == "A")

    def test_edited_tracking_updates_the_existing_document(self, target, ledger):
        pusher(target, ledger).push([outbound("A")])
        moved = [outbound("A", region="South", jobs=("J3", "J4"))]
        report = pusher(target, ledger).push(moved)
        assert 1 == report.counts.updated
        assert_exactly_once(target, ledger, moved)

    def test_a_document_edited_and_edited_back_gets_a_fresh_idempotency_key(self, target, ledger):
        first = [outbound("A")]
        for amount in ("1.00", "2.00", "1.00"):
            edited = [outbound("A", amount=Decimal(amount))]
            pusher(target, ledger).push(edited)
        pusher(target, ledger).push(first)
        assert Decimal("200.00") == target.documents()[0].total
        assert 1 == len(target.documents())

    def test_a_document_rejected_by_xero_is_sent_again_next_time(self, target, ledger):
        documents = [outbound("A", item_code="NOPE"), outbound("B")]
        first = pusher(target, ledger).push(documents)
        assert (1, 1) == (first.counts.failed, first.counts.created)
        assert 'Item code "NOPE" is not valid in Xero.' in messages(ledger, target, 1, "A")
        target.add_item("NOPE")
        second = pusher(target, ledger).push(documents)
        assert (1, 1) == (second.counts.created, second.counts.unchanged)
        assert_exactly_once(target, ledger, documents)


class TestIdempotencyKeys:
    """Keys are short enough for Xero and differ whenever a re-send must not be replayed."""

    @given(
        tenant=st.text(max_size=200),
        key=st.text(max_size=500),
        fingerprint=st.text(max_size=100),
        revision=st.integers(min_value=0, max_value=10**9),
    )
    @settings(max_examples=50)
    def test_a_key_is_never_longer_than_xero_allows(self, tenant, key, fingerprint, revision):
        """Invariant: every Idempotency-Key is at most 128 characters, whatever its inputs."""
        made = idempotency_key(tenant, DocumentKind.BILL, key, fingerprint, revision)
        assert len(made) <= 128

    def test_the_kind_fingerprint_and_revision_each_change_the_key(self):
        base = idempotency_key("t", DocumentKind.BILL, "K", "f", 0)
        others = {
            idempotency_key("t", DocumentKind.SALES_INVOICE, "K", "f", 0),
            idempotency_key("t", DocumentKind.BILL, "K", "g", 0),
            idempotency_key("t", DocumentKind.BILL, "K", "f", 1),
            idempotency_key("u", DocumentKind.BILL, "K", "f", 0),
        }
        assert base not in others
        assert 4 == len(others)


class TestReadBackVerification:
    """Tracking Xero drops silently is a loud failure, and the next run repairs it in place."""

    def test_a_silent_drop_fails_the_document_with_a_message_and_keeps_its_id(self, target, ledger):
        def archive_north(step: str) -> None:
            if step == "before_intent":
                north = target.read_schema().category(REGION).options_named("North")[0]
                target.set_option_status(REGION, north.id, TrackingStatus.ARCHIVED)

        report = pusher(target, ledger, checkpoint=archive_north).push([outbound("A")])
        assert 1 == report.counts.failed
        said = messages(ledger, target, 1, "A")
        assert 'Xero dropped tracking "Region = North" from line 1 of sales invoice "A".' in said
        assert 1 == len(target.documents())
        entry = ledger.entries_for(target.tenant_id, DocumentKind.SALES_INVOICE, ["A"])["A"]
        assert target.documents()[0].xero_id == entry.xero_id

    def test_after_the_option_is_restored_the_next_run_updates_the_same_document(
        self, target, ledger
    ):
        north = target.read_schema().category(REGION).options_named("North")[0]
        target.set_option_status(REGION, north.id, TrackingStatus.ARCHIVED)
        # The pusher read the schema while North was active: simulate with a stale schema.
        target.set_option_status(REGION, north.id, TrackingStatus.ACTIVE)

        def archive(step: str) -> None:
            if step == "before_intent":
                target.set_option_status(REGION, north.id, TrackingStatus.ARCHIVED)

        pusher(target, ledger, checkpoint=archive).push([outbound("A")])
        target.set_option_status(REGION, north.id, TrackingStatus.ACTIVE)
        report = pusher(target, ledger).push([outbound("A")])
        assert 1 == report.counts.updated
        assert_exactly_once(target, ledger, [outbound("A")])

    def test_a_target_that_cannot_echo_fails_the_document_and_keeps_its_id(self, target, ledger):
        """Reading tracking back is the target's duty: an echo of None is never a quiet success."""

        class Mute(WrappedTarget):
            def push(self, items):
                return tuple(attrs.evolve(r, echoed=None) for r in self.inner.push(items))

        report = pusher(Mute(target), ledger).push([outbound("A"), outbound("B")])
        assert (0, 2) == (report.counts.created, report.counts.failed)
        assert "read_documents" not in target.calls  # the pusher reads nothing back itself
        assert "could not be read back" in messages(ledger, target, 1, "A")[-1]
        again = pusher(target, ledger).push([outbound("A"), outbound("B")])
        assert 2 == again.counts.updated
        assert_exactly_once(target, ledger, [outbound("A"), outbound("B")])


class TestWholeRequestRefused:
    """Splitting a request refused as a whole is the target's duty: the pusher never splits."""

    def test_the_pusher_fails_the_request_once_and_never_resends_it_in_parts(self, target, ledger):
        class Strict(WrappedTarget):
            def push(self, items):
                msg = "A validation exception occurred"
                raise RejectedError(msg, messages=("ErrorNumber 14: malformed id",))

        documents = [outbound("A"), outbound("MALFORMED"), outbound("B")]
        counted = Strict(target)
        report = pusher(counted, ledger).push(documents)
        assert (0, 3) == (report.counts.created, report.counts.failed)
        assert 2 == report.calls  # the schema read and ONE request
        assert "ErrorNumber 14: malformed id" in messages(ledger, target, 1, "MALFORMED")
        assert () == ledger.in_doubt(target.tenant_id)


class TestDailyLimit:
    """When the day's calls are spent the push stops cleanly; the next one resumes."""

    def test_the_rest_is_pending_and_the_next_push_finishes_exactly_once(self, ledger):
        target = memory_target(calls_left=1 + 3 + 2)
        documents = list(many(300))
        report = pusher(target, ledger).push(documents)
        assert (BatchState.STOPPED, True) == (report.batch.state, report.stopped)
        assert "daily call limit" in report.batch.note
        assert 100 == report.counts.created
        assert 200 == report.counts.pending
        target.calls_left = None
        resumed = pusher(target, ledger).push(documents)
        assert (200, 100) == (resumed.counts.created, resumed.counts.unchanged)
        assert_exactly_once(target, ledger, documents)

    def test_a_pending_document_says_why_in_plain_words(self, ledger):
        target = memory_target(calls_left=1)
        report = pusher(target, ledger).push([outbound("A")])
        said = messages(ledger, target, report.batch.number, "A")
        assert said[0].startswith("Not sent: Xero's daily call limit")


class TestPolicies:
    """Missing contacts and items: created and reported, or the document rejected, as chosen."""

    def test_missing_contacts_and_items_are_created_and_reported(self, target, ledger):
        policy = DeliveryPolicy(contacts=OnMissing.CREATE, items=OnMissing.CREATE)
        documents = [outbound("A", item_code="CONSULT"), outbound("B", item_code="CONSULT")]
        report = pusher(target, ledger, policy=policy).push(documents)
        assert 2 == report.counts.created
        said = messages(ledger, target, 1, "A")
        assert 'Contact "Acme Ltd" created in Xero.' in said
        assert 'Item "CONSULT" created in Xero.' in said
        assert (1, 1) == (target.calls["create_contact"], target.calls["create_item"])
        assert_exactly_once(target, ledger, documents)

    def test_an_existing_contact_is_used_by_id_and_not_created(self, target, ledger):
        contact_id = target.add_contact("acme ltd")
        policy = DeliveryPolicy(contacts=OnMissing.CREATE)
        pusher(target, ledger, policy=policy).push([outbound("A")])
        assert contact_id == target.documents()[0].body.contact.contact_id
        assert "create_contact" not in target.calls

    def test_rejecting_policies_fail_the_document_before_sending(self, target, ledger):
        policy = DeliveryPolicy(contacts=OnMissing.REJECT, items=OnMissing.REJECT)
        report = pusher(target, ledger, policy=policy).push([outbound("A", item_code="X")])
        said = messages(ledger, target, 1, "A")
        assert 1 == report.counts.failed
        assert any(m.startswith('Contact "Acme Ltd" does not exist in Xero') for m in said)
        assert any(m.startswith('Item "X" does not exist in Xero') for m in said)
        assert () == target.documents()

    def test_a_policy_needs_a_target_that_can_look_things_up(self, ledger):
        class Bare:
            tenant_id = "t"

        with pytest.raises(TargetError, match="cannot find or create"):
            Pusher(
                target=Bare(),  # type: ignore[arg-type]
                ledger=ledger,
                mapping=MAPPING,
                fields=FIELDS,
                policy=DeliveryPolicy(items=OnMissing.CREATE),
            )


class TestProgress:
    """The host's callback sees documents done out of the total, calls made and rate waits."""

    def test_progress_counts_up_to_the_total_and_ends_done(self, target, ledger):
        seen: list[Progress] = []
        documents = list(many(130))
        pusher(target, ledger, progress=seen.append, chunk_size=50).push(documents)
        done = [p.done for p in seen]
        assert done == sorted(done)
        assert (
            Progress(phase=Phase.DONE, done=130, total=130, calls=target.total_calls, batch=1)
            == (seen[-1])
        )

    def test_a_generator_has_no_total(self, target, ledger):
        seen: list[Progress] = []
        pusher(target, ledger, progress=seen.append).push(many(5))
        assert {None} == {p.total for p in seen}

    def test_rate_limit_waits_are_reported_with_their_end(self, ledger):
        waits = RateLimitWaits(sleep=lambda _s: None, clock=lambda: T0)
        seen: list[Progress] = []

        class Slow(WrappedTarget):
            def push(self, items):
                waits(30.0)
                return self.inner.push(items)

        slow = Slow(memory_target())
        pusher(slow, ledger, progress=seen.append, waits=waits).push([outbound("A")])
        waiting = [p for p in seen if p.phase is Phase.WAITING]
        assert [T0 + dt.timedelta(seconds=30)] == [p.waiting_until for p in waiting]
        assert waits.listener is None

    def test_a_progress_line_reads_well(self):
        line = describe_progress(
            Progress(
                phase=Phase.WAITING,
                done=50,
                total=200,
                calls=7,
                batch=3,
                waiting_until=T0,
            )
        )
        assert (
            "batch 3: waiting, 50/200 documents, 7 calls, waiting for the rate limit until 09:00:00"
            == line
        )


class TestStreaming:
    """A generator is consumed a chunk at a time: nothing asks for the whole stream first."""

    def test_the_first_request_goes_out_before_the_stream_is_read_to_its_end(self, target, ledger):
        pulled: list[int] = []
        pulled_at_first_push: list[int] = []
        inner_push = target.push

        def watching_push(items):
            pulled_at_first_push.append(len(pulled))
            return inner_push(items)

        target.push = watching_push

        def stream():
            for item in many(1000):
                pulled.append(1)
                yield item

        pusher(target, ledger, chunk_size=100).push(stream())
        assert 100 == pulled_at_first_push[0]
        assert 1000 == len(pulled)


class TestMessagesOfABatch:
    """Each document of a batch has its status and plain messages (TrackerRMS's batch view)."""

    def test_created_documents_say_where_they_went(self, target, ledger):
        pusher(target, ledger).push([outbound("A")])
        assert ("Created in Xero as INV-0001.",) == messages(ledger, target, 1, "A")

    def test_unchanged_documents_say_they_were_not_sent(self, target, ledger):
        pusher(target, ledger).push([outbound("A")])
        pusher(target, ledger).push([outbound("A")])
        assert ("Unchanged since it was last sent; not sent again.",) == messages(
            ledger, target, 2, "A"
        )

    def test_jobs_bound_by_name_are_created_per_binding_only(self, target, ledger):
        no_create = attrs.evolve(
            MAPPING,
            bindings=(
                MAPPING.bindings[0],
                attrs.evolve(MAPPING.bindings[1], on_unmapped=MAPPING.bindings[0].on_unmapped),
            ),
        )
        pusher_ = Pusher(target=target, ledger=ledger, mapping=no_create, fields=FIELDS)
        report = pusher_.push([outbound("A", jobs=("NEW-JOB",))])
        assert (1, "create_option" in target.calls) == (report.counts.failed, False)
        assert any("NEW-JOB" in m for m in messages(ledger, target, 1, "A"))
        assert JOB == MAPPING.bindings[1].category_id


class TestRateLimitWaitsThroughXero:
    """Xero's minute limit (FakeXero, virtual time) shows as WAITING progress with its end."""

    def test_waits_are_reported(self, ledger):
        clock = VirtualClock()
        with FakeXero(clock=clock, limits=Limits(minute=3)) as fake:
            ids = fake_organisation(fake)
            waits = RateLimitWaits(sleep=clock.sleep, clock=clock.now)
            xero = XeroTarget(fake.sdk_client(), fake.tenant_id, clock=clock.now, sleep=waits)
            seen: list[Progress] = []
            started = clock.now()
            report = Pusher(
                target=xero,
                ledger=ledger,
                mapping=mapping_for(ids["region"], ids["job"]),
                fields=FIELDS,
                progress=seen.append,
                waits=waits,
            ).push(many(120, new_jobs=0))
        waiting = [p for p in seen if p.phase is Phase.WAITING]
        assert 120 == report.counts.created
        assert waiting
        assert all(p.waiting_until > started for p in waiting)
        assert clock.now() >= waiting[-1].waiting_until


class TestBodiesTheTargetCannotBuild:
    """A body the target cannot build fails that document alone, before anything is sent."""

    def test_only_that_document_fails(self, target, ledger):
        class Picky(WrappedTarget):
            def as_sent(self, item):
                if item.key == "ODD":
                    msg = 'Document "ODD" has 2 lines but 3 tracking tuples.'
                    raise DocumentError(msg, document_key="ODD")
                return self.inner.as_sent(item)

        report = pusher(Picky(target), ledger).push([outbound("A"), outbound("ODD")])
        assert (1, 1) == (report.counts.created, report.counts.failed)
        assert ('Document "ODD" has 2 lines but 3 tracking tuples.',) == messages(
            ledger, target, 1, "ODD"
        )
        entry = ledger.entries_for(target.tenant_id, DocumentKind.SALES_INVOICE, ["ODD"])["ODD"]
        assert 0 == entry.revision


class TestOptionRaces:
    """An option refused as a duplicate was made meanwhile (another run, a person): use it."""

    def test_an_option_made_meanwhile_is_used_not_failed(self, target, ledger):
        inner_create = target.create_option

        def create_twice(category_id, name):
            inner_create(category_id, name)  # someone else got there first
            return inner_create(category_id, name)

        target.create_option = create_twice
        report = pusher(target, ledger).push([outbound("A", jobs=("NEW",))])
        assert (1, ()) == (report.counts.created, report.options_created)
        assert 'Option "NEW" found in tracking category "Job" (made meanwhile).' in messages(
            ledger, target, 1, "A"
        )
        assert_exactly_once(target, ledger, [outbound("A", jobs=("NEW",))])

    def test_an_option_that_cannot_be_made_fails_its_documents_only(self, target, ledger):
        def refuse(category_id, name):
            msg = "Option names must be unique"
            raise RejectedError(msg)

        target.create_option = refuse
        report = pusher(target, ledger).push([outbound("A", jobs=("NEW",)), outbound("B")])
        assert (1, 1) == (report.counts.created, report.counts.failed)
        assert (
            'Option "NEW" could not be created in tracking category "Job": Option names must be '
            "unique"
        ) in messages(ledger, target, 1, "A")


class TestLookupsThatFail:
    """A failed read-back or contact lookup stops cleanly: never a quiet success, never lost."""

    class Flaky(WrappedTarget):
        def __init__(self, inner, *, fail: str):
            super().__init__(inner)
            self.fail = fail

        def __getattr__(self, name):
            if name == self.fail:

                def broken(*args, **kwargs):
                    msg = "The connection to Xero failed."
                    raise NetworkError(msg)

                return broken
            return super().__getattr__(name)

        def push(self, items):
            results = self.inner.push(items)
            return tuple(attrs.evolve(r, echoed=None) for r in results)

    def test_a_lost_answer_leaves_the_request_in_doubt_and_xero_is_read(self, target, ledger):
        class Lost(WrappedTarget):
            def push(self, items):
                self.inner.push(items)
                msg = "The connection to Xero failed."
                raise NetworkError(msg)

        documents = [outbound("A"), outbound("B")]
        first = pusher(Lost(target), ledger).push(documents)
        assert (2, 1, True) == (first.counts.pending, first.in_doubt, first.stopped)
        second = pusher(target, ledger).push(documents)
        assert (2, 2) == (second.counts.created, second.recovered)
        assert_exactly_once(target, ledger, documents)

    def test_a_failed_contact_lookup_leaves_the_documents_pending(self, target, ledger):
        policy = DeliveryPolicy(contacts=OnMissing.CREATE)
        flaky = self.Flaky(target, fail="find_contacts")
        report = pusher(flaky, ledger, policy=policy).push([outbound("A")])
        assert (1, "The connection to Xero failed.") == (report.counts.pending, report.batch.note)
        assert () == target.documents()


class TestIsolation:
    """One bad record, document, body or answer among good ones: the good ones are delivered,
    the bad one fails (or is held) alone with a message naming it, and the next push is clean."""

    GOOD = tuple(f"G{n}" for n in range(10))

    def good(self):
        return [outbound(key) for key in self.GOOD]

    def check(self, target, ledger, report, bad_key, said, *, kind=DocumentKind.SALES_INVOICE):
        assert (10, 1) == (report.counts.created, report.counts.failed)
        docs = {(d.kind, d.key): d for d in ledger.batch_documents(target.tenant_id, 1)}
        bad = docs[(kind, bad_key)]
        assert DeliveryStatus.FAILED is bad.status
        assert any(said in m for m in bad.messages), bad.messages
        self.only_the_good_ones(target, ledger)
        again = pusher(target, ledger).push(self.good())
        assert (10, 0, 0) == (again.counts.unchanged, again.counts.created, again.in_doubt)

    def only_the_good_ones(self, target, ledger):
        stored = sorted(d.source_key for d in target.documents())
        assert list(self.GOOD) == stored
        entries = ledger.entries_for(target.tenant_id, DocumentKind.SALES_INVOICE, self.GOOD)
        ids = {d.source_key: d.xero_id for d in target.documents()}
        assert all(entries[k].in_sync and entries[k].xero_id == ids[k] for k in self.GOOD)
        assert () == ledger.in_doubt(target.tenant_id)

    def test_a_record_the_adapter_cannot_read(self, target, ledger):
        from trackmap import SourceAdapter

        class Adapter(SourceAdapter[str]):
            def fields(self):
                return FIELDS

            def document(self, record):
                if record == "broken":
                    msg = "no attribute 'branch'"
                    raise AttributeError(msg)
                return outbound(record).document

            def body(self, record):
                if record == "no body":
                    msg = "its customer was deleted"
                    raise LookupError(msg)
                return outbound(record).body

        records = [*self.GOOD[:5], "broken", "no body", *self.GOOD[5:]]
        report = pusher(target, ledger).push_records(Adapter(), records)
        assert 1 == len(report.unreadable)
        assert "record 'broken'" in report.unreadable[0]
        assert "no attribute 'branch'" in report.unreadable[0]
        self.check(target, ledger, report, "no body", "its customer was deleted")

    def test_a_document_the_engine_refuses_is_attributed_by_kind_and_key(self, target, ledger):
        """A bill "G3" with two lines keyed "1" fails; the valid sales invoice "G3" does not."""
        bad = outbound("G3", kind=DocumentKind.BILL)
        line = bad.document.lines[0]
        bad = attrs.evolve(bad, document=attrs.evolve(bad.document, lines=(line, line)))
        report = pusher(target, ledger).push([*self.good(), bad])
        self.check(target, ledger, report, "G3", "two lines with the key", kind=DocumentKind.BILL)

    def test_a_key_that_is_not_text(self, target, ledger):
        bad = outbound("X")
        bad = attrs.evolve(bad, document=attrs.evolve(bad.document, key=42))
        report = pusher(target, ledger).push([bad, *self.good()])
        self.check(target, ledger, report, "<not text: 42>", "is a int, not text")

    @pytest.mark.parametrize(
        ("quantity", "shown"),
        [
            (Decimal("sNaN"), "Decimal('sNaN')"),
            (Decimal("Infinity"), "Decimal('Infinity')"),
            (Decimal("1e400"), "Decimal('1E+400')"),
            ("two", "'two'"),
        ],
    )
    def test_an_impossible_quantity(self, target, ledger, quantity, shown):
        bad = outbound("BAD")
        lines = (attrs.evolve(bad.body.lines[0], quantity=quantity), *bad.body.lines[1:])
        bad = attrs.evolve(bad, body=attrs.evolve(bad.body, lines=lines))
        report = pusher(target, ledger).push([*self.good()[:4], bad, *self.good()[4:]])
        self.check(target, ledger, report, "BAD", f"Line 1: its quantity {shown}")

    def test_a_lone_surrogate_in_an_echoed_number(self, target, ledger):
        """Xero created it; its number cannot be encoded: it is stored escaped, never lost."""

        class Odd(WrappedTarget):
            def push(self, items):
                return tuple(
                    attrs.evolve(r, number="INV-\ud800") if r.key == "G4" else r
                    for r in self.inner.push(items)
                )

        report = pusher(Odd(target), ledger).push(self.good())
        assert (10, 0) == (report.counts.created, report.in_doubt)
        entry = ledger.entries_for(target.tenant_id, DocumentKind.SALES_INVOICE, ["G4"])["G4"]
        assert "INV-\\ud800" == entry.number
        again = pusher(target, ledger).push(self.good())
        assert 10 == again.counts.unchanged
        assert_exactly_once(target, ledger, self.good())

    def test_an_answer_that_cannot_be_read(self, target, ledger):
        """A result whose echo is not tracking: that document FAILS with its id kept."""

        class Garbled(WrappedTarget):
            def push(self, items):
                return tuple(
                    attrs.evolve(r, echoed=((object(),),)) if r.key == "G2" else r
                    for r in self.inner.push(items)
                )

        report = pusher(Garbled(target), ledger).push(self.good())
        assert (9, 1, 0) == (report.counts.created, report.counts.failed, report.in_doubt)
        assert "could not be read" in " ".join(messages(ledger, target, 1, "G2"))
        again = pusher(target, ledger).push(self.good())
        assert (9, 1) == (again.counts.unchanged, again.counts.updated)
        assert_exactly_once(target, ledger, self.good())

    def test_an_answer_that_leaves_out_a_document_xero_created(self, target, ledger):
        """Xero saved G5 but its answer left it out: it stays in doubt (never FAILED, which
        would create it again), the rest are settled, and the next push finds it in Xero."""

        class Forgetful(WrappedTarget):
            def push(self, items):
                return tuple(r for r in self.inner.push(items) if r.key != "G5")

        report = pusher(Forgetful(target), ledger).push(self.good())
        assert (9, 1, 1) == (report.counts.created, report.counts.pending, report.in_doubt)
        target.forget_answers()
        again = pusher(target, ledger).push(self.good())
        assert (1, 9, 0) == (again.recovered, again.counts.unchanged, again.in_doubt)
        assert_exactly_once(target, ledger, self.good())

    def test_no_exception_but_a_trackmap_error_leaves_a_push(self, target, ledger):
        class Broken(WrappedTarget):
            def read_schema(self):
                raise ZeroDivisionError

        with pytest.raises(TrackmapError, match="unexpected error: ZeroDivisionError"):
            pusher(Broken(target), ledger).push(self.good())


class TestNoSideEffectForWhatIsNotSent:
    """Options are created only for documents that will be sent; a stale mapping blocks only
    the documents whose lines would use the stale option."""

    def test_no_option_is_created_for_a_document_blocked_anyway(self, target, ledger):
        """INV-2 is blocked by an unmapped region: its new job option is not created."""
        documents = [outbound("INV-1"), outbound("INV-2", region="Atlantis", jobs=("J77",))]
        report = pusher(target, ledger).push(documents)
        assert (1, 1, ()) == (report.counts.created, report.counts.failed, report.options_created)
        (job,) = [c for c in target.read_schema().categories if c.id == JOB]
        assert [] == [o for o in job.options if o.name == "J77"]
        assert "create_option" not in target.calls

    def table_mapping(self, target):
        from trackmap._engine._mapping import ByTable, OnUnmapped

        (region,) = [c for c in target.read_schema().categories if c.id == REGION]
        ids = {o.name: o.id for o in region.options}
        table = ByTable(rows={"North": ids["North"], "South": ids["South"]})
        first, second = MAPPING.bindings
        binding = attrs.evolve(first, values=table, on_unmapped=OnUnmapped.ERROR)
        return TrackingMapping(bindings=(binding, second)), ids

    def test_a_stale_option_blocks_only_the_documents_that_use_it(self, target, ledger):
        mapping, ids = self.table_mapping(target)
        target.set_option_status(
            REGION, ids["South"], TrackingStatus.ARCHIVED
        )  # since the settings
        documents = [outbound("N1"), outbound("S1", region="South"), outbound("N2")]
        report = Pusher(target=target, ledger=ledger, mapping=mapping, fields=FIELDS).push(
            documents
        )
        assert {
            "N1": DeliveryStatus.CREATED,
            "S1": DeliveryStatus.FAILED,
            "N2": DeliveryStatus.CREATED,
        } == statuses(ledger, target, report.batch.number)
        said = " ".join(messages(ledger, target, report.batch.number, "S1"))
        assert 'option "South" of tracking category "Region", which was archived in Xero' in said
        assert "trackmap reconcile" in said
        assert ["N1", "N2"] == sorted(d.source_key for d in target.documents())

    def test_any_other_broken_rule_still_stops_the_push(self, target, ledger):
        mapping, ids = self.table_mapping(target)
        target.set_option_status(REGION, ids["South"], TrackingStatus.ARCHIVED)
        broken = attrs.evolve(mapping, bindings=(*mapping.bindings, mapping.bindings[0]))
        with pytest.raises(MappingError):
            Pusher(target=target, ledger=ledger, mapping=broken, fields=FIELDS).push(
                [outbound("N1")]
            )
        assert () == target.documents()
