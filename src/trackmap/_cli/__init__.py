"""The `trackmap` command line: thin over the public API."""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line (filled in by the CLI module)."""
    del argv
    return 0
