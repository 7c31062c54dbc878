"""trackmap.drift: when Xero's categories and options change under a host's settings.

See ``docs/drift.md``.

- Reconciliation: `reconcile` classifies every category and option a mapping refers to, from
  the schema it was made against to today's: a `ReconcilePlan` of `PlanItem` s, each a
  reference (`DriftUsage`), its `Drift` between the schemas (a `DriftChange`), what that means
  for the mapping (`DriftOutcome`) and the `DriftFix` a person can make.
- Options as reference data, for hosts that mirror a category's options: `option_changes`
  since a stored `OptionSnapshot` (from `snapshot_options`) gives the `ReferenceChanges`, each
  an `OptionChange` of an `OptionChangeKind`; `sync_reference_data` reads the schema from a
  target and does it.

The delivery name loads on first use, so that importing this module loads no I/O library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trackmap._engine._reconcile import (
    Drift,
    DriftChange,
    DriftFix,
    DriftOutcome,
    DriftUsage,
    PlanItem,
    ReconcilePlan,
    reconcile,
)
from trackmap._engine._reference import (
    OptionChange,
    OptionChangeKind,
    OptionSnapshot,
    ReferenceChanges,
    option_changes,
    snapshot_options,
)
from trackmap._lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from trackmap._sync._inbound import sync_reference_data

_LAZY: dict[str, str] = {
    "sync_reference_data": "trackmap._sync._inbound",
}

__all__ = [
    "Drift",
    "DriftChange",
    "DriftFix",
    "DriftOutcome",
    "DriftUsage",
    "OptionChange",
    "OptionChangeKind",
    "OptionSnapshot",
    "PlanItem",
    "ReconcilePlan",
    "ReferenceChanges",
    "option_changes",
    "reconcile",
    "snapshot_options",
    "sync_reference_data",
]


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, __all__)
