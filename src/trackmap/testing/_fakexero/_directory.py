"""Contacts and items: just enough of Xero's endpoints for a host to find, create or update them.

Contact names are unique among active contacts (Xero's message is quoted from the OpenAPI
contract); item codes are unique. PUT creates; POST also updates a contact named by its
ContactID, and an item named by its ItemID or Code. Both follow the ``summarizeErrors``
rules of documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from trackmap.testing._fakexero._call import Call
from trackmap.testing._fakexero._complete import contact_answer, item_answer
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
    not_found,
    parse_date,
    post_data_invalid,
    validation_failure,
    wire_value,
)

__all__ = ["create_contacts", "create_items", "get_contact", "get_contacts", "get_items"]

Find = Callable[[TenantState, JsonObj], JsonObj | None]
Check = Callable[[TenantState, JsonObj, JsonObj | None], list[str]]
Store = Callable[[Call, JsonObj, JsonObj | None], JsonObj]


@attrs.frozen(kw_only=True)
class _Resource:
    """How one directory endpoint finds, checks and stores its records."""

    key: str
    id_field: str
    find: Find
    check: Check
    store: Store


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


def _write(call: Call, resource: _Resource) -> Reply:
    """PUT creates; POST also updates the records ``resource.find`` recognises."""
    summarize = call.flag("summarizeErrors", default=True)
    outcomes = []
    for element in _elements(call, resource.key):
        existing = resource.find(call.tenant, element) if call.method == "POST" else None
        errors = resource.check(call.tenant, element, existing)
        failed = _failed(element, resource.id_field, errors) if errors else None
        outcomes.append(failed or resource.store(call, element, existing))
    refused = [body for body in outcomes if body.get("StatusAttributeString") == "ERROR"]
    if refused and summarize:
        return validation_failure("", elements=refused)
    return Reply(status=200, body=envelope(resource.key, outcomes, call.now))


def _find_contact(tenant: TenantState, element: JsonObj) -> JsonObj | None:
    contact_id = element.get("ContactID")
    return tenant.contacts.get(str(contact_id).lower()) if contact_id else None


def _check_contact(tenant: TenantState, element: JsonObj, existing: JsonObj | None) -> list[str]:
    if element.get("ContactID") and existing is None:
        return [f"The contact with ContactID {element['ContactID']} was not found."]
    name = element.get("Name", existing["Name"] if existing else None)
    if not isinstance(name, str) or not name.strip():
        return ["A contact must have a Name."]
    clash = tenant.contact_named(name)
    if clash is not None and clash is not existing:
        message = (
            f"The contact name {name} is already assigned to another contact. The contact "
            "name must be unique across all active contacts."
        )
        return [message]
    return []


def _store_contact(call: Call, element: JsonObj, existing: JsonObj | None) -> JsonObj:
    extra = wire_value({k: v for k, v in element.items() if k != "ContactID"})
    if existing is None:
        name = str(extra.pop("Name")).strip()
        existing = call.tenant.add_contact(name, call.now, extra)
    else:
        existing.update(extra, UpdatedDateUTC=ms_date(call.now))
    return dict(contact_answer(existing), StatusAttributeString="OK", HasValidationErrors=False)


_CONTACTS = _Resource(
    key="Contacts",
    id_field="ContactID",
    find=_find_contact,
    check=_check_contact,
    store=_store_contact,
)


def create_contacts(call: Call) -> Reply:
    """``PUT /Contacts`` creates contacts with unique names; ``POST`` also updates by id."""
    return _write(call, _CONTACTS)


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
    return Reply(
        status=200, body=envelope("Contacts", [contact_answer(c) for c in page], call.now, **extra)
    )


def _changed_after(record: JsonObj, since: dt.datetime) -> bool:
    changed = parse_date(record.get("UpdatedDateUTC"))
    return changed is not None and changed > since


def get_contact(call: Call) -> Reply:
    """``GET /Contacts/{id}``: one contact; 404 when unknown."""
    contact = call.tenant.contacts.get(call.params[0].lower())
    if contact is None:
        raise not_found()
    return Reply(status=200, body=envelope("Contacts", [contact_answer(contact)], call.now))


def _find_item(tenant: TenantState, element: JsonObj) -> JsonObj | None:
    """An item by ItemID, else by Code: Xero's POST /Items updates the item with that code."""
    item_id, code = element.get("ItemID"), element.get("Code")
    if item_id:
        return tenant.items.get(str(item_id).lower())
    found = (item for item in tenant.items.values() if same_name(str(item["Code"]), str(code)))
    return next(found, None) if isinstance(code, str) else None


def _check_item(tenant: TenantState, element: JsonObj, existing: JsonObj | None) -> list[str]:
    if element.get("ItemID") and existing is None:
        return [f"The item with ItemID {element['ItemID']} was not found."]
    code = element.get("Code", existing["Code"] if existing else None)
    if not isinstance(code, str) or not code.strip():
        return ["An item must have a Code."]
    clash = _find_item(tenant, {"Code": code})
    if clash is not None and clash is not existing:
        return [f"Item code '{code}' already exists."]
    return []


def _store_item(call: Call, element: JsonObj, existing: JsonObj | None) -> JsonObj:
    item: JsonObj = existing if existing is not None else {"ItemID": call.tenant.ids.new()}
    item.update(wire_value({k: v for k, v in element.items() if k != "ItemID"}))
    item.update(Code=str(item["Code"]).strip(), UpdatedDateUTC=ms_date(call.now))
    call.tenant.items[item["ItemID"]] = item
    return dict(item_answer(item), StatusAttributeString="OK")


_ITEMS = _Resource(
    key="Items", id_field="ItemID", find=_find_item, check=_check_item, store=_store_item
)


def create_items(call: Call) -> Reply:
    """``PUT /Items`` creates items with unique codes; ``POST`` also updates by id or code."""
    return _write(call, _ITEMS)


def get_items(call: Call) -> Reply:
    """``GET /Items``: all items, or those a simple ``where`` picks (``Code=="X"``)."""
    clauses = where_filter(call.query)
    items = sorted(call.tenant.items.values(), key=lambda item: str(item["Code"]).casefold())
    chosen = [item_answer(item) for item in items if matches_where(item, clauses)]
    return Reply(status=200, body=envelope("Items", chosen, call.now))
