"""Tests of the settings-page model: building a page from settings, applying a posted page."""

from __future__ import annotations

import collections
import json

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._config._page import (
    BLANK,
    PAGE,
    SPLIT,
    UNMAPPED,
    SettingsPage,
    apply_settings_page,
    build_settings_page,
    settings_page_for,
)
from trackmap._engine._document import Document, DocumentKind
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TrackingMapping,
)
from trackmap._engine._rules import check_mapping
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap._sources._adapter import SourceAdapter
from trackmap.errors import SourceError
from trackmap.testing import strategies as kit

DEPARTMENT = TrackingCategory(
    id="c-dept",
    name="Department",
    options=[
        TrackingOption(id="o-dev", name="Development"),
        TrackingOption(id="o-hr", name="HR"),
        TrackingOption(id="o-old", name="Old projects", status=TrackingStatus.ARCHIVED),
    ],
)
REGION = TrackingCategory(
    id="c-region", name="Region", options=[TrackingOption(id="r-p", name="Perth")]
)
SCHEMA = TrackingSchema(categories=[DEPARTMENT, REGION])
FIELDS = (
    FieldSpec(name="project_manager", level=FieldLevel.DOCUMENT, label="Project manager"),
    FieldSpec(name="stage_manager", level=FieldLevel.LINE, label="Stage manager"),
)
STAFF = {"project_manager": ["Ann", "Bob", "Cy"], "stage_manager": ["Ann", "Dee"]}


def table_binding(**rows):
    return Binding(
        category_id="c-dept",
        category_name="Department",
        sources=["project_manager"],
        values=ByTable(rows=rows),
    )


def places(page: SettingsPage) -> dict[str, list]:
    """Every place a problem may sit, by name, with the problems sitting there."""
    found = {PAGE: list(page.problems)}
    for section in page.sections:
        found[section.name] = list(section.problems)
        for control in section.controls():
            found[control.name] = list(control.problems)
    return found


def without_none(mapping: TrackingMapping) -> TrackingMapping:
    return TrackingMapping(bindings=[b for b in mapping.bindings if b.sources])


class TestBuild:
    """What the page shows for saved settings."""

    def test_sections_for_bindings_then_unbound_active_categories(self):
        archived = attrs.evolve(REGION, id="c-gone", name="Gone", status=TrackingStatus.ARCHIVED)
        schema = TrackingSchema(categories=[DEPARTMENT, archived, REGION])
        mapping = TrackingMapping(bindings=[attrs.evolve(table_binding(), category_id="c-region")])
        page = build_settings_page(schema, FIELDS, mapping)
        assert [("cat0", "c-region"), ("cat1", "c-dept")] == [
            (s.name, s.category_id) for s in page.sections
        ]

    def test_field_choices_are_none_then_the_hosts_fields(self):
        page = build_settings_page(SCHEMA, FIELDS)
        sources = page.sections[0].sources
        assert ["", "project_manager", "stage_manager"] == [c.value for c in sources.choices]
        assert "None" == sources.choices[0].label
        assert "Stage manager (on each line)" == sources.choices[2].label
        assert () == sources.selected

    def test_rows_are_the_table_then_the_host_values_it_lacks(self):
        mapping = TrackingMapping(bindings=[table_binding(Bob="o-hr", Zed=None)])
        page = build_settings_page(SCHEMA, FIELDS, mapping, values=STAFF)
        rows = page.sections[0].rows
        assert [("Bob", True), ("Zed", False), ("Ann", True), ("Cy", True)] == [
            (r.value, r.known) for r in rows
        ]
        assert [("option:o-hr",), (BLANK,), (UNMAPPED,), (UNMAPPED,)] == [
            r.option.selected for r in rows
        ]

    def test_rows_offer_active_options_only(self):
        page = build_settings_page(SCHEMA, FIELDS, TrackingMapping(bindings=[table_binding()]))
        section = page.sections[0]
        assert [] == list(section.rows)  # no host values, no table rows
        page = build_settings_page(
            SCHEMA, FIELDS, TrackingMapping(bindings=[table_binding()]), values=STAFF
        )
        choices = [c.value for c in page.sections[0].rows[0].option.choices]
        assert [BLANK, UNMAPPED, SPLIT, "option:o-dev", "option:o-hr"] == choices

    def test_a_saved_archived_option_is_shown_with_its_problem_at_the_row(self):
        mapping = TrackingMapping(bindings=[table_binding(Ann="o-dev", Bob="o-old")])
        page = build_settings_page(SCHEMA, FIELDS, mapping, values=STAFF)
        bob = page.sections[0].rows[1]
        assert ("option:o-old",) == bob.option.selected
        (choice,) = [c for c in bob.option.choices if not c.active]
        assert "Old projects (archived in Xero)" == choice.label
        (problem,) = bob.option.problems
        assert "option_archived" == problem.code
        assert "cat0.row1.option" == problem.control
        assert "archived in Xero" in problem.message
        assert [problem] == list(page.all_problems())
        assert not page.ok

    def test_tracking_off_sits_on_the_page(self):
        off = TrackingSchema(categories=[attrs.evolve(DEPARTMENT, status=TrackingStatus.ARCHIVED)])
        page = build_settings_page(off, FIELDS, TrackingMapping(bindings=[table_binding()]))
        assert ["tracking_off"] == [p.code for p in page.problems]

    def test_the_page_is_json(self):
        mapping = TrackingMapping(bindings=[table_binding(Ann="o-dev", Bob="o-old")])
        data = build_settings_page(SCHEMA, FIELDS, mapping, values=STAFF).to_json()
        assert data == json.loads(json.dumps(data))
        assert "cat0.row1.option" == data["sections"][0]["rows"][1]["option"]["name"]


