"""Tests for trackmap._engine._rules: check_mapping, compile_mapping and their rules."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import field_specs, mappings, schemas, valid_mappings
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    Split,
    TableRow,
    TrackingMapping,
)
from trackmap._engine._names import normalise
from trackmap._engine._rules import check_mapping, compile_mapping
from trackmap._engine._schema import (
    Capabilities,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import MappingError, TrackingDisabledError

FIELDS = (
    FieldSpec(name="branch", level=FieldLevel.DOCUMENT, label="Branch"),
    FieldSpec(name="job_number", level=FieldLevel.DOCUMENT, label="Job number"),
    FieldSpec(name="job_po", level=FieldLevel.DOCUMENT, label="Job PO number"),
    FieldSpec(name="stage_manager", level=FieldLevel.LINE, label="Stage manager"),
)

REGION = TrackingCategory(
    id="region",
    name="Region",
    options=(
        TrackingOption(id="perth", name="Perth"),
        TrackingOption(id="perth-cbd", name="Perth CBD", status=TrackingStatus.ARCHIVED),
        TrackingOption(id="darwin", name="Darwin", status=TrackingStatus.DELETED),
        TrackingOption(id="sydney", name="Sydney"),
    ),
)
JOB = TrackingCategory(id="job", name="Job", options=(TrackingOption(id="j100", name="J100"),))
DEPT = TrackingCategory(id="dept", name="Department", options=())
OLD = TrackingCategory(id="old", name="Old", status=TrackingStatus.ARCHIVED)
GONE = TrackingCategory(id="gone", name="Gone", status=TrackingStatus.DELETED)
SCHEMA = TrackingSchema(categories=(REGION, JOB, DEPT, OLD, GONE))


def codes(mapping: TrackingMapping, schema: TrackingSchema = SCHEMA) -> list[str]:
    return [v.code for v in check_mapping(mapping, schema, FIELDS)]


def mapping(*bindings: Binding) -> TrackingMapping:
    return TrackingMapping(bindings=bindings)


class TestStreamtimeRules:
    """Rules 1-3 and 6, as Streamtime's help page states them."""

    def test_two_fields_on_one_category_are_rejected(self):
        m = mapping(
            Binding(category_id="job", sources=("job_number",)),
            Binding(category_id="job", sources=("job_po",)),
        )
        with pytest.raises(MappingError) as caught:
            compile_mapping(m, SCHEMA, FIELDS)
        [violation] = caught.value.violations
        assert ("category_bound_twice", 1) == (violation.code, violation.binding)
        assert violation.message == (
            'Binding 2 ("Job"): the category is already fed by binding 1; two fields may never '
            "feed one tracking category, so remove one of the two bindings."
        )

    def test_one_field_on_two_categories_is_accepted(self):
        m = mapping(
            Binding(category_id="job", sources=("job_number",)),
            Binding(category_id="region", sources=("job_number",)),
        )
        compiled = compile_mapping(m, SCHEMA, FIELDS)
        assert ["job", "region"] == [b.category_id for b in compiled.bindings]

    def test_a_third_category_is_rejected(self):
        m = mapping(
            Binding(category_id="job", sources=("job_number",)),
            Binding(category_id="region", sources=("branch",)),
            Binding(category_id="dept", sources=("branch",)),
        )
        violations = check_mapping(m, SCHEMA, FIELDS)
        assert [("too_many_categories", 2)] == [(v.code, v.binding) for v in violations]
        assert "at most 2 tracking categories" in violations[0].message

    def test_the_category_limit_is_a_capability_setting(self):
        schema = TrackingSchema(
            categories=(REGION, JOB, DEPT), capabilities=Capabilities(active_categories=3)
        )
        m = mapping(
            Binding(category_id="job", sources=("job_number",)),
            Binding(category_id="region", sources=("branch",)),
            Binding(category_id="dept", sources=("branch",)),
        )
        assert [] == codes(m, schema)

    def test_tracking_off_in_xero_is_reported_as_such(self):
        schema = TrackingSchema(categories=(OLD,))
        m = mapping(Binding(category_id="old", sources=("branch",)))
        with pytest.raises(TrackingDisabledError) as caught:
            compile_mapping(m, schema, FIELDS)
        assert ["tracking_off"] == [v.code for v in caught.value.violations]
        message = str(caught.value)
        assert "Tracking is switched off in this Xero organisation" in message
        assert "Tracking categories by adding a category or restoring" in message

    def test_tracking_off_still_lists_the_other_problems(self):
        m = mapping(Binding(category_id="old", sources=("nope",)))
        with pytest.raises(TrackingDisabledError) as caught:
            compile_mapping(m, TrackingSchema(), FIELDS)
        assert ["tracking_off", "unknown_field"] == [v.code for v in caught.value.violations]
        first, also = str(caught.value).splitlines()[:2]
        assert first.startswith("Tracking is switched off in this Xero organisation")
        assert "The mapping also has these problems:" == also

    def test_an_empty_mapping_is_valid_even_with_tracking_off(self):
        compiled = compile_mapping(TrackingMapping(), TrackingSchema(), FIELDS)
        assert () == compiled.bindings


