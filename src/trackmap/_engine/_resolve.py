"""Resolution: the tracking every line of a document would carry, by the compiled mapping.

For every line and binding: the first non-blank value of the binding's source chain (a line
field read from the line, a document field from the document, as the host's `FieldSpec` says),
normalised, then looked up:

- a table binding looks the value up among its normalised keys; a blank row (``option_id``
  None) sends nothing for the category, explicitly: not the default;
- a by-name binding takes the ACTIVE option whose normalised name equals the value; an
  archived or deleted option of that name is not a match.

A value that maps to nothing follows ``on_unmapped`` (skip, default, error, or create: plan the
option's creation). The default option also serves when the chain yields nothing. A
``required`` binding that ends with no option is an error on the line. A line gets at most one
option per category and at most ``capabilities.entries_per_line`` entries; what does not fit is
reported, never silently dropped. An option that is not active in the compiled schema is never
assigned: it is an error on the line.

Resolution is total: any input gives a `Resolution`, or raises `DocumentError` (a document
the engine cannot take: not a `Document`, duplicate line keys, a field value the mapping reads
that is neither a string nor None). It is also fast: the outcome of every distinct value
combination is computed once and its `Assignment` objects are shared, in memos that live with
the compiled mapping and are bounded (`MEMO_LIMIT`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

import attrs

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._fingerprint import digest, text, token_text, tokens_text
from trackmap._engine._mapping import OnUnmapped
from trackmap._engine._names import normalise
from trackmap._engine._quote import describe_value, exception_text, quoted, safe_text
from trackmap._engine._results import (
    Assignment,
    AssignmentRule,
    BatchResolution,
    Explanation,
    OptionToCreate,
    Problem,
    Resolution,
    ResolvedLine,
    Severity,
)
from trackmap._engine._rules import CompiledBinding, CompiledMapping, TableEntry
from trackmap._engine._schema import TrackingOption, TrackingStatus
from trackmap._engine._splits import split_assignment, split_token
from trackmap.errors import DocumentError, TrackmapError

__all__ = ["fingerprint", "resolve", "resolve_batch"]


def resolve(compiled: CompiledMapping, document: Document) -> Resolution:
    """Resolve the tracking of one document (options to create are checked as a batch of one).

    As fast per document as in a batch: the memos live with the compiled mapping.

    Raises:
        DocumentError: The document cannot be taken as it is (see the module docstring).
    """
    resolution = _resolver_of(compiled).resolve(document)
    if not resolution.options_to_create:
        return resolution
    return _plan_creations(compiled, [resolution]).resolutions[0]


def resolve_batch(compiled: CompiledMapping, documents: Iterable[Document]) -> BatchResolution:
    """Resolve many documents, merging the options they need created.

    Options to create are de-duplicated across the batch by category and normalised name (the
    first spelling wins) and checked against the category's capacity: active options plus
    planned ones may not exceed ``capabilities.options_per_category``. The options that fit are
    in ``options_to_create``; each that does not is an ERROR problem on every document that
    needs it (in the batch's ``problems`` and in that document's resolution).

    Raises:
        DocumentError: A document cannot be taken as it is.
    """
    try:
        iterator = iter(documents)
    except TypeError as exc:
        msg = "The documents to resolve must be an iterable of trackmap Documents."
        raise DocumentError(msg) from exc
    resolver = _resolver_of(compiled)
    growth, one = resolver.growth, resolver.resolve
    resolutions: list[Resolution] = []
    add = resolutions.append
    # A list or tuple cannot fail while it is iterated: only a host's iterator is guarded.
    exact = type(documents) is list or type(documents) is tuple
    for document in iterator if exact else _read(iterator):
        if growth.entries > MEMO_LIMIT:
            resolver = _resolver_of(compiled)
            growth, one = resolver.growth, resolver.resolve
        add(one(document))
    return _plan_creations(compiled, resolutions)


def _read(documents: Iterator[Document]) -> Iterator[Document]:
    """The documents, with a host iterator's own failure turned into a DocumentError."""
    while True:
        try:
            document = next(documents)
        except StopIteration:
            return
        except TrackmapError:
            raise
        except Exception as exc:
            msg = f"The documents to resolve could not be read: {exception_text(exc)}."
            raise DocumentError(msg) from exc
        yield document


def fingerprint(kind: DocumentKind, lines: Sequence[ResolvedLine]) -> str:
    """Return the digest of exactly the tracking that would be sent for a document.

    It covers the document kind and, per line in order, the line key and per assignment the
    category id and the option id (or ``"new:"`` and the normalised name, for an option to be
    created). Names, explanations and problems do not count: the fingerprint changes if and
    only if the ids sent change (an option renamed in Xero keeps its fingerprint). The
    encoding is `trackmap._engine._fingerprint`'s, the one `Resolution.fingerprint` uses.
    """
    return digest(kind.value, [line._encoded for line in lines])  # noqa: SLF001 - the engine's own


# --- per-binding outcomes --------------------------------------------------------------------


class _Spec(NamedTuple):
    """A problem before it is placed on a document and line."""

    severity: Severity
    code: str
    text: str
    category_id: str
    category_name: str
    field: str | None
    value: str | None


class _Plan(NamedTuple):
    """An option a line needs created: its category, normalised and trimmed names."""

    category_id: str
    category_name: str
    key: str
    name: str


