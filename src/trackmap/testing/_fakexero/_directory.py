"""Contacts and items: just enough of Xero's endpoints for a host to find or create them.

Contact names are unique among active contacts (Xero's message is quoted from the OpenAPI
contract); item codes are unique. Both follow the ``summarizeErrors`` rules of documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from trackmap.testing._fakexero._call import Call
from trackmap.testing._fakexero._query import (
    csv_param,
    matches_where,
    modified_since,
    page_of,
    where_filter,
)
from trackmap.testing._fakexero._state import TenantState, same_name
from trackmap.testing._fakexero._wire import (
    ZERO_ID,
    JsonObj,
    Reply,
    envelope,
    ms_date,
    new_id,
    not_found,
    parse_date,
    post_data_invalid,
    validation_failure,
    wire_value,
)

__all__ = ["create_contacts", "create_items", "get_contact", "get_contacts", "get_items"]

Check = Callable[[TenantState, JsonObj], list[str]]
Store = Callable[[Call, JsonObj], JsonObj]


def _elements(call: Call, key: str) -> list[JsonObj]:
    body = call.body
    items = body.get(key, [body]) if isinstance(body, dict) else body
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        msg = f"The request body could not be read as {key}."
        raise post_data_invalid(msg)
    return items


def _failed(element: JsonObj, id_field: str, errors: list[str]) -> JsonObj:
    echo: JsonObj = wire_value(dict(element))
    if id_field == "ItemID":  # xero-python's Item refuses to be without a Code
        echo["Code"] = str(echo.get("Code", ""))
    echo.update(
        {id_field: ZERO_ID},
        HasValidationErrors=True,
        StatusAttributeString="ERROR",
        ValidationErrors=[{"Message": message} for message in errors],
    )
    return echo


def _write(call: Call, key: str, id_field: str, check: Check, store: Store) -> Reply:
    summarize = call.flag("summarizeErrors", default=True)
    outcomes = []
    for element in _elements(call, key):
        errors = check(call.tenant, element)
        outcomes.append(
            (False, _failed(element, id_field, errors)) if errors else (True, store(call, element))
        )
    failed = [body for written, body in outcomes if not written]
    if failed and summarize:
        return validation_failure("", elements=failed)
    return Reply(status=200, body=envelope(key, [body for _, body in outcomes], call.now))


def _check_contact(tenant: TenantState, element: JsonObj) -> list[str]:
    name = element.get("Name")
    if not isinstance(name, str) or not name.strip():
        return ["A contact must have a Name."]
    if tenant.contact_named(name) is not None:
        message = (
            f"The contact name {name} is already assigned to another contact. The contact "
            "name must be unique across all active contacts."
        )
        return [message]
    return []


def _store_contact(call: Call, element: JsonObj) -> JsonObj:
    extra = {k: v for k, v in element.items() if k not in {"ContactID", "Name"}}
    contact = call.tenant.add_contact(str(element["Name"]).strip(), call.now, wire_value(extra))
    return dict(contact, StatusAttributeString="OK", HasValidationErrors=False)


def create_contacts(call: Call) -> Reply:
    """``PUT /Contacts``: create contacts with unique names."""
    return _write(call, "Contacts", "ContactID", _check_contact, _store_contact)


def get_contacts(call: Call) -> Reply:
    """``GET /Contacts``: ``IDs``, ``where=Name=="..."`` and If-Modified-Since, paging."""
    wanted, clauses = csv_param(call.query, "IDs"), where_filter(call.query)
    since = modified_since(call.headers)
    contacts = sorted(call.tenant.contacts.values(), key=lambda c: str(c["Name"]).casefold())
    chosen = [
        c
        for c in contacts
        if (wanted is None or str(c["ContactID"]) in wanted)
        and matches_where(c, clauses)
        and (since is None or _changed_after(c, since))
    ]
    page, pagination = page_of(call.query, chosen)
    extra = {} if pagination is None else {"pagination": pagination}
    return Reply(status=200, body=envelope("Contacts", [dict(c) for c in page], call.now, **extra))


def _changed_after(record: JsonObj, since: dt.datetime) -> bool:
    changed = parse_date(record.get("UpdatedDateUTC"))
    return changed is not None and changed > since


def get_contact(call: Call) -> Reply:
    """``GET /Contacts/{id}``: one contact; 404 when unknown."""
    contact = call.tenant.contacts.get(call.params[0].lower())
    if contact is None:
        raise not_found()
    return Reply(status=200, body=envelope("Contacts", [dict(contact)], call.now))


def _check_item(tenant: TenantState, element: JsonObj) -> list[str]:
    code = element.get("Code")
    if not isinstance(code, str) or not code.strip():
        return ["An item must have a Code."]
    if any(same_name(str(item["Code"]), code) for item in tenant.items.values()):
        return [f"Item code '{code}' already exists."]
    return []


def _store_item(call: Call, element: JsonObj) -> JsonObj:
    item: JsonObj = wire_value(dict(element))
    item.update(
        ItemID=new_id(), Code=str(element["Code"]).strip(), UpdatedDateUTC=ms_date(call.now)
    )
    call.tenant.items[item["ItemID"]] = item
    return dict(item, StatusAttributeString="OK")


def create_items(call: Call) -> Reply:
    """``PUT /Items``: create items with unique codes."""
    return _write(call, "Items", "ItemID", _check_item, _store_item)


def get_items(call: Call) -> Reply:
    """``GET /Items``: all items, or those a simple ``where`` picks (``Code=="X"``)."""
    clauses = where_filter(call.query)
    items = sorted(call.tenant.items.values(), key=lambda item: str(item["Code"]).casefold())
    chosen = [dict(item) for item in items if matches_where(item, clauses)]
    return Reply(status=200, body=envelope("Items", chosen, call.now))
