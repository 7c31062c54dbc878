"""Validation of document writes, as Xero answers them.

Whole-request failures (nothing is written):

1. A malformed GUID in a document id, ``ContactID``, ``LineItemID``, ``TrackingCategoryID``
   or ``TrackingOptionID``: HTTP 400, ErrorNumber 14, PostDataInvalidException
   (xero-php-oauth2#228).
2. ``Tracking`` that is not a list: HTTP 500 (xero-ruby#86).

Element failures (the element is refused, the others go on; XERO.md "Batches"):

3. PUT carrying an existing id; POST carrying an unknown id; an update of a PAID, VOIDED or
   DELETED document ("Invoice not of valid status for modification").
4. Missing or invalid Type, Contact, lines; more than 2 tracking entries on a line, or two
   for one category; invalid dates, statuses, amounts; journals: Narration, and balanced
   lines when POSTED; bank transactions: a BankAccount; a sales invoice number already in use
   ("Invoice # must be unique.", Xero-Net#236; bills may share numbers).
5. Settings (`Limits`): a tracking id that names nothing is refused when
   ``unknown_tracking`` is ``"error"``; a purchase order's contact must already exist unless
   ``purchase_order_contact`` is ``"create"`` (by ContactID or ContactNumber only, under
   ``"id"``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from trackmap.testing._fakexero._kinds import Kind
from trackmap.testing._fakexero._limits import Limits
from trackmap.testing._fakexero._resolve import resolve_entry, unknown_ids
from trackmap.testing._fakexero._state import StoredDocument, TenantState
from trackmap.testing._fakexero._wire import (
    Json,
    JsonObj,
    as_decimal,
    is_guid,
    parse_date,
    post_data_invalid,
    server_error,
)

__all__ = [
    "CURRENCY",
    "DATE_FIELDS",
    "LINE_AMOUNT_TYPES",
    "check_element",
    "contact_by_number",
    "elements_of",
    "prescan",
]

DATE_FIELDS = (
    "Date",
    "DueDate",
    "DeliveryDate",
    "ExpectedArrivalDate",
    "ExpectedPaymentDate",
    "PlannedPaymentDate",
)
LINE_AMOUNT_TYPES = frozenset({"Exclusive", "Inclusive", "NoTax"})
_NUMBER_FIELDS = ("Quantity", "UnitAmount", "LineAmount", "TaxAmount", "DiscountRate")
CURRENCY = re.compile(r"[A-Z]{3}")
_MAX_TRACKING = 2


def elements_of(body: Json, kind: Kind) -> list[JsonObj]:
    """The documents in a write body: ``{"Invoices": [...]}``, or one bare document."""
    if isinstance(body, dict) and kind.key in body:
        body = body[kind.key]
    elif isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        msg = f"The request body could not be read as {kind.key}."
        raise post_data_invalid(msg)
    return body


def _guid_check(value: Json, field: str) -> None:
    if value is not None and not is_guid(value):
        msg = (
            f"The value '{value}' in {field} is not a valid GUID: it should contain 32 digits "
            "with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."
        )
        raise post_data_invalid(msg)


def _prescan_line(line: Json) -> None:
    if not isinstance(line, dict):
        return
    _guid_check(line.get("LineItemID"), "LineItemID")
    tracking = line.get("Tracking")
    if tracking is not None and not isinstance(tracking, list):
        raise server_error()  # Rule 2
    for entry in tracking or []:
        if isinstance(entry, dict):
            _guid_check(entry.get("TrackingCategoryID"), "TrackingCategoryID")
            _guid_check(entry.get("TrackingOptionID"), "TrackingOptionID")


def prescan(elements: list[JsonObj], kind: Kind) -> None:
    """Refuse the whole request for Rules 1-2 before anything is written."""
    for element in elements:
        _guid_check(element.get(kind.id_field), kind.id_field)
        contact = element.get("Contact")
        if isinstance(contact, dict):
            _guid_check(contact.get("ContactID"), "ContactID")
        lines = element.get(kind.lines_field)
        for line in lines if isinstance(lines, list) else []:
            _prescan_line(line)


def _identity(
    kind: Kind, element: JsonObj, existing: StoredDocument | None, *, update: bool
) -> list[str]:
    doc_id = element.get(kind.id_field)
    if doc_id is None:
        return []
    if existing is None:
        return ["The document with the supplied id was not found for this endpoint."]
    if not update:
        return [
            f"The {kind.singular.lower()} {doc_id} already exists: PUT only creates, POST updates."
        ]
    if existing.body.get("Status") in kind.locked:
        return [f"{kind.singular} not of valid status for modification"]
    return []


def _type(kind: Kind, element: JsonObj, existing: StoredDocument | None) -> list[str]:
    if not kind.types:
        return []
    doc_type = element.get("Type")
    allowed = ", ".join(sorted(kind.types))
    if doc_type is None:
        return [] if existing else [f"A {kind.singular.lower()} needs a Type: one of {allowed}."]
    if doc_type not in kind.types:
        return [f"'{doc_type}' is not a valid Type for a {kind.singular.lower()}: use {allowed}."]
    return []


def _status(kind: Kind, element: JsonObj, existing: StoredDocument | None) -> list[str]:
    status = element.get("Status")
    if status is None:
        return []
    settable = kind.statuses - {"PAID", "BILLED"}
    if existing is None:
        settable -= kind.locked
    if status in settable:
        return []
    return [f"The status '{status}' cannot be set on a {kind.singular.lower()} here."]


def contact_by_number(tenant: TenantState, number: Json) -> JsonObj | None:
    """The contact holding this ContactNumber, if any."""
    found = (c for c in tenant.contacts.values() if c.get("ContactNumber") == number)
    return next(found, None) if isinstance(number, str) and number else None


def _contact(
    tenant: TenantState, kind: Kind, element: JsonObj, limits: Limits, *, creating: bool
) -> list[str]:
    if kind.journal:
        return []
    contact = element.get("Contact")
    if contact is None:
        return ["A Contact must be specified for this type of transaction."] if creating else []
    if not isinstance(contact, dict):
        return ["The Contact must be an object with a ContactID or a Name."]
    return _named_contact(tenant, kind, contact, limits)


def _named_contact(tenant: TenantState, kind: Kind, contact: JsonObj, limits: Limits) -> list[str]:
    contact_id = contact.get("ContactID")
    if contact_id is not None:
        known = contact_id.lower() in tenant.contacts
        return [] if known else [f"The contact with ContactID {contact_id} was not found."]
    if contact_by_number(tenant, contact.get("ContactNumber")) is not None:
        return []
    name = contact.get("Name")
    if not (isinstance(name, str) and name.strip()):
        return ["A Contact must have a ContactID or a Name."]
    return _purchase_order_contact(tenant, kind, name, limits)


def _purchase_order_contact(
    tenant: TenantState, kind: Kind, name: str, limits: Limits
) -> list[str]:
    setting = limits.purchase_order_contact
    if kind.key != "PurchaseOrders" or setting == "create":
        return []
    if setting == "existing" and tenant.contact_named(name) is not None:
        return []
    message = (
        f"The contact '{name.strip()}' must already exist: a purchase order needs the "
        "ContactID or ContactNumber of an existing contact."
    )
    return [message]


def _line_numbers(line: JsonObj, number: int) -> list[str]:
    bad = [f for f in _NUMBER_FIELDS if f in line and as_decimal(line[f]) is None]
    return [f"Line {number}: {field} '{line[field]}' is not a number." for field in bad]


def _line_tracking(tenant: TenantState, line: JsonObj, number: int) -> list[str]:
    entries = line.get("Tracking") or []
    if len(entries) > _MAX_TRACKING:
        return [
            f"Line {number}: a line can carry at most 2 tracking categories, not {len(entries)}."
        ]
    kept = [found for found in (resolve_entry(tenant, e) for e in entries) if found]
    if len({category.id for category, _ in kept}) < len(kept):
        return [f"Line {number}: a line can carry only one option of each tracking category."]
    return []


def _line(tenant: TenantState, kind: Kind, line: Json, number: int, limits: Limits) -> list[str]:
    if not isinstance(line, dict):
        return [f"Line {number} is not an object."]
    errors = _line_numbers(line, number) + _line_tracking(tenant, line, number)
    if limits.unknown_tracking == "error":
        errors += [f"Line {number}: {text}" for text in unknown_ids(tenant, line.get("Tracking"))]
    if kind.journal and as_decimal(line.get("LineAmount")) is None:
        errors.append(f"Line {number}: a journal line needs a LineAmount.")
    return errors


def _lines(
    tenant: TenantState, kind: Kind, element: JsonObj, limits: Limits, *, creating: bool
) -> list[str]:
    lines = element.get(kind.lines_field)
    if lines is None and not creating:
        return []
    if not isinstance(lines, list) or not lines:
        return [f"A {kind.singular.lower()} must have at least one line ({kind.lines_field})."]
    return [err for n, line in enumerate(lines, 1) for err in _line(tenant, kind, line, n, limits)]


def _number(
    tenant: TenantState, kind: Kind, element: JsonObj, existing: StoredDocument | None
) -> list[str]:
    number = element.get(kind.number_field or "")
    doc_type = element.get("Type") or (existing.body.get("Type") if existing else None)
    if not number or not kind.unique_number(doc_type):
        return []
    clash = (
        doc
        for doc in tenant.with_number(kind.key, number)
        if doc is not existing
        and doc.body.get(kind.number_field or "") == number
        and doc.body.get("Type") == doc_type
        and doc.body.get("Status") != "DELETED"
    )
    return [f"{kind.singular} # must be unique."] if next(clash, None) else []


def _fields(element: JsonObj) -> list[str]:
    errors = [
        f"{field} '{element[field]}' is not a valid date."
        for field in DATE_FIELDS
        if element.get(field) is not None and parse_date(element[field]) is None
    ]
    amount_types = element.get("LineAmountTypes")
    if amount_types is not None and amount_types not in LINE_AMOUNT_TYPES:
        errors.append(f"'{amount_types}' is not a valid LineAmountTypes value.")
    currency = element.get("CurrencyCode")
    if currency is not None and not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
        errors.append(f"'{currency}' is not a valid CurrencyCode.")
    return errors


def _journal(kind: Kind, element: JsonObj, existing: StoredDocument | None) -> list[str]:
    if not kind.journal:
        return []
    errors = []
    if not existing and not element.get("Narration"):
        errors.append("A manual journal needs a Narration.")
    lines = element.get(kind.lines_field)
    status = element.get("Status") or (existing.body.get("Status") if existing else None)
    if status == "POSTED" and isinstance(lines, list):
        amounts = (as_decimal(line.get("LineAmount")) for line in lines if isinstance(line, dict))
        if sum((amount or Decimal(0) for amount in amounts), Decimal(0)) != 0:
            errors.append("The debits and credits of a posted manual journal must balance.")
    return errors


def _bank(kind: Kind, element: JsonObj, existing: StoredDocument | None) -> list[str]:
    if not kind.bank or existing is not None:
        return []
    account = element.get("BankAccount")
    if isinstance(account, dict) and (account.get("AccountID") or account.get("Code")):
        return []
    return ["A bank transaction needs a BankAccount with an AccountID or a Code."]


def check_element(
    tenant: TenantState,
    kind: Kind,
    element: JsonObj,
    existing: StoredDocument | None,
    limits: Limits,
    *,
    update: bool,
) -> list[str]:
    """Every validation message for one element (Rules 3-4); empty when it can be written."""
    identity = _identity(kind, element, existing, update=update)
    if identity:
        return identity
    creating = existing is None
    return [
        *_type(kind, element, existing),
        *_status(kind, element, existing),
        *_contact(tenant, kind, element, limits, creating=creating),
        *_lines(tenant, kind, element, limits, creating=creating),
        *_number(tenant, kind, element, existing),
        *_fields(element),
        *_journal(kind, element, existing),
        *_bank(kind, element, existing),
    ]
