"""Benchmark delivery through XeroTarget: calls made, virtual time under the rate limit, duplicates.

Run: ``python benchmarks/deliver.py [--sizes 1 50 1000 10000]``.

Everything goes through the real xero-python SDK over real HTTP to FakeXero, in virtual time
(FakeXero's ``VirtualClock``; the target sleeps on it), with Xero's default limits: 60 calls a
minute, 5 in flight, 5,000 a day.

1. Calls: for N documents (sales invoices, one line each, tracking on every line), the requests
   the target made against two baselines measured in the same run: the minimum (one schema
   read + one call per option created + ceil(N / 50) batches) and one call per document.
2. Time: the virtual time to deliver N documents against the rate-limit floor (fixed minute
   windows of 60 calls opening at their first call: (calls - 1) // 60 whole minutes).
3. 429s: answers refused for a rate limit (pacing should leave none without faults).
4. Duplicates: documents FakeXero holds against N (distinct numbers too). A second run with
   injected faults (two 500s, a dropped answer after processing, a dropped connection, two
   minute 429s) must also end with exactly N documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from decimal import Decimal

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._target import DeliveryStatus, PushItem, TrackingEntry
from trackmap.testing._fakexero import FakeXero, Fault, VirtualClock
from trackmap.xero import RetryPolicy, XeroTarget

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
NEW_OPTIONS = ("Perth", "Darwin", "Hobart")
BATCH = 50
MINUTE_LIMIT = 60


@attrs.frozen(kw_only=True)
class Run:
    """What one delivery of N documents cost."""

    documents: int
    calls: int
    options_created: int
    virtual_seconds: float
    stored: int
    distinct_numbers: int
    created: int
    refused: int

    @property
    def minimum_calls(self) -> int:
        """Schema read + one call per option + one per batch of 50."""
        return 1 + self.options_created + math.ceil(self.documents / BATCH)

    @property
    def per_document_calls(self) -> int:
        """The naive baseline: schema read + options + one call per document."""
        return 1 + self.options_created + self.documents

    @property
    def floor_seconds(self) -> float:
        """The rate-limit floor for ``minimum_calls`` in fixed windows of 60 calls."""
        return float((self.minimum_calls - 1) // MINUTE_LIMIT * 60)


def _items(entries: list[TrackingEntry], count: int, prefix: str) -> list[PushItem]:
    return [
        PushItem(
            key=f"{prefix}-{n}",
            kind=DocumentKind.SALES_INVOICE,
            body=DocumentBody(
                contact=ContactRef(name=f"Customer {n % 40}"),
                date=dt.date(2026, 11, 1),
                lines=(
                    BodyLine(description="Work", unit_amount=Decimal("99.95"), account_code="200"),
                ),
                number=f"{prefix}-{n}",
            ),
            tracking=((entries[n % len(entries)],),),
            idempotency_key=f"{prefix}-{n}-v1",
        )
        for n in range(count)
    ]


def _inject_faults(fake: FakeXero) -> None:
    fake.inject(Fault.status(500), method="PUT", path="/Invoices", times=2)
    fake.inject(Fault.drop_after(), method="PUT", path="/Invoices")
    fake.inject(Fault.drop_before(), method="PUT", path="/Invoices")
    fake.inject(Fault.rate_limit("minute", retry_after=30), method="PUT", times=2)


def deliver(count: int, *, faults: bool = False) -> Run:
    """Deliver ``count`` documents to a fresh FakeXero; return what it cost."""
    clock = VirtualClock(start=START)
    with FakeXero(clock=clock) as fake:
        region = fake.add_category("Region", options=["North", "South"])
        target = XeroTarget(
            fake.sdk_client(),
            fake.tenant_id,
            clock=clock.now,
            sleep=clock.sleep,
            policy=RetryPolicy(jitter=False),
        )
        schema = target.read_schema()
        category = schema.category(region)
        if category is None:
            msg = "FakeXero lost the Region category."
            raise RuntimeError(msg)
        options = [
            *category.active_options,
            *(target.create_option(region, n) for n in NEW_OPTIONS),
        ]
        entries = [
            TrackingEntry(
                category_id=region, category_name="Region", option_id=o.id, option_name=o.name
            )
            for o in options
        ]
        if faults:
            _inject_faults(fake)
        results = []
        items = _items(entries, count, "F" if faults else "D")
        for start in range(0, count, BATCH * 10):
            results.extend(target.push(items[start : start + BATCH * 10]))
        stored = fake.documents("Invoices")
        return Run(
            documents=count,
            calls=target.calls_made,
            options_created=len(NEW_OPTIONS),
            virtual_seconds=(clock.now() - START).total_seconds(),
            stored=len(stored),
            distinct_numbers=len({d["InvoiceNumber"] for d in stored}),
            created=sum(r.status is DeliveryStatus.CREATED for r in results),
            refused=sum(r.status == 429 for r in fake.requests),
        )


def report(run: Run, label: str = "") -> str:
    """One line of figures with the ratios against both baselines."""
    return (
        f"N={run.documents:>6}{label}: calls {run.calls:>5} | minimum {run.minimum_calls:>5} "
        f"(x{run.calls / run.minimum_calls:.2f}) | one per document {run.per_document_calls:>6} "
        f"(x{run.calls / run.per_document_calls:.4f}) | virtual {run.virtual_seconds:>6.0f} s, "
        f"floor {run.floor_seconds:>6.0f} s | stored {run.stored} "
        f"(distinct {run.distinct_numbers}, duplicates {run.stored - run.distinct_numbers}), "
        f"created {run.created}, 429s {run.refused}"
    )


def main() -> None:
    """Run every size, then the largest one again under injected faults."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 50, 1000, 10000])
    args = parser.parse_args()
    for size in args.sizes:
        print(report(deliver(size)))
    print(report(deliver(max(args.sizes), faults=True), " faults"))


if __name__ == "__main__":
    main()
