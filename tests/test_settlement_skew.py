"""Settlement when the pushing machine's clock and Xero's disagree.

An in-doubt request (Xero created its documents, the answer was lost) is settled by reading
the documents Xero changed since the intent was written, less a margin (`SETTLE_MARGIN`, 15
minutes). The intent's time comes from the pushing machine's clock; Xero filters and stamps
documents with its own. Here the machine's clock (the pusher's and the XeroTarget's: one
machine) runs ahead of or behind FakeXero's `VirtualClock` by less and by more than the margin,
the lost request is each kind's in turn (bills, purchase orders, sales invoices, and numbered
sales invoices, which are settled by number), and the re-run comes after FakeXero forgot its
Idempotency-Keys. The verdict every time: each document once in Xero with its tracking, the
ledger agreeing, the lost request's documents reported as recovered (created), none held.
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import http.client
import urllib.parse

import attrs
import pytest

from delivery_kit import (
    FIELDS,
    WrappedTarget,
    assert_exactly_once_in_fake,
    fake_documents,
    fake_organisation,
    many,
    mapping_for,
)
from trackmap._engine._document import DocumentKind
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._plan import SETTLE_MARGIN, widened
from trackmap._sync._push import Pusher
from trackmap._sync._target import DeliveryStatus, KnowsXeroClock
from trackmap.testing._fakexero import FakeXero, Limits
from trackmap.xero._calls import _date_header
from trackmap.xero._target import XeroTarget

MINUTE = dt.timedelta(minutes=1)
#: The machine's clock minus Xero's: within the margin, just over it, and far over it.
SKEWS = [-6 * 60, -60, -20, -5, 0, 5, 14, 16, 20, 60, 6 * 60]
#: Requests go by kind (bill, purchase order, sales invoice): the n-th after_send is that kind's.
LOST = {1: DocumentKind.BILL, 2: DocumentKind.PURCHASE_ORDER, 3: DocumentKind.SALES_INVOICE}


class Crash(BaseException):
    """A process death right after Xero answered (the answer is never recorded)."""


def crash_after_send(hit: int):
    seen = collections.Counter()

    def checkpoint(step: str) -> None:
        seen[step] += 1
        if step == "after_send" and seen[step] == hit:
            raise Crash(hit)

    return checkpoint


def numbered(documents):
    """The documents with a number on each sales invoice's body (settled by number)."""
    return [
        attrs.evolve(o, body=attrs.evolve(o.body, number=f"T-{o.document.key}"))
        if o.document.kind is DocumentKind.SALES_INVOICE
        else o
        for o in documents
    ]


class Unmeasured(WrappedTarget):
    """A target that does not know Xero's clock (as trackmap before it measured it)."""

    def __getattr__(self, name):
        if name == "clock_offset":
            raise AttributeError(name)
        return super().__getattr__(name)


@attrs.define
class Machine:
    """The pushing machine: its clock is Xero's plus ``skew``; it keeps one ledger file."""

    fake: FakeXero
    skew: dt.timedelta
    path: object
    ids: dict[str, str]

    def now(self) -> dt.datetime:
        return self.fake.clock.now() + self.skew

    measures: bool = True

    def push(self, documents, checkpoint=None):
        target = XeroTarget(
            self.fake.sdk_client(), self.fake.tenant_id, clock=self.now, sleep=self.fake.clock.sleep
        )
        if not self.measures:
            target = Unmeasured(target)
        with SqliteLedger(self.path, clock=self.now) as ledger:
            return Pusher(
                target=target,
                ledger=ledger,
                mapping=mapping_for(self.ids["region"], self.ids["job"]),
                fields=FIELDS,
                clock=self.now,
                checkpoint=checkpoint,
            ).push(documents)


@pytest.fixture
def fake():
    with FakeXero(limits=Limits(minute=10_000, day=10_000)) as organisation:
        yield organisation


def lost_then_rerun(fake, tmp_path, skew_minutes, hit, documents):
    machine = Machine(
        fake=fake,
        skew=skew_minutes * MINUTE,
        path=tmp_path / "ledger.db",
        ids=fake_organisation(fake),
    )
    with pytest.raises(Crash):
        machine.push(documents, crash_after_send(hit))
    with SqliteLedger(machine.path) as ledger:
        (intent,) = ledger.in_doubt(fake.tenant_id)
    assert LOST[hit] is intent.kind
    fake.clock.advance(fake.limits.idempotency_seconds + 3600)  # keys forgotten, an hour later
    report = machine.push(documents)
    return machine, report


