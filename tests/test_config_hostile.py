"""Hostile input to the settings loaders: a result or a SettingsError, with safe messages."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._config import (
    DocumentSet,
    load_documents,
    load_mapping,
    load_schema,
    loads_json,
    loads_mapping,
)
from trackmap._config._quote import VALUE_LIMIT, quoted, safe_text, shown
from trackmap._engine._mapping import TrackingMapping
from trackmap._engine._schema import TrackingSchema
from trackmap.errors import SettingsError
from trackmap.testing import strategies as kit
from trackmap.testing.hosts import sample_practice

#: The most characters one problem (its path and its sentence) may take.
PROBLEM_LIMIT = 1200

# What a message may never hold raw: controls, surrogates, separators, format characters.
_UNSAFE = {"Cc", "Cs", "Cf", "Zl", "Zp"}


def assert_safe(text):
    """The text is valid UTF-8 and holds nothing a terminal acts on."""
    text.encode("utf-8")
    assert not [c for c in text if unicodedata.category(c) in _UNSAFE and c != "\n"]


def outcome(load, *args, **kwargs):
    """What a loader gives: its result, or its SettingsError after checking every message.

    Any other exception fails the test: that is the property.
    """
    try:
        return load(*args, **kwargs)
    except SettingsError as exc:
        error = exc
    assert error.problems
    for problem in error.problems:
        assert problem.path.startswith("$")
        assert len(str(problem)) <= PROBLEM_LIMIT
        assert_safe(str(problem))
    assert_safe(str(error))
    return error


def problems(load, *args, **kwargs):
    result = outcome(load, *args, **kwargs)
    assert isinstance(result, SettingsError), result
    return [(p.path, p.message) for p in result.problems]


def settings(*bindings):
    return {"version": 1, "bindings": list(bindings)}


class TestHugeNumbers:
    """Integers past Python's 4,300-digit text limit are a problem at their path."""

    def test_huge_version(self):
        [(path, message)] = problems(load_mapping, {"version": 10**5000})
        assert path == "$.version"
        assert message.startswith("a whole number of 5,001 digits is not a settings version")

    def test_huge_capability_in_a_schema(self):
        data = {"version": 1, "capabilities": {"active_categories": 10**5000}}
        [(path, message)] = problems(load_schema, data)
        assert path == "$.capabilities.active_categories"
        assert "at most 19 digits" in message

    def test_past_64_bits_is_refused(self):
        data = {"version": 1, "capabilities": {"options_per_category": 2**63}}
        assert problems(load_schema, data)[0][0] == "$.capabilities.options_per_category"

    def test_huge_number_in_json_text_is_located(self):
        text = '{"version": 1, "bindings": [{"category_id": ' + "7" * 5000 + "}]}"
        expected = [("$.bindings[0].category_id", "must be text, not a number of 5,000 digits")]
        assert expected == problems(loads_mapping, text)

    def test_huge_int_in_a_python_side_binding(self):
        [(path, message)] = problems(load_mapping, settings({"category_id": -(10**4400)}))
        assert (path, message) == (
            "$.bindings[0].category_id",
            "must be text, not a whole number of 4,401 digits",
        )


class TestVersion:
    """Only the whole number 1 is version 1."""

    @pytest.mark.parametrize("version", [1.0, Decimal(1), True, "1"])
    def test_look_alikes_are_not_version_one(self, version):
        [(path, message)] = problems(load_mapping, {"version": version, "bindings": []})
        assert path == "$.version"
        assert message.startswith("must be the whole number 1, not ")

    def test_decimal_is_named_by_its_type(self):
        assert problems(load_mapping, {"version": Decimal(1)}) == [
            ("$.version", "must be the whole number 1, not a value of type Decimal")
        ]


class TestNotText:
    """loads_* take JSON text; anything else, and text that is no JSON, is a SettingsError."""

    @pytest.mark.parametrize("value", [None, 3, ["{}"], object()])
    def test_not_text(self, value):
        [(path, message)] = problems(loads_mapping, value)
        assert path == "$"
        assert message.startswith("must be JSON text (str or bytes), not ")

    @pytest.mark.parametrize("text", ["", "  \n\t", b"", b"\xef\xbb\xbf"])
    def test_empty_text_says_so(self, text):
        [(_, message)] = problems(loads_mapping, text)
        assert message.startswith("is empty: a trackmap file holds one JSON object")

    def test_bytes_that_are_not_utf8(self):
        assert problems(loads_json, b'{"a": "\xff"}') == [
            ("$", "is not UTF-8 text (byte 8 cannot be decoded)")
        ]

    def test_byte_order_mark_is_tolerated(self):
        assert loads_json(b'\xef\xbb\xbf{"version": 1}') == {"version": 1}

    def test_bad_json_says_where(self):
        assert problems(loads_json, '{"version": 1,\n  "bindings": [}') == [
            ("$", "is not valid JSON (Expecting value at line 2, column 16)")
        ]

    def test_deep_nesting(self):
        [(_, message)] = problems(loads_json, "[" * 100_000)
        assert "nests too deeply" in message

    def test_each_repeated_key_is_named_once(self):
        text = '{"a": 1, "a": 2, "b": 1, "b": 2, "a": 3}'
        assert problems(loads_json, text) == [
            ("$", 'repeats the key "a"'),
            ("$", 'repeats the key "b"'),
        ]