class TestCategoriesAndOptions:
    """Rule 4: bound categories, table targets and defaults exist and are ACTIVE."""

    def test_missing_archived_and_deleted_categories_are_distinct(self):
        m = mapping(
            Binding(category_id="nowhere", category_name="Cost centre"),
            Binding(category_id="old"),
        )
        schema = TrackingSchema(categories=(*SCHEMA.categories,))
        assert ["category_missing", "category_archived"] == codes(m, schema)
        assert ["category_deleted"] == codes(mapping(Binding(category_id="gone")))

    def test_an_archived_table_target_names_binding_value_and_option(self):
        m = mapping(
            Binding(category_id="job", sources=("job_number",)),
            Binding(
                category_id="region",
                sources=("stage_manager",),
                values=ByTable(rows={"Perth": "perth-cbd", "Sydney": "sydney"}),
            ),
        )
        [violation] = check_mapping(m, SCHEMA, FIELDS)
        assert violation.message == (
            'Binding 2 ("Region"): the table row for "Perth" points at option "Perth CBD", '
            "which is archived in Xero; pick another option or restore it in Xero."
        )
        assert ("option_archived", "Perth", "perth-cbd") == (
            violation.code,
            violation.value,
            violation.option_id,
        )

    def test_a_default_pointing_at_an_archived_option_is_a_violation(self):
        m = mapping(Binding(category_id="region", default_option_id="perth-cbd"))
        [violation] = check_mapping(m, SCHEMA, FIELDS)
        assert ("option_archived", None) == (violation.code, violation.value)
        assert 'the default is option "Perth CBD", which is archived' in violation.message

    def test_deleted_and_missing_options_are_distinct(self):
        rows = {"Darwin": "darwin", "Hobart": "hobart"}
        m = mapping(Binding(category_id="region", values=ByTable(rows=rows)))
        assert ["option_deleted", "option_missing"] == codes(m)

    def test_an_option_of_another_category_is_missing(self):
        m = mapping(Binding(category_id="job", default_option_id="perth"))
        assert ["option_missing"] == codes(m)


class TestFieldsAndTables:
    """Rules 5 and 7: declared source fields; table keys distinct and not blank."""

    def test_an_unknown_field_is_named(self):
        m = mapping(Binding(category_id="job", sources=("job_number", "manager", "manager")))
        [violation] = check_mapping(m, SCHEMA, FIELDS)
        assert ("unknown_field", "manager") == (violation.code, violation.field)
        assert 'field "manager" is not one the host offers' in violation.message

    def test_table_keys_that_collide_after_normalisation_are_rejected(self):
        rows = (
            TableRow(value="North West", option_id="perth"),
            TableRow(value=" north  WEST", option_id="sydney"),
        )
        m = mapping(Binding(category_id="region", values=ByTable(rows=rows)))
        [violation] = check_mapping(m, SCHEMA, FIELDS)
        assert ("table_key_collision", " north  WEST") == (violation.code, violation.value)

    def test_a_row_repeated_exactly_is_a_collision(self):
        rows = (TableRow(value="Ann", option_id=None), TableRow(value="Ann", option_id="perth"))
        assert ["table_key_collision"] == codes(
            mapping(Binding(category_id="region", values=ByTable(rows=rows)))
        )

    def test_a_blank_table_key_is_rejected(self):
        rows = (TableRow(value="  ", option_id="perth"),)
        assert ["table_key_blank"] == codes(
            mapping(Binding(category_id="region", values=ByTable(rows=rows)))
        )


