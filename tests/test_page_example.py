"""The example settings page's server side, through Flask's test client (no browser).

The browser test (test_browser_settings_page.py) covers the user's path; these cover what a
browser cannot easily send: a tampered form, a save that must not write.
"""

from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from trackmap import loads_mapping

pytest.importorskip("flask", reason="the example needs the 'example' extra (Flask)")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
try:
    from examples.settings_page.app import HERE, Store, create_app
finally:
    sys.path.remove(str(ROOT))

DEPARTMENT = "0e8b5b4a-0000-4000-8000-000000000001"
SALES = "0e8b5b4a-0000-4000-8000-000000000013"


@pytest.fixture
def client(tmp_path):
    shutil.copy(HERE / "schema.json", tmp_path / "schema.json")
    store = Store(schema_path=tmp_path / "schema.json", settings_path=tmp_path / "settings.json")
    return create_app(store).test_client(), store


def form(**extra):
    base = {
        "cat0.category": DEPARTMENT,
        "cat0.sources": ["project_manager", ""],
        "cat0.mode": "table",
        "cat0.row0.value": "Ann Lee",
        "cat0.row0.option": "option:0e8b5b4a-0000-4000-8000-000000000011",
        "cat0.default": "",
        "cat0.on_unmapped": "skip",
        "action": "save",
    }
    return {**base, **extra}


class TestExampleApp:
    """Saving writes only a mapping that compiles; what the page never offered is refused."""

    def test_a_good_save_writes_and_redirects(self, client):
        app, store = client
        answer = app.post("/", data=form())
        assert 303 == answer.status_code
        assert "Ann Lee" in store.settings_path.read_text(encoding="utf-8")

    def test_a_tampered_choice_is_refused_and_nothing_is_written(self, client):
        app, store = client
        answer = app.post("/", data=form(**{"cat0.row0.option": "Development"}))
        page = answer.get_data(as_text=True)
        assert 200 == answer.status_code
        assert 'id="refused"' in page
        assert 'data-for="cat0.row0.option"' in page
        assert not store.settings_path.exists()

    def test_an_archived_option_is_refused_at_its_row(self, client):
        app, store = client
        archived = "option:0e8b5b4a-0000-4000-8000-000000000014"
        page = app.post("/", data=form(**{"cat0.row0.option": archived})).get_data(as_text=True)
        assert "Old projects (archived in Xero)" in page
        assert 'data-for="cat0.row0.option">Binding 1 (&#34;Department&#34;)' in page
        assert not store.settings_path.exists()

    def test_show_rows_does_not_save(self, client):
        app, store = client
        page = app.post("/", data=form(action="update")).get_data(as_text=True)
        assert "Bob Stone" in page
        assert not store.settings_path.exists()

    def test_a_typed_split_is_saved(self, client):
        app, store = client
        shares = {
            "cat0.row0.option": "split",
            "cat0.row0.shares.option": [
                "option:0e8b5b4a-0000-4000-8000-000000000011",
                "",
                f"option:{SALES}",
            ],
            "cat0.row0.shares.weight": ["60", "", "40"],
            "cat0.row0.split_by": "percent",
        }
        assert 303 == app.post("/", data=form(**shares)).status_code
        saved = loads_mapping(store.settings_path.read_text(encoding="utf-8"))
        (row,) = saved.bindings[0].values.rows
        assert ("Ann Lee", None, True) == (row.value, row.option_id, row.split.percent)
        assert [("0e8b5b4a-0000-4000-8000-000000000011", Decimal(60)), (SALES, Decimal(40))] == [
            (share.option_id, share.weight) for share in row.split.shares
        ]

    def test_a_share_without_weight_is_refused_at_its_row(self, client):
        app, store = client
        shares = {
            "cat0.row0.option": "split",
            "cat0.row0.shares.option": ["option:0e8b5b4a-0000-4000-8000-000000000011"] * 2,
            "cat0.row0.shares.weight": ["100"],
        }
        page = app.post("/", data=form(**shares)).get_data(as_text=True)
        assert 'id="refused"' in page
        assert (
            'data-for="cat0.row0.shares">The table row for &#34;Ann Lee&#34;: give the share of '
            "&#34;Development&#34; a weight"
        ) in page
        assert not store.settings_path.exists()