class TestApply:
    """What a posted page means."""

    def form(self, **changes):
        mapping = TrackingMapping(bindings=[table_binding(Ann="o-dev")])
        posted = build_settings_page(SCHEMA, FIELDS, mapping, values=STAFF).form()
        posted.update({k.replace("__", "."): v for k, v in changes.items()})
        return posted

    def test_an_unchanged_page_gives_the_saved_mapping(self):
        result = apply_settings_page(self.form(), SCHEMA, FIELDS)
        assert result.ok
        assert TrackingMapping(bindings=[table_binding(Ann="o-dev")]) == result.mapping

    def test_blank_rows_send_nothing_and_unmapped_rows_stay_out(self):
        result = apply_settings_page(
            self.form(cat0__row1__option=[BLANK], cat0__row2__option=["option:o-hr"]),
            SCHEMA,
            FIELDS,
        )
        assert TrackingMapping(bindings=[table_binding(Ann="o-dev", Bob=None, Cy="o-hr")]) == (
            result.mapping
        )

    def test_picking_a_field_for_an_unbound_category_binds_it(self):
        result = apply_settings_page(
            self.form(cat1__sources=["stage_manager"], cat1__mode=["name"], cat1__required="on"),
            SCHEMA,
            FIELDS,
        )
        assert result.ok
        region = Binding(
            category_id="c-region",
            category_name="Region",
            sources=["stage_manager"],
            values=ByName(),
            required=True,
        )
        assert region == result.mapping.bindings[1]

    def test_none_sends_nothing(self):
        result = apply_settings_page(self.form(cat0__sources=[""]), SCHEMA, FIELDS)
        assert TrackingMapping() == result.mapping

    def test_an_archived_option_is_refused_at_its_row(self):
        result = apply_settings_page(self.form(cat0__row1__option=["option:o-old"]), SCHEMA, FIELDS)
        assert not result.ok
        assert [("cat0.row1.option", "option_archived")] == [
            (p.control, p.code) for p in result.problems
        ]

    def test_rule_problems_sit_at_their_controls(self):
        result = apply_settings_page(
            self.form(
                cat0__on_unmapped=["create"], cat1__sources=["nope"], cat1__on_unmapped=["default"]
            ),
            SCHEMA,
            FIELDS,
        )
        assert {
            ("cat0.on_unmapped", "create_needs_by_name"),
            ("cat1.sources", "unknown_field"),
            ("cat1.default", "default_needed"),
        } == {(p.control, p.code) for p in result.problems}

    def test_a_choice_the_page_never_offered_is_refused_at_its_control(self):
        result = apply_settings_page(
            self.form(cat0__mode=["guess"], cat0__default=["o-dev"], cat1__on_unmapped="x"),
            SCHEMA,
            FIELDS,
        )
        assert [("cat0.mode", "not_a_choice"), ("cat0.default", "not_a_choice")] == [
            (p.control, p.code) for p in result.problems
        ]

    def test_a_row_choice_the_page_never_offered_is_refused_at_its_row(self):
        result = apply_settings_page(self.form(cat0__row0__option="o-dev"), SCHEMA, FIELDS)
        assert [("cat0.row0.option", "not_a_choice")] == [
            (p.control, p.code) for p in result.problems
        ]
        assert "pick one of the choices" in result.problems[0].message

    def test_rows_posted_under_other_indexes_keep_their_names(self):
        posted = {
            "cat3.category": "c-dept",
            "cat3.sources": "project_manager",
            "cat3.mode": "table",
            "cat3.row7.value": "Ann",
            "cat3.row7.option": "option:o-old",
        }
        result = apply_settings_page(posted, SCHEMA, FIELDS)
        assert ["cat3.row7.option"] == [p.control for p in result.problems]


