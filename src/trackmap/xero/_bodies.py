"""trackmap values in, xero-python models out: one table row per document kind.

What a body is built from (DESIGN.md section 5): trackmap's neutral `DocumentBody`, or the
host's own xero-python model of the kind's type. Either way trackmap owns the tracking: every
line's ``Tracking`` is replaced by the resolved entries, sent with ``TrackingCategoryID``,
``TrackingOptionID``, ``Name`` (category) and ``Option`` (XERO.md, "Tracking on documents").
Manual journals carry ``JournalLines[].Tracking`` in the TrackingCategory shape.

Money is rounded to 2 places as a ``Decimal`` before it reaches a model, because the SDK turns
every ``Decimal`` into a float on the wire. The host's model is copied, never changed.
Answer-only flags (``HasAttachments``, ``HasValidationErrors``, ``HasErrors``), which the SDK's
models default to ``False``, are cleared on the document, its contact and its bank account.
"""

from __future__ import annotations

import copy
import enum
import functools
import json
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs
from xero_python.accounting import (
    Account,
    BankTransaction,
    BankTransactions,
    Contact,
    CreditNote,
    CreditNotes,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    LineItemTracking,
    ManualJournal,
    ManualJournalLine,
    ManualJournals,
    PurchaseOrder,
    PurchaseOrders,
    TrackingCategory,
)
from xero_python.api_client.serializer import (
    serialize,
    serialize_date_ms,
    serialize_datetime_ms,
)
from xero_python.models import BaseModel

from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._target import PushItem, RemoteDocument, RemoteLine, TrackingEntry
from trackmap.errors import DocumentError

__all__ = [
    "SPECS",
    "KindSpec",
    "Serialised",
    "build_model",
    "plain",
    "sent_document",
    "serialised",
    "wire_size",
    "wrap",
    "wrap_models",
]

_CENT = Decimal("0.01")
_QUANTITY_PLACES = Decimal("0.0001")


@attrs.frozen(kw_only=True)
class KindSpec:
    """How one document kind maps onto the SDK: model, wrapper, methods and field names."""

    kind: DocumentKind
    noun: str
    model: type[Any]
    wrapper: type[Any]
    plural: str
    resource: str
    create: str
    update: str
    read: str
    read_one: str
    id_attr: str
    number_attr: str | None
    type_value: str | None
    lines_attr: str = "line_items"
    reads_by_ids: bool = False

    def describe(self, label: str) -> str:
        """Name one document in a sentence: 'invoice "INV-42"'."""
        return f'{self.noun} "{label}"'


def _spec(kind: DocumentKind, noun: str, family: str, type_value: str | None) -> KindSpec:
    table: dict[str, tuple[Any, ...]] = {
        "Invoices": (Invoice, Invoices, "invoices", "invoice_id", "invoice_number", True),
        "CreditNotes": (
            CreditNote,
            CreditNotes,
            "credit_notes",
            "credit_note_id",
            "credit_note_number",
            False,
        ),
        "PurchaseOrders": (
            PurchaseOrder,
            PurchaseOrders,
            "purchase_orders",
            "purchase_order_id",
            "purchase_order_number",
            False,
        ),
        "BankTransactions": (
            BankTransaction,
            BankTransactions,
            "bank_transactions",
            "bank_transaction_id",
            None,
            False,
        ),
        "ManualJournals": (
            ManualJournal,
            ManualJournals,
            "manual_journals",
            "manual_journal_id",
            None,
            False,
        ),
    }
    model, wrapper, plural, id_attr, number_attr, by_ids = table[family]
    return KindSpec(
        kind=kind,
        noun=noun,
        model=model,
        wrapper=wrapper,
        plural=plural,
        resource=family,
        create=f"create_{plural}",
        update=f"update_or_create_{plural}",
        read=f"get_{plural}",
        read_one=f"get_{id_attr.removesuffix('_id')}",
        id_attr=id_attr,
        number_attr=number_attr,
        type_value=type_value,
        lines_attr="journal_lines" if family == "ManualJournals" else "line_items",
        reads_by_ids=by_ids,
    )


