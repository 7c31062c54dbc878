"""Approval-matrix settings files: an `ApprovalMatrix` to and from versioned JSON-able data.

The file an approvals page saves (ApprovalMax's matrix)::

    {"version": 1,
     "steps": [
       {"name": "Managers", "mode": "all", "default_approvers": ["Fay"],
        "rules": [
          {"approvers": ["Daniel"], "category_id": "...", "category_name": "Department",
           "options": ["<option id>"], "condition": "matches"}]}]}

Only ``name`` is required in a step, and ``approvers``, ``category_id`` and ``options`` in a
rule; ``mode`` is ``"all"`` or ``"any"``, ``condition`` ``"matches"`` or ``"does_not_match"``.
Like a mapping file, it may name its JSON Schema under ``"$schema"`` (``trackmap schema
approvals`` prints it).

Loading raises only `trackmap.errors.SettingsError`, listing every problem with its path
(``$.steps[0].rules[1].options[2]``). With a schema, the problems `check_matrix` calls errors
(a category or option missing, archived or deleted; a step with nobody to approve) are
reported at their paths too; its warnings are not refusals and stay with `check_matrix`.
"""

from __future__ import annotations

import json
from typing import Any

from trackmap._config._api import _dump, _load, loads_json
from trackmap._config._problems import index_path, key_path
from trackmap._engine._approvals import ApprovalMatrix, MatrixProblem, check_matrix
from trackmap._engine._results import Severity
from trackmap._engine._schema import TrackingSchema
from trackmap.errors import SettingsError, SettingsProblem

__all__ = [
    "dump_approval_matrix",
    "dumps_approval_matrix",
    "load_approval_matrix",
    "loads_approval_matrix",
    "matrix_problem_path",
]

_SUBJECT = "the approval matrix"


def dump_approval_matrix(matrix: ApprovalMatrix) -> dict[str, Any]:
    """Return the matrix as a versioned, JSON-able dict."""
    return _dump(matrix)


def dumps_approval_matrix(matrix: ApprovalMatrix) -> str:
    """Return the matrix as JSON text, indented for people to read and diff."""
    return json.dumps(dump_approval_matrix(matrix), indent=2, ensure_ascii=False) + "\n"


def load_approval_matrix(data: object, *, schema: TrackingSchema | None = None) -> ApprovalMatrix:
    """Load a matrix from JSON-able data, checking its shape and, optionally, its meaning.

    With ``schema``, every problem `check_matrix` reports as an error is a problem here too,
    at the path of the step, rule, category or option it is about.

    Raises:
        SettingsError: Every problem found, each with its path.
    """
    matrix = _load(data, ApprovalMatrix, subject=_SUBJECT)
    if schema is not None:
        errors = [p for p in check_matrix(matrix, schema) if p.severity is Severity.ERROR]
        if errors:
            problems = [SettingsProblem(matrix_problem_path(p, matrix), p.message) for p in errors]
            raise SettingsError(problems, subject=_SUBJECT)
    return matrix


def loads_approval_matrix(
    text: str | bytes, *, schema: TrackingSchema | None = None
) -> ApprovalMatrix:
    """Load a matrix from JSON text (see `load_approval_matrix`); bad JSON is a SettingsError."""
    try:
        data = loads_json(text)
    except SettingsError as exc:
        raise SettingsError(exc.problems, subject=_SUBJECT) from None
    return load_approval_matrix(data, schema=schema)


def matrix_problem_path(problem: MatrixProblem, matrix: ApprovalMatrix) -> str:
    """Return the settings-file path of the step, rule, category or option a problem is about."""
    step = index_path("$.steps", problem.step)
    if problem.rule is None or not 0 <= problem.step < len(matrix.steps):
        return step
    rules = matrix.steps[problem.step].rules
    rule_path = index_path(key_path(step, "rules"), problem.rule)
    if not 0 <= problem.rule < len(rules):
        return rule_path
    options = rules[problem.rule].options
    if problem.option_id is not None and problem.option_id in options:
        return index_path(key_path(rule_path, "options"), options.index(problem.option_id))
    if problem.code.startswith("category_"):
        return key_path(rule_path, "category_id")
    return rule_path
