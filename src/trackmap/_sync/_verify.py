"""Read-back verification: what Xero echoed against what was sent, line by line.

Xero silently drops tracking it does not accept (an unknown or archived option) and reports
success: the most reported problem in every Xero SDK (XERO.md). So every difference between the
tracking sent and the tracking echoed is an ERROR `Problem` naming the document, the line, the
category and the option; never a quiet success.

Entries are matched per category by id; the option by id when both sides have one, else by
normalised name. A pure function: the push calls it on every answer (`PushResult.echoed`, or
the documents read back by id when an answer carries no lines), and hosts may call it too.
"""

from __future__ import annotations

from collections.abc import Sequence

from trackmap._engine._names import normalise
from trackmap._engine._results import Problem, Severity
from trackmap._sync._target import TrackingEntry

__all__ = ["verify_tracking"]

Lines = Sequence[Sequence[TrackingEntry]]


def verify_tracking(
    sent: Lines,
    echoed: Lines,
    *,
    document_key: str,
    document: str = "",
    line_keys: Sequence[str] = (),
) -> tuple[Problem, ...]:
    """Compare the tracking Xero echoed for each line with what was sent.

    Args:
        sent: The entries sent, one sequence per line, in order.
        echoed: The entries Xero echoed, one sequence per line, in order.
        document_key: The document's key, for the problems.
        document: How messages name the document ('invoice "INV-42"'); defaults to the key.
        line_keys: The lines' keys, in order; lines are numbered from 1 where none is given.

    Returns:
        One ERROR problem per difference; empty when Xero kept everything as sent.
    """
    name = document or f'document "{document_key}"'
    problems: list[Problem] = []
    if len(sent) != len(echoed):
        problems.append(_line_count(name, document_key, len(sent), len(echoed)))
    for index, (out, back) in enumerate(zip(sent, echoed, strict=False)):
        line_key = line_keys[index] if index < len(line_keys) else str(index + 1)
        place = _Place(name, document_key, line_key, index + 1)
        problems.extend(_compare_line(place, out, back))
    return tuple(problems)


class _Place:
    __slots__ = ("document", "document_key", "line_key", "number")

    def __init__(self, document: str, document_key: str, line_key: str, number: int) -> None:
        self.document = document
        self.document_key = document_key
        self.line_key = line_key
        self.number = number

    def problem(self, code: str, message: str, entry: TrackingEntry) -> Problem:
        return Problem(
            severity=Severity.ERROR,
            code=code,
            message=message,
            document_key=self.document_key,
            line_key=self.line_key,
            category_id=entry.category_id,
            category_name=entry.category_name,
            value=entry.option_name,
        )


def _line_count(document: str, key: str, sent: int, echoed: int) -> Problem:
    return Problem(
        severity=Severity.ERROR,
        code="echo_line_count",
        message=(
            f"Xero echoed {echoed} lines of {document} where trackmap sent {sent}; "
            "its tracking cannot be checked line by line."
        ),
        document_key=key,
    )


def _same_option(a: TrackingEntry, b: TrackingEntry) -> bool:
    if a.option_id is not None and b.option_id is not None:
        return a.option_id == b.option_id
    return normalise(a.option_name) == normalise(b.option_name)


def _label(entry: TrackingEntry) -> str:
    return f"{entry.category_name} = {entry.option_name}"


def _compare_line(
    place: _Place, sent: Sequence[TrackingEntry], echoed: Sequence[TrackingEntry]
) -> list[Problem]:
    back = {entry.category_id: entry for entry in echoed}
    out = {entry.category_id for entry in sent}
    where = f"line {place.number} of {place.document}"
    problems: list[Problem] = []
    for entry in sent:
        got = back.get(entry.category_id)
        if got is None:
            message = f'Xero dropped tracking "{_label(entry)}" from {where}.'
            problems.append(place.problem("tracking_dropped", message, entry))
        elif not _same_option(entry, got):
            message = f'Xero put "{_label(got)}" on {where} where trackmap sent "{_label(entry)}".'
            problems.append(place.problem("tracking_changed", message, entry))
    for entry in echoed:
        if entry.category_id not in out:
            message = f'Xero added tracking "{_label(entry)}" to {where}; trackmap sent none.'
            problems.append(place.problem("tracking_added", message, entry))
    return problems
