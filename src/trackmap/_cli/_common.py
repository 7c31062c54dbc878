"""What the commands share: exit codes, errors, reading input files, safe output, progress.

Everything a command prints from a file (values, keys, names) passes through
`terminal_safe` on its way out (see `SafeStream`), so a file cannot move the cursor, change
colours or fail to encode.
"""

from __future__ import annotations

import argparse
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

# Re-exported: the demo prints its preview with it.
from trackmap._cli._output import write_preview
from trackmap._config import load_documents, load_schema, loads_json, loads_mapping
from trackmap._config._api import DocumentSet
from trackmap._config._quote import safe_text
from trackmap._engine._document import Document
from trackmap._engine._mapping import FieldSpec, TrackingMapping
from trackmap._engine._schema import TrackingSchema
from trackmap.errors import SettingsError, TrackmapError

__all__ = [
    "EXIT_CODES_HELP",
    "PROBLEMS_SHOWN",
    "AdapterError",
    "CommandError",
    "ExitCode",
    "Handler",
    "Progress",
    "SafeStream",
    "UnreadableError",
    "read_documents",
    "read_mapping",
    "read_schema",
    "terminal_safe",
    "write_preview",
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
    #: Interrupted (Ctrl-C): 128 + SIGINT, as shells report it.
    INTERRUPTED = 130


EXIT_CODES_HELP = """\
exit codes:
  0  OK: valid settings, every document ready, nothing needs a person
  1  the input has problems: invalid settings, schema or documents file (each problem is
     listed with its place), a blocked document, or a change that needs a person
  2  usage mistake: an unknown option or a missing argument
  3  a file cannot be read: missing, a directory, or no permission
  4  the host adapter named by --adapter cannot be imported, built or asked for its fields
  5  internal error in trackmap (a bug: please report it with the command you ran)
  130  interrupted (Ctrl-C)
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
