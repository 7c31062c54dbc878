"""The `trackmap` command: argparse over command modules, each with ``register(subparsers)``.

A command module adds its parser and sets ``handler`` (see `trackmap._cli._common.Handler`);
to add a command, add its module to `COMMANDS`. Input problems print as sentences on stderr
with exit code 1; usage mistakes exit with 2, as argparse does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from trackmap._cli import _check, _demo, _preview, _reconcile, _schema
from trackmap._version import __version__
from trackmap.errors import TrackmapError

__all__ = ["COMMANDS", "build_parser", "main"]

#: The command modules, in the order ``trackmap --help`` lists them.
COMMANDS: list[ModuleType] = [_demo, _check, _preview, _reconcile, _schema]


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="trackmap",
        description="Map a host app's records to Xero tracking categories, and check it offline.",
    )
    parser.add_argument("--version", action="version", version=f"trackmap {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 bad input, 2 usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code: int = args.handler(args, sys.stdout)
    except TrackmapError as exc:
        sys.stderr.write(f"trackmap {args.command}: {exc}\n")
        return 1
    return code
