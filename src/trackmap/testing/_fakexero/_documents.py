"""Documents over HTTP: Invoices, CreditNotes, PurchaseOrders, BankTransactions, ManualJournals.

Rules (XERO.md, "Batches, idempotency, updates"):

1. PUT creates only; POST updates the elements that carry an existing id and creates the rest.
   An update replaces the lines wholesale: lines not sent are gone.
2. ``summarizeErrors`` defaults to TRUE, as in real Xero (the spec says otherwise, wrongly).
   With false: HTTP 200, every element carries ``StatusAttributeString`` (OK/ERROR),
   ``HasErrors``, ``ValidationErrors`` and ``Warnings``; a failed element has the all-zero id.
   With true and any failure: HTTP 400 ValidationException listing the failed elements, AND
   the valid elements are STILL created, their ids not returned (Xero staff, SO 52706101).
3. A new document gets an id, a number where Xero numbers it (INV-0001...), ``Date`` today,
   ``Status`` DRAFT (AUTHORISED for bank transactions), ``UpdatedDateUTC`` from the clock
   and totals computed in Decimal.
4. Reads are ordered by ``UpdatedDateUTC``, then id (unless ``order`` says otherwise), and
   filter by ``IDs``, ``Statuses``, ``ContactIDs``, ``<Number>s``, ``If-Modified-Since``
   (strictly after) and ``where`` (equality clauses joined by AND and OR). A list read
   without ``page`` (or ``pageSize``) is a summary WITHOUT lines, except for purchase orders;
   a paged read and a single GET carry them (xero-node#200): read-back must page.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from trackmap.testing._fakexero._call import Call
from trackmap.testing._fakexero._complete import complete_document, mark_contact
from trackmap.testing._fakexero._doccheck import (
    CURRENCY,
    DATE_FIELDS,
    LINE_AMOUNT_TYPES,
    check_element,
    contact_by_number,
    elements_of,
    prescan,
)
from trackmap.testing._fakexero._kinds import Kind
from trackmap.testing._fakexero._query import (
    csv_param,
    matches_where,
    modified_since,
    ordered,
    page_of,
    where_filter,
)
from trackmap.testing._fakexero._resolve import refresh_tracking, resolve_tracking, unknown_ids
from trackmap.testing._fakexero._state import StoredDocument, TenantState
from trackmap.testing._fakexero._wire import (
    ZERO_ID,
    Json,
    JsonObj,
    Reply,
    as_decimal,
    envelope,
    is_guid,
    ms_date,
    not_found,
    parse_date,
    validation_failure,
    wire_value,
)

__all__ = ["get_document", "list_documents", "render", "set_status", "write_documents"]

_CENT = Decimal("0.01")
_SERVER_OWNED = frozenset(
    {
        "SubTotal",
        "TotalTax",
        "Total",
        "AmountDue",
        "AmountPaid",
        "AmountCredited",
        "RemainingCredit",
        "UpdatedDateUTC",
        "HasErrors",
        "ValidationErrors",
        "Warnings",
        "StatusAttributeString",
        "FullyPaidOnDate",
        "Payments",
        "Contact",
    }
)
_ENUM_FIELDS = ("Type", "Status", "LineAmountTypes", "CurrencyCode")


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _decimal(value: Json, default: str = "0") -> Decimal:
    found = as_decimal(value)
    return Decimal(default) if found is None else found


def _line_amount(raw: JsonObj) -> Decimal:
    quantity, unit = as_decimal(raw.get("Quantity")), as_decimal(raw.get("UnitAmount"))
    if quantity is None or unit is None:
        return _money(_decimal(raw.get("LineAmount")))
    discount = _decimal(raw.get("DiscountRate")) / 100
    return _money(quantity * unit * (1 - discount))


def _line(tenant: TenantState, kind: Kind, raw: JsonObj, old_ids: set[str]) -> JsonObj:
    line: JsonObj = wire_value({k: v for k, v in raw.items() if k != "Tracking"})
    for field in ("Quantity", "UnitAmount", "TaxAmount", "DiscountRate"):
        if field in line:
            line[field] = _decimal(line[field])
    line["LineAmount"] = _line_amount(raw)
    if not kind.journal:
        given = str(raw.get("LineItemID", "")).lower()
        line["LineItemID"] = given if given in old_ids else tenant.ids.new()
        line.setdefault("TaxAmount", Decimal(0))
    line["Tracking"] = resolve_tracking(tenant, raw.get("Tracking") or [])
    return line


def _totals(kind: Kind, body: JsonObj) -> None:
    lines = body.get(kind.lines_field, [])
    gross = sum((line["LineAmount"] for line in lines), Decimal(0))
    tax = sum((line.get("TaxAmount", Decimal(0)) for line in lines), Decimal(0))
    amount_types = body.setdefault("LineAmountTypes", "Exclusive")
    if amount_types == "NoTax":
        tax = Decimal(0)
    subtotal = gross - tax if amount_types == "Inclusive" else gross
    body.update(SubTotal=subtotal, TotalTax=tax, Total=subtotal + tax)
    if kind.key in {"Invoices", "CreditNotes"}:
        paid = _decimal(body.get("AmountPaid"))
        body.update(AmountPaid=paid, AmountDue=subtotal + tax - paid)


def _contact(call: Call, raw: JsonObj) -> JsonObj:
    tenant = call.tenant
    by_number = contact_by_number(tenant, raw.get("ContactNumber"))
    if raw.get("ContactID"):
        found = tenant.contacts[str(raw["ContactID"]).lower()]
    elif by_number is not None:
        found = by_number
    else:
        found = tenant.contact_named(str(raw["Name"])) or tenant.add_contact(
            str(raw["Name"]).strip(), call.now
        )
    return {"ContactID": found["ContactID"], "Name": found["Name"], "ContactStatus": "ACTIVE"}


def _free_number(tenant: TenantState, kind: Kind) -> str:
    """The next number of the sequence that no document holds yet (hosts may pick their own)."""
    while True:
        number = tenant.next_number(kind.number_prefix or "")
        if find(tenant, kind, number) is None:
            return number


def _new_body(call: Call, kind: Kind, element: JsonObj) -> JsonObj:
    body: JsonObj = {kind.id_field: call.tenant.ids.new(), "Status": kind.default_status}
    if kind.gets_number(element.get("Type")) and not element.get(kind.number_field or ""):
        body[kind.number_field or ""] = _free_number(call.tenant, kind)
    day = call.now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    body["Date"] = ms_date(day)
    return body


def _commit(call: Call, kind: Kind, element: JsonObj, existing: StoredDocument | None) -> JsonObj:
    body = copy.deepcopy(existing.body) if existing else _new_body(call, kind, element)
    owned = _SERVER_OWNED | {kind.id_field, kind.lines_field}
    body.update(wire_value({k: v for k, v in element.items() if k not in owned}))
    for field in DATE_FIELDS:
        if element.get(field) is not None:
            body[field] = ms_date(parse_date(element[field]) or call.now)
    if element.get("Contact") is not None:
        body["Contact"] = _contact(call, element["Contact"])
        mark_contact(
            call.tenant,
            body["Contact"]["ContactID"],
            element.get("Type", body.get("Type")),
            purchase=kind.key == "PurchaseOrders",
        )
    if element.get(kind.lines_field) is not None:
        old_ids = {str(line.get("LineItemID")) for line in body.get(kind.lines_field, [])}
        lines = element[kind.lines_field]
        body[kind.lines_field] = [_line(call.tenant, kind, raw, old_ids) for raw in lines]
    if not kind.journal:
        _totals(kind, body)
    _store(call.tenant, kind, body, call.now)
    return body


def _store(tenant: TenantState, kind: Kind, body: JsonObj, now: dt.datetime) -> None:
    body["UpdatedDateUTC"] = ms_date(now)
    doc_id = str(body[kind.id_field])
    created = doc_id not in tenant.of_kind(kind.key)
    number = body.get(kind.number_field or "")
    tenant.store(
        StoredDocument(kind=kind.key, id=doc_id, body=body, updated=now),
        number if isinstance(number, str) else None,
    )
    if tenant.on_document is not None:  # webhooks (see _webhooks.py)
        tenant.on_document(tenant.tenant_id, kind.key, doc_id, created)


def render(tenant: TenantState, kind: Kind, body: JsonObj) -> JsonObj:
    """A stored document as Xero answers it: a copy, tracking under current names, completed."""
    shown = copy.deepcopy(body)
    for line in shown.get(kind.lines_field, []):
        line["Tracking"] = refresh_tracking(tenant, line.get("Tracking", []))
    complete_document(tenant, kind, shown)
    return shown


def _readable(kind: Kind, field: str, value: Json) -> bool:
    """Whether xero-python can read ``value`` back in ``field`` (its enums are strict)."""
    allowed = {"Type": kind.types, "Status": kind.statuses, "LineAmountTypes": LINE_AMOUNT_TYPES}
    if field in allowed:
        return value in allowed[field]
    return isinstance(value, str) and CURRENCY.fullmatch(value) is not None


def _drop_unreadable(kind: Kind, echo: JsonObj) -> None:
    for field in _ENUM_FIELDS:
        if field in echo and not _readable(kind, field, echo[field]):
            del echo[field]
    for field in DATE_FIELDS:
        moment = parse_date(echo.pop(field, None))
        if moment is not None:
            echo[field] = ms_date(moment)
    if not isinstance(echo.get("Contact"), dict):
        echo.pop("Contact", None)


def _fill_required(kind: Kind, echo: JsonObj) -> None:
    """Fields xero-python's models refuse to be without (BankTransaction, ManualJournal)."""
    lines = echo.get(kind.lines_field)
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        echo[kind.lines_field] = []
    if kind.bank and not isinstance(echo.get("BankAccount"), dict):
        echo["BankAccount"] = {}
    if kind.journal:
        echo["Narration"] = str(echo.get("Narration", ""))


