"""The `trackmap` command: argparse over command modules, each with ``register(subparsers)``.

A command module adds its parser and sets ``handler`` (see `trackmap._cli._common.Handler`);
to add a command, add its module to `COMMANDS`. Every outcome has its own exit code
(`trackmap._cli._common.ExitCode`, listed by ``trackmap --help``), and no input, however
broken, makes the command print a traceback: trackmap's errors print as sentences, anything
else as an internal error, and everything written passes through `SafeStream`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, TextIO

from trackmap._cli import _check, _demo, _preview, _reconcile, _schema
from trackmap._cli._common import (
    EXIT_CODES_HELP,
    CommandError,
    ExitCode,
    SafeStream,
    terminal_safe,
)
from trackmap._config._quote import safe_text
from trackmap._version import __version__
from trackmap.errors import TrackmapError

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = ["COMMANDS", "build_parser", "main"]

#: The command modules, in the order ``trackmap --help`` lists them.
COMMANDS: list[ModuleType] = [
    _demo,
    _check,
    _preview,
    _reconcile,
    _schema,
]


class _Parser(argparse.ArgumentParser):
    """argparse, with its own messages (which quote the arguments given) made terminal-safe."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        super()._print_message(terminal_safe(message), file)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every command registered."""
    parser = _Parser(
        prog="trackmap",
        description="Map a host app's records to Xero tracking categories, and check it offline.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"trackmap {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one return per outcome
    """Run the command line; return the exit code (see `ExitCode`)."""
    out, err = _safe(sys.stdout), _safe(sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else int(ExitCode.USAGE)
    args.stderr = err
    try:
        return int(args.handler(args, out))
    except CommandError as exc:
        err.write(f"trackmap {args.command}: {exc}\n")
        return int(exc.exit_code)
    except TrackmapError as exc:
        err.write(f"trackmap {args.command}: {exc}\n")
        return int(ExitCode.PROBLEMS)
    except BrokenPipeError:
        # The reader went away (`trackmap preview ... | head`): not an error of ours.
        _silence_stdout()
        return int(ExitCode.OK)
    except KeyboardInterrupt:
        err.write(f"trackmap {args.command}: interrupted.\n")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the promise: a sentence, never a traceback
        err.write(_internal(args.command, exc))
        return int(ExitCode.INTERNAL)


def _safe(stream: TextIO) -> SafeStream:
    # Whatever the terminal's encoding, an unencodable character is escaped, not an error.
    with contextlib.suppress(AttributeError, ValueError):
        stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
    return SafeStream(stream)


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _internal(command: str, exc: Exception) -> str:
    return (
        f"trackmap {command}: internal error ({safe_text(type(exc).__name__)}: "
        f"{safe_text(exc)}). This is a bug in trackmap: please report it with the command "
        "you ran.\n"
    )
