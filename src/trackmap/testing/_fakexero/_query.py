"""Reading lists the way Xero's GET endpoints do: ``where``, ``order``, ``IDs``, paging, since."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

from trackmap.testing._fakexero._wire import (
    Json,
    JsonObj,
    as_decimal,
    parse_date,
    refuse,
)

__all__ = [
    "Clause",
    "Where",
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
    r"\s*(?P<path>[A-Za-z][A-Za-z0-9.]*)\s*==?\s*"
    r'(?:guid\(\s*"(?P<guid>[^"]*)"\s*\)|"(?P<value>(?:[^"\\]|\\.)*)")\s*',
    re.IGNORECASE,
)
_JOINER = re.compile(r"(?:(?P<all>AND\b|&&)|(?P<any>OR\b|\|\|))\s*", re.IGNORECASE)
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


Clause = tuple[str, str]
"""One ``Field=="value"`` test: the field's path and the value it must equal."""

Where = tuple[tuple[Clause, ...], ...]
"""A parsed ``where``: alternatives joined by OR, each a run of clauses joined by AND."""


def where_filter(query: Mapping[str, str]) -> Where:
    """Parse ``where``: ``Field=="value"`` or ``Field=Guid("...")`` clauses joined by AND or OR.

    AND binds tighter than OR, as in Xero's (C#-like) expressions, so ``A AND B OR C`` is
    ``(A AND B) OR C``. Anything richer (parentheses, other operators, a dangling joiner) is
    refused with a 400 that says so, rather than silently ignored.
    """
    raw = param(query, "where")
    if raw is None or not raw.strip():
        return ()
    alternatives: list[list[Clause]] = [[]]
    position = 0
    while True:
        match = _CLAUSE.match(raw, position)
        if match is None:
            _refuse_where(raw[position:])
        alternatives[-1].append((match["path"], _clause_value(match)))
        position = match.end()
        if position == len(raw):
            return tuple(tuple(clauses) for clauses in alternatives)
        joiner = _JOINER.match(raw, position)
        if joiner is None:
            _refuse_where(raw[position:])
        if joiner["any"] is not None:
            alternatives.append([])
        position = joiner.end()


def _clause_value(match: re.Match[str]) -> str:
    if match["guid"] is not None:
        return match["guid"]
    # A quoted value may escape a quote or a backslash with a backslash, as C# strings do.
    return re.sub(r"\\(.)", r"\1", match["value"])


def _refuse_where(rest: str) -> NoReturn:
    msg = (
        'FakeXero understands only where clauses like Name=="value" joined by AND or OR, '
        f"not: {rest.strip() or '(nothing after the last joiner)'}"
    )
    refuse(msg)


def matches_where(record: JsonObj, where: Where) -> bool:
    """Whether a record satisfies every clause of one alternative (case-insensitive equality).

    An empty ``where`` matches everything.
    """
    return not where or any(
        all(str(_lookup(record, path)).casefold() == value.casefold() for path, value in clauses)
        for clauses in where
    )


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
