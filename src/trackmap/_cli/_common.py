"""What the commands share: exit codes, input files, the host's adapter, tables and previews.

Everything a command prints from a file (values, keys, names) passes through
`terminal_safe` on its way out (see `SafeStream`), so a file cannot move the cursor, change
colours or fail to encode.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from trackmap._config import load_documents, load_schema, loads_json, loads_mapping
from trackmap._config._api import DocumentSet
from trackmap._config._quote import quoted, safe_text
from trackmap._engine._document import Document
from trackmap._engine._explain import ExplainRow, explain_rows
from trackmap._engine._mapping import FieldSpec, TrackingMapping
from trackmap._engine._results import Assignment, BatchResolution, Problem, Rule, Severity
from trackmap._engine._schema import TrackingSchema
from trackmap.errors import SettingsError, TrackmapError
from trackmap.testing.hosts import SAMPLES

__all__ = [
    "CELL_LIMIT",
    "EXIT_CODES_HELP",
    "MESSAGE_LIMIT",
    "AdapterError",
    "CommandError",
    "ExitCode",
    "Handler",
    "Progress",
    "SafeStream",
    "UnreadableError",
    "add_host_option",
    "all_problems",
    "cell",
    "host_fields",
    "load_adapter_fields",
    "needed_by",
    "preview_rows",
    "read_documents",
    "read_mapping",
    "read_schema",
    "render_table",
    "summary",
    "terminal_safe",
    "why",
    "write_preview",
    "write_preview_json",
]

#: What a command runs: the parsed arguments and the stream to write to; returns the exit code.
Handler = Callable[[argparse.Namespace, TextIO], int]

T = TypeVar("T")


class ExitCode(enum.IntEnum):
    """The command line's exit codes (``trackmap --help`` lists them)."""

    OK = 0
    #: The input was read and has problems: invalid settings, schema or documents, a blocked
    #: document, a change that needs a person.
    PROBLEMS = 1
    #: A usage mistake: an unknown option, a missing argument (argparse's own code).
    USAGE = 2
    #: A file cannot be read at all: missing, a directory, no permission.
    UNREADABLE = 3
    #: The host adapter named by ``--adapter`` cannot be imported, built or asked for its fields.
    ADAPTER = 4
    #: An internal error: a bug in trackmap (the message names it; please report it).
    INTERNAL = 5


EXIT_CODES_HELP = """\
exit codes:
  0  OK: valid settings, every document ready, nothing needs a person
  1  the input has problems: invalid settings, schema or documents file (each problem is
     listed with its place), a blocked document, or a change that needs a person
  2  usage mistake: an unknown option or a missing argument
  3  a file cannot be read: missing, a directory, or no permission
  4  the host adapter named by --adapter cannot be imported, built or asked for its fields
  5  internal error in trackmap (a bug: please report it with the command you ran)
"""


class CommandError(TrackmapError):
    """Input the command cannot use; ``exit_code`` says which kind (see `ExitCode`)."""

    exit_code: ExitCode = ExitCode.PROBLEMS


class UnreadableError(CommandError):
    """A file that cannot be read at all (missing, a directory, no permission)."""

    exit_code = ExitCode.UNREADABLE


class AdapterError(CommandError):
    """The host adapter named by ``--adapter`` cannot be used."""

    exit_code = ExitCode.ADAPTER


# Characters a terminal acts on or cannot encode: C0 controls but tab and newline, DEL, C1,
# lone surrogates, line/paragraph separators, bidirectional controls, zero-width marks, BOM.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"  # noqa: PLR2004 - byte


def terminal_safe(text: str) -> str:
    """Escape what a terminal would act on, keeping newlines and tabs (linear time)."""
    return _UNSAFE.sub(_escape, text)


class SafeStream:
    """A text stream that passes everything through `terminal_safe` before writing it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write the text, escaped."""
        return self._stream.write(terminal_safe(text))

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each line, escaped."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Flush the underlying stream."""
        self._stream.flush()

    def isatty(self) -> bool:
        """Whether the underlying stream is a terminal."""
        return bool(getattr(self._stream, "isatty", lambda: False)())


def add_host_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--adapter module:attr`` (the host's own adapter) or ``--host`` (a sample host)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--adapter",
        metavar="MODULE:ATTR",
        help=(
            "check source fields against your own adapter: a SourceAdapter instance, subclass "
            "or factory, e.g. myapp.tracking:adapter (the current directory is importable)"
        ),
    )
    group.add_argument(
        "--host",
        choices=sorted(SAMPLES),
        help="check source fields against this sample host's adapter",
    )


def host_fields(host: str | None, adapter: str | None = None) -> tuple[FieldSpec, ...] | None:
    """The fields of the named adapter or sample host, or None when neither was named."""
    if adapter is not None:
        return load_adapter_fields(adapter)
    return None if host is None else SAMPLES[host]().fields


