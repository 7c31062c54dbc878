"""trackmap: put the right Xero tracking on every line of every document, and know it arrived.

The common path. A first integration needs only the names here (``docs/api.md`` groups them by
task):

- The pure engine: `TrackingSchema`, `TrackingMapping` and `Binding`, `check_mapping`,
  `compile_mapping`, `resolve` / `resolve_batch`, `explain_text` / `explain_rows`.
- Host records: subclass `SourceAdapter`; bodies as `DocumentBody` (or xero-python models).
- Settings: `load_mapping` / `dump_mapping` (versioned JSON-able dicts), `json_schema`, and the
  settings-page model (`build_settings_page`, `apply_settings_page`).
- Delivery: `Pusher(...).push(...)` with a `SqliteLedger`, `refresh_statuses`,
  `verify_tracking`.

Beside it, each in a module named for what it holds: `trackmap.xero` (the Xero target, the only
part that imports xero-python), `trackmap.protocols` (every contract a host implements or
injects), `trackmap.inbound` (reading documents back, matching them to records),
`trackmap.drift` (when Xero changes under the settings), `trackmap.approvals` (approval
routing), `trackmap.webhooks`, `trackmap.postgres` / `trackmap.redis` / `trackmap.celery`
(many workers), `trackmap.testing` (FakeXero, InMemoryTarget, sample hosts, strategies, test
hooks) and `trackmap.errors` (the error tree).

Settings and delivery names load on first use, so that importing the engine alone loads no
I/O library (cattrs, sqlite3, tenacity, xero-python).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trackmap import errors
from trackmap._engine import (
    Assignment,
    AssignmentRule,
    BatchResolution,
    Binding,
    ByName,
    ByTable,
    Capabilities,
    CompiledMapping,
    Document,
    DocumentKind,
    ExplainRow,
    Explanation,
    FieldLevel,
    FieldSpec,
    Line,
    LinePart,
    NameCollision,
    OnUnmapped,
    OptionToCreate,
    Problem,
    Resolution,
    ResolvedLine,
    Severity,
    Share,
    ShareOption,
    Split,
    TableRow,
    TrackedDocument,
    TrackedLine,
    TrackingCategory,
    TrackingMapping,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
    Violation,
    check_mapping,
    compile_mapping,
    explain_rows,
    explain_text,
    fingerprint,
    is_blank,
    normalise,
    resolve,
    resolve_batch,
    tracked_from_resolution,
)
from trackmap._lazy import lazy_names as _lazy_names
from trackmap._sources import (
    BodyLine,
    ContactRef,
    DocumentBody,
    FieldValue,
    Outbound,
    SourceAdapter,
    field_text,
    split_body,
)
from trackmap._sync._target import (
    DeliveryStatus,
    DocumentPage,
    PushItem,
    PushResult,
    RemoteDocument,
    RemoteLine,
    TrackingEntry,
)
from trackmap._version import __version__

if TYPE_CHECKING:
    from trackmap._config import (
        DocumentSet,
        dump_documents,
        dump_mapping,
        dump_schema,
        dumps_mapping,
        load_documents,
        load_mapping,
        load_schema,
        loads_mapping,
    )
    from trackmap._config._page import (
        PageResult,
        SettingsPage,
        apply_settings_page,
        build_settings_page,
        settings_page_for,
    )
    from trackmap._config.json_schema import json_schema
    from trackmap._sync._batch import (
        Batch,
        BatchCounts,
        BatchDocument,
        BatchState,
    )
    from trackmap._sync._ledger import (
        LedgerEntry,
        SqliteLedger,
    )
    from trackmap._sync._policy import (
        DeliveryPolicy,
        OnMissing,
    )
    from trackmap._sync._progress import (
        Phase,
        Progress,
        RateLimitWaits,
        describe_progress,
    )
    from trackmap._sync._push import (
        CreatedOption,
        Pusher,
        PushReport,
    )
    from trackmap._sync._status import (
        StatusChange,
        StatusReport,
        refresh_statuses,
    )
    from trackmap._sync._verify import (
        verify_tracking,
    )

_LAZY: dict[str, str] = {
    "DocumentSet": "trackmap._config",
    "dump_documents": "trackmap._config",
    "dump_mapping": "trackmap._config",
    "dump_schema": "trackmap._config",
    "dumps_mapping": "trackmap._config",
    "load_documents": "trackmap._config",
    "load_mapping": "trackmap._config",
    "load_schema": "trackmap._config",
    "loads_mapping": "trackmap._config",
    "PageResult": "trackmap._config._page",
    "SettingsPage": "trackmap._config._page",
    "apply_settings_page": "trackmap._config._page",
    "build_settings_page": "trackmap._config._page",
    "settings_page_for": "trackmap._config._page",
    "json_schema": "trackmap._config.json_schema",
    "CreatedOption": "trackmap._sync._push",
    "PushReport": "trackmap._sync._push",
    "Pusher": "trackmap._sync._push",
    "Batch": "trackmap._sync._batch",
    "BatchCounts": "trackmap._sync._batch",
    "BatchDocument": "trackmap._sync._batch",
    "BatchState": "trackmap._sync._batch",
    "LedgerEntry": "trackmap._sync._ledger",
    "SqliteLedger": "trackmap._sync._ledger",
    "DeliveryPolicy": "trackmap._sync._policy",
    "OnMissing": "trackmap._sync._policy",
    "Phase": "trackmap._sync._progress",
    "Progress": "trackmap._sync._progress",
    "RateLimitWaits": "trackmap._sync._progress",
    "describe_progress": "trackmap._sync._progress",
    "StatusChange": "trackmap._sync._status",
    "StatusReport": "trackmap._sync._status",
    "refresh_statuses": "trackmap._sync._status",
    "verify_tracking": "trackmap._sync._verify",
}

__all__ = [
    "Assignment",
    "AssignmentRule",
    "Batch",
    "BatchCounts",
    "BatchDocument",
    "BatchResolution",
    "BatchState",
    "Binding",
    "BodyLine",
    "ByName",
    "ByTable",
    "Capabilities",
    "CompiledMapping",
    "ContactRef",
    "CreatedOption",
    "DeliveryPolicy",
    "DeliveryStatus",
    "Document",
    "DocumentBody",
    "DocumentKind",
    "DocumentPage",
    "DocumentSet",
    "ExplainRow",
    "Explanation",
    "FieldLevel",
    "FieldSpec",
    "FieldValue",
    "LedgerEntry",
    "Line",
    "LinePart",
    "NameCollision",
    "OnMissing",
    "OnUnmapped",
    "OptionToCreate",
    "Outbound",
    "PageResult",
    "Phase",
    "Problem",
    "Progress",
    "PushItem",
    "PushReport",
    "PushResult",
    "Pusher",
    "RateLimitWaits",
    "RemoteDocument",
    "RemoteLine",
    "Resolution",
    "ResolvedLine",
    "SettingsPage",
    "Severity",
    "Share",
    "ShareOption",
    "SourceAdapter",
    "Split",
    "SqliteLedger",
    "StatusChange",
    "StatusReport",
    "TableRow",
    "TrackedDocument",
    "TrackedLine",
    "TrackingCategory",
    "TrackingEntry",
    "TrackingMapping",
    "TrackingOption",
    "TrackingSchema",
    "TrackingStatus",
    "Violation",
    "__version__",
    "apply_settings_page",
    "build_settings_page",
    "check_mapping",
    "compile_mapping",
    "describe_progress",
    "dump_documents",
    "dump_mapping",
    "dump_schema",
    "dumps_mapping",
    "errors",
    "explain_rows",
    "explain_text",
    "field_text",
    "fingerprint",
    "is_blank",
    "json_schema",
    "load_documents",
    "load_mapping",
    "load_schema",
    "loads_mapping",
    "normalise",
    "refresh_statuses",
    "resolve",
    "resolve_batch",
    "settings_page_for",
    "split_body",
    "tracked_from_resolution",
    "verify_tracking",
]


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, __all__)
