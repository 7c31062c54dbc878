"""The demo's split step: a shared cost sent 60/40 to two options, to the cent (issue 13).

One step, kept apart from the other demo modules: it takes the sample's first category with two
active options, adds a table row that splits a "Shared" value 60/40 between them, and shows the
explanations and the two lines the host's one line becomes. Pure: nothing is sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._explain import explain_text
from trackmap._engine._mapping import (
    Binding,
    ByTable,
    FieldLevel,
    Share,
    Split,
    TableRow,
    TrackingMapping,
)
from trackmap._engine._resolve import resolve
from trackmap._engine._rules import compile_mapping
from trackmap._engine._schema import TrackingCategory
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sources._split import line_amount, split_body
from trackmap._sync._keys import tracking_of

if TYPE_CHECKING:
    from trackmap._cli._demo import DemoContext

__all__ = ["step_split"]

_SHARED = "Shared"


def step_split(ctx: DemoContext) -> None:
    """Split one line 60/40 across two options of a category: explanations and the lines sent."""
    sample = ctx.sample
    found = _category_and_field(ctx)
    if found is None:  # pragma: no cover - both samples have such a category
        return
    category, field = found
    first, second = category.active_options[:2]
    ctx.section(f'A shared cost: one line split 60/40 across two "{category.name}" options')
    split = Split(
        shares=[
            Share(option_id=first.id, weight=Decimal(60)),
            Share(option_id=second.id, weight=Decimal(40)),
        ]
    )
    row = TableRow(value=_SHARED, option_id=None, split=split)
    binding = Binding(category_id=category.id, sources=[field], values=ByTable(rows=[row]))
    compiled = compile_mapping(TrackingMapping(bindings=[binding]), sample.schema, sample.fields)
    ctx.say(f'Table row "{_SHARED}": 60% "{first.name}", 40% "{second.name}".')
    document = _document(ctx, field)
    resolution = resolve(compiled, document)
    for sentence in explain_text(resolution):
        ctx.say(f"  {sentence}")
    body = DocumentBody(
        contact=ContactRef(name="Landlord Pty"),
        date=dt.date(2026, 11, 1),
        lines=[BodyLine(description="Office lease", unit_amount=Decimal("1000.01"))],
    )
    sent = split_body(body, resolution)
    ctx.say(f"Sent to Xero as {len(sent.lines)} lines (largest remainder, to the cent):")
    for line, entries in zip(sent.lines, tracking_of(resolution), strict=True):
        options = ", ".join(f"{e.category_name}: {e.option_name}" for e in entries)
        ctx.say(
            f"  {line.description}: {line.quantity.normalize():f} x {line.unit_amount} = "
            f"{line_amount(line)} ({options})"
        )
    total = sum((line_amount(line) for line in sent.lines), Decimal(0))
    ctx.say(f"  together {total}, exactly the host line's {line_amount(body.lines[0])}.")


def _category_and_field(ctx: DemoContext) -> tuple[TrackingCategory, str] | None:
    """The first bound category with two active options, and its binding's first field."""
    for binding in ctx.sample.mapping.bindings:
        category = ctx.sample.schema.category(binding.category_id)
        if category is not None and len(category.active_options) >= 2 and binding.sources:  # noqa: PLR2004
            return category, binding.sources[0]
    return None


def _document(ctx: DemoContext, field: str) -> Document:
    at_line = any(f.name == field and f.level is FieldLevel.LINE for f in ctx.sample.fields)
    line_fields = {field: _SHARED} if at_line else {}
    return Document(
        key="LEASE-1",
        kind=DocumentKind.BILL,
        fields={} if at_line else {field: _SHARED},
        lines=[Line(key="1", fields=line_fields)],
    )
