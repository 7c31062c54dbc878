"""A job-management host, in the manner of Streamtime.

Every expense (a bill or a spend-money payment), purchase order and invoice belongs to a job;
the job's branch, number and client PO number are what the settings page offers to bind to a
Xero tracking category, by name: the option IS the field's value.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import attrs

from trackmap._engine._document import Document, DocumentKind
from trackmap._engine._mapping import (
    Binding,
    ByName,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TrackingMapping,
)
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap._sources._adapter import SourceAdapter
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap.testing.hosts._sample import HostSample, guid

__all__ = [
    "Expense",
    "ExpenseKind",
    "Invoice",
    "Item",
    "Job",
    "JobsAdapter",
    "JobsRecord",
    "PurchaseOrder",
    "jobs_mapping",
    "jobs_schema",
    "sample_jobs",
]


@attrs.frozen(kw_only=True)
class Job:
    """A job: the unit of work that every document of this host belongs to."""

    number: str
    name: str
    branch: str
    client: str
    po_number: str | None = None


@attrs.frozen(kw_only=True)
class Item:
    """One line of an expense, purchase order or invoice."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    account_code: str


class ExpenseKind(enum.Enum):
    """How an expense reaches Xero."""

    BILL = "bill"
    SPEND_MONEY = "spend_money"


@attrs.frozen(kw_only=True)
class Expense:
    """A supplier cost logged against a job: a bill, or money already spent."""

    number: str
    kind: ExpenseKind
    job: Job
    supplier: str
    date: dt.date
    items: tuple[Item, ...]


@attrs.frozen(kw_only=True)
class PurchaseOrder:
    """An order placed with a supplier for a job."""

    number: str
    job: Job
    supplier: str
    date: dt.date
    items: tuple[Item, ...]


@attrs.frozen(kw_only=True)
class Invoice:
    """An invoice to the job's client."""

    number: str
    job: Job
    date: dt.date
    items: tuple[Item, ...]


JobsRecord = Expense | PurchaseOrder | Invoice

_BANK_ACCOUNT = "090"


def _kind(record: JobsRecord) -> DocumentKind:
    if isinstance(record, Invoice):
        return DocumentKind.SALES_INVOICE
    if isinstance(record, PurchaseOrder):
        return DocumentKind.PURCHASE_ORDER
    if record.kind is ExpenseKind.BILL:
        return DocumentKind.BILL
    return DocumentKind.SPEND_MONEY


class JobsAdapter(SourceAdapter[JobsRecord]):
    """Reads the job-management host's expenses, purchase orders and invoices."""

    def fields(self) -> tuple[FieldSpec, ...]:
        """Branch, job number and job PO number, all read from the document's job."""
        return (
            FieldSpec(name="branch", level=FieldLevel.DOCUMENT, label="Branch"),
            FieldSpec(name="job_number", level=FieldLevel.DOCUMENT, label="Job number"),
            FieldSpec(name="job_po_number", level=FieldLevel.DOCUMENT, label="Job PO number"),
        )

    def document(self, record: JobsRecord) -> Document:
        """The record's job fields; lines carry no fields of their own in this host."""
        job = record.job
        return Document(
            key=record.number,
            kind=_kind(record),
            label=self.describe(record),
            fields={
                "branch": job.branch,
                "job_number": job.number,
                "job_po_number": job.po_number,
            },
            lines=tuple(self.line(i) for i, _ in enumerate(record.items, start=1)),
        )

    def body(self, record: JobsRecord) -> DocumentBody:
        """A neutral body: the client for invoices, the supplier otherwise."""
        spend = isinstance(record, Expense) and record.kind is ExpenseKind.SPEND_MONEY
        contact = record.job.client if isinstance(record, Invoice) else record.supplier
        return DocumentBody(
            contact=ContactRef(name=contact),
            date=record.date,
            due_date=record.date + dt.timedelta(days=30),
            number=None if spend else record.number,
            reference=f"{record.job.number} {record.job.name}",
            lines=tuple(_body_line(item) for item in record.items),
            bank_account_code=_BANK_ACCOUNT if spend else None,
        )

    def describe(self, record: object) -> str:
        """'Invoice INV-1001 (job J1040)' and the like."""
        if isinstance(record, Expense | PurchaseOrder | Invoice):
            kind = type(record).__name__.replace("PurchaseOrder", "Purchase order")
            return f"{kind} {record.number} (job {record.job.number})"
        return super().describe(record)


def _body_line(item: Item) -> BodyLine:
    return BodyLine(
        description=item.description,
        quantity=item.quantity,
        unit_amount=item.unit_price,
        account_code=item.account_code,
    )


_BRANCHES = ("Sydney", "Melbourne", "Brisbane")
_CLIENTS = ("Harbour Coffee Co", "Blue Gum Wines", "Northside Dental", "Kestrel Air")
_SUPPLIERS = ("PrintWorks", "Studio Lights Hire", "Fast Couriers", "Stock Images Ltd")
_JOB_NAMES = (
    "Autumn campaign",
    "Website refresh",
    "Trade show stand",
    "Brand guidelines",
    "Product launch video",
    "Annual report",
    "Social media pack",
    "Packaging redesign",
)
_START = dt.date(2026, 3, 2)
_NO_PO = 2
_ROUND_STEP = 1000
_ROUND_DAYS = 28


