"""trackmap.inbound: read documents back from Xero and attach them to a host's records.

See ``docs/inbound.md``.

- Pulling: `pull_documents` reads the documents of some kinds changed since a `PullCursor`
  and returns them `Pulled` with the next cursor, as `trackmap.TrackedDocument` s
  (`tracked_document` turns one `trackmap.RemoteDocument` into one).
- Matching: `match_documents` attaches each document to the host record (`Entity`) named by
  its option of a chosen category, by option id, else by name: a `MatchReport` of
  `DocumentMatch` es, each with its `MatchOutcome`, its `MatchReason` and one `LineMatch` per
  line.

The delivery names load on first use, so that importing this module loads no I/O library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trackmap._engine._match import (
    DocumentMatch,
    Entity,
    LineMatch,
    MatchOutcome,
    MatchReason,
    MatchReport,
    match_documents,
)
from trackmap._lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from trackmap._sync._inbound import PullCursor, Pulled, pull_documents, tracked_document

_LAZY: dict[str, str] = {
    "PullCursor": "trackmap._sync._inbound",
    "Pulled": "trackmap._sync._inbound",
    "pull_documents": "trackmap._sync._inbound",
    "tracked_document": "trackmap._sync._inbound",
}

__all__ = [
    "DocumentMatch",
    "Entity",
    "LineMatch",
    "MatchOutcome",
    "MatchReason",
    "MatchReport",
    "PullCursor",
    "Pulled",
    "match_documents",
    "pull_documents",
    "tracked_document",
]


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, __all__)
