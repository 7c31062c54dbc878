"""A project-practice host, in the manner of Synergy.

Invoices and credit notes bill the stages of a project. The settings page binds a "record type"
to each Xero tracking category and fills a table from that record type's values to options:
the project manager and the contact's account manager are read per document, the stage
manager, discipline and cost centre per line (the stage that line bills). A blank row sends
nothing for that category.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from trackmap._engine._document import Document, DocumentKind
from trackmap._engine._mapping import (
    Binding,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TableRow,
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
    "COST_CENTRES",
    "DISCIPLINES",
    "STAFF",
    "Contact",
    "CreditNote",
    "Invoice",
    "InvoiceLine",
    "PracticeAdapter",
    "PracticeRecord",
    "Project",
    "Staff",
    "Stage",
    "practice_mapping",
    "practice_schema",
    "sample_practice",
]


@attrs.frozen(kw_only=True)
class Staff:
    """A member of staff; ``role`` is the access level the practice gives them."""

    name: str
    role: str


@attrs.frozen(kw_only=True)
class Contact:
    """A client, with the member of staff who manages the account (if any)."""

    name: str
    account_manager: Staff | None = None


@attrs.frozen(kw_only=True)
class Project:
    """A project for a client, run by a project manager."""

    number: str
    name: str
    manager: Staff
    contact: Contact


@attrs.frozen(kw_only=True)
class Stage:
    """A stage of a project's work breakdown, each with its own manager, discipline, cost centre."""

    code: str
    name: str
    project: Project
    manager: Staff | None
    discipline: str | None
    cost_centre: str | None


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """One line of an invoice or credit note: it bills (or credits) one stage."""

    stage: Stage
    description: str
    amount: Decimal


@attrs.frozen(kw_only=True)
class Invoice:
    """A project invoice."""

    number: str
    project: Project
    date: dt.date
    lines: tuple[InvoiceLine, ...]


@attrs.frozen(kw_only=True)
class CreditNote:
    """A credit against a project invoice."""

    number: str
    project: Project
    date: dt.date
    lines: tuple[InvoiceLine, ...]
    invoice_number: str


PracticeRecord = Invoice | CreditNote

_SALES_ACCOUNT = "200"


def _name(staff: Staff | None) -> str | None:
    return staff.name if staff is not None else None


class PracticeAdapter(SourceAdapter[PracticeRecord]):
    """Reads the practice's invoices and credit notes."""

    def fields(self) -> tuple[FieldSpec, ...]:
        """Synergy's record types: two per document, three per line (from the line's stage)."""
        return (
            FieldSpec(name="project_manager", level=FieldLevel.DOCUMENT, label="Project manager"),
            FieldSpec(
                name="contact_account_manager",
                level=FieldLevel.DOCUMENT,
                label="Contact account manager",
            ),
            FieldSpec(name="stage_manager", level=FieldLevel.LINE, label="Stage manager"),
            FieldSpec(name="discipline", level=FieldLevel.LINE, label="Discipline"),
            FieldSpec(name="cost_centre", level=FieldLevel.LINE, label="Cost centre"),
        )

    def document(self, record: PracticeRecord) -> Document:
        """Project fields on the document; each line's stage fields on the line."""
        project = record.project
        kind = (
            DocumentKind.SALES_INVOICE
            if isinstance(record, Invoice)
            else DocumentKind.SALES_CREDIT_NOTE
        )
        return Document(
            key=record.number,
            kind=kind,
            label=self.describe(record),
            fields={
                "project_manager": project.manager.name,
                "contact_account_manager": _name(project.contact.account_manager),
            },
            lines=tuple(
                self.line(
                    i,
                    stage_manager=_name(line.stage.manager),
                    discipline=line.stage.discipline,
                    cost_centre=line.stage.cost_centre,
                )
                for i, line in enumerate(record.lines, start=1)
            ),
        )

    def body(self, record: PracticeRecord) -> DocumentBody:
        """A neutral body billing the project's contact, one body line per stage line."""
        reference = record.project.number
        if isinstance(record, CreditNote):
            reference = f"{reference} against {record.invoice_number}"
        return DocumentBody(
            contact=ContactRef(name=record.project.contact.name),
            date=record.date,
            due_date=record.date + dt.timedelta(days=14),
            number=record.number,
            reference=reference,
            lines=tuple(
                BodyLine(
                    description=f"{line.stage.code} {line.description}",
                    unit_amount=line.amount,
                    account_code=_SALES_ACCOUNT,
                )
                for line in record.lines
            ),
        )

    def describe(self, record: object) -> str:
        """'Invoice 2001 (project P-101)' or 'Credit note CN-301 (project P-101)'."""
        if isinstance(record, Invoice | CreditNote):
            kind = "Invoice" if isinstance(record, Invoice) else "Credit note"
            return f"{kind} {record.number} (project {record.project.number})"
        return super().describe(record)


