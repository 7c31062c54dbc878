"""Reading lists the way Xero's GET endpoints do: ``where``, ``order``, ``IDs``, paging, since."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from trackmap.testing._fakexero._wire import (
    Json,
    JsonObj,
    as_decimal,
    parse_date,
    refuse,
)

__all__ = [
    "csv_param",
    "matches_where",
    "modified_since",
    "ordered",
    "page_of",
    "param",
    "where_filter",
]

T = TypeVar("T")

_CLAUSE = re.compile(
    r'\s*(?P<path>[A-Za-z][A-Za-z0-9.]*)\s*==?\s*(?:guid\(\s*"(?P<guid>[^"]*)"\s*\)|"(?P<value>[^"]*)")\s*',
    re.IGNORECASE,
)
_JOINER = re.compile(r"\s+(?:AND|&&)\s+", re.IGNORECASE)
_DEFAULT_PAGE_SIZE = 100
_MAX_PAGE_SIZE = 1000


def param(query: Mapping[str, str], name: str) -> str | None:
    """A query parameter by name, case-insensitively (Xero does not mind the case)."""
    return next((value for key, value in query.items() if key.lower() == name.lower()), None)


def csv_param(query: Mapping[str, str], name: str) -> set[str] | None:
    """A comma-separated parameter (``IDs``, ``Statuses``) as a set of lower-case values."""
    raw = param(query, name)
    if raw is None:
        return None
    return {part.strip().lower() for part in raw.split(",") if part.strip()}


def _lookup(record: JsonObj, path: str) -> Json:
    value: Json = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def where_filter(query: Mapping[str, str]) -> list[tuple[str, str]]:
    """Parse ``where``: ``Field=="value"`` or ``Field=Guid("...")`` clauses joined by AND.

    Anything richer is refused with a 400 that says so, rather than silently ignored.
    """
    raw = param(query, "where")
    if raw is None or not raw.strip():
        return []
    clauses = []
    for part in _JOINER.split(raw.strip()):
        match = _CLAUSE.fullmatch(part)
        if match is None:
            msg = f'FakeXero understands only where clauses like Name=="value", not: {part}'
            refuse(msg)
        clauses.append((match["path"], match["value"] if match["guid"] is None else match["guid"]))
    return clauses


def matches_where(record: JsonObj, clauses: Sequence[tuple[str, str]]) -> bool:
    """Whether a record satisfies every clause (string equality, case-insensitive)."""
    return all(str(_lookup(record, path)).casefold() == value.casefold() for path, value in clauses)


def modified_since(headers: Mapping[str, str]) -> dt.datetime | None:
    """The ``If-Modified-Since`` header: ISO 8601 (as xero-python sends it) or an HTTP date."""
    raw = headers.get("if-modified-since")
    if raw is None:
        return None
    moment = parse_date(raw)
    if moment is None:
        try:
            moment = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            moment = None
    if moment is None:
        refuse(f"The If-Modified-Since header '{raw}' is not a date.")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _positive(query: Mapping[str, str], name: str, default: int) -> int:
    raw = param(query, name)
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        refuse(f"The {name} parameter must be a whole number of at least 1, not {raw}.")
    return number


def page_of(query: Mapping[str, str], records: Sequence[T]) -> tuple[Sequence[T], JsonObj | None]:
    """Slice one page (``page``, ``pageSize`` up to 1000); all records when neither is given."""
    if param(query, "page") is None and param(query, "pageSize") is None:
        return records, None
    page = _positive(query, "page", 1)
    size = _positive(query, "pageSize", _DEFAULT_PAGE_SIZE)
    if size > _MAX_PAGE_SIZE:
        refuse(f"The pageSize parameter can be at most {_MAX_PAGE_SIZE}, not {size}.")
    start = (page - 1) * size
    pagination = {
        "page": page,
        "pageSize": size,
        "pageCount": math.ceil(len(records) / size),
        "itemCount": len(records),
    }
    return records[start : start + size], pagination


_ORDER = re.compile(
    r"\s*(?P<field>[A-Za-z][A-Za-z0-9.]*)(?:\s+(?P<way>ASC|DESC))?\s*", re.IGNORECASE
)


def _sort_key(value: Json) -> tuple[int, Any]:
    """Order None first, then numbers, dates and text, never comparing across the groups."""
    number = None if isinstance(value, str) else as_decimal(value)
    if value is None:
        return (0, 0)
    if number is not None:
        return (1, number)
    moment = parse_date(value) if isinstance(value, str) and value.startswith("/Date(") else None
    if moment is not None:
        return (2, moment)
    return (3, str(value).casefold())


def ordered(query: Mapping[str, str], records: list[T], body_of: Callable[[T], JsonObj]) -> list[T]:
    """Apply ``order`` (``"Date DESC, InvoiceNumber"``) on top of the default order."""
    raw = param(query, "order")
    if raw is None or not raw.strip():
        return records
    fields = [_ORDER.fullmatch(part) for part in raw.split(",")]
    if not all(fields):
        refuse(f"FakeXero understands order like 'Date DESC, InvoiceNumber', not: {raw}")
    result = list(records)
    for match in reversed([field for field in fields if field is not None]):
        descending = (match["way"] or "").upper() == "DESC"
        result.sort(
            key=lambda rec: _sort_key(_lookup(body_of(rec), match["field"])), reverse=descending
        )
    return result
