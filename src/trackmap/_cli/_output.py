"""What ``preview`` prints: a per-line table, options to create, problems, a summary; or JSON.

Values from files are escaped and bounded here; the stream they go to
(`trackmap._cli._common.SafeStream`) escapes whatever is left.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from trackmap._config._quote import quoted, safe_text
from trackmap._engine._explain import ExplainRow, explain_rows
from trackmap._engine._results import (
    Assignment,
    AssignmentRule,
    BatchResolution,
    Problem,
    ResolvedLine,
    Severity,
    share_label,
)

__all__ = [
    "CELL_LIMIT",
    "MESSAGE_LIMIT",
    "all_problems",
    "cell",
    "needed_by",
    "preview_rows",
    "render_table",
    "summary",
    "why",
    "write_preview",
    "write_preview_json",
]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lay rows out in columns; the last column is not padded (it holds the long text)."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers[:-1])]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    rule = ["-" * w for w in widths] + ["-" * len(headers[-1])]
    return [line(headers), line(rule), *(line(r) for r in rows)]


_RULE_WORDS = {
    AssignmentRule.TABLE: "table row",
    AssignmentRule.NAME: "option of that name",
    AssignmentRule.DEFAULT: "not mapped: default",
    AssignmentRule.CREATE: "new option, created first",
    AssignmentRule.SPLIT: "split by the table",
}


def why(row: ExplainRow) -> str:
    """Say briefly why a line got its option: 'stage_manager "Ann Lee" -> table row'."""
    if row.rule is None:
        return "no tracking"
    if row.field is None:
        return "default (no source field had a value)"
    value = "(none)" if row.value is None else quoted(row.value)
    return f"{cell(row.field)} {value} -> {_RULE_WORDS[row.rule]}"


def preview_rows(batch: BatchResolution, titles: dict[str, str]) -> list[list[str]]:
    """One row per assignment (or per line without one); a document and line are named once."""
    rows: list[list[str]] = []
    for resolution in batch.resolutions:
        title = cell(titles.get(resolution.document_key, resolution.document_key))
        previous_line = None
        for row in explain_rows(resolution):
            key = row.part or row.line_key  # a split line's parts: "60% of line 2"
            line = cell(key) if key != previous_line else ""
            cells = [cell(row.category_name or "-"), cell(row.option_name or "-"), why(row)]
            rows.append([title, line, *cells])
            title, previous_line = "", key
    return rows


#: The most characters a table cell (a title, a line key, a name) takes.
CELL_LIMIT = 60
#: The most characters one problem's sentence takes in text output (--format json has it all).
MESSAGE_LIMIT = 1000


def cell(text: str) -> str:
    """A table cell from a file's text: escaped and at most `CELL_LIMIT` characters."""
    return safe_text(text, CELL_LIMIT)


def summary(batch: BatchResolution) -> str:
    """Count documents, lines, ready and blocked documents, and options to create."""
    documents = len(batch.resolutions)
    lines = sum(len(r.lines) for r in batch.resolutions)
    blocked = sum(1 for r in batch.resolutions if not r.ok)
    creates = len(batch.options_to_create)
    return (
        f"{documents} documents, {lines} lines: {documents - blocked} ready, {blocked} blocked; "
        f"{creates} {'option' if creates == 1 else 'options'} to create."
    )


#: How many documents an option to create names before it counts the rest.
KEYS_SHOWN = 3


def needed_by(keys: Sequence[str]) -> str:
    """Name the first few documents that need something, and count the rest."""
    named = ", ".join(cell(key) for key in keys[:KEYS_SHOWN])
    rest = len(keys) - KEYS_SHOWN
    return named if rest <= 0 else f"{named} and {rest:,} more documents"


def all_problems(batch: BatchResolution) -> list[Problem]:
    """Every problem once: each document's, then the batch's that no document repeats."""
    problems = [p for r in batch.resolutions for p in r.problems]
    seen = set(problems)
    return problems + [p for p in batch.problems if p not in seen]


def write_preview(
    out: TextIO, batch: BatchResolution, titles: dict[str, str], *, limit: int | None = None
) -> None:
    """Print the per-line table, the options to create, problems and a one-line summary.

    With ``limit``, the table and the problems cover the first ``limit`` documents; the
    rest are counted, so the output stays readable for any number of documents.
    """
    shown = batch if limit is None else BatchResolution(resolutions=batch.resolutions[:limit])
    headers = ("Document", "Line", "Category", "Option", "Why")
    out.writelines(text + "\n" for text in render_table(headers, preview_rows(shown, titles)))
    hidden = len(batch.resolutions) - len(shown.resolutions)
    if hidden > 0:
        out.write(f"... and {hidden:,} more documents.\n")
    for option in batch.options_to_create:
        needed = needed_by(option.document_keys)
        category = cell(option.category_name)
        out.write(f"To create first: {category} {quoted(option.name)} (for {needed})\n")
    _write_problems(out, batch, {r.document_key for r in shown.resolutions}, hidden)
    out.write(summary(batch) + "\n")


