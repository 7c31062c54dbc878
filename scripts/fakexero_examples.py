"""How much of Xero's own example answers FakeXero sends, per kind of answer.

Run: ``python scripts/fakexero_examples.py [--spec PATH]`` (default: TRACKMAP_XERO_SPEC, else
``../shared/xero/xero_accounting.yaml`` beside the repository).

1. From Xero's OpenAPI document, the key paths of every 200 example answer of the endpoints
   FakeXero serves (``Invoices[].LineItems[].TaxType``...), merged per kind of answer
   (Invoices, CreditNotes, PurchaseOrders, BankTransactions, ManualJournals, TrackingCategories,
   TrackingOptions, Contacts, Items). Nothing here is typed in by hand.
2. A scenario drives FakeXero the way trackmap does (XeroTarget pushes of every document kind,
   options created, contacts and items, then reads: paged lists, single GETs), and collects
   the key paths of every answer it gave.
3. Prints, per kind: the share of the example key paths FakeXero sent, and each path left out
   with the reason (`LEFT_OUT`). A path left out without a reason is printed as such, and the
   exit status is 1; tests/test_fakexero_examples.py asserts the same.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from trackmap import BodyLine, ContactRef, DocumentBody, DocumentKind
from trackmap.testing import FakeXero, VirtualClock
from trackmap.xero import RetryPolicy, XeroTarget

ENV = "TRACKMAP_XERO_SPEC"

# Which answers of the spec make up each kind: (path, method) of the endpoints FakeXero serves.
ENDPOINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Invoices": (
        ("/Invoices", "get"),
        ("/Invoices", "put"),
        ("/Invoices", "post"),
        ("/Invoices/{InvoiceID}", "get"),
        ("/Invoices/{InvoiceID}", "post"),
    ),
    "CreditNotes": (
        ("/CreditNotes", "get"),
        ("/CreditNotes", "put"),
        ("/CreditNotes", "post"),
        ("/CreditNotes/{CreditNoteID}", "get"),
        ("/CreditNotes/{CreditNoteID}", "post"),
    ),
    "PurchaseOrders": (
        ("/PurchaseOrders", "get"),
        ("/PurchaseOrders", "put"),
        ("/PurchaseOrders", "post"),
        ("/PurchaseOrders/{PurchaseOrderID}", "get"),
        ("/PurchaseOrders/{PurchaseOrderID}", "post"),
    ),
    "BankTransactions": (
        ("/BankTransactions", "get"),
        ("/BankTransactions", "put"),
        ("/BankTransactions", "post"),
        ("/BankTransactions/{BankTransactionID}", "get"),
        ("/BankTransactions/{BankTransactionID}", "post"),
    ),
    "ManualJournals": (
        ("/ManualJournals", "get"),
        ("/ManualJournals", "put"),
        ("/ManualJournals", "post"),
        ("/ManualJournals/{ManualJournalID}", "get"),
        ("/ManualJournals/{ManualJournalID}", "post"),
    ),
    "TrackingCategories": (
        ("/TrackingCategories", "get"),
        ("/TrackingCategories", "put"),
        ("/TrackingCategories/{TrackingCategoryID}", "get"),
        ("/TrackingCategories/{TrackingCategoryID}", "post"),
        ("/TrackingCategories/{TrackingCategoryID}", "delete"),
    ),
    "TrackingOptions": (
        ("/TrackingCategories/{TrackingCategoryID}/Options", "put"),
        ("/TrackingCategories/{TrackingCategoryID}/Options/{TrackingOptionID}", "post"),
        ("/TrackingCategories/{TrackingCategoryID}/Options/{TrackingOptionID}", "delete"),
    ),
    "Contacts": (
        ("/Contacts", "get"),
        ("/Contacts", "put"),
        ("/Contacts", "post"),
        ("/Contacts/{ContactID}", "get"),
    ),
    "Items": (("/Items", "get"), ("/Items", "put"), ("/Items", "post")),
}

_CONTACT_DETAIL = (
    "contact details trackmap never sends nor reads (addresses, phones, persons, groups, bank "
    "details, names of a person): FakeXero answers what a contact was created with, and the "
    "lists empty"
)
_NO_PAYMENTS = (
    "payments, allocations and credit applied: trackmap never creates them; FakeXero answers "
    "the lists empty (PAID set by a test settles the amount without a payment record)"
)
_ATTACHMENTS = "attachments: trackmap sends none; FakeXero answers the list empty"
_UNUSED = "a Xero feature trackmap does not use"
_PO_FIELDS = (
    "purchase-order delivery and branding fields trackmap's DocumentBody has no place for; "
    "FakeXero echoes them when a host sends them"
)
_DIRECTORY = (
    "contact and item reference data beyond what trackmap creates and reads (contacts: id, "
    "name, email, status; items: id, code, name): FakeXero stores and echoes what is sent"
)

# Every example key path FakeXero does not send, with why, per kind ("*": every kind). Prefix
# matches: a path equal to a key, or under it (``key.`` / ``key[]``), takes the key's reason.
LEFT_OUT: dict[str, dict[str, str]] = {
    "*": {
        "Contact.Addresses[]": _CONTACT_DETAIL,
        "Contact.Phones[]": _CONTACT_DETAIL,
        "Contact.ContactPersons[]": _CONTACT_DETAIL,
        "Contact.ContactGroups[]": _CONTACT_DETAIL,
        "Contact.BankAccountDetails": _CONTACT_DETAIL,
        "Contact.FirstName": _CONTACT_DETAIL,
        "Contact.LastName": _CONTACT_DETAIL,
        "Contact.DefaultCurrency": _CONTACT_DETAIL,
        "Payments[]": _NO_PAYMENTS,
        "Attachments[]": _ATTACHMENTS,
    },
    "Invoices": {
        "RepeatingInvoiceID": f"{_UNUSED} (repeating invoices)",
    },
    "PurchaseOrders": {
        "AttentionTo": _PO_FIELDS,
        "BrandingThemeID": _PO_FIELDS,
        "DeliveryAddress": _PO_FIELDS,
        "DeliveryInstructions": _PO_FIELDS,
        "Telephone": _PO_FIELDS,
        "LineItems[].DiscountRate": "trackmap sends no discounts; FakeXero echoes a sent rate",
    },
    "BankTransactions": {
        "BankAccount.Name": (
            "FakeXero keeps no chart of accounts, so it knows no account names (the AccountID "
            "is derived from the code)"
        ),
        "BatchPayment": f"{_UNUSED} (batch payments)",
        "OverpaymentID": f"{_UNUSED} (overpayments)",
        "PrepaymentID": f"{_UNUSED} (prepayments)",
    },
    "Contacts": {"": _DIRECTORY},
    "Items": {"": _DIRECTORY},
}


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def spec_path(given: str | None) -> Path:
    """The spec: --spec, else TRACKMAP_XERO_SPEC, else beside the repository."""
    if given:
        return Path(given)
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return Path(__file__).resolve().parents[1].parent / "shared" / "xero" / "xero_accounting.yaml"


def load(path: Path) -> dict[str, Any]:
    """Read the OpenAPI document (C YAML loader when there is one)."""
    with path.open("rb") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  # the safe loaders only


def key_values(node: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Every key path in a JSON value with its value: ``a``, ``a.b``, ``a[].c``..."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path, value
            yield from key_values(value, path)
    elif isinstance(node, list):
        for value in node:
            yield from key_values(value, f"{prefix}[]")


def key_paths(node: object) -> Iterator[str]:
    """Every key path in a JSON value."""
    return (path for path, _value in key_values(node))


def _element_path(path: str, kind: str) -> str | None:
    """A path under the kind's list, relative to one element (``Invoices[].Total`` -> ``Total``)."""
    envelope = "Options" if kind == "TrackingOptions" else kind
    head = f"{envelope}[]."
    return path.removeprefix(head) if path.startswith(head) else None


