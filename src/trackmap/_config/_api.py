"""Settings files: dump and load mappings, schemas and documents as versioned JSON-able data.

A mapping file (what a host's "Xero tracking" settings page saves)::

    {"version": 1,
     "bindings": [
       {"category_id": "...", "category_name": "Region", "sources": ["cost_centre"],
        "values": {"by": "table", "table": {"Perth office": "<option id>", "Remote": null}},
        "default": null, "on_unmapped": "skip", "required": false}]}

``values`` is ``{"by": "name"}`` or ``{"by": "table", "table": {...}}`` (a ``null`` option is a
blank row: nothing is sent for that value). Only ``category_id`` is required in a binding.

A table value may also split (settings version 2)::

    "Shared office": {"percent": {"<Sydney id>": "60", "<Melbourne id>": "40"}}
    "Two jobs": {"ratio": {"<Job A id>": 2, "<Job B id>": 1}}

Weights are numbers written as text, or whole numbers (never a JSON fraction, which would lose
precision). A mapping with a split is written as version 2; one without is written as
version 1, exactly as before, so that files without splits stay readable by older trackmaps.
Both versions load; a split in a version 1 file is refused.

Loading never raises anything but `trackmap.errors.SettingsError`, whatever the input, and it
lists every problem at once, each with its path (``$.bindings[1].values.table["Perth"]``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from trackmap._config._converter import CONVERTER
from trackmap._config._problems import index_path, key_path, problems_of
from trackmap._config._quote import HugeNumber, quoted, safe_text, shown
from trackmap._engine._document import Document
from trackmap._engine._mapping import Binding, ByTable, FieldLevel, FieldSpec, TrackingMapping
from trackmap._engine._results import Violation
from trackmap._engine._rules import check_mapping
from trackmap._engine._schema import TrackingSchema
from trackmap.errors import SettingsError, SettingsProblem

__all__ = [
    "SCHEMA_KEY",
    "SPLIT_VERSION",
    "VERSION",
    "DocumentSet",
    "dump_documents",
    "dump_mapping",
    "dump_schema",
    "dumps_mapping",
    "load_documents",
    "load_mapping",
    "load_schema",
    "loads_json",
    "loads_mapping",
    "violation_path",
]

#: The settings format this trackmap writes and reads.
VERSION = 1

#: The mapping format with splits in table rows (written only when a row splits).
SPLIT_VERSION = 2

#: The key a settings file may use to name its JSON Schema, for editors; loaders ignore its value.
SCHEMA_KEY = "$schema"

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class DocumentSet:
    """A documents file: the host's fields (as its adapter declares them) and documents."""

    fields: tuple[FieldSpec, ...] = ()
    documents: tuple[Document, ...] = ()


def dump_mapping(mapping: TrackingMapping) -> dict[str, Any]:
    """Return the mapping as a versioned, JSON-able dict.

    Raises:
        SettingsError: A table holds the same value twice (a JSON object cannot).
    """
    problems = [
        SettingsProblem(_table_path(i, value), "is in the table twice; a file can hold it once")
        for i, binding in enumerate(mapping.bindings)
        for value in _repeated_rows(binding)
    ]
    problems += [p for i, binding in enumerate(mapping.bindings) for p in _unwritable(i, binding)]
    if problems:
        raise SettingsError(problems)
    dumped = _dump(mapping)
    if _has_splits(mapping):
        dumped["version"] = SPLIT_VERSION
    return dumped


def _has_splits(mapping: TrackingMapping) -> bool:
    return any(
        row.split is not None
        for binding in mapping.bindings
        if isinstance(binding.values, ByTable)
        for row in binding.values.rows
    )


def _unwritable(index: int, binding: Binding) -> list[SettingsProblem]:
    """Splits a file cannot hold: with an option besides, or naming an option twice."""
    if not isinstance(binding.values, ByTable):
        return []
    found: list[SettingsProblem] = []
    for row in binding.values.rows:
        if row.split is None:
            continue
        path = _table_path(index, row.value)
        if row.option_id is not None:
            found.append(
                SettingsProblem(path, "has an option and a split; a file can hold one of them")
            )
        found.extend(
            SettingsProblem(
                path, f"names option {quoted(option)} in its split twice; a file can hold it once"
            )
            for option in _repeated(share.option_id for share in row.split.shares)
        )
        found.extend(
            SettingsProblem(path, f"has weight {shown(share.weight)}, which a file cannot hold")
            for share in row.split.shares
            if not (isinstance(share.weight, Decimal) and share.weight.is_finite())
        )
    return found


def _repeated_rows(binding: Binding) -> list[str]:
    if not isinstance(binding.values, ByTable):
        return []
    return _repeated(row.value for row in binding.values.rows)


def _repeated(keys: Iterable[str]) -> list[str]:
    """The keys that come more than once, each once, in order of first repeat (linear time)."""
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for key in keys:
        if key in seen:
            repeated[key] = None
        seen.add(key)
    return list(repeated)


def _table_path(binding: int, value: str) -> str:
    path = key_path(key_path(index_path("$.bindings", binding), "values"), "table")
    return index_path(path, value)


