"""The JSON Schemas of trackmap's settings files, shipped with the package.

One file per format: ``mapping`` (what a settings page saves), ``schema`` (an organisation's
tracking categories), ``documents`` (documents for ``trackmap preview``) and ``approvals`` (an
approval matrix). A settings file that names its schema under ``"$schema"`` gets validation and
completion in editors that read JSON Schema; trackmap's loaders accept and ignore that key.
``trackmap schema NAME`` prints one.

Each schema describes exactly the shape its loader accepts (tests/test_json_schema.py checks
it); the loaders also check meaning a schema cannot express (a mapping against an
organisation's categories, a JSON object that repeats a key).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["SCHEMA_NAMES", "json_schema", "json_schema_text"]

#: The settings formats that have a JSON Schema, by the name ``trackmap schema`` takes.
SCHEMA_NAMES: tuple[str, ...] = ("mapping", "schema", "documents", "approvals")


def json_schema_text(name: str) -> str:
    """Return the JSON Schema of one settings format, as the text shipped in the package.

    Raises:
        ValueError: ``name`` is not one of `SCHEMA_NAMES`.
    """
    if name not in SCHEMA_NAMES:
        known = ", ".join(SCHEMA_NAMES)
        msg = f'"{name}" is not a settings format with a JSON Schema (known: {known})'
        raise ValueError(msg)
    return resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")


def json_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema of one settings format, parsed (see `json_schema_text`)."""
    schema: dict[str, Any] = json.loads(json_schema_text(name))
    return schema
