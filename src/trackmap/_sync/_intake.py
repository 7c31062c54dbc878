"""Intake: the host's items of one chunk turned into planner candidates, one never harming another.

Pure (the engine's resolution, digests; no target, no ledger): what `trackmap.Pusher` hands it
is a chunk of host items; what comes back is, per item, a `Doc` (the item, its resolution and
its `trackmap._sync._plan.Candidate`) plus the options the chunk's ``create`` bindings need.

- A record the adapter cannot read (`read_record`): no document at all is an `Unreadable`
  (listed in the report, it has no key); a body that cannot be read is a `BadBody`, and its
  document fails with the message.
- An item that is not an `Outbound` of a `Document` with a text key and a `DocumentKind`
  (`refused`) fails alone, named as well as it can be.
- The chunk is resolved together; if the engine refuses it (any exception), each document is
  resolved alone, so that only the one it refuses fails, attributed by kind AND key.
- A body whose fingerprint cannot be computed fails alone.
- Options that could not be created, and stale options (an option the saved settings name that
  Xero archived or deleted since), are errors of exactly the documents whose lines use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from trackmap._engine._document import Document, DocumentKind
from trackmap._engine._names import normalise
from trackmap._engine._resolve import resolve_batch
from trackmap._engine._results import OptionToCreate, Resolution, Severity
from trackmap._engine._rules import CompiledMapping
from trackmap._sources._adapter import SourceAdapter
from trackmap._sources._body import Outbound
from trackmap._sync import _plan as plan
from trackmap._sync._keys import delivery_fingerprint, kind_label
from trackmap.errors import DocumentError

__all__ = ["BadBody", "Chunk", "Doc", "Unreadable", "blocked", "read_record", "resolve_chunk"]


def said(exc: BaseException) -> str:
    """An exception in words that can be stored."""
    return plan.storable(f"{type(exc).__name__}: {exc}")


@attrs.frozen(kw_only=True)
class Doc:
    """One document of the chunk: the host's values, its resolution and its candidacy."""

    outbound: Outbound
    resolution: Resolution | None
    candidate: plan.Candidate

    @property
    def ident(self) -> tuple[DocumentKind, str]:
        """Its kind and key."""
        return (self.candidate.kind, self.candidate.key)


@attrs.frozen(kw_only=True)
class Unreadable:
    """A host record the adapter could not turn into a document."""

    message: str


@attrs.frozen(kw_only=True)
class BadBody:
    """Stands for a body the adapter could not read: the document fails with the message."""

    message: str


def read_record(adapter: SourceAdapter[Any], record: object) -> Outbound | Unreadable:
    """A host record through its adapter; what cannot be read stays that record's problem."""
    try:
        document = adapter.document(record)
    except Exception as exc:  # noqa: BLE001 - any failure of the host's code, for that record only
        return Unreadable(message=plan.storable(f"{_describe(adapter, record)}: {exc}"))
    try:
        return Outbound(document=document, body=adapter.body(record))
    except Exception as exc:  # noqa: BLE001 - the body of that record only
        return Outbound(document=document, body=BadBody(message=plan.storable(str(exc))))


def _describe(adapter: SourceAdapter[Any], record: object) -> str:
    try:
        return adapter.describe(record)
    except Exception:  # noqa: BLE001 - a describe() that fails still names nothing else
        return "a record"


@attrs.frozen(kw_only=True)
class Chunk:
    """A chunk taken in: its documents, the options its documents need, unreadable records."""

    docs: tuple[Doc, ...]
    options: tuple[OptionToCreate, ...] = ()
    unreadable: tuple[str, ...] = ()


def resolve_chunk(
    compiled: CompiledMapping,
    items: Sequence[object],
    *,
    notes: Mapping[str, Sequence[str]] | None = None,
    failed_options: Mapping[tuple[str, str], str] | None = None,
    stale: Mapping[str, str] | None = None,
) -> Chunk:
    """Take one chunk in: every item a `Doc` (or an unreadable record), never an exception."""
    docs: list[Doc] = []
    fine: list[Outbound] = []
    unreadable: list[str] = []
    for item in items:
        if isinstance(item, Unreadable):
            unreadable.append(item.message)
        elif (refusal := refused(item)) is not None:
            docs.append(refusal)
        else:
            fine.append(item)  # type: ignore[arg-type] # refused() checked it is an Outbound
    if not fine:
        return Chunk(docs=tuple(docs), unreadable=tuple(unreadable))
    good = fine
    try:
        batch = resolve_batch(compiled, [o.document for o in fine])
    except Exception:  # noqa: BLE001 - find which document it was: each alone
        good = [o for o in fine if _alone(compiled, o, docs)]
        if not good:
            return Chunk(docs=tuple(docs), unreadable=tuple(unreadable))
        batch = resolve_batch(compiled, [o.document for o in good])
    errors: dict[str, list[str]] = {}
    for problem in batch.problems:
        errors.setdefault(problem.document_key, []).append(problem.message)
    context = _Context(notes or {}, failed_options or {}, stale or {}, errors)
    for item, resolution in zip(good, batch.resolutions, strict=True):
        docs.append(context.doc(item, resolution))
    return Chunk(
        docs=tuple(docs), options=tuple(batch.options_to_create), unreadable=tuple(unreadable)
    )


