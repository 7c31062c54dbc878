"""``trackmap demo``, part two: delivery to an in-process FakeXero, with no credentials.

The steps push the sample host's documents through `XeroTarget` and the real xero-python SDK
over loopback HTTP to a `FakeXero` seeded with the sample organisation, with a ledger in a
temporary file: per-document statuses, a second run with everything unchanged, an edited
document updated in place, a payment made in Xero synced back by polling, another one told by a
signed webhook (`step_webhook_payment`, in `trackmap._cli._demo_webhook`), and a tracking summary
(totals by category option, as Xero's Tracking Summary report shows them). Everything runs in
virtual time; the FakeXero and the ledger file are gone when the demo ends.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._mapping import Binding, ByTable, TableRow, TrackingMapping
from trackmap._engine._schema import TrackingSchema
from trackmap._sources._body import DocumentBody, Outbound
from trackmap._sync._batch import BatchDocument
from trackmap._sync._keys import kind_label
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._progress import Phase, Progress, RateLimitWaits, describe_progress
from trackmap._sync._push import Pusher, PushReport
from trackmap._sync._status import refresh_statuses
from trackmap._sync._target import RemoteDocument

if TYPE_CHECKING:
    from trackmap._cli._demo import DemoContext
    from trackmap.testing._fakexero import FakeXero
    from trackmap.xero import XeroTarget

__all__ = [
    "DELIVERY_STEPS",
    "ProgressLine",
    "delivery_of",
    "remap_mapping",
    "step_edit",
    "step_payment",
    "step_push",
    "step_rerun",
    "step_summary",
    "step_webhook_payment",
    "write_statuses",
]

_SALES = {DocumentKind.SALES_INVOICE: 1, DocumentKind.RECEIVE_MONEY: 1}
_SALES_BACK = {DocumentKind.SALES_CREDIT_NOTE: -1}
_PURCHASES = {DocumentKind.BILL: 1, DocumentKind.SPEND_MONEY: 1}
_PURCHASES_BACK = {DocumentKind.PURCHASE_CREDIT_NOTE: -1}
_SIGN = {**_SALES, **_SALES_BACK, **_PURCHASES, **_PURCHASES_BACK}


class ProgressLine:
    """The command line's progress display: one line, rewritten in place on a terminal.

    On anything else (a pipe, a captured stream) only the last line of each push is written,
    and rate-limit waits, so that logs stay short.
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._live = bool(getattr(out, "isatty", lambda: False)())
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        """Show one snapshot."""
        line = describe_progress(progress)
        if self._live:
            self._out.write("\r" + line.ljust(self._width))
            self._width = len(line)
            if progress.phase is Phase.DONE:
                self._out.write("\n")
        elif progress.phase in {Phase.DONE, Phase.WAITING}:
            self._out.write(f"  [{line}]\n")


@attrs.define
class _Delivery:
    """What the delivery steps share, kept in the demo context's extras."""

    fake: FakeXero
    target: XeroTarget
    pusher: Pusher
    ledger: SqliteLedger
    outbound: list[Outbound]
    stack: contextlib.ExitStack


def remap_mapping(
    mapping: TrackingMapping, old: TrackingSchema, new: TrackingSchema
) -> TrackingMapping:
    """The same mapping over another copy of the organisation, whose ids differ (by names)."""
    ids: dict[str, str] = {}
    for category in old.categories:
        twin = next(iter(new.categories_named(category.name)), None)
        if twin is None:
            continue
        ids[category.id] = twin.id
        for option in category.options:
            found = twin.options_named(option.name)
            if found:
                ids[option.id] = found[0].id
    return TrackingMapping(bindings=tuple(_remap(b, ids) for b in mapping.bindings))


def _remap(binding: Binding, ids: dict[str, str]) -> Binding:
    values = binding.values
    if isinstance(values, ByTable):
        rows = tuple(
            TableRow(
                value=r.value, option_id=ids.get(r.option_id, r.option_id) if r.option_id else None
            )
            for r in values.rows
        )
        values = ByTable(rows=rows)
    default = binding.default_option_id
    return attrs.evolve(
        binding,
        category_id=ids.get(binding.category_id, binding.category_id),
        values=values,
        default_option_id=ids.get(default, default) if default else None,
    )