class _Outcome:
    """What one binding gives one value: an assignment (with its token), a problem, a plan.

    ``field`` and ``raw`` say which value it is for (None when the chain yielded nothing).
    Outcomes compare and hash by identity: each is made once per call and memoised, so the
    line memo can key on them at the cost of a pointer hash.
    """

    __slots__ = ("assignment", "field", "plan", "raw", "spec", "text", "token")

    def __init__(
        self,
        *,
        assignment: Assignment | None = None,
        token: tuple[str, str] | None = None,
        spec: _Spec | None = None,
        plan: _Plan | None = None,
    ) -> None:
        self.assignment = assignment
        self.token = token
        self.text = "" if token is None else token_text(*token)
        self.spec = spec
        self.plan = plan
        self.field: str | None = None
        self.raw: str | None = None

    def placed(self, field: str, raw: str) -> _Outcome:
        """A copy that knows which field and raw value it is for."""
        copy = _Outcome(
            assignment=self.assignment, token=self.token, spec=self.spec, plan=self.plan
        )
        copy.field, copy.raw = field, raw
        return copy


class _Unreadable(NamedTuple):
    """A document-level value that is not text, met while walking a chain for a document.

    It is raised as a `DocumentError` only when a line's chain actually falls back to it.
    """

    field: str
    value: object


_NOTHING = _Outcome()


class _Line(NamedTuple):
    """What one combination of outcomes gives a line.

    ``shared`` maps a line key to its `ResolvedLine` (a frozen value, with its fingerprint text
    filled in), so lines with the same key and tracking share it across documents.
    """

    assignments: tuple[Assignment, ...]
    sent: str  # the line's tokens, encoded for the fingerprint
    specs: tuple[_Spec, ...]
    plans: tuple[_Plan, ...]
    shared: _Shared
    flagged: bool  # whether it carries problems or options to create


class _Shared(dict[str, ResolvedLine]):
    """A line result's `ResolvedLine` per line key, each made on first use (`__missing__`)."""

    __slots__ = ("assignments", "growth", "sent")

    def __init__(self, assignments: tuple[Assignment, ...], sent: str, growth: _Growth) -> None:
        super().__init__()
        self.assignments = assignments
        self.sent = sent
        self.growth = growth

    def __missing__(self, key: str) -> ResolvedLine:
        line = self[key] = ResolvedLine(key=key, assignments=self.assignments)
        # Its fingerprint text from the memoised token texts (the same encoding it would compute).
        object.__setattr__(line, "_encoded", text(key) + self.sent)
        self.growth.entries += 1
        return line


