"""The example settings page end to end, in a real headless Chromium driven by Playwright.

The app (examples/settings_page) serves on 127.0.0.1 from a thread; Chromium is Debian's
``chromium`` package (``.ci/run`` and ``scripts/test`` install it). Without a browser, or
without Playwright or Flask, the tests skip locally and FAIL under CI (``CI`` set): a page that
is not tested in a browser is not tested. Screenshots go to build/screenshots/ (or
``TRACKMAP_SCREENSHOTS``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from trackmap import Binding, ByTable, TrackingMapping, loads_mapping

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("TRACKMAP_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(os.environ.get("TRACKMAP_SCREENSHOTS", ROOT / "build" / "screenshots"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEPARTMENT = "0e8b5b4a-0000-4000-8000-000000000001"
DEV, HR, SALES = (f"0e8b5b4a-0000-4000-8000-0000000000{n}" for n in (11, 12, 13))


def _missing() -> list[str]:
    missing = [m for m in ("playwright", "flask") if importlib.util.find_spec(m) is None]
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium chromium-driver)")
    return missing


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """A headless Chromium with a fresh profile; missing: skip locally, fail under CI."""
    missing = _missing()
    if missing:
        reason = "the browser test needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must install them: see .ci/run)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1100, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def site(tmp_path):
    """The example app on 127.0.0.1, over a copy of its schema and a fresh settings file."""
    sys.path.insert(0, str(ROOT))
    try:
        from examples.settings_page.app import HERE, Store, create_app
    finally:
        sys.path.remove(str(ROOT))
    from werkzeug.serving import make_server

    shutil.copy(HERE / "schema.json", tmp_path / "schema.json")
    store = Store(schema_path=tmp_path / "schema.json", settings_path=tmp_path / "settings.json")
    server = make_server("127.0.0.1", 0, create_app(store), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, store
    finally:
        server.shutdown()
        thread.join()


def select(page, name):
    return page.locator(f'select[id="{name}"]')


def submit(page, button):
    with page.expect_navigation():
        page.click(button)


def archive(store, option_id):
    data = json.loads(store.schema_path.read_text(encoding="utf-8"))
    for category in data["categories"]:
        for option in category["options"]:
            if option["id"] == option_id:
                option["status"] = "ARCHIVED"
    store.schema_path.write_text(json.dumps(data), encoding="utf-8")


class TestSettingsPageInABrowser:
    """Pick a field, fill the rows, save, reload, see an archived option refused, preview."""

    def test_the_whole_page(self, chromium, site):
        server, store = site
        assert "127.0.0.1" == server.server_address[0]
        page = chromium.new_page()
        home = f"http://127.0.0.1:{server.server_port}/"
        page.goto(home)
        assert "Xero tracking" == page.locator("h1").inner_text()

        # Pick a field and the table mode, and ask for the rows.
        select(page, "cat0.sources").select_option("project_manager")
        select(page, "cat0.mode").select_option("table")
        submit(page, "#update")
        rows = page.locator("#cat0 tr[data-row]")
        assert ["Ann Lee", "Bob Stone", "Cy Young"] == [
            rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())
        ]
        offered = select(page, "cat0.row0.option").locator("option").all_inner_texts()
        assert ["(blank: send nothing)", "(not mapped)", "Development", "HR", "Sales"] == offered

        # Fill the rows and save; the page comes back saying so.
        select(page, "cat0.row0.option").select_option(label="Development")
        select(page, "cat0.row1.option").select_option(label="HR")
        select(page, "cat0.row2.option").select_option(value="")
        submit(page, "#save")
        assert page.locator("#saved").is_visible()
        expected = TrackingMapping(
            bindings=[
                Binding(
                    category_id=DEPARTMENT,
                    category_name="Department",
                    sources=["project_manager"],
                    values=ByTable(rows={"Ann Lee": DEV, "Bob Stone": HR, "Cy Young": None}),
                )
            ]
        )
        assert expected == loads_mapping(store.settings_path.read_text(encoding="utf-8"))

        # Reload: the choices are the saved ones.
        page.goto(home)
        assert [f"option:{DEV}", f"option:{HR}", ""] == [
            select(page, f"cat0.row{i}.option").input_value() for i in range(3)
        ]

        # Xero archives HR: the page shows it at Bob's row, and refuses to save it.
        archive(store, HR)
        page.goto(home)
        problem = page.locator('#cat0 p.problem[data-for="cat0.row1.option"]')
        assert "archived in Xero" in problem.inner_text()
        assert "HR (archived in Xero)" in select(page, "cat0.row1.option").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "settings-page-archived.png"), full_page=True)
        saved = store.settings_path.read_bytes()
        submit(page, "#save")
        assert page.locator("#refused").is_visible()
        assert "archived in Xero" in problem.inner_text()
        assert saved == store.settings_path.read_bytes()

        # Pick another option: saved; the preview shows what each invoice would carry.
        select(page, "cat0.row1.option").select_option(label="Sales")
        submit(page, "#save")
        assert page.locator("#saved").is_visible()
        assert 0 == page.locator("p.problem").count()
        preview = page.locator("#preview").inner_text()
        assert 'Department = "Development" because project_manager is "Ann Lee"' in preview
        assert 'Department = "Sales" because project_manager is "Bob Stone"' in preview
        page.screenshot(path=str(SHOTS / "settings-page.png"), full_page=True)
        page.close()
