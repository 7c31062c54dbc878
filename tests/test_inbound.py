"""Tests for the inbound side: pulling documents since a cursor, and options as reference data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackmap._engine._approvals import ApprovalMatrix, ApprovalRule, ApprovalStep, route_approvals
from trackmap._engine._document import DocumentKind
from trackmap._engine._match import (
    Entity,
    TrackedDocument,
    TrackedLine,
    match_documents,
)
from trackmap._engine._reference import OptionChangeKind, OptionSnapshot
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingSchema
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._inbound import (
    PullCursor,
    pull_documents,
    sync_reference_data,
    tracked_document,
)
from trackmap._sync._target import (
    DeliveryStatus,
    DocumentPage,
    PushItem,
    RemoteDocument,
    RemoteLine,
    Target,
    TrackingEntry,
)
from trackmap.errors import SettingsError, TargetError
from trackmap.testing._fakexero import FakeXero, VirtualClock
from trackmap.xero import XeroTarget

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
INVOICE, BILL = DocumentKind.SALES_INVOICE, DocumentKind.BILL


def remote(xero_id: str, minutes: int, *options: str, kind=BILL) -> RemoteDocument:
    lines = tuple(
        RemoteLine(
            description=f"line {i}",
            line_amount=Decimal(10),
            tracking=(
                TrackingEntry(
                    category_id="cat-p", category_name="Project", option_id=None, option_name=o
                ),
            ),
        )
        for i, o in enumerate(options)
    )
    return RemoteDocument(
        kind=kind,
        xero_id=xero_id,
        status="AUTHORISED",
        updated_at=T0 + dt.timedelta(minutes=minutes),
        number=f"N-{xero_id}",
        lines=lines,
    )


@attrs.define
class PagedTarget:
    """A tiny Target: scripted pages per kind, every read recorded."""

    pages: dict[DocumentKind, list[DocumentPage]] = attrs.field(factory=dict)
    schema: TrackingSchema = attrs.field(factory=TrackingSchema)
    reads: list[tuple[DocumentKind, dt.datetime | None, int]] = attrs.field(factory=list)

    @property
    def tenant_id(self) -> str:
        return "tenant-1"

    def read_schema(self) -> TrackingSchema:
        return self.schema

    def create_option(self, category_id, name):
        raise NotImplementedError

    def push(self, items):
        raise NotImplementedError

    def read_documents(self, kind, *, ids=None, modified_since=None, page=1) -> DocumentPage:
        self.reads.append((kind, modified_since, page))
        return self.pages.get(kind, [DocumentPage(documents=())])[page - 1]

    def read_statuses(self, kind, ids):
        raise NotImplementedError


class TestPullDocuments:
    """Pulling pages through the Target protocol, with a cursor."""

    def test_the_fake_is_a_target(self):
        assert isinstance(PagedTarget(), Target)

    def test_pages_every_default_kind_and_returns_the_latest_time(self):
        target = PagedTarget(
            pages={
                BILL: [
                    DocumentPage(documents=(remote("b1", 5, "Alpha"),), next_page=2),
                    DocumentPage(documents=(remote("b2", 9, "Beta"),)),
                ],
                INVOICE: [DocumentPage(documents=(remote("i1", 7, "Alpha", kind=INVOICE),))],
            }
        )
        pulled = pull_documents(target, since=T0)
        assert [(INVOICE, T0, 1), (BILL, T0, 1), (BILL, T0, 2)] == target.reads
        assert (["i1", "b1", "b2"], T0 + dt.timedelta(minutes=9), 3) == (
            [d.key for d in pulled.documents],
            pulled.cursor.at,
            pulled.pages,
        )

    def test_nothing_new_keeps_the_cursor(self):
        pulled = pull_documents(PagedTarget(), since=T0)
        assert ((), T0) == (pulled.documents, pulled.cursor.at)

    def test_first_pull_without_a_cursor(self):
        pulled = pull_documents(PagedTarget(), [BILL])
        assert (None, 1) == (pulled.cursor, pulled.pages)

    def test_a_naive_cursor_is_taken_as_utc(self):
        target = PagedTarget()
        pull_documents(target, [BILL], since=dt.datetime(2026, 11, 1, 9, 0))  # noqa: DTZ001
        assert [(BILL, T0, 1)] == target.reads

    def test_a_document_seen_on_two_pages_is_kept_once_as_last_read(self):
        newer = attrs.evolve(remote("b1", 8, "Beta"))
        target = PagedTarget(
            pages={
                BILL: [
                    DocumentPage(documents=(remote("b1", 5, "Alpha"),), next_page=2),
                    DocumentPage(documents=(newer,)),
                ]
            }
        )
        pulled = pull_documents(target, [BILL])
        assert (newer,) == pulled.remote

    def test_a_target_paging_backwards_is_stopped(self):
        looping = [DocumentPage(documents=(), next_page=1)]
        with pytest.raises(TargetError, match="page 1 of bills with next page 1"):
            pull_documents(PagedTarget(pages={BILL: looping}), [BILL])

    def test_tracked_document_keeps_the_line_tracking(self):
        assert TrackedDocument(
            key="b1",
            kind=BILL,
            label="N-b1",
            lines=(
                TrackedLine(
                    key="1",
                    tracking=(
                        TrackingEntry(
                            category_id="cat-p", category_name="Project", option_name="A"
                        ),
                    ),
                ),
            ),
        ) == tracked_document(remote("b1", 0, "A"))


class TestSyncReferenceData:
    """Options mirrored sync after sync, through the target."""

    def test_first_sync_then_a_new_option_and_a_rename(self):
        def schema(*options):
            return TrackingSchema(
                categories=(TrackingCategory(id="cat-d", name="Department", options=options),)
            )

        target = PagedTarget(schema=schema(TrackingOption(id="o1", name="Ops")))
        first = sync_reference_data(target, "cat-d")
        stored = first.cursor.dump()
        target.schema = schema(
            TrackingOption(id="o1", name="Operations"), TrackingOption(id="o2", name="HR")
        )
        second = sync_reference_data(target, "cat-d", cursor=OptionSnapshot.load(stored))
        assert [(OptionChangeKind.ADDED, "o1")] == [(c.kind, c.option_id) for c in first.changes]
        assert [(OptionChangeKind.RENAMED, "o1"), (OptionChangeKind.ADDED, "o2")] == [
            (c.kind, c.option_id) for c in second.changes
        ]


# --- against FakeXero, through the real SDK and XeroTarget ----------------------------------


@pytest.fixture
def fake():
    with FakeXero(clock=VirtualClock(start=T0)) as running:
        yield running


@pytest.fixture
def target(fake):
    return XeroTarget(
        fake.sdk_client(), fake.tenant_id, clock=fake.clock.now, sleep=fake.clock.sleep
    )


def bill_item(key: str, *entries: TrackingEntry | None) -> PushItem:
    body = DocumentBody(
        contact=ContactRef(name="Acme Supplies"),
        date=dt.date(2026, 11, 1),
        lines=[
            BodyLine(description=f"line {i}", unit_amount=Decimal(100), account_code="400")
            for i in range(len(entries))
        ],
        number=key,
    )
    tracking = tuple((e,) if e else () for e in entries)
    return PushItem(key=key, kind=BILL, body=body, tracking=tracking, idempotency_key=f"k-{key}")


class TestAgainstFakeXero:
    """Scoro and ApprovalMax over real HTTP: push bills, pull them back, match and route them."""

    def test_pull_match_and_route_pulled_bills(self, fake, target):
        project = fake.add_category("Project", options=["Fitout Kitchen", "Office Move"])
        options = {o.name: o for o in target.read_schema().category(project).options}

        def on(name):
            return TrackingEntry(
                category_id=project,
                category_name="Project",
                option_id=options[name].id,
                option_name=name,
            )

        results = target.push(
            [
                bill_item("B-1", on("Fitout Kitchen"), None),
                bill_item("B-2", on("Office Move"), on("Fitout Kitchen")),
                bill_item("B-3", None),
            ]
        )
        assert [DeliveryStatus.CREATED] * 3 == [r.status for r in results]

        pulled = pull_documents(target)
        entities = [Entity(key="p1", name="fitout  kitchen"), Entity(key="p2", name="Office Move")]
        report = match_documents(pulled.documents, entities, project)
        assert (["B-1"], ["B-3"], ["B-2"]) == (
            [pulled_label(pulled, r.document_key) for r in report.matched],
            [pulled_label(pulled, r.document_key) for r in report.unmatched],
            [pulled_label(pulled, r.document_key) for r in report.conflicts],
        )
        assert "p1" == report.matched[0].entity.key
        again = match_documents(pull_documents(target).documents, entities, project)
        assert report == again  # a re-pull matches every document the same way

        matrix = ApprovalMatrix(
            steps=[
                ApprovalStep(
                    name="Managers",
                    rules=[
                        ApprovalRule(
                            approvers=["Daniel"],
                            category_id=project,
                            options=[options["Office Move"].id],
                        )
                    ],
                    default_approvers=["Fiona"],
                )
            ]
        )
        approvers = {d.label: route_approvals(matrix, d).steps[0].names for d in pulled.documents}
        assert {"B-1": ("Fiona",), "B-2": ("Daniel",), "B-3": ("Fiona",)} == approvers

    def test_the_cursor_returns_only_what_changed(self, fake, target):
        project = fake.add_category("Project", options=["Office Move"])
        option = target.read_schema().category(project).options[0]
        entry = TrackingEntry(
            category_id=project,
            category_name="Project",
            option_id=option.id,
            option_name=option.name,
        )
        target.push([bill_item("B-1", entry)])
        first = pull_documents(target, [BILL])
        fake.clock.advance(60)
        [result] = target.push([bill_item("B-2", entry)])
        second = pull_documents(target, [BILL], since=first.cursor)
        third = pull_documents(target, [BILL], since=second.cursor)
        assert (["B-1"], ["B-2"], []) == (
            [d.label for d in first.documents],
            [d.label for d in second.documents],
            [d.label for d in third.documents],
        )
        assert result.xero_id == second.documents[0].key

    def test_paging_through_more_than_a_page(self, fake, target):
        target.push([bill_item(f"B-{n:03d}", None) for n in range(1, 121)])
        pulled = pull_documents(target, [BILL])
        assert (120, 2) == (len({d.key for d in pulled.documents}), pulled.pages)

    def test_reference_data_from_fakexero(self, fake, target):
        department = fake.add_category("Department", options=["Sales", "Ops"])
        first = sync_reference_data(target, department)
        ops = next(o for o in first.cursor.options if o.name == "Ops")
        fake.rename_option(department, ops.id, "Operations")
        fake.add_option(department, "HR")
        second = sync_reference_data(target, department, cursor=first.cursor)
        # Changes come in the organisation's option order (FakeXero sorts options by name).
        assert [
            (OptionChangeKind.ADDED, "HR", None),
            (OptionChangeKind.RENAMED, "Operations", "Ops"),
        ] == [(c.kind, c.name, c.old_name) for c in second.changes]


def pulled_label(pulled, key: str) -> str:
    return next(d.label for d in pulled.documents if d.key == key)


# --- the cursor: every document version exactly once across pulls, ties included ------------


@attrs.define
class SavingTarget:
    """Documents saved at chosen instants; ``If-Modified-Since`` inclusive or exclusive (Xero
    does not say which), with the time compared at whole seconds or exactly."""

    inclusive: bool = False
    whole_seconds: bool = False
    docs: dict[str, RemoteDocument] = attrs.field(factory=dict)

    @property
    def tenant_id(self) -> str:
        return "tenant-1"

    def save(self, xero_id: str, at: dt.datetime) -> None:
        self.docs[xero_id] = attrs.evolve(remote(xero_id, 0), updated_at=at)

    def read_documents(self, kind, *, ids=None, modified_since=None, page=1) -> DocumentPage:
        since = modified_since
        if since is not None and self.whole_seconds:
            since = since.replace(microsecond=0)

        def wanted(d: RemoteDocument) -> bool:
            if since is None:
                return True
            return d.updated_at >= since if self.inclusive else d.updated_at > since

        chosen = sorted(
            (d for d in self.docs.values() if d.kind is kind and wanted(d)),
            key=lambda d: (d.updated_at, d.xero_id),
        )
        return DocumentPage(documents=tuple(chosen))


class TestCursorWithoutAGap:
    """A document saved in the same instant as the newest one pulled is pulled next time."""

    def test_a_bill_saved_at_the_cursors_instant_is_not_lost_against_fakexero(self, fake, target):
        target.push([bill_item("B-1", None)])
        first = pull_documents(target, [BILL])
        # Saved after the pull, in the same (virtual) instant: same UpdatedDateUTC.
        target.push([bill_item("B-2", None)])
        second = pull_documents(target, [BILL], since=first.cursor)
        third = pull_documents(target, [BILL], since=second.cursor)
        assert (["B-1"], ["B-2"], []) == (
            [d.label for d in first.documents],
            [d.label for d in second.documents],
            [d.label for d in third.documents],
        )

    def test_a_stored_cursor_reads_back_equal(self):
        cursor = PullCursor(at=T0, seen=[(BILL, "b1", T0), (INVOICE, "i1", T0)])
        assert cursor == PullCursor.load(cursor.dump())

    @pytest.mark.parametrize(
        "data",
        [None, {}, {"version": 1}, {"version": 1, "at": "noon", "seen": []}, {"version": 9}],
    )
    def test_anything_else_is_a_settings_error(self, data):
        with pytest.raises(SettingsError, match="pull cursor"):
            PullCursor.load(data)

    def test_a_bare_datetime_reads_what_changed_after_it(self):
        target = SavingTarget(inclusive=True)
        target.save("b1", T0)
        target.save("b2", T0 + dt.timedelta(seconds=1))
        pulled = pull_documents(target, [BILL], since=T0)
        assert ["b2"] == [d.key for d in pulled.documents]

    @settings(max_examples=200)
    @given(
        inclusive=st.booleans(),
        whole_seconds=st.booleans(),
        steps=st.lists(
            st.one_of(
                st.tuples(st.just("save"), st.sampled_from("abcde"), st.integers(0, 3)),
                st.tuples(st.just("pull"), st.just(""), st.just(0)),
            ),
            max_size=30,
        ),
    )
    def test_every_version_exactly_once_across_pulls(self, inclusive, whole_seconds, steps):
        """For any saves (ties, same-instant re-saves of other documents) between pulls, on
        a target reading If-Modified-Since either way: each saved version is pulled exactly
        once, and nothing is pulled that was not saved."""
        target = SavingTarget(inclusive=inclusive, whole_seconds=whole_seconds)
        now = T0 + dt.timedelta(microseconds=250_000)
        saved: list[tuple[str, dt.datetime]] = []
        pulled: list[tuple[str, dt.datetime]] = []
        cursor = None
        for action, xero_id, later in [*steps, ("pull", "", 0)]:
            if action == "save":
                now += dt.timedelta(milliseconds=400 * later)  # 0: the same instant
                if target.docs.get(xero_id) is None or target.docs[xero_id].updated_at < now:
                    target.save(xero_id, now)
                    saved.append((xero_id, now))
                continue
            visible = {(d.xero_id, d.updated_at) for d in target.docs.values()}
            result = pull_documents(target, [BILL], since=cursor)
            pulled.extend((d.xero_id, d.updated_at) for d in result.remote)
            cursor = result.cursor
            assert visible <= set(pulled)  # nothing visible at a pull is left behind
        # A version overwritten before any pull saw it is not there to be pulled.
        expected = {v for v in saved if target.docs[v[0]].updated_at == v[1] or v in pulled}
        assert sorted(expected) == sorted(pulled)
        assert len(set(pulled)) == len(pulled)