@attrs.define
class _Outcomes:
    """The outcomes of one binding, memoised per field and raw value (``growth`` counts them)."""

    cb: CompiledBinding
    titles: Mapping[str, str]
    name_length: int
    growth: _Growth
    memos: dict[str, dict[object, _Outcome]] = attrs.field(factory=dict)
    empty: _Outcome = _NOTHING

    document_fields: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        self.empty = self._nothing_yielded()
        self.document_fields = tuple(name for name, at_line in self.cb.chain if not at_line)

    def memo(self, field: str) -> dict[object, _Outcome]:
        """The memo of one source field: raw value -> outcome (filled by `get`)."""
        return self.memos.setdefault(field, {})

    def get(self, field: str, raw: str) -> _Outcome:
        memo = self.memo(field)
        outcome = memo.get(raw)
        if outcome is None:
            outcome = memo[raw] = self._lookup(field, raw).placed(field, raw)
            self.growth.entries += 1
        return outcome

    def _nothing_yielded(self) -> _Outcome:
        if self.cb.binding.default_option_id is None:
            return _NOTHING
        return self._send(
            self.cb.default,
            self.cb.binding.default_option_id,
            Explanation(rule=AssignmentRule.DEFAULT),
            "the default",
        )

    def _lookup(self, field: str, raw: str) -> _Outcome:
        table = self.cb.table
        if table is None:
            option = self.cb.names.get(normalise(raw))
            if option is None:
                return self._unmapped(field, raw)
            return self._assign(
                option, Explanation(rule=AssignmentRule.NAME, field=field, value=raw)
            )
        entry = table.get(normalise(raw))
        if entry is None:
            return self._unmapped(field, raw)
        if entry.split:
            return self._split(entry, field, raw)
        if entry.option_id is None:
            return _NOTHING  # a blank row: explicitly nothing for this category
        explanation = Explanation(rule=AssignmentRule.TABLE, field=field, value=raw)
        return self._send(
            entry.option, entry.option_id, explanation, f"the table maps {quoted(raw)} to"
        )

    def _split(self, entry: TableEntry, field: str, raw: str) -> _Outcome:
        """A row that splits: every share's option must be active (see `_engine._splits`)."""
        explanation = Explanation(rule=AssignmentRule.SPLIT, field=field, value=raw)
        if len(entry.shares) < 2 or not all(part > 0 for _, _, part in entry.shares):  # noqa: PLR2004
            # Only an unchecked mapping gets here (rule 10).
            text = f"{self._says(field, raw)}, whose table row splits by shares that are not valid."
            return self._error("split_invalid", text, field, raw)
        for option_id, option, _ in entry.shares:
            if option is None or option.status is not TrackingStatus.ACTIVE:
                return self._send(
                    option, option_id, explanation, f"the table splits {quoted(raw)} to"
                )
        assignment = split_assignment(
            self.cb.category_id, self.cb.category_name, entry, explanation
        )
        return _Outcome(assignment=assignment, token=split_token(assignment))

    def _send(
        self,
        option: TrackingOption | None,
        option_id: str,
        explanation: Explanation,
        what: str,
    ) -> _Outcome:
        """Assign an option that the (possibly stale) compiled mapping points at, if active."""
        if option is not None and option.status is TrackingStatus.ACTIVE:
            return self._assign(option, explanation)
        field, value = explanation.field, explanation.value
        if option is None:
            text = (
                f"{what} an option (id {quoted(option_id)}) that is not in Xero; "
                "pick another option."
            )
            return self._error("option_missing", text, field, value)
        state = "archived" if option.status is TrackingStatus.ARCHIVED else "deleted"
        text = (
            f"{what} option {quoted(option.name)}, which is {state} in Xero; pick another option."
        )
        return self._error(f"option_{state}", text, field, value)

    def _assign(self, option: TrackingOption, explanation: Explanation) -> _Outcome:
        cb = self.cb
        assignment = Assignment(
            category_id=cb.category_id,
            category_name=cb.category_name,
            option_id=option.id,
            option_name=option.name,
            explanation=explanation,
        )
        return _Outcome(assignment=assignment, token=(cb.category_id, option.id))

    def _unmapped(self, field: str, raw: str) -> _Outcome:
        binding = self.cb.binding
        inactive = None if self.cb.table is not None else self.cb.inactive_named(raw)
        mode = binding.on_unmapped
        if mode is OnUnmapped.SKIP:
            return _NOTHING if inactive is None else self._skipped_inactive(field, raw, inactive)
        if mode is OnUnmapped.DEFAULT:
            return self._unmapped_default(field, raw)
        if mode is OnUnmapped.CREATE:
            return self._create(field, raw, inactive)
        return self._error("unmapped_value", self._unmappedtext(field, raw, inactive), field, raw)

    def _unmapped_default(self, field: str, raw: str) -> _Outcome:
        default_id = self.cb.binding.default_option_id
        if default_id is None:  # only an unchecked mapping gets here (rule 8)
            text = f"{self._says(field, raw)}, which maps to no option, and there is no default."
            return self._error("default_needed", text, field, raw)
        explanation = Explanation(rule=AssignmentRule.DEFAULT, field=field, value=raw)
        return self._send(self.cb.default, default_id, explanation, "the default is")

    def _create(self, field: str, raw: str, inactive: TrackingOption | None) -> _Outcome:
        cb = self.cb
        name = raw.strip()
        if cb.table is not None:  # only an unchecked mapping gets here (rule 8)
            text = f"{self._says(field, raw)}, which maps to no option; a table cannot create one."
            return self._error("create_needs_by_name", text, field, raw)
        if inactive is not None:
            return self._not_recreated(field, raw, inactive)
        if len(name) > self.name_length:
            text = (
                f"{self._says(field, raw)}, so tracking category {quoted(cb.category_name)} "
                f"needs a new option of that name, but it is longer than the {self.name_length} "
                "characters trackmap may create; shorten the value or add the option in Xero."
            )
            return self._error("option_name_too_long", text, field, raw)
        key = normalise(raw)
        assignment = Assignment(
            category_id=cb.category_id,
            category_name=cb.category_name,
            option_id=None,
            option_name=name,
            explanation=Explanation(rule=AssignmentRule.CREATE, field=field, value=raw),
        )
        plan = _Plan(category_id=cb.category_id, category_name=cb.category_name, key=key, name=name)
        return _Outcome(assignment=assignment, token=(cb.category_id, "new:" + key), plan=plan)

    def _not_recreated(self, field: str, raw: str, option: TrackingOption) -> _Outcome:
        # Xero keeps names unique among archived options too: creating it again would fail.
        state = "archived" if option.status is TrackingStatus.ARCHIVED else "deleted"
        text = (
            f"{self._says(field, raw)}, and tracking category {quoted(self.cb.category_name)} has "
            f"option {quoted(option.name)} {state} in Xero, so trackmap will not create it again; "
            "restore it in Xero or change the record."
        )
        return self._error(f"option_{state}", text, field, raw)

    def _skipped_inactive(self, field: str, raw: str, option: TrackingOption) -> _Outcome:
        state = "archived" if option.status is TrackingStatus.ARCHIVED else "deleted"
        text = (
            f"{self._says(field, raw)}, which names option {quoted(option.name)} of tracking "
            f"category {quoted(self.cb.category_name)}, but it is {state} in Xero, so nothing "
            "is sent for it."
        )
        spec = self._spec(Severity.WARNING, f"option_{state}", text, field, raw)
        return _Outcome(spec=spec)

    def _unmappedtext(self, field: str, raw: str, inactive: TrackingOption | None) -> str:
        cb = self.cb
        says = self._says(field, raw)
        if cb.table is not None:
            return (
                f"{says}, which no row of the {quoted(cb.category_name)} table maps to an option; "
                "add a row for it or change the record."
            )
        if inactive is not None:
            state = "archived" if inactive.status is TrackingStatus.ARCHIVED else "deleted"
            return (
                f"{says}, and tracking category {quoted(cb.category_name)} has option "
                f"{quoted(inactive.name)} only as {state} in Xero; restore it in Xero or change "
                "the record."
            )
        return (
            f"{says}, but tracking category {quoted(cb.category_name)} has no active option of "
            "that name; add it in Xero or change the record."
        )

    def _says(self, field: str, raw: str) -> str:
        return f"{safe_text(self.titles.get(field, field))} is {quoted(raw)}"

    def _error(self, code: str, text: str, field: str | None, value: str | None) -> _Outcome:
        return _Outcome(spec=self._spec(Severity.ERROR, code, text, field, value))

    def _spec(
        self, severity: Severity, code: str, text: str, field: str | None, value: str | None
    ) -> _Spec:
        cb = self.cb
        return _Spec(severity, code, text, cb.category_id, cb.category_name, field, value)


# --- per-line composition and the document loop ------------------------------------------------


