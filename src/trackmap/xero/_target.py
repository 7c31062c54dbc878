"""`XeroTarget`: the Target protocol (and ContactsAndItems) over xero-python.

Decisions, each from XERO.md:

- Every PUT/POST goes with ``summarizeErrors=false`` (so a failed element never sinks or hides
  the others) and an ``Idempotency-Key`` fixed before the first attempt: the sha256 of the
  tenant, the method, the kind and the items' own idempotency keys, in order. Re-sending the
  same items in the same order re-uses the key, so Xero replays its first answer instead of
  creating again.
- Creations go by PUT (create only), updates (items with ``xero_id``) by POST, in requests of
  at most ``batch_size`` documents and ``batch_bytes`` of serialised body.
- The answer's elements come back in the order sent; each maps to its item. Xero's validation
  errors and warnings are kept verbatim, with a plain sentence naming the document.
- Read-back: Xero's PUT/POST answers carry the saved lines, so their tracking is the echo. Only
  when an answer carries no lines are the documents read back by id: by ``IDs`` for invoices
  and bills (50 a GET), by an OR-chained ``where`` for credit notes, bank transactions and
  manual journals (20 a GET), one GET per document for purchase orders (their list endpoint
  filters on neither). `trackmap.verify_tracking` compares the echo with what was sent.
- Listing one kind filters on Xero's side (``where=Type=="ACCREC"``), so sales invoices and
  bills (or the two credit note and bank transaction kinds) never read each other's pages.
- A request Xero refuses as a whole (HTTP 400: a malformed GUID fails every document in it)
  is narrowed down HERE, and nowhere else (`XeroTarget._refused`): halves, each under its own
  key, so one bad document never sinks the others and costs about a dozen calls in a request of
  50; a refusal both halves repeat is about the request, and fails every document with its
  message in 3 calls. A document refused alone is a FAILED result with Xero's messages.
- This target checks Xero's all-zero id (a failed element) and reads tracking back when an
  answer carries no lines: a CREATED or UPDATED result always has a real id and its echo.
- Answers about documents (a push, every read of documents, a contact or item created) are
  read as Xero's JSON by `trackmap.xero._read`, not through the SDK's models: the request still
  goes through the SDK (auth, headers, its REST client); only its answer skips the model round
  trip, which cost more client CPU than all of trackmap's own work, and which fails a whole
  answer over one enum value the SDK does not know.
- Any other failure that survives the retries (a day limit, Xero down, a lost connection)
  is raised, even when earlier requests of the same push were answered: pushing the same items
  again re-sends the same requests under the same keys, and Xero replays what it answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs
from xero_python.accounting import AccountingApi, Contact, Contacts, Item, Items
from xero_python.accounting import TrackingOption as SdkTrackingOption
from xero_python.api_client import ApiClient

from trackmap._engine._document import DocumentKind
from trackmap._engine._names import normalise
from trackmap._engine._schema import Capabilities, TrackingOption, TrackingSchema
from trackmap._sources._body import ContactRef
from trackmap._sync._target import (
    DeliveryStatus,
    DocumentPage,
    PushItem,
    PushResult,
    RemoteDocument,
)
from trackmap._sync._tenant import canonical_tenant_id
from trackmap.errors import DocumentError, NotFoundError, RejectedError, TargetError
from trackmap.xero._auth import harden
from trackmap.xero._bodies import SPECS, KindSpec, build_model, sent_document, serialised, wrap
from trackmap.xero._calls import Caller, Clock, RateBudget, RetryPolicy, Sleep, utc_now
from trackmap.xero._read import (
    IDS_PER_WHERE,
    ZERO_ID,
    answer_elements,
    document_id,
    document_number,
    echoed_tracking,
    element_messages,
    has_errors,
    ids_where,
    is_guid,
    listed_documents,
    only_asked,
    page_count,
    read_json,
    remote_document,
    tracking_option,
    tracking_schema,
    type_where,
    where_by_id,
)

__all__ = ["XeroTarget", "chunks", "request_key"]

_PAGE_SIZE = 100
_IDS_PER_CALL = 50
_WRAPPER_BYTES = 64


def request_key(tenant_id: str, purpose: str, item_keys: Sequence[str]) -> str:
    """The ``Idempotency-Key`` of one request: a sha256 hex (64 characters, Xero allows 128).

    Args:
        tenant_id: The organisation.
        purpose: What the request does (the SDK method and the document kind).
        item_keys: The idempotency keys of what it carries, in order.
    """
    text = "\n".join((tenant_id, purpose, *item_keys))
    return hashlib.sha256(text.encode()).hexdigest()


_MEMO_LIMIT = 10_000


@attrs.frozen
class _Ready:
    index: int
    item: PushItem
    model: Any  # the serialised form (`serialised`), sent as is
    size: int


def chunks(group: Sequence[_Ready], capabilities: Capabilities) -> Iterator[list[_Ready]]:
    """Split documents, in order, into requests within the count and byte limits.

    A request holds at most ``batch_size`` documents, and its documents' serialised sizes
    (plus a separator each) stay within ``batch_bytes`` less room for the wrapper.
    """
    limit = capabilities.batch_bytes - _WRAPPER_BYTES
    chunk: list[_Ready] = []
    size = 0
    for entry in group:
        full = len(chunk) >= capabilities.batch_size or size + entry.size + 1 > limit
        if chunk and full:
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry.size + 1
    if chunk:
        yield chunk


def _failed(item: PushItem, messages: Sequence[str]) -> PushResult:
    return PushResult(key=item.key, status=DeliveryStatus.FAILED, messages=tuple(messages))


def _int_timeout(timeout: tuple[float, float]) -> tuple[int, int]:
    # xero-python silently ignores a float timeout (XERO.md): round up to whole seconds.
    connect, read = timeout
    return (max(1, math.ceil(connect)), max(1, math.ceil(read)))


class XeroTarget:
    """Delivers documents to one Xero organisation through xero-python, safely.

    Implements `trackmap.protocols.Target` and `ContactsAndItems`. Every error it raises is a
    `trackmap.errors.TargetError` (or a `DocumentError` for a body it cannot build).

    Args:
        api: An ``AccountingApi`` or an ``ApiClient`` (see `trackmap.xero.connect`). Its
            urllib3 pool manager is replaced with one that never retries by itself.
        tenant_id: The organisation (``xero-tenant-id``), a GUID; kept trimmed and lower-case.
        capabilities: Xero's limits, as settings.
        clock: Returns the current aware datetime (virtual in tests).
        sleep: Waits so many seconds (virtual in tests).
        timeout: ``(connect, read)`` seconds, sent as whole seconds on every call.
        policy: Retries, pacing and the in-flight cap.
        base_url: Where the Accounting API lives, when ``api`` is an ``ApiClient``.
        rng: Source of jitter in [0, 1).
        budget: Pacing and the in-flight cap, shared by every target of a tenant: this
            process's by default, or one shared by many (`trackmap.redis.RedisBudget`).
    """

    def __init__(
        self,
        api: AccountingApi | ApiClient,
        tenant_id: str,
        *,
        capabilities: Capabilities | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
        timeout: tuple[float, float] = (10, 60),
        policy: RetryPolicy | None = None,
        base_url: str | None = None,
        rng: Callable[[], float] = random.random,
        budget: RateBudget | None = None,
    ) -> None:
        if isinstance(api, ApiClient):
            api = AccountingApi(api, base_url=base_url)
        if not isinstance(api, AccountingApi):
            message = (
                f"XeroTarget needs an AccountingApi or an ApiClient, not {type(api).__name__}."
            )
            raise TypeError(message)
        policy = policy or RetryPolicy()
        tenant_id = canonical_tenant_id(tenant_id, error=TargetError, guid=True)
        harden(api.api_client, connections=policy.max_in_flight)
        self._api = api
        self._tenant_id = tenant_id
        self.capabilities = capabilities or Capabilities()
        self._timeout = _int_timeout(timeout)
        self._caller = Caller(
            tenant_id, policy=policy, clock=clock, sleep=sleep, rng=rng, budget=budget
        )
        # The model `as_sent` built for an item, kept for `push` of that very item (by
        # identity, the item held so that its id cannot be reused): built once, not twice.
        self._built: dict[int, tuple[PushItem, Any]] = {}

    @property
    def tenant_id(self) -> str:
        """The organisation this target delivers to."""
        return self._tenant_id

    @property
    def calls_made(self) -> int:
        """Requests sent so far by this target, retries included."""
        return self._caller.attempts

    @property
    def day_remaining(self) -> int | None:
        """The calls Xero last said this organisation has left today (None before any call)."""
        return self._caller.day_remaining

    @property
    def clock_offset(self) -> dt.timedelta | None:
        """This machine's clock minus Xero's, from the last answer's ``Date`` (`KnowsXeroClock`)."""
        return self._caller.clock_offset

    def _call(self, method: str, action: str, *args: object, **kwargs: object) -> Any:  # noqa: ANN401
        sdk_method = getattr(self._api, method)

        def request() -> Any:  # noqa: ANN401 - the SDK's (data, status, headers)
            return sdk_method(
                self._tenant_id,
                *args,
                _return_http_data_only=False,
                _request_timeout=self._timeout,
                **kwargs,
            )

        return self._caller.call(request, action)

    def _call_json(self, method: str, action: str, *args: object, **kwargs: object) -> object:
        """Call an SDK method through the same caller, and read its answer as JSON.

        The request is the SDK's (auth, headers, query, body); only its answer skips the SDK's
        models (``_preload_content=False``) and is read by `read_json`, inside the boundary,
        so a body that breaks off or is not JSON is a translated error like any other.
        """
        sdk_method = getattr(self._api, method)

        def request() -> tuple[object, object, object]:
            try:
                response, status, headers = sdk_method(
                    self._tenant_id,
                    *args,
                    _return_http_data_only=False,
                    _preload_content=False,
                    _request_timeout=self._timeout,
                    **kwargs,
                )
            except BaseException as exc:
                _release(getattr(getattr(exc, "http_resp", None), "urllib3_response", None))
                raise
            try:
                body = response.data
            finally:
                _release(response)
            return read_json(body), status, headers

        return self._caller.call(request, action)

    # Schema and options -------------------------------------------------------------------

    def read_schema(self) -> TrackingSchema:
        """Read every tracking category with its options, archived ones included."""
        data = self._call(
            "get_tracking_categories", "reading the tracking categories", include_archived=True
        )
        return tracking_schema(data.tracking_categories or (), self.capabilities)

    def create_option(self, category_id: str, name: str) -> TrackingOption:
        """Create one option, its name trimmed (trailing spaces have caused HTTP 500s).

        Raises:
            RejectedError: Before any call, for a blank name or one longer than
                ``capabilities.option_name_length``; or as Xero's own refusal.
        """
        trimmed = name.strip()
        limit = self.capabilities.option_name_length
        if not trimmed or len(trimmed) > limit:
            message = (
                f'The tracking option name "{trimmed}" cannot be created in Xero: it must have '
                f"between 1 and {limit} characters."
            )
            raise RejectedError(message, messages=(message,), status=None)
        key = request_key(self._tenant_id, "option", (category_id, normalise(trimmed)))
        data = self._call(
            "create_tracking_options",
            f'creating the tracking option "{trimmed}"',
            category_id,
            SdkTrackingOption(name=trimmed),
            idempotency_key=key,
        )
        # Only the option asked for will do: an answer about another one (a replayed key, a
        # proxy's mix-up) would map the host's value to the wrong option for good.
        created = [tracking_option(option) for option in data.options or ()]
        named = [option for option in created if normalise(option.name) == normalise(trimmed)]
        if not named:
            shown = ", ".join(f'"{option.name}"' for option in created) or "none"
            message = (
                f'Xero did not return the tracking option "{trimmed}" it was asked to create '
                f"(its answer named {shown})."
            )
            raise TargetError(message)
        return named[0]

    # Push ----------------------------------------------------------------------------------

    def push(self, items: Sequence[PushItem]) -> tuple[PushResult, ...]:
        """Create or update documents of ONE kind; one result per item, in order.

        Raises:
            DocumentError: The items are of more than one kind.
            TargetError: A request failed for good (see the module notes: pushing the same
                items again is safe).
        """
        if not items:
            return ()
        spec = self._one_kind(items)
        results: dict[int, PushResult] = {}
        ready = self._prepare(spec, items, results)
        requests = [
            (method, chunk)
            for method, group in (
                (spec.create, [r for r in ready if r.item.xero_id is None]),
                (spec.update, [r for r in ready if r.item.xero_id is not None]),
            )
            for chunk in chunks(group, self.capabilities)
        ]
        for method, chunk in requests:
            results.update(self._send(spec, method, chunk))
        return tuple(results[i] for i in range(len(items)))

    def as_sent(self, item: PushItem) -> RemoteDocument:
        """The document as `read_documents` would return it once Xero saved ``item`` as sent.

        Line amounts are computed as Xero computes them (quantity x unit amount, less the
        discount, to the cent) unless the body sets them (manual journals).

        Raises:
            DocumentError: The body cannot be built (the reason `push` would fail it for).
        """
        spec = SPECS[item.kind]
        model = build_model(item)
        if len(self._built) >= _MEMO_LIMIT:
            self._built.clear()
        self._built[id(item)] = (item, model)
        return sent_document(spec, model)

    def _built_model(self, item: PushItem) -> Any:  # noqa: ANN401 - untyped SDK model
        """The model of ``item``: the one `as_sent` built for this very item, or a new one.

        What `as_sent` described is then exactly what is sent, even if the host changes its
        own xero-python model in between (`build_model` copied it).
        """
        kept = self._built.pop(id(item), None)
        if kept is not None and kept[0] is item:
            return kept[1]
        return build_model(item)

    def _one_kind(self, items: Sequence[PushItem]) -> KindSpec:
        kinds = {item.kind for item in items}
        if len(kinds) > 1:
            names = ", ".join(sorted(kind.value for kind in kinds))
            message = f"One push takes documents of one kind; this one mixes {names}."
            raise DocumentError(message)
        return SPECS[items[0].kind]

    def _prepare(
        self, spec: KindSpec, items: Sequence[PushItem], results: dict[int, PushResult]
    ) -> list[_Ready]:
        ready: list[_Ready] = []
        limit = self.capabilities.batch_bytes - _WRAPPER_BYTES
        for index, item in enumerate(items):
            try:
                model, size = serialised(self._built_model(item))
            except DocumentError as exc:
                results[index] = _failed(item, (exc.message,))
                continue
            if size > limit:
                message = (
                    f"{spec.describe(item.key)} is {size} bytes once serialised, more than "
                    f"Xero takes in one request ({limit} bytes)."
                )
                results[index] = _failed(item, (message,))
                continue
            ready.append(_Ready(index=index, item=item, model=model, size=size))
        return ready

    def _send(self, spec: KindSpec, method: str, chunk: list[_Ready]) -> dict[int, PushResult]:
        # The kind is part of the key: a bill and a sales invoice share the PUT /Invoices method,
        # and a host's idempotency keys need not differ between kinds.
        answer = self._attempt(spec, method, chunk)
        if isinstance(answer, RejectedError):
            return self._refused(spec, method, chunk, answer)
        return answer

    def _refused(
        self, spec: KindSpec, method: str, chunk: list[_Ready], exc: RejectedError
    ) -> dict[int, PushResult]:
        """Narrow down a request Xero refused as a whole (this target's duty alone).

        The request is split in two halves, each sent under its own key. When both halves are
        refused with the same messages as the whole, the refusal is about the request, not
        about one document: every document fails with it (3 calls, however many documents).
        Otherwise each refused half is narrowed down the same way, so one bad document among
        50 costs about a dozen calls, never one a document.
        """
        if len(chunk) == 1:
            (only,) = chunk
            return {only.index: _failed(only.item, _rejection(spec, only.item, exc))}
        middle = len(chunk) // 2
        halves = [chunk[:middle], chunk[middle:]]
        answers = [self._attempt(spec, method, half) for half in halves]
        refusals = [a for a in answers if isinstance(a, RejectedError)]
        if len(refusals) == 2 and all(r.messages == exc.messages for r in refusals):  # noqa: PLR2004
            return {r.index: _failed(r.item, _rejection(spec, r.item, exc)) for r in chunk}
        results: dict[int, PushResult] = {}
        for half, answer in zip(halves, answers, strict=True):
            if isinstance(answer, RejectedError):
                results.update(self._refused(spec, method, half, answer))
            else:
                results.update(answer)
        return results

    def _attempt(
        self, spec: KindSpec, method: str, chunk: list[_Ready]
    ) -> dict[int, PushResult] | RejectedError:
        """Send one part of a refused request; its own refusal is returned, not raised."""
        purpose = f"{method} {spec.kind.value}"
        key = request_key(self._tenant_id, purpose, [r.item.idempotency_key for r in chunk])
        count = len(chunk)
        try:
            data = self._call_json(
                method,
                f"sending {count} {spec.noun}{'' if count == 1 else 's'}",
                wrap(spec, [r.model for r in chunk]),
                summarize_errors=False,
                idempotency_key=key,
            )
        except RejectedError as exc:
            return exc
        elements = answer_elements(spec, data)
        updating = method == spec.update
        results = {
            r.index: _result(spec, r.item, elements[n] if n < len(elements) else None, updating)
            for n, r in enumerate(chunk)
        }
        return self._read_back(spec, results)

    def _read_back(self, spec: KindSpec, results: dict[int, PushResult]) -> dict[int, PushResult]:
        missing = {
            index: result
            for index, result in results.items()
            if result.status is not DeliveryStatus.FAILED and result.echoed is None
        }
        if not missing:
            return results
        ids = [r.xero_id for r in missing.values() if r.xero_id is not None]
        try:
            found = {d.xero_id: d for d in self._documents_by_ids(spec, ids)}
        except TargetError as exc:
            note = f"Its tracking could not be read back to be checked: {exc.message}"
            return results | {
                i: attrs.evolve(r, messages=(*r.messages, note)) for i, r in missing.items()
            }
        return results | {
            index: attrs.evolve(result, echoed=_lines_of(found.get(result.xero_id or "")))
            for index, result in missing.items()
        }

    # Reading -------------------------------------------------------------------------------

    def read_documents(
        self,
        kind: DocumentKind,
        *,
        ids: Sequence[str] | None = None,
        modified_since: dt.datetime | None = None,
        page: int = 1,
    ) -> DocumentPage:
        """Read documents back, by ids or by modification time, one page at a time.

        By ids: invoices and bills by ``IDs`` (50 a call); credit notes, bank transactions and
        manual journals by an OR-chained ``where`` (20 a call); purchase orders, whose list
        endpoint filters on neither, one GET per id. Ids not found are left out.

        Without ids: pages of 100 documents of this kind only, oldest change first. Xero
        filters by type itself (``where=Type=="ACCREC"``), so sales invoices and bills, which
        share one endpoint, each read only their own pages, and every page but the last is full.
        """
        spec = SPECS[kind]
        if ids is not None:
            return DocumentPage(documents=tuple(self._documents_by_ids(spec, ids)))
        # A fixed order keeps pages stable while documents change under a long read.
        extra: dict[str, object] = {"page": page, "order": "UpdatedDateUTC ASC"}
        where = type_where(spec)
        if where is not None:
            extra["where"] = where
        if modified_since is not None:
            extra["if_modified_since"] = modified_since
        data = self._call_json(spec.read, f"reading {spec.noun}s", **extra)
        return DocumentPage(
            documents=tuple(_documents_of(spec, data)), next_page=_next(spec, page, data)
        )

    def _documents_by_ids(self, spec: KindSpec, ids: Sequence[str]) -> list[RemoteDocument]:
        return only_asked(ids, self._read_ids(spec, list(dict.fromkeys(ids))))

    def _read_ids(self, spec: KindSpec, unique: list[str]) -> list[RemoteDocument]:
        if spec.reads_by_ids:
            return self._read_in_chunks(spec, unique, _IDS_PER_CALL, lambda some: {"i_ds": some})
        if where_by_id(spec):
            guids = [xero_id for xero_id in unique if is_guid(xero_id)]
            return self._read_in_chunks(
                spec, guids, IDS_PER_WHERE, lambda some: {"where": ids_where(spec, some)}
            )
        return self._read_one_by_one(spec, unique)

    def _read_in_chunks(
        self,
        spec: KindSpec,
        ids: list[str],
        size: int,
        query: Callable[[list[str]], dict[str, object]],
    ) -> list[RemoteDocument]:
        found: list[RemoteDocument] = []
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            # Only a paged read carries the lines (an unpaged list is a summary, xero-node#200);
            # a chunk always fits the first page of 100.
            data = self._call_json(
                spec.read, f"reading {len(chunk)} {spec.noun}s", page=1, **query(chunk)
            )
            found.extend(_documents_of(spec, data))
        return found

    def _read_one_by_one(self, spec: KindSpec, ids: list[str]) -> list[RemoteDocument]:
        found: list[RemoteDocument] = []
        for xero_id in ids:
            try:
                data = self._call_json(spec.read_one, f'reading {spec.noun} "{xero_id}"', xero_id)
            except NotFoundError:
                continue
            found.extend(_documents_of(spec, data))
        return found

    def read_statuses(self, kind: DocumentKind, ids: Sequence[str]) -> Mapping[str, str]:
        """Return the current status of each id found (ids not found are left out)."""
        return {d.xero_id: d.status for d in self._documents_by_ids(SPECS[kind], ids)}

    def read_numbered(
        self, kind: DocumentKind, numbers: Sequence[str], *, page: int = 1
    ) -> DocumentPage:
        """Read the invoices or bills with these numbers, any status (``InvoiceNumbers``).

        One call a page of 100; only the numbers asked for come back (compared trimmed and
        case-insensitively), so a filter the server ignored hands back nothing else. Only
        the Invoices endpoint takes numbers; any other kind raises `TargetError`.
        """
        spec = SPECS[kind]
        if spec.resource != "Invoices":
            msg = f"Xero cannot be asked for {spec.noun}s by number."
            raise TargetError(msg)
        wanted = {normalise(n) for n in numbers}
        extra: dict[str, object] = {"page": page, "invoice_numbers": [n.strip() for n in numbers]}
        where = type_where(spec)
        if where is not None:
            extra["where"] = where
        data = self._call_json(spec.read, f"reading {len(numbers)} {spec.noun}s by number", **extra)
        documents = tuple(
            d for d in _documents_of(spec, data) if normalise(d.number or "") in wanted
        )
        return DocumentPage(documents=documents, next_page=_next(spec, page, data))

    # Contacts and items ----------------------------------------------------------------

    def find_contacts(self, names: Sequence[str]) -> Mapping[str, str]:
        """Return the contact id of each name that exists (one GET per distinct name)."""
        found: dict[str, str] = {}
        for name in dict.fromkeys(names):
            escaped = name.strip().replace("\\", "\\\\").replace('"', '\\"')
            data = self._call(
                "get_contacts", f'looking up the contact "{name}"', where=f'Name=="{escaped}"'
            )
            for contact in data.contacts or ():
                if normalise(str(contact.name or "")) == normalise(name):
                    found[name] = str(contact.contact_id)
                    break
        return found

    def create_contact(self, contact: ContactRef) -> str:
        """Create a contact and return its Xero id."""
        name = contact.name.strip()
        body = _model(
            lambda: Contacts(contacts=[Contact(name=name, email_address=contact.email)]),
            f'the contact "{name}"',
        )
        key = request_key(self._tenant_id, "contact", (normalise(name),))
        data = self._call_json(
            "create_contacts",
            f'creating the contact "{name}"',
            body,
            summarize_errors=False,
            idempotency_key=key,
        )
        element = _only(_answer_list(data, "Contacts"), f'the contact "{name}"')
        return _created_id(element, "ContactID", f'the contact "{name}"')

    def find_items(self, codes: Sequence[str]) -> frozenset[str]:
        """Return the item codes (as given) that exist (one GET for all of them)."""
        data = self._call("get_items", "reading the items")
        known = {normalise(str(item.code or "")) for item in data.items or ()}
        return frozenset(code for code in codes if normalise(code) in known)

    def create_item(self, code: str, description: str) -> None:
        """Create an item with this code.

        Raises:
            RejectedError: The code or description does not fit Xero's rules, or Xero refused.
        """
        body = _model(
            lambda: Items(items=[Item(code=code.strip(), description=description)]),
            f'the item "{code}"',
        )
        key = request_key(self._tenant_id, "item", (normalise(code),))
        data = self._call_json(
            "create_items",
            f'creating the item "{code}"',
            body,
            summarize_errors=False,
            idempotency_key=key,
        )
        element = _only(_answer_list(data, "Items"), f'the item "{code}"')
        _created_id(element, "ItemID", f'the item "{code}"')


