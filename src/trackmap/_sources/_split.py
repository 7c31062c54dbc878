"""Split lines: one host line becomes one line per share of its split (pure).

The engine plans a split (`trackmap.ResolvedLine.parts`); this module applies it to
trackmap's neutral `DocumentBody` before any Xero body is built, so the Xero layer only ever
sees more lines. The rules:

1. **Amounts add up to the cent.** A line's amount is what Xero computes for it: quantity
   (4 places) x unit amount (2 places) x (1 - discount rate / 100), rounded half away from
   zero to the cent; a manual journal line's amount is its ``unit_amount``. That amount is
   shared out by LARGEST REMAINDER: each part gets the whole cents of its exact share, and the
   cents left over go one each to the parts with the largest remainders (the earlier part on
   a tie). Negative amounts are shared as their size, then signed. So the split lines' amounts
   add up exactly to the original line's.
2. **How a part gets its amount**, first that works exactly for every part of the line:
   (a) the quantity is split (quantity x share, if it has at most 4 places), the unit amount
   and discount kept: a consultant's day becomes 0.6 and 0.4 of a day; (b) the unit amount is
   split (to the cent), quantity and discount kept; (c) quantity 1 and the part's amount as
   the unit amount, the discount kept where the amount before discount is a whole cent;
   (d) else quantity 1 and the part's amount, without a discount (the amount is net of it).
   Xero's amount of every split line equals its share exactly (checked, not assumed).
3. **Tax, by the document's line amount type.** ``Exclusive``: tax is on top of the line
   amount; ``Inclusive``: tax is inside it; either way a host line that carries its
   ``tax_amount`` has it shared out by largest remainder with the same shares, so the split
   lines' tax adds up exactly to the original's. A line without a ``tax_amount`` is left to
   Xero, which computes each split line's tax from its tax type (rounded per line, so the
   total may differ from the unsplit line's by up to a cent per extra line: set
   ``tax_amount`` to make it exact). ``NoTax``: no tax on any line, ``tax_amount`` dropped.
4. **Everything else is kept** on every part: account code, tax type, item code; the
   description is marked with the share: ``"Office lease (60%)"``, ``"(60% x 50%)"`` when two
   bindings split. Each part carries the tracking of its `LinePart`: at most one option per
   category and no more entries than the unsplit line (the engine guarantees both).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import attrs

from trackmap._engine._document import Document, DocumentKind
from trackmap._engine._results import LinePart, Resolution
from trackmap._sources._body import BodyLine, DocumentBody
from trackmap.errors import DocumentError

__all__ = [
    "allocate",
    "has_splits",
    "line_amount",
    "sent_line_keys",
    "sent_split",
    "split_body",
    "split_line",
    "split_line_keys",
]

_CENT = Decimal("0.01")
_QUANTITY = Decimal("0.0001")


def has_splits(resolution: Resolution) -> bool:
    """Whether any line of the resolution is sent as several lines."""
    return any(line.parts for line in resolution.lines)


def split_line_keys(resolution: Resolution) -> tuple[str, ...]:
    """The keys of the lines as sent: a split line's parts are ``3 (60%)``, ``3 (40%)``."""
    keys: list[str] = []
    for line in resolution.lines:
        if not line.parts:
            keys.append(line.key)
        keys.extend(f"{line.key} ({part.label})" for part in line.parts)
    return tuple(keys)


def sent_split(body: object, resolution: Resolution) -> DocumentBody | str:
    """The body to send for a resolution with splits, or why it cannot be built (a sentence)."""
    if not isinstance(body, DocumentBody):
        return (
            "Its tracking splits a line across several options, which trackmap does for its "
            "neutral DocumentBody only, not for a xero-python model; send a DocumentBody or "
            "split the line yourself."
        )
    try:
        return split_body(body, resolution)
    except DocumentError as exc:
        return str(exc)


def sent_line_keys(resolution: Resolution | None, document: Document) -> tuple[str, ...]:
    """The keys of the lines as sent, for messages (`split_line_keys` when a line splits)."""
    if resolution is not None and has_splits(resolution):
        return split_line_keys(resolution)
    return tuple(line.key for line in document.lines)


