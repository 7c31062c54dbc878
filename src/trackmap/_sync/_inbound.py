"""The inbound side: documents and options read from Xero, for matching, routing and mirroring.

Two pulls, each resumable from a cursor the host stores between syncs:

- `pull_documents`: invoices and bills (or other kinds) modified since a cursor, page by page
  through `Target.read_documents`, turned into the engine's `TrackedDocument` values for
  `trackmap._engine._match.match_documents` and `trackmap._engine._approvals.route`.
- `sync_reference_data`: the options of a chosen category, compared with the stored
  `OptionSnapshot` (Xero has no modification times on options: one read of the whole list).

The document cursor (`PullCursor`) makes "every document version exactly once across pulls"
hold, ties included. A cursor that were only the newest ``UpdatedDateUTC`` seen (T) loses a
document saved in the same instant T after the pull: FakeXero, like the reading of Xero's
``If-Modified-Since`` as "modified after", answers only documents newer than T. Whether Xero
compares inclusively, and to what precision it reads the header, is not documented (XERO.md),
so the cursor depends on neither: each pull asks from T minus an OVERLAP (5 seconds unless told
otherwise) and the cursor remembers every document version (kind, id, ``UpdatedDateUTC``) it
returned inside that window, so those are not returned again, while one saved later in the
window, or at T itself, is. A document saved within the overlap before T but visible only
after the pull (a slow commit) is still found; one that becomes visible more than the overlap
late is not, which is what the overlap setting bounds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._match import TrackedDocument, TrackedLine, TrackingEntry
from trackmap._engine._reference import OptionSnapshot, ReferenceChanges, option_changes
from trackmap._sync._target import RemoteDocument, Target
from trackmap.errors import SettingsError, SettingsProblem, TargetError

__all__ = [
    "DEFAULT_KINDS",
    "DEFAULT_OVERLAP",
    "PullCursor",
    "Pulled",
    "pull_documents",
    "sync_reference_data",
    "tracked_document",
]

DEFAULT_KINDS = (DocumentKind.SALES_INVOICE, DocumentKind.BILL)
"""What `pull_documents` reads unless told otherwise: Scoro's and ApprovalMax's documents."""

DEFAULT_OVERLAP = dt.timedelta(seconds=5)
"""How far before the newest time seen each pull reads again (see the module notes)."""

_CURSOR_VERSION = 1
_Seen = tuple[DocumentKind, str, dt.datetime]


def _seen(items: Iterable[_Seen]) -> tuple[_Seen, ...]:
    return tuple(sorted(set(items), key=lambda s: (s[2], s[0].value, s[1])))


@attrs.frozen(kw_only=True)
class PullCursor:
    """Where the next `pull_documents` starts: store ``dump()``, hand back `PullCursor.load`.

    Attributes:
        at: The newest modification time seen.
        seen: The document versions (kind, Xero id, modification time) already returned that
            lie within the overlap before ``at``: the next pull reads that window again and
            leaves these out.
    """

    at: dt.datetime
    seen: tuple[_Seen, ...] = attrs.field(default=(), converter=_seen)

    def isoformat(self) -> str:
        """The newest modification time seen, as ISO 8601 (for logs; store `dump`)."""
        return self.at.isoformat()

    def dump(self) -> dict[str, object]:
        """Return a JSON-able dict that `PullCursor.load` reads back."""
        return {
            "version": _CURSOR_VERSION,
            "at": self.at.isoformat(),
            "seen": [
                [kind.value, xero_id, moment.isoformat()] for kind, xero_id, moment in self.seen
            ],
        }

    @classmethod
    def load(cls, data: object) -> PullCursor:
        """Read a dict made by `dump` (parsed from JSON).

        Raises:
            SettingsError: The data is not a pull cursor; ``problems`` says where and why.
        """
        try:
            if not isinstance(data, dict) or data.get("version") != _CURSOR_VERSION:
                msg = f"not a version {_CURSOR_VERSION} pull cursor"
                raise ValueError(msg)  # noqa: TRY301 - one report for every malformed shape
            seen = [
                (DocumentKind(str(kind)), str(xero_id), _moment(str(moment)))
                for kind, xero_id, moment in data["seen"]
            ]
            return cls(at=_moment(str(data["at"])), seen=seen)
        except (ValueError, TypeError, KeyError) as exc:
            detail = ascii(str(exc))[1:-1][:200]
            problem = SettingsProblem("$", f"This is not a stored pull cursor ({detail}).")
            raise SettingsError([problem], subject="the pull cursor") from exc


def _moment(text: str) -> dt.datetime:
    moment = _aware(dt.datetime.fromisoformat(text))
    assert moment is not None  # noqa: S101 - fromisoformat never returns None
    return moment


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
        cursor: Where the next pull starts (None when nothing was ever read): hand it back
            as ``since`` next time; ``cursor.dump()`` stores it, `PullCursor.load` reads it.
        pages: How many pages were read (one call each).
    """

    documents: tuple[TrackedDocument, ...] = attrs.field(converter=_tracked)
    remote: tuple[RemoteDocument, ...] = attrs.field(converter=_remote)
    cursor: PullCursor | None
    pages: int


