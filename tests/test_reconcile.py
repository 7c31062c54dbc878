"""Tests for reconciliation: the organisation's schema changed under a saved mapping."""

from __future__ import annotations

import json

import attrs
from hypothesis import given
from hypothesis import strategies as st

from strategies import documents, field_specs, valid_mappings
from strategies import schemas as public_schemas
from trackmap._cli import main
from trackmap._config import dump_schema, dumps_mapping
from trackmap._engine._mapping import Binding, ByName, ByTable, TrackingMapping
from trackmap._engine._reconcile import DriftChange, DriftFix, DriftOutcome, DriftUsage, reconcile
from trackmap._engine._resolve import resolve
from trackmap._engine._rules import check_mapping, compile_mapping
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)

ARCHIVED = TrackingStatus.ARCHIVED
DELETED = TrackingStatus.DELETED


def region(
    *options: TrackingOption, name: str = "Region", status: TrackingStatus = TrackingStatus.ACTIVE
):
    return TrackingCategory(id="cat-region", name=name, status=status, options=options)


def option(
    option_id: str, name: str, status: TrackingStatus = TrackingStatus.ACTIVE
) -> TrackingOption:
    return TrackingOption(id=option_id, name=name, status=status)


PERTH = option("opt-perth", "Perth")
SYDNEY = option("opt-sydney", "Sydney")
OLD = TrackingSchema(categories=(region(PERTH, SYDNEY),))
TABLE_MAPPING = TrackingMapping(
    bindings=(
        Binding(
            category_id="cat-region",
            category_name="Region",
            sources=("stage_manager",),
            values=ByTable(rows={"Ann": "opt-perth", "Bob": "opt-sydney", "Cy": None}),
            default_option_id="opt-sydney",
        ),
    )
)
NAME_MAPPING = TrackingMapping(
    bindings=(Binding(category_id="cat-region", category_name="Region", sources=("branch",)),)
)


def only(items):
    assert 1 == len(items)
    return items[0]


