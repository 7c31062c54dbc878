"""The settings page as a small Flask app: show the page, apply a posted page, save, preview.

Everything trackmap-facing is in this file and ``host.py``; the template only renders the page
model (`trackmap.SettingsPage.to_json`). A real host would read the schema from Xero
(``XeroTarget.schema()``) and keep the settings in its own database, one per organisation; here
both are JSON files, so that the example runs without credentials.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template, request
from werkzeug.wrappers import Response

from trackmap import (
    SettingsPage,
    TrackingMapping,
    TrackingSchema,
    apply_settings_page,
    compile_mapping,
    dumps_mapping,
    explain_text,
    load_schema,
    loads_mapping,
    resolve,
    settings_page_for,
)
from trackmap.errors import MappingError, SettingsError

from .host import INVOICES, InvoiceAdapter

HERE = Path(__file__).resolve().parent


class Store:
    """The organisation's schema and the saved settings, as two JSON files."""

    def __init__(self, *, schema_path: Path, settings_path: Path) -> None:
        self.schema_path = schema_path
        self.settings_path = settings_path

    def schema(self) -> TrackingSchema:
        """The organisation's tracking categories, as last read from Xero."""
        return load_schema(_json(self.schema_path))

    def mapping(self) -> TrackingMapping:
        """The saved settings (none yet: an empty mapping, which sends no tracking)."""
        if not self.settings_path.exists():
            return TrackingMapping()
        return loads_mapping(self.settings_path.read_text(encoding="utf-8"))

    def save(self, mapping: TrackingMapping) -> None:
        """Write the settings atomically: a crash leaves the old file or the new one."""
        folder = self.settings_path.parent
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(dumps_mapping(mapping))
        Path(handle.name).replace(self.settings_path)


def _json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def create_app(store: Store) -> Flask:
    """Return the app for one organisation's settings."""
    app = Flask(__name__, template_folder=str(HERE / "templates"))
    adapter = InvoiceAdapter()

    @app.get("/")
    def show() -> str:
        schema, mapping = store.schema(), store.mapping()
        page = settings_page_for(adapter, schema, mapping)
        return _render(page, schema, mapping, saved=request.args.get("saved") == "1")

    @app.post("/")
    def post() -> str | Response:
        schema = store.schema()
        form = request.form.to_dict(flat=False)
        result = apply_settings_page(form, schema, adapter.fields())
        if request.form.get("action") == "save" and result.ok:
            store.save(result.mapping)
            return redirect("/?saved=1", code=303)
        # Show the user's choices again, every problem at the control it was posted from.
        page = settings_page_for(adapter, schema, result.mapping).with_posted(result, form)
        refused = request.form.get("action") == "save"
        return _render(page, schema, store.mapping(), refused=refused)

    return app


def _render(
    page: SettingsPage,
    schema: TrackingSchema,
    saved_mapping: TrackingMapping,
    **flags: Any,  # noqa: ANN401 - template flags
) -> str:
    return render_template(
        "settings.html", page=page.to_json(), preview=_preview(schema, saved_mapping), **flags
    )


def _preview(schema: TrackingSchema, mapping: TrackingMapping) -> dict[str, Any]:
    """What the saved settings would send for the host's invoices, or why they cannot."""
    adapter = InvoiceAdapter()
    try:
        compiled = compile_mapping(mapping, schema, adapter.fields())
    except MappingError as exc:
        return {"error": str(exc), "documents": []}
    documents = [
        {"key": invoice.number, "lines": explain_text(resolve(compiled, adapter.document(invoice)))}
        for invoice in INVOICES
    ]
    return {"error": None, "documents": documents}


def main() -> None:
    """Serve the example on 127.0.0.1 (never on other interfaces)."""
    folder = Path(os.environ.get("SETTINGS_PAGE_DIR", HERE))
    store = Store(schema_path=HERE / "schema.json", settings_path=folder / "settings.json")
    try:
        store.mapping()
    except SettingsError as exc:
        raise SystemExit(str(exc)) from exc
    create_app(store).run(host="127.0.0.1", port=int(os.environ.get("PORT", "8765")))
