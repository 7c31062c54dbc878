"""A push: resolve, create what is missing, send in batches, record, verify. Exactly once.

What one `Pusher.push` does, chunk by chunk over the host's documents (an iterable, streamed:
memory is bounded by the chunk, not by the total):

1. Once: hold the tenant's lease in the ledger, read the organisation's schema, compile the
   mapping (a broken mapping raises before anything is sent), open the next batch, and load
   the requests an earlier run left IN DOUBT (intent written, outcome not).
2. Resolve the chunk. Options planned by ``create`` bindings are created once each (one call
   each), then the mapping is compiled again against the grown schema and the chunk resolved
   again, so the documents carry the new options' ids.
3. Per document: blocked by a problem -> FAILED without a call; the ledger holds the same
   delivery fingerprint (tracking + body) and Xero has it -> UNCHANGED without a call; else it
   is sent, as an update by Xero id when the ledger has one, else as a creation.
4. The host's policy for missing contacts and items is applied (`DeliveryPolicy`).
5. Per request of at most ``capabilities.batch_size`` documents of one kind: write the INTENT,
   send, write the OUTCOME (the tracking Xero echoed is compared with what was sent; a drop is
   a FAILED document with a message that says so, and its Xero id is kept so that the next run
   updates it instead of creating it again).
6. A document that was in an in-doubt request is held until every document of that request has
   come by, then the request is sent again exactly as the intent recorded it (same documents,
   same order, same Idempotency-Keys): Xero replays its first answer if it had one, and the
   ledger learns the ids. Then, if the document changed since, it is updated like any other.

A day limit (`DailyLimitError`) or a failure to reach Xero stops the push cleanly: the batch is
closed as STOPPED, what was not sent is PENDING, and the next push resumes (a request whose
answer was lost is in doubt and is re-sent with its key). A whole request refused by Xero (400)
is retried document by document, so one malformed document never sinks the others.

``checkpoint`` is a fault-injection hook for tests: it is called with the name of each step
(`CHECKPOINTS`), and a test makes it raise to simulate a crash exactly there.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._mapping import FieldSpec, TrackingMapping
from trackmap._engine._names import normalise
from trackmap._engine._resolve import resolve_batch
from trackmap._engine._results import (
    BatchResolution,
    OptionToCreate,
    Problem,
    Resolution,
    Severity,
)
from trackmap._engine._rules import CompiledMapping, compile_mapping
from trackmap._engine._schema import TrackingOption, TrackingSchema
from trackmap._sources._body import Outbound
from trackmap._sync._batch import Batch, BatchCounts
from trackmap._sync._keys import delivery_fingerprint, idempotency_key, kind_label, tracking_of
from trackmap._sync._ledger import Ledger, LedgerEntry, SendIntent, SendMember, SendOutcome
from trackmap._sync._policy import DeliveryPolicy, Preparer
from trackmap._sync._progress import Phase, Progress, ProgressCallback, RateLimitWaits
from trackmap._sync._target import (
    ContactsAndItems,
    DeliveryStatus,
    PushItem,
    PushResult,
    Target,
    TrackingEntry,
)
from trackmap._sync._verify import verify_tracking
from trackmap.errors import DocumentError, RejectedError, TargetError

__all__ = ["CHECKPOINTS", "CreatedOption", "PushReport", "Pusher", "push"]

CHECKPOINTS = (
    "chunk",  # a chunk of documents is about to be resolved (between requests: mid-batch)
    "before_option",  # an option is about to be created
    "after_option",  # an option was created, nothing recorded yet
    "before_intent",  # a request is built, its intent not yet written
    "after_intent",  # the intent is committed, the request not yet sent
    "after_send",  # Xero answered, the outcome not yet recorded
    "after_outcome",  # the outcome is committed
)
"""The steps at which ``checkpoint`` is called, in the order a push passes them."""

Checkpoint = Callable[[str], None]
_ZERO_ID = "00000000-0000-0000-0000-000000000000"
_SENT = frozenset({DeliveryStatus.CREATED, DeliveryStatus.UPDATED})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _no_checkpoint(_name: str) -> None:
    return None


@attrs.frozen(kw_only=True)
class CreatedOption:
    """A tracking option a push created in the organisation."""

    category_id: str
    category_name: str
    option: TrackingOption


@attrs.frozen(kw_only=True)
class PushReport:
    """What a push did. The documents of the batch are in the ledger (`Ledger.batch_documents`).

    Attributes:
        batch: The batch, with its number, date, state and counts.
        calls: Calls made to the target (schema read, options, contacts, items, requests).
        options_created: The options created, in order.
        recovered: Documents of requests an earlier run left in doubt, settled by this one.
        in_doubt: Requests still in doubt after this push (their documents were not all in it).
    """

    batch: Batch
    calls: int
    options_created: tuple[CreatedOption, ...] = ()
    recovered: int = 0
    in_doubt: int = 0

    @property
    def counts(self) -> BatchCounts:
        """How many documents ended in each status."""
        return self.batch.counts

    @property
    def stopped(self) -> bool:
        """Whether the push stopped before the end (day limit, Xero unreachable)."""
        return bool(self.batch.note)

    def sentence(self) -> str:
        """Say it in one line: 'Batch 3: 40 created, 2 failed (12 calls).'."""
        calls = "1 call" if self.calls == 1 else f"{self.calls} calls"
        text = f"Batch {self.batch.number}: {self.counts.sentence()} ({calls})."
        return f"{text} Stopped: {self.batch.note}" if self.batch.note else text


@attrs.frozen(kw_only=True)
class _Doc:
    """One document of the chunk, resolved."""

    outbound: Outbound
    resolution: Resolution
    fingerprint: str
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.outbound.document.key

    @property
    def kind(self) -> DocumentKind:
        return self.outbound.document.kind

    @property
    def title(self) -> str:
        return self.outbound.document.title


@attrs.frozen(kw_only=True)
class _Outgoing:
    """One document of a request: what is sent, and what to record once Xero answers."""

    doc: _Doc
    item: PushItem
    fingerprint: str
    notes: tuple[str, ...] = ()


def _chunks(items: Iterable[Outbound], size: int) -> Iterator[list[Outbound]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _with_option(
    schema: TrackingSchema, category_id: str, option: TrackingOption
) -> TrackingSchema:
    categories = tuple(
        attrs.evolve(c, options=(*c.options, option)) if c.id == category_id else c
        for c in schema.categories
    )
    return attrs.evolve(schema, categories=categories)


class Pusher:
    """Delivers a host's documents to one organisation, exactly once, in batches.

    Args:
        target: The organisation (`trackmap.xero.XeroTarget`, or `InMemoryTarget` in tests).
        ledger: Remembers what was sent (`SqliteLedger`).
        mapping: The host's tracking settings for this organisation.
        fields: The host fields its source adapter declares.
        policy: What to do with missing contacts and items.
        progress: Called with a `Progress` snapshot after every step.
        waits: The `RateLimitWaits` given to the target as its sleep, to report rate-limit waits.
        chunk_size: Documents resolved and recorded together (memory is bounded by it).
        lease_wait: Seconds to wait while another push holds the tenant (0: fail at once).
        clock: Gives the batch dates.
        checkpoint: Test hook called at every step (`CHECKPOINTS`); make it raise to crash.
    """

    def __init__(
        self,
        *,
        target: Target,
        ledger: Ledger,
        mapping: TrackingMapping,
        fields: Sequence[FieldSpec],
        policy: DeliveryPolicy | None = None,
        progress: ProgressCallback | None = None,
        waits: RateLimitWaits | None = None,
        chunk_size: int = 500,
        lease_wait: float = 0.0,
        clock: Callable[[], dt.datetime] = _now,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self.target = target
        self.ledger = ledger
        self.mapping = mapping
        self.fields = tuple(fields)
        self.policy = policy or DeliveryPolicy()
        self.progress = progress
        self.waits = waits
        self.chunk_size = max(1, chunk_size)
        self.lease_wait = lease_wait
        self.clock = clock
        self.checkpoint = checkpoint or _no_checkpoint
        if self.policy.looks_up and not isinstance(target, ContactsAndItems):
            msg = (
                "The delivery policy asks trackmap to look up contacts or items, but this "
                "target cannot find or create them."
            )
            raise TargetError(msg)

    def push(self, outbound: Iterable[Outbound], *, total: int | None = None) -> PushReport:
        """Deliver the documents; return the report (the batch's documents are in the ledger).

        Args:
            outbound: The documents with their bodies; a generator is consumed once, a chunk
                at a time.
            total: How many there are, for progress (taken from ``len()`` when it has one).

        Raises:
            MappingError: The mapping breaks a rule against the organisation's schema.
            LedgerBusyError: Another push holds this organisation.
            TargetError: The schema could not be read (nothing was sent).
        """
        if total is None and isinstance(outbound, Sized):
            total = len(outbound)
        with self.ledger.lease(self.target.tenant_id, wait=self.lease_wait):
            return _Run(self, total).execute(outbound)


def push(
    outbound: Iterable[Outbound],
    *,
    target: Target,
    ledger: Ledger,
    mapping: TrackingMapping,
    fields: Sequence[FieldSpec],
    policy: DeliveryPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> PushReport:
    """Deliver documents once, with the defaults of `Pusher` (see there)."""
    pusher = Pusher(
        target=target,
        ledger=ledger,
        mapping=mapping,
        fields=fields,
        policy=policy,
        progress=progress,
    )
    return pusher.push(outbound)


class _Run:
    """The state of one push: counters, the compiled mapping, held in-doubt documents."""

    def __init__(self, pusher: Pusher, total: int | None) -> None:
        self.p = pusher
        self.target = pusher.target
        self.ledger = pusher.ledger
        self.tenant = pusher.target.tenant_id
        self.total = total
        self.done = 0
        self.calls = 0
        self.batch = 0
        self.stopped = ""
        self.recovered = 0
        self.created: list[CreatedOption] = []
        self.failed_options: dict[tuple[str, str], str] = {}
        self.intents: dict[str, SendIntent] = {}
        self.doubt: dict[tuple[DocumentKind, str], str] = {}
        self.held: dict[str, dict[str, _Doc]] = {}
        self.compiled: CompiledMapping
        self.preparer = (
            Preparer(pusher.target, pusher.policy, self._count)
            if pusher.policy.looks_up and isinstance(pusher.target, ContactsAndItems)
            else None
        )

    # -- the whole run ---------------------------------------------------------------------

    def execute(self, outbound: Iterable[Outbound]) -> PushReport:
        self._count()
        schema = self.target.read_schema()
        self.compiled = compile_mapping(self.p.mapping, schema, self.p.fields)
        self.batch = self.ledger.open_batch(self.tenant, self.p.clock())
        for intent in self.ledger.in_doubt(self.tenant):
            self.intents[intent.send_id] = intent
            self.doubt.update(((intent.kind, m.key), intent.send_id) for m in intent.members)
        if self.p.waits is not None:
            self.p.waits.listener = self._waiting
        try:
            for chunk in _chunks(outbound, self.p.chunk_size):
                self.p.checkpoint("chunk")
                self._chunk(chunk)
            self._leave_incomplete()
        finally:
            if self.p.waits is not None:
                self.p.waits.listener = None
        batch = self.ledger.close_batch(self.tenant, self.batch, self.p.clock(), note=self.stopped)
        self._emit(Phase.DONE)
        return PushReport(
            batch=batch,
            calls=self.calls,
            options_created=tuple(self.created),
            recovered=self.recovered,
            in_doubt=len(self.ledger.in_doubt(self.tenant)),
        )

    def _count(self) -> None:
        self.calls += 1

    def _emit(self, phase: Phase, waiting_until: dt.datetime | None = None) -> None:
        if self.p.progress is not None:
            self.p.progress(
                Progress(
                    phase=phase,
                    done=self.done,
                    total=self.total,
                    calls=self.calls,
                    batch=self.batch or None,
                    waiting_until=waiting_until,
                )
            )

    def _waiting(self, until: dt.datetime) -> None:
        self._emit(Phase.WAITING, waiting_until=until)

    def _stop(self, exc: TargetError) -> None:
        self.stopped = str(exc)

    # -- one chunk -------------------------------------------------------------------------

    def _chunk(self, chunk: list[Outbound]) -> None:
        self._emit(Phase.RESOLVING)
        docs, failed = self._resolve(self._unique(chunk))
        self._record(failed)
        if self.stopped:
            self._settle_stopped(docs)
            return
        ready: list[_Doc] = []
        for doc in docs:
            send_id = self.doubt.get((doc.kind, doc.key))
            if send_id is None:
                ready.append(doc)
            else:
                self.held.setdefault(send_id, {})[doc.key] = doc
        ready.extend(self._recover_complete())
        self._deliver(ready)

    def _unique(self, chunk: list[Outbound]) -> list[Outbound]:
        """Drop a second copy of a document within a chunk (it would be created twice)."""
        seen: set[tuple[DocumentKind, str]] = set()
        unique: list[Outbound] = []
        for item in chunk:
            ident = (item.document.kind, item.document.key)
            if ident not in seen:
                seen.add(ident)
                unique.append(item)
        return unique

    def _record(self, outcomes: Sequence[SendOutcome], send_id: str | None = None) -> None:
        if outcomes or send_id is not None:
            self.ledger.record_outcomes(self.tenant, self.batch, outcomes, send_id=send_id)
            self.done += len(outcomes)

    # -- resolving and creating options ----------------------------------------------------

    def _resolve(self, chunk: list[Outbound]) -> tuple[list[_Doc], list[SendOutcome]]:
        outcomes: list[SendOutcome] = []
        result = self._resolve_batch(chunk, outcomes)
        notes: dict[str, list[str]] = {}
        errors: dict[str, list[str]] = {}
        if result.options_to_create and not self.stopped:
            self._create_options(result.options_to_create, notes)
            result = self._resolve_batch(chunk, [])
        for problem in result.problems:
            errors.setdefault(problem.document_key, []).append(problem.message)
        # resolve_batch keeps the order of its documents (keys repeat across kinds).
        pairs = zip(chunk, result.resolutions, strict=True)
        docs = [self._doc(item, resolution, notes, errors) for item, resolution in pairs]
        return docs, outcomes

    def _resolve_batch(self, chunk: list[Outbound], failed: list[SendOutcome]) -> BatchResolution:
        """Resolve, taking out (as FAILED) each document the engine cannot take."""
        while True:
            try:
                return resolve_batch(self.compiled, [o.document for o in chunk])
            except DocumentError as exc:
                bad = [o for o in chunk if o.document.key == exc.document_key] or chunk[:1]
                chunk.remove(bad[0])
                failed.append(
                    SendOutcome(
                        kind=bad[0].document.kind,
                        key=bad[0].document.key,
                        status=DeliveryStatus.FAILED,
                        messages=(exc.message,),
                    )
                )

    def _doc(
        self,
        outbound: Outbound,
        resolution: Resolution,
        notes: dict[str, list[str]],
        errors: dict[str, list[str]],
    ) -> _Doc:
        key = outbound.document.key
        problems = [p.message for p in resolution.errors]
        problems += [p for p in errors.get(key, ()) if p not in problems]
        problems += self._unmade_options(resolution)
        return _Doc(
            outbound=outbound,
            resolution=resolution,
            fingerprint=delivery_fingerprint(resolution, outbound.body),
            notes=tuple(notes.get(key, ())) + tuple(_warnings(resolution.problems)),
            errors=tuple(dict.fromkeys(problems)),
        )

    def _unmade_options(self, resolution: Resolution) -> list[str]:
        return [
            self.failed_options.get(
                (a.category_id, normalise(a.option_name)),
                f'Option "{a.option_name}" of tracking category "{a.category_name}" does not '
                "exist in Xero yet and was not created.",
            )
            for line in resolution.lines
            for a in line.assignments
            if a.option_id is None
        ]

    def _create_options(
        self, options: Sequence[OptionToCreate], notes: dict[str, list[str]]
    ) -> None:
        self._emit(Phase.CREATING_OPTIONS)
        schema = self.compiled.schema
        for planned in options:
            ident = (planned.category_id, normalise(planned.name))
            if ident in self.failed_options or self.stopped:
                continue
            option, note = self._create_option(planned, ident)
            if option is None:
                continue
            schema = _with_option(schema, planned.category_id, option)
            for key in planned.document_keys:
                notes.setdefault(key, []).append(note)
        self.compiled = compile_mapping(self.p.mapping, schema, self.p.fields)

    def _create_option(
        self, planned: OptionToCreate, ident: tuple[str, str]
    ) -> tuple[TrackingOption | None, str]:
        """Create one option; return it with the note its documents get (None: not made)."""
        where = f'tracking category "{planned.category_name}"'
        self.p.checkpoint("before_option")
        try:
            self._count()
            option = self.target.create_option(planned.category_id, planned.name)
        except RejectedError as exc:
            found = self._existing_option(planned)
            if found is None and not self.stopped:
                self.failed_options[ident] = (
                    f'Option "{planned.name}" could not be created in {where}: {exc}'
                )
            return found, f'Option "{planned.name}" found in {where} (made meanwhile).'
        except TargetError as exc:
            self._stop(exc)
            return None, ""
        self.p.checkpoint("after_option")
        self.created.append(
            CreatedOption(
                category_id=planned.category_id,
                category_name=planned.category_name,
                option=option,
            )
        )
        return option, f'Option "{option.name}" created in {where}.'

    def _existing_option(self, planned: OptionToCreate) -> TrackingOption | None:
        """After a refused creation: another run (or a person) may have created it meanwhile."""
        try:
            self._count()
            schema = self.target.read_schema()
        except TargetError as exc:
            self._stop(exc)
            return None
        category = schema.category(planned.category_id)
        found = category.options_named(planned.name) if category is not None else ()
        return next((o for o in found if o.is_active), None)

    # -- deciding what to send -------------------------------------------------------------

    def _deliver(self, docs: list[_Doc]) -> None:
        local: list[SendOutcome] = []
        sending: list[tuple[_Doc, LedgerEntry | None]] = []
        for kind, group in itertools.groupby(_by_kind(docs), key=lambda d: d.kind):
            members = list(group)
            entries = self.ledger.entries_for(self.tenant, kind, [d.key for d in members])
            for doc in members:
                outcome = self._settle_locally(doc, entries.get(doc.key))
                if outcome is None:
                    sending.append((doc, entries.get(doc.key)))
                else:
                    local.append(outcome)
        outgoing, refused = self._outgoing(sending)
        self._record(local + refused)
        self._send_all(outgoing)

    def _settle_locally(self, doc: _Doc, entry: LedgerEntry | None) -> SendOutcome | None:
        if doc.errors:
            return _outcome(doc, DeliveryStatus.FAILED, (*doc.notes, *doc.errors))
        if entry is not None and entry.in_sync and entry.fingerprint == doc.fingerprint:
            note = "Unchanged since it was last sent; not sent again."
            return _outcome(doc, DeliveryStatus.UNCHANGED, (*doc.notes, note))
        return None

    def _outgoing(
        self, sending: list[tuple[_Doc, LedgerEntry | None]]
    ) -> tuple[list[_Outgoing], list[SendOutcome]]:
        bodies = [doc.outbound.body for doc, _ in sending]
        try:
            prepared = self.preparer.prepare(bodies) if self.preparer and bodies else None
        except TargetError as exc:
            self._stop(exc)
            return [], [self._pending(doc) for doc, _ in sending]
        outgoing: list[_Outgoing] = []
        refused: list[SendOutcome] = []
        for i, (doc, entry) in enumerate(sending):
            ready = prepared[i] if prepared is not None else None
            if ready is not None and ready.errors:
                messages = (*doc.notes, *ready.messages, *ready.errors)
                refused.append(_outcome(doc, DeliveryStatus.FAILED, messages))
                continue
            body = ready.body if ready is not None else doc.outbound.body
            notes = (*doc.notes, *(ready.messages if ready is not None else ()))
            outgoing.append(self._new_item(doc, entry, body, notes))
        return outgoing, refused

    def _new_item(
        self, doc: _Doc, entry: LedgerEntry | None, body: object, notes: tuple[str, ...]
    ) -> _Outgoing:
        revision = entry.revision if entry is not None else 0
        item = PushItem(
            key=doc.key,
            kind=doc.kind,
            body=body,
            tracking=tracking_of(doc.resolution),
            idempotency_key=idempotency_key(
                self.tenant, doc.kind, doc.key, doc.fingerprint, revision
            ),
            xero_id=entry.xero_id if entry is not None else None,
        )
        return _Outgoing(doc=doc, item=item, fingerprint=doc.fingerprint, notes=notes)

    # -- sending ---------------------------------------------------------------------------

    def _send_all(self, outgoing: list[_Outgoing]) -> None:
        size = self.compiled.schema.capabilities.batch_size
        ordered = sorted(outgoing, key=lambda o: o.item.kind.value)
        for _, group in itertools.groupby(ordered, key=lambda o: o.item.kind):
            members = list(group)
            for start in range(0, len(members), size):
                self._send(members[start : start + size])

    def _send(self, outgoing: list[_Outgoing], intent: SendIntent | None = None) -> None:
        if self.stopped:
            self._record([self._pending(o.doc, in_doubt=intent is not None) for o in outgoing])
            return
        if intent is None:
            intent = self._intent(outgoing)
            self.p.checkpoint("before_intent")
            self.ledger.record_intent(self.tenant, intent)
            self.p.checkpoint("after_intent")
        self._emit(Phase.SENDING)
        results = self._request(outgoing, intent)
        if results is None:
            return
        self.p.checkpoint("after_send")
        try:
            outcomes = self._outcomes(outgoing, results)
        except TargetError as exc:  # the read-back failed: no quiet success, settle it next run
            self._stop(exc)
            self._record([self._pending(o.doc, in_doubt=True) for o in outgoing])
            return
        self._record(outcomes, send_id=intent.send_id)
        self.p.checkpoint("after_outcome")
        self._emit(Phase.SENDING)

    def _intent(self, outgoing: list[_Outgoing]) -> SendIntent:
        return SendIntent(
            send_id=uuid.uuid4().hex,
            batch=self.batch,
            kind=outgoing[0].item.kind,
            members=tuple(
                SendMember(
                    key=o.item.key,
                    idempotency_key=o.item.idempotency_key,
                    fingerprint=o.fingerprint,
                    xero_id=o.item.xero_id,
                )
                for o in outgoing
            ),
        )

    def _request(
        self, outgoing: list[_Outgoing], intent: SendIntent
    ) -> tuple[PushResult, ...] | None:
        """Send one request; None when it did not settle (stopped, or split after a 400)."""
        try:
            self._count()
            return self.target.push([o.item for o in outgoing])
        except (RejectedError, DocumentError) as exc:
            self._refused_whole(outgoing, intent, exc)
        except TargetError as exc:
            self._stop(exc)
            self._record([self._pending(o.doc, in_doubt=True) for o in outgoing])
        return None

    def _refused_whole(
        self, outgoing: list[_Outgoing], intent: SendIntent, exc: RejectedError | DocumentError
    ) -> None:
        """Settle a request refused as a whole, so that nothing was created.

        Xero refused it (400), or the target could not build a body before sending. Each
        document is then retried alone (a request of one has its own Idempotency-Key), so that
        one malformed document does not sink the others.
        """
        if len(outgoing) > 1:
            self.ledger.record_outcomes(self.tenant, self.batch, [], send_id=intent.send_id)
            for one in outgoing:
                self._send([one])
            return
        if isinstance(exc, RejectedError):
            said: tuple[str, ...] = (f"Xero refused it: {exc}", *exc.messages)
        else:
            said = (f"Not sent: {exc}",)
        messages = (*outgoing[0].notes, *said)
        answered = isinstance(exc, RejectedError)  # Xero keeps its answer under the key
        failed = _outcome(outgoing[0].doc, DeliveryStatus.FAILED, messages, answered=answered)
        self._record([failed], send_id=intent.send_id)

    def _pending(self, doc: _Doc, *, in_doubt: bool = False) -> SendOutcome:
        if in_doubt:
            tail = (
                "The answer was lost; the next push sends it again with the same "
                "Idempotency-Key, so Xero will not create it twice."
            )
        else:
            tail = "It stays pending and goes with the next push."
        return _outcome(
            doc, DeliveryStatus.PENDING, (*doc.notes, f"Not sent: {self.stopped}", tail)
        )

    def _settle_stopped(self, docs: list[_Doc]) -> None:
        """After a stop, still tell failed and unchanged from pending (resolution is local)."""
        local: list[SendOutcome] = []
        for kind, group in itertools.groupby(_by_kind(docs), key=lambda d: d.kind):
            members = list(group)
            entries = self.ledger.entries_for(self.tenant, kind, [d.key for d in members])
            local.extend(self._stopped_outcome(d, entries.get(d.key)) for d in members)
        self._record(local)

    def _stopped_outcome(self, doc: _Doc, entry: LedgerEntry | None) -> SendOutcome:
        if (doc.kind, doc.key) in self.doubt:
            return self._pending(doc, in_doubt=True)
        if not doc.resolution.ok:
            return _outcome(doc, DeliveryStatus.FAILED, (*doc.notes, *doc.errors))
        if entry is not None and entry.in_sync and entry.fingerprint == doc.fingerprint:
            note = "Unchanged since it was last sent; not sent again."
            return _outcome(doc, DeliveryStatus.UNCHANGED, (*doc.notes, note))
        return self._pending(doc)

    # -- answers ---------------------------------------------------------------------------

    def _outcomes(
        self, outgoing: list[_Outgoing], results: Sequence[PushResult]
    ) -> list[SendOutcome]:
        by_key = {r.key: r for r in results}
        echoes = self._read_back(outgoing[0].item.kind, results)
        outcomes = []
        for one in outgoing:
            result = by_key.get(one.item.key)
            if result is None:
                messages = (*one.notes, "Xero's answer did not mention this document.")
                outcomes.append(_outcome(one.doc, DeliveryStatus.FAILED, messages, answered=True))
            else:
                outcomes.append(self._outcome_of(one, result, echoes))
        return outcomes

    def _outcome_of(
        self,
        one: _Outgoing,
        result: PushResult,
        echoes: dict[str, tuple[tuple[TrackingEntry, ...], ...]],
    ) -> SendOutcome:
        xero_id = result.xero_id if result.xero_id != _ZERO_ID else None
        if result.status not in _SENT or xero_id is None:
            messages = (*one.notes, *(result.messages or ("Xero rejected it.",)))
            return _outcome(one.doc, DeliveryStatus.FAILED, messages, answered=True)
        echoed = result.echoed if result.echoed is not None else echoes.get(xero_id, ())
        dropped = tuple(
            problem.message
            for problem in verify_tracking(
                one.item.tracking,
                echoed,
                document_key=one.doc.key,
                document=f'{kind_label(one.doc.kind)} "{one.doc.title}"',
                line_keys=[line.key for line in one.doc.outbound.document.lines],
            )
        )
        done = "Created" if result.status is DeliveryStatus.CREATED else "Updated"
        where = f" as {result.number}" if result.number else ""
        if dropped:
            fix = (
                f"{done} in Xero{where} WITHOUT that tracking: check that the options are "
                "active in Xero; the next push sends it again as an update."
            )
            messages = (*one.notes, *result.messages, *dropped, fix)
            return _outcome(
                one.doc, DeliveryStatus.FAILED, messages, xero_id, result.number, answered=True
            )
        messages = (*one.notes, *result.messages, f"{done} in Xero{where}.")
        return SendOutcome(
            kind=one.doc.kind,
            key=one.doc.key,
            status=result.status,
            messages=messages,
            xero_id=xero_id,
            number=result.number,
            fingerprint=one.fingerprint,
            answered=True,
        )

    def _read_back(
        self, kind: DocumentKind, results: Sequence[PushResult]
    ) -> dict[str, tuple[tuple[TrackingEntry, ...], ...]]:
        """The tracking of documents whose answer echoed no lines, read back by id."""
        ids = [r.xero_id for r in results if r.echoed is None and r.xero_id and r.status in _SENT]
        echoes: dict[str, tuple[tuple[TrackingEntry, ...], ...]] = {}
        page: int | None = 1
        while ids and page is not None:
            self._count()
            found = self.target.read_documents(kind, ids=ids, page=page)
            echoes.update(
                (d.xero_id, tuple(ln.tracking for ln in d.lines)) for d in found.documents
            )
            page = found.next_page
        return echoes

    # -- requests an earlier run left in doubt ---------------------------------------------

    def _recover_complete(self) -> list[_Doc]:
        """Re-send each in-doubt request whose documents have all come by; return follow-ups."""
        follow: list[_Doc] = []
        for send_id, held in list(self.held.items()):
            intent = self.intents[send_id]
            if len(held) < len(intent.members):
                continue
            del self.held[send_id]
            del self.intents[send_id]
            for member in intent.members:
                del self.doubt[(intent.kind, member.key)]
            follow.extend(self._recover(intent, held))
        return follow

    def _recover(self, intent: SendIntent, held: dict[str, _Doc]) -> list[_Doc]:
        bodies = [held[m.key].outbound.body for m in intent.members]
        try:
            prepared = self.preparer.prepare(bodies) if self.preparer else None
        except TargetError as exc:
            self._stop(exc)  # _send below then leaves the request in doubt
            prepared = None
        note = (
            "Recovered: an earlier run sent it without recording Xero's answer; sent again "
            "with the same Idempotency-Key, so Xero did not create it twice."
        )
        outgoing = []
        for i, member in enumerate(intent.members):
            doc = held[member.key]
            item = PushItem(
                key=member.key,
                kind=intent.kind,
                body=prepared[i].body if prepared else bodies[i],
                tracking=tracking_of(doc.resolution),
                idempotency_key=member.idempotency_key,
                xero_id=member.xero_id,
            )
            outgoing.append(
                _Outgoing(doc=doc, item=item, fingerprint=member.fingerprint, notes=(note,))
            )
        self._send(outgoing, intent)
        if self.stopped:
            return []
        self.recovered += len(outgoing)
        return [held[m.key] for m in intent.members if held[m.key].fingerprint != m.fingerprint]

    def _leave_incomplete(self) -> None:
        """In-doubt requests not all of whose documents came by: never re-sent in part."""
        for send_id, held in self.held.items():
            if self.stopped:
                self._record([self._pending(doc, in_doubt=True) for doc in held.values()])
                continue
            intent = self.intents[send_id]
            missing = [m.key for m in intent.members if m.key not in held]
            note = (
                "Not sent: an earlier run sent it in one request with "
                f"{', '.join(missing)}, and did not record Xero's answer. Re-sending only part "
                "of that request could create it twice in Xero, so it waits until a push "
                "includes all of them, or a person checks Xero and abandons that request "
                f"({send_id})."
            )
            self._record([_outcome(doc, DeliveryStatus.PENDING, (note,)) for doc in held.values()])


def _by_kind(docs: Iterable[_Doc]) -> list[_Doc]:
    return sorted(docs, key=lambda d: d.kind.value)


def _warnings(problems: Sequence[Problem]) -> list[str]:
    return [p.message for p in problems if p.severity is Severity.WARNING]


def _outcome(
    doc: _Doc,
    status: DeliveryStatus,
    messages: Sequence[str],
    xero_id: str | None = None,
    number: str | None = None,
    *,
    answered: bool = False,
) -> SendOutcome:
    return SendOutcome(
        kind=doc.kind,
        key=doc.key,
        status=status,
        messages=tuple(messages),
        xero_id=xero_id,
        number=number,
        answered=answered,
    )