def _examples(spec: Mapping[str, Any], kind: str) -> Iterator[tuple[str, object]]:
    for path, method in ENDPOINTS[kind]:
        operation = spec["paths"].get(path, {}).get(method, {})
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        example = content.get("application/json", {}).get("example")
        for key, value in key_values(example):
            relative = _element_path(key, kind)
            if relative:
                yield relative, value


def example_paths(spec: Mapping[str, Any]) -> dict[str, set[str]]:
    """Per kind: the element key paths of every 200 example answer of its endpoints."""
    return {kind: {path for path, _value in _examples(spec, kind)} for kind in ENDPOINTS}


# The schema of one element of each kind, and the nested objects FakeXero completes.
ELEMENT_SCHEMAS = {
    "Invoices": "Invoice",
    "CreditNotes": "CreditNote",
    "PurchaseOrders": "PurchaseOrder",
    "BankTransactions": "BankTransaction",
    "ManualJournals": "ManualJournal",
    "TrackingCategories": "TrackingCategory",
    "TrackingOptions": "TrackingOption",
    "Contacts": "Contact",
    "Items": "Item",
}
PARTS = ("", "LineItems[]", "JournalLines[]", "Contact", "BankAccount")


def schema_at(spec: Mapping[str, Any], kind: str, path: str) -> Mapping[str, Any] | None:
    """The schema of an element key path (``LineItems[].TaxType``); None if not in the schema."""
    schemas = spec["components"]["schemas"]

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            node = schemas[str(node["$ref"]).rsplit("/", 1)[-1]]
        return node

    node = resolve({"$ref": ELEMENT_SCHEMAS[kind]})
    for part in path.replace("[]", ".[]").split("."):
        if part == "[]":
            node = resolve(node.get("items", {}))
            continue
        properties = node.get("properties", {})
        if part not in properties:
            return None
        node = resolve(properties[part])
    return node