class _Growth:
    """How many entries the memos of one `_Resolver` hold (each miss adds one)."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries = 0


#: How many memo entries a compiled mapping keeps before it starts afresh: the memory bound
#: when every document brings new values (each entry is a small value, a few hundred bytes).
MEMO_LIMIT = 100_000
#: The most lines a document may have for its results to be found by position (each value's
#: results by position are one list of that length, counted as one memo entry).
POSITION_LIMIT = 64


class _Resolver:
    """The resolution state that lives with one compiled mapping: its memos.

    Only values are memoised, and only exact `str` values are ever memo keys (a host value of
    another type, or a `str` subclass, is read afresh every time, so its own ``__hash__`` or
    ``__eq__`` never runs):

    - each distinct (field, raw value) is resolved once per binding (`_Outcomes`);
    - per distinct set of document-level values, each binding's chain is walked once over
      them (a `_Shape`): what is left is, per binding, the line fields still to try on each
      line and the outcome to fall back on;
    - each distinct combination of outcomes is composed into a line result once (`_Line`,
      keyed by the outcomes' identities, which the memos keep alive), and its `ResolvedLine`
      is made once per line key;
    - each distinct sequence of line keys is checked (text, unique) once; when one binding
      varies through one line field, the line results are then also kept by position in that
      sequence (per value memo), so a repeated sequence finds them by a list index;
    - a blank or absent line value's result (the document's fallback) is kept with its shape.

    The memos are bounded: past `MEMO_LIMIT` entries the compiled mapping gets a fresh
    `_Resolver` (see `_resolver_of`), so memory stays flat however many new values come.
    Nothing here changes what a document resolves to: the oracle in the tests says so.
    """

    def __init__(self, compiled: CompiledMapping) -> None:
        capabilities = compiled.schema.capabilities
        titles = {spec.name: spec.title for spec in compiled.fields}
        self.growth = _Growth()
        self.outcomes = [
            _Outcomes(
                cb=cb,
                titles=titles,
                name_length=capabilities.option_name_length,
                growth=self.growth,
            )
            for cb in compiled.bindings
        ]
        self.entries_per_line = capabilities.entries_per_line
        # Nothing to check per line when no category is bound twice and none is required.
        categories = [cb.category_id for cb in compiled.bindings]
        self.plain = len(set(categories)) == len(categories) and not any(
            cb.binding.required for cb in compiled.bindings
        )
        self.walks: list[dict[tuple[object, ...], _Step]] = [{} for _ in compiled.bindings]
        chained = (source for cb in compiled.bindings for source in cb.chain)
        self.document_fields = tuple(dict.fromkeys(n for n, at_line in chained if not at_line))
        self.shapes: dict[tuple[object, ...], _Shape] = {}
        self.combos: dict[tuple[object, ...], dict[object, _Line]] = {}
        self.by_value: dict[tuple[int, str], dict[object, _Shared]] = {}
        # Each distinct sequence of line keys, checked, with the line results found by position
        # for it (`_lines_by_position`): per value memo (by id), value -> the results by line.
        self.line_keys: dict[tuple[str, ...], dict[int, dict[str, list[ResolvedLine | None]]]] = {}

    @property
    def full(self) -> bool:
        """Whether the memos reached their bound (the owner then starts a fresh resolver)."""
        return self.growth.entries > MEMO_LIMIT

    def resolve(self, document: Document) -> Resolution:
        """Resolve one document; anything unexpected from a host value is a `DocumentError`.

        The quick path takes exact text only (document and line keys, field values); anything
        else is taken the careful way: `_careful` reads `str` subclasses as the text they hold
        and refuses, with a sentence, what is not text.
        """
        if type(document) is not Document:
            _check_type(document)
        try:
            return self._resolve(document)
        except TrackmapError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried the careful way, which names it
            first = exc
        try:
            return self._resolve(_careful(document))
        except TrackmapError:
            raise
        except Exception as exc:  # a host value failed in a way no check foresaw
            exc.__context__ = first
            raise _unreadable(document, exc) from exc

    def _resolve(self, document: Document) -> Resolution:
        if (
            type(document.key) is not str
            or type(document.label) is not str
            or type(document.kind) is not _KIND
        ):
            raise _Unclean
        keys = tuple(map(_KEY, document.lines))
        # The memo holds exact-text key tuples only; each line's key is checked to be exact
        # text in the loops, so a hit never rests on a host's __eq__.
        positions = self.line_keys.get(keys)
        if positions is None:
            _check_lines(document)
            self.line_keys[keys] = {}
            self.growth.entries += 1
        shape = self._shape(document)
        by_value = shape.by_value
        if by_value is not None:
            if positions is None or len(keys) > POSITION_LIMIT:
                return self._lines_one_field(document, shape, by_value)
            rows = positions.get(id(by_value))
            if rows is None:
                rows = positions[id(by_value)] = {}
                self.growth.entries += 1
            return self._lines_by_position(document, shape, by_value, rows)
        return self._lines(document, shape)

    def _lines(self, document: Document, shape: _Shape) -> Resolution:
        """Resolve every line: one outcome per varying binding, composed once per combination."""
        resolved: list[ResolvedLine] = []
        flagged: list[tuple[Line, _Line]] = []
        combos, steps, varying = shape.combos, shape.steps, shape.varying
        for line in document.lines:
            if type(line) is not Line or type(line.key) is not str:
                raise _Unclean
            picked = tuple(_pick(document, line, step) for step in varying)
            combo = picked[0] if len(picked) == 1 else picked
            result = combos.get(combo) or self._remember(combos, combo, steps, picked)
            resolved.append(result.shared[line.key])
            if result.flagged:
                flagged.append((line, result))
        return _resolution(document, resolved, flagged)

    def _shape(self, document: Document) -> _Shape:
        """The bindings walked over the document's fields, memoised by those fields' values."""
        raw = tuple(map(document.fields.get, self.document_fields))
        for value in raw:
            if value is not None and type(value) is not str:
                return self._new_shape(document)  # walked afresh: a host value is never a key
        shape = self.shapes.get(raw)
        if shape is None:
            shape = self._new_shape(document)
            if not any(isinstance(step.fallback, _Unreadable) for step in shape.steps):
                self.shapes[raw] = shape
                self.growth.entries += 1
        return shape

    def _new_shape(self, document: Document) -> _Shape:
        """Walk the bindings over the document's fields.

        Bindings whose outcome is the same on every line of the document (no line-level source
        left to try) are settled here; line results are memoised by the outcomes of the others.
        One binding varying through one line field gets a value memo of its own.
        """
        steps = tuple(
            self._walk(outcomes, walks, document)
            for outcomes, walks in zip(self.outcomes, self.walks, strict=True)
        )
        # Keyed by position too: which bindings are settled may differ between documents.
        settled = tuple(None if step.varies else step.fallback for step in steps)
        combos = self.combos.get(settled)
        if combos is None:
            combos = self.combos[settled] = {}
            self.growth.entries += 1
        varying = tuple(step for step in steps if step.varies)
        by_value = None
        if len(varying) == 1 and len(varying[0].sources) == 1:
            name = varying[0].sources[0][0]
            by_value = self.by_value.setdefault((id(combos), name), {})
        return _Shape(steps=steps, varying=varying, combos=combos, by_value=by_value, blanks={})

    def _walk(
        self, outcomes: _Outcomes, walks: dict[tuple[object, ...], _Step], document: Document
    ) -> _Step:
        """`_walk_document`, memoised by the values of the binding's document-level fields."""
        raw = tuple(map(document.fields.get, outcomes.document_fields))
        for value in raw:
            if value is not None and type(value) is not str:
                return _walk_document(outcomes, document)
        step = walks.get(raw)
        if step is None:
            step = _walk_document(outcomes, document)
            if not isinstance(step.fallback, _Unreadable):
                walks[raw] = step
                self.growth.entries += 1
        return step

    def _lines_one_field(
        self, document: Document, shape: _Shape, by_value: dict[object, _Shared]
    ) -> Resolution:
        """The hot loop when one binding varies by line, through one line field.

        ``by_value`` maps a raw value to the line result, for the values that do not depend on
        the document: the non-blank exact texts (a blank falls back to the document's own
        value, so its result is never kept here).
        """
        name = shape.varying[0].sources[0][0]
        known, blanks = by_value.get, shape.blanks
        resolved: list[ResolvedLine] = []
        add = resolved.append
        flagged: list[tuple[Line, _Line]] = []
        line_type, text = Line, str  # locals: this loop runs once per line of every document
        for line in document.lines:
            key = line.key
            if type(line) is not line_type or type(key) is not text:
                raise _Unclean
            value = line.fields.get(name)
            if type(value) is text:
                shared = known(value)
                if shared is not None:
                    add(shared[key])
                    continue
            if value is None or type(value) is text:
                shared = blanks.get(value)
                if shared is not None:
                    add(shared[key])
                    continue
            result = self._by_value(document, line, shape, value)
            add(result.shared[key])
            if result.flagged:
                flagged.append((line, result))
        if not flagged:
            return _clean_resolution(document.key, document.kind, tuple(resolved))
        return _resolution(document, resolved, flagged)

    def _lines_by_position(
        self,
        document: Document,
        shape: _Shape,
        by_value: dict[object, _Shared],
        rows: dict[str, list[ResolvedLine | None]],
    ) -> Resolution:
        """`_lines_one_field` for a sequence of line keys seen before: results by position.

        ``rows`` maps a value in ``by_value`` to the `ResolvedLine` it gives at each position
        of this key sequence (filled as positions are met): a list index instead of a lookup
        by key text in the value's `_Shared`. Anything not found there is `_at_position`'s.
        """
        name = shape.varying[0].sources[0][0]
        row_of = rows.get
        resolved: list[ResolvedLine] = []
        add = resolved.append
        flagged: list[tuple[Line, _Line]] = []
        line_type, text = Line, str  # locals: this loop runs once per line of every document
        for index, line in enumerate(document.lines):
            if type(line) is not line_type or type(line.key) is not text:
                raise _Unclean
            value = line.fields.get(name)
            if type(value) is text:
                row = row_of(value)
                if row is not None and (found := row[index]) is not None:
                    add(found)
                    continue
            found, result = self._at_position(
                document, line, index=index, value=value, shape=shape, by_value=by_value, rows=rows
            )
            add(found)
            if result is not None and result.flagged:
                flagged.append((line, result))
        if not flagged:
            return _clean_resolution(document.key, document.kind, tuple(resolved))
        return _resolution(document, resolved, flagged)

    def _at_position(
        self,
        document: Document,
        line: Line,
        *,
        index: int,
        value: object,
        shape: _Shape,
        by_value: dict[object, _Shared],
        rows: dict[str, list[ResolvedLine | None]],
    ) -> tuple[ResolvedLine, _Line | None]:
        """A line `_lines_by_position` did not find, and the line result if it was resolved.

        It comes from the value memo (and is then kept by position), from the shape's blanks,
        or else from `_by_value`.
        """
        key = line.key
        if type(value) is str:
            shared = by_value.get(value)
            if shared is not None:
                row = rows.get(value)
                if row is None:
                    row = rows[value] = [None] * len(document.lines)
                    self.growth.entries += 1
                found = row[index] = shared[key]
                return found, None
        if value is None or type(value) is str:
            shared = shape.blanks.get(value)
            if shared is not None:
                return shared[key], None
        result = self._by_value(document, line, shape, value)
        return result.shared[key], result

    def _by_value(self, document: Document, line: Line, shape: _Shape, value: object) -> _Line:
        """The line result for a value not in the value memo; kept there if it is the line's own.

        Only results without problems or plans are kept (the loop then needs nothing else), and
        only for a value that is exact text or None. A blank or absent value falls back to the
        document's values, so its result is kept with the shape (``blanks``, which is per set of
        document-level values), never in the value memo.
        """
        step = shape.varying[0]
        outcome = _pick(document, line, step)
        combos = shape.combos
        result = combos.get(outcome) or self._remember(combos, outcome, shape.steps, (outcome,))
        if result.flagged or (value is not None and type(value) is not str):
            return result
        if outcome is step.fallback:
            shape.blanks[value] = result.shared
            self.growth.entries += 1
        elif outcome.field == step.sources[0][0] and shape.by_value is not None:
            shape.by_value[value] = result.shared
            self.growth.entries += 1
        return result

    def _remember(
        self,
        combos: dict[object, _Line],
        combo: object,
        steps: Sequence[_Step],
        picked: Sequence[_Outcome],
    ) -> _Line:
        """Compose a line result for a combination not seen before, and remember it."""
        chosen = iter(picked)
        outcomes = [next(chosen) if step.varies else step.fallback for step in steps]
        # A settled step's fallback is never _Unreadable (an unreadable value makes it vary).
        result = combos[combo] = self._compose(outcomes)  # type: ignore[arg-type]
        self.growth.entries += 1
        return result

    def _compose(self, picked: Sequence[_Outcome]) -> _Line:
        """The line result of one outcome per binding, in binding order."""
        if self.plain and not any(o.spec is not None or o.plan is not None for o in picked):
            chosen = [o for o in picked if o.token is not None]
            if len(chosen) <= self.entries_per_line:
                assignments = tuple(o.assignment for o in chosen if o.assignment is not None)
                sent = tokens_text([o.text for o in chosen])
                shared = _Shared(assignments, sent, self.growth)
                return _Line(assignments, sent, (), (), shared, flagged=False)
        return self._compose_checked(picked)

    def _compose_checked(self, picked: Sequence[_Outcome]) -> _Line:
        assignments: list[Assignment] = []
        sent: list[_Outcome] = []
        specs: list[_Spec] = []
        plans: list[_Plan] = []
        for outcomes, outcome in zip(self.outcomes, picked, strict=True):
            if outcome.spec is not None:
                specs.append(outcome.spec)
            refused = self._refuse(outcomes.cb, outcome, assignments)
            if refused is not None:
                specs.append(refused)
            elif outcome.assignment is not None and outcome.token is not None:
                assignments.append(outcome.assignment)
                sent.append(outcome)
                if outcome.plan is not None:
                    plans.append(outcome.plan)
            elif outcomes.cb.binding.required and outcome.spec is None:
                specs.append(_required(outcomes.cb, outcome.field, outcome.raw))
        flagged = bool(specs or plans)
        done = tuple(assignments)
        encoded = tokens_text([o.text for o in sent])
        return _Line(
            done,
            encoded,
            tuple(specs),
            tuple(plans),
            _Shared(done, encoded, self.growth),
            flagged,
        )

    def _refuse(
        self, cb: CompiledBinding, outcome: _Outcome, assignments: Sequence[Assignment]
    ) -> _Spec | None:
        """Say why an assignment cannot go on the line, or None when it can."""
        assignment = outcome.assignment
        if assignment is None:
            return None
        if any(a.category_id == assignment.category_id for a in assignments):
            text = (
                f"tracking category {quoted(cb.category_name)} already has an option on this "
                f"line, so {quoted(assignment.option_name)} is left off; a category takes one "
                "option."
            )
            return _spec_for(cb, "category_bound_twice", text, assignment)
        if len(assignments) >= self.entries_per_line:
            text = (
                f"the line already carries {len(assignments)} tracking entries, the most Xero "
                f"allows, so {quoted(cb.category_name)} = {quoted(assignment.option_name)} is "
                "left off."
            )
            return _spec_for(cb, "too_many_entries", text, assignment)
        return None


