"""The host's side: which host fields feed which tracking category, and how values become options.

A mapping is what an app's "Xero tracking" settings page saves, once per organisation.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

__all__ = [
    "Binding",
    "ByName",
    "ByTable",
    "FieldLevel",
    "FieldSpec",
    "OnUnmapped",
    "Share",
    "Split",
    "TableRow",
    "TrackingMapping",
]


class FieldLevel(enum.Enum):
    """Where a host field is read: on the whole document or on each line."""

    DOCUMENT = "document"
    LINE = "line"


@attrs.frozen(kw_only=True)
class FieldSpec:
    """A host field (a "record type") that a source adapter offers for mapping.

    Attributes:
        name: The key under which the adapter puts the value (``"stage_manager"``).
        level: Whether the value is read from the document or from each line.
        label: What the host's settings page calls it (``"Stage manager"``).
    """

    name: str
    level: FieldLevel
    label: str = ""

    @property
    def title(self) -> str:
        """The label, or the name when there is no label."""
        return self.label or self.name


class OnUnmapped(enum.Enum):
    """What to do when a binding's source chain yields a value that maps to no option.

    ``SKIP`` sends nothing for the category; ``DEFAULT`` sends the binding's default option;
    ``ERROR`` blocks the document with a problem naming the value; ``CREATE`` (by-name bindings
    only) plans the option's creation in the organisation before the documents that need it.
    """

    SKIP = "skip"
    DEFAULT = "default"
    ERROR = "error"
    CREATE = "create"


@attrs.frozen(kw_only=True)
class ByName:
    """The host value IS the option name (Streamtime's job number, branch name)."""


@attrs.frozen(kw_only=True)
class Share:
    """One part of a split: an option id and its weight (a percentage, or ratio parts)."""

    option_id: str
    weight: Decimal


def _shares(items: Iterable[Share]) -> tuple[Share, ...]:
    # A typed converter: with a bare `tuple`, mypy cannot type the __init__ argument.
    return tuple(items)


@attrs.frozen(kw_only=True)
class Split:
    """A value sent to several options of one category, each with a share of every line.

    With ``percent=True`` (the default) each weight is a percentage and the weights must add
    up to exactly 100; with ``percent=False`` they are ratio parts (``2`` and ``1`` send two
    thirds and one third). Either way each share is ``weight / sum of weights``, kept exact;
    every weight must be a finite Decimal above zero and every option appear once (the rules
    are in `trackmap._engine._rules`, rule 10). The body layer turns one host line into one
    line per share (see `trackmap.split_body`).
    """

    shares: tuple[Share, ...] = attrs.field(converter=_shares)
    percent: bool = True


@attrs.frozen(kw_only=True)
class TableRow:
    """One row of a value table: a host value and the option id it maps to.

    ``option_id=None`` is a blank row: that value sends nothing for the category, unless the
    row has a ``split``: then the value goes to several options, each with its share.
    """

    value: str
    option_id: str | None
    split: Split | None = None


def _rows(
    rows: Iterable[TableRow] | Mapping[str, str | None],
) -> tuple[TableRow, ...]:
    if isinstance(rows, Mapping):
        return tuple(TableRow(value=k, option_id=v) for k, v in rows.items())
    return tuple(rows)


@attrs.frozen(kw_only=True)
class ByTable:
    """An explicit table from host values to option ids (Synergy's staff -> option rows).

    Keys are compared after normalisation; two keys that collide are a compile error.
    """

    rows: tuple[TableRow, ...] = attrs.field(default=(), converter=_rows)


ValueRule = ByName | ByTable


def _sources(items: Iterable[str]) -> tuple[str, ...]:
    # A typed converter: with a bare `tuple`, mypy cannot type the __init__ argument.
    return tuple(items)


@attrs.frozen(kw_only=True)
class Binding:
    """How ONE tracking category gets its option on every line.

    Attributes:
        category_id: The category, held by id so that a rename in Xero keeps working.
        category_name: The category's name when the mapping was saved, for messages.
        sources: Host field names tried in order; the first non-blank value wins.
            Empty means "None": nothing is sent for this category.
        values: How a value becomes an option: by name, or by table.
        default_option_id: Used when the chain yields nothing, or (with
            ``on_unmapped=DEFAULT``) when the value maps to no option.
        on_unmapped: What to do with a value that maps to no option.
        required: Every line must get an option for this category, else the line is in error.
    """

    category_id: str
    category_name: str = ""
    sources: tuple[str, ...] = attrs.field(default=(), converter=_sources)
    values: ValueRule = attrs.field(factory=ByName)
    default_option_id: str | None = None
    on_unmapped: OnUnmapped = OnUnmapped.SKIP
    required: bool = False

    @property
    def title(self) -> str:
        """The category's saved name, or its id when no name was saved."""
        return self.category_name or self.category_id


def _bindings(items: Iterable[Binding]) -> tuple[Binding, ...]:
    # A typed converter: with a bare `tuple`, mypy cannot type the __init__ argument.
    return tuple(items)


@attrs.frozen(kw_only=True)
class TrackingMapping:
    """An ordered set of bindings: the host's tracking settings for one organisation.

    An empty mapping is always valid and sends no tracking.
    """

    bindings: tuple[Binding, ...] = attrs.field(default=(), converter=_bindings)
