"""scripts/apply_renames.py: renames.tsv applied to a tree, so that other branches can follow.

apply_renames: skip this file (its samples are in the old names on purpose).
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "apply_renames", ROOT / "scripts" / "apply_renames.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENAMES = _script()
ROWS = RENAMES.load()

OLD_SOURCE = '''\
"""Old names: see `Status` and `trackmap.Target`."""

from trackmap import CHECKPOINTS, Level, Status, Target, TrackingSchema
from trackmap._engine._match import TrackedOption
from trackmap.xero import RateBudget, XeroTarget, harden

__all__ = ["helper"]


def helper(body, budget: RateBudget) -> Target:
    # Xero's own key stays: body["Status"]; a `Level` in a comment is ours.
    body["Status"] = Status.ACTIVE.value
    entry = TrackedOption(category_id="c")
    harden(XeroTarget)
    return (CHECKPOINTS, Level.LINE, TrackingSchema(), entry, body.Status, budget)
'''

NEW_SOURCE = '''\
"""Old names: see `TrackingStatus` and `trackmap.protocols.Target`."""

from trackmap import FieldLevel, TrackingStatus, TrackingSchema
from trackmap.testing import CHECKPOINTS
from trackmap.protocols import Target
from trackmap._engine._match import TrackingEntry
from trackmap.xero import XeroTarget
from trackmap.protocols import RateBudget
from trackmap.xero._auth import harden

__all__ = ["helper"]


def helper(body, budget: RateBudget) -> Target:
    # Xero's own key stays: body["Status"]; a `FieldLevel` in a comment is ours.
    body["Status"] = TrackingStatus.ACTIVE.value
    entry = TrackingEntry(category_id="c")
    harden(XeroTarget)
    return (CHECKPOINTS, FieldLevel.LINE, TrackingSchema(), entry, body.Status, budget)
'''


class TestPython:
    """Imports, bare names, exported names and backticked mentions; nothing else."""

    def test_a_module_in_old_names_gets_the_new_ones(self):
        assert NEW_SOURCE == RENAMES.rewrite_python(OLD_SOURCE, ROWS)

    def test_applying_twice_changes_nothing_more(self):
        once = RENAMES.rewrite_python(OLD_SOURCE, ROWS)
        assert once == RENAMES.rewrite_python(once, ROWS)

    def test_the_defining_module_renames_its_definition_and_its_all(self):
        source = '__all__ = ["Level", "other"]\n\n\nclass Level:\n    pass\n'
        expected = '__all__ = ["FieldLevel", "other"]\n\n\nclass FieldLevel:\n    pass\n'
        assert expected == RENAMES.rewrite_python(source, ROWS, "trackmap._engine._mapping")

    def test_a_name_of_the_same_spelling_from_elsewhere_is_left_alone(self):
        source = "from trackmap.testing._fakexero._state import Status\n\nx: Status = 'ACTIVE'\n"
        assert source == RENAMES.rewrite_python(source, ROWS)

    def test_a_merge_onto_an_imported_name_adds_no_second_import(self):
        source = (
            "from trackmap._engine._match import TrackedOption\n"
            "from trackmap._sync._target import TrackingEntry\n"
            "a = (TrackedOption, TrackingEntry)\n"
        )
        expected = (
            "from trackmap._sync._target import TrackingEntry\na = (TrackingEntry, TrackingEntry)\n"
        )
        assert expected == RENAMES.rewrite_python(source, ROWS)


class TestMarkdown:
    """Python blocks run as one script per page; prose changes only inside backticks."""

    def test_blocks_and_spans(self):
        page = textwrap.dedent(
            """\
            ## Status sync back

            Set `Missing.CREATE` or call `trackmap.pull_documents`; Status words stay.

            ```python
            from trackmap import Level, Missing
            ```

            ```python
            print(Level.LINE, Missing.CREATE)
            ```
            """
        )
        expected = textwrap.dedent(
            """\
            ## Status sync back

            Set `OnMissing.CREATE` or call `trackmap.inbound.pull_documents`; Status words stay.

            ```python
            from trackmap import FieldLevel, OnMissing
            ```

            ```python
            print(FieldLevel.LINE, OnMissing.CREATE)
            ```
            """
        )
        assert expected == RENAMES.rewrite_markdown(page, ROWS)


class TestTheTree:
    """This tree already speaks the new names: applying the table changes nothing."""

    @pytest.mark.parametrize(
        "part", ["src", "tests", "docs", "examples", "benchmarks", "README.md"]
    )
    def test_nothing_left_to_rename(self, part):
        changed = [
            str(p)
            for p in RENAMES._files([ROOT / part])
            if RENAMES.rewrite_file(p, ROWS) is not None
        ]
        assert changed == []

    def test_every_row_has_four_fields_and_names_a_real_new_place(self):
        for row in ROWS:
            module = importlib.import_module(row.new_module)
            assert hasattr(module, row.new_name), row
