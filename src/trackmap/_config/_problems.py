"""Turn cattrs' nested validation errors into trackmap's flat list of problems with paths.

Paths are JSONPath-like and name the settings file's own keys:
``$.bindings[1].values.table["Perth"]``.
"""

from __future__ import annotations

import re

import attrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from trackmap._config._converter import RENAMED, Invalid
from trackmap._config._quote import VALUE_LIMIT, quoted, safe_text, shown
from trackmap.errors import SettingsProblem

__all__ = ["index_path", "key_path", "problems_of"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def key_path(path: str, key: object) -> str:
    """Append an object key: ``.name`` when it reads as a name, else ``["a key"]`` (quoted)."""
    if isinstance(key, str) and _IDENTIFIER.match(key) and len(key) <= VALUE_LIMIT:
        return f"{path}.{key}"
    return index_path(path, key)


def index_path(path: str, index: object) -> str:
    """Append a list index (``[2]``) or a table key (``["Perth"]``), quoted safely."""
    if isinstance(index, int) and not isinstance(index, bool):
        return f"{path}[{shown(index)}]"
    return f"{path}[{quoted(index) if isinstance(index, str) else shown(index)}]"


def problems_of(exc: BaseException, path: str = "$") -> list[SettingsProblem]:
    """Flatten one structuring failure into problems, each at its own path."""
    if isinstance(exc, ClassValidationError):
        return _class_problems(exc, path)
    if isinstance(exc, IterableValidationError):
        with_notes, without = exc.group_exceptions()
        found = [p for sub, n in with_notes for p in problems_of(sub, index_path(path, n.index))]
        return found + [p for sub in without for p in problems_of(sub, path)]
    if isinstance(exc, ForbiddenExtraKeysError):
        return _extra_keys(exc, path)
    return [SettingsProblem(path, _message(exc))]


def _class_problems(exc: ClassValidationError, path: str) -> list[SettingsProblem]:
    found: list[SettingsProblem] = []
    for sub in exc.exceptions:
        note = _note(sub)
        if isinstance(note, AttributeValidationNote):
            key = RENAMED.get(exc.cl, {}).get(note.name, note.name)
            found.extend(problems_of(sub, key_path(path, key)))
        elif isinstance(note, IterableValidationNote):
            found.extend(problems_of(sub, index_path(path, note.index)))
        else:
            found.extend(problems_of(sub, path))
    return found


def _note(exc: BaseException) -> object:
    notes = getattr(exc, "__notes__", None) or ()
    return next(
        (n for n in notes if isinstance(n, AttributeValidationNote | IterableValidationNote)),
        None,
    )


def _extra_keys(exc: ForbiddenExtraKeysError, path: str) -> list[SettingsProblem]:
    known = _known_keys(exc.cl)
    hint = f" (known keys: {', '.join(known)})" if known else ""
    return [
        SettingsProblem(key_path(path, key), f"is not a key trackmap knows{hint}")
        for key in sorted(exc.extra_fields, key=shown)
    ]


def _known_keys(cls: type) -> list[str]:
    if not attrs.has(cls):
        return []
    renamed = RENAMED.get(cls, {})
    return [renamed.get(a.name, a.name) for a in attrs.fields(cls) if a.init]


def _message(exc: BaseException) -> str:
    if isinstance(exc, Invalid):
        return safe_text(exc.args[0] if exc.args else "is not valid")
    if isinstance(exc, KeyError):
        return "is required"
    # Anything else is a value an attrs converter or validator refused, or a hostile value's
    # own method failing: its words are quoted as untrusted text.
    return f"is not valid ({safe_text(type(exc).__name__)}: {safe_text(exc)})"