class TestHostileText:
    """Lone surrogates, terminal escapes and long values are quoted safely, or refused."""

    def test_surrogate_in_an_unknown_key(self):
        [(path, _)] = problems(load_mapping, settings({"category_id": "c", "x\ud800": 1}))
        assert path == '$.bindings[0]["x\\ud800"]'

    def test_surrogate_in_a_value_is_refused_at_its_path(self):
        text = '{"version": 1, "bindings": [{"category_id": "\\ud800"}]}'
        assert problems(loads_mapping, text) == [
            (
                "$.bindings[0].category_id",
                'must be Unicode text, not "\\ud800" (it holds a lone surrogate)',
            )
        ]

    def test_surrogate_in_a_table_key_is_refused(self):
        values = {"by": "table", "table": {"\udc00": None}}
        [(path, message)] = problems(load_mapping, settings({"category_id": "c", "values": values}))
        assert path == "$.bindings[0].values.table"
        assert "lone surrogate" in message

    def test_terminal_escapes_are_escaped(self):
        binding = {"category_id": "c", "on_unmapped": "\x1b[2J\x1b[31mskip"}
        [(_, message)] = problems(load_mapping, settings(binding))
        assert message.endswith('not "\\x1b[2J\\x1b[31mskip"')

    def test_a_long_value_is_cut(self):
        [(_, message)] = problems(
            load_mapping, settings({"category_id": "c", "required": "x" * 10**6})
        )
        assert message == 'must be true or false, not "' + "x" * 35 + '..."'

    def test_an_escape_in_the_engine_sentence_is_escaped(self):
        sample = sample_practice()
        data = settings(
            {"category_id": sample.mapping.bindings[0].category_id, "sources": ["\x1b[2J"]}
        )
        [(path, message)] = problems(load_mapping, data, schema=sample.schema, fields=sample.fields)
        assert path == "$.bindings[0].sources[0]"
        assert "\\x1b[2J" in message


class TestHostilePythonValues:
    """Python-side settings whose own methods fail give a SettingsError or plain values."""

    def test_text_subclass_becomes_plain_text(self):
        mapping = load_mapping(settings({"category_id": kit.RaisingStr("c1")}))
        assert type(mapping.bindings[0].category_id) is str
        assert mapping.bindings[0].category_id == "c1"

    def test_enum_value_that_raises_on_compare(self):
        [(path, message)] = problems(
            load_mapping, settings({"category_id": "c", "on_unmapped": kit.Raising()})
        )
        assert path == "$.bindings[0].on_unmapped"
        assert message.endswith("not a value of type Raising")

    def test_json_text_that_is_a_hostile_str(self):
        assert loads_mapping(kit.RaisingStr('{"version": 1}')) == TrackingMapping()

    def test_dict_subclass_whose_methods_raise(self):
        mapping = load_mapping(kit.RaisingDict({"version": 1, "bindings": []}))
        assert mapping == TrackingMapping()

    def test_a_list_that_contains_itself(self):
        loop = []
        loop.append(loop)
        assert problems(load_mapping, settings(loop))[0][0] == "$.bindings[0]"


class TestQuoting:
    """shown, quoted and safe_text: bounded, escaped, never raising."""

    @given(kit.hostile_text())
    def test_quoted_is_bounded_and_safe(self, text):
        """For every text, quoted(text) is at most VALUE_LIMIT characters and safe to print."""
        result = quoted(text)
        assert len(result) <= VALUE_LIMIT
        assert_safe(result)

    @given(kit.hostile_python_data())
    def test_shown_names_anything(self, value):
        """For every value, shown(value) is a bounded, safe string (it never raises)."""
        result = shown(value)
        assert len(result) <= VALUE_LIMIT + 40
        assert_safe(result)

    def test_short_plain_text_is_unchanged(self):
        assert safe_text("Perth office") == "Perth office"
        assert quoted('say "hi"') == '"say \\"hi\\""'

    def test_a_value_whose_str_raises(self):
        assert safe_text(kit.Raising()) == "a value of type Raising"


class TestEveryLoaderIsTotal:
    """Properties: every loader gives a result or a SettingsError, with safe, bounded messages."""

    @given(st.one_of(kit.hostile_python_data(), kit.hostile_settings_data()))
    def test_load_mapping(self, data):
        """For every Python-side value, load_mapping returns a mapping or raises SettingsError
        whose problems are each UTF-8 encodable, free of control characters and bounded."""
        result = outcome(load_mapping, data)
        assert isinstance(result, TrackingMapping | SettingsError)

    @given(kit.hostile_settings_data())
    def test_load_mapping_with_schema_and_fields(self, data):
        """The same holds when the mapping is also checked against a schema and fields."""
        sample = sample_practice()
        result = outcome(load_mapping, data, schema=sample.schema, fields=sample.fields)
        assert isinstance(result, TrackingMapping | SettingsError)

    @given(kit.hostile_python_data())
    def test_load_schema_and_documents(self, data):
        """For every value, in an envelope or not, load_schema and load_documents are total."""
        for candidate in (data, {"version": 1, "categories": data, "documents": data}):
            assert isinstance(outcome(load_schema, candidate), TrackingSchema | SettingsError)
            assert isinstance(outcome(load_documents, candidate), DocumentSet | SettingsError)

    @given(kit.hostile_settings_text())
    def test_text_loaders(self, text):
        """For every text or bytes, loads_json and loads_mapping are total, and a document
        or schema loaded from the parsed text is too."""
        parsed = outcome(loads_json, text)
        outcome(loads_mapping, text)
        if not isinstance(parsed, SettingsError):
            outcome(load_schema, parsed)
            outcome(load_documents, parsed)

    @given(kit.hostile_json())
    def test_json_text_of_hostile_values(self, value):
        """Hostile values written as JSON text load as they do from Python."""
        try:
            text = json.dumps({"version": 1, "bindings": [{"category_id": value}]})
        except (ValueError, TypeError):  # a Decimal or a set is not JSON
            return
        outcome(loads_mapping, text)
