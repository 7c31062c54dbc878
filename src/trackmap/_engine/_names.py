"""How names are compared: the one normalisation used everywhere in trackmap.

Xero keeps tracking option names unique, but whether that uniqueness ignores case is not
documented, and trailing spaces in names have caused HTTP 500s (see XERO.md). So trackmap
compares names after:

1. Unicode NFKC normalisation (full-width and compatibility letters equal their plain forms),
2. trimming and collapsing every run of white space to one space ("North  West " == "North West"),
3. case folding ("STRASSE" == "straße").

Two options of one category that collide under this rule are reported, never silently merged.
"""

from __future__ import annotations

import unicodedata

__all__ = ["is_blank", "normalise"]


def normalise(name: str) -> str:
    """Return the comparison key of a category, option or host value name.

    A `str` subclass is compared as the text it holds (its own methods never run).
    """
    if type(name) is not str and isinstance(name, str):
        name = str.__str__(name)
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def is_blank(value: str | None) -> bool:
    """Tell whether a host value counts as absent (None, empty or only white space)."""
    return value is None or not value.strip()
