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


#: What `normalise_all` joins names with: a printable character between two spaces, so that
#: one search for a double space finds any name with outer or doubled spaces.
_JOIN = " ~ "
_PRINTABLE = bytes(range(0x20, 0x7F))  # the printable ASCII characters, space included


def normalise_all(names: list[str]) -> list[str]:
    """`normalise` of each name, in order, for the many option names of a schema.

    When every name is printable ASCII text without ``~`` whose only white space is single
    inner spaces (the usual case), normalising is lower-casing, done for all of them at once:
    the names are joined by ``" ~ "``, lowered and split again. Otherwise name by name. Either
    way the result equals ``[normalise(n) for n in names]``.

    Why the bulk path is exact: for ASCII, NFKC changes nothing and casefold is lower; the
    printable ASCII characters (space to ``~``) hold no white space but the space (tabs,
    newlines and the other characters ``str.split`` splits on are not printable), so a name
    with no outer or double space is already trimmed and collapsed. Joined by ``" ~ "``, a
    name with an outer space makes a double space next to a joint, as a doubled inner space
    does; and when ``~`` occurs exactly once per joint, no name holds one, so the split finds
    the joints only.
    """
    if not names:
        return []
    try:
        joined = _JOIN.join(names)  # str subclasses are joined as the text they hold
    except TypeError:
        return [normalise(name) for name in names]
    if (
        joined.isascii()
        # No tab, newline or other control character (bytes.translate is the quick test).
        and not joined.encode("ascii").translate(None, _PRINTABLE)
        and joined.count("~") == len(names) - 1
        and "  " not in joined
        and not joined.startswith(" ")
        and not joined.endswith(" ")
    ):
        return joined.lower().split(_JOIN)
    return [normalise(name) for name in names]


def is_blank(value: str | None) -> bool:
    """Tell whether a host value counts as absent (None, empty or only white space)."""
    return value is None or not value.strip()
