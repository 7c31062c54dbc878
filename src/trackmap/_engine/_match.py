"""Inbound matching: attach documents read back from Xero to host records by a category's option.

Scoro's rule: a Xero invoice or bill belongs to the host project whose name equals the option of a
chosen "Project" category. trackmap states it precisely:

Rule 1. Each line is read for its option of the chosen category (held by id); a line without one
        says nothing about the document (a freight line, say).
Rule 2. A host record that stored an option id matches by that id only: the id is authoritative,
        so a later rename in Xero changes nothing. A record without a stored id matches when its
        name equals the option's name after trackmap's normalisation (trim, collapse spaces,
        case fold: `trackmap._engine._names`).
Rule 3. An option that equals several records' names (or ids) is AMBIGUOUS, never a guess.
Rule 4. A document is MATCHED when its lines point at exactly one record, UNMATCHED when they point
        at none (no option, or an option that matches nothing) and a CONFLICT when they point at
        different records or options (a bill with lines on two projects).
Rule 5. The outcome depends on the document's content only: the same document pulled again, or
        with its lines in another order, matches the same way. Store the matched option id on the
        record and later renames in Xero keep the match.

Documents come in as `TrackedDocument` values: the engine does no I/O, so the delivery layer turns
what it read from Xero into these, and `tracked_from_resolution` turns an outbound `Resolution`.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from typing import Protocol

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._guard import document_error, guarded
from trackmap._engine._names import normalise
from trackmap._engine._quote import listed, quoted, safe_text
from trackmap._engine._results import Resolution

__all__ = [
    "DocumentMatch",
    "Entity",
    "LineMatch",
    "MatchOutcome",
    "MatchReason",
    "MatchReport",
    "TrackedDocument",
    "TrackedLine",
    "TrackingEntry",
    "match_documents",
    "tracked_from_resolution",
]


class _Entry(Protocol):
    """Anything that names a category and its option: an `Assignment`, a `TrackingEntry`."""

    @property
    def category_id(self) -> str: ...
    @property
    def category_name(self) -> str: ...
    @property
    def option_id(self) -> str | None: ...
    @property
    def option_name(self) -> str: ...


@attrs.frozen(kw_only=True)
class TrackingEntry:
    """One tracking entry on a line: a category and its option (id None if not yet created).

    The one value for "category = option" wherever a line's tracking is held without a reason:
    what a push sends (`PushItem`), what Xero echoes or holds (`RemoteLine`), what a tracked
    document carries (`TrackedLine`). `Assignment` is the resolver's entry, with its
    `Explanation`; `TrackingEntry.of` takes the entry of either.
    """

    category_id: str
    category_name: str = ""
    option_id: str | None = None
    option_name: str = ""

    @classmethod
    def of(cls, entry: _Entry) -> TrackingEntry:
        """The entry of a resolved line (`Assignment`), or a copy of another entry."""
        return cls(
            category_id=entry.category_id,
            category_name=entry.category_name,
            option_id=entry.option_id,
            option_name=entry.option_name,
        )


def _options(items: Iterable[TrackingEntry]) -> tuple[TrackingEntry, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class TrackedLine:
    """One line of a tracked document and its tracking entries."""

    key: str
    tracking: tuple[TrackingEntry, ...] = attrs.field(default=(), converter=_options)

    def option_of(self, category_id: str) -> TrackingEntry | None:
        """The line's entry for ``category_id``, or None."""
        return next((t for t in self.tracking if t.category_id == category_id), None)