class TestHook:
    """The adapter's optional ``field_values`` hook."""

    class Adapter(SourceAdapter[dict]):
        def fields(self):
            return FIELDS

        def document(self, record):
            return Document(key="1", kind=DocumentKind.SALES_INVOICE)

    def test_the_default_knows_no_values(self):
        assert () == tuple(self.Adapter().field_values("project_manager"))
        page = settings_page_for(
            self.Adapter(), SCHEMA, TrackingMapping(bindings=[table_binding()])
        )
        assert () == page.sections[0].rows

    def test_an_adapter_lists_its_staff(self):
        class Staffed(self.Adapter):
            def field_values(self, field):
                return STAFF.get(field, [])

        page = settings_page_for(Staffed(), SCHEMA, TrackingMapping(bindings=[table_binding()]))
        assert ["Ann", "Bob", "Cy"] == [r.value for r in page.sections[0].rows]

    @pytest.mark.parametrize("values", [RuntimeError("db down"), [1, 2]])
    def test_a_failing_hook_is_a_source_error(self, values):
        class Broken(self.Adapter):
            def field_values(self, field):
                if isinstance(values, Exception):
                    raise values
                return values

        with pytest.raises(SourceError, match="could not list the values"):
            settings_page_for(Broken(), SCHEMA)


host_value_lists = st.dictionaries(
    st.sampled_from(kit.FIELD_NAMES), st.lists(st.sampled_from(kit.VALUE_POOL), max_size=4)
)


class TestProperties:
    """The page and the mapping agree."""

    @given(data=st.data())
    def test_applying_the_page_of_a_valid_mapping_gives_it_back(self, data):
        """apply(build(M).form()) == M without its "None" bindings, with no problem, for
        every valid M, whatever values the host knows."""
        schema = data.draw(kit.schemas(tracking_on=True))
        fields = data.draw(kit.field_specs())
        mapping = data.draw(kit.valid_mappings(schema, fields))
        page = build_settings_page(schema, fields, mapping, values=data.draw(host_value_lists))
        result = apply_settings_page(page.form(), schema, fields)
        assert () == result.problems
        assert without_none(mapping) == result.mapping
        assert page.ok

    @given(data=st.data())
    def test_every_compile_problem_lands_on_exactly_one_place(self, data):
        """The problems on the page are the compile violations, each once, at a real place."""
        schema = data.draw(kit.schemas())
        fields = data.draw(kit.field_specs())
        mapping = data.draw(kit.mappings(schema, fields))
        page = build_settings_page(schema, fields, mapping, values=data.draw(host_value_lists))
        found = places(page)
        shown = [(p.code, p.message) for group in found.values() for p in group]
        expected = [(v.code, v.message) for v in check_mapping(mapping, schema, fields)]
        assert collections.Counter(expected) == collections.Counter(shown)
        for name, problems in found.items():
            assert all(p.control == name for p in problems)

    @given(data=st.data())
    def test_applied_problems_are_the_violations_of_the_applied_mapping(self, data):
        """Applying any page: each violation of the result once, at a control the form has."""
        schema = data.draw(kit.schemas())
        fields = data.draw(kit.field_specs())
        mapping = data.draw(kit.mappings(schema, fields))
        page = build_settings_page(schema, fields, mapping, values=data.draw(host_value_lists))
        form = page.form()
        result = apply_settings_page(form, schema, fields)
        expected = [(v.code, v.message) for v in check_mapping(result.mapping, schema, fields)]
        assert collections.Counter(expected) == collections.Counter(
            (p.code, p.message) for p in result.problems
        )
        names = set(places(page))
        assert all(p.control in names for p in result.problems)

    @given(
        form=st.dictionaries(
            st.one_of(
                st.sampled_from(
                    (
                        "cat0.category",
                        "cat0.sources",
                        "cat0.mode",
                        "cat0.row0.value",
                        "cat0.row0.option",
                        "cat0.default",
                        "cat0.on_unmapped",
                        "cat0.required",
                        "cat1.category",
                        "cat12.row3.value",
                    )
                ),
                st.text(max_size=12),
            ),
            st.one_of(
                st.text(max_size=8),
                st.lists(st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=3),
                st.integers(),
                st.none(),
            ),
            max_size=10,
        )
    )
    def test_any_form_gives_a_result(self, form):
        """Whatever is posted, apply returns a result (never another exception)."""
        result = apply_settings_page(form, SCHEMA, FIELDS)
        assert isinstance(result.mapping, TrackingMapping)
        assert result.ok == (not result.problems)
        assert all(isinstance(b.on_unmapped, OnUnmapped) for b in result.mapping.bindings)
