"""Splits: one host value sent to several options of one category, each with a share.

Rule 10 of compilation (`trackmap._engine._rules` calls `check_split` for every table row
that has a `Split`, and `check_split_product` once per mapping):

- ``split_with_option``: a row either points at one option or splits; not both.
- ``split_empty``: a split needs at least two shares (one share is a plain row).
- ``share_weight``: every weight is a finite Decimal above zero.
- ``split_total``: percentages add up to exactly 100 (ratio parts may add up to anything).
- ``share_duplicate``: an option appears once in a split (two shares of one option would put
  two lines of the same tracking side by side, which is one share, written twice).
- ``option_missing`` / ``option_archived`` / ``option_deleted``: every share's option exists
  in the binding's category and is ACTIVE, as for any table row.
- ``split_too_many_lines``: one host line may become at most ``capabilities.split_lines``
  lines. A split on one binding makes as many lines as it has shares; splits on two bindings
  multiply (a 3-way split and a 4-way split make 12 lines), so the product of each split
  binding's largest split is checked, and reported on the later binding.

Shares are exact: each is ``weight / sum of weights`` as a `fractions.Fraction`, so ratio
parts (1 and 2) and percentages (33.33...) never lose a cent before the body layer rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from trackmap._engine._fingerprint import split_key
from trackmap._engine._mapping import Binding, ByTable, Split
from trackmap._engine._quote import quoted
from trackmap._engine._results import Assignment, Explanation, ShareOption, Violation
from trackmap._engine._schema import TrackingCategory

if TYPE_CHECKING:
    from trackmap._engine._rules import TableEntry

__all__ = [
    "check_split",
    "check_split_product",
    "largest_split",
    "share_fractions",
    "split_assignment",
    "split_token",
]

#: How a violation is made for the binding under check: (code, text, value=, option_id=).
Report = Callable[..., Violation]
#: How a share's option is checked: (category, option_id, what, value) -> violations.
OptionCheck = Callable[[TrackingCategory, str, str, str | None], list[Violation]]


def share_fractions(split: Split) -> tuple[Fraction, ...]:
    """Each share as an exact fraction of the whole (they add up to exactly 1).

    Empty when a weight is not a finite Decimal above zero (rule 10 refuses such a split; an
    unchecked mapping then treats the row as sending nothing).
    """
    weights = [share.weight for share in split.shares]
    if not all(isinstance(w, Decimal) and w.is_finite() and w > 0 for w in weights):
        return ()
    fractions = [Fraction(w) for w in weights]
    total = sum(fractions, Fraction(0))
    return tuple(weight / total for weight in fractions)


def largest_split(binding: Binding) -> tuple[int, str]:
    """How many lines this binding's largest split makes of one line, and its row's value.

    (1, "") for a binding without a split.
    """
    values = binding.values
    if not isinstance(values, ByTable):
        return 1, ""
    sizes = [(len(row.split.shares), row.value) for row in values.rows if row.split is not None]
    return max(sizes, key=lambda size: size[0], default=(1, ""))


def check_split(
    report: Report,
    *,
    row_value: str,
    option_id: str | None,
    split: Split,
    category: TrackingCategory | None,
    check_option: OptionCheck,
    limit: int,
) -> list[Violation]:
    """Every violation of rule 10 by one table row's split (see the module docstring)."""
    where = f"the table row for {quoted(row_value)}"
    found: list[Violation] = []
    if option_id is not None:
        text_ = f"{where} points at an option and also splits; keep one of the two."
        found.append(report("split_with_option", text_, value=row_value))
    if len(split.shares) < 2:  # noqa: PLR2004 - a split of one share is a plain row
        count = len(split.shares)
        text_ = (
            f"{where} splits into {count} share{'' if count == 1 else 's'}; a split needs at "
            "least two, or point the row at one option."
        )
        return [*found, report("split_empty", text_, value=row_value)]
    found.extend(_check_weights(report, where, row_value, split))
    found.extend(_check_duplicates(report, where, row_value, split))
    if len(split.shares) > limit:
        text_ = (
            f"{where} splits into {len(split.shares)} shares, so one line would become "
            f"{len(split.shares)} lines, more than the {limit} trackmap allows; use fewer shares."
        )
        found.append(report("split_too_many_lines", text_, value=row_value))
    if category is not None:
        for number, share in enumerate(split.shares, 1):
            what = f"share {number} of {where} points at"
            found.extend(check_option(category, share.option_id, what, row_value))
    return found


def _check_weights(report: Report, where: str, value: str, split: Split) -> list[Violation]:
    found: list[Violation] = []
    for number, share in enumerate(split.shares, 1):
        weight = share.weight
        if not isinstance(weight, Decimal) or not weight.is_finite() or weight <= 0:
            text_ = (
                f"share {number} of {where} has weight {quoted(str(weight))}; every share "
                "needs a weight above zero."
            )
            found.append(report("share_weight", text_, value=value, option_id=share.option_id))
    if found or not split.percent:
        return found
    total = sum((share.weight for share in split.shares), Decimal(0))
    if total != 100:  # noqa: PLR2004 - percentages
        text_ = (
            f"the shares of {where} add up to {total.normalize():f}%, not 100%; correct "
            "them, or save the split as ratio parts."
        )
        found.append(report("split_total", text_, value=value))
    return found


def _check_duplicates(report: Report, where: str, value: str, split: Split) -> list[Violation]:
    seen: set[str] = set()
    found: list[Violation] = []
    for share in split.shares:
        if share.option_id in seen:
            text_ = (
                f"{where} names option id {quoted(share.option_id)} in two shares; merge them "
                "into one share."
            )
            found.append(report("share_duplicate", text_, value=value, option_id=share.option_id))
        seen.add(share.option_id)
    return found


def check_split_product(
    bindings: Sequence[Binding], limit: int, report_at: Callable[[int], Report]
) -> list[Violation]:
    """Splits on several bindings multiply: their largest splits together must fit ``limit``."""
    sizes = [(index, *largest_split(b)) for index, b in enumerate(bindings)]
    split = [(index, size, row) for index, size, row in sizes if size > 1]
    if len(split) < 2:  # noqa: PLR2004 - one split binding is checked row by row
        return []
    product = 1
    for _, size, _row in split:
        product *= size
    if product <= limit:
        return []
    parts = " and ".join(
        f"binding {index + 1} (row {quoted(row)}) into {size}" for index, size, row in split
    )
    text_ = (
        f"splits multiply: a line split by {parts} would become {product} lines, more than the "
        f"{limit} trackmap allows; use fewer shares."
    )
    last, _, row = split[-1]
    return [report_at(last)("split_too_many_lines", text_, value=row)]


def split_assignment(
    category_id: str, category_name: str, entry: TableEntry, explanation: Explanation
) -> Assignment:
    """The assignment of a split row whose options are all active (the resolver checks)."""
    shares = tuple(
        ShareOption(option_id=option_id, option_name=option.name if option else "", share=part)
        for option_id, option, part in entry.shares
    )
    return Assignment(
        category_id=category_id,
        category_name=category_name,
        option_id=shares[0].option_id,
        option_name=shares[0].option_name,
        explanation=explanation,
        shares=shares,
    )


def split_token(assignment: Assignment) -> tuple[str, str]:
    """The resolver's memo token of a split assignment (category id, option key)."""
    parts = [(s.option_id, s.share) for s in assignment.shares]
    return assignment.category_id, split_key(parts)
