"""Tracking categories and options over HTTP, with Xero's limits and quirks.

Rules (XERO.md, "Tracking categories and options"):

1. At most 2 ACTIVE categories and 4 in total (archived included); DELETED ones never count
   and are never returned. ARCHIVED ones come back only with ``includeArchived=true``.
2. Category names are at most 100 characters (``Limits.name_length``), option names at most
   50 (``Limits.option_name_length``, Xero's PUT Options page); 400 beyond. Names are
   unique, compared trimmed and case-insensitively (400 on a collision).
3. A name with trailing spaces gets HTTP 500, not a validation error (xero-node#539).
4. ``PUT /TrackingCategories/{id}/Options`` takes ONE option per call (``{"Name": ...}``, as
   xero-python's ``create_tracking_options`` sends it, or ``{"Options": [one]}``). An
   unknown category id there gets HTTP 500, not 404 (xero-node#510).
5. A category holds at most ``Limits.options_per_category`` ACTIVE options (unconfirmed by
   Xero; 100 by default); archived ones do not count.
"""

from __future__ import annotations

from trackmap.testing._fakexero._call import Call
from trackmap.testing._fakexero._query import matches_where, where_filter
from trackmap.testing._fakexero._state import Category, Option, TenantState
from trackmap.testing._fakexero._wire import (
    Json,
    JsonObj,
    Reply,
    envelope,
    not_found,
    refuse,
    server_error,
)

__all__ = [
    "create_category",
    "create_option",
    "delete_category",
    "delete_option",
    "get_categories",
    "get_category",
    "update_category",
    "update_option",
]


def _ok(call: Call, key: str, items: list[JsonObj]) -> Reply:
    return Reply(status=200, body=envelope(key, items, call.now))