def _default(schema: Mapping[str, Any] | None, example: object) -> tuple[bool, object]:
    """The value an absent field takes, from its schema (or, off the schema, its example)."""
    kind = schema.get("type") if schema is not None else type(example).__name__
    if kind in {"boolean", "bool"}:
        raw = schema.get("default", False) if schema is not None else False
        return True, raw if isinstance(raw, bool) else str(raw).lower() == "true"
    if kind in {"array", "list"}:
        return True, []
    return False, None


def derived_defaults(spec: Mapping[str, Any]) -> dict[str, dict[str, dict[str, object]]]:
    """Per kind and part (element, line, contact, bank account): defaults of absent fields.

    Only booleans (the schema's default, else false) and lists (empty) are derived: what a
    Xero answer carries when nothing was said. Every other field needs a meaning (a date
    string, a currency), which FakeXero's completion supplies by rule.
    """
    found: dict[str, dict[str, dict[str, object]]] = {}
    for kind in ENDPOINTS:
        parts: dict[str, dict[str, object]] = {}
        for path, example in sorted(_examples(spec, kind), key=lambda pair: pair[0]):
            part, _dot, field = path.rpartition(".")
            if part not in PARTS or "[]" in field:
                continue
            derivable, value = _default(schema_at(spec, kind, path), example)
            if derivable:
                parts.setdefault(part, {}).setdefault(field, value)
        found[kind] = parts
    return found


SHAPES = Path(__file__).resolve().parents[1] / "src/trackmap/testing/_fakexero/_shapes.py"


