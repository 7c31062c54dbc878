"""Hypothesis strategies for trackmap's values, for hosts' tests and trackmap's own.

Needs ``hypothesis`` (a test dependency, not a runtime one). Every strategy draws small values
from small pools on purpose, so that names collide after normalisation, values hit table keys,
and archived options get named: the interesting cases come up in a few examples.

- `capabilities`, `schemas`: organisations with ACTIVE, ARCHIVED and DELETED categories and
  options (option ids are unique within the schema);
- `field_specs`: the host fields an adapter declares;
- `mappings` (arbitrary: may break any rule) and `valid_mappings` (obey every rule of
  `trackmap._engine._rules`, so they compile);
- `documents`: documents whose field values suit the given field specs (unique line keys).

Hostile values, in a section of their own (every public entry point must give a result or a
trackmap error for them): `huge_ints`, `special_numbers` (NaN, infinities, sNaN),
`lone_surrogates`, `control_texts`, `long_texts`, `deep_nesting`, `raising_objects` (dunder
methods that raise), `odd_strings` (`str` subclasses whose methods raise or lie),
`hostile_values` (any of them), `hostile_texts` (any `str`, subclasses included) and
`hostile_documents`.

Hostile settings and files, in a section after it (the loaders and the command line must give
a result or a trackmap error): `HOSTILE_TEXTS` and `hostile_text` (plain text that breaks naive
code), `hostile_json`, `hostile_python_data` (with `Raising`, `RaisingStr`, `RaisingDict`),
`hostile_settings_data` and `hostile_settings_text`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from decimal import Decimal

import attrs
from hypothesis import strategies as st

from trackmap._engine._document import Document, DocumentKind, Line
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
    ValueRule,
)
from trackmap._engine._names import normalise
from trackmap._engine._schema import (
    Capabilities,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)

__all__ = [
    "FIELD_NAMES",
    "HOSTILE_TEXTS",
    "SHARE_WEIGHTS",
    "VALUE_POOL",
    "HostileError",
    "Raising",
    "RaisingDict",
    "RaisingStr",
    "any_splits",
    "arbitrary_documents",
    "capabilities",
    "control_texts",
    "deep_nesting",
    "documents",
    "field_specs",
    "host_values",
    "hostile_documents",
    "hostile_json",
    "hostile_python_data",
    "hostile_settings_data",
    "hostile_settings_text",
    "hostile_text",
    "hostile_texts",
    "hostile_values",
    "huge_ints",
    "lone_surrogates",
    "long_texts",
    "mappings",
    "odd_strings",
    "raising_objects",
    "schemas",
    "special_numbers",
    "statuses",
    "valid_mappings",
    "valid_splits",
]

#: Host values and option names, with variants that collide after normalisation.
VALUE_POOL: tuple[str, ...] = (
    "Perth",
    "perth",
    " Perth ",
    "Sydney",
    "SYDNEY",
    "North West",
    "north  west",
    "J100",
    "J200",
    "Straße",
    "STRASSE",
    "Ann",
    "Bob",
)

#: Field names the strategies declare and read.
FIELD_NAMES: tuple[str, ...] = ("stage_manager", "project_manager", "job", "branch")


def statuses() -> st.SearchStrategy[TrackingStatus]:
    """ACTIVE most of the time, ARCHIVED and DELETED often enough to matter."""
    return st.sampled_from(
        (
            TrackingStatus.ACTIVE,
            TrackingStatus.ACTIVE,
            TrackingStatus.ARCHIVED,
            TrackingStatus.DELETED,
        )
    )


def host_values() -> st.SearchStrategy[str | None]:
    """A host field value: mostly from the pool, else blank, None, or any short text."""
    return st.one_of(
        st.sampled_from((*VALUE_POOL, "", "  ", None)),
        st.sampled_from(VALUE_POOL),
        st.text(max_size=6),
    )


def capabilities() -> st.SearchStrategy[Capabilities]:
    """Small limits, so that every limit is reached in a few examples."""
    return st.builds(
        Capabilities,
        active_categories=st.integers(min_value=1, max_value=3),
        entries_per_line=st.integers(min_value=1, max_value=3),
        option_name_length=st.integers(min_value=2, max_value=12),
        options_per_category=st.integers(min_value=0, max_value=8),
    )


@st.composite
def _category(draw: st.DrawFn, index: int) -> TrackingCategory:
    names = draw(st.lists(st.sampled_from(VALUE_POOL), max_size=6))
    options = tuple(
        TrackingOption(id=f"c{index}-o{n}", name=name, status=draw(statuses()))
        for n, name in enumerate(names)
    )
    return TrackingCategory(
        id=f"c{index}", name=f"Category {index}", status=draw(statuses()), options=options
    )


@st.composite
def schemas(
    draw: st.DrawFn, *, max_categories: int = 4, tracking_on: bool = False
) -> TrackingSchema:
    """An organisation: up to ``max_categories`` categories of up to six options each.

    With ``tracking_on``, the first category is ACTIVE, so the organisation has tracking on.
    """
    count = draw(st.integers(min_value=1 if tracking_on else 0, max_value=max_categories))
    categories = [draw(_category(index)) for index in range(count)]
    if tracking_on:
        categories[0] = attrs.evolve(categories[0], status=TrackingStatus.ACTIVE)
    return TrackingSchema(categories=tuple(categories), capabilities=draw(capabilities()))


@st.composite
def field_specs(draw: st.DrawFn, *, min_size: int = 0) -> tuple[FieldSpec, ...]:
    """The fields an adapter declares: distinct names from `FIELD_NAMES`, each at one level."""
    names = draw(
        st.lists(
            st.sampled_from(FIELD_NAMES), unique=True, min_size=min_size, max_size=len(FIELD_NAMES)
        )
    )
    return tuple(
        FieldSpec(name=name, level=draw(st.sampled_from(FieldLevel)), label=name.replace("_", " "))
        for name in names
    )


def _option_ids(category: TrackingCategory | None) -> tuple[str, ...]:
    return tuple(o.id for o in category.options) if category is not None else ()


@st.composite
def _any_binding(draw: st.DrawFn, schema: TrackingSchema, fields: Sequence[FieldSpec]) -> Binding:
    category_id = draw(st.sampled_from((*(c.id for c in schema.categories), "c-missing")))
    option_ids = (*_option_ids(schema.category(category_id)), "o-missing")
    field_names = (*(f.name for f in fields), "not_a_field")
    values: ValueRule = ByName()
    if draw(st.booleans()):
        rows = draw(
            st.lists(
                st.builds(
                    TableRow,
                    value=st.sampled_from((*VALUE_POOL, "", " ")),
                    option_id=st.sampled_from((*option_ids, None)),
                    split=st.one_of(st.none(), any_splits(option_ids)),
                ),
                max_size=4,
            )
        )
        values = ByTable(rows=rows)
    return Binding(
        category_id=category_id,
        sources=draw(st.lists(st.sampled_from(field_names), max_size=3)),
        values=values,
        default_option_id=draw(st.sampled_from((None, *option_ids))),
        on_unmapped=draw(st.sampled_from(OnUnmapped)),
        required=draw(st.booleans()),
    )


#: Share weights: valid ones that add up to 100 in pairs, and ones no split may have.
SHARE_WEIGHTS = (
    Decimal(50),
    Decimal(60),
    Decimal(40),
    Decimal("33.34"),
    Decimal("33.33"),
    Decimal(1),
    Decimal(2),
    Decimal(0),
    Decimal(-10),
    Decimal("NaN"),
    Decimal("Infinity"),
)


def any_splits(option_ids: Sequence[str]) -> st.SearchStrategy[Split]:
    """Any split over these option ids: it may break every part of rule 10."""
    return st.builds(
        Split,
        shares=st.lists(
            st.builds(
                Share,
                option_id=st.sampled_from(tuple(option_ids) or ("o-missing",)),
                weight=st.sampled_from(SHARE_WEIGHTS),
            ),
            max_size=5,
        ),
        percent=st.booleans(),
    )


@st.composite
def valid_splits(draw: st.DrawFn, category: TrackingCategory, *, max_shares: int = 3) -> Split:
    """A split that obeys rule 10 over the category's active options (needs two of them)."""
    active = [o.id for o in category.active_options]
    ids = draw(st.lists(st.sampled_from(active), min_size=2, max_size=max_shares, unique=True))
    count = len(ids)
    ratio = draw(st.booleans())
    if ratio:
        parts = draw(st.lists(st.integers(1, 9), min_size=count, max_size=count))
        weights = [Decimal(part) for part in parts]
    else:
        cuts = st.lists(st.integers(1, 9999), min_size=count - 1, max_size=count - 1, unique=True)
        bounds = [0, *sorted(draw(cuts)), 10000]
        weights = [Decimal(b - a) / 100 for a, b in itertools.pairwise(bounds)]
    shares = [Share(option_id=i, weight=w) for i, w in zip(ids, weights, strict=True)]
    return Split(shares=shares, percent=not ratio)


