"""Say what a resolution would send, and why, in rows a preview can print.

`explain_rows` gives one `ExplainRow` per assignment (or per line with no tracking) as values,
for a table; `explain_text` gives the same as plain sentences, then the document's problems.
"""

from __future__ import annotations

import attrs

from trackmap._engine._guard import document_error, guarded
from trackmap._engine._quote import safe_text
from trackmap._engine._results import Assignment, AssignmentRule, Resolution, Severity

__all__ = ["ExplainRow", "explain_rows", "explain_text"]


@attrs.frozen(kw_only=True)
class ExplainRow:
    """One line's tracking entry and its reason; ``category_name`` is None for a bare line.

    ``option_id`` is None for an option that will be created first (rule CREATE). A line that
    splits has one row per assignment of each part, and ``part`` says which
    (``"60% of line 3"``).
    """

    line_key: str
    category_name: str | None = None
    option_name: str | None = None
    option_id: str | None = None
    rule: AssignmentRule | None = None
    field: str | None = None
    value: str | None = None
    sentence: str = "no tracking"
    part: str | None = None


def explain_rows(resolution: Resolution) -> tuple[ExplainRow, ...]:
    """One row per assignment, in line and binding order, and one per line with none."""
    key = resolution.document_key if isinstance(resolution, Resolution) else None
    return guarded(lambda: _rows(resolution), document_error("explain a resolution", key))


def _rows(resolution: Resolution) -> tuple[ExplainRow, ...]:
    rows: list[ExplainRow] = []
    for line in resolution.lines:
        if not line.assignments:
            rows.append(ExplainRow(line_key=line.key))
        if line.parts:
            rows.extend(
                _row(line.key, a, part.describe()) for part in line.parts for a in part.assignments
            )
            continue
        rows.extend(_row(line.key, a, None) for a in line.assignments)
    return tuple(rows)


def _row(line_key: str, a: Assignment, part: str | None) -> ExplainRow:
    return ExplainRow(
        line_key=line_key,
        category_name=a.category_name,
        option_name=a.option_name,
        option_id=a.option_id,
        rule=a.explanation.rule,
        field=a.explanation.field,
        value=a.explanation.value,
        sentence=a.describe(),
        part=part,
    )


def explain_text(resolution: Resolution) -> tuple[str, ...]:
    """Plain text: a sentence per row, then each problem with its severity."""
    rows = explain_rows(resolution)
    key = resolution.document_key if isinstance(resolution, Resolution) else None
    return guarded(lambda: _text(rows, resolution), document_error("explain a resolution", key))


def _text(rows: tuple[ExplainRow, ...], resolution: Resolution) -> tuple[str, ...]:
    lines = tuple(
        f"{safe_text(row.part) if row.part else 'line ' + safe_text(row.line_key)}: {row.sentence}"
        for row in rows
    )
    problems = tuple(
        f"{_SEVERITY[p.severity]}: {safe_text(p.message, _MESSAGE)}" for p in resolution.problems
    )
    return lines + problems


_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning"}
# A problem's message is the engine's own sentence (already safe): only a host's is cut here.
_MESSAGE = 2_000
