"""Every ```python block in docs/*.md runs, so the documentation cannot drift from the code.

Each page's blocks run in order in one namespace (a page reads like one session). A block may
be followed directly by an ```output block: the block's printed output must equal it. A block
is skipped only when the line before its fence is the marker ``<!-- docs-test: skip -->``
(for the rare block that needs a real Xero organisation).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
SKIP_MARKER = "<!-- docs-test: skip -->"
FENCE = re.compile(r"^```(\w*)\s*$")
MY_PAGES = ("index.md", "tutorial.md", "concepts.md", "adapters.md", "settings.md")


@attrs.frozen
class Block:
    """One fenced block: its language, first line number (1-based) and text."""

    language: str
    line: int
    text: str
    skipped: bool = False
    output: str | None = None


def parse(markdown: str) -> list[Block]:
    """Return the python blocks of a page, each with the output block that follows it."""
    lines = markdown.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
        if end is None:
            msg = f"unclosed code fence at line {i + 1}"
            raise ValueError(msg)
        previous = next((ln for ln in reversed(lines[:i]) if ln.strip()), "")
        text = "\n".join(lines[i + 1 : end]) + "\n"
        language = match.group(1)
        if language == "output" and blocks and blocks[-1].output is None and _adjacent(lines, i):
            blocks[-1] = attrs.evolve(blocks[-1], output=text)
        elif language == "python":
            blocks.append(Block(language, i + 2, text, skipped=previous.strip() == SKIP_MARKER))
        i = end + 1
    return blocks


def _adjacent(lines: list[str], fence: int) -> bool:
    """Whether an output fence directly follows the previous block (blank lines allowed)."""
    before = [ln for ln in reversed(lines[:fence]) if ln.strip()]
    return bool(before) and before[0].startswith("```")


def run_page(path: Path) -> None:
    """Run a page's blocks in order in one namespace, checking outputs where given."""
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for block in parse(path.read_text(encoding="utf-8")):
        if block.skipped:
            continue
        # Pad with blank lines so that tracebacks point at the page's own line numbers.
        code = compile("\n" * (block.line - 1) + block.text, str(path), "exec")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)  # noqa: S102 - running the docs is the point
        if block.output is not None:
            assert _clean(block.output) == _clean(printed.getvalue()), f"{path}:{block.line}"


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


PAGES = [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md"]


class TestDocs:
    """The documentation's code runs and prints what the pages say it prints."""

    @pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
    def test_page_runs(self, path):
        run_page(path)

    def test_my_pages_exist_with_code(self):
        for name in MY_PAGES:
            blocks = parse((DOCS / name).read_text(encoding="utf-8"))
            assert [b for b in blocks if not b.skipped], name


class TestTutorialAsOneScript:
    """The tutorial, pasted into one file, runs top to bottom in a fresh interpreter."""

    def test_pasted_tutorial_runs_in_an_empty_folder(self, tmp_path):
        blocks = parse((DOCS / "tutorial.md").read_text(encoding="utf-8"))
        assert blocks, "the tutorial has python blocks"
        assert not [b.line for b in blocks if b.skipped], "every tutorial block must run"
        script = tmp_path / "tutorial.py"
        script.write_text("\n".join(b.text for b in blocks), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        ran = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert ran.returncode == 0, ran.stderr
        expected = "".join(b.output for b in blocks if b.output is not None)
        assert _clean(expected) == _clean(ran.stdout)


class TestLinks:
    """The pages point at things that exist: every page is listed on the index, links resolve."""

    def test_the_index_lists_every_page(self):
        index = (DOCS / "index.md").read_text(encoding="utf-8")
        listed = set(re.findall(r"\]\(([\w-]+\.md)\)", index))
        pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
        assert sorted(pages - listed) == []

    @pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
    def test_relative_links_resolve(self, path):
        text = path.read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text)
        missing = [t for t in targets if not (path.parent / t).exists()]
        assert missing == []

    @pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
    def test_cited_source_files_exist(self, path):
        text = path.read_text(encoding="utf-8")
        cited = re.findall(r"`(src/trackmap/[\w/]+\.py)`", text)
        missing = [c for c in cited if not (DOCS.parent / c).exists()]
        assert missing == []


class TestApiReference:
    """docs/api.md lists every public name, as scripts/api_reference.py renders it."""

    def test_the_page_is_current(self):
        spec = importlib.util.spec_from_file_location(
            "api_reference", DOCS.parent / "scripts" / "api_reference.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        expected = module.render()
        actual = (DOCS / "api.md").read_text(encoding="utf-8")
        assert expected == actual, "run: python scripts/api_reference.py"


class TestParser:
    """The block extractor finds python blocks, outputs and skip markers."""

    def test_blocks_outputs_and_skips(self):
        page = textwrap.dedent(
            """\
            # Title
            ```python
            print(1)
            ```

            ```output
            1
            ```
            <!-- docs-test: skip -->
            ```python
            connect_to_xero()
            ```
            ```sh
            trackmap demo
            ```
            """
        )
        expected = [
            Block("python", 3, "print(1)\n", output="1\n"),
            Block("python", 11, "connect_to_xero()\n", skipped=True),
        ]
        assert expected == parse(page)

    def test_output_mismatch_fails(self, tmp_path):
        page = tmp_path / "p.md"
        page.write_text("```python\nprint(2)\n```\n```output\n3\n```\n", encoding="utf-8")
        with pytest.raises(AssertionError):
            run_page(page)

    def test_errors_point_at_the_page_line(self, tmp_path):
        page = tmp_path / "p.md"
        page.write_text("text\n\n```python\nx = 1\nraise KeyError(x)\n```\n", encoding="utf-8")
        with pytest.raises(KeyError) as info:
            run_page(page)
        assert info.traceback[-1].lineno + 1 == 5
