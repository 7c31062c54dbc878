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

__all__ = ["is_blank", "normalise", "normalise_all"]


def normalise(name: str) -> str:
    """Return the comparison key of a category, option or host value name.

    A `str` subclass is compared as the text it holds (its own methods never run).
    """
    if type(name) is not str and isinstance(name, str):
        name = str.__str__(name)
    if name.isascii():  # NFKC leaves ASCII as it is, and casefold is lower there
        return " ".join(name.split()).lower()
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def normalise_all(names: list[str]) -> list[str]:
    """`normalise` of each name, in order, for the many option names of a schema.

    When every name is plain ASCII text whose only white space is single inner spaces (the
    usual case), normalising is lower-casing, done for all of them at once; otherwise name
    by name. Either way the result equals ``[normalise(n) for n in names]``.
    """
    try:
        joined = "\n".join(names)  # str subclasses are joined as the text they hold
    except TypeError:
        joined = ""
    if (
        joined.isascii()
        and joined.count("\n") == len(names) - 1
        and joined.replace("\n", "").isprintable()  # no tab, no other control character
        and "  " not in joined
        and "\n " not in joined
        and " \n" not in joined
        and not joined.startswith(" ")
        and not joined.endswith(" ")
        and names
    ):
        return joined.lower().split("\n")
    return [normalise(name) for name in names]


def is_blank(value: str | None) -> bool:
    """Tell whether a host value counts as absent (None, empty or only white space)."""
    return value is None or not value.strip()