def _seed(fake: FakeXero, schema: TrackingSchema) -> None:
    for category in schema.categories:
        category_id = fake.add_category(category.name)
        for option in category.options:
            fake.add_option(category_id, option.name, status=option.status.value)
        fake.set_category_status(category_id, category.status.value)


def _start(ctx: DemoContext) -> _Delivery:
    # Imported here: the SDK and the HTTP server are only needed once the demo delivers.
    from trackmap.testing._fakexero import FakeXero, VirtualClock  # noqa: PLC0415
    from trackmap.xero import XeroTarget  # noqa: PLC0415

    stack = contextlib.ExitStack()
    clock = VirtualClock()
    fake = stack.enter_context(FakeXero(clock=clock))
    _seed(fake, ctx.sample.schema)
    waits = RateLimitWaits(sleep=clock.sleep, clock=clock.now)
    target = XeroTarget(fake.sdk_client(), fake.tenant_id, clock=clock.now, sleep=waits)
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trackmap-demo-")))
    ledger = stack.enter_context(SqliteLedger(folder / "ledger.db", clock=clock.now))
    mapping = remap_mapping(ctx.sample.mapping, ctx.sample.schema, target.read_schema())
    pusher = Pusher(
        target=target,
        ledger=ledger,
        mapping=mapping,
        fields=ctx.sample.fields,
        progress=ProgressLine(ctx.out),
        waits=waits,
        clock=clock.now,
    )
    outbound = list(ctx.sample.adapter.outbounds(ctx.sample.records))
    return _Delivery(fake, target, pusher, ledger, outbound, stack)


def delivery_of(ctx: DemoContext) -> _Delivery:
    """The delivery the steps share (FakeXero, target, pusher, ledger), started on first use."""
    return _delivery(ctx)


def _delivery(ctx: DemoContext) -> _Delivery:
    found = ctx.extras.get("delivery")
    if not isinstance(found, _Delivery):
        found = _start(ctx)
        ctx.extras["delivery"] = found
    return found


def _documents(d: _Delivery, report: PushReport) -> list[BatchDocument]:
    return list(d.ledger.batch_documents(d.target.tenant_id, report.batch.number))


def write_statuses(ctx: DemoContext, documents: Sequence[BatchDocument]) -> None:
    for doc in documents:
        where = doc.number or (doc.xero_id or "")[:8]
        ctx.say(f"  {doc.key:<10} {kind_label(doc.kind):<18} {doc.status.value:<9} {where}")
        for message in doc.messages:
            ctx.say(f"      {message}")


def step_push(ctx: DemoContext) -> None:
    """Push every document to the in-process FakeXero; show each one's status and messages."""
    ctx.section("Push to Xero (an in-process FakeXero, through the real xero-python SDK)")
    d = _delivery(ctx)
    report = d.pusher.push(d.outbound)
    ctx.say(report.sentence())
    write_statuses(ctx, _documents(d, report))
    refresh_statuses(d.target, d.ledger)  # the baseline the payment step compares with


def step_rerun(ctx: DemoContext) -> None:
    """Push the same documents again: nothing changed, so nothing is sent."""
    ctx.section("The same push again: every document unchanged, nothing sent twice")
    d = _delivery(ctx)
    report = d.pusher.push(d.outbound)
    ctx.say(report.sentence())
    ctx.say(f"FakeXero holds {_stored(d)} documents for {len(d.outbound)} host documents.")


def _stored(d: _Delivery) -> int:
    kinds = ("Invoices", "CreditNotes", "PurchaseOrders", "BankTransactions", "ManualJournals")
    return sum(len(d.fake.documents(kind)) for kind in kinds)


def _edited(item: Outbound) -> Outbound | None:
    body = item.body
    if not isinstance(body, DocumentBody) or not body.lines:
        return None
    first = body.lines[0]
    lines = (attrs.evolve(first, unit_amount=first.unit_amount + Decimal(125)), *body.lines[1:])
    return attrs.evolve(item, body=attrs.evolve(body, lines=lines))


