"""Which handler answers which method and path (relative to ``/api.xro/2.0``)."""

from __future__ import annotations

import functools
import re

from trackmap.testing._fakexero import _directory, _documents, _tracking
from trackmap.testing._fakexero._call import Call, Handler
from trackmap.testing._fakexero._kinds import KINDS, Kind
from trackmap.testing._fakexero._wire import Reply

__all__ = ["route"]

_SEGMENT = "([^/]+)"


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(template.replace("{}", _SEGMENT), re.IGNORECASE)


def _write(call: Call, *, kind: Kind, update: bool) -> Reply:
    return _documents.write_documents(call, kind, update=update)


def _document_routes(kind: Kind) -> list[tuple[str, str, Handler]]:
    base = f"/{kind.key}"
    return [
        ("GET", base, functools.partial(_documents.list_documents, kind=kind)),
        ("PUT", base, functools.partial(_write, kind=kind, update=False)),
        ("POST", base, functools.partial(_write, kind=kind, update=True)),
        ("GET", base + "/{}", functools.partial(_documents.get_document, kind=kind)),
        ("POST", base + "/{}", functools.partial(_write, kind=kind, update=True)),
    ]


_TABLE: list[tuple[str, str, Handler]] = [
    ("GET", "/TrackingCategories", _tracking.get_categories),
    ("PUT", "/TrackingCategories", _tracking.create_category),
    ("GET", "/TrackingCategories/{}", _tracking.get_category),
    ("POST", "/TrackingCategories/{}", _tracking.update_category),
    ("DELETE", "/TrackingCategories/{}", _tracking.delete_category),
    ("PUT", "/TrackingCategories/{}/Options", _tracking.create_option),
    ("POST", "/TrackingCategories/{}/Options/{}", _tracking.update_option),
    ("DELETE", "/TrackingCategories/{}/Options/{}", _tracking.delete_option),
    ("GET", "/Contacts", _directory.get_contacts),
    ("PUT", "/Contacts", _directory.create_contacts),
    ("POST", "/Contacts", _directory.create_contacts),
    ("GET", "/Contacts/{}", _directory.get_contact),
    ("GET", "/Items", _directory.get_items),
    ("PUT", "/Items", _directory.create_items),
    ("POST", "/Items", _directory.create_items),
    *(route for kind in KINDS.values() for route in _document_routes(kind)),
]
_ROUTES = [(method, _pattern(template), handler) for method, template, handler in _TABLE]


def route(method: str, path: str) -> tuple[Handler, tuple[str, ...]] | None:
    """The handler and path parameters for a request, or None (Xero answers 404)."""
    for wanted, pattern, handler in _ROUTES:
        match = pattern.fullmatch(path)
        if wanted == method and match:
            return handler, match.groups()
    return None
