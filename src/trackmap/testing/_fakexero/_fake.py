"""FakeXero: a faithful loopback stand-in for the part of Xero's Accounting API trackmap uses.

A request goes through these gates, in Xero's order (XERO.md):

1. ``Authorization: Bearer <access_token>`` or 401; ``xero-tenant-id`` naming a tenant or 403.
2. An injected fault that matches (`Fault`): a status, a 429 or a dropped connection answer
   without processing and without counting against the limits.
3. The tenant's rate limits (`Limits`): a refused call answers 429 and is not counted.
4. A body over 3.5 MB (``Limits.request_bytes``) gets 413. ``Idempotency-Key`` (at most
   128 characters, else 400): a key seen before for the tenant replays the first answer,
   same status and body, and processes nothing.
5. The handler, under one lock around all state. ``drop_after`` and ``slow`` faults act on
   its answer: the work is done either way.

Every answer carries ``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and
``X-AppMinLimit-Remaining``.
"""

from __future__ import annotations

import copy
import secrets
import threading
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Self
from urllib.parse import parse_qsl, urlsplit

import attrs

from trackmap._engine._document import DocumentKind
from trackmap.testing._fakexero._call import Call
from trackmap.testing._fakexero._clock import RealClock, VirtualClock
from trackmap.testing._fakexero._documents import find, render, set_status
from trackmap.testing._fakexero._errors import FakeXeroError
from trackmap.testing._fakexero._faults import Fault, FaultRule, Holds
from trackmap.testing._fakexero._http import Incoming, Outcome, Server
from trackmap.testing._fakexero._kinds import KINDS, Kind
from trackmap.testing._fakexero._limits import Limits, RateLimiter, Refusal
from trackmap.testing._fakexero._raw import RawAnswer, raw_request
from trackmap.testing._fakexero._recording import REDACTED, RecordedRequest
from trackmap.testing._fakexero._routes import route
from trackmap.testing._fakexero._state import (
    STATUSES,
    Category,
    Option,
    Status,
    StoredAnswer,
    TenantState,
)
from trackmap.testing._fakexero._webhooks import FakeWebhooks
from trackmap.testing._fakexero._wire import (
    ApiFailure,
    IdSource,
    Json,
    JsonObj,
    Reply,
    is_guid,
    loads,
    new_id,
    not_found,
    post_data_invalid,
    validation_failure,
)

if TYPE_CHECKING:
    from xero_python.accounting import AccountingApi

__all__ = ["FakeXero"]

API_ROOT = "/api.xro/2.0"
_MAX_KEY = 128


@attrs.frozen(kw_only=True)
class _Admitted:
    tenant: TenantState
    path: str
    query: dict[str, str]
    fault: Fault | None


def _problem(status: int, title: str) -> Reply:
    body: JsonObj = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": "AuthenticationUnsuccessful",
        "Instance": new_id(),
        "Extensions": {},
    }
    return Reply(status=status, body=body)


