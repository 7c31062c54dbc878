"""The host's side: its own records, and the adapter that hands them to trackmap.

A real host reads these from its database; here they are a few constants, so that the example
runs anywhere. The adapter declares two fields (the project manager, read per invoice, and the
stage manager, read per line) and lists the staff as their values through the optional
``field_values`` hook, which is what fills the rows of the settings page.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from trackmap import Document, DocumentKind, FieldLevel, FieldSpec, SourceAdapter


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """One line of a host invoice: what it bills, and who manages that stage."""

    description: str
    stage_manager: str | None


@attrs.frozen(kw_only=True)
class Invoice:
    """A host invoice."""

    number: str
    project_manager: str | None
    lines: tuple[InvoiceLine, ...]


#: The host's staff: the rows of the settings page for either field.
STAFF = ("Ann Lee", "Bob Stone", "Cy Young")

INVOICES = (
    Invoice(
        number="INV-1",
        project_manager="Ann Lee",
        lines=(
            InvoiceLine(description="Design", stage_manager="Bob Stone"),
            InvoiceLine(description="Build", stage_manager="Cy Young"),
        ),
    ),
    Invoice(
        number="INV-2",
        project_manager="Bob Stone",
        lines=(InvoiceLine(description="Audit", stage_manager=None),),
    ),
)


class InvoiceAdapter(SourceAdapter[Invoice]):
    """Turns the host's invoices into trackmap documents."""

    def fields(self) -> tuple[FieldSpec, ...]:
        """The fields the settings page offers for each tracking category."""
        return (
            FieldSpec(name="project_manager", level=FieldLevel.DOCUMENT, label="Project manager"),
            FieldSpec(name="stage_manager", level=FieldLevel.LINE, label="Stage manager"),
        )

    def field_values(self, field: str) -> Iterable[str]:
        """Both fields hold a member of staff: list them all."""
        return STAFF if field in {"project_manager", "stage_manager"} else ()

    def document(self, record: Invoice) -> Document:
        """One invoice, its project manager and each line's stage manager."""
        return Document(
            key=record.number,
            kind=DocumentKind.SALES_INVOICE,
            fields={"project_manager": record.project_manager},
            lines=[
                self.line(n, stage_manager=line.stage_manager)
                for n, line in enumerate(record.lines, start=1)
            ],
        )