def load_mapping(
    data: object,
    *,
    schema: TrackingSchema | None = None,
    fields: Sequence[FieldSpec] | None = None,
) -> TrackingMapping:
    """Load a mapping from JSON-able data, checking its shape and, optionally, its meaning.

    With ``schema``, the mapping is also checked against the rules (`check_mapping`), and
    every violation is reported at its path. Without ``fields``, the source fields are not
    checked (every field the mapping names is taken as declared).

    Raises:
        SettingsError: Every problem found, each with its path.
    """
    mapping = _load(data, TrackingMapping, versions=(VERSION, SPLIT_VERSION))
    if schema is not None:
        declared = fields if fields is not None else _assumed_fields(mapping)
        violations = check_mapping(mapping, schema, declared)
        if violations:
            raise SettingsError([_located(v, mapping) for v in violations])
    return mapping


def dumps_mapping(mapping: TrackingMapping) -> str:
    """Return the mapping as JSON text, indented for people to read and diff."""
    return json.dumps(dump_mapping(mapping), indent=2, ensure_ascii=False) + "\n"


def loads_mapping(
    text: str | bytes,
    *,
    schema: TrackingSchema | None = None,
    fields: Sequence[FieldSpec] | None = None,
) -> TrackingMapping:
    """Load a mapping from JSON text (see `load_mapping`); bad JSON is a SettingsError too."""
    return load_mapping(loads_json(text), schema=schema, fields=fields)


def dump_schema(schema: TrackingSchema) -> dict[str, Any]:
    """Return a schema (categories, options, capabilities) as a versioned, JSON-able dict."""
    return _dump(schema)


def load_schema(data: object) -> TrackingSchema:
    """Load a schema from JSON-able data.

    Raises:
        SettingsError: Every problem found, each with its path.
    """
    return _load(data, TrackingSchema, subject="the tracking schema")


def dump_documents(
    documents: Sequence[Document], *, fields: Sequence[FieldSpec] = ()
) -> dict[str, Any]:
    """Return documents, and the fields that fill them, as a versioned, JSON-able dict."""
    return _dump(DocumentSet(fields=tuple(fields), documents=tuple(documents)))


def load_documents(data: object) -> DocumentSet:
    """Load a documents file.

    Raises:
        SettingsError: Every problem found, each with its path.
    """
    return _load(data, DocumentSet, subject="the documents file")


def _parse_int(text: str) -> int | HugeNumber:
    return int(text) if len(text) <= _INT_DIGITS else HugeNumber(len(text.lstrip("-")))


# Python reads at most this many digits as an int (sys.get_int_max_str_digits()).
_INT_DIGITS = 4300


def loads_json(text: str | bytes) -> object:
    """Parse JSON text, refusing duplicate keys (a table row given twice is a mistake).

    Raises:
        SettingsError: The text is not JSON text (nor str or bytes), is empty, is not JSON,
            or an object repeats a key.
    """
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        duplicates.extend(_repeated(key for key, _ in items))
        return dict(items)

    if not isinstance(text, str | bytes | bytearray):
        msg = f"must be JSON text (str or bytes), not {shown(text)}"
        raise SettingsError([SettingsProblem("$", msg)])
    try:
        # JSON text is UTF-8 (RFC 8259); a byte order mark is tolerated, other encodings not.
        plain = (
            str.__str__(text)
            if isinstance(text, str)
            else bytes(memoryview(text)).decode("utf-8-sig")
        )
        if not plain.strip():
            raise SettingsError([SettingsProblem("$", _EMPTY)])
        data = json.loads(plain, object_pairs_hook=pairs, parse_int=_parse_int)
    except (ValueError, RecursionError) as exc:
        raise SettingsError([SettingsProblem("$", _not_json(exc))]) from exc
    if duplicates:
        raise SettingsError(
            [SettingsProblem("$", f"repeats the key {quoted(k)}") for k in duplicates]
        )
    return data


_EMPTY = 'is empty: a trackmap file holds one JSON object, starting {"version": 1, ...}'


