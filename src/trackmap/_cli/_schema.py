"""``trackmap schema NAME``: print the JSON Schema of a settings format.

Save it beside the settings and name it in the file (``"$schema": "./mapping.schema.json"``)
for validation and completion in an editor.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from trackmap._config.json_schema import SCHEMA_NAMES, json_schema_text

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:  # noqa: ANN401 - argparse's subparsers type is private
    """Add the ``schema`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of a settings file format",
        description=(
            "Print the JSON Schema of a settings format: mapping (the tracking settings), "
            "schema (an organisation's tracking categories), documents (documents to preview) "
            'or approvals (an approval matrix). Name it in a settings file as "$schema" for '
            "validation in an editor; trackmap's loaders accept and ignore that key."
        ),
    )
    parser.add_argument("name", choices=SCHEMA_NAMES, metavar="NAME", help=", ".join(SCHEMA_NAMES))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the schema; always exit 0 (argparse refuses an unknown name)."""
    out.write(json_schema_text(args.name))
    return 0
