"""Tests of the settings files: mappings, schemas and documents as versioned JSON-able data."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._config import (
    VERSION,
    DocumentSet,
    dump_documents,
    dump_mapping,
    dump_schema,
    dumps_mapping,
    load_documents,
    load_mapping,
    load_schema,
    loads_json,
    loads_mapping,
)
from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TableRow,
    TrackingMapping,
)
from trackmap._engine._rules import check_mapping
from trackmap._engine._schema import (
    Capabilities,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import SettingsError, SettingsProblem
from trackmap.testing import strategies as kit
from trackmap.testing.hosts import guid, sample_jobs, sample_practice


def problems(data, **kwargs):
    with pytest.raises(SettingsError) as info:
        load_mapping(data, **kwargs)
    return [(p.path, p.message) for p in info.value.problems]


def attempt(load, *args, **kwargs):
    """Return what a loader returns, or the SettingsError it raises (any other error fails)."""
    try:
        return load(*args, **kwargs)
    except SettingsError as exc:
        return exc


def settings(*bindings):
    return {"version": 1, "bindings": list(bindings)}


class TestMappingFormat:
    """A mapping dumps to readable, versioned keys and loads back."""

    def test_by_name_binding(self):
        mapping = TrackingMapping(
            bindings=(
                Binding(
                    category_id="c1",
                    category_name="Job",
                    sources=("job_number",),
                    on_unmapped=OnUnmapped.CREATE,
                ),
            )
        )
        expected = {
            "version": 1,
            "bindings": [
                {
                    "category_id": "c1",
                    "category_name": "Job",
                    "sources": ["job_number"],
                    "values": {"by": "name"},
                    "default": None,
                    "on_unmapped": "create",
                    "required": False,
                }
            ],
        }
        assert expected == dump_mapping(mapping)
        assert mapping == load_mapping(expected)

    def test_table_with_blank_row(self):
        binding = Binding(
            category_id="c1",
            values=ByTable(rows={"Perth office": "o1", "Remote": None}),
            default_option_id="o2",
        )
        dumped = dump_mapping(TrackingMapping(bindings=(binding,)))["bindings"][0]
        expected = {"by": "table", "table": {"Perth office": "o1", "Remote": None}}
        assert expected == dumped["values"]
        assert dumped["default"] == "o2"

    def test_only_category_id_is_required(self):
        expected = TrackingMapping(bindings=(Binding(category_id="c1"),))
        assert expected == load_mapping(settings({"category_id": "c1"}))

    def test_empty_mapping(self):
        assert TrackingMapping() == load_mapping({"version": 1, "bindings": []})
        assert TrackingMapping() == load_mapping({"version": 1})

    def test_json_text_round_trip_of_the_samples(self):
        for sample in (sample_jobs(), sample_practice()):
            text = dumps_mapping(sample.mapping)
            assert text.endswith("}\n")
            assert sample.mapping == loads_mapping(text, schema=sample.schema, fields=sample.fields)

    def test_duplicate_table_value_cannot_be_dumped(self):
        rows = (TableRow(value="Ann", option_id="a"), TableRow(value="Ann", option_id="b"))
        mapping = TrackingMapping(bindings=(Binding(category_id="c", values=ByTable(rows=rows)),))
        with pytest.raises(SettingsError) as info:
            dump_mapping(mapping)
        expected = [
            SettingsProblem(
                '$.bindings[0].values.table["Ann"]',
                "is in the table twice; a file can hold it once",
            )
        ]
        assert expected == list(info.value.problems)


class TestVersion:
    """The envelope carries a version; an unknown one is a clear error."""

    def test_unknown_version(self):
        expected = [
            (
                "$.version",
                (
                    "3 is not a settings version this trackmap reads (it reads version 1 or "
                    "2; a newer trackmap may have written this file)"
                ),
            )
        ]
        assert expected == problems({"version": 3, "bindings": []})

    @pytest.mark.parametrize("version", ["1", True, 1.5, None])
    def test_version_must_be_the_number_one(self, version):
        assert problems({"version": version})[0][0] == "$.version"

    def test_missing_version(self):
        expected = [("$.version", "is required")]
        assert expected == problems({"bindings": []})

    @pytest.mark.parametrize(
        ("data", "shown"), [([], "a list"), (None, "null"), ("x", '"x"'), (3, "3")]
    )
    def test_not_an_object(self, data, shown):
        expected = [("$", f'must be an object with "version": 1, not {shown}')]
        assert expected == problems(data)

    def test_dumps_carry_the_version(self):
        assert dump_schema(TrackingSchema())["version"] == VERSION
        assert dump_documents([])["version"] == VERSION


class TestEveryProblemWithItsPath:
    """One SettingsError lists every problem of the file, each at its own path."""

    def test_many_problems_at_once(self):
        data = settings(
            {
                "category_id": 5,
                "sources": "branch",
                "values": {"by": "table", "table": {"Perth": 3, "Ann": None}, "colour": 1},
                "default": 7,
                "on_unmapped": "never",
                "required": "no",
                "notes": "x",
            },
            "Region",
            {"category_name": "Job"},
            {"category_id": "c", "values": {"by": "nam"}},
        )
        known = (
            "is not a key trackmap knows (known keys: category_id, category_name, sources, "
            "values, default, on_unmapped, required)"
        )
        expected = [
            ("$.bindings[0].category_id", "must be text, not 5"),
            ("$.bindings[0].sources", 'must be a list, not "branch"'),
            ("$.bindings[0].values.colour", "is not a key trackmap knows"),
            ('$.bindings[0].values.table["Perth"]', "must be text, not 3"),
            ("$.bindings[0].default", "must be text, not 7"),
            (
                "$.bindings[0].on_unmapped",
                'must be one of "skip", "default", "error", "create", not "never"',
            ),
            ("$.bindings[0].required", 'must be true or false, not "no"'),
            ("$.bindings[0].notes", known),
            ("$.bindings[1]", 'must be an object, not "Region"'),
            ("$.bindings[2].category_id", "is required"),
            ("$.bindings[3].values", '"by" must be "name" or "table", not "nam"'),
        ]
        assert expected == problems(data)

    def test_keys_that_are_not_names_are_quoted(self):
        data = settings({"category_id": "c", "values": {"by": "table", "table": {"a b": 1}}})
        expected = [('$.bindings[0].values.table["a b"]', "must be text, not 1")]
        assert expected == problems(data)

    def test_the_error_sentence_lists_every_problem(self):
        with pytest.raises(SettingsError) as info:
            load_mapping(settings({"category_id": 1}, {}))
        expected = (
            "2 problems in the tracking settings:\n"
            "  $.bindings[0].category_id: must be text, not 1\n"
            "  $.bindings[1].category_id: is required"
        )
        assert expected == str(info.value)

    def test_the_sentence_names_what_was_loaded(self):
        with pytest.raises(SettingsError, match=r"^1 problem in the tracking schema:\n"):
            load_schema({"version": 1, "categories": 5})
        with pytest.raises(SettingsError, match=r"^1 problem in the documents file:\n"):
            load_documents([])

    def test_bad_json_text(self):
        with pytest.raises(SettingsError, match=r"\$: is not valid JSON"):
            loads_mapping("{")

    def test_repeated_json_keys_are_refused(self):
        text = (
            '{"version": 1, "bindings": [{"category_id": "c", '
            '"values": {"by": "table", "table": {"Ann": "a", "Ann": "b"}}}]}'
        )
        with pytest.raises(SettingsError) as info:
            loads_mapping(text)
        assert [SettingsProblem("$", 'repeats the key "Ann"')] == list(info.value.problems)

    def test_loads_json_parses_plain_json(self):
        assert loads_json(b'{"a": [1, null]}') == {"a": [1, None]}


class TestSemanticValidation:
    """With a schema, the rules are checked too, and each violation gets its path."""

    def test_archived_table_target_and_unknown_field(self):
        sample = sample_practice()
        data = dump_mapping(sample.mapping)
        data["bindings"][0]["values"]["table"]["Perth office"] = guid("Region", "Perth CBD")
        data["bindings"][1]["sources"].append("colour")
        found = problems(data, schema=sample.schema, fields=sample.fields)
        paths = [path for path, _ in found]
        assert paths == ['$.bindings[0].values.table["Perth office"]', "$.bindings[1].sources[2]"]
        assert "archived" in found[0][1]
        assert '"colour"' in found[1][1]

    def test_two_fields_on_one_category_and_archived_default(self):
        sample = sample_jobs()
        data = dump_mapping(sample.mapping)
        data["bindings"][1]["category_id"] = data["bindings"][0]["category_id"]
        data["bindings"][0]["default"] = guid("Region", "Perth")
        found = problems(data, schema=sample.schema, fields=sample.fields)
        expected = ["$.bindings[0].default", "$.bindings[1].category_id"]
        assert expected == sorted(path for path, _ in found)

    def test_without_fields_sources_are_not_checked(self):
        sample = sample_jobs()
        data = dump_mapping(sample.mapping)
        data["bindings"][0]["sources"] = ["anything"]
        assert load_mapping(data, schema=sample.schema).bindings[0].sources == ("anything",)

    def test_tracking_off_is_reported_on_the_bindings(self):
        schema = TrackingSchema(
            categories=(TrackingCategory(id="c", name="Region", status=TrackingStatus.ARCHIVED),)
        )
        found = problems(settings({"category_id": "c"}), schema=schema)
        assert found[0][0] == "$.bindings"
        assert "switched off" in found[0][1]


class TestSchemaAndDocuments:
    """Schemas and documents have files too, for the command line and tests."""

    def test_schema_round_trip(self):
        schema = TrackingSchema(
            categories=(
                TrackingCategory(
                    id="c",
                    name="Region",
                    options=(
                        TrackingOption(id="o", name="Perth", status=TrackingStatus.ARCHIVED),
                        TrackingOption(id="p", name="Sydney"),
                    ),
                ),
            ),
            capabilities=Capabilities(active_categories=3),
        )
        data = dump_schema(schema)
        assert data["categories"][0]["options"][0] == {
            "id": "o",
            "name": "Perth",
            "status": "ARCHIVED",
        }
        assert schema == load_schema(json.loads(json.dumps(data)))

    def test_schema_problems(self):
        data = {"version": 1, "categories": [{"id": "c", "name": "R", "status": "archived"}]}
        with pytest.raises(SettingsError) as info:
            load_schema(data)
        expected = SettingsProblem(
            "$.categories[0].status",
            'must be one of "ACTIVE", "ARCHIVED", "DELETED", not "archived"',
        )
        assert [expected] == list(info.value.problems)

    def test_documents_round_trip_with_fields(self):
        sample = sample_practice()
        data = json.loads(json.dumps(dump_documents(sample.documents(), fields=sample.fields)))
        expected = DocumentSet(fields=sample.fields, documents=sample.documents())
        assert expected == load_documents(data)

    def test_document_problems(self):
        data = {
            "version": 1,
            "fields": [{"name": "x", "level": "row"}],
            "documents": [{"key": "A", "kind": "invoice", "lines": [{"key": 1, "fields": []}]}],
        }
        with pytest.raises(SettingsError) as info:
            load_documents(data)
        expected = [
            "$.fields[0].level",
            "$.documents[0].kind",
            "$.documents[0].lines[0].key",
            "$.documents[0].lines[0].fields",
        ]
        assert expected == [p.path for p in info.value.problems]


# --- properties ---------------------------------------------------------------------------

names = st.text(min_size=1, max_size=12)
option_ids = st.none() | st.text(max_size=8)
tables = st.dictionaries(names, option_ids, max_size=4).map(lambda rows: ByTable(rows=rows))
bindings = st.builds(
    Binding,
    category_id=names,
    category_name=st.text(max_size=10),
    sources=st.lists(names, max_size=3).map(tuple),
    values=st.just(ByName()) | tables,
    default_option_id=option_ids,
    on_unmapped=st.sampled_from(OnUnmapped),
    required=st.booleans(),
)
mappings = st.lists(bindings, max_size=4).map(lambda bs: TrackingMapping(bindings=bs))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
binding_keys = st.sampled_from(
    ["category_id", "category_name", "sources", "values", "default", "on_unmapped", "required"]
)
binding_like = st.dictionaries(
    binding_keys,
    json_values
    | st.fixed_dictionaries({"by": st.sampled_from(["name", "table"]), "table": json_values}),
    max_size=7,
)
settings_like = st.fixed_dictionaries(
    {"version": st.just(1), "bindings": st.lists(binding_like | json_values, max_size=3)}
)


class TestProperties:
    """Round trips, and totality of loading over arbitrary input."""

    @given(mappings)
    def test_dump_load_round_trip(self, mapping):
        """For every mapping, load(dump(m)) == m, also through JSON text."""
        assert mapping == load_mapping(dump_mapping(mapping))
        assert mapping == loads_mapping(dumps_mapping(mapping))

    @given(json_values | settings_like)
    def test_loading_anything_gives_a_mapping_or_settings_error(self, data):
        """For every JSON-ish value, load_mapping returns a mapping or raises SettingsError
        whose problems all have a path starting with "$"."""
        result = attempt(load_mapping, data)
        if isinstance(result, SettingsError):
            assert result.problems
            assert all(p.path.startswith("$") for p in result.problems)
        else:
            assert isinstance(result, TrackingMapping)

    @given(json_values)
    def test_schema_and_documents_loading_is_total(self, data):
        """For every JSON-ish value (in a version 1 envelope or not), schema and documents
        loading return a value or raise SettingsError."""
        for candidate in (data, {"version": 1, "categories": data, "documents": data}):
            for load in (load_schema, load_documents):
                result = attempt(load, candidate)
                assert isinstance(result, TrackingSchema | DocumentSet) or result.problems

    @given(settings_like)
    def test_semantic_check_is_total(self, data):
        """With a schema and fields, loading still returns a mapping or raises SettingsError."""
        sample = sample_practice()
        result = attempt(load_mapping, data, schema=sample.schema, fields=sample.fields)
        assert isinstance(result, TrackingMapping) or result.problems

    def test_documents_keep_line_fields(self):
        document = Document(
            key="A",
            kind=DocumentKind.BILL,
            lines=(Line(key="1", fields={"x": None}),),
        )
        fields = (FieldSpec(name="x", level=FieldLevel.LINE, label="X"),)
        loaded = load_documents(dump_documents([document], fields=fields))
        assert DocumentSet(fields=fields, documents=(document,)) == loaded


@st.composite
def organisations(draw):
    """A schema, the host's fields, and any mapping over them (it may break every rule)."""
    schema = draw(kit.schemas())
    fields = draw(kit.field_specs())
    return schema, fields, draw(kit.mappings(schema, fields))


