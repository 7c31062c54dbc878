"""Xero's wire conventions: envelopes, error bodies, ``/Date(ms)/`` dates, GUIDs, JSON money.

Shapes follow Xero's published OpenAPI contract and what xero-python 15.2 parses
(``xero_python/api_client/deserializer.py``): PascalCase keys, dates as
``/Date(1700000000000+0000)/``, amounts as JSON numbers read into ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import threading
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import attrs

__all__ = [
    "ZERO_ID",
    "ApiFailure",
    "IdSource",
    "Json",
    "JsonObj",
    "Reply",
    "as_decimal",
    "dumps",
    "envelope",
    "is_guid",
    "loads",
    "ms_date",
    "new_id",
    "not_found",
    "parse_date",
    "post_data_invalid",
    "refuse",
    "server_error",
    "validation_failure",
    "wire_value",
]

Json = Any
JsonObj = dict[str, Any]

ZERO_ID = "00000000-0000-0000-0000-000000000000"
PROVIDER = "trackmap FakeXero"

_GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_MS_DATE = re.compile(r"/Date\((?P<ms>-?\d+)(?P<tz>[+-]\d{4})?\)/")


@attrs.frozen(kw_only=True)
class Reply:
    """What a handler answers: an HTTP status and a JSON (or plain text) body."""

    status: int
    body: Json
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        """Return the body as bytes on the wire."""
        if isinstance(self.body, str):
            return self.body.encode()
        return dumps(self.body)


class ApiFailure(Exception):  # noqa: N818  # an answer, not a program error: named as such
    """Raised inside a handler to answer the whole request with an error (never escapes)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def new_id() -> str:
    """Return a fresh Xero-style id (a lower-case uuid4)."""
    return str(uuid.uuid4())


class IdSource:
    """Where a fake's ids come from: random, or a repeatable sequence from a seed.

    With a seed, the same set-up and the same requests give the same ids run after run, so
    a host's settings fixture (which names category and option ids) can be saved and reused.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._random = None if seed is None else random.Random(seed)  # noqa: S311  # test ids
        self._lock = threading.Lock()

    def new(self) -> str:
        """Return the next id (a lower-case uuid4)."""
        if self._random is None:
            return new_id()
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


def is_guid(value: object) -> bool:
    """Tell whether ``value`` is a string Xero would parse as a GUID."""
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def ms_date(moment: dt.datetime) -> str:
    """Format an aware instant the way Xero does: ``/Date(1700000000000+0000)/``."""
    millis = int(moment.timestamp() * 1000)
    return f"/Date({millis}+0000)/"


def parse_date(value: object) -> dt.datetime | None:
    """Read a date Xero would accept (``/Date(ms)/`` or ISO 8601), or None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _MS_DATE.fullmatch(value)
    if match:
        return dt.datetime.fromtimestamp(int(match["ms"]) / 1000, tz=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def as_decimal(value: object) -> Decimal | None:
    """Read a JSON number (or numeric string) as a Decimal; None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _encode_default(value: object) -> Json:
    if isinstance(value, Decimal):
        # xero-python reads numbers with parse_float=Decimal; a float's repr round-trips
        # every amount of up to 15 significant digits exactly.
        return float(value)
    msg = f"FakeXero cannot encode {type(value).__name__}"
    raise TypeError(msg)


def dumps(body: Json) -> bytes:
    """Encode a JSON body; Decimal amounts go out as JSON numbers."""
    return json.dumps(body, default=_encode_default).encode()


def loads(raw: bytes) -> Json:
    """Decode a JSON body, reading fractional numbers as Decimal (no float rounding)."""
    return json.loads(raw.decode("utf-8"), parse_float=Decimal)


def envelope(key: str, items: list[JsonObj], now: dt.datetime, **extra: Json) -> JsonObj:
    """Wrap items in Xero's response envelope (``Id``, ``Status``, ``ProviderName``...)."""
    body: JsonObj = {
        "Id": new_id(),
        "Status": "OK",
        "ProviderName": PROVIDER,
        "DateTimeUTC": ms_date(now),
    }
    body.update(extra)
    body[key] = items
    return body


def validation_failure(message: str, elements: list[JsonObj] | None = None) -> Reply:
    """A 400 ``ValidationException`` (ErrorNumber 10), as Xero answers a refused request."""
    body: JsonObj = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
    }
    if elements is None:
        elements = [{"ValidationErrors": [{"Message": message}]}]
    body["Elements"] = elements
    return Reply(status=400, body=body)


def refuse(message: str) -> NoReturn:
    """Answer the whole request with a 400 ValidationException carrying ``message``."""
    raise ApiFailure(validation_failure(message))


def post_data_invalid(message: str) -> ApiFailure:
    """A 400 ``PostDataInvalidException`` (ErrorNumber 14): a body Xero cannot even read.

    Xero answers this to a malformed GUID anywhere in the body (xero-php-oauth2#228).
    """
    body = {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}
    return ApiFailure(Reply(status=400, body=body))


def server_error() -> ApiFailure:
    """An HTTP 500 in Xero's shape: what some malformed requests get (xero-node#539, #510)."""
    body = {
        "Title": "An error occurred",
        "Detail": "An error occurred in Xero. Check the API Status page "
        "http://status.developer.xero.com for current service status.",
        "Status": 500,
        "Instance": new_id(),
    }
    return ApiFailure(Reply(status=500, body=body))


def not_found() -> ApiFailure:
    """An HTTP 404 with Xero's plain-text body."""
    text = "The resource you're looking for cannot be found"
    return ApiFailure(Reply(status=404, body=text, content_type="text/plain; charset=utf-8"))


def wire_value(value: Json) -> Json:
    """Drop JSON nulls recursively: xero-python turns a null model into an empty model."""
    if isinstance(value, dict):
        return {key: wire_value(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [wire_value(item) for item in value if item is not None]
    return value