def step_edit(ctx: DemoContext) -> None:
    """Edit one invoice's amount in the host and push: it is updated in place, by its Xero id."""
    ctx.section("An edited invoice is updated in place")
    d = _delivery(ctx)
    index = next(
        i for i, o in enumerate(d.outbound) if o.document.kind is DocumentKind.SALES_INVOICE
    )
    edited = _edited(d.outbound[index])
    if edited is None:  # pragma: no cover - the sample invoices have neutral bodies
        ctx.say("The sample has no invoice with lines to edit.")
        return
    d.outbound[index] = edited
    key = edited.document.key
    before = d.ledger.entries_for(d.target.tenant_id, edited.document.kind, [key])[key]
    ctx.say(f"{key}: the first line is now 125.00 more. Xero id before: {before.xero_id}")
    report = d.pusher.push(d.outbound)
    ctx.say(report.sentence())
    write_statuses(ctx, [doc for doc in _documents(d, report) if doc.key == key])
    ctx.say(f"FakeXero still holds {_stored(d)} documents.")


def step_payment(ctx: DemoContext) -> None:
    """Mark one invoice paid in Xero (as a bank feed would) and sync statuses back."""
    ctx.section("A payment in Xero, synced back")
    d = _delivery(ctx)
    invoice = next(
        e
        for e in d.ledger.entries(d.target.tenant_id, DocumentKind.SALES_INVOICE)
        if e.xero_id is not None
    )
    d.fake.set_document_status("Invoices", invoice.xero_id or "", "PAID")
    ctx.say(f"In Xero, {invoice.number or invoice.key} is paid (a bank feed matched it).")
    report = refresh_statuses(d.target, d.ledger)
    ctx.say(f"Status sync: {report.checked} documents checked in {report.calls} calls.")
    for change in report.changes:
        ctx.say(f"  {change.sentence()}")


def step_webhook_payment(ctx: DemoContext) -> None:
    """Pay another invoice in Xero: a signed webhook tells the ledger, with no polling."""
    ctx.section("A payment told by a Xero webhook: one read by id, no polling")
    # Imported here: the webhook endpoint is only needed once this step runs.
    from trackmap._cli._demo_webhook import show_webhook_payment  # noqa: PLC0415

    d = _delivery(ctx)
    show_webhook_payment(ctx, d.fake, d.target, d.ledger, d.stack)


def _remote(d: _Delivery) -> Iterable[RemoteDocument]:
    for kind in _SIGN:
        page: int | None = 1
        while page is not None:
            found = d.target.read_documents(kind, page=page)
            yield from found.documents
            page = found.next_page


def tracking_totals(documents: Iterable[RemoteDocument]) -> dict[tuple[str, str], list[Decimal]]:
    """Sales and purchases line amounts by (category, option), credit notes subtracted."""
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for doc in documents:
        column = 0 if doc.kind in _SALES or doc.kind in _SALES_BACK else 1
        for line in doc.lines:
            amount = (line.line_amount or Decimal(0)) * _SIGN[doc.kind]
            for entry in line.tracking:
                totals[(entry.category_name, entry.option_name)][column] += amount
    return dict(totals)


def step_summary(ctx: DemoContext) -> None:
    """Read the documents back from Xero and total them by category option."""
    ctx.section("Tracking summary: totals by category option, read back from Xero")
    d = _delivery(ctx)
    totals = tracking_totals(_remote(d))
    ctx.say(f"  {'Category':<12} {'Option':<12} {'Sales':>12} {'Purchases':>12}")
    for (category, option), (sales, purchases) in sorted(totals.items()):
        ctx.say(f"  {category:<12} {option:<12} {sales:>12.2f} {purchases:>12.2f}")
    ctx.say("(Purchase orders are not in the profit and loss, so not in these totals.)")
    d.stack.close()
    del ctx.extras["delivery"]


def _split_push(ctx: DemoContext) -> None:
    """The split bill of the demo's split step, delivered (when that step ran)."""
    from trackmap._cli._demo_split import step_split_push  # noqa: PLC0415

    step_split_push(ctx)


#: The delivery part of the demo, in order.
DELIVERY_STEPS: tuple[Callable[[DemoContext], None], ...] = (
    step_push,
    step_rerun,
    step_edit,
    step_payment,
    step_webhook_payment,
    _split_push,
    step_summary,
)