def load_adapter_fields(spec: str) -> tuple[FieldSpec, ...]:
    """Import ``module:attr``, build the adapter it names, and return its declared fields.

    Raises:
        AdapterError: The spec, the import, the adapter or its ``fields()`` failed.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        msg = f"--adapter takes MODULE:ATTR (such as myapp.tracking:adapter), not {quoted(spec)}."
        raise AdapterError(msg)
    target = _attribute(_import(module_name, spec), attribute, spec)
    adapter = _built(target, spec)
    return _declared_fields(adapter, spec)


def _failure(exc: BaseException) -> str:
    return f"{safe_text(type(exc).__name__)}: {safe_text(exc)}"


def _import(module_name: str, spec: str) -> object:
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        # As `python -m` does: the host runs trackmap from its project folder.
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:
        msg = f"The adapter {quoted(spec)} cannot be imported ({_failure(exc)})."
        raise AdapterError(msg) from exc


def _attribute(module: object, attribute: str, spec: str) -> object:
    target = module
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except Exception as exc:
            msg = f"The adapter {quoted(spec)} cannot be found: {quoted(name)} is missing."
            raise AdapterError(msg) from exc
    return target


def _built(target: object, spec: str) -> object:
    """An adapter instance: the target itself, or what calling it (a class, a factory) gives."""
    if callable(getattr(target, "fields", None)) and not isinstance(target, type):
        return target
    if not callable(target):
        msg = f"The adapter {quoted(spec)} is neither an adapter nor a class or factory of one."
        raise AdapterError(msg)
    try:
        return target()
    except Exception as exc:
        msg = f"The adapter {quoted(spec)} cannot be built with no arguments ({_failure(exc)})."
        raise AdapterError(msg) from exc


def _declared_fields(adapter: object, spec: str) -> tuple[FieldSpec, ...]:
    try:
        fields = tuple(adapter.fields())  # type: ignore[attr-defined]
    except Exception as exc:
        msg = f"The adapter {quoted(spec)} failed to declare its fields ({_failure(exc)})."
        raise AdapterError(msg) from exc
    wrong = [i for i, f in enumerate(fields) if not isinstance(f, FieldSpec)]
    if wrong:
        msg = (
            f"The adapter {quoted(spec)} declares fields that are not FieldSpec values "
            f"(item {wrong[0] + 1} of {len(fields)})."
        )
        raise AdapterError(msg)
    return fields


#: How many problems a message about one file lists before it counts the rest.
PROBLEMS_SHOWN = 50


def _read(path: str, what: str, load: Callable[[str | bytes], T]) -> T:
    name = safe_text(path, 200)
    try:
        data = Path(path).read_bytes()
    except (OSError, ValueError) as exc:
        msg = f"The {what} file {name} cannot be read: {_os_reason(exc)}."
        raise UnreadableError(msg) from exc
    try:
        return load(data)
    except SettingsError as exc:
        raise CommandError(_problems_message(f"The {what} file {name}", exc)) from exc


def _os_reason(exc: OSError | ValueError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "there is no such file"
    if isinstance(exc, IsADirectoryError):
        return "it is a directory, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, ValueError):
        return "the name holds a character no file name can (such as NUL)"
    return safe_text(exc.strerror or exc)


def _problems_message(subject: str, exc: SettingsError) -> str:
    problems = exc.problems
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    lines = "".join(f"\n  {p}" for p in problems[:PROBLEMS_SHOWN])
    if count > PROBLEMS_SHOWN:
        lines += f"\n  ... and {count - PROBLEMS_SHOWN:,} more problems"
    return f"{subject} has {count:,} {noun}:{lines}"


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


class Progress:
    """Progress of long work on stderr: a line every ``every`` items, and when done."""

    def __init__(self, stream: TextIO | None, command: str, *, every: int = 10_000) -> None:
        self._stream = stream
        self._command = command
        self._every = every

    def say(self, text: str) -> None:
        """Write one progress line (nothing when progress is off)."""
        if self._stream is not None:
            self._stream.write(f"trackmap {self._command}: {text}\n")
            self._stream.flush()

    def counted(self, items: Sequence[Document], verb: str) -> Iterator[Document]:
        """Yield the items, saying how many are done every ``every`` items and at the end."""
        total = len(items)
        for done, item in enumerate(items, start=1):
            yield item
            if done % self._every == 0 and done < total:
                self.say(f"{verb} {done:,} of {total:,} documents")
        self.say(f"{verb} {total:,} of {total:,} documents")


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
    value = "(none)" if row.value is None else quoted(row.value)
    return f"{cell(row.field)} {value} -> {_RULE_WORDS[row.rule]}"


def preview_rows(batch: BatchResolution, titles: dict[str, str]) -> list[list[str]]:
    """One row per assignment (or per line without one); a document and line are named once."""
    rows: list[list[str]] = []
    for resolution in batch.resolutions:
        title = cell(titles.get(resolution.document_key, resolution.document_key))
        previous_line = None
        for row in explain_rows(resolution):
            line = cell(row.line_key) if row.line_key != previous_line else ""
            cells = [cell(row.category_name or "-"), cell(row.option_name or "-"), why(row)]
            rows.append([title, line, *cells])
            title, previous_line = "", row.line_key
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
            "lines": [
                {"key": line.key, "assignments": [_assignment_json(a) for a in line.assignments]}
                for line in resolution.lines
            ],
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


def _assignment_json(assignment: Assignment) -> dict[str, object]:
    explanation = assignment.explanation
    return {
        "category_id": assignment.category_id,
        "category_name": assignment.category_name,
        "option_id": assignment.option_id,
        "option_name": assignment.option_name,
        "rule": explanation.rule.value,
        "field": explanation.field,
        "value": explanation.value,
    }


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
