"""The shipped JSON Schemas accept exactly what the settings loaders accept.

The formulation (the property below): for every JSON value drawn from the dumps of generated
settings and from near misses of them (up to four random edits: a value replaced by another
JSON value, a key dropped, a key added, an item appended), the schema validates the value if
and only if the loader, checking shape only, returns without a SettingsError. Valid settings
are the edit-free case. Two differences are out of the schemas' reach and stated in the docs:
a JSON object that repeats a key (gone once parsed; `loads_json` refuses it), and a whole
number written with a fraction (``2.0``), which JSON Schema counts as an integer and the loader
refuses; the edits never write the latter.
"""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackmap._cli._main import main
from trackmap._config import (
    dump_documents,
    dump_mapping,
    dump_schema,
    load_documents,
    load_mapping,
    load_schema,
)
from trackmap._config._approval_format import dump_approval_matrix, load_approval_matrix
from trackmap._config.json_schema import SCHEMA_NAMES, json_schema
from trackmap._engine._approvals import (
    ApprovalCondition,
    ApprovalMatrix,
    ApprovalMode,
    ApprovalRule,
    ApprovalStep,
)
from trackmap.errors import SettingsError
from trackmap.testing import strategies as kit

LOADERS = {
    "mapping": load_mapping,
    "schema": load_schema,
    "documents": load_documents,
    "approvals": load_approval_matrix,
}
VALIDATORS = {name: jsonschema.Draft202012Validator(json_schema(name)) for name in SCHEMA_NAMES}

#: Keys and words of the formats, so that edits often make things that nearly fit.
KEYS = (
    "version", "$schema", "bindings", "category_id", "category_name", "sources", "values",
    "by", "table", "default", "on_unmapped", "required", "categories", "capabilities", "id",
    "name", "status", "options", "active_categories", "fields", "documents", "level", "label",
    "key", "kind", "lines", "steps", "rules", "mode", "default_approvers", "approvers",
    "condition", "other",
)  # fmt: skip
WORDS = (
    "name", "table", "skip", "create", "ACTIVE", "ARCHIVED", "document", "line", "bill",
    "sales_invoice", "all", "any", "matches", "does_not_match", "", "x",
)  # fmt: skip

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from((0.5, -1.25)),  # never a whole number written as a float (see above)
    st.sampled_from(WORDS),
    st.text(max_size=3),
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=2)
    ),
    max_leaves=5,
)


@st.composite
def approval_matrices(draw) -> ApprovalMatrix:
    names = st.lists(st.sampled_from(("Daniel", "Evan", "Fay")), max_size=2)
    rule = st.builds(
        ApprovalRule,
        approvers=names,
        category_id=st.sampled_from(("c0", "c1")),
        options=st.lists(st.sampled_from(("c0-o0", "c1-o1", "nope")), max_size=2),
        condition=st.sampled_from(ApprovalCondition),
        category_name=st.sampled_from(("", "Department")),
    )
    step = st.builds(
        ApprovalStep,
        name=st.sampled_from(("Managers", "Finance", "")),
        rules=st.lists(rule, max_size=2),
        mode=st.sampled_from(ApprovalMode),
        default_approvers=names,
    )
    return ApprovalMatrix(steps=draw(st.lists(step, max_size=2)))


@st.composite
def dumped(draw, name: str) -> object:
    """The dump of a generated value of one format (a mapping may break any rule)."""
    if name == "mapping":
        schema = draw(kit.schemas())
        mapping = draw(kit.mappings(schema, draw(kit.field_specs())))
        try:
            return dump_mapping(mapping)
        except SettingsError:  # a table holding a value twice has no file form
            return {"version": 1}
    if name == "schema":
        return dump_schema(draw(kit.schemas()))
    if name == "documents":
        fields = draw(kit.field_specs())
        docs = draw(st.lists(kit.documents(fields), max_size=2))
        return dump_documents(docs, fields=fields)
    return dump_approval_matrix(draw(approval_matrices()))