_STR = frozenset((str,))


class _Unclean(Exception):  # noqa: N818 - a signal inside the resolver, never raised out of it
    """The quick path met something that is not exact text: take the document the careful way."""


_KIND = DocumentKind
_LINE = frozenset((Line,))


def _resolver_of(compiled: CompiledMapping) -> _Resolver:
    """The resolver that lives with the compiled mapping: made on first use, renewed when full."""
    holder = compiled.cache
    resolver = holder.value
    if not isinstance(resolver, _Resolver) or resolver.full:
        resolver = holder.value = _Resolver(compiled)
    return resolver


def _resolution(
    document: Document, resolved: list[ResolvedLine], flagged: list[tuple[Line, _Line]]
) -> Resolution:
    """The document's resolution: its lines, and the problems and plans flagged on them."""
    if not flagged:
        return _clean_resolution(document.key, document.kind, tuple(resolved))
    problems: list[Problem] = []
    plans: dict[tuple[str, str], _Plan] = {}
    for line, result in flagged:
        problems.extend(_place(spec, document, line) for spec in result.specs)
        for need in result.plans:
            plans.setdefault((need.category_id, need.key), need)
    return Resolution(
        document_key=document.key,
        kind=document.kind,
        lines=tuple(resolved),
        problems=tuple(problems),
        options_to_create=tuple(_to_create(need, (document.key,)) for need in plans.values()),
    )