class FakeXero:
    """A loopback HTTP server that answers like Xero's Accounting API, for tests.

    It starts on construction (127.0.0.1, a free port) and stops on `close` or at the end
    of a ``with`` block. Point xero-python at it with ``AccountingApi(api_client,
    base_url=fake.base_url)``, or take a ready client from `sdk_client`.

    Args:
        clock: the virtual clock for timestamps and rate-limit windows.
        limits: Xero's limits and behaviours; settable later through ``fake.limits``.
        seed: make every id the fake invents (tenants, categories, options, contacts,
            documents, lines) a repeatable sequence: the same set-up gives the same ids.
        tenant_id: the first tenant's id (default: an invented one).
        real_time: run timestamps and rate-limit windows on the real clock instead, for a
            fake that pushers in other processes share (they sleep for real, so they must
            meet real windows). Every tenant of one fake shares the app-wide minute limit.
    """

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        limits: Limits | None = None,
        seed: int | None = None,
        tenant_id: str | None = None,
        real_time: bool = False,
    ) -> None:
        if real_time and clock is not None:
            msg = "A FakeXero runs on a virtual clock or on real time, not both."
            raise FakeXeroError(msg)
        self.clock: VirtualClock | RealClock = RealClock() if real_time else clock or VirtualClock()
        self._limiter = RateLimiter(limits or Limits())
        self._ids = IdSource(seed)
        self.access_token = "fakexero-" + secrets.token_hex(16)
        self._lock = threading.RLock()
        self._recorded = threading.Condition(self._lock)
        self._tenants: dict[str, TenantState] = {}
        self._rules: list[FaultRule] = []
        self._requests: list[RecordedRequest] = []
        self._holds = Holds()
        self._internal_errors: list[str] = []
        self._in_flight: dict[int, RecordedRequest] = {}
        self.webhooks = FakeWebhooks(self.clock)
        """Webhooks: `FakeWebhooks.subscribe` an endpoint, then `FakeWebhooks.send_due`."""
        self.tenant_id = self.add_tenant(tenant_id)
        self._server = Server(self._serve, now=self.clock.now)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What ``AccountingApi(base_url=...)`` takes: ``http://127.0.0.1:PORT/api.xro/2.0``."""
        return f"http://127.0.0.1:{self._server.port}{API_ROOT}"

    def close(self) -> None:
        """Release held answers and stop the server; safe to call twice.

        Raises:
            FakeXeroError: FakeXero itself failed on a request (answered with HTTP 500):
                a bug in the fake, reported here so that no test passes on top of it.
        """
        self._holds.release_all()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        errors, self._internal_errors = self._internal_errors, []
        if errors:
            msg = "FakeXero failed on a request (a bug in the fake): " + "; ".join(errors)
            raise FakeXeroError(msg)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.close()

    @property
    def limits(self) -> Limits:
        """Xero's limits as enforced now; set fields (``fake.limits.minute = 5``) freely."""
        return self._limiter.limits

    @limits.setter
    def limits(self, limits: Limits) -> None:
        self._limiter.limits = limits

    def sdk_client(self, *, timeout: tuple[float, float] = (2, 10)) -> AccountingApi:
        """An xero-python ``AccountingApi`` wired to this fake: see `sdk_client`."""
        from trackmap.testing._fakexero._sdk import sdk_client  # noqa: PLC0415  # optional SDK

        return sdk_client(self.base_url, self.access_token, timeout=timeout)

    def raw(
        self,
        method: str,
        path: str,
        body: Json = None,
        *,
        headers: dict[str, str] | None = None,
        tenant_id: str | None = None,
    ) -> RawAnswer:
        """Send a request by hand, authenticated for ``tenant_id`` (the default tenant).

        For bodies xero-python would refuse to build; ``headers`` add to or override the
        defaults (``Authorization``, ``xero-tenant-id``, JSON content type).
        """
        sent = {
            "Authorization": f"Bearer {self.access_token}",
            "xero-tenant-id": tenant_id or self.tenant_id,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        sent.update(headers or {})
        return raw_request(self.base_url, method, path, body=body, headers=sent)

    # --- set-up helpers (they bypass Xero's validation, so any state can be built) ---------

    def add_tenant(self, tenant_id: str | None = None) -> str:
        """Connect one more organisation (``tenant_id`` a GUID you choose, or invented)."""
        chosen = _chosen(tenant_id, "tenant") or self._ids.new()
        with self._lock:
            _unused(chosen, self._tenants, "tenant")
            self._tenants[chosen] = TenantState(
                tenant_id=chosen, ids=self._ids, on_document=self.webhooks.document_changed
            )
        return chosen

    @property
    def tenant_ids(self) -> list[str]:
        """Every connected organisation's tenant id, the first one first."""
        with self._lock:
            return list(self._tenants)

    def _tenant(self, tenant_id: str | None) -> TenantState:
        found = self._tenants.get((tenant_id or self.tenant_id).strip().lower())
        if found is None:
            msg = f"FakeXero has no tenant {tenant_id}."
            raise FakeXeroError(msg)
        return found

    def _category(self, category_id: str) -> Category:
        for tenant in self._tenants.values():
            if category_id.lower() in tenant.categories:
                return tenant.categories[category_id.lower()]
        msg = f"FakeXero has no tracking category {category_id}."
        raise FakeXeroError(msg)

    def _option(self, category_id: str, option_id: str) -> Option:
        option = self._category(category_id).option(option_id.lower())
        if option is None:
            msg = f"The tracking category {category_id} has no option {option_id}."
            raise FakeXeroError(msg)
        return option

    def add_category(
        self,
        name: str,
        options: tuple[str, ...] | list[str] = (),
        tenant_id: str | None = None,
        status: Status = "ACTIVE",
        *,
        category_id: str | None = None,
        option_ids: tuple[str, ...] | list[str] = (),
    ) -> str:
        """Create a tracking category (and ACTIVE options); return its id.

        ``category_id`` and ``option_ids`` (one per option, in order) choose the ids, so a
        saved settings fixture naming them can be reused; the rest are invented.
        """
        chosen = _chosen(category_id, "category") or self._ids.new()
        given = [_chosen(option_id, "option") for option_id in option_ids]
        if len(given) > len(options):
            msg = f"{len(given)} option ids were given for {len(options)} options."
            raise FakeXeroError(msg)
        ids = [*given, *(self._ids.new() for _ in range(len(options) - len(given)))]
        category = Category(id=chosen, name=name, status=_status(status))
        category.options.extend(
            Option(id=str(option_id), name=option)
            for option_id, option in zip(ids, options, strict=True)
        )
        with self._lock:
            tenant = self._tenant(tenant_id)
            _unused(chosen, tenant.categories, "tracking category")
            tenant.categories[category.id] = category
        return category.id

    def add_option(
        self,
        category_id: str,
        name: str,
        status: Status = "ACTIVE",
        *,
        option_id: str | None = None,
    ) -> str:
        """Add an option to a category (``option_id`` chosen, or invented); return its id."""
        option = Option(
            id=_chosen(option_id, "option") or self._ids.new(), name=name, status=_status(status)
        )
        with self._lock:
            category = self._category(category_id)
            if category.option(option.id) is not None:
                msg = f"The tracking category {category_id} already has an option {option.id}."
                raise FakeXeroError(msg)
            category.options.append(option)
        return option.id

    def set_category_status(self, category_id: str, status: Status) -> None:
        """Archive, delete or restore a category, as in Xero's settings screen."""
        with self._lock:
            self._category(category_id).status = _status(status)

    def set_option_status(self, category_id: str, option_id: str, status: Status) -> None:
        """Archive, delete or restore an option."""
        with self._lock:
            self._option(category_id, option_id).status = _status(status)

    def rename_category(self, category_id: str, name: str) -> None:
        """Rename a category."""
        with self._lock:
            self._category(category_id).name = name

    def rename_option(self, category_id: str, option_id: str, name: str) -> None:
        """Rename an option."""
        with self._lock:
            self._option(category_id, option_id).name = name

    def categories(self, tenant_id: str | None = None) -> list[JsonObj]:
        """Every category of a tenant (all statuses, all options), Xero-shaped."""
        with self._lock:
            tenant = self._tenant(tenant_id)
            return [_everything(category) for category in tenant.categories.values()]

    def add_contact(
        self, name: str, tenant_id: str | None = None, *, contact_id: str | None = None
    ) -> str:
        """Create a contact (``contact_id`` chosen, or invented); return its id."""
        chosen = _chosen(contact_id, "contact")
        with self._lock:
            tenant = self._tenant(tenant_id)
            if chosen is not None:
                _unused(chosen, tenant.contacts, "contact")
            return str(tenant.add_contact(name, self.clock.now(), contact_id=chosen)["ContactID"])

    def add_item(
        self,
        code: str,
        name: str | None = None,
        tenant_id: str | None = None,
        *,
        item_id: str | None = None,
    ) -> str:
        """Create an item (``item_id`` chosen, or invented); return its id."""
        chosen = _chosen(item_id, "item") or self._ids.new()
        item = {"ItemID": chosen, "Code": code, "Name": name or code}
        with self._lock:
            tenant = self._tenant(tenant_id)
            _unused(chosen, tenant.items, "item")
            tenant.items[chosen] = item
        return chosen

    # --- inspection ------------------------------------------------------------------------

    def _kind(self, kind: str | DocumentKind) -> Kind:
        return _endpoint(kind)[0]

    def documents(self, kind: str | DocumentKind, tenant_id: str | None = None) -> list[JsonObj]:
        """Copies of the stored documents of a kind, oldest change first.

        ``kind`` is a trackmap `DocumentKind` (``DocumentKind.BILL``: bills only, not the
        sales invoices that share Xero's endpoint), its value (``"bill"``), or Xero's
        endpoint name (``"Invoices"``: every document of that endpoint).
        """
        spec, doc_type = _endpoint(kind)
        with self._lock:
            tenant = self._tenant(tenant_id)
            docs = sorted(tenant.of_kind(spec.key).values(), key=lambda d: (d.updated, d.id))
            return [
                render(tenant, spec, doc.body)
                for doc in docs
                if doc_type is None or doc.body.get("Type") == doc_type
            ]

    def document(self, kind: str, document_id: str, tenant_id: str | None = None) -> JsonObj:
        """A copy of one stored document, by id (or number)."""
        spec = self._kind(kind)
        with self._lock:
            tenant = self._tenant(tenant_id)
            doc = find(tenant, spec, document_id)
            if doc is None:
                msg = f"FakeXero has no {spec.singular.lower()} {document_id}."
                raise FakeXeroError(msg)
            return render(tenant, spec, doc.body)

    def set_document_status(
        self, kind: str, document_id: str, status: str, tenant_id: str | None = None
    ) -> None:
        """Set a status as if done in Xero (PAID, VOIDED, DELETED, AUTHORISED...)."""
        spec = self._kind(kind)
        if status not in spec.statuses:
            msg = f"A {spec.singular.lower()} cannot have the status {status!r}."
            raise FakeXeroError(msg)
        with self._lock:
            tenant = self._tenant(tenant_id)
            doc = find(tenant, spec, document_id)
            if doc is None:
                msg = f"FakeXero has no {spec.singular.lower()} {document_id}."
                raise FakeXeroError(msg)
            set_status(tenant, spec, doc, status, self.clock.now())

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order of arrival."""
        with self._lock:
            return list(self._requests)

    def release_held(self) -> None:
        """Let every answer held by a `Fault.slow` go now (a test that has seen enough)."""
        self._holds.release_all()

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` requests have been received (answered, dropped or held).

        A held (`Fault.slow`) request counts as soon as it is processed, so a test can
        start calls on threads and wait here until they are all in flight.

        Returns:
            True once there are ``count`` requests; False if ``timeout`` real seconds passed.
        """
        with self._recorded:
            return self._recorded.wait_for(lambda: len(self._requests) >= count, timeout)

    def calls(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many requests got past auth, injected faults and rate limits.

        Requests answered by an Idempotency-Key replay count too: Xero saw them.
        """
        return sum(
            1
            for request in self.requests
            if request.handled
            and (method is None or request.method == method.upper())
            and (path_prefix is None or request.path.lower().startswith(path_prefix.lower()))
        )

    @property
    def in_flight(self) -> list[RecordedRequest]:
        """Requests admitted and being processed or held now (``status`` None: not answered).

        A test that holds answers with `Fault.slow` sees here what a client has in flight.
        """
        with self._lock:
            return list(self._in_flight.values())

    def clear_faults(self, *, method: str | None = None, path: str | None = None) -> int:
        """Forget injected faults not yet triggered (those for ``method``/``path``, or all).

        Returns:
            How many waiting faults were removed.
        """
        with self._lock:
            kept = [
                rule
                for rule in self._rules
                if rule.times > 0
                and not (
                    (method is None or (rule.method or "").upper() == method.upper())
                    and (path is None or rule.path == path)
                )
            ]
            removed = sum(rule.times > 0 for rule in self._rules) - len(kept)
            self._rules = kept
        return removed

    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        tenant_id: str | None = None,
    ) -> None:
        """Make the next ``times`` matching requests misbehave (see `Fault`).

        ``path`` is relative to ``/api.xro/2.0`` and matches itself and what lies under it
        (``/Invoices`` matches ``/Invoices/<id>``); None matches every path.
        """
        rule = FaultRule(fault=fault, method=method, path=path, tenant_id=tenant_id, times=times)
        with self._lock:
            self._rules.append(rule)

    # --- serving ---------------------------------------------------------------------------

    def _serve(self, incoming: Incoming) -> Outcome:
        with self._lock:
            gate = self._gate(incoming)
        if isinstance(gate, Outcome):
            self._record(incoming, gate, handled=False)
            return gate
        with self._lock:
            self._in_flight[id(incoming)] = _record_of(incoming, None, handled=True)
        try:
            with self._lock:
                outcome, replayed = self._answer(incoming, gate)
            return self._deliver(incoming, gate.fault, outcome, replayed=replayed)
        finally:
            with self._lock:
                self._in_flight.pop(id(incoming), None)
                self._limiter.leave(gate.tenant.tenant_id)

    def _deliver(
        self, incoming: Incoming, fault: Fault | None, outcome: Outcome, *, replayed: bool
    ) -> Outcome:
        if fault is not None and fault.kind == "drop_after":
            outcome = Outcome(status=None)
        with self._lock:
            pending = self._in_flight.get(id(incoming))
        self._record(incoming, outcome, handled=True, replayed=replayed, pending=pending)
        if fault is not None and fault.kind == "slow":
            self._holds.hold(fault.seconds)
        return outcome

    def _gate(self, incoming: Incoming) -> Outcome | _Admitted:
        parts = urlsplit(incoming.target)
        if not parts.path.lower().startswith(API_ROOT.lower()):
            return self._outcome(not_found().reply, None)
        if incoming.headers.get("authorization") != f"Bearer {self.access_token}":
            return self._outcome(_problem(401, "Unauthorized"), None)
        tenant = self._tenants.get(incoming.headers.get("xero-tenant-id", "").strip().lower())
        if tenant is None:
            return self._outcome(_problem(403, "Forbidden"), None)
        path, query = parts.path[len(API_ROOT) :] or "/", dict(parse_qsl(parts.query))
        fault = self._take_fault(incoming.method, path, tenant.tenant_id)
        early = self._fault_outcome(fault, tenant)
        if early is not None:
            return early
        refusal = self._limiter.enter(tenant.tenant_id, self.clock.now())
        if refusal is not None:
            return self._too_many(refusal, tenant)
        return _Admitted(tenant=tenant, path=path, query=query, fault=fault)

    def _take_fault(self, method: str, path: str, tenant_id: str) -> Fault | None:
        for rule in self._rules:
            if rule.matches(method, path, tenant_id):
                rule.times -= 1
                return rule.fault
        return None

    def _fault_outcome(self, fault: Fault | None, tenant: TenantState) -> Outcome | None:
        if fault is None or fault.kind in {"drop_after", "slow"}:
            return None
        if fault.kind == "drop_before":
            return Outcome(status=None)
        if fault.kind == "rate_limit":
            now = self.clock.now()
            left = self._limiter.seconds_left(tenant.tenant_id, fault.problem, now)
            refusal = Refusal(problem=fault.problem, retry_after=fault.retry_after or left)
            return self._too_many(refusal, tenant)
        body = {"Title": "An error occurred", "Status": fault.code, "Detail": "Injected fault"}
        return self._outcome(Reply(status=fault.code, body=body), tenant)

    def _too_many(self, refusal: Refusal, tenant: TenantState) -> Outcome:
        text = f"You have exceeded the {refusal.problem} rate limit for this organisation."
        reply = Reply(status=429, body=text, content_type="text/plain; charset=utf-8")
        extra: dict[str, str] = {"X-Rate-Limit-Problem": refusal.problem}
        if refusal.retry_after is not None:
            extra["Retry-After"] = str(refusal.retry_after)
        return self._outcome(reply, tenant, extra)

    def _outcome(
        self, reply: Reply, tenant: TenantState | None, extra: dict[str, str] | None = None
    ) -> Outcome:
        tenant_id = None if tenant is None else tenant.tenant_id
        headers = {"Content-Type": reply.content_type}
        headers.update(self._limiter.headers(tenant_id, self.clock.now()))
        headers.update(extra or {})
        return Outcome(status=reply.status, headers=headers, body=reply.encoded())

    def _answer(self, incoming: Incoming, gate: _Admitted) -> tuple[Outcome, bool]:
        if len(incoming.body) > self.limits.request_bytes:
            text = f"The request body is larger than {self.limits.request_bytes} bytes."
            too_big = Reply(status=413, body=text, content_type="text/plain; charset=utf-8")
            return self._outcome(too_big, gate.tenant), False
        key = incoming.headers.get("idempotency-key")
        if incoming.method not in {"PUT", "POST"} or key is None:
            return self._outcome(self._handle(incoming, gate), gate.tenant), False
        if len(key) > _MAX_KEY:
            message = f"The Idempotency-Key is {len(key)} characters long; at most 128 allowed."
            return self._outcome(validation_failure(message), gate.tenant), False
        stored = self._remembered(gate.tenant, key)
        if stored is not None and stored.request != incoming.body:
            message = (
                f"Idempotency Key {key} is used with a different request; send it with the "
                "body it was first used with, or use another key."
            )
            return self._outcome(validation_failure(message), gate.tenant), False
        if stored is not None:
            replay = Reply(
                status=stored.status, body=stored.body.decode(), content_type=stored.content_type
            )
            return self._outcome(replay, gate.tenant), True
        reply = self._handle(incoming, gate)
        gate.tenant.answers[key] = StoredAnswer(
            status=reply.status,
            body=reply.encoded(),
            content_type=reply.content_type,
            stored_at=self.clock.now(),
            request=incoming.body,
        )
        return self._outcome(reply, gate.tenant), False

    def _remembered(self, tenant: TenantState, key: str) -> StoredAnswer | None:
        """The answer kept under ``key``, unless its lifetime (``Limits``) has passed."""
        stored = tenant.answers.get(key)
        if stored is None or stored.stored_at is None:
            return stored
        age = (self.clock.now() - stored.stored_at).total_seconds()
        if age >= self.limits.idempotency_seconds:
            del tenant.answers[key]
            return None
        return stored

    def _handle(self, incoming: Incoming, gate: _Admitted) -> Reply:
        found = route(incoming.method, gate.path)
        if found is None:
            return not_found().reply
        handler, params = found
        try:
            return handler(self._call(incoming, gate, params))
        except ApiFailure as failure:
            return failure.reply
        except Exception as exc:  # noqa: BLE001  # a bug in the fake: answer 500, raise at close
            self._internal_errors.append(f"{incoming.method} {incoming.target}: {exc!r}")
            return _problem(500, "FakeXero internal error")

    def _call(self, incoming: Incoming, gate: _Admitted, params: tuple[str, ...]) -> Call:
        return Call(
            tenant=gate.tenant,
            method=incoming.method,
            params=params,
            query=gate.query,
            headers=incoming.headers,
            body=_parse_body(incoming.body),
            now=self.clock.now(),
            limits=self.limits,
        )

    def _record(
        self,
        incoming: Incoming,
        outcome: Outcome,
        *,
        handled: bool,
        replayed: bool = False,
        pending: RecordedRequest | None = None,
    ) -> None:
        if pending is None:
            record = _record_of(incoming, outcome, handled=handled, replayed=replayed)
        else:  # the in-flight record, answered: the body is not parsed a second time
            answered = outcome.status is not None
            record = attrs.evolve(
                pending,
                status=outcome.status,
                replayed=replayed,
                answer_headers=dict(outcome.headers) if answered else {},
                answer=outcome.body if answered else b"",
            )
        with self._lock:
            self._requests.append(record)
            self._recorded.notify_all()


def _record_of(
    incoming: Incoming, outcome: Outcome | None, *, handled: bool, replayed: bool = False
) -> RecordedRequest:
    parts = urlsplit(incoming.target)
    headers = dict(incoming.headers)
    if "authorization" in headers:
        headers["authorization"] = REDACTED
    answered = outcome is not None and outcome.status is not None
    return RecordedRequest(
        method=incoming.method,
        path=parts.path.removeprefix(API_ROOT),
        query=dict(parse_qsl(parts.query)),
        headers=headers,
        body=incoming.body,
        json=_quiet_json(incoming.body),
        status=None if outcome is None else outcome.status,
        handled=handled,
        replayed=replayed,
        answer_headers=dict(outcome.headers) if answered and outcome else {},
        answer=outcome.body if answered and outcome else b"",
    )


def _chosen(value: str | None, what: str) -> str | None:
    """An id a test chose, checked to be a GUID (Xero's ids are), lower-cased; or None."""
    if value is None:
        return None
    if not is_guid(value):
        msg = f"A {what} id must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), not {value!r}."
        raise FakeXeroError(msg)
    return value.lower()


def _unused(chosen: str, taken: Mapping[str, object], what: str) -> None:
    if chosen in taken:
        msg = f"FakeXero already has a {what} with the id {chosen}."
        raise FakeXeroError(msg)


# Which endpoint and Type hold each trackmap document kind.
_BY_DOCUMENT_KIND: dict[DocumentKind, tuple[str, str | None]] = {
    DocumentKind.SALES_INVOICE: ("invoices", "ACCREC"),
    DocumentKind.BILL: ("invoices", "ACCPAY"),
    DocumentKind.SALES_CREDIT_NOTE: ("creditnotes", "ACCRECCREDIT"),
    DocumentKind.PURCHASE_CREDIT_NOTE: ("creditnotes", "ACCPAYCREDIT"),
    DocumentKind.PURCHASE_ORDER: ("purchaseorders", None),
    DocumentKind.SPEND_MONEY: ("banktransactions", "SPEND"),
    DocumentKind.RECEIVE_MONEY: ("banktransactions", "RECEIVE"),
    DocumentKind.MANUAL_JOURNAL: ("manualjournals", None),
}


def _endpoint(kind: str | DocumentKind) -> tuple[Kind, str | None]:
    """The stored kind and the ``Type`` a trackmap kind (or an endpoint name) stands for."""
    if not isinstance(kind, DocumentKind):
        by_value = {k.value: k for k in DocumentKind}
        if kind.lower() in KINDS:
            return KINDS[kind.lower()], None
        if kind not in by_value:
            known = ", ".join([*(k.key for k in KINDS.values()), *by_value])
            msg = f"FakeXero stores {known}; it has no documents of kind {kind!r}."
            raise FakeXeroError(msg)
        kind = by_value[kind]
    endpoint, doc_type = _BY_DOCUMENT_KIND[kind]
    return KINDS[endpoint], doc_type


def _status(status: str) -> Status:
    for known in STATUSES:
        if status == known:
            return known
    msg = f"A tracking status is ACTIVE, ARCHIVED or DELETED, not {status!r}."
    raise FakeXeroError(msg)


def _everything(category: Category) -> JsonObj:
    shown = copy.deepcopy(category.wire(include_archived=True))
    shown["Options"] = [option.wire(category.id) for option in category.options]
    return shown


def _parse_body(raw: bytes) -> Json:
    if not raw.strip():
        return None
    try:
        return loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        msg = "The request body is not valid JSON."
        raise post_data_invalid(msg) from exc


def _quiet_json(raw: bytes) -> Json:
    try:
        return loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        return None
