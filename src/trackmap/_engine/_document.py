"""Documents as the engine sees them: a key, a kind, field values on the document and its lines.

A source adapter turns the host's own records into these; the engine never sees host models.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable, Mapping

import attrs

from trackmap._engine._quote import describe_value, quoted

__all__ = ["Document", "DocumentKind", "Line"]


class DocumentKind(enum.Enum):
    """The kinds of Xero document whose lines carry tracking."""

    SALES_INVOICE = "sales_invoice"
    BILL = "bill"
    SALES_CREDIT_NOTE = "sales_credit_note"
    PURCHASE_CREDIT_NOTE = "purchase_credit_note"
    PURCHASE_ORDER = "purchase_order"
    SPEND_MONEY = "spend_money"
    RECEIVE_MONEY = "receive_money"
    MANUAL_JOURNAL = "manual_journal"


#: The attribute a host's exception gets when it was raised reading one field's value.
FAILED_FIELD = "trackmap_field"


def _fields(values: Mapping[str, str | None]) -> Mapping[str, str | None]:
    if type(values) is dict:
        return dict(values)
    return _read_fields(values)


def _read_fields(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """Copy a host's mapping value by value, so that a failing value names its field.

    A host mapping may compute values when read (a lazy ORM row, a property per field). The
    host's exception goes on unchanged, with a note and an attribute (`FAILED_FIELD`) naming
    the field, which the source adapter's guard puts in its message.
    """
    copied: dict[str, str | None] = {}
    for name in values:
        try:
            copied[name] = values[name]
        except Exception as exc:
            shown = quoted(name) if isinstance(name, str) else describe_value(name)
            exc.add_note(f"trackmap was reading the field {shown}")
            with contextlib.suppress(Exception):  # an exception with slots keeps only its note
                setattr(exc, FAILED_FIELD, name)
            raise
    return copied


@attrs.frozen(kw_only=True)
class Line:
    """One document line: its key (stable within the document) and its line-level field values."""

    key: str
    fields: Mapping[str, str | None] = attrs.field(factory=dict, converter=_fields, hash=False)


def _lines(items: Iterable[Line]) -> tuple[Line, ...]:
    # A typed converter: with a bare `tuple`, mypy cannot type the __init__ argument.
    return tuple(items)


@attrs.frozen(kw_only=True)
class Document:
    """One host document, reduced to what tracking needs.

    Attributes:
        key: The host's stable identifier (unique per organisation and kind), e.g. ``"INV-0042"``.
        kind: Which Xero document it becomes.
        fields: Document-level field values (project manager, branch, job number...).
        lines: The lines, in order; each has its own line-level field values.
        label: How messages name the document (defaults to the key).
    """

    key: str
    kind: DocumentKind
    fields: Mapping[str, str | None] = attrs.field(factory=dict, converter=_fields, hash=False)
    lines: tuple[Line, ...] = attrs.field(default=(), converter=_lines)
    label: str = ""

    @property
    def title(self) -> str:
        """The label, or the key when there is no label."""
        return self.label or self.key
