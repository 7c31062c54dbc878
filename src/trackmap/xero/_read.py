"""xero-python models in, trackmap values out: the schema, echoed tracking, documents read back.

Every value leaves as a trackmap type: money as ``Decimal`` (the SDK hands floats), times as
aware UTC datetimes, statuses as plain strings.

It also writes the ``where`` filters that ask Xero for one kind, or for documents by id, so
that the list endpoints without an ``IDs`` parameter are read in a few calls, not one a
document. Which list endpoint takes what, from Xero's OpenAPI contract:

==================  =========  =======  ================  ====================
list endpoint       ``IDs``    where    page, pageSize    If-Modified-Since
==================  =========  =======  ================  ====================
/Invoices           yes        yes      yes               yes
/CreditNotes        no         yes      yes               yes
/BankTransactions   no         yes      yes               yes
/ManualJournals     no         yes      yes               yes
/PurchaseOrders     no         no       yes               yes
==================  =========  =======  ================  ====================
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from trackmap._engine._schema import (
    Capabilities,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap._sync._target import RemoteDocument, RemoteLine, TrackingEntry
from trackmap.xero._bodies import KindSpec

__all__ = [
    "IDS_PER_WHERE",
    "ZERO_ID",
    "echoed_tracking",
    "element_messages",
    "ids_where",
    "is_guid",
    "only_asked",
    "remote_document",
    "tracking_schema",
    "type_where",
    "where_by_id",
]

ZERO_ID = "00000000-0000-0000-0000-000000000000"
"""The id Xero gives an element that failed (XERO.md, summarizeErrors=false)."""

IDS_PER_WHERE = 20
"""Ids per OR-chained ``where`` read. The ids go on the URL: once URL-encoded each costs up to
80 characters (``BankTransactionID==Guid("...") OR ``), so 20 make a query string of about
1,600, well within the 2,048 that many servers and proxies allow by default (IIS among
them); 25 would already come within 70 characters of it. The answer fits the first page."""

_WHERE_RESOURCES = frozenset({"Invoices", "CreditNotes", "BankTransactions", "ManualJournals"})
_GUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", re.IGNORECASE)


def _text(value: object) -> str | None:
    """The string of an SDK value, enums included (``Status.ACTIVE`` -> ``"ACTIVE"``)."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _status(value: object) -> TrackingStatus:
    text = (_text(value) or "ACTIVE").upper()
    return TrackingStatus(text) if text in TrackingStatus.__members__ else TrackingStatus.ARCHIVED


def tracking_schema(categories: Iterable[Any], capabilities: Capabilities) -> TrackingSchema:
    """Turn the SDK's tracking categories (archived included) into a `TrackingSchema`."""
    return TrackingSchema(
        categories=tuple(
            TrackingCategory(
                id=str(category.tracking_category_id),
                name=str(category.name),
                status=_status(category.status),
                options=tuple(tracking_option(option) for option in category.options or ()),
            )
            for category in categories
        ),
        capabilities=capabilities,
    )


def tracking_option(option: Any) -> TrackingOption:  # noqa: ANN401 - untyped SDK model
    """Turn one SDK tracking option into a `TrackingOption`."""
    return TrackingOption(
        id=str(option.tracking_option_id), name=str(option.name), status=_status(option.status)
    )


def _entries(line: Any) -> tuple[TrackingEntry, ...]:  # noqa: ANN401 - untyped SDK model
    return tuple(
        TrackingEntry(
            category_id=_text(entry.tracking_category_id) or "",
            category_name=_text(entry.name) or "",
            option_id=_text(entry.tracking_option_id),
            option_name=_text(entry.option) or "",
        )
        for entry in getattr(line, "tracking", None) or ()
    )


def echoed_tracking(
    spec: KindSpec,
    element: Any,  # noqa: ANN401 - untyped SDK model
) -> tuple[tuple[TrackingEntry, ...], ...] | None:
    """The tracking an answer element carries per line; None if it carries no lines at all."""
    lines = getattr(element, spec.lines_attr, None)
    if lines is None:
        return None
    return tuple(_entries(line) for line in lines)


def element_messages(element: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:  # noqa: ANN401
    """The element's validation errors and warnings, verbatim, in order."""
    errors = tuple(
        _text(e.message) or "" for e in getattr(element, "validation_errors", None) or ()
    )
    warnings = tuple(_text(w.message) or "" for w in getattr(element, "warnings", None) or ())
    return errors, warnings


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _aware(value: object) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def remote_document(spec: KindSpec, element: Any) -> RemoteDocument:  # noqa: ANN401
    """Turn one SDK document into a `RemoteDocument`."""
    contact = getattr(element, "contact", None)
    lines = getattr(element, spec.lines_attr, None) or ()
    return RemoteDocument(
        kind=spec.kind,
        xero_id=str(getattr(element, spec.id_attr)),
        status=_text(element.status) or "",
        updated_at=_aware(getattr(element, "updated_date_utc", None)),
        number=_text(getattr(element, spec.number_attr)) if spec.number_attr else None,
        reference=_text(getattr(element, "reference", None)),
        contact_name=_text(getattr(contact, "name", None)),
        total=_decimal(getattr(element, "total", None)),
        lines=tuple(
            RemoteLine(
                description=_text(line.description),
                line_amount=_decimal(line.line_amount),
                tracking=_entries(line),
            )
            for line in lines
        ),
    )


def where_by_id(spec: KindSpec) -> bool:
    """Whether this kind has no ``IDs`` parameter but a ``where`` to read by ids with."""
    return not spec.reads_by_ids and spec.resource in _WHERE_RESOURCES


def type_where(spec: KindSpec) -> str | None:
    """The ``where`` that keeps one kind of a shared endpoint (``Type=="ACCREC"``), if any."""
    return None if spec.type_value is None else f'Type=="{spec.type_value}"'


def ids_where(spec: KindSpec, ids: Iterable[str]) -> str:
    """A ``where`` matching any of these ids: ``CreditNoteID==Guid("...") OR ...``.

    Only well-formed GUIDs go in (anything else cannot be a Xero id, and one malformed
    ``Guid()`` would fail the whole request); the caller sends none when none is left.
    """
    field = f"{spec.resource.removesuffix('s')}ID"
    return " OR ".join(f'{field}==Guid("{xero_id}")' for xero_id in ids if is_guid(xero_id))


def is_guid(text: str) -> bool:
    """Whether ``text`` is a GUID as Xero writes its ids."""
    return _GUID.fullmatch(text) is not None


def only_asked(ids: Iterable[str], documents: Iterable[RemoteDocument]) -> list[RemoteDocument]:
    """The documents whose id was asked for (compared case-insensitively), each once.

    A read by ids must never hand back a document nobody asked for, whatever the answer
    holds (a filter the server ignored, a page of something else): the caller would file
    another document's status or tracking under its own.
    """
    wanted = {xero_id.lower() for xero_id in ids}
    kept: dict[str, RemoteDocument] = {}
    for document in documents:
        found = document.xero_id.lower()
        if found in wanted:
            kept.setdefault(found, document)
    return list(kept.values())
