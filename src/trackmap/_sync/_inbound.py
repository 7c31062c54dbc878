"""The inbound side: documents and options read from Xero, for matching, routing and mirroring.

Two pulls, each resumable from a cursor the host stores between syncs:

- `pull_documents`: invoices and bills (or other kinds) modified since a time, page by page
  through `Target.read_documents`, turned into the engine's `TrackedDocument` values for
  `trackmap._engine._match.match_documents` and `trackmap._engine._approvals.route`. The next
  cursor is the latest ``UpdatedDateUTC`` seen. Xero answers ``If-Modified-Since`` with the
  documents modified after it, so a document saved in the same second as the cursor but after the
  pull is picked up by a later change only; matching is stable across re-pulls, so pulling a
  document twice is always harmless.
- `sync_reference_data`: the options of a chosen category, compared with the stored
  `OptionSnapshot` (Xero has no modification times on options: one read of the whole list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._match import TrackedDocument, TrackedLine, TrackedOption
from trackmap._engine._reference import OptionSnapshot, ReferenceChanges, option_changes
from trackmap._sync._target import RemoteDocument, Target
from trackmap.errors import TargetError

__all__ = [
    "DEFAULT_KINDS",
    "Pulled",
    "pull_documents",
    "sync_reference_data",
    "tracked_document",
]

DEFAULT_KINDS = (DocumentKind.SALES_INVOICE, DocumentKind.BILL)
"""What `pull_documents` reads unless told otherwise: Scoro's and ApprovalMax's documents."""


def _remote(items: Iterable[RemoteDocument]) -> tuple[RemoteDocument, ...]:
    return tuple(items)


def _tracked(items: Iterable[TrackedDocument]) -> tuple[TrackedDocument, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class Pulled:
    """The documents one pull read, and the cursor for the next one.

    Attributes:
        documents: The documents as the engine takes them (key = Xero id, label = number).
        remote: The same documents as the target read them (statuses, totals, contacts).
        cursor: The latest modification time seen, or the ``since`` given when nothing was
            read: hand it back as ``since`` next time (``cursor.isoformat()`` stores it).
        pages: How many pages were read (one call each).
    """

    documents: tuple[TrackedDocument, ...] = attrs.field(converter=_tracked)
    remote: tuple[RemoteDocument, ...] = attrs.field(converter=_remote)
    cursor: dt.datetime | None
    pages: int


def tracked_document(remote: RemoteDocument) -> TrackedDocument:
    """A document read from the target, as the engine's `TrackedDocument`.

    Lines are keyed by their position from 1, as Xero lists them.
    """
    lines = (
        TrackedLine(
            key=str(position),
            tracking=tuple(TrackedOption.of(entry) for entry in line.tracking),
        )
        for position, line in enumerate(remote.lines, 1)
    )
    return TrackedDocument(
        key=remote.xero_id, kind=remote.kind, lines=lines, label=remote.number or ""
    )


def pull_documents(
    target: Target,
    kinds: Iterable[DocumentKind] = DEFAULT_KINDS,
    *,
    since: dt.datetime | None = None,
) -> Pulled:
    """Read every document of ``kinds`` modified after ``since`` (all of them when None).

    A document seen twice (it moved between pages while paging) is kept once, as last read.

    Raises:
        TargetError: The target failed (rate limits, network...), or paged backwards.
    """
    since = _aware(since)
    found: dict[tuple[DocumentKind, str], RemoteDocument] = {}
    pages = 0
    for kind in dict.fromkeys(kinds):
        for page in _pages(target, kind, since):
            pages += 1
            found.update(((d.kind, d.xero_id), d) for d in page)
    remote = tuple(found.values())
    return Pulled(
        documents=(tracked_document(d) for d in remote),
        remote=remote,
        cursor=_latest(remote, since),
        pages=pages,
    )


def _pages(
    target: Target, kind: DocumentKind, since: dt.datetime | None
) -> Iterator[tuple[RemoteDocument, ...]]:
    page: int | None = 1
    while page is not None:
        answer = target.read_documents(kind, modified_since=since, page=page)
        yield answer.documents
        if answer.next_page is not None and answer.next_page <= page:
            message = (
                f"The target answered page {page} of {kind.value.replace('_', ' ')}s with next "
                f"page {answer.next_page}; trackmap stopped rather than read forever."
            )
            raise TargetError(message)
        page = answer.next_page


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # Xero's times are UTC; a naive cursor is taken as UTC rather than as local time.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def _latest(documents: Iterable[RemoteDocument], since: dt.datetime | None) -> dt.datetime | None:
    times = [t for d in documents if (t := _aware(d.updated_at)) is not None]
    if since is not None:
        times.append(since)
    return max(times, default=None)


def sync_reference_data(
    target: Target, category_id: str, *, cursor: OptionSnapshot | None = None
) -> ReferenceChanges:
    """Read the schema and report the options of ``category_id`` changed since ``cursor``.

    Store ``result.cursor.dump()`` and pass `OptionSnapshot.load` of it next time; without a
    cursor (the first sync) every option is reported as added.
    """
    return option_changes(target.read_schema(), category_id, since=cursor)
