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
from decimal import Decimal
from pathlib import Path

import pytest

from trackmap import Binding, ByTable, Share, Split, TableRow, TrackingMapping, loads_mapping

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
        assert [
            "(blank: send nothing)",
            "(not mapped)",
            "(split across options)",
            "Development",
            "HR",
            "Sales",
        ] == offered

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

    def test_a_split_row(self, chromium, site):
        """Split Bob's value across options: a bad total and an archived share are refused at
        his row with the engine's messages; 60/40 is saved, kept on reload and previewed."""
        server, store = site
        page = chromium.new_page()
        home = f"http://127.0.0.1:{server.server_port}/"
        page.goto(home)
        select(page, "cat0.sources").select_option("stage_manager")
        select(page, "cat0.mode").select_option("table")
        submit(page, "#update")
        refuse_a_bad_total(page, store)
        refuse_an_archived_share(page, store)
        save_keep_and_preview(page, store, home)
        page.close()


def refuse_a_bad_total(page, store):
    """Pick "split" for Bob, type shares adding up to 90%: refused at his row."""
    # Picking "split" shows Bob's shares: two empty slots offering the active options.
    bob = SplitRow(page, "Bob Stone")
    assert not bob.editor.is_visible()
    select(page, f"{bob.name}.option").select_option("split")
    assert bob.editor.is_visible()
    assert 2 == bob.shares.count()
    offered = bob.shares.nth(0).locator("select option").all_inner_texts()
    assert ["(pick an option)", "Development", "HR", "Sales"] == offered
    assert [("", ""), ("", "")] == bob.values()

    # Two shares adding up to 90%, and a third one added, then removed again.
    bob.fill(0, "Development", "60")
    bob.fill(1, "HR", "30")
    bob.editor.locator("button.add-share").click()
    assert 3 == bob.shares.count()
    bob.fill(2, "Sales", "10")
    bob.shares.nth(2).locator("button.remove-share").click()
    assert 2 == bob.shares.count()
    submit(page, "#save")
    assert page.locator("#refused").is_visible()
    assert not store.settings_path.exists()
    bob = SplitRow(page, "Bob Stone")  # the table's rows come first now: Bob's moved up
    total = (
        'Binding 1 ("Department"): the shares of the table row for "Bob Stone" add up to '
        "90%, not 100%; correct them, or save the split as ratio parts."
    )
    assert [total] == bob.problems()
    assert 1 == page.locator("p.problem").count()  # at Bob's row, and nowhere else
    assert bob.editor.is_visible()  # the refused shares as they were posted
    assert [("Development", "60"), ("HR", "30")] == bob.labels()
    SHOTS.mkdir(parents=True, exist_ok=True)
    bob.row.screenshot(path=str(SHOTS / "settings-page-split-total.png"))


def refuse_an_archived_share(page, store):
    """A share onto an option archived while the page was open, and one typed without an
    option: both refused at Bob's row."""
    bob = SplitRow(page, "Bob Stone")

    # 60/40, but Xero archives HR while the page is open: refused at Bob's row.
    bob.fill(1, "HR", "40")
    archive(store, HR)
    submit(page, "#save")
    assert page.locator("#refused").is_visible()
    assert not store.settings_path.exists()
    bob = SplitRow(page, "Bob Stone")
    (problem,) = bob.problems()
    assert 'the table row for "Bob Stone" points at option "HR", which is archived' in problem
    assert [("Development", "60"), ("HR (archived in Xero)", "40")] == bob.labels()

    # A share typed without its option is refused at the row too, naming it.
    bob.editor.locator("button.add-share").click()
    bob.shares.nth(2).locator("input").fill("5")
    submit(page, "#save")
    assert page.locator("#refused").is_visible()
    assert not store.settings_path.exists()
    bob = SplitRow(page, "Bob Stone")
    typed = 'The table row for "Bob Stone": pick an option for the share of "5".'
    assert typed in bob.problems()