def _lines(items: Iterable[TrackedLine]) -> tuple[TrackedLine, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class TrackedDocument:
    """A document with the tracking on its lines: pulled from Xero, or resolved for sending.

    Attributes:
        key: The document's identity (the Xero id for a pulled document, the host key otherwise).
        kind: Which kind of Xero document it is.
        lines: Its lines in order.
        label: How messages name it (the invoice number, say); defaults to the key.
    """

    key: str
    kind: DocumentKind
    lines: tuple[TrackedLine, ...] = attrs.field(default=(), converter=_lines)
    label: str = ""

    @property
    def title(self) -> str:
        """The label, or the key when there is no label."""
        return self.label or self.key


def tracked_from_resolution(resolution: Resolution, *, label: str = "") -> TrackedDocument:
    """The tracking a resolved outbound document would carry, as a `TrackedDocument`.

    A line that splits is its parts, as they are sent (keys ``3 (60%)``, ``3 (40%)``).
    """
    lines = (
        TrackedLine(key=key, tracking=tuple(TrackingEntry.of(a) for a in assignments))
        for line in resolution.lines
        for key, assignments in (
            [(f"{line.key} ({p.label})", p.assignments) for p in line.parts]
            or [(line.key, line.assignments)]
        )
    )
    return TrackedDocument(
        key=resolution.document_key, kind=resolution.kind, lines=lines, label=label
    )


@attrs.frozen(kw_only=True)
class Entity:
    """A host record documents can be attached to (a project), with its option id if stored."""

    key: str
    name: str
    option_id: str | None = None


class MatchOutcome(enum.Enum):
    """What became of one document."""

    MATCHED = "matched"
    UNMATCHED = "unmatched"
    CONFLICT = "conflict"


class MatchReason(enum.Enum):
    """Why a line or a document matched, or did not."""

    BY_ID = "by_id"  # the option id a record stored
    BY_NAME = "by_name"  # the option name equals a record's name after normalisation
    NO_OPTION = "no_option"  # no option of the chosen category
    NO_RECORD = "no_record"  # the option matches no record
    AMBIGUOUS = "ambiguous"  # the option matches several records
    DIFFERENT = "different"  # lines point at different records or options


@attrs.frozen(kw_only=True)
class LineMatch:
    """How one line matched: its option of the chosen category and the records it points at."""

    line_key: str
    reason: MatchReason
    option: TrackingEntry | None = None
    entities: tuple[Entity, ...] = ()

    @property
    def matched(self) -> bool:
        """Whether the line points at exactly one record."""
        return self.reason in {MatchReason.BY_ID, MatchReason.BY_NAME}


@attrs.frozen(kw_only=True)
class DocumentMatch:
    """The outcome for one document, the reason, and every line's match.

    Attributes:
        document_key: The document's key.
        outcome: Matched, unmatched or conflict.
        reason: Why (for a match: by id if any line matched by id, else by name).
        entities: The record matched (one); else, sorted by key, the records matched by the
            lines in conflict, or the candidates of an ambiguous option.
        option: The option the document matched by: store its id on the record.
        lines: Every line's match, in the document's order.
        message: A sentence a host can show its end user unchanged.
    """

    document_key: str
    outcome: MatchOutcome
    reason: MatchReason
    entities: tuple[Entity, ...]
    option: TrackingEntry | None
    lines: tuple[LineMatch, ...]
    message: str

    @property
    def entity(self) -> Entity | None:
        """The record the document is attached to, when it matched."""
        return self.entities[0] if self.outcome is MatchOutcome.MATCHED else None


@attrs.frozen(kw_only=True)
class MatchReport:
    """Every document's match, in the order given."""

    results: tuple[DocumentMatch, ...] = ()

    def _of(self, outcome: MatchOutcome) -> tuple[DocumentMatch, ...]:
        return tuple(r for r in self.results if r.outcome is outcome)

    @property
    def matched(self) -> tuple[DocumentMatch, ...]:
        """Documents attached to one record."""
        return self._of(MatchOutcome.MATCHED)

    @property
    def unmatched(self) -> tuple[DocumentMatch, ...]:
        """Documents attached to no record."""
        return self._of(MatchOutcome.UNMATCHED)

    @property
    def conflicts(self) -> tuple[DocumentMatch, ...]:
        """Documents whose lines point at different records or options."""
        return self._of(MatchOutcome.CONFLICT)


@attrs.frozen(kw_only=True)
class _Index:
    by_id: Mapping[str, tuple[Entity, ...]]
    by_name: Mapping[str, tuple[Entity, ...]]


def _index(entities: Iterable[Entity]) -> _Index:
    by_id: dict[str, list[Entity]] = {}
    by_name: dict[str, list[Entity]] = {}
    for entity in entities:
        if entity.option_id is not None:
            by_id.setdefault(entity.option_id, []).append(entity)
        else:
            by_name.setdefault(normalise(entity.name), []).append(entity)
    return _Index(
        by_id={k: tuple(v) for k, v in by_id.items()},
        by_name={k: tuple(v) for k, v in by_name.items()},
    )


def match_documents(
    documents: Iterable[TrackedDocument],
    entities: Iterable[Entity],
    category_id: str,
    *,
    category_name: str = "",
) -> MatchReport:
    """Match every document to a host record by its option of ``category_id`` (module rules).

    Args:
        documents: The documents, pulled from Xero or resolved.
        entities: The host records documents may belong to.
        category_id: The chosen category (Scoro's "Project").
        category_name: How messages name the category; by default the name the lines carry.
    """
    index = guarded(lambda: _index(entities), document_error("read the records to match"))
    results = []
    for document in guarded(lambda: iter(documents), document_error("read the documents")):
        key = getattr(document, "key", None) if isinstance(document, TrackedDocument) else None
        error = document_error("match a document", key)
        work = functools.partial(_match, document, index, category_id, category_name)
        results.append(guarded(work, error))
    return MatchReport(results=tuple(results))


def _match_line(line: TrackedLine, category_id: str, index: _Index) -> LineMatch:
    option = line.option_of(category_id)
    if option is None:
        return LineMatch(line_key=line.key, reason=MatchReason.NO_OPTION)
    found = index.by_id.get(option.option_id, ()) if option.option_id else ()
    reason = MatchReason.BY_ID
    if not found:
        found, reason = index.by_name.get(normalise(option.option_name), ()), MatchReason.BY_NAME
    if len(found) != 1:
        reason = MatchReason.AMBIGUOUS if found else MatchReason.NO_RECORD
    return LineMatch(line_key=line.key, reason=reason, option=option, entities=found)


def _target(line: LineMatch) -> tuple[str, str]:
    # What a line points at: a record when it matched, else the option itself.
    if line.matched:
        return ("record", line.entities[0].key)
    option = line.option
    return ("option", option.option_id or normalise(option.option_name) if option else "")


def _representative(lines: Iterable[LineMatch]) -> LineMatch:
    # The same choice whatever the line order: by-id matches first, then the smallest option.
    def rank(line: LineMatch) -> tuple[bool, str, str]:
        option = line.option or TrackingEntry(category_id="")
        return (line.reason is not MatchReason.BY_ID, option.option_id or "", option.option_name)

    return min(lines, key=rank)


def _match(
    document: TrackedDocument, index: _Index, category_id: str, category_name: str
) -> DocumentMatch:
    lines = tuple(_match_line(line, category_id, index) for line in document.lines)
    pointing = [line for line in lines if line.reason is not MatchReason.NO_OPTION]
    targets = {_target(line) for line in pointing}
    name = category_name or next((ln.option.category_name for ln in pointing if ln.option), "")
    words = _Words(document=document, category=safe_text(name or category_id))
    if len(targets) > 1:
        return _conflict(document, lines, pointing, words)
    if not targets:
        return _result(document, MatchOutcome.UNMATCHED, MatchReason.NO_OPTION, lines, words)
    line = _representative(pointing)
    if not line.matched:
        return _result(document, MatchOutcome.UNMATCHED, line.reason, lines, words, line=line)
    by_id = any(ln.reason is MatchReason.BY_ID for ln in pointing)
    reason = MatchReason.BY_ID if by_id else MatchReason.BY_NAME
    return _result(document, MatchOutcome.MATCHED, reason, lines, words, line=line)


@attrs.frozen(kw_only=True)
class _Words:
    document: TrackedDocument
    category: str

    @property
    def subject(self) -> str:
        kind = self.document.kind.value.replace("_", " ").capitalize()
        return f"{kind} {quoted(self.document.title)}"


def _result(
    document: TrackedDocument,
    outcome: MatchOutcome,
    reason: MatchReason,
    lines: tuple[LineMatch, ...],
    words: _Words,
    *,
    line: LineMatch | None = None,
) -> DocumentMatch:
    entities = line.entities if line else ()
    option = line.option if line else None
    return DocumentMatch(
        document_key=document.key,
        outcome=outcome,
        reason=reason,
        entities=entities if outcome is MatchOutcome.MATCHED else tuple(_sorted(entities)),
        option=option,
        lines=lines,
        message=_sentence(reason, words, option, entities),
    )


def _sorted(entities: Iterable[Entity]) -> list[Entity]:
    # Each record once, by key: the stable order of messages and conflicts.
    return sorted({e.key: e for e in entities}.values(), key=lambda e: e.key)


def _sentence(
    reason: MatchReason, words: _Words, option: TrackingEntry | None, entities: tuple[Entity, ...]
) -> str:
    subject, category = words.subject, words.category
    if option is None:
        return f"{subject} has no {category} option on any line, so it matches no record."
    named = f"{category} option {quoted(option.option_name)}"
    records = listed([quoted(e.name) for e in _sorted(entities)])
    sentences = {
        MatchReason.BY_ID: f"{subject} is attached to {records}: its {named} is the one it stored.",
        MatchReason.BY_NAME: f"{subject} is attached to {records}: its {named} equals that name.",
        MatchReason.NO_RECORD: (
            f"{subject} matches no record: its {named} is no record's name (records that "
            "stored an option id match by that id only)."
        ),
        MatchReason.AMBIGUOUS: (
            f"{subject} matches several records ({records}) by its {named}; store the option "
            "id on the right one."
        ),
    }
    return sentences[reason]


def _conflict(
    document: TrackedDocument,
    lines: tuple[LineMatch, ...],
    pointing: Iterable[LineMatch],
    words: _Words,
) -> DocumentMatch:
    pointing = tuple(pointing)
    options = sorted({f"{quoted(ln.option.option_name)}" for ln in pointing if ln.option})
    message = (
        f"{words.subject} has lines on different {words.category} options "
        f"({listed(options)}), so it cannot be attached to one record."
    )
    return DocumentMatch(
        document_key=document.key,
        outcome=MatchOutcome.CONFLICT,
        reason=MatchReason.DIFFERENT,
        entities=tuple(_sorted(e for ln in pointing if ln.matched for e in ln.entities)),
        option=None,
        lines=lines,
        message=message,
    )
