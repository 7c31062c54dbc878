"""Tracking on document lines, resolved the way Xero does it: silently.

Rules (XERO.md, "Tracking on documents"):

1. An entry names its category by ``TrackingCategoryID`` or ``Name`` and its option by
   ``TrackingOptionID`` or ``Option``; ids win when both are sent.
2. An entry whose category or option is unknown, ARCHIVED or DELETED is DROPPED from the
   line with no error and no warning: Xero's most reported behaviour (xero-node #86, #516;
   xero-php #272). Read-back verification exists to catch exactly this. For well-formed
   ids that name nothing at all, ``Limits.unknown_tracking`` can instead warn or refuse
   (`unknown_ids` finds them).
3. The answer echoes every kept entry with ``TrackingCategoryID``, ``TrackingOptionID``,
   ``Name`` (the category) and ``Option`` (the option), under their CURRENT names.
"""

from __future__ import annotations

from trackmap.testing._fakexero._state import Category, Option, TenantState
from trackmap.testing._fakexero._wire import Json, JsonObj

__all__ = ["refresh_tracking", "resolve_entry", "resolve_tracking", "unknown_ids"]


def _category(tenant: TenantState, entry: JsonObj) -> Category | None:
    category_id = entry.get("TrackingCategoryID")
    if isinstance(category_id, str):
        return tenant.categories.get(category_id.lower())
    name = entry.get("Name")
    return tenant.category_named(name) if isinstance(name, str) else None


def _option(category: Category, entry: JsonObj) -> Option | None:
    option_id = entry.get("TrackingOptionID")
    if isinstance(option_id, str):
        return category.option(option_id.lower())
    name = entry.get("Option")
    return category.option_named(name) if isinstance(name, str) else None


def resolve_entry(tenant: TenantState, entry: Json) -> tuple[Category, Option] | None:
    """The ACTIVE category and option an entry names, or None when Xero would drop it."""
    if not isinstance(entry, dict):
        return None
    category = _category(tenant, entry)
    if category is None or category.status != "ACTIVE":
        return None
    option = _option(category, entry)
    if option is None or option.status != "ACTIVE":
        return None
    return category, option


def _wire(category: Category, option: Option) -> JsonObj:
    return {
        "TrackingCategoryID": category.id,
        "TrackingOptionID": option.id,
        "Name": category.name,
        "Option": option.name,
    }


def resolve_tracking(tenant: TenantState, entries: list[Json]) -> list[JsonObj]:
    """The entries Xero keeps on a line (Rule 2 drops the rest without a word)."""
    kept = (resolve_entry(tenant, entry) for entry in entries)
    return [_wire(*found) for found in kept if found is not None]


def _stored(tenant: TenantState, entry: JsonObj) -> tuple[Category, Option] | None:
    category = tenant.categories.get(str(entry["TrackingCategoryID"]))
    option = None if category is None else category.option(str(entry["TrackingOptionID"]))
    return None if category is None or option is None else (category, option)


def refresh_tracking(tenant: TenantState, stored: list[JsonObj]) -> list[JsonObj]:
    """Stored entries under their current names; archived options stay on old documents."""
    pairs = ((entry, _stored(tenant, entry)) for entry in stored)
    return [dict(entry) if pair is None else _wire(*pair) for entry, pair in pairs]


def unknown_ids(tenant: TenantState, entries: Json) -> list[str]:
    """A sentence per entry whose category or option id names nothing in the organisation.

    Archived and deleted ones are known (they are dropped, never reported here); names are
    not ids. Malformed ids never get this far (the whole request is refused first).
    """
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        category_id, option_id = entry.get("TrackingCategoryID"), entry.get("TrackingOptionID")
        category = (
            tenant.categories.get(category_id.lower()) if isinstance(category_id, str) else None
        )
        if isinstance(category_id, str) and category is None:
            found.append(f"The tracking category with id {category_id} does not exist.")
        elif (
            category is not None
            and isinstance(option_id, str)
            and not category.option(option_id.lower())
        ):
            found.append(
                f"The tracking option with id {option_id} does not exist in the tracking "
                f"category '{category.name}'."
            )
    return found
