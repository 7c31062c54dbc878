"""The public face: what `__all__` promises is exactly what the modules offer."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import trackmap

PUBLIC_MODULES = (
    "trackmap",
    "trackmap.errors",
    "trackmap.protocols",
    "trackmap.approvals",
    "trackmap.drift",
    "trackmap.inbound",
    "trackmap.xero",
    "trackmap.testing",
    "trackmap.webhooks",
)
EVERY_PUBLIC_MODULE = (
    *PUBLIC_MODULES,
    "trackmap.postgres",
    "trackmap.redis",
    "trackmap.celery",
    "trackmap.testing.hosts",
    "trackmap.testing.strategies",
)
"""Also these, whose module namespaces hold their imports too (so `__all__` is not exact)."""
RENAMES = Path(__file__).resolve().parent.parent / "scripts" / "renames.tsv"
TEST_HOOKS = {"CHECKPOINTS", "harden", "request_key"}
"""Test hooks: never on the common path (``trackmap.testing`` holds ``CHECKPOINTS``)."""
REMOVED = {
    "trackmap": {"push", "diff_options", "match_document"},
    "trackmap.xero": {"harden", "request_key"},
}
"""Names removed outright (one way per idea): a test fails if one comes back."""


def _renames() -> list[tuple[str, str, str, str]]:
    rows = RENAMES.read_text(encoding="utf-8").splitlines()
    return [tuple(r.split("\t")) for r in rows if r and not r.startswith("#")]  # type: ignore[misc]


def _public_attributes(module: types.ModuleType) -> set[str]:
    """Names a user can reach that are neither private, submodules, nor future imports."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in {"annotations", "TYPE_CHECKING", "Any"}
    } | ({"errors", "__version__"} if module is trackmap else set())


class TestAll:
    """Every public module lists exactly its public names, each of which resolves."""

    @pytest.mark.parametrize("name", EVERY_PUBLIC_MODULE)
    def test_all_has_no_repeats(self, name):
        module = importlib.import_module(name)
        assert len(set(module.__all__)) == len(module.__all__)

    @pytest.mark.parametrize("name", EVERY_PUBLIC_MODULE)
    def test_every_listed_name_resolves(self, name):
        module = importlib.import_module(name)
        assert [] == [n for n in module.__all__ if getattr(module, n, None) is None]

    @pytest.mark.parametrize("name", PUBLIC_MODULES)
    def test_all_lists_exactly_the_public_names(self, name):
        module = importlib.import_module(name)
        for listed in module.__all__:  # load the lazy ones, so vars() shows them
            getattr(module, listed)
        assert set(module.__all__) == _public_attributes(module)

    def test_unknown_names_raise_attribute_error(self):
        with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
            _ = trackmap.nothing_here  # type: ignore[attr-defined]

    def test_version_comes_from_the_package_metadata(self):
        from importlib.metadata import version

        assert version("trackmap") == trackmap.__version__


class TestOnePlacePerName:
    """What moved, merged or was renamed stays gone from where it was (scripts/renames.tsv)."""

    @pytest.mark.parametrize(
        ("old_module", "new_module", "old", "new"),
        [r for r in _renames() if (r[0], r[2]) != (r[1], r[3])],
    )
    def test_a_moved_or_renamed_name_is_gone_from_its_old_place(
        self, old_module, new_module, old, new
    ):
        module = importlib.import_module(old_module)
        if old_module in PUBLIC_MODULES:
            assert old not in module.__all__
            assert not hasattr(module, old)
        assert hasattr(importlib.import_module(new_module), new)

    @pytest.mark.parametrize("name", PUBLIC_MODULES)
    def test_removed_names_do_not_come_back(self, name):
        module = importlib.import_module(name)
        removed = REMOVED.get(name, set())
        assert set() == removed & set(module.__all__)
        assert [] == [n for n in removed if hasattr(module, n)]

    @pytest.mark.parametrize("name", [m for m in EVERY_PUBLIC_MODULE if m != "trackmap.testing"])
    def test_no_test_hook_outside_the_test_kit(self, name):
        assert set() == TEST_HOOKS & set(importlib.import_module(name).__all__)

    def test_the_test_kit_has_the_checkpoints(self):
        import trackmap.testing

        assert "CHECKPOINTS" in trackmap.testing.__all__


class TestLaziness:
    """Importing trackmap loads no I/O library until settings or delivery are used."""

    @pytest.mark.parametrize(
        "name",
        [
            "trackmap",
            "trackmap.protocols",
            "trackmap.approvals",
            "trackmap.drift",
            "trackmap.inbound",
        ],
    )
    def test_plain_import_loads_no_io_library(self, name):
        code = (
            f"import sys, {name}; "
            "print(sorted(m for m in ('cattrs', 'sqlite3', 'tenacity', 'urllib3', 'xero_python')"
            " if m in sys.modules))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert "[]\n" == out

    def test_the_xero_package_is_the_one_that_imports_the_sdk(self):
        code = "import sys, trackmap.xero; print('xero_python' in sys.modules)"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert "True\n" == out
