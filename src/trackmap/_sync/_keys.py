"""Fingerprints and Idempotency-Keys: how a re-run tells "unchanged" from "send again".

- The DELIVERY FINGERPRINT of a document is a digest of the engine's tracking fingerprint and of
  its body (so an edited amount or description is a change too, not only edited tracking).
- Its IDEMPOTENCY KEY is a digest of the tenant, the kind, the document key, that fingerprint and
  the document's revision in the ledger (how many answered requests carried it). The revision is
  why a document edited A -> B -> A gets a fresh key the third time instead of Xero replaying
  the answer to the first; a crashed run does not move the revision, so its re-run derives the
  same key (and in-doubt requests re-use the keys their intent recorded).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Mapping

from trackmap._engine._document import DocumentKind
from trackmap._engine._results import Resolution
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sources._split import has_splits, sent_split
from trackmap._sync._target import TrackingEntry

__all__ = [
    "body_digest",
    "delivery_fingerprint",
    "idempotency_key",
    "kind_label",
    "tracking_of",
]

# One encoder (json.dumps with these options builds a new one on every call): same text.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))

_KEY_PREFIX = "tm1-"


def _plain(value: object) -> object:
    """A JSON-able, order-stable form of a body value (attrs values, SDK models, money)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, decimal.Decimal | dt.date):
        return str(value)  # their text is stable and says the value
    fields = getattr(type(value), "__attrs_attrs__", None)
    if fields is not None:
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields
            if not (f.metadata.get("digest") == "omit_none" and getattr(value, f.name) is None)
        }
    if callable(getattr(value, "to_dict", None)):  # xero-python models
        value = value.to_dict()  # type: ignore[attr-defined]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return repr(value)


def _leaf(value: object) -> object:
    # The common leaves (text, None) as they are; anything else as `_plain` has it.
    return value if value is None or type(value) is str else _plain(value)


def _plain_line(line: BodyLine) -> dict[str, object]:
    return {
        "description": _leaf(line.description),
        "unit_amount": _leaf(line.unit_amount),
        "quantity": _leaf(line.quantity),
        "account_code": _leaf(line.account_code),
        "tax_type": _leaf(line.tax_type),
        "item_code": _leaf(line.item_code),
        **({} if line.discount_rate is None else {"discount_rate": _leaf(line.discount_rate)}),
        **({} if line.tax_amount is None else {"tax_amount": _leaf(line.tax_amount)}),
    }


def _plain_body(body: DocumentBody) -> object:
    """`_plain` of a `DocumentBody`, field by field without the generic walk (same value)."""
    contact = body.contact
    lines = body.lines
    return {
        "contact": (
            {
                "name": _leaf(contact.name),
                "contact_id": _leaf(contact.contact_id),
                "email": _leaf(contact.email),
            }
            if type(contact) is ContactRef
            else _plain(contact)
        ),
        "date": _leaf(body.date),
        "lines": (
            [_plain_line(line) if type(line) is BodyLine else _plain(line) for line in lines]
            if type(lines) is tuple
            else _plain(lines)
        ),
        "due_date": _leaf(body.due_date),
        "number": _leaf(body.number),
        "reference": _leaf(body.reference),
        "currency_code": _leaf(body.currency_code),
        "status": _leaf(body.status),
        "line_amount_types": _leaf(body.line_amount_types),
        "bank_account_code": _leaf(body.bank_account_code),
        "narration": _leaf(body.narration),
    }


def plain_body(body: object) -> object:
    """The JSON-able form a body's digest is taken of (the same value as the generic `_plain`).

    A `DocumentBody` (the usual body) is taken field by field; anything else by the generic
    walk, which stays the reference the fast form is tested against.
    """
    return _plain_body(body) if type(body) is DocumentBody else _plain(body)


def body_digest(body: object) -> str:
    """A stable digest of a document body (trackmap's `DocumentBody` or a xero-python model).

    Stable: the fast form gives the very digests the generic walk gave (the ledger's stored
    fingerprints stay valid across the upgrade; nothing is re-sent because of it).
    """
    text = _ENCODER.encode(plain_body(body))
    return hashlib.sha256(text.encode()).hexdigest()


def delivery_fingerprint(resolution: Resolution, body: object) -> str:
    """The digest of what would be sent: the resolved tracking and the body.

    A body with a split line is digested as it is sent, its split lines in place of the host's
    line: a change in how a line is split (the amounts, the descriptions), and not only in the
    shares or the host's body, updates the document in Xero. A body that cannot be split is
    digested as it is (the document fails when it is sent, with the reason).
    """
    if has_splits(resolution):
        sent = sent_split(body, resolution)
        if isinstance(sent, DocumentBody):
            body = sent
    text = f"{resolution.fingerprint}\x00{body_digest(body)}"
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key(
    tenant_id: str, kind: DocumentKind, key: str, fingerprint: str, revision: int
) -> str:
    """The document's Idempotency-Key for its next request (68 characters, Xero allows 128)."""
    text = "\x00".join((tenant_id, kind.value, key, fingerprint, str(revision)))
    return _KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()


def tracking_of(resolution: Resolution) -> tuple[tuple[TrackingEntry, ...], ...]:
    """The wire tracking of every line as sent, in order: a split line's parts one by one.

    It aligns with `trackmap.split_body` of the document's body, which makes the same parts.
    """
    return tuple(
        tuple(
            TrackingEntry(
                category_id=a.category_id,
                category_name=a.category_name,
                option_id=a.option_id,
                option_name=a.option_name,
            )
            for a in assignments
        )
        for line in resolution.lines
        for assignments in (
            [part.assignments for part in line.parts] if line.parts else [line.assignments]
        )
    )


def kind_label(kind: DocumentKind) -> str:
    """How messages name a kind: 'sales invoice', 'purchase order'."""
    return kind.value.replace("_", " ")