class TestClassification:
    """Each kind of drift is classified, with the outcome and fixes the issue asks for."""

    def test_unchanged_schema_reports_no_change(self):
        plan = reconcile(TABLE_MAPPING, OLD, OLD)
        assert () == plan.changes
        assert plan.ok
        assert [
            DriftUsage.CATEGORY,
            DriftUsage.TABLE_ROW,
            DriftUsage.TABLE_ROW,
            DriftUsage.DEFAULT,
        ] == [i.usage for i in plan.items]

    def test_renamed_category_keeps_working(self):
        new = TrackingSchema(categories=(region(PERTH, SYDNEY, name="Area"),))
        item = only(reconcile(TABLE_MAPPING, OLD, new).changes)
        assert (DriftChange.RENAMED, DriftOutcome.KEEPS_WORKING, ()) == (
            item.drift.change,
            item.outcome,
            item.fixes,
        )
        assert (
            'Binding 1 ("Region"): category "Region" was renamed to "Area" in Xero; '
            "the mapping holds its id, so it keeps working."
        ) == item.message

    def test_renamed_option_keeps_working(self):
        new = TrackingSchema(categories=(region(option("opt-perth", "Perth CBD"), SYDNEY),))
        plan = reconcile(TABLE_MAPPING, OLD, new)
        item = only(plan.changes)
        assert (DriftChange.RENAMED, "Perth", "Perth CBD") == (
            item.drift.change,
            item.drift.old_name,
            item.drift.new_name,
        )
        assert plan.ok

    def test_archived_table_option_needs_a_person(self):
        new = TrackingSchema(categories=(region(option("opt-perth", "Perth", ARCHIVED), SYDNEY),))
        plan = reconcile(TABLE_MAPPING, OLD, new)
        item = only(plan.needs_person)
        assert (DriftUsage.TABLE_ROW, "Ann", DriftChange.ARCHIVED) == (
            item.usage,
            item.value,
            item.drift.change,
        )
        assert (
            DriftFix.PICK_ANOTHER_OPTION,
            DriftFix.RESTORE_IN_XERO,
            DriftFix.REMOVE_ROW,
        ) == item.fixes
        assert (
            'Binding 1 ("Region"): option "Perth" (the table row for "Ann") was archived in '
            "Xero; pick another option, restore it in Xero or remove the row."
        ) == item.message
        assert not plan.ok

    def test_deleted_option_cannot_be_restored(self):
        new = TrackingSchema(categories=(region(PERTH),))
        plan = reconcile(TABLE_MAPPING, OLD, new)
        assert [
            (DriftUsage.TABLE_ROW, DriftChange.DELETED),
            (DriftUsage.DEFAULT, DriftChange.DELETED),
        ] == [(i.usage, i.drift.change) for i in plan.needs_person]
        assert [
            (DriftFix.PICK_ANOTHER_OPTION, DriftFix.REMOVE_ROW),
            (DriftFix.PICK_ANOTHER_OPTION, DriftFix.CLEAR_DEFAULT),
        ] == [i.fixes for i in plan.needs_person]

    def test_option_with_deleted_status_is_deleted(self):
        new = TrackingSchema(categories=(region(PERTH, option("opt-sydney", "Sydney", DELETED)),))
        plan = reconcile(TABLE_MAPPING, OLD, new)
        assert [DriftChange.DELETED, DriftChange.DELETED] == [
            i.drift.change for i in plan.needs_person
        ]

    def test_archived_and_renamed_says_both(self):
        new = TrackingSchema(
            categories=(region(PERTH, option("opt-sydney", "Sydney old", ARCHIVED)),)
        )
        item = reconcile(TABLE_MAPPING, OLD, new).needs_person[-1]
        assert (DriftUsage.DEFAULT, True) == (item.usage, item.drift.renamed)
        assert (
            'Binding 1 ("Region"): default option "Sydney" was archived and renamed to '
            '"Sydney old" in Xero; pick another option, restore it in Xero or clear the default.'
        ) == item.message

    def test_restored_option_keeps_working(self):
        old = TrackingSchema(categories=(region(option("opt-perth", "Perth", ARCHIVED), SYDNEY),))
        item = only(reconcile(TABLE_MAPPING, old, OLD).changes)
        assert (DriftChange.RESTORED, DriftOutcome.KEEPS_WORKING) == (
            item.drift.change,
            item.outcome,
        )

    def test_option_new_in_xero(self):
        old = TrackingSchema(categories=(region(SYDNEY),))
        item = only(reconcile(TABLE_MAPPING, old, OLD).changes)
        assert (DriftChange.NEW, DriftOutcome.KEEPS_WORKING, "Ann") == (
            item.drift.change,
            item.outcome,
            item.value,
        )

    def test_archived_category(self):
        new = TrackingSchema(categories=(region(PERTH, SYDNEY, status=ARCHIVED),))
        item = only(reconcile(TABLE_MAPPING, OLD, new).needs_person)
        assert (DriftUsage.CATEGORY, DriftChange.ARCHIVED) == (item.usage, item.drift.change)
        assert (
            DriftFix.RESTORE_IN_XERO,
            DriftFix.BIND_ANOTHER_CATEGORY,
            DriftFix.REMOVE_BINDING,
        ) == item.fixes

    def test_deleted_category_breaks_every_reference(self):
        plan = reconcile(TABLE_MAPPING, OLD, TrackingSchema())
        assert [DriftChange.DELETED] * 4 == [i.drift.change for i in plan.needs_person]
        assert (DriftFix.BIND_ANOTHER_CATEGORY, DriftFix.REMOVE_BINDING) == plan.needs_person[
            0
        ].fixes

    def test_already_archived_is_not_a_change_but_still_needs_a_person(self):
        old = TrackingSchema(categories=(region(option("opt-perth", "Perth", ARCHIVED), SYDNEY),))
        plan = reconcile(TABLE_MAPPING, old, old)
        item = only(plan.needs_person)
        assert ((), DriftChange.UNCHANGED) == (plan.changes, item.drift.change)
        assert item.message.startswith(
            'Binding 1 ("Region"): option "Perth" (the table row for "Ann") is archived in Xero;'
        )

    def test_missing_in_both_schemas_is_reported(self):
        mapping = TrackingMapping(bindings=(Binding(category_id="cat-gone", category_name="Job"),))
        item = only(reconcile(mapping, OLD, OLD).needs_person)
        assert (
            'Binding 1 ("Job"): category "cat-gone" does not exist in Xero; '
            "bind another category or remove the binding."
        ) == item.message