class TestUnmappedSettings:
    """Rule 8: ``on_unmapped`` fits the binding."""

    def test_create_needs_a_by_name_binding(self):
        m = mapping(Binding(category_id="region", values=ByTable(), on_unmapped=OnUnmapped.CREATE))
        assert ["create_needs_by_name"] == codes(m)

    def test_default_needs_a_default_option(self):
        m = mapping(Binding(category_id="region", on_unmapped=OnUnmapped.DEFAULT))
        assert ["default_needed"] == codes(m)


class TestNameCollisions:
    """Rule 9: a by-name binding needs unambiguous active option names."""

    COLLIDING = TrackingCategory(
        id="c",
        name="Branch",
        options=(
            TrackingOption(id="a", name="North West"),
            TrackingOption(id="b", name="north  west "),
            TrackingOption(id="c", name="Perth"),
            TrackingOption(id="d", name="PERTH", status=TrackingStatus.ARCHIVED),
        ),
    )
    SCHEMA = TrackingSchema(categories=(COLLIDING,))

    def test_active_collisions_make_a_by_name_binding_ambiguous(self):
        m = mapping(Binding(category_id="c", sources=("branch",), values=ByName()))
        [violation] = check_mapping(m, self.SCHEMA, FIELDS)
        assert "option_names_collide" == violation.code
        assert 'the active options "North West", "north  west " have the same name' in (
            violation.message
        )

    def test_a_table_binding_is_not_ambiguous(self):
        m = mapping(Binding(category_id="c", values=ByTable(rows={"x": "a"})))
        assert [] == codes(m, self.SCHEMA)


class TestAllAtOnce:
    """Every violation is reported at once, in binding order."""

    def test_every_violation_is_listed(self):
        m = mapping(
            Binding(category_id="region", sources=("nope",), default_option_id="darwin"),
            Binding(category_id="region", on_unmapped=OnUnmapped.DEFAULT),
            Binding(category_id="old"),
        )
        with pytest.raises(MappingError) as caught:
            compile_mapping(m, SCHEMA, FIELDS)
        expected = [
            ("unknown_field", 0),
            ("option_deleted", 0),
            ("category_bound_twice", 1),
            ("default_needed", 1),
            ("too_many_categories", 2),
            ("category_archived", 2),
        ]
        assert expected == [(v.code, v.binding) for v in caught.value.violations]
        assert str(caught.value).startswith("The tracking mapping has 6 problems:\n  - Binding 1")


class TestLargeCategories:
    """Compiling against a category of many archived options indexes only the active ones."""

    def test_archived_options_stay_out_of_the_name_index(self):
        options = tuple(
            TrackingOption(id=f"o{n}", name=f"Job {n}", status=TrackingStatus.ARCHIVED)
            for n in range(2000)
        )
        big = TrackingCategory(
            id="big", name="Big", options=(*options, TrackingOption(id="x", name="Job X"))
        )
        m = mapping(Binding(category_id="big", sources=("job_number",)))
        compiled = compile_mapping(m, TrackingSchema(categories=(big,)), FIELDS)
        [binding] = compiled.bindings
        assert (["job x"], 1) == (list(binding.names), binding.active_options)
        assert "o7" == binding.inactive_named("JOB 7").id

    def test_a_table_binding_counts_active_options_only_when_asked(self):
        """A table binding creates nothing: its compile neither indexes nor counts options."""
        options = tuple(
            TrackingOption(id=f"o{n}", name=f"Job {n}", status=list(TrackingStatus)[n % 3])
            for n in range(30)
        )
        big = TrackingCategory(id="big", name="Big", options=options)
        rows = ByTable(rows={"Ann": "o0"})
        m = mapping(Binding(category_id="big", sources=("job_number",), values=rows))
        compiled = compile_mapping(m, TrackingSchema(categories=(big,)), FIELDS)
        [binding] = compiled.bindings
        assert ({}, None) == (dict(binding.names), binding.known_active)
        assert 10 == binding.active_options


