"""Whole requests and FakeXero's answers, checked against Xero's published contract.

Bodies are checked by `xero_contract.Contract.errors`; this module checks the rest of an
exchange that FakeXero recorded (`RecordedRequest`):

- **The whole request** (path, query, headers): the path and method are an operation of the
  contract; every query parameter is one the operation declares, and its value fits the
  parameter's schema (integers, booleans, comma-separated arrays of GUIDs...); every required
  header is there (``xero-tenant-id``, ``Authorization`` for OAuth2), declared headers fit
  their schema, and ``Idempotency-Key`` has at most 128 characters (the parameter's own
  description). xero-python sends booleans as ``True``/``False``; OpenAPI's form style wants
  ``true``/``false``. That is xero-python's (XERO.md), Xero accepts it, so it is counted as a
  known quirk, not a failure. Only requests the SDK built are checked: tests send hand-made
  requests through ``fake.raw`` on purpose to see FakeXero refuse them.
- **The answer**: a JSON answer whose status the operation documents (200, and 400 for
  writes) is validated against that response's schema in the PUBLISHED variant (Xero's own
  examples fail the strict one). Statuses the contract does not document (401, 403, 404, 413,
  429, 5xx) are counted by status, not validated: there is no schema to hold them to.

jsonschema is used rather than openapi-core: the spec is already loaded once per session for
the bodies and shared here (openapi-core would load and validate it a second time, and is not
a dependency); parameter styles trackmap meets are few (form-style query values, simple
headers) and are decoded below, explicitly.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import threading
from typing import Any

import jsonschema

from contract.xero_contract import API_ROOT, SPEC_URI, Contract

_GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_SDK_AGENT = "xero-python"
_MAX_IDEMPOTENCY_KEY = 128
_UNDOCUMENTED = "undocumented"


def _template(path: str) -> re.Pattern[str]:
    parts = ("[^/]+" if part.startswith("{") else re.escape(part) for part in path.split("/"))
    return re.compile("^" + "/".join(parts) + "$")


class Exchanges:
    """Checks recorded requests and answers against one contract variant; counts them."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.spec = contract.spec
        self._routes = [(_template(path), path) for path in self.spec["paths"]]
        self._validators: dict[str, jsonschema.Draft4Validator] = {}
        self._lock = threading.Lock()
        self.requests: collections.Counter[str] = collections.Counter()
        self.answers: collections.Counter[str] = collections.Counter()
        self.quirks: collections.Counter[str] = collections.Counter()

    # --- shared -------------------------------------------------------------------------

    def _operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        local = path.split(API_ROOT, 1)[-1]
        for pattern, template in self._routes:
            if pattern.match(local):
                operation = self.spec["paths"][template].get(method.lower())
                return None if operation is None else (template, operation)
        return None

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            found: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                found = found[part]
            node = found
        return node

    def _parameters(self, template: str, operation: dict[str, Any]) -> list[dict[str, Any]]:
        shared = self.spec["paths"][template].get("parameters", [])
        return [self._resolve(p) for p in (*shared, *operation.get("parameters", []))]

    def _validator(self, ref: str) -> jsonschema.Draft4Validator:
        with self._lock:
            found = self._validators.get(ref)
            if found is None:
                schema = {"$ref": SPEC_URI + ref}
                # One validator per schema, reused: building one costs more than using it.
                found = jsonschema.Draft4Validator(schema, registry=self.contract.registry)
                self._validators[ref] = found
            return found

    def _count(self, counter: collections.Counter[str], key: str) -> None:
        with self._lock:
            counter[key] += 1

    # --- requests -----------------------------------------------------------------------

    def request_errors(self, record: Any) -> list[str]:
        """Every way a recorded SDK request's path, query or headers break the contract."""
        if not str(record.headers.get("user-agent", "")).startswith(_SDK_AGENT):
            return []
        found = self._operation(record.method, record.path)
        if found is None:
            self._count(self.requests, f"{record.method} {record.path} (no such operation)")
            return [f"{record.method} {record.path}: no such operation in the contract"]
        template, operation = found
        self._count(self.requests, f"{record.method} {template}")
        parameters = self._parameters(template, operation)
        errors = self._query_errors(record.query, parameters)
        errors += self._header_errors(record.headers, parameters)
        errors += self._path_errors(record.path, template, parameters)
        return [f"{record.method} {record.path}: {error}" for error in errors]

    def _query_errors(self, query: Any, parameters: list[dict[str, Any]]) -> list[str]:
        declared = {p["name"]: p for p in parameters if p["in"] == "query"}
        errors = []
        for name, raw in query.items():
            parameter = declared.get(name)
            if parameter is None:
                errors.append(f"query parameter {name!r} is not declared by the operation")
                continue
            errors += self._value_errors(f"query {name}", raw, parameter.get("schema", {}))
        return errors

    def _header_errors(self, headers: Any, parameters: list[dict[str, Any]]) -> list[str]:
        errors = []
        if "authorization" not in headers:
            errors.append("no Authorization header (the contract's security is OAuth2)")
        for parameter in (p for p in parameters if p["in"] == "header"):
            raw = headers.get(parameter["name"].lower())
            if raw is None:
                if parameter.get("required"):
                    errors.append(f"the required header {parameter['name']} is missing")
                continue
            if parameter["name"].lower() == "idempotency-key" and len(raw) > _MAX_IDEMPOTENCY_KEY:
                errors.append(f"Idempotency-Key of {len(raw)} characters (at most 128)")
            label = f"header {parameter['name']}"
            errors += self._value_errors(label, raw, parameter.get("schema", {}))
        return errors

    def _path_errors(self, path: str, template: str, parameters: list[dict[str, Any]]) -> list[str]:
        declared = {p["name"]: p for p in parameters if p["in"] == "path"}
        errors = []
        for part, pattern in zip(path.split("/"), template.split("/"), strict=False):
            if pattern.startswith("{") and pattern[1:-1] in declared:
                schema = declared[pattern[1:-1]].get("schema", {})
                errors += self._value_errors(f"path {pattern}", part, schema)
        return errors

    def _value_errors(self, label: str, raw: str, schema: dict[str, Any]) -> list[str]:
        value, problem = self._decode(label, raw, schema)
        if problem:
            return [f"{label}={raw!r}: {problem}"]
        errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(value)]
        items = [value] if schema.get("type") != "array" else value
        fmt = schema.get("format") or schema.get("items", {}).get("format")
        if fmt == "uuid":
            errors += [f"{item!r} is not a GUID" for item in items if not _GUID.match(str(item))]
        if fmt == "date-time" and not _iso_moment(raw):
            errors.append(f"{raw!r} is not an ISO 8601 date-time")
        return [f"{label}={raw!r}: {error}" for error in errors]

    def _decode(self, label: str, raw: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
        kind = schema.get("type")
        if kind == "boolean":
            if raw in {"True", "False"}:
                self._count(self.quirks, f"capitalised boolean ({label.rsplit(maxsplit=1)[-1]})")
            if raw.lower() not in {"true", "false"}:
                return None, "not a boolean"
            return raw.lower() == "true", None
        if kind == "integer":
            try:
                return int(raw), None
            except ValueError:
                return None, "not an integer"
        if kind == "array":
            return [part for part in raw.split(",") if part], None
        return raw, None

    # --- answers ------------------------------------------------------------------------

    def answer_errors(self, record: Any) -> list[str]:
        """Every way a recorded answer breaks the response schema of its status."""
        if record.status is None:  # dropped on purpose (an injected fault): nothing answered
            return []
        found = self._operation(record.method, record.path)
        responses = {} if found is None else found[1].get("responses", {})
        response = responses.get(str(record.status)) or responses.get("default")
        content = {} if response is None else self._resolve(response).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None or "$ref" not in schema:
            self._count(self.answers, f"{_UNDOCUMENTED} {record.status}")
            return []
        template = found[0] if found else record.path
        self._count(self.answers, f"{record.method} {template} {record.status}")
        kind = str(record.answer_headers.get("Content-Type", ""))
        if not kind.startswith("application/json"):
            return [f"{record.method} {record.path} {record.status}: answered {kind!r}, not JSON"]
        try:
            body = json.loads(record.answer)
        except ValueError as exc:
            return [f"{record.method} {record.path} {record.status}: not JSON ({exc})"]
        validator = self._validator(schema["$ref"])
        return [
            f"{record.method} {record.path} {record.status}: "
            f"{'/'.join(str(p) for p in e.absolute_path) or '<body>'}: {e.message}"
            for e in validator.iter_errors(body)
        ]

    # --- totals -------------------------------------------------------------------------

    def totals(self) -> tuple[int, int, int]:
        """(whole requests validated, answers validated, answers without a documented schema)."""
        with self._lock:
            requests = sum(self.requests.values())
            undocumented = sum(v for k, v in self.answers.items() if k.startswith(_UNDOCUMENTED))
            return requests, sum(self.answers.values()) - undocumented, undocumented

    def summary(self) -> str:
        """One line: what was validated, and what could not be."""
        requests, answers, undocumented = self.totals()
        with self._lock:
            statuses = sorted(
                (k.split()[-1], v) for k, v in self.answers.items() if k.startswith(_UNDOCUMENTED)
            )
            quirks = ", ".join(f"{k}: {v}" for k, v in sorted(self.quirks.items()))
        shown = ", ".join(f"{status}: {count}" for status, count in statuses) or "none"
        return (
            f"{requests} whole requests (path, query, headers) and {answers} FakeXero answers "
            f"validated against the published variant; {undocumented} answers with statuses "
            f"the contract gives no schema ({shown}); known xero-python quirks accepted: "
            f"{quirks or 'none'}"
        )


def _iso_moment(raw: str) -> bool:
    try:
        dt.datetime.fromisoformat(raw)
    except ValueError:
        return False
    return True