_ANN = Staff(name="Ann Lee", role="Director")
_BEN = Staff(name="Ben Ng", role="Associate")
_CARA = Staff(name="Cara Diaz", role="Project manager")
_DEV = Staff(name="Dev Patel", role="Graduate")
_ELI = Staff(name="Eli Moss", role="Project manager")
_FAY = Staff(name="Fay Wu", role="Business development")
STAFF = (_ANN, _BEN, _CARA, _DEV, _ELI, _FAY)

DISCIPLINES = ("Architecture", "Interiors", "Landscape", "Urban design")
COST_CENTRES = ("Perth office", "Sydney office", "Melbourne office", "Remote")

_CONTACTS = (
    Contact(name="City of Fremantle", account_manager=_FAY),
    Contact(name="Banksia Schools Trust", account_manager=_ANN),
    Contact(name="Harbourside Developments", account_manager=_FAY),
    Contact(name="Mrs J. Okafor"),
)
_PROJECTS = (
    ("P-101", "Library extension", _ANN),
    ("P-102", "Primary school masterplan", _CARA),
    ("P-103", "Waterfront apartments", _ELI),
    ("P-104", "Private residence", _CARA),
    ("P-105", "Town square upgrade", _ELI),
    ("P-106", "Science block fit-out", _ANN),
)
_STAGE_NAMES = ("Concept design", "Design development", "Documentation", "Site services")
_STAGE_MANAGERS = (_BEN, _CARA, None, _DEV, _ELI, _ANN, _BEN)
_START = dt.date(2026, 2, 2)
_CREDIT_EVERY = 2
_ROUND_STEP = 100
_ROUND_DAYS = 91


def _projects() -> tuple[Project, ...]:
    return tuple(
        Project(number=number, name=name, manager=manager, contact=_CONTACTS[i % len(_CONTACTS)])
        for i, (number, name, manager) in enumerate(_PROJECTS)
    )


def _stages(project: Project, p: int) -> tuple[Stage, ...]:
    return tuple(
        Stage(
            code=f"{project.number}-{s + 1:02d}",
            name=name,
            project=project,
            manager=_STAGE_MANAGERS[(p + s) % len(_STAGE_MANAGERS)],
            discipline=DISCIPLINES[(p + s) % len(DISCIPLINES)],
            cost_centre=COST_CENTRES[(p * 2 + s) % len(COST_CENTRES)],
        )
        for s, name in enumerate(_STAGE_NAMES[: 2 + p % 3])
    )


def _lines(stages: tuple[Stage, ...], seed: int) -> tuple[InvoiceLine, ...]:
    return tuple(
        InvoiceLine(
            stage=stage,
            description=f"{stage.name}, progress claim",
            amount=Decimal(1200 + 350 * ((seed + n) % 7)).quantize(Decimal("0.01")),
        )
        for n, stage in enumerate(stages)
    )


