"""The delivery planner: pure decisions from values, no target, no ledger, no clock.

The pusher (`trackmap.Pusher`) is a thin driver around this module (the h11 shape the engine
already has): it reads, hands the values here, carries out the decisions that come back and
feeds the answers back in. The rules, in the order a push meets them:

Rule 1 (one document, one decision). A document of a push is, by `decide`:
  - FAILED (`Fail`) when it cannot be sent: an error problem of its resolution, a key that is
    not text, a body the target cannot build; with the reasons, naming what is wrong;
  - HELD for a person (`Hold`) when it belongs to an earlier send whose fate in Xero could
    not be proven (rule 3); it is not sent, and nothing else waits for it;
  - UNCHANGED (`Unchanged`) when the ledger says Xero holds exactly its delivery fingerprint;
  - else SENT (`Send`): as an UPDATE by Xero id when the ledger has one, else as a CREATE,
    with its fingerprint and its Idempotency-Key (`trackmap.idempotency_key`: tenant, kind,
    key, fingerprint, revision; so two documents never share a key, and a key never travels
    with two different bodies).

Rule 2 (side effects only for what will be sent). Options the mapping would create are created
only for documents that are not blocked by anything else (`options_for`).

Rule 2b (a stale mapping blocks only what uses it). When the only rules a mapping breaks are
options its table rows or defaults name that Xero archived, deleted or no longer has since the
settings were saved (`stale_options`), the mapping is compiled against the schema with those
options as they were (`as_saved`), and exactly the documents whose lines would carry one of
them fail (`stale_lines`), each naming the option, what happened to it and `trackmap
reconcile`. Any other broken rule stops the push before anything is sent (`MappingError`).

Rule 3 (settlement without Xero's memory). A send whose intent was written but whose outcome
never was is settled, before anything of it is sent again, by reading what Xero holds: the
documents of its kind modified since the intent was written (less a margin for clocks), less
those the ledger already knows (`Settle`). Each CREATE member is matched (`settle`) by the
digest of the content Xero echoes (`content_digest`: its number and reference when the body
set them, the contact's name when the body named it, and every line's description and amount,
all as the sender decided them; never what Xero assigns). For the members that share one
digest (identical documents) and the unknown documents Xero holds with that digest:
  - as many found as sent: each member takes one of them (CREATED, its Xero id recorded; if
    the tracking Xero holds differs from the tracking sent, FAILED with the id kept, so the
    next push updates it);
  - none found, and no unknown document carrying the member's number or reference: Xero does
    not hold it; it is sent again like any new document;
  - anything else (fewer or more found than sent, or a document with its number or reference
    but other content: a person may have edited it in Xero): HELD, with what was found.
  UPDATE members are settled without reading: an update by id never creates a document.
A CREATE member of a kind whose numbers Xero keeps unique (`UNIQUE_NUMBERS`: sales invoices)
whose body set its number (recorded in the intent) is settled BY NUMBER instead, when the
target reads by number (`ReadsByNumber`; `settlements(numbers=True)` plans the reads,
`number_reads`, and `settle` takes what they found): no document with the number, it is
sent again; one, not filed by the ledger under another key and changed since the intent
(less the margin), it is this send's document whatever a person changed in it since: adopted
(`_by_number`), with no fingerprint when its content is not as sent (`Adopted.edited`), so
that the push updates it; anything else (two documents with the number, two members with
one number, a document the ledger knows, or one last changed before the send) is HELD.
What this cannot prove: a document a person changed in Xero so that neither its content, its
number nor its reference match any more looks absent, and a document still being processed
by Xero when the read is made is not seen yet (reads come after the lost request's process is
gone, which a lease guarantees only on one machine). Intents written before these digests were
recorded are HELD.

Rule 3b (Xero's clock). An intent's time, and the read and the by-number check that use it,
are Xero's. Xero filters and stamps documents by its own clock, so when the target knows how
far this machine's clock is from Xero's (`KnowsXeroClock`: ``offset``, this machine's clock
minus Xero's, measured on Xero's answers), the driver stamps each intent with Xero's time
(this machine's less the offset). At settlement the margin is `widened` by the offset then
measured when this machine is ahead, never narrowed: that covers intents stamped by this
machine's clock alone (before the offset was known, or by a target that does not measure it)
while the clocks disagree the same way. What is left for the margin is the error of the
measurement and, for an intent stamped by this machine's clock alone, how far the offset moved
between the intent and its settlement. Without any offset, the clocks are taken to agree
within the margin: a machine ahead of Xero by more makes the read miss what the lost request
created (it would be sent again), and holds numbered documents as "changed before this send".

Rule 4 (answers). `answered` turns the target's result of one sent document into the outcome
to record: CREATED or UPDATED only with a real Xero id and the tracking verified
(`trackmap.verify_tracking`); a dropped entry is FAILED with its id kept. Every text that goes
to the ledger is made storable first (`storable`): a lone surrogate in a number Xero echoes is
written with a backslash escape instead of making the ledger write fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._names import normalise
from trackmap._engine._results import Assignment, OptionToCreate, Resolution, Violation
from trackmap._engine._schema import TrackingOption, TrackingSchema, TrackingStatus
from trackmap._sync._keys import idempotency_key, kind_label
from trackmap._sync._ledger import LedgerEntry, SendIntent, SendMember, SendOutcome
from trackmap._sync._target import (
    DeliveryStatus,
    PushResult,
    RemoteDocument,
    TrackingEntry,
)
from trackmap._sync._verify import verify_tracking

__all__ = [
    "Adopted",
    "Candidate",
    "Decision",
    "Fail",
    "Hold",
    "Send",
    "Settle",
    "Settlement",
    "Unchanged",
    "answered",
    "by_number",
    "content_digest",
    "decide",
    "member_content",
    "number_reads",
    "options_for",
    "settle",
    "settlements",
    "storable",
    "tracking_digest",
    "widened",
]

# One encoder (json.dumps with these options builds a new one on every call): same text.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))

SETTLE_MARGIN = dt.timedelta(minutes=15)
"""How far before an intent's time settlement reads: room for the host's and Xero's clocks."""

