"""Tests for options as host reference data (Scoro's accounting objects) and their cursor."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._reference import (
    OptionChange,
    OptionChangeKind,
    OptionSnapshot,
    option_changes,
    snapshot_options,
)
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import SettingsError, SettingsProblem

ADDED, RENAMED, ARCHIVED, DELETED, RESTORED = OptionChangeKind


def diff_options(old_schema, new_schema, category_id):
    """The option changes between two schemas: `option_changes` since the old one's cursor."""
    return option_changes(new_schema, category_id, since=snapshot_options(old_schema, category_id))


def department(
    *options: TrackingOption, status: TrackingStatus = TrackingStatus.ACTIVE
) -> TrackingSchema:
    category = TrackingCategory(id="cat-dept", name="Department", status=status, options=options)
    return TrackingSchema(categories=(category,))


def option(
    option_id: str, name: str, status: TrackingStatus = TrackingStatus.ACTIVE
) -> TrackingOption:
    return TrackingOption(id=option_id, name=name, status=status)


SALES = option("o-sales", "Sales")
OPS = option("o-ops", "Ops")
BEFORE = department(SALES, OPS)


def kinds(changes) -> list[tuple[OptionChangeKind, str]]:
    return [(c.kind, c.option_id) for c in changes.changes]


class TestScoroScenario:
    """Xero options mirrored as the host's reference data, sync after sync."""

    def test_first_sync_adds_every_option(self):
        changes = option_changes(BEFORE, "cat-dept")
        assert [(ADDED, "o-sales"), (ADDED, "o-ops")] == kinds(changes)
        assert (SALES, OPS) == changes.cursor.options

    def test_new_option_appears_on_the_next_sync(self):
        first = option_changes(BEFORE, "cat-dept")
        now = department(SALES, OPS, option("o-hr", "HR"))
        second = option_changes(now, "cat-dept", since=first.cursor)
        assert (
            OptionChange(kind=ADDED, option_id="o-hr", name="HR", status=TrackingStatus.ACTIVE),
        ) == second.changes

    def test_rename_is_a_rename_with_the_same_id(self):
        now = department(SALES, option("o-ops", "Operations"))
        changes = diff_options(BEFORE, now, "cat-dept")
        assert (
            OptionChange(
                kind=RENAMED,
                option_id="o-ops",
                name="Operations",
                status=TrackingStatus.ACTIVE,
                old_name="Ops",
            ),
        ) == changes.changes
        assert ((), ()) == (changes.added, changes.deleted)
        assert 'Department option "Ops" was renamed to "Operations".' == changes.changes[0].message(
            "Department"
        )

    def test_nothing_changed_reports_nothing(self):
        first = option_changes(BEFORE, "cat-dept")
        assert () == option_changes(BEFORE, "cat-dept", since=first.cursor).changes

    def test_archive_delete_and_restore(self):
        archived = department(SALES, option("o-ops", "Ops", TrackingStatus.ARCHIVED))
        assert [(ARCHIVED, "o-ops")] == kinds(diff_options(BEFORE, archived, "cat-dept"))
        assert [(RESTORED, "o-ops")] == kinds(diff_options(archived, BEFORE, "cat-dept"))
        assert [(DELETED, "o-ops")] == kinds(diff_options(BEFORE, department(SALES), "cat-dept"))

    def test_deleted_status_counts_as_deleted(self):
        now = department(SALES, option("o-ops", "Ops", TrackingStatus.DELETED))
        changes = diff_options(BEFORE, now, "cat-dept")
        assert [(DELETED, "o-ops")] == kinds(changes)
        assert (SALES,) == changes.cursor.options

    def test_rename_and_archive_at_once_is_two_changes_rename_first(self):
        now = department(SALES, option("o-ops", "Ops old", TrackingStatus.ARCHIVED))
        assert [(RENAMED, "o-ops"), (ARCHIVED, "o-ops")] == kinds(
            diff_options(BEFORE, now, "cat-dept")
        )

    def test_category_gone_deletes_every_option(self):
        changes = diff_options(BEFORE, TrackingSchema(), "cat-dept")
        assert (None, "Department") == (changes.category_status, changes.category_name)
        assert [(DELETED, "o-sales"), (DELETED, "o-ops")] == kinds(changes)

    def test_archived_category_is_reported(self):
        changes = diff_options(
            BEFORE, department(SALES, OPS, status=TrackingStatus.ARCHIVED), "cat-dept"
        )
        assert (TrackingStatus.ARCHIVED, ()) == (changes.category_status, changes.changes)

    def test_switching_category_replaces_the_mirror(self):
        region = TrackingCategory(id="cat-region", name="Region", options=(option("o-n", "N"),))
        now = TrackingSchema(categories=(*BEFORE.categories, region))
        changes = option_changes(now, "cat-region", since=snapshot_options(BEFORE, "cat-dept"))
        assert [(ADDED, "o-n"), (DELETED, "o-sales"), (DELETED, "o-ops")] == kinds(changes)