SPECS: dict[DocumentKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        _spec(DocumentKind.SALES_INVOICE, "invoice", "Invoices", "ACCREC"),
        _spec(DocumentKind.BILL, "bill", "Invoices", "ACCPAY"),
        _spec(DocumentKind.SALES_CREDIT_NOTE, "credit note", "CreditNotes", "ACCRECCREDIT"),
        _spec(DocumentKind.PURCHASE_CREDIT_NOTE, "credit note", "CreditNotes", "ACCPAYCREDIT"),
        _spec(DocumentKind.PURCHASE_ORDER, "purchase order", "PurchaseOrders", None),
        _spec(DocumentKind.SPEND_MONEY, "spend money transaction", "BankTransactions", "SPEND"),
        _spec(
            DocumentKind.RECEIVE_MONEY, "receive money transaction", "BankTransactions", "RECEIVE"
        ),
        _spec(DocumentKind.MANUAL_JOURNAL, "manual journal", "ManualJournals", None),
    )
}
"""Every `DocumentKind`, with how it travels through xero-python."""


def build_model(item: PushItem) -> Any:  # noqa: ANN401 - a xero-python model (untyped SDK)
    """Build the xero-python model to send for one item, with trackmap's tracking on its lines.

    Raises:
        DocumentError: The body is of the wrong type, its lines do not match the tracking, or
            a model setter refused a value (the SDK's message names the field).
    """
    spec = SPECS[item.kind]
    try:
        model = _base_model(spec, item)
        _put_tracking(spec, model, item)
        if item.xero_id is not None:
            setattr(model, spec.id_attr, item.xero_id)
        _clear_read_only(model)
    except DocumentError:
        raise
    except (ValueError, ArithmeticError, TypeError, AttributeError) as exc:
        message = f"{spec.describe(item.key)} cannot be sent to Xero: {exc}."
        raise DocumentError(message, document_key=item.key) from exc
    return model


def sent_document(spec: KindSpec, model: Any) -> RemoteDocument:  # noqa: ANN401 - SDK model
    """What Xero will hold of ``model`` (as `read_documents` returns it), before sending.

    Only what the sender decides: number and reference when set, the contact's name when the
    body names one, each line's description and amount (quantity x unit amount, less the
    discount, to the cent, as Xero computes it, unless the line sets its amount).
    """
    contact = getattr(model, "contact", None)
    number = getattr(model, spec.number_attr, None) if spec.number_attr else None
    return RemoteDocument(
        kind=spec.kind,
        xero_id="",
        status="",
        number=None if number is None else str(number),
        reference=getattr(model, "reference", None),
        contact_name=getattr(contact, "name", None),
        lines=tuple(
            RemoteLine(description=line.description, line_amount=_line_amount(line))
            for line in getattr(model, spec.lines_attr, None) or ()
        ),
    )


def _line_amount(line: Any) -> Decimal | None:  # noqa: ANN401 - SDK model
    given = getattr(line, "line_amount", None)
    if given is not None:
        return _number(given, _CENT, "line amount")
    quantity, unit = getattr(line, "quantity", None), getattr(line, "unit_amount", None)
    if quantity is None or unit is None:
        return None
    discount = getattr(line, "discount_rate", None) or 0
    amount = _decimal(quantity) * _decimal(unit) * (1 - _decimal(discount) / 100)
    return _number(amount, _CENT, "line amount")


def _decimal(value: object) -> Decimal:
    # A Decimal is taken as it is (the value its text would give back), anything else by text.
    return value if type(value) is Decimal else Decimal(str(value))


_READ_ONLY_FLAGS = ("has_attachments", "has_validation_errors", "has_errors")


def _clear_read_only(model: Any) -> None:  # noqa: ANN401 - untyped SDK model
    # The SDK's models default these read-only flags to False and would send them.
    for part in (model, getattr(model, "contact", None), getattr(model, "bank_account", None)):
        for flag in _READ_ONLY_FLAGS:
            if part is not None and hasattr(part, flag):
                setattr(part, flag, None)