def blocked(chunk: Chunk) -> list[str]:
    """The keys of documents that something other than a missing option stops."""
    return [
        d.candidate.key
        for d in chunk.docs
        if set(d.candidate.errors) - set(unmade_options(d.resolution, {}))
    ]


def _alone(compiled: CompiledMapping, item: Outbound, failed: list[Doc]) -> bool:
    try:
        resolve_batch(compiled, [item.document])
    except Exception as exc:  # noqa: BLE001 - this document alone fails, with the reason
        reason = exc.message if isinstance(exc, DocumentError) else said(exc)
        failed.append(failed_doc(item, f"trackmap cannot resolve it: {reason}"))
        return False
    return True


@attrs.frozen
class _Context:
    notes: Mapping[str, Sequence[str]]
    failed_options: Mapping[tuple[str, str], str]
    stale: Mapping[str, str]
    errors: Mapping[str, Sequence[str]]

    def doc(self, item: Outbound, resolution: Resolution) -> Doc:
        key = item.document.key
        problems = [p.message for p in resolution.errors]
        problems += [p for p in self.errors.get(key, ()) if p not in problems]
        problems += unmade_options(resolution, self.failed_options)
        problems += plan.stale_lines(resolution, self.stale)
        if isinstance(item.body, BadBody):
            problems.append(f"Its body could not be read: {item.body.message}")
        try:
            fingerprint = delivery_fingerprint(resolution, item.body)
        except Exception as exc:  # noqa: BLE001 - a hostile body fails its document only
            return failed_doc(item, f"Its body cannot be read: {said(exc)}")
        warnings = [p.message for p in resolution.problems if p.severity is Severity.WARNING]
        candidate = plan.Candidate(
            kind=item.document.kind,
            key=key,
            fingerprint=fingerprint,
            errors=tuple(dict.fromkeys(problems)),
            notes=(*self.notes.get(key, ()), *warnings),
        )
        return Doc(outbound=item, resolution=resolution, candidate=candidate)


def unmade_options(
    resolution: Resolution | None, failed_options: Mapping[tuple[str, str], str]
) -> list[str]:
    """Why a document cannot go: each option its lines need that does not exist in Xero."""
    if resolution is None:
        return []
    return [
        failed_options.get(
            (a.category_id, normalise(a.option_name)),
            f'Option "{a.option_name}" of tracking category "{a.category_name}" does not '
            "exist in Xero yet and was not created.",
        )
        for line in resolution.lines
        for a in line.assignments
        if a.option_id is None
    ]


def refused(item: object) -> Doc | None:
    """A document that cannot even be planned (not an Outbound, a key that is not text...)."""
    document = getattr(item, "document", None)
    if not isinstance(item, Outbound) or not isinstance(document, Document):
        key = plan.key_text(getattr(document, "key", None))
        reason = f"It is not a trackmap Outbound with a Document, but {type(item).__name__}."
        return _refused_doc(item, DocumentKind.SALES_INVOICE, key, reason)
    kind = document.kind if isinstance(document.kind, DocumentKind) else None
    problem = plan.key_problem(document.key)
    if kind is None:
        problem = f"Its kind {plan.storable(ascii(document.kind))} is not a trackmap DocumentKind."
    if problem is None:
        return None
    key = plan.key_text(document.key)
    return _refused_doc(item, kind or DocumentKind.SALES_INVOICE, key, problem)


def _refused_doc(item: object, kind: DocumentKind, key: str, reason: str) -> Doc:
    candidate = plan.Candidate(
        kind=kind, key=key, fingerprint="", errors=(f'Document "{key}" not sent: {reason}',)
    )
    outbound = item if isinstance(item, Outbound) else Outbound(document=_EMPTY, body=None)
    return Doc(outbound=outbound, resolution=None, candidate=candidate)


_EMPTY = Document(key="", kind=DocumentKind.SALES_INVOICE, lines=())


def failed_doc(item: Outbound, reason: str) -> Doc:
    """A document that fails for ``reason``, named by its kind and key."""
    kind, key = item.document.kind, item.document.key
    label = f'{kind_label(kind)} "{key}"'
    candidate = plan.Candidate(
        kind=kind, key=key, fingerprint="", errors=(f"{label[0].upper()}{label[1:]}: {reason}",)
    )
    return Doc(outbound=item, resolution=None, candidate=candidate)