def _slot_setter(name: str) -> Callable[[object, object], None]:
    setter: Callable[[object, object], None] = Resolution.__dict__[name].__set__
    return setter


_SET_KEY, _SET_KIND, _SET_LINES, _SET_PROBLEMS, _SET_CREATE = map(
    _slot_setter, ("document_key", "kind", "lines", "problems", "options_to_create")
)


def _clean_resolution(key: str, kind: DocumentKind, lines: tuple[ResolvedLine, ...]) -> Resolution:
    """``Resolution(document_key=key, kind=kind, lines=lines)``, built at a third of the cost.

    Resolution has no validators or converters, so filling its slots directly makes the same
    value (a test compares the two, field by field); this runs once per document.
    """
    resolution: Resolution = object.__new__(Resolution)
    _SET_KEY(resolution, key)
    _SET_KIND(resolution, kind)
    _SET_LINES(resolution, lines)
    _SET_PROBLEMS(resolution, ())
    _SET_CREATE(resolution, ())
    return resolution


class _Step(NamedTuple):
    """One binding on one document, after its document-level fields are read.

    The line fields left to try (each with its memo), the outcome to fall back on, and whether
    lines may differ (``varies``).
    """

    sources: tuple[tuple[str, dict[object, _Outcome]], ...]
    fallback: _Outcome | _Unreadable
    outcomes: _Outcomes
    varies: bool


