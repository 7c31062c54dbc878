"""A push: the thin driver that carries out the planner's decisions (`trackmap._sync._plan`).

What one `Pusher.push` does, chunk by chunk over the host's documents (an iterable, streamed:
memory is bounded by the chunk, not by the total):

1. Once: hold the tenant's lease, read the schema, compile the mapping (a broken mapping raises
   before anything is sent), open the next batch, and SETTLE every send an earlier run left in
   doubt by reading what Xero holds (planner rule 3; by number where the target reads by
   number, `ReadsByNumber`, and the planner says so): members found are recorded with their ids,
   members Xero does not hold are sent again like new documents, the rest are HELD for a person.
2. Resolve the chunk, one document never harming another: a document the engine (or the
   fingerprint) cannot take FAILS alone, with its message. Options planned by ``create``
   bindings are created (one call each) only for documents that nothing else blocks, then the
   chunk is resolved again against the grown schema.
3. Each document gets its decision (`decide`); the host's contact and item policy is applied to
   those that are sent; the target describes each as sent (`DescribesSent.as_sent`, for settlement).
4. Per request of at most ``capabilities.batch_size`` documents of one kind: write the INTENT,
   send, write the OUTCOME of each document (`answered`).

A day limit or a failure to reach Xero stops the push cleanly: the batch is closed as STOPPED,
what was not sent is PENDING, and the next push resumes (a request whose answer was lost is in
doubt, and settled by reading Xero). The target narrows down a request refused as a whole; the
pusher never splits requests. No exception but a `TrackmapError` leaves a push.

``checkpoint`` is a fault-injection hook for tests: it is called with the name of each step
(`CHECKPOINTS`), and a test makes it raise to simulate a crash exactly there.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from typing import Any

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._mapping import FieldSpec, TrackingMapping
from trackmap._engine._names import normalise
from trackmap._engine._results import OptionToCreate
from trackmap._engine._rules import CompiledMapping, compile_mapping
from trackmap._engine._schema import TrackingOption, TrackingSchema
from trackmap._sources._adapter import SourceAdapter
from trackmap._sources._body import Outbound
from trackmap._sources._split import has_splits, sent_line_keys, sent_split
from trackmap._sync import _intake as intake
from trackmap._sync import _plan as plan
from trackmap._sync._batch import Batch, BatchCounts
from trackmap._sync._keys import tracking_of
from trackmap._sync._ledger import Ledger, SendIntent, SendMember, SendOutcome
from trackmap._sync._policy import DeliveryPolicy, Preparer
from trackmap._sync._progress import Phase, Progress, ProgressCallback, RateLimitWaits
from trackmap._sync._target import (
    ContactsAndItems,
    DeliveryStatus,
    DescribesSent,
    KnowsXeroClock,
    PushItem,
    PushResult,
    ReadsByNumber,
    RemoteDocument,
    Target,
)
from trackmap.errors import DocumentError, MappingError, RejectedError, TargetError, TrackmapError

__all__ = ["CHECKPOINTS", "CreatedOption", "PushReport", "Pusher"]

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
_RECOVERED = "Recovered: an earlier push sent it and its answer was lost."


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
        calls: Calls made to the target (schema read, options, contacts, items, requests,
            settlement reads).
        options_created: The options created, in order.
        recovered: Documents of requests an earlier run left in doubt, found in Xero.
        in_doubt: Requests still in doubt after this push (members held for a person).
        unreadable: Host records the adapter could not read (`Pusher.push_records`), each
            with its message; they have no key, so they are not in the ledger.
    """

    batch: Batch
    calls: int
    options_created: tuple[CreatedOption, ...] = ()
    recovered: int = 0
    in_doubt: int = 0
    unreadable: tuple[str, ...] = ()

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
        if self.unreadable:
            text += f" {len(self.unreadable)} record(s) could not be read."
        return f"{text} Stopped: {self.batch.note}" if self.batch.note else text