def _checked_name(call: Call, name: Json, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        refuse(f"A {what} must have a name.")
    if name != name.rstrip():
        raise server_error()  # Rule 3
    limit = call.limits.option_name_length if what == "tracking option" else call.limits.name_length
    if len(name) > limit:
        refuse(f"The {what} name '{name[:20]}...' is longer than {limit} characters.")
    return name


def _body(call: Call) -> JsonObj:
    if not isinstance(call.body, dict):
        refuse("The request body must be a JSON object.")
    return call.body


def _category(call: Call) -> Category:
    found = call.tenant.categories.get(call.params[0].lower())
    if found is None or found.status == "DELETED":
        raise not_found()
    return found


def _option(call: Call, category: Category) -> Option:
    found = category.option(call.params[1].lower())
    if found is None or found.status == "DELETED":
        raise not_found()
    return found


def get_categories(call: Call) -> Reply:
    """``GET /TrackingCategories``: active ones, archived too with ``includeArchived``."""
    archived = call.flag("includeArchived", default=False)
    shown = {"ACTIVE", "ARCHIVED"} if archived else {"ACTIVE"}
    categories = sorted(call.tenant.categories.values(), key=lambda cat: cat.name.casefold())
    clauses = where_filter(call.query)
    items = [cat.wire(include_archived=archived) for cat in categories if cat.status in shown]
    chosen = [item for item in items if matches_where(item, clauses)]
    return _ok(call, "TrackingCategories", chosen)


def get_category(call: Call) -> Reply:
    """``GET /TrackingCategories/{id}``: one category, archived or not; 404 when unknown."""
    archived = call.flag("includeArchived", default=False)
    return _ok(call, "TrackingCategories", [_category(call).wire(include_archived=archived)])


def _check_category_name(tenant: TenantState, name: str, itself: Category | None) -> None:
    clash = tenant.category_named(name)
    if clash is not None and clash is not itself:
        msg = f"For each specified tracking category the name must be unique: '{name}' is taken."
        refuse(msg)


def _check_room_to_activate(call: Call) -> None:
    active = sum(cat.status == "ACTIVE" for cat in call.tenant.categories.values())
    if active >= call.limits.active_categories:
        limit = call.limits.active_categories
        refuse(f"You cannot have more than {limit} active tracking categories.")


def create_category(call: Call) -> Reply:
    """``PUT /TrackingCategories``: create one ACTIVE category, no options (Rules 1-3)."""
    name = _checked_name(call, _body(call).get("Name"), "tracking category")
    _check_category_name(call.tenant, name, None)
    if len(call.tenant.live_categories()) >= call.limits.total_categories:
        limit = call.limits.total_categories
        refuse(f"You cannot have more than {limit} tracking categories, archived included.")
    _check_room_to_activate(call)
    category = Category(name=name)
    call.tenant.categories[category.id] = category
    return _ok(call, "TrackingCategories", [category.wire(include_archived=False)])


def _new_status(body: JsonObj, what: str) -> str | None:
    status = body.get("Status")
    if status is not None and status not in {"ACTIVE", "ARCHIVED"}:
        refuse(f"The status '{status}' is not valid for a {what}: use ACTIVE or ARCHIVED.")
    return status


def update_category(call: Call) -> Reply:
    """``POST /TrackingCategories/{id}``: rename and/or archive or restore."""
    category, body = _category(call), _body(call)
    status = _new_status(body, "tracking category")
    if "Name" in body:
        name = _checked_name(call, body["Name"], "tracking category")
        _check_category_name(call.tenant, name, category)
        category.name = name
    if status == "ACTIVE" and category.status != "ACTIVE":
        _check_room_to_activate(call)
    if status is not None:
        category.status = "ACTIVE" if status == "ACTIVE" else "ARCHIVED"
    return _ok(call, "TrackingCategories", [category.wire(include_archived=True)])


def delete_category(call: Call) -> Reply:
    """``DELETE /TrackingCategories/{id}``: the category is DELETED and never shown again."""
    category = _category(call)
    category.status = "DELETED"
    return _ok(call, "TrackingCategories", [category.wire(include_archived=True)])


def _option_name_in(body: JsonObj) -> Json:
    if "Options" not in body:
        return body.get("Name")
    options = body["Options"]
    if not isinstance(options, list) or len(options) != 1 or not isinstance(options[0], dict):
        refuse("Send exactly one tracking option per request.")  # Rule 4
    return options[0].get("Name")


def _check_option_name(category: Category, name: str, itself: Option | None) -> None:
    clash = category.option_named(name)
    if clash is not None and clash is not itself:
        refuse(
            f"For each specified tracking option the name must be unique: '{name}' is "
            f"already an option of '{category.name}'."
        )


def _check_option_room(call: Call, category: Category) -> None:
    active = sum(opt.status == "ACTIVE" for opt in category.options)
    limit = call.limits.options_per_category
    if active >= limit:
        refuse(f"The tracking category '{category.name}' already has {limit} options.")


def create_option(call: Call) -> Reply:
    """``PUT /TrackingCategories/{id}/Options``: add ONE option (Rules 2-5)."""
    category = call.tenant.categories.get(call.params[0].lower())
    if category is None or category.status == "DELETED":
        raise server_error()  # Rule 4: xero-node#510
    name = _checked_name(call, _option_name_in(_body(call)), "tracking option")
    _check_option_name(category, name, None)
    _check_option_room(call, category)
    option = Option(name=name)
    category.options.append(option)
    return _ok(call, "Options", [option.wire(category.id)])


def update_option(call: Call) -> Reply:
    """``POST /TrackingCategories/{id}/Options/{optionId}``: rename, archive or restore."""
    category = _category(call)
    option, body = _option(call, category), _body(call)
    status = _new_status(body, "tracking option")
    if "Name" in body:
        name = _checked_name(call, body["Name"], "tracking option")
        _check_option_name(category, name, option)
        option.name = name
    if status == "ACTIVE" and option.status != "ACTIVE":
        _check_option_room(call, category)
    if status is not None:
        option.status = "ACTIVE" if status == "ACTIVE" else "ARCHIVED"
    return _ok(call, "Options", [option.wire(category.id)])


def delete_option(call: Call) -> Reply:
    """``DELETE /TrackingCategories/{id}/Options/{optionId}``: the option is DELETED."""
    category = _category(call)
    option = _option(call, category)
    option.status = "DELETED"
    return _ok(call, "Options", [option.wire(category.id)])
