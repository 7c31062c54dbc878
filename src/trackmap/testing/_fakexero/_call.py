"""One request as a handler sees it, already authenticated and admitted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import attrs

from trackmap.testing._fakexero._limits import Limits
from trackmap.testing._fakexero._state import TenantState
from trackmap.testing._fakexero._wire import Json, Reply, refuse

__all__ = ["Call", "Handler", "flag"]


@attrs.frozen(kw_only=True)
class Call:
    """A request for one tenant: path parameters, query, headers (lower-case keys), body."""

    tenant: TenantState
    method: str
    params: tuple[str, ...]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Json
    now: dt.datetime
    limits: Limits

    def flag(self, name: str, *, default: bool) -> bool:
        """A boolean query parameter; see `flag`."""
        return flag(self.query, name, default=default)


Handler = Callable[[Call], Reply]


def flag(query: Mapping[str, str], name: str, *, default: bool) -> bool:
    """Read ``true``/``True``/``false``/``False`` (xero-python sends ``False``: XERO.md)."""
    raw = next((value for key, value in query.items() if key.lower() == name.lower()), None)
    if raw is None:
        return default
    if raw.lower() not in {"true", "false"}:
        refuse(f"The value '{raw}' is not valid for {name}: use true or false.")
    return raw.lower() == "true"