def save_keep_and_preview(page, store, home):
    """60/40 saved, kept on reload, previewed; then the same split as ratio parts."""
    bob = SplitRow(page, "Bob Stone")
    # Sales instead of HR: saved as a 60/40 split.
    bob.fill(1, "Sales", "40%")
    submit(page, "#save")
    assert page.locator("#saved").is_visible()
    assert 0 == page.locator("p.problem").count()
    split = Split(
        shares=[
            Share(option_id=DEV, weight=Decimal(60)),
            Share(option_id=SALES, weight=Decimal(40)),
        ]
    )
    rows = [TableRow(value="Bob Stone", option_id=None, split=split)]
    expected = TrackingMapping(
        bindings=[
            Binding(
                category_id=DEPARTMENT,
                category_name="Department",
                sources=["stage_manager"],
                values=ByTable(rows=rows),
            )
        ]
    )
    assert expected == loads_mapping(store.settings_path.read_text(encoding="utf-8"))

    # Reload: the split is kept, and the preview shows Bob's line as two lines.
    page.goto(home)
    bob = SplitRow(page, "Bob Stone")
    assert "split" == select(page, f"{bob.name}.option").input_value()
    assert "percent" == select(page, f"{bob.name}.split_by").input_value()
    assert bob.editor.is_visible()
    assert [(f"option:{DEV}", "60"), (f"option:{SALES}", "40")] == bob.values()
    preview = page.locator("#preview").inner_text()
    assert (
        '60% of line 1: Department = "Development" for 60% because stage_manager is '
        '"Bob Stone" (split by the table)'
    ) in preview
    assert (
        '40% of line 1: Department = "Sales" for 40% because stage_manager is "Bob Stone" '
        "(split by the table)"
    ) in preview
    bob.row.screenshot(path=str(SHOTS / "settings-page-split.png"))
    page.screenshot(path=str(SHOTS / "settings-page-split-full.png"), full_page=True)

    # The same split as ratio parts 3:2: saved as ratios, previewed as the same 60%.
    select(page, f"{bob.name}.split_by").select_option("ratio")
    bob.shares.nth(0).locator("input").fill("3")
    bob.shares.nth(1).locator("input").fill("2")
    submit(page, "#save")
    assert page.locator("#saved").is_visible()
    saved = loads_mapping(store.settings_path.read_text(encoding="utf-8"))
    (row,) = saved.bindings[0].values.rows
    ratio = [Share(option_id=DEV, weight=Decimal(3)), Share(option_id=SALES, weight=Decimal(2))]
    assert Split(shares=ratio, percent=False) == row.split
    assert "60% of line 1" in page.locator("#preview").inner_text()


class SplitRow:
    """A table row of Department found by its value (the page may show it at another index)."""

    def __init__(self, page, value):
        rows = page.locator("#cat0 tr[data-row]")
        found = [
            i for i in range(rows.count()) if value == rows.nth(i).locator("td").first.inner_text()
        ]
        assert 1 == len(found), f"{value} is on {len(found)} rows"
        self.page = page
        self.row = rows.nth(found[0])
        self.name = self.row.get_attribute("data-row").removesuffix(".option")
        self.editor = self.row.locator("div.split")
        self.shares = self.editor.locator("li.share")

    def fill(self, index, label, weight):
        self.shares.nth(index).locator("select").select_option(label=label)
        self.shares.nth(index).locator("input").fill(weight)

    def values(self):
        return [
            (share.locator("select").input_value(), share.locator("input").input_value())
            for share in self.shares.all()
        ]

    def labels(self):
        return [
            (
                share.locator("select option:checked").inner_text(),
                share.locator("input").input_value(),
            )
            for share in self.shares.all()
        ]

    def problems(self):
        return self.page.locator(
            f'#cat0 p.problem[data-for="{self.name}.shares"]'
        ).all_inner_texts()
