"""The public face: what `__all__` promises is exactly what the modules offer."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import trackmap

PUBLIC_MODULES = (
    "trackmap",
    "trackmap.errors",
    "trackmap.xero",
    "trackmap.testing",
    "trackmap.webhooks",
)


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

    @pytest.mark.parametrize("name", PUBLIC_MODULES)
    def test_all_has_no_repeats(self, name):
        module = importlib.import_module(name)
        assert len(set(module.__all__)) == len(module.__all__)

    @pytest.mark.parametrize("name", PUBLIC_MODULES)
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


class TestLaziness:
    """Importing trackmap loads no I/O library until settings or delivery are used."""

    def test_plain_import_loads_no_io_library(self):
        code = (
            "import sys, trackmap; "
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