def _places(value: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


def _at(value: object, path: tuple) -> object:
    for step in path:
        value = value[step]
    return value


@st.composite
def edited(draw, value: object) -> object:
    """The value after a few random edits, each at a random place."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(_places(value)))
        if not path:
            value = draw(json_values) if draw(st.integers(0, 9)) == 0 else value
            continue
        parent, last = _at(value, path[:-1]), path[-1]
        action = draw(st.sampled_from(("replace", "replace", "drop", "add", "append")))
        if action == "replace":
            parent[last] = draw(json_values)
        elif action == "drop" and isinstance(parent, dict):
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(json_values)
        elif isinstance(parent, list):
            parent.append(draw(json_values))
    return value


#: Every single edit the neighbourhood test makes at every place: these replacement values,
#: and dropping the key, adding an unknown key, appending to a list.
REPLACEMENTS = (None, True, 0, -1, 2, 0.5, "", "x", "name", "ACTIVE", "line", "bill", "all",
                "matches", [], ["x"], [{}], {}, {"by": "name"}, {"by": "table"})  # fmt: skip


def neighbours(value: object):
    """Every value one edit away from ``value`` (see `REPLACEMENTS`)."""
    yield from (copy.deepcopy(r) for r in REPLACEMENTS)  # the whole file replaced
    for path in _places(value)[1:]:
        for replacement in REPLACEMENTS:
            yield _edit(value, path, lambda p, k, r=replacement: p.__setitem__(k, r))
        if isinstance(_at(value, path[:-1]), dict):
            yield _edit(value, path, lambda p, k: p.__delitem__(k))
    for path in _places(value):
        target = _at(value, path)
        if isinstance(target, dict):
            for key in ("other", "version", "$schema"):
                yield _edit(value, (*path, key), lambda p, k: p.__setitem__(k, "x"))
        if isinstance(target, list) and target:
            yield _edit(value, (*path, 0), lambda p, _: p.append(copy.deepcopy(p[0])))


def _edit(value: object, path: tuple, change) -> object:
    out = copy.deepcopy(value)
    change(_at(out, path[:-1]), path[-1])
    return out


def accepted(name: str, value: object) -> bool:
    try:
        LOADERS[name](value)
    except SettingsError:
        return False
    return True


class TestSchemasEqualLoaders:
    """Schema-valid if and only if the loader accepts (see the module docstring)."""

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    def test_each_schema_is_a_valid_json_schema(self, name):
        jsonschema.Draft202012Validator.check_schema(json_schema(name))

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    @given(data=st.data())
    def test_schema_valid_iff_the_loader_accepts(self, name, data):
        """For dumps of generated settings and near misses of them: valid <=> accepted."""
        value = data.draw(edited(data.draw(dumped(name))))
        errors = [e.message for e in VALIDATORS[name].iter_errors(value)]
        assert (not errors) == accepted(name, value), (value, errors)

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    @settings(max_examples=4)  # each example checks hundreds of neighbours
    @given(data=st.data())
    def test_every_single_edit_agrees(self, name, data):
        """For every value one edit away from a generated dump: valid <=> accepted."""
        value = data.draw(dumped(name).filter(lambda v: len(_places(v)) >= 12))  # not trivial
        for near in neighbours(value):
            if VALIDATORS[name].is_valid(near) != accepted(name, near):
                errors = [e.message for e in VALIDATORS[name].iter_errors(near)]
                pytest.fail(f"schema errors {errors} but the loader disagrees, for {near!r}")

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    @given(data=st.data())
    def test_generated_settings_validate(self, name, data):
        """Every dump of a generated value validates, named schema included."""
        value = data.draw(dumped(name))
        assert [] == [e.message for e in VALIDATORS[name].iter_errors(value)]
        assert accepted(name, {**value, "$schema": f"./{name}.schema.json"})


class TestSchemaKey:
    """Settings files may name their JSON Schema."""

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    def test_a_named_schema_is_accepted_and_ignored(self, name):
        LOADERS[name]({"version": 1, "$schema": "./whatever.json"})

    def test_a_schema_key_that_is_not_text_is_refused_at_its_path(self):
        with pytest.raises(SettingsError) as info:
            load_mapping({"version": 1, "$schema": 3})
        assert ['$["$schema"]'] == [p.path for p in info.value.problems]


class TestCommand:
    """``trackmap schema NAME`` prints the shipped schema."""

    @pytest.mark.parametrize("name", SCHEMA_NAMES)
    def test_prints_the_schema(self, name, capsys):
        assert 0 == main(["schema", name])
        assert json_schema(name) == json.loads(capsys.readouterr().out)

    def test_check_reads_files_that_name_their_schema(self, tmp_path, capsys):
        settings = tmp_path / "settings.json"
        schema = tmp_path / "schema.json"
        settings.write_text(json.dumps({"$schema": "./mapping.schema.json", "version": 1}))
        schema.write_text(json.dumps({"$schema": "./schema.schema.json", "version": 1}))
        assert 0 == main(["check", str(settings), "--schema", str(schema)])
        assert "OK" in capsys.readouterr().out

    def test_an_unknown_name_is_a_usage_error(self, capsys):
        assert 2 == main(["schema", "nope"])
        assert "invalid choice" in capsys.readouterr().err
