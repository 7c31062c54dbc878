"""``--adapter MODULE:ATTR`` and ``--host``: the fields a command checks the settings against.

The host names its own adapter as ``module:attribute``: an adapter instance, a `SourceAdapter`
subclass or a factory, built with no arguments. The module is imported as ``python -m`` would
(the current directory first); every failure (the import, the attribute, the build, its
``fields()``) is an `AdapterError` (exit code 4) naming what failed, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from trackmap._cli._common import AdapterError
from trackmap._config._quote import quoted, safe_text
from trackmap._engine._mapping import FieldSpec
from trackmap.errors import SourceError
from trackmap.testing.hosts import SAMPLES

__all__ = ["add_host_option", "host_fields", "load_adapter_fields"]


def add_host_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--adapter module:attr`` (the host's own adapter) or ``--host`` (a sample host)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--adapter",
        metavar="MODULE:ATTR",
        help=(
            "check source fields against your own adapter: a SourceAdapter instance, subclass "
            "or factory, e.g. myapp.tracking:adapter (the current directory is importable)"
        ),
    )
    group.add_argument(
        "--host",
        choices=sorted(SAMPLES),
        help="check source fields against this sample host's adapter",
    )


def host_fields(host: str | None, adapter: str | None = None) -> tuple[FieldSpec, ...] | None:
    """The fields of the named adapter or sample host, or None when neither was named."""
    if adapter is not None:
        return load_adapter_fields(adapter)
    return None if host is None else SAMPLES[host]().fields


def load_adapter_fields(spec: str) -> tuple[FieldSpec, ...]:
    """Import ``module:attr``, build the adapter it names, and return its declared fields.

    Raises:
        AdapterError: The spec, the import, the adapter or its ``fields()`` failed.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        msg = f"--adapter takes MODULE:ATTR (such as myapp.tracking:adapter), not {quoted(spec)}."
        raise AdapterError(msg)
    target = _attribute(_import(module_name, spec), attribute, spec)
    adapter = _built(target, spec)
    return _declared_fields(adapter, spec)


def _failure(exc: BaseException) -> str:
    return f"{safe_text(type(exc).__name__)}: {safe_text(exc)}"


def _import(module_name: str, spec: str) -> object:
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        # As `python -m` does: the host runs trackmap from its project folder.
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:
        msg = f"The adapter {quoted(spec)} cannot be imported ({_failure(exc)})."
        raise AdapterError(msg) from exc


def _attribute(module: object, attribute: str, spec: str) -> object:
    target = module
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except Exception as exc:
            msg = f"The adapter {quoted(spec)} cannot be found: {quoted(name)} is missing."
            raise AdapterError(msg) from exc
    return target


def _built(target: object, spec: str) -> object:
    """An adapter instance: the target itself, or what calling it (a class, a factory) gives."""
    if callable(getattr(target, "fields", None)) and not isinstance(target, type):
        return target
    if not callable(target):
        msg = f"The adapter {quoted(spec)} is neither an adapter nor a class or factory of one."
        raise AdapterError(msg)
    try:
        return target()
    except Exception as exc:
        msg = f"The adapter {quoted(spec)} cannot be built with no arguments ({_failure(exc)})."
        raise AdapterError(msg) from exc


def _declared_fields(adapter: object, spec: str) -> tuple[FieldSpec, ...]:
    try:
        fields = tuple(adapter.fields())  # type: ignore[attr-defined]
    except SourceError as exc:  # a SourceAdapter guards fields() itself and says what failed
        msg = f"The adapter {quoted(spec)} cannot be used: {safe_text(exc, 400)}"
        raise AdapterError(msg) from exc
    except Exception as exc:
        msg = f"The adapter {quoted(spec)} failed to declare its fields ({_failure(exc)})."
        raise AdapterError(msg) from exc
    wrong = [i for i, f in enumerate(fields) if not isinstance(f, FieldSpec)]
    if wrong:
        msg = (
            f"The adapter {quoted(spec)} declares fields that are not FieldSpec values "
            f"(item {wrong[0] + 1} of {len(fields)})."
        )
        raise AdapterError(msg)
    return fields