def _write_problems(out: TextIO, batch: BatchResolution, shown_keys: set[str], hidden: int) -> None:
    problems = all_problems(batch)
    listed = [p for p in problems if not hidden or p.document_key in shown_keys]
    for problem in listed:
        label = "Error" if problem.severity is Severity.ERROR else "Warning"
        out.write(f"{label}: {safe_text(problem.message, MESSAGE_LIMIT)}\n")
    if len(listed) < len(problems):
        rest = len(problems) - len(listed)
        out.write(
            f"... and {rest:,} more problems on the documents not shown "
            "(--limit 0 shows every document; --format json lists everything).\n"
        )


#: The version of ``trackmap preview --format json``'s output.
PREVIEW_JSON_VERSION = 1


def write_preview_json(
    out: TextIO, batch: BatchResolution, titles: dict[str, str], *, limit: int | None = None
) -> None:
    """Print the preview as one JSON object, one document per line (streamed, ASCII only).

    ``{"version": 1, "summary": {...}, "options_to_create": [...], "problems": [...],
    "documents": [{"key", "title", "kind", "ok", "lines": [...], "problems": [...]}]}``;
    with ``limit``, ``documents`` holds the first ``limit`` and ``summary.documents_omitted``
    counts the rest (the summary and batch problems always cover every document).
    """
    shown = batch.resolutions if limit is None else batch.resolutions[:limit]
    head = {
        "version": PREVIEW_JSON_VERSION,
        "summary": _summary_json(batch, len(batch.resolutions) - len(shown)),
        "options_to_create": [
            {
                "category_id": o.category_id,
                "category_name": o.category_name,
                "name": o.name,
                "document_keys": list(o.document_keys),
            }
            for o in batch.options_to_create
        ],
        "problems": [_problem_json(p) for p in batch.problems],
    }
    out.write(json.dumps(head)[:-1] + ', "documents": [')
    for index, resolution in enumerate(shown):
        document = {
            "key": resolution.document_key,
            "title": titles.get(resolution.document_key, resolution.document_key),
            "kind": resolution.kind.value,
            "ok": resolution.ok,
            "lines": [_line_json(line) for line in resolution.lines],
            "problems": [_problem_json(p) for p in resolution.problems],
        }
        out.write(("\n" if index == 0 else ",\n") + json.dumps(document))
    out.write("\n]}\n")


def _summary_json(batch: BatchResolution, omitted: int) -> dict[str, object]:
    blocked = sum(1 for r in batch.resolutions if not r.ok)
    return {
        "documents": len(batch.resolutions),
        "lines": sum(len(r.lines) for r in batch.resolutions),
        "ready": len(batch.resolutions) - blocked,
        "blocked": blocked,
        "options_to_create": len(batch.options_to_create),
        "documents_omitted": omitted,
        "text": summary(batch),
    }


def _line_json(line: ResolvedLine) -> dict[str, object]:
    shown: dict[str, object] = {
        "key": line.key,
        "assignments": [_assignment_json(a) for a in line.assignments],
    }
    if line.parts:  # a split line: the lines it is sent as
        shown["parts"] = [
            {
                "share": part.label,
                "describe": part.describe(),
                "assignments": [_assignment_json(a) for a in part.assignments],
            }
            for part in line.parts
        ]
    return shown


def _assignment_json(assignment: Assignment) -> dict[str, object]:
    explanation = assignment.explanation
    shown: dict[str, object] = {
        "category_id": assignment.category_id,
        "category_name": assignment.category_name,
        "option_id": assignment.option_id,
        "option_name": assignment.option_name,
        "rule": explanation.rule.value,
        "field": explanation.field,
        "value": explanation.value,
    }
    if assignment.shares:
        shown["shares"] = [
            {"option_id": s.option_id, "option_name": s.option_name, "share": share_label(s.share)}
            for s in assignment.shares
        ]
    return shown


def _problem_json(problem: Problem) -> dict[str, object]:
    return {
        "severity": problem.severity.value,
        "code": problem.code,
        "message": problem.message,
        "document_key": problem.document_key,
        "line_key": problem.line_key,
        "category_id": problem.category_id,
        "field": problem.field,
        "value": problem.value,
    }