class Serialised:
    """A request body xero-python has already serialised: its serializer hands it on as is.

    Each document is serialised ONCE (`serialised`), to measure its size for the byte limit;
    the request then carries those very dictionaries instead of the SDK serialising the models
    a second time. xero-python's ``serialize`` dispatches on the type's name, and this type's
    name is registered below to return ``data`` unchanged; `wrap_models` is the reference
    (what the SDK would have put on the wire itself), and tests hold the two equal.
    """

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        """Keep the serialised form (plain JSON values)."""
        self.data = data


def _as_is(value: Serialised, explicit_type: str | None = None) -> dict[str, Any]:
    del explicit_type
    return value.data


serialize.register(Serialised.__name__, _as_is)


def serialised(model: Any) -> tuple[dict[str, Any], int]:  # noqa: ANN401 - untyped SDK model
    """A model as xero-python puts it on the wire, and that form's size in bytes."""
    data: dict[str, Any] = plain(model)
    return data, len(json.dumps(data).encode())


def plain(model: Any) -> Any:  # noqa: ANN401 - untyped SDK model
    """What xero-python's ``serialize(model)`` returns, made by a plan compiled per model class.

    The SDK walks every attribute of every model through a dispatcher that matches the type
    name against regular expressions, for each value; this compiles that choice once per
    class and attribute type, and calls the SDK's own functions for anything but the plain
    cases (dates in Xero's format, a type it does not know, a value of another type than the
    attribute's, which the SDK refuses). Tests hold the two equal.
    """
    if isinstance(model, BaseModel):
        return _model_plain(model)
    return serialize(model)


def _model_plain(model: Any) -> dict[str, Any]:  # noqa: ANN401 - untyped SDK model
    kind = type(model)
    plan = _PLANS.get(kind) or _plan(kind)
    state = model.__dict__
    found: dict[str, Any] = {}
    for private, attr, key, convert in plan:
        value = state.get(private, _UNSET)
        if value is _UNSET:
            value = getattr(model, attr)
        if value is not None:
            found[key] = convert(value)
    return found


def _plan(kind: type[Any]) -> tuple[tuple[str, str, str, _Convert], ...]:
    """Per attribute: where its value lives, its wire name and its converter.

    The SDK's generated getters return ``self._<attr>``: for the SDK's own classes the value is
    read from there (a property call per attribute was a third of the cost); a host's
    subclass, or a getter defined anywhere else, is asked through ``getattr``.
    """
    own = kind.__module__.startswith("xero_python.")
    plan = tuple(
        (
            f"_{attr}" if own and isinstance(kind.__dict__.get(attr), property) else "",
            attr,
            kind.attribute_map[attr],
            _converter(attr_type),
        )
        for attr, attr_type in kind.openapi_types.items()
    )
    _PLANS[kind] = plan
    return plan


_UNSET = object()
_Convert = Callable[[Any], Any]
_PLANS: dict[type[Any], tuple[tuple[str, str, str, _Convert], ...]] = {}


def _same(value: Any) -> Any:  # noqa: ANN401 - a JSON value
    return value


def _iso(value: Any) -> Any:  # noqa: ANN401 - a date or datetime
    return value.isoformat()


@functools.cache
def _converter(attr_type: str) -> _Convert:
    """How the SDK serialises a value declared as ``attr_type`` (see `plain`)."""
    known = _CONVERTERS.get(attr_type)
    if known is not None:
        return known
    inner = _LIST.fullmatch(attr_type)
    if inner is not None:
        each = _converter(inner[1])
        return lambda values: [each(value) for value in values]
    if _NAME.fullmatch(attr_type) is None:
        return lambda value: serialize(value, attr_type)
    return functools.partial(_named, attr_type)


