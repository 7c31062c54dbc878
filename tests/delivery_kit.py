"""Shared builders and the exactly-once verdict for the delivery tests (ledger, push, faults).

A small synthetic host: documents with a document-level "region" (bound by name to "Region",
unknown regions are errors) and a line-level "job" (bound by name to "Job", missing jobs are
created). The verdict `assert_exactly_once` is an independent oracle: it reads what the target
holds and what the ledger says, and checks them against the host's documents directly.
"""

from __future__ import annotations

import collections
import datetime as dt
import sys
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import attrs

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import (
    Binding,
    ByName,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TrackingMapping,
)
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingStatus
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody, Outbound
from trackmap._sync._ledger import Ledger
from trackmap.testing._memory import InMemoryTarget

REGION = "11111111-1111-4111-8111-111111111111"
JOB = "22222222-2222-4222-8222-222222222222"
REGIONS = ("North", "South", "East", "West")
KINDS = (DocumentKind.SALES_INVOICE, DocumentKind.BILL, DocumentKind.PURCHASE_ORDER)
FIELDS = (
    FieldSpec(name="region", level=FieldLevel.DOCUMENT, label="Region"),
    FieldSpec(name="job", level=FieldLevel.LINE, label="Job number"),
)
MAPPING = TrackingMapping(
    bindings=(
        Binding(
            category_id=REGION,
            category_name="Region",
            sources=("region",),
            values=ByName(),
            on_unmapped=OnUnmapped.ERROR,
        ),
        Binding(
            category_id=JOB,
            category_name="Job",
            sources=("job",),
            values=ByName(),
            on_unmapped=OnUnmapped.CREATE,
        ),
    )
)


class WrappedTarget:
    """A test double over another target: delegates everything; subclasses override a method.

    ``tenant_id`` is spelled out because the Target protocol reads it as a property.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def tenant_id(self) -> str:
        return str(self.inner.tenant_id)


def _option_id(n: int) -> str:
    return f"33333333-3333-4333-8333-{n:012d}"


def categories() -> tuple[TrackingCategory, ...]:
    """Region (four active, Perth archived) and Job (J1..J5 active)."""
    region = TrackingCategory(
        id=REGION,
        name="Region",
        options=(
            *(TrackingOption(id=_option_id(i), name=n) for i, n in enumerate(REGIONS)),
            TrackingOption(id=_option_id(9), name="Perth", status=TrackingStatus.ARCHIVED),
        ),
    )
    job = TrackingCategory(
        id=JOB,
        name="Job",
        options=tuple(TrackingOption(id=_option_id(100 + n), name=f"J{n}") for n in range(1, 6)),
    )
    return (region, job)


def memory_target(**options: object) -> InMemoryTarget:
    """An in-memory organisation with the two categories."""
    return InMemoryTarget(categories=categories(), **options)  # type: ignore[arg-type]


def outbound(
    key: str,
    *,
    kind: DocumentKind = DocumentKind.SALES_INVOICE,
    region: str = "North",
    jobs: Sequence[str] = ("J1", "J2"),
    amount: Decimal = Decimal("100.00"),
    contact: str = "Acme Ltd",
    item_code: str | None = None,
) -> Outbound:
    """One document: a region on the document, a job on each line."""
    document = Document(
        key=key,
        kind=kind,
        fields={"region": region},
        lines=tuple(Line(key=str(i), fields={"job": job}) for i, job in enumerate(jobs, 1)),
    )
    body = DocumentBody(
        contact=ContactRef(name=contact),
        date=dt.date(2026, 11, 1),
        reference=key,
        lines=tuple(
            BodyLine(
                description=f"{key} line {i}",
                unit_amount=amount,
                account_code="200",
                item_code=item_code,
            )
            for i, _ in enumerate(jobs, 1)
        ),
    )
    return Outbound(document=document, body=body)


def many(count: int, *, start: int = 0, new_jobs: int = 3) -> Iterator[Outbound]:
    """``count`` documents of three kinds and four regions; some need one of ``new_jobs`` jobs."""
    for n in range(start, start + count):
        kind = KINDS[n % len(KINDS)]
        fresh = f"N{n % new_jobs}" if new_jobs and n % 7 == 0 else f"J{1 + n % 5}"
        yield outbound(
            f"D{n:05d}",
            kind=kind,
            region=REGIONS[n % len(REGIONS)],
            jobs=(f"J{1 + (n // 5) % 5}", fresh),
            amount=Decimal(10 + n % 90),
        )


def expected_tracking(item: Outbound) -> tuple[tuple[tuple[str, str], ...], ...]:
    """What every line must carry, straight from the host's fields (not from the engine)."""
    region = item.document.fields["region"] or ""
    return tuple(
        (("Job", line.fields["job"] or ""), ("Region", region)) for line in item.document.lines
    )