def _echo_failed(kind: Kind, element: JsonObj, errors: list[str]) -> JsonObj:
    """A refused element echoed back, in a shape xero-python can still deserialise."""
    echo: JsonObj = wire_value(copy.deepcopy(element))
    _drop_unreadable(kind, echo)
    _fill_required(kind, echo)
    echo[kind.id_field] = ZERO_ID
    echo.update(
        HasErrors=True,
        StatusAttributeString="ERROR",
        ValidationErrors=[{"Message": message} for message in errors],
        Warnings=[],
    )
    return echo


def _write_one(call: Call, kind: Kind, element: JsonObj, *, update: bool) -> tuple[bool, JsonObj]:
    doc_id = element.get(kind.id_field)
    existing = call.tenant.of_kind(kind.key).get(str(doc_id).lower()) if doc_id else None
    errors = check_element(call.tenant, kind, element, existing, call.limits, update=update)
    if errors:
        return False, _echo_failed(kind, element, errors)
    warnings = _warnings(call, kind, element)
    shown = render(call.tenant, kind, _commit(call, kind, element, existing))
    shown.update(
        HasErrors=False,
        StatusAttributeString="WARNING" if warnings else "OK",
        ValidationErrors=[],
        Warnings=[{"Message": message} for message in warnings],
    )
    return True, shown