def _next(spec: KindSpec, page: int, data: object) -> int | None:
    """The page after this one, if there is one.

    Xero's answer says how many pages there are (``pagination.pageCount``); an answer without
    it has more only if this page was full.
    """
    count = page_count(data)
    if count is not None:
        return page + 1 if page < count else None
    return page + 1 if len(answer_elements(spec, data)) >= _PAGE_SIZE else None


def _documents_of(spec: KindSpec, data: object) -> list[RemoteDocument]:
    """The documents of this kind in a JSON list answer (see `listed_documents`)."""
    return [remote_document(spec, element) for element in listed_documents(spec, data)]


def _answer_list(data: object, name: str) -> list[Any]:
    """The elements of a JSON answer's ``name`` array (``Contacts``, ``Items``), if any."""
    listed = data.get(name) if isinstance(data, Mapping) else None
    return listed if isinstance(listed, list) else []


def _release(response: object) -> None:
    release = getattr(response, "release_conn", None)
    if callable(release):
        release()


def _lines_of(document: RemoteDocument | None) -> tuple[tuple[Any, ...], ...] | None:
    if document is None:
        return None
    return tuple(line.tracking for line in document.lines)


def _rejection(spec: KindSpec, item: PushItem, exc: RejectedError) -> tuple[str, ...]:
    detail = "; ".join(exc.messages) or "no reason given"
    return (*exc.messages, f"Xero rejected {spec.describe(item.key)}: {detail}")


