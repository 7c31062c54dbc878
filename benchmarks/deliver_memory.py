"""Benchmark a push's memory: bounded by the chunk, not by the number of documents.

Run: ``python benchmarks/deliver_memory.py [--small 10000] [--large 100000] [--chunk 500]``.

Documents are produced by a generator (nothing holds them all) and pushed through `Pusher`
with a real `SqliteLedger` file, to a target that acknowledges every document without keeping
it (`SinkTarget`: a store of every document would measure the target, not the push). For each
size, in a fresh interpreter:

- tracemalloc's peak of Python allocations during the push (the brief's measure);
- the process's peak resident set size (ru_maxrss), which also counts SQLite's own memory.

It prints both for the small and the large push and their ratio (target: at most 1.2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import Binding, ByName, FieldSpec, Level, OnUnmapped, TrackingMapping
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingSchema
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody, Outbound
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._push import Pusher
from trackmap._sync._target import DeliveryStatus, DocumentPage, PushItem, PushResult

REGIONS = ("North", "South", "East", "West")
FIELDS = (
    FieldSpec(name="region", level=Level.DOCUMENT),
    FieldSpec(name="job", level=Level.LINE),
)
MAPPING = TrackingMapping(
    bindings=(
        Binding(category_id="region", category_name="Region", sources=("region",), values=ByName()),
        Binding(
            category_id="job",
            category_name="Job",
            sources=("job",),
            values=ByName(),
            on_unmapped=OnUnmapped.SKIP,
        ),
    )
)


class SinkTarget:
    """Acknowledges every document (created, tracking echoed) and keeps only a counter."""

    tenant_id = "bench"

    def __init__(self) -> None:
        self.count = 0
        self.calls = 0

    def read_schema(self) -> TrackingSchema:
        self.calls += 1
        region = TrackingCategory(
            id="region",
            name="Region",
            options=tuple(TrackingOption(id=f"r-{n}", name=n) for n in REGIONS),
        )
        job = TrackingCategory(
            id="job",
            name="Job",
            options=tuple(TrackingOption(id=f"j-{n}", name=f"J{n}") for n in range(50)),
        )
        return TrackingSchema(categories=(region, job))

    def create_option(self, category_id: str, name: str) -> TrackingOption:
        raise NotImplementedError

    def push(self, items: Sequence[PushItem]) -> tuple[PushResult, ...]:
        self.calls += 1
        results = []
        for item in items:
            self.count += 1
            results.append(
                PushResult(
                    key=item.key,
                    status=DeliveryStatus.CREATED,
                    xero_id=f"{self.count:08d}-0000-4000-8000-000000000000",
                    echoed=item.tracking,
                )
            )
        return tuple(results)

    def read_documents(self, kind: DocumentKind, **_: object) -> DocumentPage:
        raise NotImplementedError

    def read_statuses(self, kind: DocumentKind, ids: Sequence[str]) -> Mapping[str, str]:
        raise NotImplementedError


def documents(count: int) -> Iterator[Outbound]:
    """A stream of two-line sales invoices with tracking on both lines."""
    for n in range(count):
        key = f"INV-{n:07d}"
        yield Outbound(
            document=Document(
                key=key,
                kind=DocumentKind.SALES_INVOICE,
                fields={"region": REGIONS[n % 4]},
                lines=(
                    Line(key="1", fields={"job": f"J{n % 50}"}),
                    Line(key="2", fields={"job": f"J{(n + 1) % 50}"}),
                ),
            ),
            body=DocumentBody(
                contact=ContactRef(name=f"Customer {n % 300}"),
                date=dt.date(2026, 11, 1),
                reference=key,
                lines=(
                    BodyLine(description="Work", unit_amount=Decimal(n % 1000)),
                    BodyLine(description="Travel", unit_amount=Decimal(10)),
                ),
            ),
        )


def measure(count: int, chunk: int) -> dict[str, float]:
    """Push ``count`` documents in this process; return the peaks and the time taken."""
    with tempfile.TemporaryDirectory() as folder:
        target = SinkTarget()
        with SqliteLedger(Path(folder) / "ledger.db") as ledger:
            pusher = Pusher(
                target=target, ledger=ledger, mapping=MAPPING, fields=FIELDS, chunk_size=chunk
            )
            tracemalloc.start()
            start = time.perf_counter()
            report = pusher.push(documents(count))
            seconds = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert report.counts.created == count == target.count, report.sentence()  # noqa: S101
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"count": count, "peak": peak, "rss_kib": rss_kib, "seconds": seconds}


def in_child(count: int, chunk: int) -> dict[str, float]:
    """Measure in a fresh interpreter, so that one size's peak does not hide the other's."""
    argv = [sys.executable, __file__, "--child", str(count), "--chunk", str(chunk)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)  # noqa: S603
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.chunk)))
        return
    small, large = (in_child(n, args.chunk) for n in (args.small, args.large))
    for row in (small, large):
        print(
            f"{int(row['count']):>8} documents: tracemalloc peak {row['peak'] / 2**20:7.2f} MiB, "
            f"max RSS {row['rss_kib'] / 1024:7.1f} MiB, {row['seconds']:6.1f} s "
            f"({row['count'] / row['seconds']:,.0f} documents/s)"
        )
    ratio = large["peak"] / small["peak"]
    rss_ratio = large["rss_kib"] / small["rss_kib"]
    verdict = "OK" if ratio <= 1.2 else "OVER TARGET"
    times = large["count"] / small["count"]
    print(f"tracemalloc peak ratio for {times:.0f}x the documents: {ratio:.3f} (<= 1.2: {verdict})")
    print(f"max RSS ratio: {rss_ratio:.3f}")


if __name__ == "__main__":
    main()
