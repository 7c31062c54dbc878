"""Say what a resolution would send, and why, in rows a preview can print.

`explain_rows` gives one `ExplainRow` per assignment (or per line with no tracking) as values,
for a table; `explain` gives the same as plain sentences, then the document's problems.
"""

from __future__ import annotations

import attrs

from trackmap._engine._results import Resolution, Rule, Severity

__all__ = ["ExplainRow", "explain", "explain_rows"]


@attrs.frozen(kw_only=True)
class ExplainRow:
    """One line's tracking entry and its reason; ``category_name`` is None for a bare line.

    ``option_id`` is None for an option that will be created first (rule CREATE).
    """

    line_key: str
    category_name: str | None = None
    option_name: str | None = None
    option_id: str | None = None
    rule: Rule | None = None
    field: str | None = None
    value: str | None = None
    sentence: str = "no tracking"


def explain_rows(resolution: Resolution) -> tuple[ExplainRow, ...]:
    """One row per assignment, in line and binding order, and one per line with none."""
    rows: list[ExplainRow] = []
    for line in resolution.lines:
        if not line.assignments:
            rows.append(ExplainRow(line_key=line.key))
        rows.extend(
            ExplainRow(
                line_key=line.key,
                category_name=a.category_name,
                option_name=a.option_name,
                option_id=a.option_id,
                rule=a.explanation.rule,
                field=a.explanation.field,
                value=a.explanation.value,
                sentence=a.describe(),
            )
            for a in line.assignments
        )
    return tuple(rows)


def explain(resolution: Resolution) -> tuple[str, ...]:
    """Plain text: a sentence per row, then each problem with its severity."""
    lines = tuple(f"line {row.line_key}: {row.sentence}" for row in explain_rows(resolution))
    problems = tuple(
        f"{'error' if p.severity is Severity.ERROR else 'warning'}: {p.message}"
        for p in resolution.problems
    )
    return lines + problems
