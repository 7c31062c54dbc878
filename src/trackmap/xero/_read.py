"""xero-python models in, trackmap values out: the schema, echoed tracking, documents read back.

Every value leaves as a trackmap type: money as ``Decimal`` (the SDK hands floats), times as
aware UTC datetimes, statuses as plain strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from trackmap._engine._schema import (
    Capabilities,
    Status,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
)
from trackmap._sync._target import RemoteDocument, RemoteLine, TrackingEntry
from trackmap.xero._bodies import KindSpec

__all__ = [
    "ZERO_ID",
    "echoed_tracking",
    "element_messages",
    "remote_document",
    "tracking_schema",
]

ZERO_ID = "00000000-0000-0000-0000-000000000000"
"""The id Xero gives an element that failed (XERO.md, summarizeErrors=false)."""


def _text(value: object) -> str | None:
    """The string of an SDK value, enums included (``Status.ACTIVE`` -> ``"ACTIVE"``)."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _status(value: object) -> Status:
    text = (_text(value) or "ACTIVE").upper()
    return Status(text) if text in Status.__members__ else Status.ARCHIVED


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