def stored_tracking(lines: Iterable[Iterable[object]]) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Category and option names of stored or read-back tracking entries, line by line."""
    return tuple(
        tuple(sorted((e.category_name, e.option_name) for e in line))  # type: ignore[attr-defined]
        for line in lines
    )


def assert_exactly_once(
    target: InMemoryTarget, ledger: Ledger, documents: Sequence[Outbound]
) -> None:
    """Check the verdict: each document once in the target, right tracking and body, ledger agrees.

    The ledger holds each document's Xero id, in sync, and no request is left in doubt.
    """
    stored = target.documents()
    counts = collections.Counter((d.kind, d.source_key) for d in stored)
    wanted = {(o.document.kind, o.document.key): 1 for o in documents}
    assert wanted == dict(counts)
    by_key = {(d.kind, d.source_key): d for d in stored}
    for item in documents:
        doc = by_key[(item.document.kind, item.document.key)]
        assert expected_tracking(item) == stored_tracking(doc.tracking), item.document.key
        # The contact may have gained its Xero id on the way; the rest is the host's body.
        assert item.body == attrs.evolve(doc.body, contact=item.body.contact), item.document.key
    entries = {(e.kind, e.key): e for e in ledger.entries(target.tenant_id)}
    assert set(wanted) == set(entries)
    for ident, entry in entries.items():
        assert entry.in_sync, (ident, entry)
        assert by_key[ident].xero_id == entry.xero_id
    assert () == ledger.in_doubt(target.tenant_id)


# -- FakeXero: the same verdict over HTTP, and a child process that pushes -------------------

_FAKE_KINDS = {
    ("Invoices", "ACCREC"): DocumentKind.SALES_INVOICE,
    ("Invoices", "ACCPAY"): DocumentKind.BILL,
    ("PurchaseOrders", None): DocumentKind.PURCHASE_ORDER,
    ("PurchaseOrders", "PURCHASEORDER"): DocumentKind.PURCHASE_ORDER,  # Xero's answers say so
}
_ID_FIELD = {"Invoices": "InvoiceID", "PurchaseOrders": "PurchaseOrderID"}


def fake_organisation(fake: object) -> dict[str, str]:
    """Add Region and Job to a FakeXero; return the ids a child needs to map to them."""
    region = fake.add_category("Region", options=list(REGIONS))  # type: ignore[attr-defined]
    job = fake.add_category("Job", options=[f"J{n}" for n in range(1, 6)])  # type: ignore[attr-defined]
    return {"region": region, "job": job}


def mapping_for(region: str, job: str) -> TrackingMapping:
    """The kit's mapping, bound to a FakeXero's category ids."""
    first, second = MAPPING.bindings
    return TrackingMapping(
        bindings=(attrs.evolve(first, category_id=region), attrs.evolve(second, category_id=job))
    )


def fake_documents(fake: object) -> list[tuple[DocumentKind, dict[str, object]]]:
    """Every document FakeXero holds, with the trackmap kind it stands for."""
    found = []
    for collection in ("Invoices", "PurchaseOrders"):
        for doc in fake.documents(collection):  # type: ignore[attr-defined]
            kind = _FAKE_KINDS[(collection, doc.get("Type"))]
            found.append((kind, {**doc, "_id": doc[_ID_FIELD[collection]]}))
    return found


def assert_exactly_once_in_fake(
    fake: object, ledger: Ledger, tenant_id: str, documents: Sequence[Outbound]
) -> None:
    """The exactly-once verdict against FakeXero: each document once (by its Reference), with
    the right tracking on every line, and the ledger holding its Xero id, in sync."""
    stored = fake_documents(fake)
    counts = collections.Counter((kind, doc["Reference"]) for kind, doc in stored)
    wanted = {(o.document.kind, o.document.key): 1 for o in documents}
    assert wanted == dict(counts)
    by_key = {(kind, doc["Reference"]): doc for kind, doc in stored}
    for item in documents:
        doc = by_key[(item.document.kind, item.document.key)]
        lines = [
            tuple(sorted((t["Name"], t["Option"]) for t in line.get("Tracking", ())))
            for line in doc["LineItems"]  # type: ignore[attr-defined]
        ]
        assert list(expected_tracking(item)) == lines, item.document.key
    entries = {(e.kind, e.key): e for e in ledger.entries(tenant_id)}
    assert set(wanted) == set(entries)
    for ident, entry in entries.items():
        assert entry.in_sync, (ident, entry)
        assert by_key[ident]["_id"] == entry.xero_id  # type: ignore[index]
    assert () == ledger.in_doubt(tenant_id)


def open_ledger(spec: object) -> Any:
    """The ledger a spec names: ``postgresql://...#schema`` (PostgresLedger) or an SQLite path."""
    text = str(spec)
    if text.startswith("postgresql://"):
        from trackmap.postgres import PostgresLedger

        url, _, schema = text.partition("#")
        return PostgresLedger(url, schema=schema)
    from trackmap._sync._ledger import SqliteLedger

    return SqliteLedger(text)