def tracked_document(remote: RemoteDocument) -> TrackedDocument:
    """A document read from the target, as the engine's `TrackedDocument`.

    Lines are keyed by their position from 1, as Xero lists them.
    """
    lines = (
        TrackedLine(
            key=str(position),
            tracking=tuple(TrackingEntry.of(entry) for entry in line.tracking),
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
    since: PullCursor | dt.datetime | None = None,
    overlap: dt.timedelta = DEFAULT_OVERLAP,
) -> Pulled:
    """Read every document of ``kinds`` changed since ``since`` (all of them when None).

    With the `PullCursor` of the previous pull, every document version comes back exactly
    once across pulls, including one saved in the same instant as the newest one the previous
    pull returned. A bare datetime (a cursor stored by an older trackmap) reads what was
    modified after it, as before. A document seen twice within one pull (it moved between
    pages while paging) is kept once, as last read.

    Raises:
        TargetError: The target failed (rate limits, network...), or paged backwards.
    """
    cursor = since if isinstance(since, PullCursor) else None
    after = _aware(since) if isinstance(since, dt.datetime) else None
    ask = cursor.at - overlap if cursor is not None else after
    found: dict[tuple[DocumentKind, str], RemoteDocument] = {}
    pages = 0
    for kind in dict.fromkeys(kinds):
        for page in _pages(target, kind, ask):
            pages += 1
            found.update(((d.kind, d.xero_id), d) for d in page)
    seen = frozenset(cursor.seen) if cursor is not None else frozenset()
    remote = tuple(d for d in found.values() if _new(d, cursor, seen, after, overlap))
    return Pulled(
        documents=(tracked_document(d) for d in remote),
        remote=remote,
        cursor=_next_cursor(remote, cursor, after, overlap),
        pages=pages,
    )


def _new(
    doc: RemoteDocument,
    cursor: PullCursor | None,
    seen: frozenset[_Seen],
    after: dt.datetime | None,
    overlap: dt.timedelta,
) -> bool:
    """Whether a document read is one the host has not had from an earlier pull."""
    moment = _aware(doc.updated_at)
    if moment is None:
        return True  # no time to place it by: the target's own filter is all there is
    if after is not None:
        return moment > after
    if cursor is None:
        return True
    return moment >= cursor.at - overlap and (doc.kind, doc.xero_id, moment) not in seen


def _next_cursor(
    remote: Iterable[RemoteDocument],
    cursor: PullCursor | None,
    after: dt.datetime | None,
    overlap: dt.timedelta,
) -> PullCursor | None:
    versions = [
        (d.kind, d.xero_id, moment) for d in remote if (moment := _aware(d.updated_at)) is not None
    ]
    if cursor is not None:
        versions.extend(cursor.seen)
    times = [moment for _, _, moment in versions]
    times.extend(t for t in (cursor.at if cursor else None, after) if t is not None)
    if not times:
        return None
    newest = max(times)
    return PullCursor(at=newest, seen=(v for v in versions if v[2] >= newest - overlap))


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


def sync_reference_data(
    target: Target, category_id: str, *, cursor: OptionSnapshot | None = None
) -> ReferenceChanges:
    """Read the schema and report the options of ``category_id`` changed since ``cursor``.

    Store ``result.cursor.dump()`` and pass `OptionSnapshot.load` of it next time; without a
    cursor (the first sync) every option is reported as added.
    """
    return option_changes(target.read_schema(), category_id, since=cursor)
