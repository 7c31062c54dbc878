"""Quote hostile values in messages: bounded, escaped, always encodable, never raising.

Settings come from files and programs that trackmap does not control, and their values end up
in messages that a terminal or a web page shows. Every value a message quotes goes through
`shown` or `quoted`, and every free text (an exception's message) through `safe_text`:

- control characters (C0, DEL, C1), lone surrogates, line and paragraph separators and format
  characters (the bidirectional overrides among them) become backslash escapes, so the text is
  valid UTF-8 and cannot move a terminal's cursor, change its colours or reorder what it shows;
- the result is at most ``limit`` characters (a value is cut, and ends with ``...``);
- huge integers are described by their size (``repr`` of one raises past 4,300 digits);
- nothing here raises, whatever the value's own methods do.
"""

from __future__ import annotations

import unicodedata

__all__ = ["TEXT_LIMIT", "VALUE_LIMIT", "HugeNumber", "quoted", "safe_text", "shown"]

#: The most characters a quoted value takes in a message.
VALUE_LIMIT = 40
#: The most characters a free text (an exception's message) takes in a message.
TEXT_LIMIT = 200

_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ELLIPSIS = "..."
# More bits than this and an int is described by its size (2**200 has 61 digits).
_INT_BITS = 200


class HugeNumber:
    """A number in JSON text too long to read as one (Python refuses past 4,300 digits).

    `trackmap._config.loads_json` puts it where the number was, so that the loader reports
    the problem at its path instead of failing on the whole file.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"HugeNumber(digits={self.digits})"


def _escape(char: str, quote: str) -> str:
    if char in {quote, "\\"} and quote:
        return "\\" + char
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if unicodedata.category(char) in _ESCAPED_CATEGORIES:
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"  # noqa: PLR2004 - byte
    return char


def _bounded(text: str, limit: int, quote: str = "") -> str:
    """Escape ``text`` and cut it so that the result is at most ``limit`` characters."""
    room = max(limit - len(quote) * 2, len(_ELLIPSIS))
    pieces: list[str] = []
    used = 0
    # Only the first ``room + 1`` characters can matter: the work is bounded by the limit.
    for char in text[: room + 1]:
        pieces.append(_escape(char, quote))
        used += len(pieces[-1])
        if used > room:
            break
    if used > room or len(text) > room:
        while pieces and used > room - len(_ELLIPSIS):
            used -= len(pieces.pop())
        pieces.append(_ELLIPSIS)
    return quote + "".join(pieces) + quote


def safe_text(text: object, limit: int = TEXT_LIMIT) -> str:
    """Return text fit to print: escaped as the module says, at most ``limit`` characters."""
    try:
        plain = str.__str__(text) if isinstance(text, str) else str(text)
    except Exception:  # noqa: BLE001 - a value whose __str__ fails is named by its type
        return _type_words(text)
    return _bounded(plain, limit)


def quoted(text: str, limit: int = VALUE_LIMIT) -> str:
    """Return text in double quotes, escaped as JSON escapes it (and more), bounded."""
    return _bounded(str.__str__(text), limit, quote='"')


def shown(value: object, limit: int = VALUE_LIMIT) -> str:
    """Name a JSON-ish value in a message: its JSON type, or itself when short and plain."""
    try:
        return _shown(value, limit)
    except Exception:  # noqa: BLE001 - whatever the value does, the message names its type
        return _type_words(value)


def _shown(value: object, limit: int) -> str:  # noqa: PLR0911 - one answer per JSON type
    names = {dict: "an object", list: "a list", tuple: "a list", type(None): "null"}
    kind = names.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, str):
        return quoted(value, limit)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        number = int.__int__(value)
        if number.bit_length() > _INT_BITS:
            return f"a whole number of {_digits(number):,} digits"
        return _bounded(repr(number), limit)
    if isinstance(value, HugeNumber):
        return f"a number of {value.digits:,} digits"
    if isinstance(value, float):
        return _bounded(float.__repr__(value), limit)
    return _type_words(value)


def _digits(number: int) -> int:
    # Without turning it into text, which Python refuses past 4,300 digits.
    magnitude = abs(number)
    digits = max(int(magnitude.bit_length() * 0.30103) - 1, 1)
    while 10**digits <= magnitude:
        digits += 1
    return digits


def _type_words(value: object) -> str:
    try:
        name = type(value).__qualname__
        if not isinstance(name, str):
            name = "unknown"
    except Exception:  # noqa: BLE001 - a metaclass may fail here too
        name = "unknown"
    return f"a value of type {_bounded(str.__str__(name), VALUE_LIMIT)}"
