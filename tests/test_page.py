"""Tests of the settings-page model: building a page from settings, applying a posted page."""

from __future__ import annotations

import collections
import json
from decimal import Decimal

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
    Share,
    Split,
    TableRow,
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


def typed(form: dict, row: str, *pairs: tuple[str, str], by: str = "percent") -> dict:
    """``form`` with ``row`` split by shares typed as a browser posts them (rule 7)."""
    changed = {k: v for k, v in form.items() if not k.startswith(f"{row}.shares")}
    changed[f"{row}.option"] = [SPLIT]
    changed[f"{row}.shares.option"] = [option for option, _ in pairs]
    changed[f"{row}.shares.weight"] = [weight for _, weight in pairs]
    changed[f"{row}.split_by"] = [by]
    return changed


class TestTypedShares:
    """Rule 7: shares typed as an option and a weight each, as the example page posts them."""

    def form(self):
        mapping = TrackingMapping(bindings=[table_binding(Ann="o-dev")])
        return build_settings_page(SCHEMA, FIELDS, mapping, values=STAFF).form()

    def bob(self, result):
        (row,) = [r for r in result.mapping.bindings[0].values.rows if r.value == "Bob"]
        return row

    def test_typed_shares_make_the_split(self):
        form = typed(
            self.form(),
            "cat0.row1",
            ("option:o-dev", " 60 "),
            ("", ""),  # an empty slot is no share
            ("option:o-hr", "40 %"),
        )
        result = apply_settings_page(form, SCHEMA, FIELDS)
        assert () == result.problems
        split = Split(
            shares=[
                Share(option_id="o-dev", weight=Decimal(60)),
                Share(option_id="o-hr", weight=Decimal(40)),
            ]
        )
        assert TableRow(value="Bob", option_id=None, split=split) == self.bob(result)

    def test_ratio_parts(self):
        form = typed(
            self.form(), "cat0.row1", ("option:o-dev", "1"), ("option:o-hr", "2"), by="ratio"
        )
        result = apply_settings_page(form, SCHEMA, FIELDS)
        assert result.ok
        split = self.bob(result).split
        assert (False, (Decimal(1), Decimal(2))) == (
            split.percent,
            tuple(s.weight for s in split.shares),
        )

    def test_a_total_that_is_not_100_is_the_engines_problem_at_the_row(self):
        form = typed(self.form(), "cat0.row1", ("option:o-dev", "60"), ("option:o-hr", "30"))
        (problem,) = apply_settings_page(form, SCHEMA, FIELDS).problems
        assert ("cat0.row1.shares", "split_total") == (problem.control, problem.code)
        assert 'row for "Bob" add up to 90%, not 100%' in problem.message

    def test_an_archived_share_is_refused_at_the_row(self):
        form = typed(self.form(), "cat0.row1", ("option:o-dev", "60"), ("option:o-old", "40"))
        (problem,) = apply_settings_page(form, SCHEMA, FIELDS).problems
        assert ("cat0.row1.shares", "option_archived") == (problem.control, problem.code)

    @pytest.mark.parametrize(
        ("pair", "code", "message"),
        [
            (("", "40"), "share_no_option", 'pick an option for the share of "40".'),
            (("option:o-hr", " "), "share_no_weight", 'give the share of "HR" a weight'),
            (("option:o-hr", "forty"), "share_not_a_number", 'share of "HR" is "forty", not'),
            (("option:o-zz", ""), "share_no_weight", 'give the share of "o-zz" a weight'),
            (("HR", "40"), "not_a_choice", '"HR" is not an option'),
        ],
    )
    def test_half_a_share_is_a_problem_at_the_row(self, pair, code, message):
        form = typed(self.form(), "cat0.row1", ("option:o-dev", "60"), pair)
        problems = apply_settings_page(form, SCHEMA, FIELDS).problems
        assert (code, "cat0.row1.shares") == (problems[0].code, problems[0].control)
        assert message in problems[0].message
        assert 'The table row for "Bob"' in problems[0].message or code == "not_a_choice"
        # the half share is left out, so the split has one share: the engine says so too
        assert [("split_empty", "cat0.row1.shares")] == [(p.code, p.control) for p in problems[1:]]

    def test_shares_of_a_row_that_does_not_split_are_ignored(self):
        form = typed(self.form(), "cat0.row1", ("", "50"))
        form["cat0.row1.option"] = ["option:o-hr"]
        result = apply_settings_page(form, SCHEMA, FIELDS)
        assert result.ok
        assert TableRow(value="Bob", option_id="o-hr") == self.bob(result)