def assert_settled_exactly_once(fake, machine, report, documents, hit):
    stored = collections.Counter((kind, doc["Reference"]) for kind, doc in fake_documents(fake))
    assert [] == [ident for ident, count in stored.items() if count > 1]  # no duplicate
    with SqliteLedger(machine.path) as ledger:
        assert_exactly_once_in_fake(fake, ledger, fake.tenant_id, documents)
        statuses = collections.Counter(
            (d.kind, d.status) for d in ledger.batch_documents(fake.tenant_id, report.batch.number)
        )
    assert (20, 0, 0) == (report.recovered, report.counts.held, report.in_doubt)
    # The lost request's documents were created by it: reported so, never "unchanged".
    assert 20 == statuses[(LOST[hit], DeliveryStatus.CREATED)]
    assert 0 == statuses[(LOST[hit], DeliveryStatus.UNCHANGED)]


class TestSkewedClocks:
    """Settlement reads by Xero's clock, whatever the pushing machine's clock says."""

    @pytest.mark.parametrize("hit", sorted(LOST), ids=[k.value for k in LOST.values()])
    @pytest.mark.parametrize("skew", SKEWS, ids=[f"{s:+}min" for s in SKEWS])
    def test_a_lost_request_is_settled_exactly_once(self, fake, tmp_path, skew, hit):
        documents = list(many(60, new_jobs=0))
        machine, report = lost_then_rerun(fake, tmp_path, skew, hit, documents)
        assert_settled_exactly_once(fake, machine, report, documents, hit)

    @pytest.mark.parametrize("skew", SKEWS, ids=[f"{s:+}min" for s in SKEWS])
    def test_numbered_invoices_are_found_by_number_not_held(self, fake, tmp_path, skew):
        documents = numbered(many(60, new_jobs=0))
        machine, report = lost_then_rerun(fake, tmp_path, skew, 3, documents)
        assert_settled_exactly_once(fake, machine, report, documents, 3)
        by_number = [r for r in fake.requests if "InvoiceNumbers" in r.query]
        assert 1 == len(by_number)

    def test_the_skews_straddle_the_margin(self):
        assert SETTLE_MARGIN == 15 * MINUTE
        assert min(SKEWS) * MINUTE < -SETTLE_MARGIN < max(SKEWS) * MINUTE
        assert [s for s in SKEWS if s * MINUTE > SETTLE_MARGIN]
        assert [s for s in SKEWS if 0 < s and s * MINUTE < SETTLE_MARGIN]


#: (skew at the lost request, skew at the re-run), in minutes: the machine's clock was put
#: right (or went wrong) between the crash and the re-run, as a reboot's time sync does.
MOVES = [(60, 0), (0, 60), (0, -60), (-60, 0), (60, -60), (-60, 60), (360, 0)]


class TestTheClockMovesBetweenCrashAndRerun:
    """An intent is stamped with Xero's time (the offset measured on Xero's answers), so a
    machine clock put right, or gone wrong, before the re-run changes nothing."""

    @pytest.mark.parametrize("hit", sorted(LOST), ids=[k.value for k in LOST.values()])
    @pytest.mark.parametrize("move", MOVES, ids=[f"{a:+}to{b:+}min" for a, b in MOVES])
    def test_a_lost_request_is_settled_exactly_once(self, fake, tmp_path, move, hit):
        before, after = move
        documents = list(many(60, new_jobs=0))
        machine = Machine(
            fake=fake, skew=before * MINUTE, path=tmp_path / "l.db", ids=fake_organisation(fake)
        )
        with pytest.raises(Crash):
            machine.push(documents, crash_after_send(hit))
        fake.clock.advance(fake.limits.idempotency_seconds + 3600)
        machine.skew = after * MINUTE
        report = machine.push(documents)
        assert_settled_exactly_once(fake, machine, report, documents, hit)

    @pytest.mark.parametrize("move", MOVES, ids=[f"{a:+}to{b:+}min" for a, b in MOVES])
    def test_numbered_invoices_are_found_by_number(self, fake, tmp_path, move):
        before, after = move
        documents = numbered(many(60, new_jobs=0))
        machine = Machine(
            fake=fake, skew=before * MINUTE, path=tmp_path / "l.db", ids=fake_organisation(fake)
        )
        with pytest.raises(Crash):
            machine.push(documents, crash_after_send(3))
        fake.clock.advance(fake.limits.idempotency_seconds + 3600)
        machine.skew = after * MINUTE
        report = machine.push(documents)
        assert_settled_exactly_once(fake, machine, report, documents, 3)

    def test_the_intent_carries_xeros_time(self, fake, tmp_path):
        machine = Machine(
            fake=fake, skew=60 * MINUTE, path=tmp_path / "l.db", ids=fake_organisation(fake)
        )
        with pytest.raises(Crash):
            machine.push(list(many(60, new_jobs=0)), crash_after_send(1))
        with SqliteLedger(machine.path) as ledger:
            (intent,) = ledger.in_doubt(fake.tenant_id)
        # The Date header has whole seconds: Xero's time, to within one second.
        assert abs(intent.written_at - fake.clock.now()) <= dt.timedelta(seconds=1)