@st.composite
def mappings(
    draw: st.DrawFn, schema: TrackingSchema, fields: Sequence[FieldSpec]
) -> TrackingMapping:
    """Any mapping over this schema and these fields: it may break every rule.

    Category and option ids come from the schema, plus ids it does not have; sources come from
    the fields, plus one the host does not declare.
    """
    bindings = draw(st.lists(_any_binding(schema, fields), max_size=4))
    return TrackingMapping(bindings=bindings)


def _unambiguous(category: TrackingCategory) -> bool:
    names = [normalise(o.name) for o in category.active_options]
    return len(names) == len(set(names))


@st.composite
def _valid_binding(
    draw: st.DrawFn, category: TrackingCategory, fields: Sequence[FieldSpec]
) -> Binding:
    active = tuple(o.id for o in category.active_options)
    by_name = _unambiguous(category) and draw(st.booleans())
    values: ValueRule = ByName()
    if not by_name:
        keys = draw(st.lists(st.sampled_from(VALUE_POOL), unique_by=normalise, max_size=4))
        rows = [TableRow(value=k, option_id=draw(st.sampled_from((*active, None)))) for k in keys]
        values = ByTable(rows=rows)
    default = draw(st.sampled_from((None, *active)))
    modes = [OnUnmapped.SKIP, OnUnmapped.ERROR]
    modes += [OnUnmapped.DEFAULT] if default is not None else []
    modes += [OnUnmapped.CREATE] if by_name else []
    names = [f.name for f in fields]
    return Binding(
        category_id=category.id,
        category_name=category.name,
        sources=draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)) if names else (),
        values=values,
        default_option_id=default,
        on_unmapped=draw(st.sampled_from(modes)),
        required=draw(st.booleans()),
    )