class TestByNameBindings:
    """A by-name binding reaches options through host values: changes there ask for a review."""

    def test_renamed_option_asks_to_review_host_values(self):
        new = TrackingSchema(categories=(region(option("opt-perth", "Perth CBD"), SYDNEY),))
        plan = reconcile(NAME_MAPPING, OLD, new)
        item = only(plan.review)
        assert (DriftUsage.NAMED_OPTION, DriftChange.RENAMED, (DriftFix.UPDATE_HOST_VALUES,)) == (
            item.usage,
            item.drift.change,
            item.fixes,
        )
        assert plan.ok

    def test_review_message_names_the_host_values(self):
        new = TrackingSchema(categories=(region(option("opt-perth", "Perth CBD"), SYDNEY),))
        item = only(reconcile(NAME_MAPPING, OLD, new).review)
        assert (
            'Binding 1 ("Region"): option "Perth" was renamed to "Perth CBD" in Xero; host values '
            '"Perth" no longer match it; update those host values.'
        ) == item.message

    def test_archived_option_can_be_restored_or_host_values_updated(self):
        new = TrackingSchema(categories=(region(PERTH, option("opt-sydney", "Sydney", ARCHIVED)),))
        item = only(reconcile(NAME_MAPPING, OLD, new).review)
        assert (DriftFix.RESTORE_IN_XERO, DriftFix.UPDATE_HOST_VALUES) == item.fixes

    def test_new_option_now_matches(self):
        new = TrackingSchema(categories=(region(PERTH, SYDNEY, option("opt-hobart", "Hobart")),))
        item = only(reconcile(NAME_MAPPING, OLD, new).changes)
        assert (DriftChange.NEW, DriftOutcome.KEEPS_WORKING) == (item.drift.change, item.outcome)
        assert (
            'Binding 1 ("Region"): option "Hobart" is new in Xero; '
            "host values that name it now match."
        ) == item.message

    def test_unchanged_options_are_not_listed(self):
        assert [DriftUsage.CATEGORY] == [i.usage for i in reconcile(NAME_MAPPING, OLD, OLD).items]


# --- properties ------------------------------------------------------------------------------

NAMES = st.text(alphabet="abXY -", min_size=1, max_size=6)


@st.composite
def schemas(draw) -> TrackingSchema:
    categories = []
    for c in range(draw(st.integers(0, 3))):
        options = [
            TrackingOption(
                id=f"c{c}o{o}", name=draw(NAMES), status=draw(st.sampled_from(TrackingStatus))
            )
            for o in range(draw(st.integers(0, 4)))
        ]
        status = draw(st.sampled_from(TrackingStatus))
        categories.append(
            TrackingCategory(id=f"c{c}", name=draw(NAMES), status=status, options=options)
        )
    return TrackingSchema(categories=categories)


@st.composite
def mappings(draw, schema: TrackingSchema) -> TrackingMapping:
    category_ids = [c.id for c in schema.categories] + ["c-missing"]
    bindings = []
    for category_id in draw(st.lists(st.sampled_from(category_ids), max_size=3, unique=True)):
        category = schema.category(category_id)
        option_ids = [o.id for o in category.options] if category else []
        option_ids.append("o-missing")
        targets = st.one_of(st.none(), st.sampled_from(option_ids))
        table = draw(st.dictionaries(NAMES, targets, max_size=3))
        values = draw(st.sampled_from([ByName(), ByTable(rows=table)]))
        default = draw(targets)
        bindings.append(Binding(category_id=category_id, values=values, default_option_id=default))
    return TrackingMapping(bindings=bindings)