def verdict(fake: object, ledger_path: object, count: int = 300, new_jobs: int = 3) -> None:
    """The exactly-once verdict for the kit's ``many(count, new_jobs=...)`` pushed to a fake."""
    with open_ledger(ledger_path) as ledger:
        tenant = fake.tenant_id  # type: ignore[attr-defined]
        assert_exactly_once_in_fake(fake, ledger, tenant, list(many(count, new_jobs=new_jobs)))


def child_argv(fake: Any, ids: dict[str, str], ledger_path: object, *extra: str) -> list[str]:
    """The command line of a child push (`_child`) against ``fake``."""
    return [
        sys.executable,
        __file__,
        "--base-url",
        fake.base_url,
        "--token",
        fake.access_token,
        "--tenant",
        fake.tenant_id,
        "--region",
        ids["region"],
        "--job",
        ids["job"],
        "--ledger",
        str(ledger_path),
        "--clock",
        fake.clock.now().isoformat(),
        *extra,
    ]


BUSY_EXIT = 3


def _child(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - runs in a child
    """Push the kit's documents to a FakeXero from a separate process (see test_faults)."""
    import argparse
    import json
    import os
    import signal
    import threading

    from trackmap._sync._push import Pusher
    from trackmap.errors import LedgerBusyError
    from trackmap.testing._fakexero import sdk_client
    from trackmap.xero._target import XeroTarget

    parser = argparse.ArgumentParser()
    for name in ("--base-url", "--token", "--tenant", "--region", "--job", "--ledger"):
        parser.add_argument(name, required=True)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--new-jobs", type=int, default=3)
    parser.add_argument("--crash", default="")
    parser.add_argument("--kill-after", type=float, default=0.0)
    parser.add_argument("--lease-wait", type=float, default=0.0)
    # The host's clock in step with Xero's (here FakeXero's virtual one): settlement reads what
    # Xero changed since an intent was written, so the two clocks must agree within a margin.
    parser.add_argument("--clock", required=True)
    args = parser.parse_args(argv)
    start = dt.datetime.fromisoformat(args.clock)

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    hits: collections.Counter[str] = collections.Counter()
    crash_name, _, crash_hit = args.crash.partition(":")

    def checkpoint(name: str) -> None:
        hits[name] += 1
        if name == crash_name and hits[name] == int(crash_hit or 1):
            die()

    target = XeroTarget(sdk_client(args.base_url, args.token, timeout=(5, 60)), args.tenant)
    with open_ledger(args.ledger) as ledger:
        pusher = Pusher(
            target=target,
            ledger=ledger,
            mapping=mapping_for(args.region, args.job),
            fields=FIELDS,
            checkpoint=checkpoint,
            lease_wait=args.lease_wait,
            chunk_size=100,
            clock=lambda: start,
        )
        if args.kill_after:
            threading.Timer(args.kill_after, die).start()
        try:
            report = pusher.push(many(args.count, new_jobs=args.new_jobs))
        except LedgerBusyError as exc:
            print(json.dumps({"busy": str(exc)}))  # noqa: T201 - the parent reads it
            return BUSY_EXIT
        counts = attrs.asdict(report.counts)
        said = {"batch": report.batch.number, **counts, "hits": hits}
        said |= {"recovered": report.recovered, "in_doubt": report.in_doubt}
        print(json.dumps(said))  # noqa: T201 - the parent reads it
    os._exit(0)  # a pending kill timer must not outlive the push
    return 0


if __name__ == "__main__":  # pragma: no cover - the child process
    raise SystemExit(_child())