@st.composite
def valid_mappings(
    draw: st.DrawFn, schema: TrackingSchema, fields: Sequence[FieldSpec], *, min_size: int = 0
) -> TrackingMapping:
    """A mapping that obeys every rule against this schema and these fields, so it compiles.

    Bindings go to distinct ACTIVE categories, at most ``active_categories`` of them; tables
    and defaults point at active options; by-name bindings only where active names are
    unambiguous. Against an organisation with tracking off, the mapping is empty. It has at
    least ``min_size`` bindings when the schema and the limit allow as many.
    """
    limit = schema.capabilities.active_categories
    least = min(min_size, limit, len(schema.active_categories))
    categories = draw(
        st.lists(
            st.sampled_from(schema.active_categories),
            unique_by=lambda c: c.id,
            min_size=least,
            max_size=limit,
        )
        if schema.active_categories
        else st.just([])
    )
    return TrackingMapping(bindings=[draw(_valid_binding(c, fields)) for c in categories])


@st.composite
def documents(
    draw: st.DrawFn, fields: Sequence[FieldSpec], *, min_lines: int = 0, max_lines: int = 4
) -> Document:
    """A document whose document- and line-level values suit ``fields`` (unique line keys)."""
    doc_fields = [f.name for f in fields if f.level is FieldLevel.DOCUMENT]
    line_fields = [f.name for f in fields if f.level is FieldLevel.LINE]
    count = draw(st.integers(min_value=min_lines, max_value=max_lines))
    lines = tuple(
        Line(key=str(n + 1), fields={name: draw(host_values()) for name in line_fields})
        for n in range(count)
    )
    return Document(
        key=draw(st.sampled_from(("INV-1", "INV-2", "BILL-7"))),
        kind=draw(st.sampled_from(DocumentKind)),
        fields={name: draw(host_values()) for name in doc_fields},
        lines=lines,
    )