def oracle(
    m: TrackingMapping, schema: TrackingSchema, fields: tuple[FieldSpec, ...]
) -> set[tuple[str, int | None]]:
    """The (code, binding) pairs the rules demand, computed straight from their definitions."""
    found: set[tuple[str, int | None]] = set()
    tracking_on = any(c.status is TrackingStatus.ACTIVE for c in schema.categories)
    if m.bindings and not tracking_on:
        found.add(("tracking_off", None))
    declared = {f.name for f in fields}
    for i, b in enumerate(m.bindings):
        category = next((c for c in schema.categories if c.id == b.category_id), None)
        if i >= schema.capabilities.active_categories:
            found.add(("too_many_categories", i))
        if any(earlier.category_id == b.category_id for earlier in m.bindings[:i]):
            found.add(("category_bound_twice", i))
        if tracking_on:
            found |= _category_codes(category, i)
        if any(source not in declared for source in b.sources):
            found.add(("unknown_field", i))
        found |= _table_codes(b, i)
        if tracking_on and category is not None:
            found |= _option_codes(b, category, i) | _collision_codes(b, category, i)
        found |= _unmapped_codes(b, i)
        found |= _split_codes(b, category if tracking_on else None, i, schema)
    found |= _split_product_codes(m, schema)
    return found


def _split_rows(b: Binding) -> list[TableRow]:
    if not isinstance(b.values, ByTable):
        return []
    return [row for row in b.values.rows if row.split is not None]


def _split_codes(
    b: Binding, category: TrackingCategory | None, i: int, schema: TrackingSchema
) -> set[tuple[str, int | None]]:
    """Rule 10, read straight from its definition in `trackmap._engine._splits`."""
    found: set[tuple[str, int | None]] = set()
    for row in _split_rows(b):
        shares = row.split.shares
        if row.option_id is not None:
            found.add(("split_with_option", i))
        if len(shares) < 2:
            found.add(("split_empty", i))
            continue
        found |= _share_codes(row.split, i, schema)
        if category is not None:
            found |= _share_option_codes(row.split, category, i)
    return found


def _share_codes(split: Split, i: int, schema: TrackingSchema) -> set[tuple[str, int | None]]:
    found: set[tuple[str, int | None]] = set()
    weights = [s.weight for s in split.shares]
    if any(not w.is_finite() or w <= 0 for w in weights):
        found.add(("share_weight", i))
    elif split.percent and sum(weights) != 100:
        found.add(("split_total", i))
    if len({s.option_id for s in split.shares}) < len(split.shares):
        found.add(("share_duplicate", i))
    if len(split.shares) > schema.capabilities.split_lines:
        found.add(("split_too_many_lines", i))
    return found


def _share_option_codes(
    split: Split, category: TrackingCategory, i: int
) -> set[tuple[str, int | None]]:
    found: set[tuple[str, int | None]] = set()
    for share in split.shares:
        option = next((o for o in category.options if o.id == share.option_id), None)
        if option is None:
            found.add(("option_missing", i))
        elif option.status is not TrackingStatus.ACTIVE:
            found.add((f"option_{option.status.value.lower()}", i))
    return found


def _split_product_codes(m: TrackingMapping, schema: TrackingSchema) -> set[tuple[str, int | None]]:
    largest = [
        (i, max(len(row.split.shares) for row in _split_rows(b)))
        for i, b in enumerate(m.bindings)
        if _split_rows(b)
    ]
    largest = [(i, n) for i, n in largest if n > 1]
    if len(largest) < 2 or math.prod(n for _, n in largest) <= schema.capabilities.split_lines:
        return set()
    return {("split_too_many_lines", largest[-1][0])}