def split_body(body: DocumentBody, resolution: Resolution) -> DocumentBody:
    """The body with every split line replaced by its parts (rules in the module docstring).

    The body's lines align one to one, in order, with the resolution's lines.

    Raises:
        DocumentError: The body's lines do not align with the document's, or a split line
            holds an amount that is not a finite number.
    """
    if len(body.lines) != len(resolution.lines):
        msg = (
            f"Document {resolution.document_key!r} has {len(resolution.lines)} lines but its "
            f"body has {len(body.lines)}, so its split lines cannot be built."
        )
        raise DocumentError(msg, document_key=resolution.document_key)
    journal = resolution.kind is DocumentKind.MANUAL_JOURNAL
    lines: list[BodyLine] = []
    for line, resolved in zip(body.lines, resolution.lines, strict=True):
        if not resolved.parts:
            lines.append(line)
            continue
        try:
            lines.extend(
                split_line(
                    line, resolved.parts, journal=journal, amount_types=body.line_amount_types
                )
            )
        except (ArithmeticError, TypeError, ValueError) as exc:
            msg = (
                f"Line {resolved.key} of document {resolution.document_key!r} is split, but its "
                f"amounts cannot be shared out: {exc}."
            )
            raise DocumentError(msg, document_key=resolution.document_key) from exc
    return attrs.evolve(body, lines=tuple(lines))


def line_amount(line: BodyLine, *, journal: bool = False) -> Decimal:
    """The line's amount as Xero computes it (rule 1)."""
    if journal:
        return _cents(_decimal(line.unit_amount))
    quantity = _decimal(line.quantity).quantize(_QUANTITY, rounding=ROUND_HALF_UP)
    unit = _cents(_decimal(line.unit_amount))
    discount = _decimal(line.discount_rate) if line.discount_rate is not None else Decimal(0)
    return _cents(quantity * unit * (1 - discount / 100))


def allocate(total: Decimal, shares: Sequence[Fraction]) -> tuple[Decimal, ...]:
    """Share ``total`` (to the cent) out by largest remainder; the parts add up to it exactly."""
    cents = int(_cents(total) * 100)
    sign, size = (-1 if cents < 0 else 1), abs(cents)
    quotas = [size * share for share in shares]
    whole = [int(quota) for quota in quotas]  # floor: quotas are never negative
    left = size - sum(whole)
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - whole[i]), i))
    for i in order[:left]:
        whole[i] += 1
    return tuple(Decimal(sign * part).scaleb(-2) for part in whole)


def split_line(
    line: BodyLine, parts: Sequence[LinePart], *, journal: bool, amount_types: str
) -> tuple[BodyLine, ...]:
    """One body line per part, in order (rules 1 to 4)."""
    shares = [part.share for part in parts]
    amounts = allocate(line_amount(line, journal=journal), shares)
    taxes: Sequence[Decimal | None] = [None] * len(parts)
    if amount_types != "NoTax" and line.tax_amount is not None:
        taxes = allocate(_decimal(line.tax_amount), shares)
    if journal:
        shaped = [attrs.evolve(line, unit_amount=amount) for amount in amounts]
    else:
        shaped = _shaped(line, shares, amounts)
    return tuple(
        attrs.evolve(one, description=f"{line.description} ({part.label})", tax_amount=tax)
        for one, part, tax in zip(shaped, parts, taxes, strict=True)
    )


def _shaped(
    line: BodyLine, shares: Sequence[Fraction], amounts: Sequence[Decimal]
) -> list[BodyLine]:
    """Rule 2: the first way of giving every part exactly its amount."""
    quantity = _decimal(line.quantity).quantize(_QUANTITY, rounding=ROUND_HALF_UP)
    unit = _cents(_decimal(line.unit_amount))
    candidates = (
        _by_quantity(line, quantity, shares),
        [attrs.evolve(line, quantity=quantity, unit_amount=_cents(unit * _dec(s))) for s in shares],
        _by_amount_before_discount(line, amounts),
    )
    for candidate in candidates:
        if candidate and all(
            line_amount(one) == amount for one, amount in zip(candidate, amounts, strict=True)
        ):
            return candidate
    return [
        attrs.evolve(line, quantity=Decimal(1), unit_amount=amount, discount_rate=None)
        for amount in amounts
    ]


def _by_quantity(line: BodyLine, quantity: Decimal, shares: Sequence[Fraction]) -> list[BodyLine]:
    split = [Fraction(quantity) * share for share in shares]
    if any((part * 10_000).denominator != 1 for part in split):
        return []
    return [attrs.evolve(line, quantity=_dec(part).quantize(_QUANTITY)) for part in split]


def _by_amount_before_discount(line: BodyLine, amounts: Sequence[Decimal]) -> list[BodyLine]:
    rate = Fraction(_decimal(line.discount_rate)) if line.discount_rate is not None else Fraction(0)
    if rate >= 100:  # noqa: PLR2004 - a whole discount leaves nothing to divide by
        return []
    before = [Fraction(amount) / (1 - rate / 100) for amount in amounts]
    if any((value * 100).denominator != 1 for value in before):
        return []
    return [
        attrs.evolve(line, quantity=Decimal(1), unit_amount=_dec(value).quantize(_CENT))
        for value in before
    ]


def _decimal(value: object) -> Decimal:
    # A float is taken by its text (as the Xero layer does), anything else as Decimal takes it.
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)
