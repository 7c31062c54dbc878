"""Xero's answers in, trackmap values out: the schema, echoed tracking, documents read back.

The tracking categories come as xero-python models. Documents (the answers to a push and every
read of documents) come as Xero's JSON, read here straight into trackmap values: the SDK's own
round trip through its models is the slowest part of a call, and one unknown enum value in it
fails the whole answer (xero-python #203). The JSON names are the SDK's (its attribute maps).
The JSON is read leniently: a field that is absent, null or of another type reads as unknown,
and what that leaves unproven is decided by the caller (a document without an id is no
document; lines without tracking fail verification).

Every value leaves as a trackmap type: money as ``Decimal``, times as aware UTC datetimes,
statuses as plain strings.

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
import functools
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

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
    "WireNames",
    "answer_elements",
    "document_id",
    "document_number",
    "echoed_tracking",
    "element_messages",
    "has_errors",
    "ids_where",
    "is_guid",
    "listed_documents",
    "only_asked",
    "page_count",
    "read_json",
    "remote_document",
    "tracking_schema",
    "type_where",
    "where_by_id",
    "wire_names",
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


def _get(value: object, key: str) -> object:
    """One field of a JSON object; None when it is absent or the value is not an object."""
    # JSON objects are dicts (json.loads); the Mapping check is for hand-made answers.
    if type(value) is dict or isinstance(value, Mapping):
        return value.get(key)
    return None


def _listed(value: object) -> list[object] | None:
    """A JSON array as a list; None for anything else (absent, null, an object, a string)."""
    return value if isinstance(value, list) else None


def _wire_text(value: object) -> str | None:
    """A JSON scalar as text (numbers and booleans too); None for null, arrays and objects."""
    if type(value) is str:
        return value
    if value is None or isinstance(value, (Mapping, list)):
        return None
    return str(value)


@attrs.frozen
class WireNames:
    """The JSON names of one kind in Xero's answers, taken from the SDK's own attribute maps."""

    plural: str
    id: str
    number: str | None
    lines: str


@functools.cache
def wire_names(spec: KindSpec) -> WireNames:
    """The JSON names (``Invoices``, ``InvoiceID``, ``InvoiceNumber``, ``LineItems``) of a kind."""
    names = spec.model.attribute_map
    return WireNames(
        plural=spec.wrapper.attribute_map[spec.plural],
        id=names[spec.id_attr],
        number=names[spec.number_attr] if spec.number_attr else None,
        lines=names[spec.lines_attr],
    )


def _entries(line: object) -> tuple[TrackingEntry, ...]:
    # An entry that is not an object reads as an empty one: verification then reports it.
    return tuple(_entry(entry) for entry in _listed(_get(line, "Tracking")) or ())


def _entry(entry: object) -> TrackingEntry:
    return TrackingEntry(
        category_id=_wire_text(_get(entry, "TrackingCategoryID")) or "",
        category_name=_wire_text(_get(entry, "Name")) or "",
        option_id=_wire_text(_get(entry, "TrackingOptionID")),
        option_name=_wire_text(_get(entry, "Option")) or "",
    )


def echoed_tracking(
    spec: KindSpec, element: object
) -> tuple[tuple[TrackingEntry, ...], ...] | None:
    """The tracking a JSON answer element carries per line; None if it carries no lines.

    Lines that are absent, null or not an array are no echo (the document is read back);
    a line that is not an object echoes no tracking (verification reports the loss).
    """
    lines = _listed(_get(element, wire_names(spec).lines))
    if lines is None:
        return None
    return tuple(_entries(line) for line in lines)


def element_messages(element: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A JSON element's ``ValidationErrors`` and ``Warnings`` messages, verbatim, in order."""

    def messages(key: str) -> tuple[str, ...]:
        found = _listed(_get(element, key)) or ()
        return tuple(_wire_text(_get(item, "Message")) or "" for item in found)

    return messages("ValidationErrors"), messages("Warnings")


