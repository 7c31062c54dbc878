"""Status sync back: Xero's current status of the documents trackmap delivered.

TrackerRMS's "Sync from the Accounts System": a bank feed marks an invoice paid in Xero, and the
host wants to know. `refresh_statuses` walks the ledger's documents that have a Xero id, asks the
target for their statuses in pages of ids (one call per page), stores each status in the ledger
and reports what changed since the last refresh (DRAFT -> AUTHORISED -> PAID, VOIDED, DELETED,
or gone from Xero altogether). A day limit stops it cleanly with what it has learnt so far.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Sequence

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._sync._keys import kind_label
from trackmap._sync._ledger import Ledger, LedgerEntry
from trackmap._sync._progress import Phase, Progress, ProgressCallback
from trackmap._sync._target import Target
from trackmap.errors import TargetError

__all__ = ["StatusChange", "StatusReport", "refresh_statuses"]


@attrs.frozen(kw_only=True)
class StatusChange:
    """One document whose status in Xero changed since the last refresh.

    ``before`` is None at the first refresh; ``after`` is None when Xero no longer has it.
    """

    kind: DocumentKind
    key: str
    xero_id: str
    number: str | None
    before: str | None
    after: str | None

    def sentence(self) -> str:
        """Say it: 'sales invoice "INV-42" is now PAID in Xero (was AUTHORISED).'."""
        name = f'{kind_label(self.kind)} "{self.number or self.key}"'
        was = f" (was {self.before})" if self.before else ""
        if self.after is None:
            return f"{name} was not found in Xero any more{was}."
        return f"{name} is now {self.after} in Xero{was}."


@attrs.frozen(kw_only=True)
class StatusReport:
    """What a refresh learnt.

    Attributes:
        checked: Documents whose status was asked for.
        calls: Calls made to the target.
        changes: The documents whose status changed, in kind and key order.
        stopped: Why the refresh stopped early (a day limit...), or "".
    """

    checked: int
    calls: int
    changes: tuple[StatusChange, ...] = ()
    stopped: str = ""


def _pages(entries: Iterable[LedgerEntry], size: int) -> Iterator[list[LedgerEntry]]:
    iterator = iter(entries)
    while page := list(itertools.islice(iterator, size)):
        yield page


def _changes(page: Sequence[LedgerEntry], statuses: dict[str, str]) -> list[StatusChange]:
    changes = []
    for entry in page:
        xero_id = entry.xero_id or ""
        after = statuses.get(xero_id)
        if after != entry.remote_status:
            changes.append(
                StatusChange(
                    kind=entry.kind,
                    key=entry.key,
                    xero_id=xero_id,
                    number=entry.number,
                    before=entry.remote_status,
                    after=after,
                )
            )
    return changes


def refresh_statuses(
    target: Target,
    ledger: Ledger,
    *,
    kinds: Sequence[DocumentKind] | None = None,
    keys: Collection[str] | None = None,
    page_size: int = 50,
    progress: ProgressCallback | None = None,
) -> StatusReport:
    """Refresh Xero's status of delivered documents, in pages of ids; report what changed.

    Args:
        target: The organisation.
        ledger: Holds the documents (and receives their statuses).
        kinds: Only these kinds (default: all).
        keys: Only these document keys (default: all the ledger has).
        page_size: Ids per call.
        progress: Called after every page.
    """
    checked = calls = 0
    changes: list[StatusChange] = []
    for kind in kinds or tuple(DocumentKind):
        delivered = (
            e
            for e in ledger.entries(target.tenant_id, kind)
            if e.xero_id is not None and (keys is None or e.key in keys)
        )
        for page in _pages(delivered, max(1, page_size)):
            try:
                calls += 1
                statuses = dict(target.read_statuses(kind, [e.xero_id or "" for e in page]))
            except TargetError as exc:
                return StatusReport(
                    checked=checked, calls=calls, changes=tuple(changes), stopped=str(exc)
                )
            found = _changes(page, statuses)
            ledger.record_remote_statuses(
                target.tenant_id, [(c.kind, c.key, c.after) for c in found]
            )
            changes.extend(found)
            checked += len(page)
            if progress is not None:
                progress(Progress(phase=Phase.REFRESHING, done=checked, calls=calls))
    return StatusReport(checked=checked, calls=calls, changes=tuple(changes))
