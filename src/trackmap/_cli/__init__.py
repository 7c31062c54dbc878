"""The `trackmap` command line: thin over the public API (``trackmap demo | check | preview``)."""

from __future__ import annotations

from trackmap._cli._main import main

__all__ = ["main"]
