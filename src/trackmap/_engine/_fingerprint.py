"""The one fingerprint encoding: the exact tracking a document would send, as one digest.

A document's text is its kind, then per line in order the line key and its assignments, each
as the category id and the option id (or ``new:`` and the normalised name, for an option to be
created, or ``split:`` and each option id with its exact share, for a split). Every string is
length-prefixed and every list count-prefixed, so the text is an
injective encoding: distinct tracking, distinct text (``surrogatepass`` keeps that in bytes).
Names, explanations and problems do not count, so an option renamed in Xero keeps its
fingerprint.

Both `trackmap.fingerprint` and `Resolution.fingerprint` use it; the resolver memoises each
line's text, so a fingerprint costs a join and a sha256 per document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from fractions import Fraction

from trackmap._engine._names import normalise

__all__ = [
    "assignment_text",
    "digest",
    "line_text",
    "split_key",
    "text",
    "token_text",
    "tokens_text",
]


def text(value: str) -> str:
    """One string, length-prefixed."""
    return f"{len(value)}:{value}"


def token_text(category_id: str, option_key: str) -> str:
    """One assignment: its category id and option id (or ``new:`` and the normalised name)."""
    return text(category_id) + text(option_key)


def assignment_text(category_id: str, option_id: str | None, option_name: str) -> str:
    """The token text of an assignment, from its fields."""
    if option_id is not None:
        return token_text(category_id, option_id)
    return token_text(category_id, "new:" + normalise(option_name))


def split_key(parts: Sequence[tuple[str, Fraction]]) -> str:
    """The option key of a split assignment: ``split:``, then each option id and exact share.

    Shares are reduced fractions, so 60/40 percent and 3:2 ratio parts (which send the same
    lines) have the same key.
    """
    return "split:" + "".join(text(option_id) + text(str(share)) for option_id, share in parts)


def line_text(key: str, token_texts: Sequence[str]) -> str:
    """One line: its key, the count of its assignments, then each one's token text."""
    return text(key) + tokens_text(token_texts)


def tokens_text(token_texts: Sequence[str]) -> str:
    """A line's assignments, after its key: their count, then each token's text."""
    return f"{len(token_texts)}|" + "".join(token_texts)


def digest(kind_value: str, line_texts: Sequence[str]) -> str:
    """The sha256 hex digest of a document's text: its kind, then its lines' texts."""
    joined = text(kind_value) + "".join(line_texts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()
