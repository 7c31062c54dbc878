"""What the commands share: reading input files, and printing tables and previews."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from trackmap._config import load_documents, load_schema, loads_json, loads_mapping
from trackmap._config._api import DocumentSet
from trackmap._engine._explain import ExplainRow, explain_rows
from trackmap._engine._mapping import FieldSpec, TrackingMapping
from trackmap._engine._results import BatchResolution, Rule, Severity
from trackmap._engine._schema import TrackingSchema
from trackmap.errors import SettingsError, TrackmapError
from trackmap.testing.hosts import SAMPLES

__all__ = [
    "CommandError",
    "Handler",
    "add_host_option",
    "host_fields",
    "preview_rows",
    "read_documents",
    "read_mapping",
    "read_schema",
    "render_table",
    "summary",
    "why",
    "write_preview",
]

#: What a command runs: the parsed arguments and the stream to write to; returns the exit code.
Handler = Callable[[argparse.Namespace, TextIO], int]

T = TypeVar("T")


class CommandError(TrackmapError):
    """Input the command cannot use (a missing file, a file with problems): exit code 1."""


def add_host_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--host``: the sample host whose adapter declares the fields."""
    parser.add_argument(
        "--host",
        choices=sorted(SAMPLES),
        help="check source fields against this sample host's adapter",
    )


def host_fields(host: str | None) -> tuple[FieldSpec, ...] | None:
    """The fields of a sample host's adapter, or None when no host was named."""
    return None if host is None else SAMPLES[host]().fields


def _read(path: str, what: str, load: Callable[[str], T]) -> T:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"The {what} file {path} cannot be read: {exc}."
        raise CommandError(msg) from exc
    try:
        return load(text)
    except SettingsError as exc:
        count = len(exc.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "".join(f"\n  {p}" for p in exc.problems)
        msg = f"The {what} file {path} has {count} {noun}:{lines}"
        raise CommandError(msg) from exc


def read_schema(path: str) -> TrackingSchema:
    """Read a schema file (see `trackmap._config.dump_schema`)."""
    return _read(path, "schema", lambda text: load_schema(loads_json(text)))


def read_documents(path: str) -> DocumentSet:
    """Read a documents file (see `trackmap._config.dump_documents`)."""
    return _read(path, "documents", lambda text: load_documents(loads_json(text)))


def read_mapping(
    path: str,
    schema: TrackingSchema | None = None,
    fields: Sequence[FieldSpec] | None = None,
) -> TrackingMapping:
    """Read a settings file, checking it against a schema (and fields) when given."""
    return _read(path, "settings", lambda text: loads_mapping(text, schema=schema, fields=fields))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lay rows out in columns; the last column is not padded (it holds the long text)."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers[:-1])]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    rule = ["-" * w for w in widths] + ["-" * len(headers[-1])]
    return [line(headers), line(rule), *(line(r) for r in rows)]


_RULE_WORDS = {
    Rule.TABLE: "table row",
    Rule.NAME: "option of that name",
    Rule.DEFAULT: "not mapped: default",
    Rule.CREATE: "new option, created first",
}


def why(row: ExplainRow) -> str:
    """Say briefly why a line got its option: 'stage_manager "Ann Lee" -> table row'."""
    if row.rule is None:
        return "no tracking"
    if row.field is None:
        return "default (no source field had a value)"
    return f'{row.field} "{row.value}" -> {_RULE_WORDS[row.rule]}'


def preview_rows(batch: BatchResolution, titles: dict[str, str]) -> list[list[str]]:
    """One row per assignment (or per line without one); a document and line are named once."""
    rows: list[list[str]] = []
    for resolution in batch.resolutions:
        title = titles.get(resolution.document_key, resolution.document_key)
        previous_line = None
        for row in explain_rows(resolution):
            line = row.line_key if row.line_key != previous_line else ""
            cells = [row.category_name or "-", row.option_name or "-", why(row)]
            rows.append([title, line, *cells])
            title, previous_line = "", row.line_key
    return rows


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


def write_preview(
    out: TextIO, batch: BatchResolution, titles: dict[str, str], *, limit: int | None = None
) -> None:
    """Print the per-line table, the options to create, every problem and a summary."""
    shown = batch if limit is None else BatchResolution(resolutions=batch.resolutions[:limit])
    headers = ("Document", "Line", "Category", "Option", "Why")
    out.writelines(text + "\n" for text in render_table(headers, preview_rows(shown, titles)))
    if limit is not None and len(batch.resolutions) > limit:
        out.write(f"... and {len(batch.resolutions) - limit} more documents.\n")
    for option in batch.options_to_create:
        needed = ", ".join(option.document_keys)
        out.write(f'To create first: {option.category_name} "{option.name}" (for {needed})\n')
    problems = [p for r in batch.resolutions for p in r.problems]
    problems += [p for p in batch.problems if p not in problems]
    for problem in problems:
        label = "Error" if problem.severity is Severity.ERROR else "Warning"
        out.write(f"{label}: {problem.message}\n")
    out.write(summary(batch) + "\n")