_NO_OFFSET = dt.timedelta(0)
_CENT = Decimal("0.01")
_SENT = frozenset({DeliveryStatus.CREATED, DeliveryStatus.UPDATED})


def storable(text: str) -> str:
    """``text`` as the ledger can store it: a lone surrogate becomes a backslash escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def key_text(key: object) -> str:
    """How a document key is named and stored: itself when it is storable text."""
    return storable(key) if isinstance(key, str) else f"<not text: {storable(ascii(key))}>"


def key_problem(key: object) -> str | None:
    """Why a document key cannot be delivered, or None."""
    if not isinstance(key, str):
        return f"Its key {storable(ascii(key))} is a {type(key).__name__}, not text."
    if not key.strip():
        return "Its key is blank."
    if storable(key) != key:
        return (
            f"Its key {storable(key)!r} holds a character that cannot be stored (a lone surrogate)."
        )
    return None


# -- decisions for documents -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Candidate:
    """One document of a push, resolved: what `decide` needs to know about it.

    Attributes:
        kind: Its kind.
        key: The host's key (text once `key_problem` found nothing).
        fingerprint: Its delivery fingerprint (tracking and body).
        errors: Why it cannot be sent, if anything stops it (in plain words).
        notes: Messages it carries whatever happens (options created, warnings).
    """

    kind: DocumentKind
    key: str
    fingerprint: str
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Send:
    """Send it: a creation (``xero_id`` None) or an update of that Xero document."""

    kind: DocumentKind
    key: str
    fingerprint: str
    idempotency_key: str
    xero_id: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def creates(self) -> bool:
        """Whether it creates a document in Xero (else it updates one by id)."""
        return self.xero_id is None


@attrs.frozen(kw_only=True)
class Unchanged:
    """Xero holds exactly this; nothing is sent."""

    kind: DocumentKind
    key: str
    notes: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Fail:
    """It cannot be sent, for these reasons."""

    kind: DocumentKind
    key: str
    reasons: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Hold:
    """Held for a person: it is not sent until they act on ``reason``."""

    kind: DocumentKind
    key: str
    reason: str


Decision = Send | Unchanged | Fail | Hold


def decide(
    tenant_id: str, candidate: Candidate, entry: LedgerEntry | None, *, held: str | None = None
) -> Decision:
    """Decide what becomes of one document (rule 1)."""
    kind, key = candidate.kind, candidate.key
    if candidate.errors:
        return Fail(kind=kind, key=key, reasons=(*candidate.notes, *candidate.errors))
    if held is not None:
        return Hold(kind=kind, key=key, reason=held)
    if entry is not None and entry.in_sync and entry.fingerprint == candidate.fingerprint:
        note = "Unchanged since it was last sent; not sent again."
        return Unchanged(kind=kind, key=key, notes=(*candidate.notes, note))
    revision = entry.revision if entry is not None else 0
    return Send(
        kind=kind,
        key=key,
        fingerprint=candidate.fingerprint,
        idempotency_key=idempotency_key(tenant_id, kind, key, candidate.fingerprint, revision),
        xero_id=entry.xero_id if entry is not None else None,
        notes=candidate.notes,
    )


def outcome_of(decision: Fail | Unchanged | Hold) -> SendOutcome:
    """The outcome to record for a document that is not sent."""
    if isinstance(decision, Fail):
        status, messages = DeliveryStatus.FAILED, decision.reasons
    elif isinstance(decision, Unchanged):
        status, messages = DeliveryStatus.UNCHANGED, decision.notes
    else:
        status, messages = DeliveryStatus.HELD, (decision.reason,)
    return outcome(decision.kind, decision.key, status, messages)


def outcome(
    kind: DocumentKind,
    key: str,
    status: DeliveryStatus,
    messages: Iterable[str],
    **fields: object,
) -> SendOutcome:
    """A `SendOutcome` whose every text can be stored."""
    texts = {
        name: storable(value) if isinstance(value, str) else value for name, value in fields.items()
    }
    return SendOutcome(
        kind=kind,
        key=storable(key),
        status=status,
        messages=tuple(storable(str(m)) for m in messages),
        **texts,  # type: ignore[arg-type]
    )


def options_for(
    options: Sequence[OptionToCreate], blocked: Iterable[str]
) -> tuple[OptionToCreate, ...]:
    """The options worth creating: those some document that is not blocked needs (rule 2)."""
    stop = frozenset(blocked)
    return tuple(o for o in options if any(k not in stop for k in o.document_keys))


_STALE = {
    "option_archived": "was archived in Xero",
    "option_deleted": "was deleted in Xero",
    "option_missing": "no longer exists in Xero",
}


def stale_options(violations: Sequence[Violation]) -> dict[str, str] | None:
    """Option id -> what happened to it, when every violation is a stale option; else None."""
    if not violations or any(v.code not in _STALE or not v.option_id for v in violations):
        return None
    return {str(v.option_id): _STALE[v.code] for v in violations}


def as_saved(schema: TrackingSchema, violations: Sequence[Violation]) -> TrackingSchema:
    """The schema with the stale options active again (a missing one as a placeholder)."""
    stale = {str(v.option_id) for v in violations}
    missing: dict[str, list[str]] = {}
    for v in violations:
        if v.code == "option_missing" and v.category_id:
            missing.setdefault(v.category_id, []).append(str(v.option_id))
    categories = []
    for category in schema.categories:
        options = tuple(
            attrs.evolve(o, status=TrackingStatus.ACTIVE) if o.id in stale else o
            for o in category.options
        )
        extra = tuple(
            TrackingOption(id=i, name=f"(option {i})") for i in missing.get(category.id, ())
        )
        categories.append(attrs.evolve(category, options=(*options, *extra)))
    return attrs.evolve(schema, categories=tuple(categories))


def _options_of(a: Assignment) -> list[tuple[str | None, str]]:
    shares: list[tuple[str | None, str]] = [(s.option_id, s.option_name) for s in a.shares]
    return shares or [(a.option_id, a.option_name)]


def stale_lines(resolution: Resolution | None, stale: Mapping[str, str]) -> list[str]:
    """Why this document cannot be sent: the lines that would carry a stale option."""
    if not stale or resolution is None:
        return []
    return [
        f'Line {line.key} would get option "{name}" of tracking category '
        f'"{a.category_name}", which {stale[option_id]} since the settings were saved. '
        "Run `trackmap reconcile` to see what changed and fix the settings (pick another "
        "option, or restore it in Xero); the other documents were not held back."
        for line in resolution.lines
        for a in line.assignments
        # A split's options are all its shares' (its own option_id is only the first's).
        for option_id, name in _options_of(a)
        if option_id is not None and option_id in stale
    ]


# -- answers -----------------------------------------------------------------------------------


def answered(
    send: Send,
    result: PushResult | None,
    *,
    tracking: tuple[tuple[TrackingEntry, ...], ...],
    title: str,
    line_keys: Sequence[str],
) -> SendOutcome:
    """The outcome of one sent document from the target's result (rule 4).

    No result, or a PENDING one, is PENDING: the caller keeps it in doubt (see `in_doubt`).
    """
    if in_doubt(result):
        said = result.messages if result is not None else ()
        tail = (
            "Xero's answer did not say what became of it; the next push reads Xero to settle "
            "it before sending it again."
        )
        return outcome(send.kind, send.key, DeliveryStatus.PENDING, (*send.notes, *said, tail))
    assert result is not None  # noqa: S101 - in_doubt(None) is True
    if result.status not in _SENT or not result.xero_id:
        said = result.messages or ("Xero rejected it.",)
        return outcome(
            send.kind, send.key, DeliveryStatus.FAILED, (*send.notes, *said), answered=True
        )
    done = "Created" if result.status is DeliveryStatus.CREATED else "Updated"
    where = f" as {result.number}" if result.number else ""
    kept = {"xero_id": result.xero_id, "number": result.number, "answered": True}
    if result.echoed is None:
        fix = (
            f"{done} in Xero{where}, but its tracking could not be read back to be checked; "
            "the next push sends it again as an update."
        )
        return outcome(
            send.kind, send.key, DeliveryStatus.FAILED, (*send.notes, *result.messages, fix), **kept
        )
    dropped = tuple(
        problem.message
        for problem in verify_tracking(
            tracking,
            result.echoed,
            document_key=send.key,
            document=f'{kind_label(send.kind)} "{title}"',
            line_keys=line_keys,
        )
    )
    if dropped:
        fix = (
            f"{done} in Xero{where} WITHOUT that tracking: check that the options are "
            "active in Xero; the next push sends it again as an update."
        )
        messages = (*send.notes, *result.messages, *dropped, fix)
        return outcome(send.kind, send.key, DeliveryStatus.FAILED, messages, **kept)
    messages = (*send.notes, *result.messages, f"{done} in Xero{where}.")
    return outcome(
        send.kind,
        send.key,
        result.status,
        messages,
        fingerprint=send.fingerprint,
        remote_status=result.remote_status,
        **kept,
    )


def in_doubt(result: PushResult | None) -> bool:
    """Whether an answer leaves its document in doubt (it may or may not be in Xero)."""
    return result is None or result.status is DeliveryStatus.PENDING


# -- settlement --------------------------------------------------------------------------------


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    try:
        return str(Decimal(value).quantize(_CENT))
    except (InvalidOperation, ValueError, TypeError):
        return storable(str(value))


def _parts(document: RemoteDocument) -> dict[str, object]:
    parts: dict[str, object] = {
        "lines": [
            [storable((line.description or "").strip()), _amount(line.line_amount)]
            for line in document.lines
        ]
    }
    if document.number:
        parts["number"] = normalise(storable(document.number))
    if document.reference:
        parts["reference"] = storable(document.reference.strip())
    if document.contact_name:
        parts["contact"] = normalise(storable(document.contact_name))
    return parts


def _digest(parts: Mapping[str, object]) -> str:
    text = _ENCODER.encode(parts)
    return hashlib.sha256(text.encode()).hexdigest()


def content_digest(document: RemoteDocument, fields: Sequence[str] | None = None) -> str:
    """The digest settlement matches on: ``"contact,lines,reference:<sha256>"``.

    Without ``fields``, the fields the document has (the sender's side, from `Target.as_sent`);
    with them, exactly those fields (Xero's side, to compare with a digest of the sender's).
    """
    return _content_digest(_parts(document), fields)


def _content_digest(parts: Mapping[str, object], fields: Sequence[str] | None) -> str:
    names = sorted(parts) if fields is None else sorted(fields)
    chosen = {name: parts.get(name, "") for name in names}
    return f"{','.join(names)}:{_digest(chosen)}"


def tracking_digest(lines: Iterable[Iterable[TrackingEntry]]) -> str:
    """A digest of the tracking on each line, by category and option name (ids aside)."""
    shape = [
        sorted([normalise(e.category_name), normalise(e.option_name)] for e in line)
        for line in lines
    ]
    return _digest({"tracking": shape})


UNIQUE_NUMBERS = frozenset({DocumentKind.SALES_INVOICE})
"""The kinds whose numbers Xero keeps unique in an organisation (XERO.md: a second sales
invoice with a number already used fails validation; bill numbers may repeat; the other
kinds are unconfirmed, so they are settled by what changed since the send)."""

NUMBERS_PER_READ = 20
"""Numbers per read by number: like ids, they go on the URL (see `number_reads`)."""

_NUMBERS_CHARS = 1200
"""The most URL-encoded characters of numbers one read carries (a query string well within
the 2,048 many servers and proxies allow)."""


@attrs.frozen(kw_only=True)
class Settle:
    """Settle these in-doubt sends of one kind by reading what Xero holds.

    ``numbers`` are the reads by number to make first (each a few numbers, one call a page):
    the members they cover are settled by their number alone. ``since`` is when the read of
    what changed starts, for the other members that create documents.
    """

    kind: DocumentKind
    intents: tuple[SendIntent, ...]
    since: dt.datetime | None
    numbers: tuple[tuple[str, ...], ...] = ()


def by_number(member: SendMember, kind: DocumentKind) -> bool:
    """Whether this member is settled by its number (a creation of a kind Xero numbers uniquely).

    A number with a comma is not: the filter takes numbers separated by commas.
    """
    number = member.number.strip()
    return member.xero_id is None and kind in UNIQUE_NUMBERS and bool(number) and "," not in number


def number_reads(numbers: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """The numbers, each once, in reads of at most `NUMBERS_PER_READ` and `_NUMBERS_CHARS`."""
    reads: list[tuple[str, ...]] = []
    current: list[str] = []
    size = 0
    for number in dict.fromkeys(n.strip() for n in numbers if n.strip()):
        cost = len(urllib.parse.quote(number, safe="")) + 3  # and a comma, URL-encoded
        if current and (len(current) >= NUMBERS_PER_READ or size + cost > _NUMBERS_CHARS):
            reads.append(tuple(current))
            current, size = [], 0
        current.append(number)
        size += cost
    if current:
        reads.append(tuple(current))
    return tuple(reads)


def widened(margin: dt.timedelta, offset: dt.timedelta | None) -> dt.timedelta:
    """The margin settlement uses when this machine's clock is ``offset`` ahead of Xero's.

    Rule 3b: an intent stamped by this machine's clock alone is up to ``offset`` later than
    Xero's time of it; a machine behind Xero never narrows the margin (the offset may have
    changed since the intent).
    """
    return margin + max(offset or _NO_OFFSET, _NO_OFFSET)


def settlements(
    intents: Sequence[SendIntent],
    margin: dt.timedelta = SETTLE_MARGIN,
    *,
    numbers: bool = False,
) -> tuple[Settle, ...]:
    """The reads that settle the in-doubt sends, one `Settle` per kind (rule 3).

    With ``numbers`` (the target reads by number, `ReadsByNumber`), the members settled by
    their number (`by_number`) are read by it, and the read of what changed covers only the
    others. A kind whose sends only update is settled without reading (``since`` unused).
    """
    by_kind: dict[DocumentKind, list[SendIntent]] = {}
    for intent in intents:
        by_kind.setdefault(intent.kind, []).append(intent)
    plans = []
    for kind, group in by_kind.items():
        numbered = [m.number for i in group for m in i.members if numbers and by_number(m, kind)]
        times = [i.written_at for i in group if _creates(i, numbered=not numbers)]
        since = None if not times or None in times else min(t for t in times if t) - margin
        plans.append(
            Settle(kind=kind, intents=tuple(group), since=since, numbers=number_reads(numbered))
        )
    return tuple(plans)


def _creates(intent: SendIntent, *, numbered: bool = True) -> bool:
    """Whether the intent creates documents (``numbered`` False: left out those by number)."""
    return any(
        m.xero_id is None and (numbered or not by_number(m, intent.kind)) for m in intent.members
    )


def needs_read(plan: Settle) -> bool:
    """Whether settling these sends needs the read of what changed since ``since``."""
    return any(_creates(i, numbered=not plan.numbers) for i in plan.intents)


@attrs.frozen(kw_only=True)
class Adopted:
    """A member found in Xero: record it with this id (and FAILED if its tracking differs).

    ``edited``: found by its number with other content than was sent (a person changed it in
    Xero since): its id is recorded with no fingerprint, so that it is sent again as an update.
    """

    key: str
    fingerprint: str
    xero_id: str
    number: str | None
    remote_status: str
    tracking_kept: bool
    edited: bool = False


@attrs.frozen(kw_only=True)
class Settlement:
    """What became of each member of one in-doubt send.

    Attributes:
        send_id: The send.
        adopted: Members Xero holds: recorded with their Xero ids, never sent again.
        absent: Members Xero does not hold (or updates): sent again like any other document.
        held: Members whose fate cannot be proven, with the reason for a person.
    """

    send_id: str
    kind: DocumentKind
    adopted: tuple[Adopted, ...] = ()
    absent: tuple[str, ...] = ()
    held: tuple[Hold, ...] = ()
    updates: tuple[str, ...] = ()

    @property
    def settled(self) -> tuple[str, ...]:
        """The members this settlement takes out of doubt."""
        return (*(a.key for a in self.adopted), *self.absent)

    def outcomes(self, note: str) -> list[SendOutcome]:
        """The outcomes to record: adopted members, and updates whose fate is unknown.

        An update by id never duplicates, but Xero may or may not have applied it: its stored
        fingerprint is cleared, so that the next push carrying it sends it again.
        """
        found = [
            outcome(
                self.kind,
                key,
                DeliveryStatus.PENDING,
                ("An update of it was sent and its answer lost; the next push sends it again.",),
                fingerprint="",
            )
            for key in self.updates
        ]
        for a in self.adopted:
            where = f" as {a.number}" if a.number else ""
            if a.edited:
                messages: tuple[str, ...] = (
                    (
                        f"{note} Found in Xero{where} by its number, changed there since it was "
                        "sent (its content is not what was sent); not created again. It is sent "
                        "again as an update of that document, which replaces those changes."
                    ),
                )
                status = DeliveryStatus.CREATED if a.tracking_kept else DeliveryStatus.FAILED
            elif a.tracking_kept:
                messages = (f"{note} Found in Xero{where}; not sent again.",)
                status = DeliveryStatus.CREATED
            else:
                messages = (
                    (
                        f"{note} Found in Xero{where}, but its tracking differs from what was "
                        "sent; the next push sends it again as an update."
                    ),
                )
                status = DeliveryStatus.FAILED
            kept = a.tracking_kept and not a.edited
            found.append(
                outcome(
                    self.kind,
                    a.key,
                    status,
                    messages,
                    xero_id=a.xero_id,
                    number=a.number,
                    fingerprint=a.fingerprint if kept else ("" if a.edited else None),
                    remote_status=a.remote_status,
                    answered=True,
                )
            )
        return found


def _held(intent: SendIntent, member: SendMember, found: str) -> Hold:
    when = f" at {intent.written_at:%Y-%m-%d %H:%M} UTC" if intent.written_at else ""
    reason = (
        f"Held for a person: an earlier push sent {kind_label(intent.kind)} "
        f'"{member.key}" to Xero{when} and its answer was lost, and Xero\'s documents do not '
        f"prove whether it was created ({found}). Look for it in Xero: if it is there, void or "
        "delete it (or stop pushing this document); then call "
        f'`ledger.abandon(tenant_id, "{intent.send_id}")` and the next push sends it.'
    )
    return Hold(kind=intent.kind, key=member.key, reason=reason)


def settle(
    intent: SendIntent,
    remote: Sequence[RemoteDocument],
    known: frozenset[str],
    numbered: Sequence[RemoteDocument] | None = None,
    margin: dt.timedelta = SETTLE_MARGIN,
) -> Settlement:
    """Settle one in-doubt send from what Xero holds and the ids the ledger knows (rule 3).

    ``numbered`` is what the reads by number found (None when none was made): the members
    settled by their number (`by_number`) are settled from it alone (`_by_number`).
    """
    pool = sorted(
        (d for d in remote if d.kind is intent.kind and d.xero_id not in known),
        key=lambda d: (d.updated_at or dt.datetime.min.replace(tzinfo=dt.UTC), d.xero_id),
    )
    adopted: list[Adopted] = []
    updates = [m.key for m in intent.members if m.xero_id is not None]
    absent = list(updates)
    numbers, groups, held = _grouped(intent, by_numbers=numbered is not None)
    for number, members in numbers.items():
        same = [
            d
            for d in numbered or ()
            if d.kind is intent.kind and normalise(storable(d.number or "")) == number
        ]
        one = _by_number(intent, members, same, known, margin)
        adopted.extend([one] if isinstance(one, Adopted) else [])
        absent.extend(m.key for m in members if one is None)
        held.extend(_held(intent, m, one) for m in members if isinstance(one, str))
    taken = {a.xero_id for a in adopted}
    for content, members in groups.items():
        main = content.split()[0]
        fields = main.partition(":")[0].split(",")
        same = [d for d in pool if d.xero_id not in taken and content_digest(d, fields) == main]
        if len(same) == len(members):
            for member, doc in zip(members, same, strict=True):
                taken.add(doc.xero_id)
                adopted.append(_adopt(member, doc))
        elif not same and not _near(members, pool, taken):
            absent.extend(m.key for m in members)
        else:
            found = f"{len(same)} matching document(s) found for {len(members)} sent"
            if not same:
                found = "a document with its number or reference but other content was found"
            held.extend(_held(intent, m, found) for m in members)
    return Settlement(
        send_id=intent.send_id,
        kind=intent.kind,
        adopted=tuple(adopted),
        absent=tuple(absent),
        held=tuple(held),
        updates=tuple(updates),
    )


def _grouped(
    intent: SendIntent, *, by_numbers: bool
) -> tuple[dict[str, list[SendMember]], dict[str, list[SendMember]], list[Hold]]:
    """The creations of a send by number, those by content digest, and those held already."""
    numbers: dict[str, list[SendMember]] = {}
    groups: dict[str, list[SendMember]] = {}
    held: list[Hold] = []
    for member in intent.members:
        if by_numbers and by_number(member, intent.kind):
            numbers.setdefault(normalise(storable(member.number)), []).append(member)
        elif member.xero_id is None and not member.content:
            held.append(_held(intent, member, "this send was recorded without its content"))
        elif member.xero_id is None:
            groups.setdefault(member.content, []).append(member)
    return numbers, groups, held


def _by_number(
    intent: SendIntent,
    members: Sequence[SendMember],
    same: Sequence[RemoteDocument],
    known: frozenset[str],
    margin: dt.timedelta,
) -> Adopted | str | None:
    """Settle the members sent with one number: adopted, absent (None) or why it is held.

    Xero keeps the number unique, so the document holding it now is the one this send
    created, whatever a person changed in it since, unless it cannot be: the ledger files it
    under another document, or it was last changed before the send (it was there already,
    and the send was refused for the number). Two members of one send with one number cannot
    both be in Xero: they are held.
    """
    if len(members) > 1:
        return f"{len(members)} documents of this send carry the number {members[0].number!r}"
    if not same:
        return None
    if len(same) > 1:
        return f"{len(same)} documents carry its number {members[0].number!r}"
    (doc,) = same
    if doc.xero_id in known:
        return f"its number {members[0].number!r} is on a document delivered for another key"
    written = intent.written_at
    if written is not None and doc.updated_at is not None and doc.updated_at < written - margin:
        return (
            f"the document carrying its number {members[0].number!r} was last changed at "
            f"{doc.updated_at:%Y-%m-%d %H:%M} UTC, before this send: it is not this send's"
        )
    member = members[0]
    fields = member.content.split()[0].partition(":")[0].split(",") if member.content else []
    edited = not member.content or content_digest(doc, fields) != member.content.split()[0]
    return attrs.evolve(_adopt(member, doc), edited=edited)


def _adopt(member: SendMember, doc: RemoteDocument) -> Adopted:
    kept = not member.tracking or member.tracking == tracking_digest(
        line.tracking for line in doc.lines
    )
    return Adopted(
        key=member.key,
        fingerprint=member.fingerprint,
        xero_id=doc.xero_id,
        number=doc.number,
        remote_status=doc.status,
        tracking_kept=kept,
    )


def _near(members: Sequence[SendMember], pool: Sequence[RemoteDocument], taken: set[str]) -> bool:
    """Whether an unknown document shares a member's number or reference (not its content)."""
    for member in members:
        for single in member.content.split()[1:]:
            field = single.partition(":")[0]
            if any(d.xero_id not in taken and content_digest(d, [field]) == single for d in pool):
                return True
    return False


def member_content(sent: RemoteDocument) -> str:
    """What an intent records of a member's content: its digest, then single-field digests.

    The number's and the reference's own digests follow the content's: with them, a document
    Xero holds with the same number or reference but other content is noticed, and held
    instead of being created a second time.
    """
    parts = _parts(sent)  # once: the same parts as `content_digest` takes of ``sent``
    singles = [_content_digest(parts, [f]) for f in ("number", "reference") if parts.get(f)]
    return " ".join((_content_digest(parts, None), *singles))
