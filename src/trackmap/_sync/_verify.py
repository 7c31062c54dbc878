"""Read-back verification: the tracking Xero echoed, compared with the tracking sent.

Xero's most reported failure is tracking silently missing from a created document (XERO.md):
an unknown or archived option is dropped, not rejected. So every line's echoed tracking is
checked against what was sent, and any entry missing is a loud message on the document.
An entry counts as echoed when the same category comes back with the same option id, or, when
either side has no option id, with an option of the same normalised name.
"""

from __future__ import annotations

import itertools

from trackmap._engine._document import DocumentKind
from trackmap._engine._names import normalise
from trackmap._sync._keys import kind_label
from trackmap._sync._target import TrackingEntry

__all__ = ["dropped_tracking"]

Lines = tuple[tuple[TrackingEntry, ...], ...]


def _same(sent: TrackingEntry, echoed: TrackingEntry) -> bool:
    if sent.category_id != echoed.category_id:
        return False
    if sent.option_id is not None and echoed.option_id is not None:
        return sent.option_id == echoed.option_id
    return normalise(sent.option_name) == normalise(echoed.option_name)


def dropped_tracking(kind: DocumentKind, title: str, sent: Lines, echoed: Lines) -> tuple[str, ...]:
    """Say, entry by entry, what tracking Xero did not keep (empty when all of it came back).

    >>> from trackmap._sync._target import TrackingEntry
    >>> perth = TrackingEntry(category_id="c", category_name="Region", option_id="o",
    ...                       option_name="Perth")
    >>> dropped_tracking(DocumentKind.SALES_INVOICE, "INV-42", ((perth,), (perth,)), ((perth,), ()))
    ('Xero dropped tracking "Region = Perth" from line 2 of sales invoice "INV-42".',)
    """
    messages: list[str] = []
    pairs = itertools.zip_longest(sent, echoed, fillvalue=())
    for number, (sent_line, echoed_line) in enumerate(pairs, start=1):
        messages.extend(
            f'Xero dropped tracking "{entry.category_name} = {entry.option_name}" from line '
            f'{number} of {kind_label(kind)} "{title}".'
            for entry in sent_line
            if not any(_same(entry, back) for back in echoed_line)
        )
    return tuple(messages)