def render_shapes(spec: Mapping[str, Any]) -> str:
    """The text of ``_fakexero/_shapes.py``, generated from the spec (``--write``)."""
    head = [
        '"""Defaults of the fields Xero\'s example answers carry, from its OpenAPI document.',
        "",
        "GENERATED by ``python scripts/fakexero_examples.py --write`` from Xero's",
        "``xero_accounting.yaml``: do not edit by hand (tests/test_fakexero_examples.py checks",
        "that it is current). Per kind of answer and part (the element itself, ``LineItems[]``,",
        "``JournalLines[]``, ``Contact``, ``BankAccount``): every boolean field of the examples",
        "with the schema's default (else false), and every list field, empty.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "DEFAULTS: dict[str, dict[str, dict[str, object]]] = {",
    ]
    body = []
    for kind, parts in derived_defaults(spec).items():
        body.append(f"    {kind!r}: {{")
        for part, fields in parts.items():
            body.append(f"        {part!r}: {{")
            body.extend(f"            {field!r}: {value!r}," for field, value in fields.items())
            body.append("        },")
        body.append("    },")
    text = "\n".join(body).replace("'", '"')
    return "\n".join([*head, text, "}"]) + "\n"


def reason(kind: str, path: str) -> str | None:
    """Why a path is left out, from `LEFT_OUT`; None when no reason is given."""
    for key, why in {**LEFT_OUT["*"], **LEFT_OUT.get(kind, {})}.items():
        if key in ("", path) or path.startswith((f"{key}.", f"{key}[]")):
            return why
    return None


def _line(description: str, amount: str, **extra: str) -> BodyLine:
    return BodyLine(
        description=description,
        quantity=Decimal(2),
        unit_amount=Decimal(amount),
        account_code="200",
        tax_type="OUTPUT2",
        **extra,
    )


def _body(kind: DocumentKind) -> DocumentBody:
    if kind is DocumentKind.MANUAL_JOURNAL:
        lines = (_line("Debit", "10.50"), _line("Credit", "-10.50"))
    else:
        lines = (_line("Work", "10.50", item_code="WIDGET"),)
    return DocumentBody(
        contact=ContactRef(name="Supplier Ltd"),
        date=dt.date(2026, 11, 1),
        due_date=dt.date(2026, 11, 30),
        reference="Job 42",
        lines=lines,
        bank_account_code="090",
        narration="Accrual",
    )


_RESOURCES = {
    DocumentKind.SALES_INVOICE: ("Invoices", "ACCREC"),
    DocumentKind.BILL: ("Invoices", "ACCPAY"),
    DocumentKind.SALES_CREDIT_NOTE: ("CreditNotes", "ACCRECCREDIT"),
    DocumentKind.PURCHASE_CREDIT_NOTE: ("CreditNotes", "ACCPAYCREDIT"),
    DocumentKind.PURCHASE_ORDER: ("PurchaseOrders", None),
    DocumentKind.SPEND_MONEY: ("BankTransactions", "SPEND"),
    DocumentKind.RECEIVE_MONEY: ("BankTransactions", "RECEIVE"),
    DocumentKind.MANUAL_JOURNAL: ("ManualJournals", None),
}


def _raw_document(kind: DocumentKind, tracking: list[dict[str, str]], *, broken: bool) -> dict:
    """A hand-made write body: one that warns (unknown tracking) or one Xero refuses."""
    resource, doc_type = _RESOURCES[kind]
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200"}
    document: dict[str, Any] = {"LineItems": [{**line, "Tracking": tracking}]}
    if resource == "ManualJournals":
        lines = [{**line, "LineAmount": 5, "Tracking": tracking}, {**line, "LineAmount": -5}]
        document = {"JournalLines": lines, **({} if broken else {"Narration": "n"})}
    else:
        contact = {"ContactID": str(uuid.UUID(int=9))} if broken else {"Name": "Supplier Ltd"}
        document["Contact"] = contact
    if doc_type is not None:
        document["Type"] = doc_type
    if resource == "BankTransactions":
        document["BankAccount"] = {"Code": "090"}
    return document


def _exceptions(fake: FakeXero, category: str) -> None:
    """One refused element and one warned-about element of each kind (summarizeErrors=false)."""
    unknown = [{"TrackingCategoryID": category, "TrackingOptionID": str(uuid.UUID(int=8))}]
    fake.limits.unknown_tracking = "warn"
    for kind, (resource, _type) in _RESOURCES.items():
        documents = [_raw_document(kind, unknown, broken=b) for b in (True, False)]
        fake.raw("PUT", f"/{resource}?summarizeErrors=false", {resource: documents})
    fake.limits.unknown_tracking = "drop"


def _push_and_read(fake: FakeXero, target: XeroTarget, entry: Any) -> None:  # noqa: ANN401
    from trackmap._sync._target import PushItem  # noqa: PLC0415  # script only

    for kind, (resource, _type) in _RESOURCES.items():
        lines = 2 if kind is DocumentKind.MANUAL_JOURNAL else 1
        item = PushItem(
            key=f"{kind.value}-1",
            kind=kind,
            body=_body(kind),
            tracking=tuple((entry,) for _ in range(lines)),
            idempotency_key=f"examples-{kind.value}",
        )
        (result,) = target.push([item])
        target.read_documents(kind, page=1)
        target.read_documents(kind, ids=[result.xero_id or ""])
        if kind is DocumentKind.SALES_INVOICE:
            fake.set_document_status("Invoices", result.xero_id or "", "PAID")
        fake.raw("GET", f"/{resource}/{result.xero_id}")
        fake.raw("GET", f"/{resource}")


def scenario() -> dict[str, set[str]]:
    """Drive FakeXero as trackmap does; return the element key paths it answered, per kind."""
    return sent_paths(scenario_requests())


def scenario_requests() -> list[Any]:
    """Drive FakeXero as trackmap does; return every request it recorded, with its answer."""
    from trackmap._sync._target import TrackingEntry  # noqa: PLC0415  # script only

    clock = VirtualClock(start=dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC))
    with FakeXero(clock=clock, seed=1) as fake:
        category = fake.add_category("Region", ["Perth"])
        target = XeroTarget(
            fake.sdk_client(),
            fake.tenant_id,
            clock=clock.now,
            sleep=clock.sleep,
            policy=RetryPolicy(jitter=False),
        )
        option = target.create_option(category, "Darwin")
        target.read_schema()
        contact_id = target.create_contact(ContactRef(name="Supplier Ltd", email="ap@example.com"))
        target.create_item("WIDGET", "A widget")
        target.find_contacts(["Supplier Ltd"])
        entry = TrackingEntry(
            category_id=category, category_name="Region", option_id=option.id, option_name="Darwin"
        )
        _push_and_read(fake, target, entry)
        _exceptions(fake, category)
        for path in (f"/TrackingCategories/{category}", "/Contacts?page=1", "/Items"):
            fake.raw("GET", path)
        fake.raw("GET", f"/Contacts/{contact_id}")
        return fake.requests