def _named(attr_type: str, value: Any) -> Any:  # noqa: ANN401 - a model or an enum
    if type(value).__name__ == attr_type:
        if isinstance(value, BaseModel):
            return _model_plain(value)
        if isinstance(value, enum.Enum):
            return value.value
    return serialize(value, attr_type)  # the SDK's own answer (an error, for another type)


_CONVERTERS: dict[str, _Convert] = {
    **dict.fromkeys(("str", "bool", "int", "bytes"), _same),
    "float": float,
    "date": _iso,
    "datetime": _iso,
    "date[ms-format]": serialize_date_ms,
    "datetime[ms-format]": serialize_datetime_ms,
}
_LIST = re.compile(r"list\[(.+)\]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def wrap(spec: KindSpec, models: Sequence[Any]) -> Serialised:
    """Put documents in their plural wrapper (``{"Invoices": [...]}``), as the endpoints want.

    Each is a model or the dictionary `serialised` made of one (not serialised again).
    """
    name = spec.wrapper.attribute_map[spec.plural]
    return Serialised({name: [m if isinstance(m, dict) else plain(m) for m in models]})


def wrap_models(spec: KindSpec, models: Sequence[Any]) -> Any:  # noqa: ANN401 - SDK model
    """The reference for `wrap`: the SDK's own wrapper model, which the SDK serialises itself."""
    return spec.wrapper(**{spec.plural: list(models)})


def wire_size(model: Any) -> int:  # noqa: ANN401 - untyped SDK model
    """The size in bytes of a model as xero-python puts it on the wire."""
    return serialised(model)[1]


def _base_model(spec: KindSpec, item: PushItem) -> Any:  # noqa: ANN401 - untyped SDK model
    if isinstance(item.body, DocumentBody):
        return _NEUTRAL[spec.resource](spec, item.body, item.key)
    if isinstance(item.body, spec.model):
        return copy.deepcopy(item.body)
    expected = spec.model.__name__
    message = (
        f"{spec.describe(item.key)} has a body of type {type(item.body).__name__}; "
        f"trackmap sends a DocumentBody or a xero-python {expected} for this kind."
    )
    raise DocumentError(message, document_key=item.key)


def _put_tracking(spec: KindSpec, model: Any, item: PushItem) -> None:  # noqa: ANN401
    lines = getattr(model, spec.lines_attr) or []
    if len(lines) != len(item.tracking):
        message = (
            f"{spec.describe(item.key)} has {len(lines)} lines but tracking for "
            f"{len(item.tracking)}; every line needs its own tracking, in order."
        )
        raise DocumentError(message, document_key=item.key)
    shape = TrackingCategory if spec.lines_attr == "journal_lines" else LineItemTracking
    for line, entries in zip(lines, item.tracking, strict=True):
        line.tracking = [_entry(shape, entry) for entry in entries] or None


def _entry(shape: Callable[..., Any], entry: TrackingEntry) -> Any:  # noqa: ANN401
    fields = {"tracking_category_id": entry.category_id, "name": entry.category_name}
    if entry.option_id is not None:
        fields["tracking_option_id"] = entry.option_id
    return shape(option=entry.option_name, **fields)


_LARGEST = Decimal("1e15")  # more than any amount Xero holds (its money has 2 places)


class _BadNumberError(ValueError):
    """An amount or quantity that is not a finite number within Xero's range."""


def _number(value: object, places: Decimal, field: str) -> Decimal:
    """A finite Decimal rounded to ``places``; an impossible value names the field."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]
        fits = number.is_finite() and abs(number) < _LARGEST
        rounded = number.quantize(places, rounding=ROUND_HALF_UP) if fits else None
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise _BadNumberError(_not_a_number(value, field)) from exc
    if rounded is None:
        raise _BadNumberError(_not_a_number(value, field))
    return rounded


def _not_a_number(value: object, field: str) -> str:
    # Only on failure: the value's text is not worth making for every good number.
    shown = ascii(value) if not isinstance(value, str) else repr(value)
    return f"its {field} is {shown}, which is not a finite amount Xero can hold"


def _money(value: Decimal, field: str = "unit amount") -> Decimal:
    return _number(value, _CENT, field)


def _contact(ref: ContactRef | None) -> Contact | None:
    if ref is None:
        return None
    if ref.contact_id is not None:
        return Contact(contact_id=ref.contact_id)
    return Contact(name=ref.name, email_address=ref.email)


def _line(line: BodyLine) -> LineItem:
    return LineItem(
        description=line.description,
        quantity=_number(line.quantity, _QUANTITY_PLACES, "quantity"),
        unit_amount=_money(line.unit_amount),
        account_code=line.account_code,
        tax_type=line.tax_type,
        item_code=line.item_code,
        discount_rate=_optional(line.discount_rate, _QUANTITY_PLACES, "discount rate"),
        tax_amount=_optional(line.tax_amount, _CENT, "tax amount"),
    )


def _optional(value: Decimal | None, places: Decimal, field: str) -> Decimal | None:
    return None if value is None else _number(value, places, field)


def _journal_line(line: BodyLine) -> ManualJournalLine:
    return ManualJournalLine(
        line_amount=_money(line.unit_amount, "line amount"),
        account_code=line.account_code,
        description=line.description,
        tax_type=line.tax_type,
    )


def _numbered(number: int, build: Callable[[BodyLine], Any], line: BodyLine) -> Any:  # noqa: ANN401
    try:
        return build(line)
    except _BadNumberError as exc:
        message = f"line {number}: {exc}"
        raise _BadNumberError(message) from exc


def _common(body: DocumentBody) -> dict[str, Any]:
    return {
        "contact": _contact(body.contact),
        "date": body.date,
        "line_amount_types": LineAmountTypes(body.line_amount_types),
        "reference": body.reference,
        "currency_code": CurrencyCode(body.currency_code) if body.currency_code else None,
        "line_items": [_numbered(n, _line, line) for n, line in enumerate(body.lines, 1)],
    }


def _invoice(spec: KindSpec, body: DocumentBody, _key: str) -> Invoice:
    return Invoice(
        type=spec.type_value,
        due_date=body.due_date,
        invoice_number=body.number,
        status=body.status,
        **_common(body),
    )


def _credit_note(spec: KindSpec, body: DocumentBody, _key: str) -> CreditNote:
    return CreditNote(
        type=spec.type_value,
        due_date=body.due_date,
        credit_note_number=body.number,
        status=body.status,
        **_common(body),
    )


def _purchase_order(_spec: KindSpec, body: DocumentBody, _key: str) -> PurchaseOrder:
    return PurchaseOrder(
        delivery_date=body.due_date,
        purchase_order_number=body.number,
        status=body.status,
        **_common(body),
    )


def _bank_transaction(spec: KindSpec, body: DocumentBody, _key: str) -> BankTransaction:
    # Spend and receive money have no draft state in Xero: the neutral default becomes
    # AUTHORISED, any other status is passed on for the SDK to check.
    status = "AUTHORISED" if body.status == "DRAFT" else body.status
    account = Account(code=body.bank_account_code) if body.bank_account_code else None
    return BankTransaction(
        type=spec.type_value, bank_account=account, status=status, **_common(body)
    )


def _manual_journal(_spec: KindSpec, body: DocumentBody, key: str) -> ManualJournal:
    lines = [_numbered(n, _journal_line, line) for n, line in enumerate(body.lines, 1)]
    return ManualJournal(
        narration=body.narration or body.reference or key,
        journal_lines=lines,
        date=body.date,
        line_amount_types=LineAmountTypes(body.line_amount_types),
        status=body.status,
    )


_NEUTRAL: dict[str, Callable[[KindSpec, DocumentBody, str], Any]] = {
    "Invoices": _invoice,
    "CreditNotes": _credit_note,
    "PurchaseOrders": _purchase_order,
    "BankTransactions": _bank_transaction,
    "ManualJournals": _manual_journal,
}
