"""``trackmap check SETTINGS --schema SCHEMA [--adapter MODULE:ATTR]``: validate settings offline.

With ``--format json`` the outcome is one JSON object on stdout, valid or not (the exit code is
the same as in text): ``{"version": 1, "ok": true, "bindings": [...], "fields_checked": ...}``
or ``{"version": 1, "ok": false, "error": "<sentence>", "file": "settings" | "schema" | null,
"problems": [{"path": ..., "message": ...}]}``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from trackmap._cli._adapter import add_host_option, host_fields
from trackmap._cli._common import CommandError, read_mapping, read_schema
from trackmap._cli._output import cell
from trackmap._engine._mapping import Binding, ByName, TrackingMapping
from trackmap._engine._schema import TrackingSchema
from trackmap.errors import SettingsError

__all__ = ["describe_binding", "register", "run"]


def register(subparsers: Any) -> None:  # noqa: ANN401 - argparse's subparsers type is private
    """Add the ``check`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="validate tracking settings against a schema, offline",
        description=(
            "Validate a tracking settings file against an organisation's tracking categories "
            "(a schema file), and its source fields against your adapter (--adapter). Exit code "
            "0 when valid, 1 with every problem otherwise (trackmap --help lists every exit "
            "code)."
        ),
    )
    parser.add_argument("settings", metavar="SETTINGS", help="the settings (mapping) JSON file")
    parser.add_argument("--schema", required=True, help="the schema JSON file")
    add_host_option(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (the default) or json for programs (one object on stdout)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Check the settings; print OK and a summary, or raise with every problem."""
    if args.format == "json":
        return _run_json(args, out)
    schema = read_schema(args.schema)
    fields = host_fields(args.host, args.adapter)
    mapping = read_mapping(args.settings, schema, fields)
    out.write(ok_summary(mapping, schema) + "\n")
    out.writelines(f"  {describe_binding(binding)}\n" for binding in mapping.bindings)
    if fields is None:
        out.write(
            "Source fields were not checked: name your adapter with --adapter MODULE:ATTR "
            "to check them.\n"
        )
    return 0


def _run_json(args: argparse.Namespace, out: TextIO) -> int:
    where: str | None = "schema"
    try:
        schema = read_schema(args.schema)
        where = None
        fields = host_fields(args.host, args.adapter)
        where = "settings"
        mapping = read_mapping(args.settings, schema, fields)
    except CommandError as exc:
        cause = exc.__cause__
        problems = cause.problems if isinstance(cause, SettingsError) else ()
        result: dict[str, object] = {
            "version": 1,
            "ok": False,
            "error": str(exc).split("\n", 1)[0],
            "file": where,
            "problems": [{"path": p.path, "message": p.message} for p in problems],
        }
        out.write(json.dumps(result) + "\n")
        return int(exc.exit_code)
    result = {
        "version": 1,
        "ok": True,
        "summary": ok_summary(mapping, schema),
        "bindings": [describe_binding(b) for b in mapping.bindings],
        "fields_checked": fields is not None,
    }
    out.write(json.dumps(result) + "\n")
    return 0


def ok_summary(mapping: TrackingMapping, schema: TrackingSchema) -> str:
    """Say that the settings are valid, and against how many active categories."""
    count = len(mapping.bindings)
    active = len(schema.active_categories)
    noun = "binding" if count == 1 else "bindings"
    return f"OK: {count} {noun}, valid against {active} active tracking categories."


def describe_binding(binding: Binding) -> str:
    """Describe a binding in one line: 'Region <- cost_centre (table of 4 rows, 1 blank; ...)'."""
    sources = ", then ".join(cell(source) for source in binding.sources) or "nothing (None)"
    if isinstance(binding.values, ByName):
        how = "by name"
    else:
        rows = binding.values.rows
        blank = sum(1 for r in rows if r.option_id is None and r.split is None)
        split = sum(1 for r in rows if r.split is not None)
        how = f"table of {len(rows)} rows, {blank} blank" + (f", {split} split" if split else "")
    extra = "; required" if binding.required else ""
    title = cell(binding.title)
    return f"{title} <- {sources} ({how}; unmapped: {binding.on_unmapped.value}{extra})"