def has_errors(element: object) -> bool:
    """Whether a JSON element says ``HasErrors`` (true, or the text "true")."""
    flag = _get(element, "HasErrors")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def _decimal(value: object) -> Decimal | None:
    """A JSON number (read as Decimal) or numeric text as a finite Decimal, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, str)):
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


_MS_DATE = re.compile(r"/Date\((-?\d{1,16})(?:[+-]\d{2,4})?\)/")


def _aware(value: object) -> dt.datetime | None:
    """Xero's ``/Date(ms+zzzz)/`` (an instant) or ISO 8601 text as an aware UTC datetime."""
    if not isinstance(value, str):
        return None
    try:
        found = _MS_DATE.fullmatch(value.strip())
        if found is not None:
            return dt.datetime.fromtimestamp(int(found[1]) / 1000, tz=dt.UTC)
        moment = dt.datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is None:  # Xero's UTC fields come without an offset
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def document_id(spec: KindSpec, element: object) -> str | None:
    """The Xero id of a JSON answer element, if it has one: text that is not blank.

    A number or any other JSON value where the id belongs is no id (Xero's ids are GUIDs):
    storing it would point later updates at a document that cannot exist.
    """
    found = _get(element, wire_names(spec).id)
    return found if isinstance(found, str) and found.strip() else None


def document_number(spec: KindSpec, element: object) -> str | None:
    """The number of a JSON answer element (invoices, credit notes, orders), if any."""
    names = wire_names(spec)
    return None if names.number is None else _wire_text(_get(element, names.number))


def remote_document(spec: KindSpec, element: Mapping[str, Any]) -> RemoteDocument:
    """Turn one JSON document of Xero's answer into a `RemoteDocument`.

    Read leniently: a field that is absent or of another type reads as unknown (None, or an
    empty text), never as an error that would lose the rest of the answer.
    """
    return RemoteDocument(
        kind=spec.kind,
        xero_id=document_id(spec, element) or "",
        status=_wire_text(element.get("Status")) or "",
        updated_at=_aware(element.get("UpdatedDateUTC")),
        number=document_number(spec, element),
        reference=_wire_text(element.get("Reference")),
        contact_name=_wire_text(_get(element.get("Contact"), "Name")),
        total=_decimal(element.get("Total")),
        lines=tuple(
            RemoteLine(
                description=_wire_text(_get(line, "Description")),
                line_amount=_decimal(_get(line, "LineAmount")),
                tracking=_entries(line),
            )
            for line in _listed(element.get(wire_names(spec).lines)) or ()
        ),
    )


def listed_documents(spec: KindSpec, data: object) -> list[Mapping[str, Any]]:
    """The JSON documents of this kind in a list answer, each with an id.

    A read by ids is not filtered by type (Invoices hold sales AND bills), so the kind is
    checked here too; an element that is not an object, or has no id, is left out.
    """
    return [
        element
        for element in _listed(_get(data, wire_names(spec).plural)) or ()
        if isinstance(element, Mapping)
        and document_id(spec, element)
        and (spec.type_value is None or _wire_text(element.get("Type")) == spec.type_value)
    ]


def answer_elements(spec: KindSpec, data: object) -> list[object]:
    """The elements of a PUT/POST answer, in the order sent (anything, as Xero gave it)."""
    return list(_listed(_get(data, wire_names(spec).plural)) or ())


def page_count(data: object) -> int | None:
    """``pagination.pageCount`` of a list answer, when it is a whole number."""
    count = _get(_get(data, "pagination"), "pageCount")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def read_json(body: bytes) -> object:
    """Xero's answer body as JSON values, numbers with a fraction as Decimal.

    Raises:
        ValueError: The body is not JSON (nested too deep included), for the boundary to
            translate.
    """
    try:
        return json.loads(body, parse_float=Decimal)
    except RecursionError as exc:
        msg = "the answer is nested too deeply to be read"
        raise ValueError(msg) from exc


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
