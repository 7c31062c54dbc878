"""The scale integrations are optional: the core imports none of psycopg, redis or celery, and
each integration module imports only its own library; each lists exactly its public names."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

INTEGRATIONS = {
    "trackmap.postgres": ("psycopg", "psycopg_pool"),
    "trackmap.redis": ("redis",),
    "trackmap.celery": ("celery", "kombu"),
}
LIBRARIES = ("psycopg", "psycopg_pool", "redis", "celery", "kombu")


def loaded_after(code: str) -> list[str]:
    probe = f"import sys; {code}; print(','.join(m for m in {LIBRARIES!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return [name for name in out.strip().split(",") if name]


class TestTheCoreImportsNoIntegration:
    """Using all of the core (delivery, the Xero target, the test kit) loads none of them."""

    def test_the_whole_core_loads_no_integration_library(self):
        code = (
            "import trackmap, trackmap.xero, trackmap.testing; "
            "from trackmap import Pusher, SqliteLedger; "
            "from trackmap.xero import XeroTarget, LocalBudget"
        )
        assert [] == loaded_after(code)

    @pytest.mark.parametrize(("module", "libraries"), INTEGRATIONS.items())
    def test_each_integration_loads_only_its_own_library(self, module, libraries):
        assert list(libraries) == loaded_after(f"import {module}")


class TestPublicNames:
    """Each integration module's __all__ is exactly what it offers."""

    @pytest.mark.parametrize("module", INTEGRATIONS)
    def test_all_lists_every_class_and_function_defined_there(self, module):
        imported = importlib.import_module(module)
        defined = {
            name
            for name, value in vars(imported).items()
            if not name.startswith("_")
            and isinstance(value, type | types.FunctionType)
            and value.__module__ == module
        }
        assert defined <= set(imported.__all__)
        assert [] == [n for n in imported.__all__ if getattr(imported, n, None) is None]