class TestShownAgain:
    """Rule 8: a refused page shown again keeps every posted problem at its control."""

    def test_a_typed_problem_follows_its_row_when_the_rows_move(self):
        # Ann is not mapped and Bob splits: the page of the result shows Bob first.
        form = TestTypedShares().form()
        form["cat0.row0.option"] = [UNMAPPED]
        form = typed(form, "cat0.row1", ("option:o-dev", "60"), ("", "40"))
        result = apply_settings_page(form, SCHEMA, FIELDS)
        assert ["cat0.row1.shares", "cat0.row1.shares"] == [p.control for p in result.problems]
        page = build_settings_page(SCHEMA, FIELDS, result.mapping, values=STAFF)
        assert "Bob" == page.sections[0].rows[0].value
        assert ["split_empty"] == [p.code for p in page.all_problems()]
        again = page.with_posted(result, form)
        bob = again.sections[0].rows[0]
        assert ["split_empty", "share_no_option"] == [p.code for p in bob.shares.problems]
        assert {"cat0.row0.shares"} == {p.control for p in again.all_problems()}
        assert 'share of "40"' in bob.shares.problems[1].message

    def test_a_section_left_on_none_does_not_shift_problems(self):
        form = build_settings_page(SCHEMA, FIELDS, values=STAFF).form()
        form["cat0.sources"] = [""]  # Department: None
        form.update({"cat1.sources": ["stage_manager"], "cat1.mode": ["table"]})
        form.update({"cat1.row0.value": ["Ann"], "cat1.row0.option": ["Perth"]})
        result = apply_settings_page(form, SCHEMA, FIELDS)
        assert [("cat1.row0.option", "not_a_choice")] == [
            (p.control, p.code) for p in result.problems
        ]
        again = build_settings_page(SCHEMA, FIELDS, result.mapping, values=STAFF)
        assert ["c-region", "c-dept"] == [s.category_id for s in again.sections]
        again = again.with_posted(result, form)
        assert [("cat0.row0.option", "not_a_choice")] == [
            (p.control, p.code) for p in again.all_problems()
        ]
        assert "Ann" == again.sections[0].rows[0].value

    def test_a_problem_with_no_place_sits_on_the_page(self):
        form = {
            "cat0.category": "c-dept",
            "cat0.sources": "project_manager",
            "cat0.mode": "table",
            "cat0.row4.value": "Zed",
            "cat0.row4.option": "o-dev",
        }
        result = apply_settings_page(form, SCHEMA, FIELDS)
        again = build_settings_page(SCHEMA, FIELDS, result.mapping).with_posted(result, form)
        (problem,) = again.problems
        assert (PAGE, "not_a_choice") == (problem.control, problem.code)

    def test_nothing_to_add_is_the_same_page(self):
        result = apply_settings_page(TestTypedShares().form(), SCHEMA, FIELDS)
        page = build_settings_page(SCHEMA, FIELDS, result.mapping, values=STAFF)
        assert page is page.with_posted(result, TestTypedShares().form())


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


@st.composite
def valid_mappings_with_splits(draw, schema, fields):
    """`kit.valid_mappings`, some of whose table rows split (`kit.valid_splits`)."""
    mapping = draw(kit.valid_mappings(schema, fields))
    bindings = []
    for saved in mapping.bindings:
        binding, category = saved, schema.category(saved.category_id)
        if isinstance(binding.values, ByTable) and len(category.active_options) >= 2:
            rows = [
                attrs.evolve(row, option_id=None, split=draw(kit.valid_splits(category)))
                if draw(st.booleans())
                else row
                for row in binding.values.rows
            ]
            binding = attrs.evolve(binding, values=ByTable(rows=rows))
        bindings.append(binding)
    return TrackingMapping(bindings=bindings)