def renamed(data: st.DataObject, schema: TrackingSchema) -> TrackingSchema:
    def rename(named):
        return attrs.evolve(named, name=data.draw(NAMES)) if data.draw(st.booleans()) else named

    return TrackingSchema(
        categories=[
            attrs.evolve(rename(c), options=[rename(o) for o in c.options])
            for c in schema.categories
        ]
    )


class TestProperties:
    """Invariants of reconciliation over arbitrary schemas and mappings."""

    @given(st.data())
    def test_schema_against_itself_reports_nothing(self, data):
        """For any schema S and mapping M, reconcile(M, S, S) has no changes and no review."""
        schema = data.draw(schemas())
        plan = reconcile(data.draw(mappings(schema)), schema, schema)
        assert ((), ()) == (plan.changes, plan.review)

    @given(st.data())
    def test_renames_keep_every_binding_working(self, data):
        """After any sequence of renames, each step and the whole are RENAMED/UNCHANGED only, and
        every reference that was usable before keeps working (by-name ones at most ask a review)."""
        schemas_seen = [data.draw(schemas())]
        mapping = data.draw(mappings(schemas_seen[0]))
        for _ in range(data.draw(st.integers(1, 4))):
            schemas_seen.append(renamed(data, schemas_seen[-1]))
        plan = reconcile(mapping, schemas_seen[0], schemas_seen[-1])
        before = reconcile(mapping, schemas_seen[0], schemas_seen[0])
        assert {DriftChange.UNCHANGED, DriftChange.RENAMED} >= {i.drift.change for i in plan.items}
        assert [
            i.outcome is DriftOutcome.NEEDS_PERSON
            for i in before.items
            if i.usage is not DriftUsage.NAMED_OPTION
        ] == [
            i.outcome is DriftOutcome.NEEDS_PERSON
            for i in plan.items
            if i.usage is not DriftUsage.NAMED_OPTION
        ]

    @given(st.data())
    def test_every_reference_is_classified_once(self, data):
        """Every category, table row and default of the mapping appears exactly once, in order."""
        old, new = data.draw(schemas()), data.draw(schemas())
        mapping = data.draw(mappings(old))
        expected = []
        for index, binding in enumerate(mapping.bindings):
            expected.append((index, DriftUsage.CATEGORY))
            if isinstance(binding.values, ByTable):
                expected += [
                    (index, DriftUsage.TABLE_ROW) for r in binding.values.rows if r.option_id
                ]
            if binding.default_option_id is not None:
                expected.append((index, DriftUsage.DEFAULT))
        plan = reconcile(mapping, old, new)
        actual = [
            (i.binding, i.usage) for i in plan.items if i.usage is not DriftUsage.NAMED_OPTION
        ]
        assert expected == actual

    @given(st.data())
    def test_needs_person_iff_unusable(self, data):
        """An id-held reference needs a person exactly when the new schema cannot use it."""
        old, new = data.draw(schemas()), data.draw(schemas())
        plan = reconcile(data.draw(mappings(old)), old, new)
        for item in plan.items:
            if item.usage is not DriftUsage.NAMED_OPTION:
                assert (item.drift.new_status is not TrackingStatus.ACTIVE) == (
                    item.outcome is DriftOutcome.NEEDS_PERSON
                )


def fresh_names(data: st.DataObject, schema: TrackingSchema, round_: int) -> TrackingSchema:
    """Rename some categories and options to names no other one has (no collision is made)."""

    def rename(named):
        if not data.draw(st.booleans()):
            return named
        return attrs.evolve(named, name=f"{named.name} ({named.id} r{round_})")

    return attrs.evolve(
        schema,
        categories=[
            attrs.evolve(rename(c), options=[rename(o) for o in c.options])
            for c in schema.categories
        ],
    )