def _warnings(call: Call, kind: Kind, element: JsonObj) -> list[str]:
    """What Xero warns about a written document (``Limits.unknown_tracking`` "warn")."""
    lines = element.get(kind.lines_field)
    if call.limits.unknown_tracking != "warn" or not isinstance(lines, list):
        return []
    return [
        f"Line {number}: {text} It was left off the line."
        for number, line in enumerate(lines, 1)
        if isinstance(line, dict)
        for text in unknown_ids(call.tenant, line.get("Tracking"))
    ]


def write_documents(call: Call, kind: Kind, *, update: bool) -> Reply:
    """``PUT`` (``update`` False) or ``POST`` (True) of a batch of documents (Rules 1-3)."""
    summarize = call.flag("summarizeErrors", default=True)
    elements = elements_of(call.body, kind)
    if len(call.params) == 1:  # POST /Invoices/{id}: the path names the document
        elements = [{**element, kind.id_field: call.params[0]} for element in elements[:1]]
    prescan(elements, kind)
    outcomes = [_write_one(call, kind, element, update=update) for element in elements]
    failed = [body for written, body in outcomes if not written]
    if failed and summarize:
        return validation_failure("", elements=failed)
    return Reply(status=200, body=envelope(kind.key, [body for _, body in outcomes], call.now))