def _wild_values() -> st.SearchStrategy[object]:
    return st.one_of(
        host_values(),
        host_values(),
        host_values(),
        st.integers(),
        st.floats(allow_nan=True),
        st.lists(st.text(max_size=2), max_size=2),
        st.none(),
    )


@st.composite
def arbitrary_documents(draw: st.DrawFn) -> object:
    """Anything a careless adapter might hand over, to prove resolution total.

    Wrong value types, duplicate line keys, lines that are not `Line` objects, or something
    that is not a `Document` at all.
    """
    names = st.sampled_from((*FIELD_NAMES, "other"))
    field_maps = st.dictionaries(names, _wild_values(), max_size=4)
    good_line = st.builds(Line, key=st.sampled_from(("1", "2", "3", "4")), fields=field_maps)
    line = st.one_of(
        good_line,
        good_line,
        good_line,
        st.builds(Line, key=st.integers(0, 2), fields=field_maps),
        st.integers(),
    )
    document = st.builds(
        Document,
        key=st.sampled_from(("INV-1", "BILL-7", "CN-3", 3)),
        kind=st.sampled_from((*DocumentKind, "invoice")),
        fields=field_maps,
        lines=st.one_of(
            st.lists(good_line, max_size=4, unique_by=lambda x: x.key),
            st.lists(good_line, max_size=4, unique_by=lambda x: x.key),
            st.lists(line, max_size=4),
        ).map(tuple),
    )
    return draw(st.one_of(document, document, document, st.integers(), st.text(max_size=3)))


# --- hostile values: what an attacker or a careless host hands over ---------------------------
#
# Every public entry point promises a result or a trackmap error, whatever it is given, with
# messages that are bounded and encodable as UTF-8. These strategies draw the values that broke
# that promise before: hosts reuse them to test their own adapters and pages.


class HostileError(Exception):
    """What the objects of `raising_objects` raise from their dunder methods."""


def _raise(*_: object) -> object:
    msg = "hostile value"
    raise HostileError(msg)


_DUNDERS = ("__hash__", "__eq__", "__str__", "__repr__", "__bool__", "__len__", "__format__")


def _hostile_class(base: type, failing: tuple[str, ...]) -> type:
    namespace: dict[str, object] = dict.fromkeys(failing, _raise)
    if base is str:
        namespace["__slots__"] = ()
    name = "Hostile" + base.__name__.capitalize() + "".join(f.strip("_")[:2] for f in failing)
    return type(name, (base,), namespace)


def huge_ints() -> st.SearchStrategy[int]:
    """Whole numbers past every limit: 64 bits, and the 4,300 digits ``str()`` accepts."""
    # Built when drawn: Hypothesis shows a strategy's arguments with repr(), which Python
    # refuses for an int of more than 4,300 digits.
    return st.sampled_from(_HUGE).map(_huge)


#: (base, power, sign, offset) of each huge int: sign * base**power + offset.
_HUGE = (
    (2, 63, 1, 0),
    (2, 63, -1, -1),
    (10, 4300, 1, 0),
    (10, 4301, 1, 0),
    (10, 5000, 1, 0),
    (10, 5000, -1, 0),
    (2, 20_000, 1, 1),
)


def _huge(spec: tuple[int, int, int, int]) -> int:
    base, power, sign, offset = spec
    return int(sign * base**power + offset)


def special_numbers() -> st.SearchStrategy[object]:
    """NaN, infinities and signalling NaN, as floats and Decimals."""
    return st.sampled_from(
        (
            math.nan,
            math.inf,
            -math.inf,
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal("1E+999999"),
        )
    )


def lone_surrogates() -> st.SearchStrategy[str]:
    """Text holding unpaired surrogates (not encodable as UTF-8), alone or amid letters."""
    surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
    return st.lists(st.one_of(surrogate, st.sampled_from("Perth ")), min_size=1).map("".join)


