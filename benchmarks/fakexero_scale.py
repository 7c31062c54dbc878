"""Benchmark: FakeXero stays linear as it fills up (it numbered documents by a full scan).

Run: ``python benchmarks/fakexero_scale.py [--total 100000] [--block 10000]``.

What it does: `trackmap.xero.XeroTarget` over the real xero-python SDK pushes ``--total``
sales invoices to `trackmap.testing.FakeXero` over loopback HTTP, in virtual time with
Xero's default limits (requests of 50, 60 calls a minute, 5,000 a day). The invoices carry
no number, so FakeXero numbers every one (INV-0001...): the step that used to scan every
stored document, making a push quadratic (1.0-1.2 ms a document at 10,000, issue 10).

What it prints: the CPU time of this process per document (client and the fake's server
threads alike: ``time.process_time``, so that other processes on a shared machine do not
blur it) of each block of ``--block`` documents, the
median and spread (min-max) over the blocks, and the ratio of the LAST block to the FIRST,
which is the baseline computed in the same run. Quadratic work would make the last block of
a 100,000 push about 19 times slower than the first (its scan covers 95,000 documents on
average, the first's 5,000); linear work keeps the ratio near 1. Verdict: the push completes,
every document is stored once with its own number, and the ratio is at most 1.5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Sequence
from decimal import Decimal

from trackmap import BodyLine, ContactRef, DeliveryStatus, DocumentBody, DocumentKind
from trackmap.testing import FakeXero, VirtualClock
from trackmap.xero import RetryPolicy, XeroTarget

_START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
_TARGET_RATIO = 1.5


def _items(start: int, count: int, region: tuple[str, str, str]) -> list[object]:
    from trackmap._sync._target import PushItem, TrackingEntry  # noqa: PLC0415  # bench only

    category_id, option_id, option_name = region
    entry = TrackingEntry(
        category_id=category_id,
        category_name="Region",
        option_id=option_id,
        option_name=option_name,
    )
    body = DocumentBody(
        contact=ContactRef(name="Acme Ltd"),
        date=dt.date(2026, 11, 1),
        lines=(BodyLine(description="Work", unit_amount=Decimal("10.50"), account_code="200"),),
    )
    return [
        PushItem(
            key=f"D-{n}",
            kind=DocumentKind.SALES_INVOICE,
            body=body,
            tracking=((entry,),),
            idempotency_key=f"bench-{n}",
        )
        for n in range(start, start + count)
    ]


def run(total: int, block: int) -> tuple[list[float], int, int, int]:
    """Push ``total`` invoices in blocks; return ms per document per block, and counts."""
    clock = VirtualClock(start=_START)
    per_document: list[float] = []
    with FakeXero(clock=clock) as fake:
        category = fake.add_category("Region", ["Perth"])
        option = fake.categories()[0]["Options"][0]["TrackingOptionID"]
        target = XeroTarget(
            fake.sdk_client(),
            fake.tenant_id,
            clock=clock.now,
            sleep=clock.sleep,
            policy=RetryPolicy(jitter=False),
        )
        created = 0
        for start in range(0, total, block):
            items = _items(start, min(block, total - start), (category, option, "Perth"))
            began = time.process_time()
            results = target.push(items)  # type: ignore[arg-type]
            per_document.append((time.process_time() - began) * 1000 / len(items))
            created += sum(r.status is DeliveryStatus.CREATED for r in results)
        stored = fake.documents("Invoices")
        numbers = len({d["InvoiceNumber"] for d in stored})
        return per_document, created, len(stored), numbers


def report(per_document: Sequence[float], total: int, counts: tuple[int, int, int]) -> bool:
    created, stored, numbers = counts
    for index, ms in enumerate(per_document):
        print(f"block {index + 1:>3}: {ms:.3f} ms CPU a document")
    median = statistics.median(per_document)
    ratio = per_document[-1] / per_document[0]
    print(
        f"median {median:.3f} ms CPU a document (spread {min(per_document):.3f}-"
        f"{max(per_document):.3f}); last block / first block: {ratio:.2f}x"
    )
    print(f"created {created}, stored {stored}, distinct numbers {numbers} (of {total})")
    ok = created == stored == numbers == total and ratio <= _TARGET_RATIO
    verdict = "MET" if ok else "MISSED"
    print(
        f"verdict: {verdict} (target: a {total}-document push completes, each document stored "
        f"once with its own number, last block within {_TARGET_RATIO}x of the first)"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--block", type=int, default=10_000)
    args = parser.parse_args()
    per_document, *counts = run(args.total, args.block)
    report(per_document, args.total, (counts[0], counts[1], counts[2]))


if __name__ == "__main__":
    main()