def _walk_document(outcomes: _Outcomes, document: Document) -> _Step:
    """Walk a chain over the document's fields: the line fields left to try, and the fallback.

    The walk stops at the first non-blank document-level value; line-level fields before it
    are tried on each line, and its outcome (or the empty one) serves lines where none has
    a value. A value that is not text is only reported if a line falls back to it.
    """
    line_sources: list[tuple[str, dict[object, _Outcome]]] = []
    fallback: _Outcome | _Unreadable = outcomes.empty
    for name, at_line in outcomes.cb.chain:
        if at_line:
            line_sources.append((name, outcomes.memo(name)))
            continue
        value = document.fields.get(name)
        if value is None:
            continue
        if type(value) is not str:
            if not isinstance(value, str):
                fallback = _Unreadable(field=name, value=value)
                break
            value = _plain(value)
        if value and not value.isspace():
            fallback = outcomes.get(name, value)
            break
    varies = bool(line_sources) or isinstance(fallback, _Unreadable)
    return _Step(tuple(line_sources), fallback, outcomes, varies)


class _Shape(NamedTuple):
    """The bindings walked over one set of document-level values, with the line memos."""

    steps: tuple[_Step, ...]
    varying: tuple[_Step, ...]
    combos: dict[object, _Line]
    by_value: dict[object, _Shared] | None
    # For the one-field loops: a blank or absent line value (None or exact text) -> the line
    # result of falling back to this document's values (so it is kept here, not in by_value).
    blanks: dict[object, _Shared]


def _pick(document: Document, line: Line, step: _Step) -> _Outcome:
    """The outcome of one binding on one line.

    That is the outcome of its first line field with a value, else the document's fallback.
    """
    fields = line.fields
    for name, memo in step.sources:
        value = fields.get(name)
        if value is None:
            continue
        if type(value) is not str:
            if not isinstance(value, str):
                raise _bad_value(document, line, name, value)
            value = _plain(value)
        if value and not value.isspace():
            return memo.get(value) or step.outcomes.get(name, value)
    if isinstance(step.fallback, _Unreadable):
        raise _bad_value(document, line, step.fallback.field, step.fallback.value)
    return step.fallback


def _plain(value: str) -> str:
    """The text a `str` subclass holds, as an exact str (its own methods are never called)."""
    return str.__str__(value)


def _spec_for(cb: CompiledBinding, code: str, text: str, assignment: Assignment) -> _Spec:
    explanation = assignment.explanation
    return _Spec(
        Severity.ERROR,
        code,
        text,
        cb.category_id,
        cb.category_name,
        explanation.field,
        explanation.value,
    )


def _required(cb: CompiledBinding, field: str | None, raw: str | None) -> _Spec:
    if field is None or raw is None:
        why = "no source field has a value and there is no default"
    else:
        why = f"{quoted(raw)} maps to no option"
    text = f"tracking category {quoted(cb.category_name)} is required on every line, but {why}."
    return _Spec(
        Severity.ERROR, "required_missing", text, cb.category_id, cb.category_name, field, raw
    )


def _place(spec: _Spec, document: Document, line: Line) -> Problem:
    return Problem(
        severity=spec.severity,
        code=spec.code,
        message=f"{_title(document)}, line {safe_text(line.key)}: {spec.text}",
        document_key=document.key,
        line_key=line.key,
        category_id=spec.category_id,
        category_name=spec.category_name,
        field=spec.field,
        value=spec.value,
    )


def _title(document: Document) -> str:
    """How messages name a document: its label or key, made safe to show."""
    return safe_text(document.label or document.key)


def _to_create(plan: _Plan, document_keys: tuple[str, ...]) -> OptionToCreate:
    return OptionToCreate(
        category_id=plan.category_id,
        category_name=plan.category_name,
        name=plan.name,
        document_keys=document_keys,
    )


# --- input checks ----------------------------------------------------------------------------


_KEY = operator.attrgetter("key")


def _check_type(document: object) -> None:
    """Refuse what is not a trackmap `Document` (a subclass is taken as one)."""
    if not isinstance(document, Document):
        msg = f"Expected a trackmap Document to resolve, got {_type_of(document)}."
        raise DocumentError(msg)


def _type_of(value: object) -> str:
    return describe_value(value).removeprefix("the ").split(" ", 1)[0]


def _careful(document: Document) -> Document:
    """The document with every key and label as exact text, or a `DocumentError` saying why not.

    A `str` subclass is read as the text it holds (its own methods never run).
    """
    document = _plain_names(document)
    _check_lines(document, subclasses=True)
    lines = document.lines
    if all(type(line.key) is str for line in lines):
        return document
    plain = tuple(Line(key=_plain(line.key), fields=line.fields) for line in lines)
    return attrs.evolve(document, lines=plain)


