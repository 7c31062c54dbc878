"""The one cattrs converter for trackmap's settings files, configured once, at import.

Settings come from people and from other programs, so structuring is strict where cattrs is
lenient by default: text must be text (``5`` is not ``"5"``), a flag must be a JSON boolean,
a list must be a list (a string is not a list of characters), unknown keys are refused
(``forbid_extra_keys``), and every problem is collected (``detailed_validation``) so that one
`trackmap.errors.SettingsError` can list them all.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from trackmap._config._quote import shown
from trackmap._engine._mapping import Binding, ByName, ByTable, Share, Split, TableRow

__all__ = ["CONVERTER", "LARGEST_INT", "RENAMED", "SPLIT_KEYS", "WEIGHT_TEXT", "Invalid", "shown"]


class Invalid(ValueError):  # noqa: N818 - reads as "Invalid(...)" at the raise site
    """A value of the wrong shape; the message is the sentence the settings error shows."""


Hook = Callable[[Any, Any], Any]


def _strict_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        msg = f"must be text, not {shown(value)}"
        raise Invalid(msg)
    # A str subclass may override any method: keep plain text only.
    return _unicode(str.__str__(value))


def _unicode(text: str) -> str:
    """Refuse text that is not Unicode: a lone surrogate (from a JSON escape) cannot be sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        msg = f"must be Unicode text, not {shown(text)} (it holds a lone surrogate)"
        raise Invalid(msg) from exc
    return text


def _strict_bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        msg = f"must be true or false, not {shown(value)}"
        raise Invalid(msg)
    return value is True


#: The largest whole number a settings file may hold (a signed 64-bit integer, as in SQLite).
LARGEST_INT = 2**63 - 1


def _strict_int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"must be a whole number, not {shown(value)}"
        raise Invalid(msg)
    number = int.__int__(value)
    if abs(number) > LARGEST_INT:
        msg = f"must be a whole number of at most 19 digits, not {shown(number)}"
        raise Invalid(msg)
    return number


def _enum_hook(enum_type: type[enum.Enum]) -> Hook:
    allowed = [member.value for member in enum_type]

    def structure(value: object, _: object) -> enum.Enum:
        if isinstance(value, str):
            text = str.__str__(value)
            for member in enum_type:
                if member.value == text:
                    return member
        choices = ", ".join(f'"{a}"' for a in allowed)
        msg = f"must be one of {choices}, not {shown(value)}"
        raise Invalid(msg)

    return structure


def _collect(
    items: list[tuple[Any, Any]], hook: Hook, item_type: object, whole: object
) -> list[Any]:
    """Structure (index, value) pairs, raising every failure at once with its index."""
    out: list[Any] = []
    errors: list[Exception] = []
    for index, item in items:
        try:
            out.append(hook(item, item_type))
        except Exception as exc:  # noqa: BLE001 - every failure is reported with its place
            exc.__notes__ = [IterableValidationNote(f"@ {index!r}", index, item_type)]
            errors.append(exc)
    if errors:
        msg = f"While structuring {whole!r}"
        # cattrs only keeps the type for messages; a generic alias serves as well as a class.
        raise IterableValidationError(msg, errors, typing.cast("type", whole))
    return out


def _sequence_factory(seq_type: Any, converter: cattrs.Converter) -> Hook:  # noqa: ANN401
    (item_type, *_) = typing.get_args(seq_type) or (Any,)
    hook = converter.get_structure_hook(item_type)

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            msg = f"must be a list, not {shown(value)}"
            raise Invalid(msg)
        # Base-class iteration: a subclass may override any method.
        plain = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        return tuple(_collect(list(enumerate(plain)), hook, item_type, seq_type))

    return structure