class TestProperties:
    """The page and the mapping agree."""

    @given(data=st.data())
    def test_applying_the_page_of_a_valid_mapping_gives_it_back(self, data):
        """apply(build(M).form()) == M without its "None" bindings, with no problem, for
        every valid M, whatever values the host knows."""
        schema = data.draw(kit.schemas(tracking_on=True))
        fields = data.draw(kit.field_specs())
        mapping = data.draw(valid_mappings_with_splits(schema, fields))
        assert not check_mapping(mapping, schema, fields)
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

    @given(data=st.data())
    def test_typed_shares_give_a_valid_mapping_back(self, data):
        """Rule 7: the page of a valid mapping, its shares posted as a browser types them (an
        option and a weight per share, empty slots between, "%" after a percentage), gives
        that mapping back with no problem."""
        schema = data.draw(kit.schemas(tracking_on=True))
        fields = data.draw(kit.field_specs())
        mapping = data.draw(valid_mappings_with_splits(schema, fields))
        assert not check_mapping(mapping, schema, fields)
        page = build_settings_page(schema, fields, mapping, values=data.draw(host_value_lists))
        form = page.form()
        for section in page.sections:
            for row in section.rows:
                tokens = form.pop(row.shares.name, [])
                percent = form.get(row.split_by.name) == ["percent"]
                pairs = []
                for token in tokens:
                    option, _, weight = token.rpartition("=")
                    pairs += [("", "")] * data.draw(st.integers(0, 1))
                    suffix = data.draw(st.sampled_from(["", "%", " %"])) if percent else ""
                    pairs.append((option, f" {weight}{suffix}"))
                form[f"{row.shares.name}.option"] = [option for option, _ in pairs]
                form[f"{row.shares.name}.weight"] = [weight for _, weight in pairs]
        result = apply_settings_page(form, schema, fields)
        assert () == result.problems
        assert without_none(mapping) == result.mapping

    @given(data=st.data())
    def test_a_page_shown_again_holds_every_posted_problem_once(self, data):
        """Rule 8: for any mapping and a form with typed shares (good, half, bad), the page
        of the result `with_posted` shows each problem of the result exactly once, each at a
        place of that page that bears its name."""
        schema = data.draw(kit.schemas())
        fields = data.draw(kit.field_specs())
        mapping = data.draw(kit.mappings(schema, fields))
        values = data.draw(host_value_lists)
        form = build_settings_page(schema, fields, mapping, values=values).form()
        ids = [o.id for c in schema.categories for o in c.options] + ["zz"]
        tokens = st.one_of(st.just(""), st.sampled_from(ids).map("option:".__add__), st.text())
        weights = st.sampled_from(["", "50", "40 %", "x", "-1", "NaN", "0"])
        rows = sorted(k.removesuffix(".value") for k in form if k.endswith(".value"))
        for row in data.draw(st.lists(st.sampled_from(rows), unique=True)) if rows else ():
            pairs = data.draw(st.lists(st.tuples(tokens, weights), max_size=3))
            form = typed(form, row, *pairs, by=data.draw(st.sampled_from(["percent", "ratio"])))
        if data.draw(st.booleans()) and "cat0.sources" in form:
            form["cat0.sources"] = [""]  # a section left on "None": the others move up
        result = apply_settings_page(form, schema, fields)
        page = build_settings_page(schema, fields, result.mapping, values=values)
        again = page.with_posted(result, form)
        assert collections.Counter((p.code, p.message) for p in result.problems) == (
            collections.Counter((p.code, p.message) for p in again.all_problems())
        )
        for name, problems in places(again).items():
            assert all(p.control == name for p in problems)

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
