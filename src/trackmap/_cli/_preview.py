"""``trackmap preview SETTINGS --schema SCHEMA --documents DOCS``: what would be sent, and why."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from trackmap._cli._common import (
    CommandError,
    add_host_option,
    host_fields,
    read_documents,
    read_mapping,
    read_schema,
    write_preview,
)
from trackmap._engine._resolve import resolve_batch
from trackmap._engine._rules import compile_mapping

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:  # noqa: ANN401 - argparse's subparsers type is private
    """Add the ``preview`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "preview",
        help="show the tracking every document line would get, and why",
        description=(
            "Resolve documents with the settings against the schema and print, per line, the "
            "category, option and reason, then options to create and problems. Exit code 0 "
            "when every document could be sent, 1 when one is blocked or the input is bad."
        ),
    )
    parser.add_argument("settings", metavar="SETTINGS", help="the settings (mapping) JSON file")
    parser.add_argument("--schema", required=True, help="the schema JSON file")
    parser.add_argument("--documents", required=True, help="the documents JSON file")
    add_host_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Preview the documents; exit 1 if any would be blocked."""
    schema = read_schema(args.schema)
    document_set = read_documents(args.documents)
    fields = host_fields(args.host) or document_set.fields
    if not fields:
        msg = (
            f"The documents file {args.documents} declares no fields, so trackmap cannot tell "
            "document fields from line fields; add them, or name the host with --host."
        )
        raise CommandError(msg)
    mapping = read_mapping(args.settings, schema, fields)
    batch = resolve_batch(compile_mapping(mapping, schema, fields), document_set.documents)
    titles = {d.key: d.title for d in document_set.documents}
    write_preview(out, batch, titles)
    return 0 if all(r.ok for r in batch.resolutions) and not batch.problems else 1