class TestRenamesAgainstTheEngine:
    """Renames in Xero, checked against compile and resolve rather than against reconcile."""

    @given(st.data())
    def test_a_valid_mapping_stays_valid_and_table_bindings_send_the_same(self, data):
        """For a mapping that compiles against S, after any sequence of renames (to fresh names):
        check_mapping still finds nothing, reconcile says it is ok, and every table binding
        resolves every document to the same option ids as before."""
        schema = data.draw(public_schemas(tracking_on=True))
        fields = data.draw(field_specs(min_size=1))
        mapping = data.draw(valid_mappings(schema, fields, min_size=1))
        renamed = schema
        for round_ in range(data.draw(st.integers(1, 3))):
            renamed = fresh_names(data, renamed, round_)
        assert () == check_mapping(mapping, renamed, fields)
        assert reconcile(mapping, schema, renamed).ok
        tables = {b.category_id for b in mapping.bindings if isinstance(b.values, ByTable)}
        before, after = (
            compile_mapping(mapping, schema, fields),
            compile_mapping(mapping, renamed, fields),
        )
        for document in data.draw(st.lists(documents(fields), max_size=3)):
            assert sent_by_tables(resolve(before, document), tables) == sent_by_tables(
                resolve(after, document), tables
            )


def sent_by_tables(resolution, tables) -> list[list[tuple[str, str | None]]]:
    return [
        [(a.category_id, a.option_id) for a in line.assignments if a.category_id in tables]
        for line in resolution.lines
    ]


# --- the command ----------------------------------------------------------------------------


class TestReconcileCommand:
    """`trackmap reconcile SETTINGS --old OLD --new NEW` prints the plan."""

    def write(self, tmp_path, mapping, old, new):
        paths = {name: tmp_path / f"{name}.json" for name in ("settings", "old", "new")}
        paths["settings"].write_text(dumps_mapping(mapping), encoding="utf-8")
        paths["old"].write_text(json.dumps(dump_schema(old)), encoding="utf-8")
        paths["new"].write_text(json.dumps(dump_schema(new)), encoding="utf-8")
        settings, old_path, new_path = (str(paths[n]) for n in ("settings", "old", "new"))
        return ["reconcile", settings, "--old", old_path, "--new", new_path]

    def test_needs_a_person(self, tmp_path, capsys):
        perth = option("opt-perth", "Perth", ARCHIVED)
        new = TrackingSchema(categories=(region(perth, option("opt-sydney", "Syd")),))
        code = main(self.write(tmp_path, TABLE_MAPPING, OLD, new))
        renamed = 'option "Sydney" (the table row for "Bob") was renamed to "Syd" in Xero'
        kept = "the mapping holds its id, so it keeps working."
        to_syd = 'was renamed to "Syd" in Xero'
        verdict = "fix them before the next send."
        archived = 'option "Perth" (the table row for "Ann") was archived in Xero'
        fixes = "pick another option, restore it in Xero or remove the row."
        expected = [
            "Keeps working (2):",
            f'  - Binding 1 ("Region"): {renamed}; {kept}',
            f'  - Binding 1 ("Region"): default option "Sydney" {to_syd}; {kept}',
            "Needs a person (1):",
            f'  - Binding 1 ("Region"): {archived}; {fixes}',
            f"4 references: 1 unchanged, 3 changed, 1 needs a person; {verdict}",
        ]
        assert (1, expected) == (code, capsys.readouterr().out.splitlines())

    def test_nothing_changed(self, tmp_path, capsys):
        code = main(self.write(tmp_path, TABLE_MAPPING, OLD, OLD))
        summary = "4 references: 4 unchanged, 0 changed, 0 need a person; "
        expected = [summary + "the settings work as they are."]
        assert (0, expected) == (code, capsys.readouterr().out.splitlines())

    def test_a_missing_file_is_a_sentence(self, tmp_path, capsys):
        argv = self.write(tmp_path, TABLE_MAPPING, OLD, OLD)
        argv[-1] = str(tmp_path / "nope.json")
        assert 3 == main(argv)  # exit code 3: a file cannot be read
        assert capsys.readouterr().err.startswith("trackmap reconcile: The schema file ")