class TestIntentsStampedByTheMachinesClock:
    """An intent stamped by the machine's clock alone (written by a target that did not
    measure Xero's clock, such as trackmap before it did): the re-run's measured offset widens
    the margin, so a machine still ahead of Xero finds what the lost request created."""

    @pytest.mark.parametrize("hit", sorted(LOST), ids=[k.value for k in LOST.values()])
    @pytest.mark.parametrize("skew", [20, 60, 360], ids=["+20min", "+60min", "+360min"])
    def test_a_lost_request_is_settled_exactly_once(self, fake, tmp_path, skew, hit):
        documents = list(many(60, new_jobs=0))
        machine = Machine(
            fake=fake, skew=skew * MINUTE, path=tmp_path / "l.db", ids=fake_organisation(fake)
        )
        machine.measures = False
        with pytest.raises(Crash):
            machine.push(documents, crash_after_send(hit))
        with SqliteLedger(machine.path) as ledger:
            (intent,) = ledger.in_doubt(fake.tenant_id)
        assert intent.written_at - fake.clock.now() == skew * MINUTE  # the machine's time
        fake.clock.advance(fake.limits.idempotency_seconds + 3600)
        machine.measures = True
        report = machine.push(documents)
        assert_settled_exactly_once(fake, machine, report, documents, hit)

    @pytest.mark.parametrize("skew", [20, 60, 360], ids=["+20min", "+60min", "+360min"])
    def test_numbered_invoices_are_found_by_number(self, fake, tmp_path, skew):
        documents = numbered(many(60, new_jobs=0))
        machine = Machine(
            fake=fake, skew=skew * MINUTE, path=tmp_path / "l.db", ids=fake_organisation(fake)
        )
        machine.measures = False
        with pytest.raises(Crash):
            machine.push(documents, crash_after_send(3))
        fake.clock.advance(fake.limits.idempotency_seconds + 3600)
        machine.measures = True
        report = machine.push(documents)
        assert_settled_exactly_once(fake, machine, report, documents, 3)


class TestWidened:
    """The margin grows by how far this machine is ahead of Xero, and never shrinks."""

    @pytest.mark.parametrize(
        ("offset", "expected"),
        [(None, 15), (dt.timedelta(0), 15), (20 * MINUTE, 35), (-20 * MINUTE, 15)],
    )
    def test_widened(self, offset, expected):
        assert expected * MINUTE == widened(SETTLE_MARGIN, offset)


class TestXeroClock:
    """XeroTarget measures this machine's clock against the Date of Xero's answers, which
    FakeXero dates by its own clock."""

    @pytest.mark.parametrize("skew", [-90, 0, 20])
    def test_the_offset_is_measured_on_every_answer(self, fake, skew):
        now = lambda: fake.clock.now() + skew * MINUTE  # noqa: E731 - a clock
        target = XeroTarget(fake.sdk_client(), fake.tenant_id, clock=now, sleep=fake.clock.sleep)
        assert target.clock_offset is None  # nothing answered yet
        target.read_schema()
        assert abs(target.clock_offset - skew * MINUTE) <= dt.timedelta(seconds=1)
        assert isinstance(target, KnowsXeroClock)

    def test_fakexeros_date_is_its_clock(self, fake):
        fake.clock.advance(86_400 * 30)
        address = urllib.parse.urlsplit(fake.base_url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request("GET", address.path + "/TrackingCategories")  # any answer is dated
        date = connection.getresponse().getheader("Date")
        connection.close()
        moment = email.utils.parsedate_to_datetime(date)
        assert abs(moment - fake.clock.now()) <= dt.timedelta(seconds=1)

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            (
                {"Date": "Tue, 01 Dec 2026 11:49:36 GMT"},
                dt.datetime(2026, 12, 1, 11, 49, 36, tzinfo=dt.UTC),
            ),
            (
                [("date", "Tue, 01 Dec 2026 11:49:36 GMT")],
                dt.datetime(2026, 12, 1, 11, 49, 36, tzinfo=dt.UTC),
            ),
            (
                {"Date": "Tue, 01 Dec 2026 11:49:36 -0000"},
                dt.datetime(2026, 12, 1, 11, 49, 36, tzinfo=dt.UTC),
            ),
            ({"Date": "yesterday"}, None),
            ({}, None),
            (None, None),
        ],
        ids=["mapping", "pairs", "no-zone", "garbage", "absent", "none"],
    )
    def test_the_date_header_is_read_or_ignored(self, headers, expected):
        assert expected == _date_header(headers)
