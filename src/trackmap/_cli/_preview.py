"""``trackmap preview SETTINGS --schema SCHEMA --documents DOCS``: what would be sent, and why."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from trackmap._cli._adapter import add_host_option, host_fields
from trackmap._cli._common import (
    CommandError,
    ExitCode,
    Progress,
    read_documents,
    read_mapping,
    read_schema,
)
from trackmap._cli._output import write_preview, write_preview_json
from trackmap._engine._resolve import resolve_batch
from trackmap._engine._rules import compile_mapping

__all__ = ["DEFAULT_LIMIT", "register", "run"]

#: How many documents the text preview shows unless ``--limit`` says otherwise.
DEFAULT_LIMIT = 100


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"must be a whole number, 0 or more, not {text[:20]!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(subparsers: Any) -> None:  # noqa: ANN401 - argparse's subparsers type is private
    """Add the ``preview`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "preview",
        help="show the tracking every document line would get, and why",
        description=(
            "Resolve documents with the settings against the schema and print, per line, the "
            "category, option and reason, then options to create and problems, then one "
            "summary line. Exit code 0 when every document could be sent, 1 when one is "
            "blocked or the input is bad (trackmap --help lists every exit code)."
        ),
    )
    parser.add_argument("settings", metavar="SETTINGS", help="the settings (mapping) JSON file")
    parser.add_argument("--schema", required=True, help="the schema JSON file")
    parser.add_argument("--documents", required=True, help="the documents JSON file")
    add_host_option(parser)
    parser.add_argument(
        "--limit",
        type=_limit,
        metavar="N",
        help=(
            f"show the first N documents (text: {DEFAULT_LIMIT} unless given; json: all); "
            "0 shows all. The summary always counts every document"
        ),
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (the default) or json for programs (one object on stdout)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="report progress on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Preview the documents; exit 1 if any would be blocked."""
    progress = Progress(_progress_stream(args), "preview")
    schema = read_schema(args.schema)
    document_set = read_documents(args.documents)
    progress.say(f"read {len(document_set.documents):,} documents from {args.documents}")
    fields = host_fields(args.host, args.adapter) or document_set.fields
    if not fields:
        msg = (
            f"The documents file {args.documents} declares no fields, so trackmap cannot tell "
            "document fields from line fields; add them, or name your adapter with --adapter."
        )
        raise CommandError(msg)
    mapping = read_mapping(args.settings, schema, fields)
    documents = document_set.documents
    batch = resolve_batch(
        compile_mapping(mapping, schema, fields), progress.counted(documents, "resolved")
    )
    titles = {d.key: d.title for d in documents}
    limit = _effective_limit(args)
    if args.format == "json":
        write_preview_json(out, batch, titles, limit=limit)
    else:
        write_preview(out, batch, titles, limit=limit)
    ready = all(r.ok for r in batch.resolutions) and not batch.problems
    return ExitCode.OK if ready else ExitCode.PROBLEMS


def _effective_limit(args: argparse.Namespace) -> int | None:
    if args.limit is None:
        return None if args.format == "json" else DEFAULT_LIMIT
    return args.limit or None


def _progress_stream(args: argparse.Namespace) -> TextIO | None:
    stream: TextIO = args.stderr
    wanted = args.progress if args.progress is not None else stream.isatty()
    return stream if wanted else None