def _jobs() -> tuple[Job, ...]:
    return tuple(
        Job(
            number=f"J{1040 + i}",
            name=name,
            branch=_BRANCHES[i % len(_BRANCHES)],
            client=_CLIENTS[i % len(_CLIENTS)],
            # Every third job has no client PO number.
            po_number=None if i % 3 == _NO_PO else f"PO-{7700 + i}",
        )
        for i, name in enumerate(_JOB_NAMES)
    )


def _items(seed: int, account_code: str) -> tuple[Item, ...]:
    descriptions = ("Design", "Artwork", "Production", "Project management")
    return tuple(
        Item(
            description=descriptions[(seed + n) % len(descriptions)],
            quantity=Decimal(1 + (seed + n) % 4),
            unit_price=Decimal(90 + 15 * ((seed * 7 + n) % 9)).quantize(Decimal("0.01")),
            account_code=account_code,
        )
        for n in range(1 + seed % 3)
    )


def _records_for(job: Job, i: int, round_: int) -> tuple[JobsRecord, ...]:
    # Each round is another month of work on the same jobs, numbered 1000 further on.
    n = i + _ROUND_STEP * round_
    day = _START + dt.timedelta(days=3 * i + _ROUND_DAYS * round_)
    supplier = _SUPPLIERS[i % len(_SUPPLIERS)]
    kind = ExpenseKind.BILL if i % 2 == 0 else ExpenseKind.SPEND_MONEY
    records: list[JobsRecord] = [
        Invoice(
            number=f"INV-{1001 + n}",
            job=job,
            date=day + dt.timedelta(days=14),
            items=_items(i, "200"),
        ),
        Expense(
            number=f"EXP-{501 + n}",
            kind=kind,
            job=job,
            supplier=supplier,
            date=day,
            items=_items(i + 1, "310"),
        ),
        PurchaseOrder(
            number=f"PO-{301 + n}", job=job, supplier=supplier, date=day, items=_items(i + 2, "310")
        ),
    ]
    if i % 2 == 0:
        records.append(
            Invoice(
                number=f"INV-{1101 + n}",
                job=job,
                date=day + dt.timedelta(days=28),
                items=_items(i + 3, "200"),
            )
        )
    return tuple(records)


def _option(
    category: str, name: str, status: TrackingStatus = TrackingStatus.ACTIVE
) -> TrackingOption:
    return TrackingOption(id=guid(category, name), name=name, status=status)


def jobs_schema() -> TrackingSchema:
    """An organisation with "Region" (branches) and "Job" active, and "Department" archived.

    "Perth" is an archived region; job J1038 is archived; jobs J1046 and J1047 have no option
    yet (the sample mapping creates them).
    """
    region = TrackingCategory(
        id=guid("Region"),
        name="Region",
        options=(
            *(_option("Region", name) for name in _BRANCHES),
            _option("Region", "Perth", TrackingStatus.ARCHIVED),
        ),
    )
    job = TrackingCategory(
        id=guid("Job"),
        name="Job",
        options=(
            _option("Job", "J1038", TrackingStatus.ARCHIVED),
            *(_option("Job", f"J{n}") for n in range(1039, 1046)),
        ),
    )
    department = TrackingCategory(
        id=guid("Department"),
        name="Department",
        status=TrackingStatus.ARCHIVED,
        options=(_option("Department", "Creative"), _option("Department", "Accounts")),
    )
    return TrackingSchema(categories=(region, job, department))


def jobs_mapping() -> TrackingMapping:
    """Streamtime-style settings: Branch -> Region and Job number -> Job, both by name.

    A job number with no option yet is created in Xero (``on_unmapped=create``); a branch
    with no active option blocks the document (``on_unmapped=error``).
    """
    return TrackingMapping(
        bindings=(
            Binding(
                category_id=guid("Region"),
                category_name="Region",
                sources=("branch",),
                values=ByName(),
                on_unmapped=OnUnmapped.ERROR,
            ),
            Binding(
                category_id=guid("Job"),
                category_name="Job",
                sources=("job_number",),
                values=ByName(),
                on_unmapped=OnUnmapped.CREATE,
            ),
        )
    )


def sample_jobs(*, rounds: int = 1) -> HostSample[JobsRecord]:
    """The job-management host with 8 jobs and 28 documents of four kinds per round.

    Each further round adds another month of documents on the same jobs (28 more, with their
    own numbers), for tests that need a few hundred documents against the same organisation.
    """
    records = tuple(
        record
        for round_ in range(rounds)
        for i, job in enumerate(_jobs())
        for record in _records_for(job, i, round_)
    )
    return HostSample(
        name="jobs",
        adapter=JobsAdapter(),
        records=records,
        schema=jobs_schema(),
        mapping=jobs_mapping(),
    )
