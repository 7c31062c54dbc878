"""The engine is pure: importing it loads no I/O-side dependency (DESIGN section 3)."""

from __future__ import annotations

import json
import subprocess
import sys

IMPURE = ("xero_python", "tenacity", "cattrs", "urllib3", "sqlite3")

PROBE = f"""
import json, sys
import trackmap._engine
import trackmap._engine._explain
print(json.dumps(sorted(m for m in {IMPURE!r} if m in sys.modules)))
"""


class TestEnginePurity:
    """A fresh interpreter that imports the engine has none of the I/O-side modules loaded."""

    def test_importing_the_engine_loads_nothing_impure(self):
        done = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
        )
        assert [] == json.loads(done.stdout)

    def test_the_probe_can_see_an_impure_import(self):
        probe = PROBE.replace("import trackmap._engine\n", "import trackmap._engine, sqlite3\n")
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
        )
        assert ["sqlite3"] == json.loads(done.stdout)