def control_texts() -> st.SearchStrategy[str]:
    """Text with control characters: ANSI escapes, NUL, newlines, bidirectional overrides."""
    nasty = st.sampled_from(
        ("\x1b[31m", "\x1b]0;owned\x07", "\x00", "\n", "\r", "\x7f", "\u202e", "\u2028", "\x85")
    )
    return st.lists(st.one_of(nasty, st.sampled_from(("Perth", " ", "J100"))), min_size=1).map(
        "".join
    )


def long_texts(*, max_size: int = 1_000_000) -> st.SearchStrategy[str]:
    """Very long text (up to ``max_size`` characters), cheap to draw: a repeated pattern."""
    return st.builds(
        lambda unit, size: (unit * (size // len(unit) + 1))[:size],
        st.sampled_from(("x", "Perth ", "\u00e9", "\x1b[0m")),
        st.integers(min_value=10_000, max_value=max_size),
    )


def deep_nesting(*, depth: int = 5_000) -> st.SearchStrategy[object]:
    """Lists and dicts nested ``depth`` deep: their repr and equality recurse past the limit."""

    def nest(kind: str) -> object:
        value: object = "Perth"
        for _ in range(depth):
            value = [value] if kind == "list" else {"k": value}
        return value

    return st.sampled_from(("list", "dict")).map(nest)


def raising_objects() -> st.SearchStrategy[object]:
    """Objects whose own ``__hash__``, ``__eq__``, ``__str__``, ``__repr__``... raise."""
    failing = st.lists(st.sampled_from(_DUNDERS), min_size=1, max_size=4, unique=True).map(tuple)
    return st.builds(lambda names: _hostile_class(object, names)(), failing)


def odd_strings() -> st.SearchStrategy[str]:
    """`str` subclasses whose methods raise or lie (hash, equality, strip, split, len...)."""
    failing = st.lists(
        st.sampled_from((*_DUNDERS, "strip", "split", "casefold", "isspace", "__getitem__")),
        min_size=1,
        max_size=4,
        unique=True,
    ).map(tuple)
    text = st.sampled_from(("Perth", "Ann", "", "  ", "J100", "1"))
    liar = st.builds(_liar, text)
    return st.one_of(st.builds(lambda names, t: _hostile_class(str, names)(t), failing, text), liar)


class _LyingStr(str):
    """A str that says it equals everything and hashes like "1"."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return hash("1")


def _liar(text: str) -> str:
    return _LyingStr(text)


def hostile_values() -> st.SearchStrategy[object]:
    """Any of the hostile values above, or an ordinary host value."""
    return st.one_of(
        huge_ints(),
        special_numbers(),
        lone_surrogates(),
        control_texts(),
        long_texts(max_size=20_000),
        deep_nesting(depth=2_000),
        raising_objects(),
        odd_strings(),
        host_values(),
    )


def hostile_texts() -> st.SearchStrategy[str]:
    """Text that is still a `str`, but hostile: surrogates, controls, length, odd subclasses."""
    return st.one_of(lone_surrogates(), control_texts(), long_texts(max_size=20_000), odd_strings())


def _mapping(pairs: list[tuple[object, object]]) -> dict[object, object]:
    """A dict of the pairs whose keys can be hashed (a hostile key may refuse to be)."""
    mapping: dict[object, object] = {}
    for key, value in pairs:
        try:
            mapping[key] = value
        except Exception:  # noqa: BLE001, S112 - a key that cannot be a key is left out
            continue
    return mapping


@st.composite
def hostile_documents(
    draw: st.DrawFn, fields: Sequence[FieldSpec] = (), *, max_lines: int = 4
) -> object:
    """A document with hostile keys, labels, field names and values where text belongs.

    Mostly a `Document` (so the resolver goes past its first check), sometimes anything.
    """
    names = [f.name for f in fields] or list(FIELD_NAMES)
    value = st.one_of(hostile_values(), host_values())
    text = st.one_of(hostile_texts(), st.sampled_from(("INV-1", "1", "2")))
    key: st.SearchStrategy[object] = st.one_of(
        st.sampled_from(names), st.sampled_from(names).map(_liar), odd_strings()
    )
    field_maps = st.lists(st.tuples(key, value), max_size=len(names) + 1).map(_mapping)
    lines = st.lists(
        st.one_of(
            st.builds(
                Line, key=st.one_of(text, st.sampled_from(("1", "2", "3"))), fields=field_maps
            ),
            hostile_values(),
        ),
        max_size=max_lines,
    ).map(tuple)
    document = st.builds(
        Document,
        key=text,
        kind=st.one_of(st.sampled_from(DocumentKind), hostile_values()),
        fields=field_maps,
        lines=lines,
        label=st.one_of(st.just(""), text),
    )
    return draw(st.one_of(document, document, document, hostile_values()))


# --- Hostile settings and files: what the loaders and the command line must survive ---------
#
# Every strategy below draws input an attacker (or a broken program) could hand to
# `load_mapping`, `load_schema`, `load_documents`, `loads_json` or a file named on the command
# line. The property for each: a result or a trackmap error, nothing else, and every message
# valid UTF-8 and bounded in length.

#: Text that breaks naive code: lone surrogates, terminal escapes, bidirectional overrides,
#: NUL and other controls, separators, a byte order mark, very long and very wide text.
HOSTILE_TEXTS: tuple[str, ...] = (
    "\ud800",
    "a\udfffb",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b[2J\x1b[H",
    "\u202eevil\u202c",
    "\x00",
    "\r\n",
    "\x85\u2028\u2029",
    "\ufeffbom",
    "\x7f\x9b",
    "x" * 5000,
    "é" * 300,
    "version",
    "",
)


def hostile_text() -> st.SearchStrategy[str]:
    """Text from `HOSTILE_TEXTS`, or any text including surrogates and control characters."""
    return st.one_of(
        st.sampled_from(HOSTILE_TEXTS),
        st.text(st.characters(codec=None, categories=None), max_size=12),
        st.text(st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=8),
    )


def _odd_numbers() -> st.SearchStrategy[object]:
    return st.one_of(
        huge_ints(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(
            (1.0, True, False, Decimal(1), Decimal("sNaN"), Decimal("NaN"), Decimal("1E+999999"))
        ),
        st.integers(),
    )


def hostile_json() -> st.SearchStrategy[object]:
    """Any JSON value with hostile leaves: odd text, huge and non-finite numbers, nesting."""
    leaves = st.one_of(st.none(), st.booleans(), _odd_numbers(), hostile_text())
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(hostile_text(), _settings_keys()), children, max_size=4),
        ),
        max_leaves=20,
    )


def _settings_keys() -> st.SearchStrategy[str]:
    return st.sampled_from(
        (
            "version",
            "bindings",
            "category_id",
            "category_name",
            "sources",
            "values",
            "by",
            "table",
            "default",
            "on_unmapped",
            "required",
            "categories",
            "options",
            "capabilities",
            "documents",
            "fields",
            "lines",
            "key",
            "kind",
            "name",
            "level",
        )
    )


class Raising:
    """A value whose every dunder method raises (``__str__``, ``__repr__``, ``__eq__``...)."""

    def _fail(self, *_: object) -> None:
        msg = "hostile value"
        raise RuntimeError(msg)

    __str__ = __repr__ = __format__ = _fail  # type: ignore[assignment]
    __eq__ = __ne__ = __lt__ = __bool__ = __len__ = __iter__ = _fail  # type: ignore[assignment]
    __hash__ = _fail  # type: ignore[assignment]


class RaisingStr(str):
    """Text whose methods raise, except that it is a `str` for ``isinstance``."""

    __slots__ = ()

    def _fail(self, *_: object) -> None:
        msg = "hostile text"
        raise RuntimeError(msg)

    __str__ = __repr__ = __format__ = __getitem__ = _fail  # type: ignore[assignment]
    __eq__ = __ne__ = __hash__ = __len__ = __iter__ = _fail  # type: ignore[assignment]
    strip = casefold = lower = encode = _fail  # type: ignore[assignment]


class RaisingDict(dict):  # type: ignore[type-arg]
    """A dict whose lookup and iteration methods raise; ``isinstance(x, dict)`` holds."""

    def _fail(self, *_: object) -> None:
        msg = "hostile mapping"
        raise RuntimeError(msg)

    get = items = keys = values = __getitem__ = __contains__ = _fail  # type: ignore[assignment]
    __iter__ = __len__ = _fail  # type: ignore[assignment]


def hostile_python_data() -> st.SearchStrategy[object]:
    """Python-side settings a host program could pass: JSON-ish plus objects that fight back.

    `Raising` values, `RaisingStr` text, `RaisingDict` objects (each also inside a settings
    envelope), Decimals, sets, bytes, and a list that contains itself.
    """
    nasty = st.one_of(
        st.builds(Raising),
        st.builds(RaisingStr, st.sampled_from(("c1", "version", "name"))),
        st.builds(RaisingDict, st.dictionaries(_settings_keys(), st.none())),
        st.just({1, 2}),
        st.just(b"bytes"),
        st.builds(_self_containing),
        _odd_numbers(),
    )
    anything = st.one_of(hostile_json(), nasty)
    return st.one_of(
        anything,
        st.builds(lambda v: {"version": 1, "bindings": [v]}, anything),
        st.builds(
            lambda v: {"version": 1, "bindings": [{"category_id": "c1", "values": v}]}, anything
        ),
        st.builds(lambda k, v: {"version": 1, k: v}, _settings_keys(), anything),
        st.builds(lambda v: RaisingDict({"version": 1, "bindings": v}), anything),
    )


def _self_containing() -> list[object]:
    loop: list[object] = []
    loop.append(loop)
    return loop


@st.composite
def hostile_settings_data(draw: st.DrawFn) -> dict[str, object]:
    """A settings file's shape (version 1, bindings, tables) with hostile values in its slots."""
    value = st.one_of(hostile_json(), hostile_text(), hostile_text())
    table = st.dictionaries(hostile_text(), st.one_of(st.none(), hostile_text()), max_size=6)
    binding = st.fixed_dictionaries(
        {"category_id": value},
        optional={
            "category_name": value,
            "sources": st.one_of(st.lists(hostile_text(), max_size=3), value),
            "values": st.one_of(
                st.just({"by": "name"}),
                st.builds(lambda t: {"by": "table", "table": t}, table),
                value,
            ),
            "default": value,
            "on_unmapped": st.one_of(st.sampled_from(("skip", "error", "create")), value),
            "required": st.one_of(st.booleans(), value),
        },
    )
    bindings: list[dict[str, object]] = draw(st.lists(binding, max_size=3))
    extra: bool = draw(st.booleans())
    if bindings and extra:
        # A key trackmap does not know, spelt with hostile characters.
        bindings[0][draw(hostile_text().filter(lambda k: k not in _BINDING_KEYS))] = draw(value)
    version = draw(st.one_of(st.just(1), st.just(1), _odd_numbers(), hostile_text()))
    return {"version": version, "bindings": bindings}


_BINDING_KEYS = frozenset(
    {"category_id", "category_name", "sources", "values", "default", "on_unmapped", "required"}
)


def hostile_settings_text() -> st.SearchStrategy[str | bytes]:
    """What a settings, schema or documents file could hold: broken, odd or hostile JSON text.

    Empty and blank text, truncated and deeply nested JSON, a byte order mark, raw control
    bytes, invalid UTF-8, JSON escapes of lone surrogates, numbers of thousands of digits.
    """
    fixed = st.sampled_from(
        (
            "",
            "   \n",
            "{",
            "[" * 100_000,
            '{"version": 1, "bindings": [' * 2_000,
            '{"version": ' + "9" * 5000 + "}",
            '{"version": 1.0, "bindings": []}',
            '{"version": 1, "bindings": [{"category_id": "\\ud800"}]}',
            '{"version": 1, "bindings": [{"category_id": "\u001b[31m"}]}',
            '{"version": 1, "version": 1}',
            "NaN",
            b"\xff\xfe\x00\x00",
            b"\xef\xbb\xbf{}",
            b'{"version": 1, "bindings": [{"category_id": "\xed\xa0\x80"}]}',
            b"\x00\x01\x02\x1b[2J",
        )
    )
    generated = st.builds(
        lambda value, cut: _json_text(value)[:cut],
        hostile_json(),
        st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
    )
    return st.one_of(fixed, generated, st.binary(max_size=40))


def _json_text(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError):
        return json.dumps(repr(type(value)))
