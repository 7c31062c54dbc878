"""The engine's promise at its entry points: a result or a trackmap error, nothing else.

Host values reach the engine inside frozen values (names, keys, option names), and a hostile
one (a `str` subclass whose methods raise, an object where text belongs, a value nested too
deep) can fail anywhere it is read. Each public entry point runs its work through `unreadable`
turning such a failure into the trackmap error that entry point documents, with a sentence
that names what was being read and quotes the host's exception safely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from trackmap._engine._quote import exception_text, quoted
from trackmap.errors import DocumentError, TrackmapError

__all__ = ["document_error", "guarded"]

T = TypeVar("T")


def document_error(what: str, key: object = None) -> Callable[[Exception], TrackmapError]:
    """Make the DocumentError of a document (or of all of them) that failed to be read."""

    def error(exc: Exception) -> TrackmapError:
        named = f"document {quoted(key)}" if isinstance(key, str) else "a document"
        msg = (
            f"trackmap could not {what}: a value of {named} cannot be read "
            f"({exception_text(exc)}); hand over plain text (or None) where text belongs."
        )
        return DocumentError(msg, document_key=str.__str__(key) if isinstance(key, str) else None)

    return error


def guarded(work: Callable[[], T], error: Callable[[Exception], TrackmapError]) -> T:
    """Run ``work``; a failure that is not a trackmap error becomes ``error(exc)``."""
    try:
        return work()
    except TrackmapError:
        raise
    except Exception as exc:
        raise error(exc) from exc