def sent_paths(requests: Iterable[Any]) -> dict[str, set[str]]:
    """The element key paths of every 200 JSON answer recorded, per kind."""
    import json  # noqa: PLC0415

    found: dict[str, set[str]] = {kind: set() for kind in ENDPOINTS}
    for request in requests:
        if request.status != 200 or not request.answer.startswith(b"{"):  # noqa: PLR2004
            continue
        answer = json.loads(request.answer)
        for kind in ENDPOINTS:
            found[kind].update(p for q in key_paths(answer) if (p := _element_path(q, kind)))
    return found


def coverage(
    examples: Mapping[str, set[str]], sent: Mapping[str, set[str]]
) -> dict[str, tuple[int, int, list[tuple[str, str | None]]]]:
    """Per kind: (sent, in the examples, [(left-out path, reason or None)])."""
    report = {}
    for kind, paths in examples.items():
        missing = sorted(paths - sent.get(kind, set()))
        report[kind] = (
            len(paths) - len(missing),
            len(paths),
            [(p, reason(kind, p)) for p in missing],
        )
    return report


def main() -> int:
    """Print the shares and the left-out paths (or ``--write`` the derived defaults)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec")
    parser.add_argument("--write", action="store_true", help="regenerate _fakexero/_shapes.py")
    args = parser.parse_args()
    path = spec_path(args.spec)
    if not path.is_file():
        _say(f"Xero's OpenAPI document not found at {path}; set {ENV} or pass --spec.")
        return 2
    spec = load(path)
    if args.write:
        SHAPES.write_text(render_shapes(spec), encoding="utf-8")
        _say(f"wrote {SHAPES}")
        return 0
    report = coverage(example_paths(spec), scenario())
    unexplained = 0
    for kind, (sent, total, missing) in report.items():
        _say(f"{kind}: {sent}/{total} example key paths sent ({100 * sent / total:.0f}%)")
        for left_out, why in missing:
            unexplained += why is None
            _say(f"    left out: {left_out} -- {why or 'NO REASON GIVEN'}")
    _say(f"{unexplained} example key paths left out without a reason")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