def _plain_names(document: Document) -> Document:
    """The document with its key and label as exact text (a `str` subclass is read as text)."""
    key, label = document.key, document.label
    if not isinstance(key, str) or not isinstance(kind := document.kind, DocumentKind):
        msg = f"Document {_shown_key(key)} needs a text key and a DocumentKind."
        raise DocumentError(msg, document_key=_shown_key(key))
    if not isinstance(label, str):
        msg = f"Document {safe_text(key)} has a label that is not text ({describe_value(label)})."
        raise DocumentError(msg, document_key=_plain(key))
    return Document(
        key=_plain(key),
        kind=kind,
        fields=document.fields,
        lines=document.lines,
        label=_plain(label),
    )


def _shown_key(key: object) -> str:
    """A document key as the messages show it: ``'INV-1'`` for text, else its safe repr."""
    if isinstance(key, str):
        return f"'{safe_text(key)}'"
    if type(key) is int and int.bit_length(key) <= _SHORT_INT_BITS:
        return int.__repr__(key)
    return describe_value(key)


_SHORT_INT_BITS = 64


def _check_lines(document: Document, *, subclasses: bool = False) -> None:
    """Refuse lines the engine cannot take, in words that name the document and line.

    Keys must be exact text, or with ``subclasses`` any `str` (compared as the text it holds).
    """
    lines = document.lines
    if not set(map(type, lines)) <= _LINE:
        msg = f"Document {_title(document)}: every line must be a trackmap Line."
        raise DocumentError(msg, document_key=document.key)
    keys = list(map(_KEY, lines))
    if subclasses and all(isinstance(k, str) for k in keys):
        keys = [_plain(k) for k in keys]
    if not set(map(type, keys)) <= _STR:
        msg = f"Document {_title(document)}: every line needs a text key."
        raise DocumentError(msg, document_key=document.key)
    if len(set(keys)) != len(keys):
        twice = _first_repeated(keys)
        msg = (
            f"Document {_title(document)} has two lines with the key {quoted(twice)}; "
            "line keys must be unique within a document."
        )
        raise DocumentError(msg, document_key=document.key)


def _first_repeated(keys: Sequence[str]) -> str:
    """The first key that appears a second time (one pass: the check is linear)."""
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return ""


def _bad_value(document: Document, line: Line, name: str, value: object) -> DocumentError:
    msg = (
        f"Document {_title(document)}, line {safe_text(line.key)}: field {quoted(name)} holds "
        f"{describe_value(value)}, which is not text; a source adapter must turn every field "
        "value into text (or None)."
    )
    return DocumentError(msg, document_key=document.key)


def _unreadable(document: Document, exc: Exception) -> DocumentError:
    """A document whose values failed while being read: named, with the host's exception."""
    key = document.key if type(document.key) is str else None
    shown = safe_text(key) if key is not None else "(whose key cannot be read)"
    msg = (
        f"Document {shown} cannot be resolved: one of its values failed when read "
        f"({exception_text(exc)}); a source adapter must hand over plain text (or None)."
    )
    return DocumentError(msg, document_key=key)


# --- options to create, across the batch -----------------------------------------------------


def _plan_creations(compiled: CompiledMapping, resolutions: list[Resolution]) -> BatchResolution:
    """Merge the documents' options to create, and block those over the category capacity."""
    merged: dict[tuple[str, str], tuple[OptionToCreate, list[str]]] = {}
    for resolution in resolutions:
        for option in resolution.options_to_create:
            key = (option.category_id, normalise(option.name))
            merged.setdefault(key, (option, []))[1].append(resolution.document_key)
    fits: list[OptionToCreate] = []
    over: list[Problem] = []
    room = _room(compiled, {category_id for category_id, _name in merged})
    for option, keys in merged.values():
        planned = attrs.evolve(option, document_keys=tuple(dict.fromkeys(keys)))
        if room.get(option.category_id, 0) > 0:
            room[option.category_id] -= 1
            fits.append(planned)
        else:
            over.extend(_over_capacity(compiled, planned))
    return BatchResolution(
        resolutions=_block(resolutions, over),
        options_to_create=tuple(fits),
        problems=tuple(over),
    )


def _room(compiled: CompiledMapping, needed: set[str]) -> dict[str, int]:
    """Room for new options in the categories that need some (only those are counted)."""
    limit = compiled.schema.capabilities.options_per_category
    return {
        cb.category_id: limit - cb.active_options
        for cb in compiled.bindings
        if cb.category_id in needed
    }


def _over_capacity(compiled: CompiledMapping, option: OptionToCreate) -> list[Problem]:
    limit = compiled.schema.capabilities.options_per_category
    text = (
        f"tracking category {quoted(option.category_name)} needs a new option "
        f"{quoted(option.name)}, but with the options it already has and the others this "
        f"batch creates it would pass the {limit} options a category may hold; archive unused "
        "options in Xero or map the value to an existing option."
    )
    return [
        Problem(
            severity=Severity.ERROR,
            code="category_full",
            message=f"{key}: {text}",
            document_key=key,
            category_id=option.category_id,
            category_name=option.category_name,
            value=option.name,
        )
        for key in option.document_keys
    ]


def _block(resolutions: list[Resolution], problems: list[Problem]) -> tuple[Resolution, ...]:
    if not problems:
        return tuple(resolutions)
    by_document: dict[str, list[Problem]] = {}
    for problem in problems:
        by_document.setdefault(problem.document_key, []).append(problem)
    return tuple(
        attrs.evolve(r, problems=(*r.problems, *by_document[r.document_key]))
        if r.document_key in by_document
        else r
        for r in resolutions
    )