def _not_json(exc: ValueError | RecursionError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        where = f"line {exc.lineno}, column {exc.colno}"
        return f"is not valid JSON ({safe_text(exc.msg)} at {where})"
    if isinstance(exc, UnicodeDecodeError):
        return f"is not UTF-8 text (byte {exc.start + 1} cannot be decoded)"
    if isinstance(exc, RecursionError):
        return "is not valid JSON that trackmap reads (it nests too deeply)"
    return f"is not valid JSON ({safe_text(exc)})"


def _dump(value: object) -> dict[str, Any]:
    body: dict[str, Any] = CONVERTER.unstructure(value)
    return {"version": VERSION, **body}


def _load(
    data: object,
    cls: type[T],
    *,
    subject: str = "the tracking settings",
    versions: tuple[int, ...] = (VERSION,),
) -> T:
    try:
        body, version = _unwrap(data, versions)
    except SettingsError as exc:
        raise SettingsError(exc.problems, subject=subject) from None
    try:
        loaded = CONVERTER.structure(body, cls)
    except Exception as exc:
        # Whatever went wrong, the caller sees trackmap's error with every problem's path.
        found = _problems_or_one(exc)
        raise SettingsError(_other_format(body, cls) + found, subject=subject) from exc
    if isinstance(loaded, TrackingMapping) and version < SPLIT_VERSION and _has_splits(loaded):
        msg = (
            f"splits a value, which needs settings version {SPLIT_VERSION}; this file says "
            f"version {version}"
        )
        raise SettingsError([SettingsProblem("$.version", msg)], subject=subject)
    return loaded


#: The keys that tell each file format apart, and what a person calls that file.
_FORMATS: dict[type, tuple[frozenset[str], str]] = {
    TrackingMapping: (frozenset({"bindings"}), "a tracking settings (mapping) file"),
    TrackingSchema: (frozenset({"categories", "capabilities"}), "a schema file"),
    DocumentSet: (frozenset({"documents", "fields"}), "a documents file"),
}


def _other_format(body: dict[str, object], cls: type) -> list[SettingsProblem]:
    """A first problem saying so when the data is plainly another of trackmap's files."""
    expected, _ = _FORMATS.get(cls, (frozenset(), ""))
    if expected & body.keys():
        return []
    for other, (keys, words) in _FORMATS.items():
        if other is not cls and keys & body.keys():
            msg = f"looks like {words} (it has {', '.join(sorted(keys & body.keys()))}): "
            msg += "was it given in place of another file?"
            return [SettingsProblem("$", msg)]
    return []


def _problems_or_one(exc: Exception) -> list[SettingsProblem]:
    """Every problem with its path; a value whose own methods fail still gets a sentence."""
    try:
        return problems_of(exc) or [SettingsProblem("$", "cannot be read")]
    except Exception:  # noqa: BLE001 - hostile Python-side data; the caller gets a SettingsError
        kind = safe_text(type(exc).__name__)
        return [SettingsProblem("$", f"cannot be read ({kind}: {safe_text(exc)})")]


def _unwrap(data: object, versions: tuple[int, ...]) -> tuple[dict[str, object], int]:
    """Check the envelope (an object with a known version, maybe a ``$schema``).

    Returns the rest, and the version.
    """
    if not isinstance(data, dict):
        msg = f'must be an object with "version": {VERSION}, not {shown(data)}'
        raise SettingsError([SettingsProblem("$", msg)])
    # Base-class methods: a dict subclass may override any of them.
    items = dict(dict.items(data))
    if "version" not in items:
        raise SettingsError([SettingsProblem("$.version", "is required")])
    version = items.pop("version")
    # Exactly the whole number: 1.0, True, Decimal(1) and "1" are not version 1.
    if type(version) is not int:
        msg = f"must be the whole number {VERSION}, not {shown(version)}"
        raise SettingsError([SettingsProblem("$.version", msg)])
    if version not in versions:
        reads = " or ".join(str(v) for v in versions)
        msg = (
            f"{shown(version)} is not a settings version this trackmap reads (it reads "
            f"version {reads}; a newer trackmap may have written this file)"
        )
        raise SettingsError([SettingsProblem("$.version", msg)])
    schema_ref = items.pop(SCHEMA_KEY, "")
    if not isinstance(schema_ref, str):
        msg = f"must be text (the address of the file's JSON Schema), not {shown(schema_ref)}"
        raise SettingsError([SettingsProblem(key_path("$", SCHEMA_KEY), msg)])
    return items, version


def _assumed_fields(mapping: TrackingMapping) -> tuple[FieldSpec, ...]:
    names = dict.fromkeys(name for b in mapping.bindings for name in b.sources)
    return tuple(FieldSpec(name=name, level=FieldLevel.DOCUMENT) for name in names)


def _located(violation: Violation, mapping: TrackingMapping) -> SettingsProblem:
    # The engine's sentence quotes the file's own values: made safe to print here as well.
    return SettingsProblem(violation_path(violation, mapping), safe_text(violation.message, 1000))


_CATEGORY_CODES = frozenset(
    {
        "too_many_categories",
        "category_bound_twice",
        "category_missing",
        "category_archived",
        "category_deleted",
        "option_names_collide",
    }
)


def violation_path(violation: Violation, mapping: TrackingMapping) -> str:
    """Return the settings-file path of the place a violation is about."""
    if violation.binding is None or not 0 <= violation.binding < len(mapping.bindings):
        return "$.bindings"
    binding = mapping.bindings[violation.binding]
    path = index_path("$.bindings", violation.binding)
    if violation.code in _CATEGORY_CODES:
        return key_path(path, "category_id")
    if violation.field is not None and violation.field in binding.sources:
        return index_path(key_path(path, "sources"), binding.sources.index(violation.field))
    return _value_path(violation, binding, path)


def _value_path(violation: Violation, binding: Binding, path: str) -> str:
    if violation.value is not None and isinstance(binding.values, ByTable):
        return index_path(key_path(key_path(path, "values"), "table"), violation.value)
    if violation.code.startswith("option_") or violation.code == "default_needed":
        return key_path(path, "default")
    if violation.code == "create_needs_by_name":
        return key_path(path, "on_unmapped")
    return path