def _result(
    spec: KindSpec,
    item: PushItem,
    element: object,
    updating: bool,  # noqa: FBT001 - private helper
) -> PushResult:
    """One document's result from its JSON answer element (anything Xero sent in its place)."""
    if not isinstance(element, Mapping):  # Xero may have saved it: PENDING keeps it in doubt
        note = f"Xero's answer did not mention {spec.describe(item.key)}; it may exist."
        return PushResult(key=item.key, status=DeliveryStatus.PENDING, messages=(note,))
    errors, warnings = element_messages(element)
    xero_id = document_id(spec, element)
    if errors or has_errors(element) or xero_id in (None, "", ZERO_ID):
        detail = "; ".join(errors) or "no reason given"
        sentence = f"Xero rejected {spec.describe(item.key)}: {detail}"
        return _failed(item, (*errors, *warnings, sentence))
    return PushResult(
        key=item.key,
        status=DeliveryStatus.UPDATED if updating else DeliveryStatus.CREATED,
        xero_id=xero_id,
        number=document_number(spec, element),
        messages=warnings,
        echoed=echoed_tracking(spec, element),
        remote_status=_status_text(element.get("Status")),
    )


def _status_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _model(factory: Callable[[], Any], what: str) -> Any:  # noqa: ANN401 - untyped SDK model
    """Build an SDK model; a setter's ValueError (it names the field) becomes a RejectedError."""
    try:
        return factory()
    except ValueError as exc:
        message = f"{what[0].upper()}{what[1:]} cannot be created in Xero: {exc}."
        raise RejectedError(message, messages=(str(exc),), status=None) from exc


def _only(elements: Sequence[Any] | None, what: str) -> Any:  # noqa: ANN401
    if not elements:
        message = f"Xero's answer did not include {what}."
        raise TargetError(message)
    return elements[0]


def _created_id(element: object, id_key: str, what: str) -> str:
    errors, _warnings = element_messages(element)
    found = element.get(id_key) if isinstance(element, Mapping) else None
    xero_id = found if isinstance(found, str) and found.strip() else None
    if errors or xero_id in (None, ZERO_ID):
        detail = "; ".join(errors) or "no reason given"
        message = f"Xero rejected {what}: {detail}."
        raise RejectedError(message, messages=errors)
    return str(xero_id)
