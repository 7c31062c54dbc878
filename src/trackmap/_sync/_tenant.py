"""One canonical form of a tenant (organisation) id, applied wherever an id enters trackmap.

Xero's tenant ids are GUIDs, and Xero reads them without regard to case or surrounding spaces:
``" 5A2F..."``, ``"5a2f..."`` and ``"5A2F..."`` name one organisation. trackmap keys its ledger
rows, leases and Idempotency-Keys on the id, so two spellings of one id would look like two
organisations and every document would be created again. Each id is therefore reduced, once, to
its canonical form: trimmed and lower-case. The targets (`trackmap.xero.XeroTarget`,
`trackmap.testing.InMemoryTarget`) do it when they are built and the ledger in every public
method, so whatever spelling a host hands in, the same rows, lease and keys are used.

`XeroTarget` also insists on the GUID shape: an id that is not one would be refused by Xero
on every call (HTTP 403), so it is refused at once with a sentence instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

from trackmap.errors import LedgerError, TrackmapError

__all__ = ["canonical_tenant_id", "canonicalises_tenant", "is_guid"]

_Method = TypeVar("_Method", bound=Callable[..., Any])

_GUID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")
_MAX_LENGTH = 255


def is_guid(text: str) -> bool:
    """Whether ``text`` (already canonical) has the shape of a Xero GUID."""
    return _GUID.fullmatch(text) is not None


def canonical_tenant_id(
    tenant_id: object,
    *,
    error: Callable[[str], TrackmapError],
    guid: bool = False,
) -> str:
    """Return the canonical form of a tenant id: trimmed, lower-case.

    Args:
        tenant_id: The id as the host gave it.
        error: Builds the trackmap error to raise (the caller's own kind) from a sentence.
        guid: Also require Xero's GUID shape (``8-4-4-4-12`` hexadecimal digits).

    Raises:
        TrackmapError: Made by ``error``: the id is not text, is blank, holds characters that
            cannot be stored (control characters, lone surrogates), is over 255 characters,
            or (with ``guid``) is not a GUID.
    """
    if not isinstance(tenant_id, str):
        msg = f"A tenant id must be text, not {type(tenant_id).__name__}."
        raise error(msg)
    canonical = tenant_id.strip().lower()
    shown = ascii(tenant_id[:60])
    if not canonical:
        msg = "The tenant id is blank; pass the organisation's id from Xero's connections."
        raise error(msg)
    if len(canonical) > _MAX_LENGTH or not canonical.isprintable():
        msg = (
            f"The tenant id {shown} cannot be used: it is longer than {_MAX_LENGTH} "
            "characters or holds control characters or unencodable text."
        )
        raise error(msg)
    if guid and not is_guid(canonical):
        msg = (
            f"The tenant id {shown} is not a Xero tenant id (Xero's are GUIDs such as "
            "'0f8e3c1a-5b7d-4e2f-9a6c-1d2b3c4d5e6f'); pass the tenantId from Xero's connections."
        )
        raise error(msg)
    return canonical


def canonicalises_tenant(where: Callable[[Any], str]) -> Callable[[_Method], _Method]:
    """Make a decorator that hands a ledger method the canonical tenant id, however spelt.

    Every public method of a ledger that takes a tenant (first argument or ``tenant_id=``) goes
    through it, so that rows, leases and the keys derived from them never depend on how a host
    spelt the id. A refused id is a `LedgerError` naming ``where(ledger)`` (its file, its
    schema). The wrapper is marked ``canonical_tenant`` so a test can check every method has it.
    """

    def decorate(method: _Method) -> _Method:
        @functools.wraps(method)
        def wrapper(self: object, *args: object, **kwargs: object) -> object:
            def refuse(message: str) -> LedgerError:
                return LedgerError(message, path=where(self))

            if "tenant_id" in kwargs:
                kwargs["tenant_id"] = canonical_tenant_id(kwargs["tenant_id"], error=refuse)
            elif args:
                args = (canonical_tenant_id(args[0], error=refuse), *args[1:])
            return method(self, *args, **kwargs)

        wrapper.canonical_tenant = True  # type: ignore[attr-defined]
        return cast("_Method", wrapper)

    return decorate