def _mapping_factory(map_type: Any, converter: cattrs.Converter) -> Hook:  # noqa: ANN401
    args = typing.get_args(map_type)
    value_type = args[1] if len(args) == 2 else Any  # noqa: PLR2004 - key and value types
    hook = converter.get_structure_hook(value_type)

    def structure(value: object, _: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            msg = f"must be an object, not {shown(value)}"
            raise Invalid(msg)
        bad_keys = [k for k in value if not isinstance(k, str)]
        if bad_keys:
            msg = f"keys must be text, not {shown(bad_keys[0])}"
            raise Invalid(msg)
        try:
            items = [(_unicode(str.__str__(k)), v) for k, v in dict.items(value)]
        except Invalid as exc:
            msg = f"keys {exc}"
            raise Invalid(msg) from None
        values = _collect(items, hook, value_type, map_type)
        return dict(zip((k for k, _ in items), values, strict=True))

    return structure


def _is_sequence(t: Any) -> bool:  # noqa: ANN401
    return typing.get_origin(t) in {tuple, list}


def _is_mapping(t: Any) -> bool:  # noqa: ANN401
    return typing.get_origin(t) in {dict, Mapping}


def _is_enum(t: Any) -> bool:  # noqa: ANN401
    return isinstance(t, type) and issubclass(t, enum.Enum)


_VALUE_KEYS = {"name": {"by"}, "table": {"by", "table"}}


class _Cell:
    """A table value in a file: an option id, null (a blank row), or a split (a marker type)."""


class _Weight:
    """A share's weight in a file: a number as text (``"33.33"``) or a whole number."""


#: The two ways a file writes a split: percentages (adding up to 100) or ratio parts.
SPLIT_KEYS = ("percent", "ratio")


def _structure_values(value: object, _: object) -> ByName | ByTable:
    """``{"by": "name"}`` or ``{"by": "table", "table": {value: option id, null or split}}``."""
    if not isinstance(value, dict):
        msg = 'must be an object such as {"by": "name"}, not ' + shown(value)
        raise Invalid(msg)
    by = dict.get(value, "by")
    if not isinstance(by, str) or str.__str__(by) not in _VALUE_KEYS:
        msg = f'"by" must be "name" or "table", not {shown(by)}'
        raise Invalid(msg)
    by = str.__str__(by)
    errors = [_extra_key(key) for key in value if not _known_key(key, _VALUE_KEYS[by])]
    table: dict[str, str | Split | None] = {}
    if by == "table":
        try:
            cells: Any = CONVERTER.structure(dict.get(value, "table", {}), dict[str, _Cell])
            table = cells
        except Exception as exc:  # noqa: BLE001 - reported under "table"
            exc.__notes__ = [AttributeValidationNote("@ table", "table", dict)]
            errors.append(exc)
    if errors:
        msg = "While structuring the values"
        raise ClassValidationError(msg, errors, ByTable)
    if by == "name":
        return ByName()
    return ByTable(rows=[_row(key, cell) for key, cell in table.items()])


def _row(value: str, cell: str | Split | None) -> TableRow:
    if isinstance(cell, Split):
        return TableRow(value=value, option_id=None, split=cell)
    return TableRow(value=value, option_id=cell)


def _structure_cell(value: object, _: object) -> str | Split | None:
    """An option id, null, or ``{"percent": {option id: weight}}`` / ``{"ratio": {...}}``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return _strict_str(value, str)
    keys = [key for key in value if _known_key(key, set(SPLIT_KEYS))]
    errors = [_extra_key(key) for key in value if not _known_key(key, set(SPLIT_KEYS))]
    if not keys and not errors:
        msg = 'must be an option id, null or a split such as {"percent": {"<option id>": "60"}}'
        raise Invalid(msg)
    if len(keys) > 1:
        errors.append(Invalid('must say "percent" or "ratio", not both'))
    weights: dict[str, Decimal] = {}
    if keys:
        key = str.__str__(keys[0])
        try:
            parsed: Any = CONVERTER.structure(dict.get(value, key), dict[str, _Weight])
            weights = parsed
        except Exception as exc:  # noqa: BLE001 - reported under its key
            exc.__notes__ = [AttributeValidationNote(f"@ {key}", key, dict)]
            errors.append(exc)
    if errors:
        msg = "While structuring the split"
        raise ClassValidationError(msg, errors, Split)
    shares = [Share(option_id=option_id, weight=w) for option_id, w in weights.items()]
    return Split(shares=shares, percent=str.__str__(keys[0]) == "percent")


#: How a weight is written as text: digits, maybe a sign and a fraction (the JSON Schema's).
WEIGHT_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _structure_weight(value: object, _: object) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(_strict_int(value, int))
    if isinstance(value, str) and WEIGHT_TEXT.fullmatch(str.__str__(value)):
        return Decimal(str.__str__(value))
    msg = (
        'must be a number written as text ("33.33") or a whole number, so that no precision '
        f"is lost, not {shown(value)}"
    )
    raise Invalid(msg)


def _known_key(key: object, known: set[str]) -> bool:
    return isinstance(key, str) and str.__str__(key) in known


def _extra_key(key: object) -> Exception:
    exc = Invalid("is not a key trackmap knows")
    name = str.__str__(key) if isinstance(key, str) else shown(key)
    exc.__notes__ = [AttributeValidationNote(f"@ {name}", name, object)]
    return exc


def _unstructure_values(values: ByName | ByTable) -> dict[str, Any]:
    if isinstance(values, ByName):
        return {"by": "name"}
    # dump_mapping refuses tables that hold a value twice before they get here.
    return {"by": "table", "table": {row.value: _unstructure_cell(row) for row in values.rows}}


def _unstructure_cell(row: TableRow) -> object:
    # dump_mapping refuses rows with both an option and a split, splits naming an option
    # twice and weights that are not finite numbers, before they get here.
    if row.split is None:
        return row.option_id
    key = SPLIT_KEYS[0] if row.split.percent else SPLIT_KEYS[1]
    return {key: {share.option_id: format(share.weight, "f") for share in row.split.shares}}


#: Attribute names that a settings file spells differently (the file's words are shorter).
RENAMED: dict[type, dict[str, str]] = {Binding: {"default_option_id": "default"}}


def _overrides(cls: type) -> dict[str, Any]:
    return {name: override(rename=key) for name, key in RENAMED.get(cls, {}).items()}


def _class_factory(cls: type, converter: cattrs.Converter) -> Hook:
    """Structure an attrs class from a JSON object, refusing anything that is not an object."""
    structure_fields: Hook = make_dict_structure_fn(cls, converter, **_overrides(cls))

    def structure(value: object, _: object) -> object:
        if not isinstance(value, dict):
            msg = f"must be an object, not {shown(value)}"
            raise Invalid(msg)
        return structure_fields(dict(dict.items(value)), cls)

    return structure


def _build() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook_factory(_is_enum, _enum_hook)
    converter.register_structure_hook_factory(
        _is_sequence, lambda t: _sequence_factory(t, converter)
    )
    converter.register_structure_hook_factory(_is_mapping, lambda t: _mapping_factory(t, converter))
    converter.register_structure_hook(ByName | ByTable, _structure_values)
    converter.register_structure_hook(_Cell, _structure_cell)
    converter.register_structure_hook(_Weight, _structure_weight)
    converter.register_unstructure_hook(ByName | ByTable, _unstructure_values)
    converter.register_structure_hook_factory(attrs.has, lambda t: _class_factory(t, converter))
    converter.register_unstructure_hook(
        Binding, make_dict_unstructure_fn(Binding, converter, **_overrides(Binding))
    )
    # Document.fields and Line.fields are Mappings at run time; dump them as plain objects.
    converter.register_unstructure_hook(Mapping, dict)
    return converter


#: The converter every settings, schema and documents file goes through.
CONVERTER = _build()
