"""Names a public module loads on first use (PEP 562), so that importing it stays light.

`trackmap`, `trackmap.protocols`, `trackmap.approvals`, `trackmap.drift` and `trackmap.inbound`
list some names in ``_LAZY`` (name -> the private module that defines it): the settings and
delivery layers, which import cattrs, sqlite3, tenacity or xero-python, load only when a host
first touches one of their names. This module imports nothing but the standard library.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    module_name: str, lazy: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the module's ``__getattr__`` and ``__dir__``.

    ``__getattr__`` imports the private module a lazy name lives in, keeps the value in the
    public module (so it loads once) and returns it; any other name is an `AttributeError`
    worded as Python's own. ``__dir__`` lists ``public`` (the module's ``__all__``), sorted.
    """
    namespace = sys.modules[module_name].__dict__

    def __getattr__(name: str) -> Any:  # noqa: ANN401, N807 - whatever the name denotes
        module = lazy.get(name)
        if module is None:
            message = f"module {module_name!r} has no attribute {name!r}"
            raise AttributeError(message)
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the module hook's name
        return sorted(public)

    return __getattr__, __dir__