def _filters(call: Call, kind: Kind, doc: StoredDocument) -> bool:
    body = doc.body
    checks = (
        (csv_param(call.query, "IDs"), doc.id),
        (csv_param(call.query, "Statuses"), str(body.get("Status", "")).lower()),
        (csv_param(call.query, "ContactIDs"), str(body.get("Contact", {}).get("ContactID"))),
        (csv_param(call.query, f"{kind.number_field}s"), str(body.get(kind.number_field or ""))),
    )
    return all(wanted is None or value.lower() in wanted for wanted, value in checks)


def list_documents(call: Call, kind: Kind) -> Reply:
    """``GET /<Kind>``: filtered, ordered by (UpdatedDateUTC, id), paged (Rule 4)."""
    since = modified_since(call.headers)
    clauses = where_filter(call.query)
    stored = call.tenant.of_kind(kind.key)
    wanted = csv_param(call.query, "IDs")
    # By ids: look them up rather than scan every document (a read-back per request).
    candidates = stored.values() if wanted is None else [d for i in wanted if (d := stored.get(i))]
    docs = sorted(candidates, key=lambda d: (d.updated, d.id))
    chosen = [
        doc
        for doc in docs
        if (since is None or doc.updated > since)
        and _filters(call, kind, doc)
        and matches_where(doc.body, clauses)
    ]
    page, pagination = page_of(call.query, ordered(call.query, chosen, lambda doc: doc.body))
    items = [render(call.tenant, kind, doc.body) for doc in page]
    if pagination is None and kind.lines_only_when_paged:
        for item in items:
            item.pop(kind.lines_field, None)
    extra = {} if pagination is None else {"pagination": pagination}
    return Reply(status=200, body=envelope(kind.key, items, call.now, **extra))


def find(tenant: TenantState, kind: Kind, key: str) -> StoredDocument | None:
    """A document by id or, as Xero also allows, by its number."""
    if is_guid(key):
        return tenant.of_kind(kind.key).get(key.lower())
    return next(iter(tenant.with_number(kind.key, key)), None)


def get_document(call: Call, kind: Kind) -> Reply:
    """``GET /<Kind>/{id}``: one document; 404 when unknown."""
    doc = find(call.tenant, kind, call.params[0])
    if doc is None:
        raise not_found()
    items = [render(call.tenant, kind, doc.body)]
    return Reply(status=200, body=envelope(kind.key, items, call.now))


def set_status(
    tenant: TenantState, kind: Kind, doc: StoredDocument, status: str, now: dt.datetime
) -> None:
    """Set a status as if done in Xero's UI (PAID settles the amount due)."""
    body = doc.body
    body["Status"] = status
    if status == "PAID" and "AmountDue" in body:
        body.update(AmountPaid=body["Total"], AmountDue=Decimal(0), FullyPaidOnDate=ms_date(now))
    _store(tenant, kind, body, now)