def _collision_codes(b: Binding, category: TrackingCategory, i: int) -> set[tuple[str, int | None]]:
    names = Counter(normalise(o.name) for o in category.options if o.is_active)
    if isinstance(b.values, ByName) and any(count > 1 for count in names.values()):
        return {("option_names_collide", i)}
    return set()


def _unmapped_codes(b: Binding, i: int) -> set[tuple[str, int | None]]:
    if b.on_unmapped is OnUnmapped.CREATE and isinstance(b.values, ByTable):
        return {("create_needs_by_name", i)}
    if b.on_unmapped is OnUnmapped.DEFAULT and b.default_option_id is None:
        return {("default_needed", i)}
    return set()


def _category_codes(category: TrackingCategory | None, i: int) -> set[tuple[str, int | None]]:
    if category is None:
        return {("category_missing", i)}
    if category.status is TrackingStatus.ACTIVE:
        return set()
    return {(f"category_{category.status.value.lower()}", i)}


def _table_codes(b: Binding, i: int) -> set[tuple[str, int | None]]:
    if not isinstance(b.values, ByTable):
        return set()
    keys = [normalise(row.value) for row in b.values.rows]
    found: set[tuple[str, int | None]] = set()
    if "" in keys:
        found.add(("table_key_blank", i))
    if any(count > 1 for key, count in Counter(keys).items() if key):
        found.add(("table_key_collision", i))
    return found


def _option_codes(b: Binding, category: TrackingCategory, i: int) -> set[tuple[str, int | None]]:
    targets = [b.default_option_id] if b.default_option_id is not None else []
    if isinstance(b.values, ByTable):
        targets += [row.option_id for row in b.values.rows if row.option_id is not None]
    found: set[tuple[str, int | None]] = set()
    for target in targets:
        option = next((o for o in category.options if o.id == target), None)
        if option is None:
            found.add(("option_missing", i))
        elif option.status is not TrackingStatus.ACTIVE:
            found.add((f"option_{option.status.value.lower()}", i))
    return found


class TestRulesProperty:
    """compile accepts exactly the mappings that obey the rules."""

    @given(data=st.data(), schema=schemas(), fields=field_specs())
    def test_violations_are_exactly_those_the_rules_define(self, data, schema, fields):
        """For any schema, fields and mapping, the (code, binding) pairs of check_mapping
        equal those an independent reading of rules 1-9 gives, and compile_mapping succeeds
        if and only if there are none."""
        m = data.draw(mappings(schema, fields))
        violations = check_mapping(m, schema, fields)
        assert oracle(m, schema, fields) == {(v.code, v.binding) for v in violations}
        if not violations:
            assert m == compile_mapping(m, schema, fields).mapping
            return
        off = any(v.code == "tracking_off" for v in violations)
        with pytest.raises(TrackingDisabledError if off else MappingError) as caught:
            compile_mapping(m, schema, fields)
        assert (violations, off) == (
            caught.value.violations,
            isinstance(caught.value, TrackingDisabledError),
        )

    @given(data=st.data(), schema=schemas(), fields=field_specs())
    def test_valid_mappings_compile(self, data, schema, fields):
        """Every mapping the valid_mappings strategy draws obeys every rule."""
        m = data.draw(valid_mappings(schema, fields))
        assert () == check_mapping(m, schema, fields)
        assert m == compile_mapping(m, schema, fields).mapping

    @given(data=st.data(), schema=schemas(), fields=field_specs())
    def test_every_violation_names_its_binding(self, data, schema, fields):
        """Every violation but tracking_off belongs to a binding and says so in its message."""
        m = data.draw(mappings(schema, fields))
        for violation in check_mapping(m, schema, fields):
            if violation.code == "tracking_off":
                assert violation.binding is None
            else:
                assert violation.binding is not None
                assert violation.message.startswith(f"Binding {violation.binding + 1} (")
