"""Host policies for what is missing in Xero: contacts and items (TrackerRMS's "Auto Create").

TrackerRMS lets its users choose, per kind of record, whether missing companies and invoice
items are created in Xero before the invoice, or whether the invoice is rejected instead. Tracking
options have their own per-binding choice in the mapping (``on_unmapped=create``).

Only trackmap's neutral `DocumentBody` is checked: a host that builds xero-python models has
already chosen its contact and items. A contact the body names by id is taken as it is.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

import attrs

from trackmap._engine._names import normalise
from trackmap._sources._body import ContactRef, DocumentBody
from trackmap._sync._target import ContactsAndItems
from trackmap.errors import RejectedError

__all__ = ["DeliveryPolicy", "OnMissing", "Prepared", "Preparer"]


class OnMissing(enum.Enum):
    """What to do when a document's contact or item does not exist in Xero."""

    SEND_AS_IS = "send as is"  # do not look: Xero creates a contact named on a document itself
    CREATE = "create"  # create it in Xero first, and say so in the document's messages
    REJECT = "reject"  # fail the document before sending, saying what is missing


@attrs.frozen(kw_only=True)
class DeliveryPolicy:
    """The host's choices for a push.

    Attributes:
        contacts: Missing contacts (companies, suppliers).
        items: Missing items (invoice and payment items), by code.
    """

    contacts: OnMissing = OnMissing.SEND_AS_IS
    items: OnMissing = OnMissing.SEND_AS_IS

    @property
    def looks_up(self) -> bool:
        """Whether the policy needs a target that can find contacts and items."""
        return OnMissing.SEND_AS_IS is not self.contacts or OnMissing.SEND_AS_IS is not self.items


@attrs.frozen(kw_only=True)
class Prepared:
    """A body after the policy: possibly with a contact id, messages, or a reason to fail."""

    body: object
    messages: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@attrs.define
class _Found:
    """What one chunk learnt: ids of contacts, created names, and what could not be had."""

    created: dict[str, str] = attrs.field(factory=dict)
    failed: dict[str, str] = attrs.field(factory=dict)


class Preparer:
    """Applies a `DeliveryPolicy` to the bodies of a chunk, remembering what it found.

    Args:
        target: Finds and creates contacts and items.
        policy: The host's choices.
        on_call: Counts each call made to the target.
    """

    def __init__(
        self, target: ContactsAndItems, policy: DeliveryPolicy, on_call: Callable[[], None]
    ) -> None:
        self._target = target
        self._policy = policy
        self._on_call = on_call
        self._contacts: dict[str, str] = {}
        self._items: set[str] = set()

    def prepare(self, bodies: Sequence[object]) -> list[Prepared]:
        """Return each body prepared, in order."""
        contacts = self._contacts_step(bodies)
        items = self._items_step(bodies)
        return [self._one(body, contacts, items) for body in bodies]

    # -- contacts --------------------------------------------------------------------------

    def _contacts_step(self, bodies: Sequence[object]) -> _Found:
        found = _Found()
        if self._policy.contacts is OnMissing.SEND_AS_IS:
            return found
        wanted: dict[str, ContactRef] = {}
        for body in bodies:
            contact = body.contact if isinstance(body, DocumentBody) else None
            if contact is not None and contact.contact_id is None:
                wanted.setdefault(normalise(contact.name), contact)
        unknown = [c for k, c in wanted.items() if k not in self._contacts]
        if unknown:
            self._on_call()
            for name, contact_id in self._target.find_contacts([c.name for c in unknown]).items():
                self._contacts[normalise(name)] = contact_id
        for contact in unknown:
            if normalise(contact.name) not in self._contacts:
                self._missing_contact(contact, found)
        return found

    def _missing_contact(self, contact: ContactRef, found: _Found) -> None:
        key = normalise(contact.name)
        if self._policy.contacts is OnMissing.REJECT:
            found.failed[key] = (
                f'Contact "{contact.name}" does not exist in Xero, and creating contacts is '
                "switched off: create it in Xero, or allow trackmap to create it."
            )
            return
        try:
            self._on_call()
            self._contacts[key] = self._target.create_contact(contact)
        except RejectedError as exc:
            found.failed[key] = f'Contact "{contact.name}" could not be created in Xero: {exc}'
            return
        found.created[key] = f'Contact "{contact.name}" created in Xero.'

    # -- items -----------------------------------------------------------------------------

    def _items_step(self, bodies: Sequence[object]) -> _Found:
        found = _Found()
        if self._policy.items is OnMissing.SEND_AS_IS:
            return found
        wanted: dict[str, str] = {}
        for body in bodies:
            for line in body.lines if isinstance(body, DocumentBody) else ():
                if line.item_code:
                    wanted.setdefault(line.item_code, line.description)
        unknown = [c for c in wanted if normalise(c) not in self._items]
        if unknown:
            self._on_call()
            self._items.update(normalise(c) for c in self._target.find_items(unknown))
        for code in unknown:
            if normalise(code) not in self._items:
                self._missing_item(code, wanted[code], found)
        return found

    def _missing_item(self, code: str, description: str, found: _Found) -> None:
        key = normalise(code)
        if self._policy.items is OnMissing.REJECT:
            found.failed[key] = (
                f'Item "{code}" does not exist in Xero, and creating items is switched off: '
                "create it in Xero, or allow trackmap to create it."
            )
            return
        try:
            self._on_call()
            self._target.create_item(code, description)
        except RejectedError as exc:
            found.failed[key] = f'Item "{code}" could not be created in Xero: {exc}'
            return
        self._items.add(key)
        found.created[key] = f'Item "{code}" created in Xero.'

    # -- one body --------------------------------------------------------------------------

    def _one(self, body: object, contacts: _Found, items: _Found) -> Prepared:
        if not isinstance(body, DocumentBody):
            return Prepared(body=body)
        keys = [normalise(c) for c in dict.fromkeys(ln.item_code for ln in body.lines) if c]
        notes = [items.created[k] for k in keys if k in items.created]
        errors = [items.failed[k] for k in keys if k in items.failed]
        contact = body.contact
        if contact is not None and contact.contact_id is None:
            key = normalise(contact.name)
            notes[:0] = [contacts.created[key]] if key in contacts.created else []
            errors[:0] = [contacts.failed[key]] if key in contacts.failed else []
            if key in self._contacts:
                body = attrs.evolve(
                    body, contact=attrs.evolve(contact, contact_id=self._contacts[key])
                )
        return Prepared(body=body, messages=tuple(notes), errors=tuple(errors))