class TestSnapshotFormat:
    """The cursor is a JSON-able value that loads back, refusing anything else with paths."""

    def test_dump(self):
        assert {
            "version": 1,
            "category_id": "cat-dept",
            "category_name": "Department",
            "options": [
                {"id": "o-sales", "name": "Sales", "status": "ACTIVE"},
                {"id": "o-ops", "name": "Ops", "status": "ACTIVE"},
            ],
        } == snapshot_options(BEFORE, "cat-dept").dump()

    def test_every_problem_is_reported_with_its_path(self):
        data = {
            "version": 2,
            "category_id": 7,
            "category_name": "Department",
            "colour": "red",
            "options": [{"id": "o", "name": "N", "status": "GONE"}, "x"],
        }
        with pytest.raises(SettingsError) as caught:
            OptionSnapshot.load(data)
        assert (
            SettingsProblem("$.version", "unknown snapshot version 2; expected 1"),
            SettingsProblem("$.colour", "is not a snapshot field"),
            SettingsProblem("$.category_id", "must be text, not 7"),
            SettingsProblem(
                "$.options[0].status", "must be ACTIVE, ARCHIVED or DELETED, not 'GONE'"
            ),
            SettingsProblem("$.options[1]", "an option must be an object"),
        ) == caught.value.problems

    @pytest.mark.parametrize("data", [None, [], "snapshot", {"version": 1, "options": "abc"}])
    def test_not_a_snapshot(self, data):
        with pytest.raises(SettingsError):
            OptionSnapshot.load(data)


NAMES = st.text(alphabet="abcXY -", min_size=1, max_size=6)


@st.composite
def option_lists(draw) -> tuple[TrackingOption, ...]:
    ids = draw(st.lists(st.sampled_from([f"o{i}" for i in range(8)]), unique=True, max_size=8))
    return tuple(
        TrackingOption(id=i, name=draw(NAMES), status=draw(st.sampled_from(TrackingStatus)))
        for i in ids
    )


def mirror_of(options) -> dict[str, tuple[str, TrackingStatus]]:
    return {o.id: (o.name, o.status) for o in options if o.status is not TrackingStatus.DELETED}


def apply(
    mirror: dict[str, tuple[str, TrackingStatus]], changes
) -> dict[str, tuple[str, TrackingStatus]]:
    result = dict(mirror)
    for change in changes:
        if change.kind is DELETED:
            del result[change.option_id]
        else:
            result[change.option_id] = (change.name, change.status)
    return result


class TestProperties:
    """Invariants of option changes and of the cursor."""

    @given(option_lists(), option_lists())
    def test_applying_the_changes_reproduces_the_new_options(self, before, after):
        """A host mirror of the old options, with every change applied by id, equals the new."""
        changes = diff_options(department(*before), department(*after), "cat-dept")
        assert mirror_of(after) == apply(mirror_of(before), changes.changes)

    @given(option_lists(), option_lists())
    def test_renames_are_never_delete_plus_add(self, before, after):
        """No option id is both ADDED and DELETED, and every RENAMED keeps its id."""
        changes = diff_options(department(*before), department(*after), "cat-dept")
        assert set() == {c.option_id for c in changes.added} & {
            c.option_id for c in changes.deleted
        }
        assert all(c.old_name != c.name for c in changes.renamed)

    @given(option_lists())
    def test_a_schema_against_itself_has_no_changes(self, options):
        """diff_options(S, S) is empty for any S."""
        assert () == diff_options(department(*options), department(*options), "cat-dept").changes

    @given(option_lists(), NAMES)
    def test_cursor_round_trips_through_json(self, options, name):
        """load(json(dump(c))) == c for any cursor c."""
        cursor = attrs.evolve(
            snapshot_options(department(*options), "cat-dept"), category_name=name
        )
        assert cursor == OptionSnapshot.load(json.loads(json.dumps(cursor.dump())))
