r"""Quote host values safely in messages: the one helper every layer uses.

A message quotes values an end user or an attacker chose (a field value, a settings key, a file
name). Whatever the value, the quoted text:

1. is bounded: at most `QUOTE_LIMIT` characters of the value are shown, then an ellipsis and how
   long the value was, so a 1 MB value on 1,000 lines gives 1,000 short messages, not 1 GB;
2. is printable and safe for a terminal: control characters (ANSI escapes, NUL, newlines),
   format characters (bidirectional overrides, zero-width marks) and line or paragraph
   separators are shown as Python-style escapes (``\x1b``, ``\n``, ``\u202e``);
3. is always encodable as UTF-8: a lone surrogate is shown as its escape (``\udc80``);
4. never raises: a value whose own ``__str__``, ``__repr__``, ``__len__`` or ``__getitem__``
   fails or lies is shown by its type, and a `str` subclass is read as the plain text it holds
   (its own methods are never called). An integer too long for ``str()`` is shown by its size.

Ordinary values are shown exactly as before: ``quoted("Perth") == '"Perth"'``.

Public to the other layers (loaders, the command line): `safe_text`, `quoted`, `describe_value`,
`exception_text`, and `listed` (at most `LIST_LIMIT` items of a list, then how many more).
"""

from __future__ import annotations

import reprlib
import unicodedata
from collections.abc import Sequence

__all__ = [
    "LIST_LIMIT",
    "QUOTE_LIMIT",
    "describe_value",
    "exception_text",
    "listed",
    "quoted",
    "safe_text",
]

#: How many characters of a value a message shows at most.
QUOTE_LIMIT = 120
#: How many items of a list a message shows at most.
LIST_LIMIT = 5

# Unicode categories shown as escapes: controls, format characters, surrogates, separators.
_ESCAPED = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
# Integers with more bits than this are shown by their size (str() refuses past 4,300 digits).
_INT_BITS = 1024
_UNSHOWN = "(which cannot be shown)"


class _Repr(reprlib.Repr):
    """`reprlib` bounds containers; a failing ``__repr__`` is not shown with its address."""

    def repr_instance(self, x: object, level: int) -> str:  # noqa: ARG002 - reprlib's signature
        try:
            text = repr(x)
        except Exception:  # noqa: BLE001 - a host value's __repr__ may fail in any way
            return _UNSHOWN
        if len(text) > self.maxother:
            return text[: self.maxother - 3] + "..."
        return text


_REPR = _Repr()
_REPR.maxstring = _REPR.maxother = QUOTE_LIMIT


def _plain(value: str) -> str:
    """The text a str (or str subclass) holds, as an exact str, without calling its methods."""
    return value if type(value) is str else str.__str__(value)


def _escape(char: str) -> str:
    # Python's own escape of one character: \x1b, \n, \u202e, \udc80, \U000e0001.
    return repr(char)[1:-1] if unicodedata.category(char) in _ESCAPED else char


def safe_text(value: object, limit: int = QUOTE_LIMIT) -> str:
    """The text escaped for a message and cut at ``limit`` characters (an ellipsis marks a cut).

    Not quoted: `quoted` adds the quotes and says how long a cut value was. A non-str value is
    described with `describe_value`.
    """
    if not isinstance(value, str):
        return describe_value(value)
    text = _plain(value)
    cut = len(text) > limit
    if cut:
        text = text[:limit]
    if not text.isprintable():
        text = "".join(map(_escape, text))
    return text + "…" if cut else text


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """The text between double quotes, safe for a message (see the module docstring).

    A value longer than ``limit`` is cut and followed by its length:
    ``"aaaa…" (1,000,000 characters)``.
    """
    if not isinstance(value, str):
        return describe_value(value)
    shown = f'"{safe_text(value, limit)}"'
    size = len(_plain(value))
    return shown if size <= limit else f"{shown} ({size:,} characters)"


def listed(shown: Sequence[str], limit: int = LIST_LIMIT) -> str:
    """Items already made safe, joined by commas: at most ``limit``, then how many more."""
    if len(shown) <= limit:
        return ", ".join(shown)
    return ", ".join(shown[:limit]) + f" and {len(shown) - limit:,} more"


def describe_value(value: object) -> str:
    """Name any value for a message, in words: ``the int 12``, ``the list ['a']``; never raises."""
    kind = _type_name(value)
    if isinstance(value, str):
        return f"the {kind} {quoted(value)}"
    if isinstance(value, int) and not isinstance(value, bool):
        bits = int.bit_length(value)
        if bits > _INT_BITS:
            return f"the {kind} of about {int(bits * 0.30103):,} digits"
        return f"the {kind} {int.__repr__(value)}"
    return f"the {kind} {_safe_repr(value)}"


def exception_text(exc: BaseException) -> str:
    """``TypeName: message`` of an exception, safe for a message even if its ``__str__`` fails."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a host's exception may fail in any way
        text = "(its message could not be read)"
    shown = safe_text(text) if isinstance(text, str) else ""
    name = _type_name(exc)
    return f"{name}: {shown}" if shown else name


def _type_name(value: object) -> str:
    try:
        name = type(value).__name__
    except Exception:  # noqa: BLE001 - a metaclass may define __name__ as it likes
        return "value"
    return safe_text(name, 60) if isinstance(name, str) else "value"


def _safe_repr(value: object) -> str:
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a host value's __repr__ may fail in any way
        return _UNSHOWN
    if not isinstance(text, str):
        return _UNSHOWN
    return safe_text(text, QUOTE_LIMIT)
