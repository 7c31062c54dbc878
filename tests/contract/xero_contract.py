"""Xero's published OpenAPI contract, loaded once, with the strict request variant.

Where the spec comes from: ``TRACKMAP_XERO_SPEC``, else ``<repo>/../shared/xero/
xero_accounting.yaml`` (see that folder's README). What is done to it in memory:

1. Published fixes: boolean ``default: "false"`` strings become booleans, and ``HasAttachments``
   loses ``readOnly`` (xero-python always sends it; every other read-only field stays one).
2. The strict request variant, for request bodies only: ``additionalProperties: false`` on every
   object schema, read-only properties removed (so sending ``SubTotal`` fails, as the OAS 3.0
   write rules want), ``maxItems: 2`` on line ``Tracking``, the wrapper key of a plural body
   required, and a date pattern (``/Date(ms)/`` or ISO) on every ``x-is-msdate`` field.

Bodies are validated with jsonschema's Draft 4 validator (what OAS 3.0 schemas are, minus
``nullable``, which this spec never uses) over a ``referencing`` registry of the whole spec.
"""

from __future__ import annotations

import collections
import copy
import functools
import json
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema
import yaml

ENV = "TRACKMAP_XERO_SPEC"
SPEC_URI = "urn:trackmap:xero-accounting"
API_ROOT = "/api.xro/2.0"
DATE_PATTERN = (
    r"^(/Date\(-?\d+([+-]\d{4})?\)/|\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)$"
)
TRACKING_ARRAYS = (("LineItem", "Tracking"), ("ManualJournalLine", "Tracking"))


def spec_path() -> Path:
    """Where the spec is expected: TRACKMAP_XERO_SPEC, else beside the repository."""
    configured = os.environ.get(ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "xero" / "xero_accounting.yaml"


def missing_reason() -> str:
    """Why contract checks are skipped, naming the variable to set."""
    return f"Xero's OpenAPI contract not found at {spec_path()}; set {ENV} to its path."


def _fix_boolean_defaults(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "boolean" and isinstance(node.get("default"), str):
            node["default"] = node["default"].strip().lower() == "true"
        for value in node.values():
            _fix_boolean_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _fix_boolean_defaults(value)


def _published(raw: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(raw)
    _fix_boolean_defaults(spec)
    for schema in spec["components"]["schemas"].values():
        attachments = schema.get("properties", {}).get("HasAttachments")
        if attachments is not None:
            attachments.pop("readOnly", None)
    return spec


def _strict(published: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(published)
    schemas = spec["components"]["schemas"]
    for schema in schemas.values():
        properties = schema.get("properties")
        if properties is None:
            continue
        for name in [n for n, p in properties.items() if p.get("readOnly")]:
            del properties[name]
        for prop in properties.values():
            if prop.get("x-is-msdate") or prop.get("x-is-msdate-time"):
                prop["pattern"] = DATE_PATTERN
        schema["additionalProperties"] = False
        if "x-objectArrayKey" in schema:
            schema["required"] = [
                n for n, p in properties.items() if p.get("type") == "array" and n != "Warnings"
            ]
    for schema_name, prop in TRACKING_ARRAYS:
        schemas[schema_name]["properties"][prop]["maxItems"] = 2
    return spec


def _template(path: str) -> re.Pattern[str]:
    parts = ("[^/]+" if part.startswith("{") else re.escape(part) for part in path.split("/"))
    return re.compile("^" + "/".join(parts) + "$")


class Contract:
    """One variant of the spec, able to validate request bodies and count what it checked."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = referencing.Resource.from_contents(
            spec, default_specification=referencing.jsonschema.DRAFT4
        )
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            SPEC_URI, resource
        )
        self._routes = [(_template(path), path) for path in spec["paths"]]
        self._lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()

    def _request_schema(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        local = path.split("?", 1)[0]
        local = local.split(API_ROOT, 1)[1] if API_ROOT in local else local
        for pattern, template in self._routes:
            if pattern.match(local):
                operation = self.spec["paths"][template].get(method.lower())
                if operation is None or "requestBody" not in operation:
                    break
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                return template, {"$ref": SPEC_URI + ref}
        message = f"The contract has no request body for {method} {path}."
        raise LookupError(message)

    def errors(self, method: str, path: str, body: Any, *, source: str = "checked") -> list[str]:
        """Every way ``body`` (a dict or wire bytes) breaks the contract; empty when it fits.

        ``source`` labels the count (``built`` by the target, ``wire`` as FakeXero got it).
        """
        document = json.loads(body) if isinstance(body, (bytes, str)) else body
        template, schema = self._request_schema(method, path)
        validator = jsonschema.Draft4Validator(schema, registry=self.registry)
        found = [
            f"{'/'.join(str(p) for p in e.absolute_path) or '<body>'}: {e.message}"
            for e in validator.iter_errors(document)
        ]
        with self._lock:
            # PUT and POST share each document body schema; built bodies are counted by route.
            verb = "" if source == "built" else f"{method.upper()} "
            self.counts[f"{source}: {verb}{template}"] += 1
        return found

    @property
    def checked(self) -> int:
        """How many bodies this variant has validated."""
        return sum(self.counts.values())


class Contracts:
    """The published and strict variants of one spec file."""

    def __init__(self, raw: dict[str, Any]) -> None:
        from contract.exchanges import Exchanges  # it imports this module

        self.published = Contract(_published(raw))
        self.strict = Contract(_strict(self.published.spec))
        self.exchanges = Exchanges(self.published)

    def check_recorded(self, requests: Iterable[Any]) -> list[str]:
        """Validate the body of every PUT/POST a FakeXero recorded; return the failures."""
        failures: list[str] = []
        for request in requests:
            if request.method not in {"PUT", "POST"} or not request.body:
                continue
            errors = self.strict.errors(request.method, request.path, request.body, source="wire")
            failures.extend(f"{request.method} {request.path}: {error}" for error in errors)
        return failures


@functools.cache
def load() -> Contracts | None:
    """Load the spec ONCE per test session (C YAML loader, about 0.4 s); None when missing."""
    path = spec_path()
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        raw = yaml.load(handle, Loader=yaml.CSafeLoader)
    return Contracts(raw)


def counts_line(contracts: Contracts | None) -> str:
    """The session-finish line quoting how many bodies were validated."""
    if contracts is None:
        return f"xero contract: not checked ({missing_reason()})"
    counts = contracts.strict.counts
    totals = {
        source: sum(v for k, v in counts.items() if k.startswith(f"{source}: "))
        for source in ("built", "wire", "checked")
    }
    by_route = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    return (
        f"xero contract: {contracts.strict.checked} request bodies validated against the strict "
        f"variant: {totals['built']} document bodies as XeroTarget built them, "
        f"{totals['wire']} bodies as FakeXero received them, {totals['checked']} in contract "
        f"tests ({by_route}); {contracts.exchanges.summary()}; 0 failures (any would have "
        "failed its test)"
    )