def _records_for(project: Project, p: int, round_: int) -> tuple[PracticeRecord, ...]:
    # Each round is another quarter of claims on the same projects, numbered 1000 further on.
    n = p + _ROUND_STEP * round_
    stages = _stages(project, p)
    records: list[PracticeRecord] = []
    for claim in range(3):
        date = _START + dt.timedelta(days=28 * claim + 2 * p + _ROUND_DAYS * round_)
        billed = stages[claim % len(stages) :] or stages
        records.append(
            Invoice(
                number=f"INV-{2001 + 10 * n + claim}",
                project=project,
                date=date,
                lines=_lines(billed, p + claim),
            )
        )
    if p % _CREDIT_EVERY == 0:
        invoice = records[0]
        records.append(
            CreditNote(
                number=f"CN-{301 + n}",
                project=project,
                date=invoice.date + dt.timedelta(days=10),
                lines=_lines(stages[:1], p),
                invoice_number=invoice.number,
            )
        )
    return tuple(records)


def _option(
    category: str, name: str, status: TrackingStatus = TrackingStatus.ACTIVE
) -> TrackingOption:
    return TrackingOption(id=guid(category, name), name=name, status=status)


def practice_schema() -> TrackingSchema:
    """An organisation with "Region" and "Project lead" active.

    "Perth CBD" (Region) and "Ben Ng" (Project lead, who has left) are archived.
    """
    region = TrackingCategory(
        id=guid("Region"),
        name="Region",
        options=(
            _option("Region", "Perth"),
            _option("Region", "Sydney"),
            _option("Region", "Melbourne"),
            _option("Region", "Perth CBD", TrackingStatus.ARCHIVED),
        ),
    )
    lead = TrackingCategory(
        id=guid("Project lead"),
        name="Project lead",
        options=(
            _option("Project lead", "Ann Lee"),
            _option("Project lead", "Cara Diaz"),
            _option("Project lead", "Eli Moss"),
            _option("Project lead", "Studio"),
            _option("Project lead", "Ben Ng", TrackingStatus.ARCHIVED),
        ),
    )
    return TrackingSchema(categories=(region, lead))


def practice_mapping() -> TrackingMapping:
    """Synergy-style settings: two record types, each with a table of values to options.

    - Region <- cost centre, per line; "Remote" is a blank row: nothing is sent for Region.
    - Project lead <- the stage manager, else the project manager; juniors map to "Studio",
      and any other value falls back to the default, "Studio".
    """
    region, lead = guid("Region"), guid("Project lead")
    studio = guid("Project lead", "Studio")
    return TrackingMapping(
        bindings=(
            Binding(
                category_id=region,
                category_name="Region",
                sources=("cost_centre",),
                values=ByTable(
                    rows=(
                        TableRow(value="Perth office", option_id=guid("Region", "Perth")),
                        TableRow(value="Sydney office", option_id=guid("Region", "Sydney")),
                        TableRow(value="Melbourne office", option_id=guid("Region", "Melbourne")),
                        TableRow(value="Remote", option_id=None),
                    )
                ),
            ),
            Binding(
                category_id=lead,
                category_name="Project lead",
                sources=("stage_manager", "project_manager"),
                values=ByTable(
                    rows=(
                        *(
                            TableRow(value=name, option_id=guid("Project lead", name))
                            for name in ("Ann Lee", "Cara Diaz", "Eli Moss")
                        ),
                        TableRow(value="Ben Ng", option_id=studio),
                        TableRow(value="Dev Patel", option_id=studio),
                    )
                ),
                default_option_id=studio,
                on_unmapped=OnUnmapped.DEFAULT,
            ),
        )
    )


def sample_practice(*, rounds: int = 1) -> HostSample[PracticeRecord]:
    """The project-practice host: 6 staff, 6 projects, 21 invoices and credit notes per round.

    Each further round adds another quarter of claims on the same projects (21 more documents,
    with their own numbers).
    """
    records = tuple(
        record
        for round_ in range(rounds)
        for p, project in enumerate(_projects())
        for record in _records_for(project, p, round_)
    )
    return HostSample(
        name="practice",
        adapter=PracticeAdapter(),
        records=records,
        schema=practice_schema(),
        mapping=practice_mapping(),
    )