@attrs.frozen(kw_only=True)
class _Outgoing:
    """One document of a request: the decision, the item, what settlement needs of it."""

    doc: intake.Doc
    send: plan.Send
    item: PushItem
    content: str
    tracking: str
    number: str = ""


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
        clock: Gives the batch dates and the intents' times (keep it in step with Xero's).
        checkpoint: Test hook called at every step (`CHECKPOINTS`); make it raise to crash.
        settle_margin: How far before an in-doubt intent's time settlement reads Xero.
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
        settle_margin: dt.timedelta = plan.SETTLE_MARGIN,
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
        self.settle_margin = settle_margin
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
            LedgerError: The ledger cannot be written.
            TargetError: The schema could not be read (nothing was sent).
            TrackmapError: Anything else unexpected, with the original exception chained.
        """
        if total is None and isinstance(outbound, Sized):
            total = len(outbound)
        return self._guarded(outbound, total)

    def push_records(
        self, adapter: SourceAdapter[Any], records: Iterable[object], *, total: int | None = None
    ) -> PushReport:
        """Deliver host records through their adapter: a record it cannot read fails alone.

        A record whose ``document`` cannot be read has no key: it is listed in
        ``PushReport.unreadable``. One whose ``body`` cannot be read is FAILED under its key.
        """
        if total is None and isinstance(records, Sized):
            total = len(records)
        return self._guarded((intake.read_record(adapter, r) for r in records), total)

    def _guarded(
        self, items: Iterable[Outbound | intake.Unreadable], total: int | None
    ) -> PushReport:
        try:
            with self.ledger.lease(self.target.tenant_id, wait=self.lease_wait):
                return _Run(self, total).execute(items)
        except TrackmapError:
            raise
        except Exception as exc:
            msg = f"The push stopped on an unexpected error: {intake.said(exc)}"
            raise TrackmapError(msg) from exc


class _Run:
    """The state of one push: counters, the compiled mapping, held documents."""

    def __init__(self, pusher: Pusher, total: int | None) -> None:
        self.p = pusher
        self.target = pusher.target
        self.ledger = pusher.ledger
        self.tenant = pusher.target.tenant_id
        self.total = total
        self.done = self.calls = self.batch = self.recovered = 0
        self.stopped = ""
        self.created: list[CreatedOption] = []
        self.failed_options: dict[tuple[str, str], str] = {}
        self.held: dict[tuple[DocumentKind, str], str] = {}
        self.doubtful: set[tuple[DocumentKind, str]] = set()
        self.adopted: set[tuple[DocumentKind, str]] = set()
        self.unreadable: list[str] = []
        self.stale: dict[str, str] = {}  # option id -> why documents using it are blocked
        self.compiled: CompiledMapping
        # Checked once: a runtime protocol check costs more than building a small model.
        self.describe = pusher.target.as_sent if isinstance(pusher.target, DescribesSent) else None
        self.xero_clock = pusher.target if isinstance(pusher.target, KnowsXeroClock) else None
        self.preparer = (
            Preparer(pusher.target, pusher.policy, self._count)
            if pusher.policy.looks_up and isinstance(pusher.target, ContactsAndItems)
            else None
        )

    def execute(self, items: Iterable[Outbound | intake.Unreadable]) -> PushReport:
        self._count()
        self.compiled = self._compile(self.target.read_schema())
        self.batch = self.ledger.open_batch(self.tenant, self.p.clock())
        if self.p.waits is not None:
            self.p.waits.listener = self._waiting
        try:
            self._settle_in_doubt()
            iterator = iter(items)
            while chunk := list(itertools.islice(iterator, self.p.chunk_size)):
                self.p.checkpoint("chunk")
                self._chunk(chunk)
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
            unreadable=tuple(self.unreadable),
        )

    def _count(self) -> None:
        self.calls += 1

    def _compile(self, schema: TrackingSchema) -> CompiledMapping:
        """Compile the mapping; a stale option blocks only the documents that would use it.

        When every broken rule is an option the settings name that Xero has archived, deleted
        or lost since they were saved, the mapping is compiled against the schema with those
        options as they were, and each document whose lines would carry one FAILS, naming it
        (`_stale_lines`); the others are delivered. Any other broken rule raises.
        """
        try:
            return compile_mapping(self.p.mapping, schema, self.p.fields)
        except MappingError as exc:
            stale = plan.stale_options(exc.violations)
            if stale is None:
                raise
            self.stale = stale
            saved = plan.as_saved(schema, exc.violations)
            return compile_mapping(self.p.mapping, saved, self.p.fields)

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

    def _record(
        self,
        outcomes: Sequence[SendOutcome],
        send_id: str | None = None,
        settled: Sequence[str] | None = None,
    ) -> None:
        if outcomes or send_id is not None:
            self.ledger.record_outcomes(
                self.tenant, self.batch, outcomes, send_id=send_id, settled=settled
            )
            self.done += len(outcomes)

    def _pending(self, doc: intake.Doc, *, in_doubt: bool = False) -> SendOutcome:
        tail = (
            "Its request's answer was lost; the next push reads Xero to settle it before "
            "sending anything of it again."
            if in_doubt
            else "It stays pending and goes with the next push."
        )
        messages = (*doc.candidate.notes, f"Not sent: {self.stopped}", tail)
        return plan.outcome(doc.candidate.kind, doc.candidate.key, DeliveryStatus.PENDING, messages)

    # -- settling what an earlier run left in doubt ----------------------------------------

    def _settle_in_doubt(self) -> None:
        numbers = isinstance(self.target, ReadsByNumber)
        # measured on the answers of this push (the schema read came first): rule 3b
        offset = self.xero_clock.clock_offset if self.xero_clock is not None else None
        margin = plan.widened(self.p.settle_margin, offset)
        doubt = self.ledger.in_doubt(self.tenant)
        for settle in plan.settlements(doubt, margin, numbers=numbers):
            idents = [(settle.kind, m.key) for i in settle.intents for m in i.members]
            if self.stopped:
                self.doubtful.update(idents)
                continue
            try:
                numbered = self._read_numbered(settle) if settle.numbers else None
                remote = self._read_since(settle) if plan.needs_read(settle) else []
            except TargetError as exc:
                self.stopped = str(exc)
                self.doubtful.update(idents)
                continue
            ids = [d.xero_id for d in (*remote, *(numbered or ()))]
            known = self.ledger.known_ids(self.tenant, settle.kind, ids)
            for intent in settle.intents:
                settlement = plan.settle(intent, remote, known, numbered, margin=margin)
                self._settled(settlement)
                # a document one send adopted is known to the sends settled after it
                known = known | {a.xero_id for a in settlement.adopted}

    def _read_numbered(self, settle: plan.Settle) -> list[RemoteDocument]:
        """What the reads by number of a settlement find (`ReadsByNumber`), every page."""
        assert isinstance(self.target, ReadsByNumber)  # noqa: S101 - settle.numbers says so
        self._emit(Phase.SENDING)
        found: list[RemoteDocument] = []
        for numbers in settle.numbers:
            page: int | None = 1
            while page is not None:
                self._count()
                answer = self.target.read_numbered(settle.kind, numbers, page=page)
                found.extend(answer.documents)
                page = answer.next_page
        return found

    def _read_since(self, settle: plan.Settle) -> list[RemoteDocument]:
        self._emit(Phase.SENDING)
        found: list[RemoteDocument] = []
        page: int | None = 1
        while page is not None:
            self._count()
            answer = self.target.read_documents(settle.kind, modified_since=settle.since, page=page)
            found.extend(answer.documents)
            page = answer.next_page
        return found

    def _settled(self, settlement: plan.Settlement) -> None:
        outcomes = settlement.outcomes(_RECOVERED)
        self._record(outcomes, send_id=settlement.send_id, settled=settlement.settled)
        self.recovered += len(settlement.adopted)
        self.adopted.update((settlement.kind, a.key) for a in settlement.adopted)
        self.held.update(((h.kind, h.key), h.reason) for h in settlement.held)

    # -- one chunk -------------------------------------------------------------------------

    def _chunk(self, chunk: list[Outbound | intake.Unreadable]) -> None:
        self._emit(Phase.RESOLVING)
        docs = self._unique(self._resolve(chunk))
        sending: list[tuple[intake.Doc, plan.Send]] = []
        for kind, group in itertools.groupby(
            sorted(docs, key=lambda d: d.candidate.kind.value), key=lambda d: d.candidate.kind
        ):
            members = list(group)
            entries = self.ledger.entries_for(self.tenant, kind, [d.candidate.key for d in members])
            local: list[SendOutcome] = []
            for doc in members:
                decision = plan.decide(
                    self.tenant,
                    doc.candidate,
                    entries.get(doc.candidate.key),
                    held=self.held.get(doc.ident),
                )
                if isinstance(decision, plan.Send) and self.stopped:
                    local.append(self._pending(doc, in_doubt=doc.ident in self.doubtful))
                elif isinstance(decision, plan.Send):
                    sending.append((doc, decision))
                elif isinstance(decision, plan.Unchanged) and doc.ident in self.adopted:
                    continue  # recorded as created in this batch when it was found in Xero
                else:
                    local.append(plan.outcome_of(decision))
            self._record(local)
        self._send_all(self._outgoing(sending))

    def _unique(self, docs: list[intake.Doc]) -> list[intake.Doc]:
        """Drop a second copy of a document within a chunk (it would be created twice)."""
        seen: set[tuple[DocumentKind, str]] = set()
        unique = []
        for doc in docs:
            if doc.ident not in seen:
                seen.add(doc.ident)
                unique.append(doc)
        return unique

    # -- taking a chunk in (`_intake`), options first ------------------------------------

    def _resolve(self, chunk: Sequence[object]) -> list[intake.Doc]:
        taken = self._take(chunk, {})
        if taken.options and not self.stopped:
            notes = self._create_options(plan.options_for(taken.options, intake.blocked(taken)))
            taken = self._take(chunk, notes)
        self.unreadable.extend(taken.unreadable)
        return list(taken.docs)

    def _take(self, chunk: Sequence[object], notes: dict[str, list[str]]) -> intake.Chunk:
        return intake.resolve_chunk(
            self.compiled, chunk, notes=notes, failed_options=self.failed_options, stale=self.stale
        )

    # -- options ---------------------------------------------------------------------------

    def _create_options(self, options: Sequence[OptionToCreate]) -> dict[str, list[str]]:
        notes: dict[str, list[str]] = {}
        if not options:
            return notes
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
        self.compiled = self._compile(schema)
        return notes

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
            self.stopped = str(exc)
            return None, ""
        self.p.checkpoint("after_option")
        self.created.append(
            CreatedOption(
                category_id=planned.category_id, category_name=planned.category_name, option=option
            )
        )
        return option, f'Option "{option.name}" created in {where}.'

    def _existing_option(self, planned: OptionToCreate) -> TrackingOption | None:
        """After a refused creation: another run (or a person) may have created it meanwhile."""
        try:
            self._count()
            schema = self.target.read_schema()
        except TargetError as exc:
            self.stopped = str(exc)
            return None
        category = schema.category(planned.category_id)
        found = category.options_named(planned.name) if category is not None else ()
        return next((o for o in found if o.is_active), None)

    # -- sending ---------------------------------------------------------------------------

    def _outgoing(self, sending: list[tuple[intake.Doc, plan.Send]]) -> list[_Outgoing]:
        if not sending:
            return []
        bodies = [doc.outbound.body for doc, _ in sending]
        try:
            prepared = self.preparer.prepare(bodies) if self.preparer else None
        except TargetError as exc:
            self.stopped = str(exc)
            self._record([self._pending(doc) for doc, _ in sending])
            return []
        outgoing: list[_Outgoing] = []
        refused: list[SendOutcome] = []
        for i, (doc, decided) in enumerate(sending):
            ready = prepared[i] if prepared is not None else None
            notes = (*decided.notes, *(ready.messages if ready is not None else ()))
            send = attrs.evolve(decided, notes=notes)
            if ready is not None and ready.errors:
                refused.append(plan.outcome_of(_fail(send, ready.errors)))
                continue
            body = ready.body if ready is not None else doc.outbound.body
            one = self._item(doc, send, body)
            if isinstance(one, plan.Fail):
                refused.append(plan.outcome_of(one))
            else:
                outgoing.append(one)
        self._record(refused)
        return outgoing

    def _item(self, doc: intake.Doc, send: plan.Send, body: object) -> _Outgoing | plan.Fail:
        tracking = tracking_of(doc.resolution) if doc.resolution is not None else ()
        if doc.resolution is not None and has_splits(doc.resolution):
            split = sent_split(body, doc.resolution)
            if isinstance(split, str):
                return _fail(send, (split,))
            body = split
        item = PushItem(
            key=send.key,
            kind=send.kind,
            body=body,
            tracking=tracking,
            idempotency_key=send.idempotency_key,
            xero_id=send.xero_id,
        )
        describe = self.describe
        try:
            sent = describe(item) if describe is not None else None
            content = plan.member_content(sent) if sent is not None else ""
            # A number that cannot be stored as it is could not be looked up: content instead.
            number = (sent.number or "") if sent is not None else ""
            number = number if plan.storable(number) == number else ""
        except DocumentError as exc:
            return _fail(send, (exc.message,))
        except Exception as exc:  # noqa: BLE001 - a body the target cannot read fails alone
            return _fail(send, (f"It cannot be sent to Xero: {intake.said(exc)}",))
        return _Outgoing(
            doc=doc,
            send=send,
            item=item,
            content=content,
            tracking=plan.tracking_digest(tracking),
            number=number,
        )

    def _send_all(self, outgoing: list[_Outgoing]) -> None:
        size = self.compiled.schema.capabilities.batch_size
        ordered = sorted(outgoing, key=lambda o: o.item.kind.value)
        for _, group in itertools.groupby(ordered, key=lambda o: o.item.kind):
            members = list(group)
            for start in range(0, len(members), size):
                self._send(members[start : start + size])

    def _send(self, outgoing: list[_Outgoing]) -> None:
        if self.stopped:
            self._record([self._pending(o.doc) for o in outgoing])
            return
        intent = self._intent(outgoing)
        self.p.checkpoint("before_intent")
        self.ledger.record_intent(self.tenant, intent)
        self.p.checkpoint("after_intent")
        self._emit(Phase.SENDING)
        try:
            self._count()
            results = self.target.push([o.item for o in outgoing])
        except RejectedError as exc:  # refused whole by Xero: nothing of it was created
            said = (f"Xero refused it: {exc}", *exc.messages)
            fails = [plan.outcome_of(_fail(o.send, said)) for o in outgoing]
            self._record(fails, send_id=intent.send_id)
            return
        except Exception as exc:  # noqa: BLE001 - anything else: it may have been sent
            self.stopped = str(exc) if isinstance(exc, TargetError) else intake.said(exc)
            self._record([self._pending(o.doc, in_doubt=True) for o in outgoing])
            return
        self.p.checkpoint("after_send")
        by_key = {r.key: r for r in results if isinstance(r, PushResult)}
        settled = [o.item.key for o in outgoing if not plan.in_doubt(by_key.get(o.item.key))]
        self._record(self._answers(outgoing, by_key), send_id=intent.send_id, settled=settled)
        self.p.checkpoint("after_outcome")
        self._emit(Phase.SENDING)

    def _xero_now(self) -> dt.datetime:
        """Now by Xero's clock when the target measured it (rule 3b), else by this machine's."""
        offset = self.xero_clock.clock_offset if self.xero_clock is not None else None
        return self.p.clock() - (offset or dt.timedelta(0))

    def _intent(self, outgoing: list[_Outgoing]) -> SendIntent:
        return SendIntent(
            send_id=uuid.uuid4().hex,
            batch=self.batch,
            kind=outgoing[0].item.kind,
            written_at=self._xero_now(),
            members=tuple(
                SendMember(
                    key=o.item.key,
                    idempotency_key=o.item.idempotency_key,
                    fingerprint=o.send.fingerprint,
                    xero_id=o.item.xero_id,
                    content=o.content,
                    tracking=o.tracking,
                    number=o.number,
                )
                for o in outgoing
            ),
        )

    def _answers(
        self, outgoing: list[_Outgoing], by_key: Mapping[str, PushResult]
    ) -> list[SendOutcome]:
        outcomes = []
        for one in outgoing:
            result = by_key.get(one.item.key)
            document = one.doc.outbound.document
            try:
                outcomes.append(
                    plan.answered(
                        one.send,
                        result,
                        tracking=one.item.tracking,
                        title=document.title,
                        line_keys=sent_line_keys(one.doc.resolution, document),
                    )
                )
            except Exception as exc:  # noqa: BLE001 - an answer that cannot be read: this one
                xero_id = result.xero_id if result is not None else None
                said = f"Xero's answer for it could not be read ({intake.said(exc)}); "
                fix = "the next push settles it by reading Xero."
                outcomes.append(
                    plan.outcome(
                        one.send.kind,
                        one.send.key,
                        DeliveryStatus.FAILED,
                        (*one.send.notes, said + fix),
                        xero_id=xero_id if isinstance(xero_id, str) else None,
                        answered=True,
                    )
                )
        return outcomes


def _fail(send: plan.Send, reasons: Iterable[str]) -> plan.Fail:
    return plan.Fail(kind=send.kind, key=send.key, reasons=(*send.notes, *reasons))