class TestPropertiesWithTheEngine:
    """Files agree with the engine's values and rules for generated organisations."""

    @given(kit.schemas())
    def test_schema_round_trip(self, schema):
        """For every schema, load_schema(dump_schema(s)) == s, also through JSON text."""
        assert schema == load_schema(json.loads(json.dumps(dump_schema(schema))))

    @given(kit.field_specs().flatmap(lambda f: st.tuples(st.just(f), st.lists(kit.documents(f)))))
    def test_documents_round_trip(self, generated):
        """For every document list, loading its dump gives the same fields and documents."""
        fields, docs = generated
        expected = DocumentSet(fields=fields, documents=tuple(docs))
        assert expected == load_documents(
            json.loads(json.dumps(dump_documents(docs, fields=fields)))
        )

    @given(organisations())
    def test_semantic_load_reports_exactly_the_violations(self, organisation):
        """For every mapping that can be written, loading it with the schema succeeds iff it
        has no violation, and otherwise reports one problem per violation, same sentence."""
        schema, fields, mapping = organisation
        data = attempt(dump_mapping, mapping)
        if isinstance(data, SettingsError):
            # What a file cannot hold: a value twice, a split naming an option twice or an
            # option besides, a weight that is not a finite number.
            held = ("twice", "a split", "cannot hold")
            assert all(any(w in p.message for w in held) for p in data.problems)
            return
        violations = check_mapping(mapping, schema, fields)
        result = attempt(load_mapping, data, schema=schema, fields=fields)
        if violations:
            assert [v.message for v in violations] == [p.message for p in result.problems]
            assert all(p.path.startswith("$.bindings") for p in result.problems)
        else:
            assert mapping == result
