"""trackmap.approvals: who approves a document, decided by its lines' tracking options.

See ``docs/approvals.md``.

- The matrix: `ApprovalMatrix` of `ApprovalStep` s, each with `ApprovalRule` s whose
  `ApprovalCondition` compares a line's option of a category with the rule's options;
  `ApprovalMode` says how a step's approvers combine.
- `check_matrix`: the matrix against the organisation's schema, as `MatrixProblem` s.
- `route_approvals`: a document's `Routing`, step by step (`StepRoute`), each approver with the
  `ApprovalReason` s that put them on it (`ApproverRoute`).
- Its settings format: `load_approval_matrix` / `dump_approval_matrix` (JSON-able dicts) and
  `loads_approval_matrix` / `dumps_approval_matrix` (text).

The settings names load on first use, so that importing this module loads no I/O library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trackmap._engine._approvals import (
    ApprovalCondition,
    ApprovalMatrix,
    ApprovalMode,
    ApprovalReason,
    ApprovalRule,
    ApprovalStep,
    ApproverRoute,
    MatrixProblem,
    Routing,
    StepRoute,
    check_matrix,
    route_approvals,
)
from trackmap._lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from trackmap._config._approval_format import (
        dump_approval_matrix,
        dumps_approval_matrix,
        load_approval_matrix,
        loads_approval_matrix,
    )

_LAZY: dict[str, str] = {
    "dump_approval_matrix": "trackmap._config._approval_format",
    "dumps_approval_matrix": "trackmap._config._approval_format",
    "load_approval_matrix": "trackmap._config._approval_format",
    "loads_approval_matrix": "trackmap._config._approval_format",
}

__all__ = [
    "ApprovalCondition",
    "ApprovalMatrix",
    "ApprovalMode",
    "ApprovalReason",
    "ApprovalRule",
    "ApprovalStep",
    "ApproverRoute",
    "MatrixProblem",
    "Routing",
    "StepRoute",
    "check_matrix",
    "dump_approval_matrix",
    "dumps_approval_matrix",
    "load_approval_matrix",
    "loads_approval_matrix",
    "route_approvals",
]


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, __all__)
