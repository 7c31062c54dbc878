"""The demo's split step: a shared cost sent 60/40 to two options, to the cent (issue 13).

Two steps, kept apart from the other demo modules. `step_split` takes the sample's first
category with two active options, adds a table row that splits a "Shared" value 60/40 between
them, and shows the explanations and the two lines the host's one line becomes (pure: nothing is
sent). `step_split_push`, once the delivery steps have a FakeXero, pushes that bill through the
real stack and reads it back from Xero: two lines, each with its option, adding up to the cent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

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
from trackmap._engine._schema import TrackingCategory, TrackingSchema
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sources._split import line_amount, split_body
from trackmap._sync._keys import tracking_of

if TYPE_CHECKING:
    from trackmap._cli._demo import DemoContext

__all__ = ["step_split", "step_split_push"]

_SHARED = "Shared"
_EXTRA = "split"


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
        lines=[
            BodyLine(description="Office lease", unit_amount=Decimal("1000.01"), account_code="310")
        ],
    )
    ctx.extras[_EXTRA] = (binding, document, body)
    sent = split_body(body, resolution)
    ctx.say(f"It goes to Xero as {len(sent.lines)} lines (largest remainder, to the cent):")
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


def step_split_push(ctx: DemoContext) -> None:
    """Push the split bill of `step_split` to FakeXero and read its lines back from Xero."""
    found = ctx.extras.pop(_EXTRA, None)
    if found is None:  # pragma: no cover - run only after step_split
        return
    binding, document, body = found
    # Imported here: delivery is only loaded once the demo delivers.
    from trackmap._cli._demo_delivery import delivery_of, write_statuses  # noqa: PLC0415
    from trackmap._sources._body import Outbound  # noqa: PLC0415
    from trackmap._sync._push import Pusher  # noqa: PLC0415

    ctx.section("The shared cost delivered: the split bill sent and read back from Xero")
    d = delivery_of(ctx)
    xero = d.target.read_schema()
    mapping = remap_split(TrackingMapping(bindings=[binding]), ctx.sample.schema, xero)
    pusher = Pusher(
        target=d.target,
        ledger=d.ledger,
        mapping=mapping,
        fields=ctx.sample.fields,
        waits=d.pusher.waits,
        clock=d.pusher.clock,
    )
    report = pusher.push([Outbound(document=document, body=body)])
    ctx.say(report.sentence())
    write_statuses(ctx, list(d.ledger.batch_documents(d.target.tenant_id, report.batch.number)))
    entry = d.ledger.entries_for(d.target.tenant_id, document.kind, [document.key]).get(
        document.key
    )
    if entry is None or entry.xero_id is None:
        ctx.say(f"{document.key} was not created; nothing to read back.")
        return
    page = d.target.read_documents(document.kind, ids=[entry.xero_id])
    for remote in page.documents:
        ctx.say(f"Read back from Xero, {document.key} has {len(remote.lines)} lines:")
        for line in remote.lines:
            options = ", ".join(f"{t.category_name}: {t.option_name}" for t in line.tracking)
            ctx.say(f"  {line.description}: {line.line_amount or 0:.2f} ({options})")
        total = sum((line.line_amount or Decimal(0) for line in remote.lines), Decimal(0))
        ctx.say(f"  together {total:.2f}, the host line's {line_amount(body.lines[0])}.")


def remap_split(
    mapping: TrackingMapping, old: TrackingSchema, new: TrackingSchema
) -> TrackingMapping:
    """The split mapping over Xero's copy of the organisation, whose ids differ (by names)."""
    bindings = []
    for binding in mapping.bindings:
        category = old.category(binding.category_id)
        twin = next(iter(new.categories_named(category.name)), None) if category else None
        if category is None or twin is None:
            continue

        rows = []
        values = binding.values
        for row in values.rows if isinstance(values, ByTable) else ():
            split = row.split
            if split is not None:
                shares = [
                    attrs.evolve(s, option_id=_twin_id(category, twin, s.option_id))
                    for s in split.shares
                ]
                split = attrs.evolve(split, shares=shares)
            option_id = _twin_id(category, twin, row.option_id) if row.option_id else None
            rows.append(attrs.evolve(row, option_id=option_id, split=split))
        bindings.append(attrs.evolve(binding, category_id=twin.id, values=ByTable(rows=rows)))
    return TrackingMapping(bindings=bindings)


def _twin_id(category: TrackingCategory, twin: TrackingCategory, option_id: str) -> str:
    option = category.option(option_id)
    named = twin.options_named(option.name) if option else ()
    return named[0].id if named else option_id
