"""The resolver against a naive reference: same answers, whatever its memos hold.

`naive_resolve` reads the rules of `trackmap._engine._resolve` straight from the mapping, the
schema and the host's fields, line by line and binding by binding, with no memo, no index and
no shared value, and computes the fingerprint with its own encoding. The fast resolver keeps
memos on the compiled mapping across calls; these properties say that nothing it remembers
ever changes what a document resolves to: alone, in a batch, before or after other documents,
on a cold or a warm compiled mapping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import documents, field_specs, mappings, schemas, valid_mappings
from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    Split,
    TableRow,
    TrackingMapping,
)
from trackmap._engine._names import normalise
from trackmap._engine._resolve import resolve, resolve_batch
from trackmap._engine._results import AssignmentRule, Resolution, Severity
from trackmap._engine._rules import CompiledMapping, build_compiled, compile_mapping
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import DocumentError

# --- the naive reference -----------------------------------------------------------------------


@attrs.frozen
class Said:
    """An assignment, a problem or a plan as the reference sees it (messages left out)."""

    what: tuple[object, ...]


class NaiveError(Exception):
    """The reference refuses the document (the resolver must raise DocumentError)."""


_LINE, _DUPLICATE, _DOCUMENT, _KIND = "not a line", "duplicate key", "not a document", "kind"


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _chain(c: CompiledMapping, binding: Binding) -> list[tuple[str, FieldLevel]]:
    levels: dict[str, FieldLevel] = {}
    for spec in c.fields:
        levels.setdefault(spec.name, spec.level)
    return [(name, levels[name]) for name in binding.sources if name in levels]


def _first_value(
    c: CompiledMapping, binding: Binding, document: Document, line: Line
) -> tuple[str, str] | None:
    """The first non-blank value of the chain, read afresh; a non-text value refuses."""
    for name, level in _chain(c, binding):
        fields = line.fields if level is FieldLevel.LINE else document.fields
        value = fields.get(name)
        if value is None:
            continue
        if not _is_text(value):
            raise NaiveError(name)
        text = str.__str__(value)
        if text.strip():
            return name, text
    return None


def _active_named(category: TrackingCategory | None, raw: str) -> TrackingOption | None:
    if category is None:
        return None
    for option in category.options:
        if option.status is TrackingStatus.ACTIVE and normalise(option.name) == normalise(raw):
            return option
    return None


def _inactive_named(category: TrackingCategory | None, raw: str) -> TrackingOption | None:
    if category is None:
        return None
    for option in category.options:
        if option.status is not TrackingStatus.ACTIVE and normalise(option.name) == normalise(raw):
            return option
    return None


def _table_row(binding: Binding, raw: str) -> TableRow | None:
    """The first table row whose key equals the value."""
    assert isinstance(binding.values, ByTable)
    for row in binding.values.rows:
        if normalise(row.value) == normalise(raw):
            return row
    return None


class _Naive:
    """One binding's rules, applied to one value with nothing remembered."""

    def __init__(self, c: CompiledMapping, binding: Binding) -> None:
        self.c = c
        self.binding = binding
        self.category = c.schema.category(binding.category_id)
        self.category_id = binding.category_id

    def outcome(  # noqa: PLR0911 - one return per rule, as the rules read
        self, found: tuple[str, str] | None
    ) -> tuple[str, tuple[object, ...]] | None:
        """("assign", (option id, name, rule, field, value)), ("problem", ...), or None."""
        binding = self.binding
        if found is None:
            if binding.default_option_id is None:
                return None
            return self._send(binding.default_option_id, AssignmentRule.DEFAULT, None, None)
        field, raw = found
        if isinstance(binding.values, ByTable):
            row = _table_row(binding, raw)
            if row is not None and row.split is not None:
                return self._split(row.split, field, raw)
            if row is not None and row.option_id is None:
                return None  # a blank row: explicitly nothing
            if row is not None and row.option_id is not None:
                return self._send(row.option_id, AssignmentRule.TABLE, field, raw)
            return self._unmapped(field, raw)
        option = _active_named(self.category, raw)
        if option is not None:
            return "assign", (option.id, option.name, AssignmentRule.NAME, field, raw, ())
        return self._unmapped(field, raw)

    def _split(self, split: Split, field: str, raw: str) -> tuple[str, tuple[object, ...]]:
        """A split row: valid weights, every option active, each share weight / total."""
        weights = [s.weight for s in split.shares]
        if len(weights) < 2 or not all(w.is_finite() and w > 0 for w in weights):
            return "problem", (Severity.ERROR, "split_invalid", field, raw)
        shares = []
        for share in split.shares:
            sent = self._send(share.option_id, AssignmentRule.SPLIT, field, raw)
            if sent[0] == "problem":
                return sent
            part = Fraction(share.weight) / sum(Fraction(w) for w in weights)
            shares.append((sent[1][0], sent[1][1], part))
        first_id, first_name, _ = shares[0]
        return "assign", (first_id, first_name, AssignmentRule.SPLIT, field, raw, tuple(shares))

    def _send(
        self, option_id: str, rule: AssignmentRule, field: str | None, raw: str | None
    ) -> tuple[str, tuple[object, ...]]:
        option = None if self.category is None else self.category.option(option_id)
        if option is None:
            return "problem", (Severity.ERROR, "option_missing", field, raw)
        if option.status is TrackingStatus.ACTIVE:
            return "assign", (option.id, option.name, rule, field, raw, ())
        state = "archived" if option.status is TrackingStatus.ARCHIVED else "deleted"
        return "problem", (Severity.ERROR, f"option_{state}", field, raw)

    def _unmapped(  # noqa: PLR0911 - one return per on_unmapped case, as the rules read
        self, field: str, raw: str
    ) -> tuple[str, tuple[object, ...]] | None:
        binding = self.binding
        table = isinstance(binding.values, ByTable)
        inactive = None if table else _inactive_named(self.category, raw)
        state = None
        if inactive is not None:
            state = "archived" if inactive.status is TrackingStatus.ARCHIVED else "deleted"
        mode = binding.on_unmapped
        if mode is OnUnmapped.SKIP:
            if inactive is None:
                return None
            return "problem", (Severity.WARNING, f"option_{state}", field, raw)
        if mode is OnUnmapped.DEFAULT:
            if binding.default_option_id is None:
                return "problem", (Severity.ERROR, "default_needed", field, raw)
            return self._send(binding.default_option_id, AssignmentRule.DEFAULT, field, raw)
        if mode is OnUnmapped.CREATE:
            if table:
                return "problem", (Severity.ERROR, "create_needs_by_name", field, raw)
            if inactive is not None:
                return "problem", (Severity.ERROR, f"option_{state}", field, raw)
            if len(raw.strip()) > self.c.schema.capabilities.option_name_length:
                return "problem", (Severity.ERROR, "option_name_too_long", field, raw)
            return "assign", (None, raw.strip(), AssignmentRule.CREATE, field, raw, ())
        return "problem", (Severity.ERROR, "unmapped_value", field, raw)


def _check_lines(document: Document) -> None:
    keys = []
    for line in document.lines:
        if not isinstance(line, Line) or not isinstance(line.key, str):
            raise NaiveError(_LINE)
        keys.append(str.__str__(line.key))
    if len(set(keys)) != len(keys):
        raise NaiveError(_DUPLICATE)


def naive_resolve(c: CompiledMapping, document: Document) -> dict[str, object]:
    """What the rules say for one document, with everything read afresh."""
    if not isinstance(document, Document) or not isinstance(document.key, str):
        raise NaiveError(_DOCUMENT)
    if not isinstance(document.kind, DocumentKind):
        raise NaiveError(_KIND)
    _check_lines(document)
    bindings = [_Naive(c, b) for b in c.mapping.bindings]
    lines, problems, plans = [], [], {}
    for line in document.lines:
        key = str.__str__(line.key)
        assigned: list[tuple[object, ...]] = []
        for naive in bindings:
            found = _first_value(c, naive.binding, document, line)
            result = naive.outcome(found)
            placed = _compose_one(
                c, naive=naive, found=found, result=result, assigned=assigned, line_key=key
            )
            problems.extend(placed)
        for a in assigned:
            if a[1] is None:
                plans.setdefault((a[0], normalise(a[2])), (a[0], a[2]))
        lines.append((key, tuple(assigned)))
    return {
        "key": str.__str__(document.key),
        "lines": lines,
        "problems": problems,
        "plans": list(plans.values()),
        "fingerprint": naive_fingerprint(document.kind, lines),
    }


def _compose_one(
    c: CompiledMapping,
    *,
    naive: _Naive,
    found: tuple[str, str] | None,
    result: tuple[str, tuple[object, ...]] | None,
    assigned: list[tuple[object, ...]],
    line_key: str,
) -> list[tuple[object, ...]]:
    """Put one binding's outcome on the line; return the problems it gives there."""
    problems: list[tuple[object, ...]] = []
    category = naive.category_id
    if result is not None and result[0] == "problem":
        problems.append((line_key, category, *result[1]))
        return problems
    if result is None:
        if naive.binding.required:
            field, raw = found if found is not None else (None, None)
            problems.append((line_key, category, Severity.ERROR, "required_missing", field, raw))
        return problems
    option_id, option_name, rule, field, raw, shares = result[1]
    if any(a[0] == category for a in assigned):
        problems.append((line_key, category, Severity.ERROR, "category_bound_twice", field, raw))
    elif len(assigned) >= c.schema.capabilities.entries_per_line:
        problems.append((line_key, category, Severity.ERROR, "too_many_entries", field, raw))
    else:
        assigned.append((category, option_id, option_name, rule, field, raw, shares))
    return problems


def naive_fingerprint(kind: DocumentKind, lines: Sequence[tuple[str, tuple]]) -> str:
    """The fingerprint's definition, encoded here independently of the engine."""

    def t(value: str) -> str:
        return f"{len(value)}:{value}"

    parts = [t(kind.value)]
    for key, assigned in lines:
        parts.append(t(key) + f"{len(assigned)}|")
        for category, option_id, option_name, *_, shares in assigned:
            option = option_id if option_id is not None else "new:" + normalise(option_name)
            if shares:
                option = "split:" + "".join(
                    t(i)
                    + t(
                        f"{p.numerator}/{p.denominator}" if p.denominator != 1 else str(p.numerator)
                    )
                    for i, _, p in shares
                )
            parts.append(t(category) + t(option))
    return hashlib.sha256("".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def engine_view(r: Resolution) -> dict[str, object]:
    """The same facts read from an engine resolution (capacity checks are the batch's)."""
    lines = [
        (
            line.key,
            tuple(
                (
                    a.category_id,
                    a.option_id,
                    a.option_name,
                    a.explanation.rule,
                    a.explanation.field,
                    a.explanation.value,
                    tuple((s.option_id, s.option_name, s.share) for s in a.shares),
                )
                for a in line.assignments
            ),
        )
        for line in r.lines
    ]
    problems = [
        (p.line_key, p.category_id, p.severity, p.code, p.field, p.value)
        for p in r.problems
        if p.code != "category_full"
    ]
    return {
        "key": r.document_key,
        "lines": lines,
        "problems": problems,
        "plans": [(o.category_id, o.name) for o in r.options_to_create],
        "fingerprint": r.fingerprint,
    }


def oracle_or_error(c: CompiledMapping, document: Document) -> object:
    try:
        return naive_resolve(c, document)
    except NaiveError:
        return DocumentError


def engine_or_error(c: CompiledMapping, document: Document) -> object:
    try:
        return engine_view(resolve(c, document))
    except DocumentError:
        return DocumentError


# --- strategies: documents that share values, so memos are hit ---------------------------------

#: A small pool, with blank and whitespace-only values, so documents share values and shapes.
SHARED_POOL = ("Perth", "perth", "Sydney", "J100", "Ann", "Bob", "", "", "  ", None)

#: Fields of both levels, so chains often run from a line field to a document field.
MIXED_FIELDS = (
    FieldSpec(name="stage_manager", level=FieldLevel.LINE),
    FieldSpec(name="project_manager", level=FieldLevel.DOCUMENT),
    FieldSpec(name="job", level=FieldLevel.LINE),
    FieldSpec(name="branch", level=FieldLevel.DOCUMENT),
)


@st.composite
def related_documents(draw: st.DrawFn, fields: Sequence[FieldSpec]) -> list[Document]:
    """Several documents drawn from one small pool of values, line keys often repeated."""
    doc_fields = [f.name for f in fields if f.level is FieldLevel.DOCUMENT]
    line_fields = [f.name for f in fields if f.level is FieldLevel.LINE]
    values = st.sampled_from(SHARED_POOL)
    count = draw(st.integers(min_value=2, max_value=8))
    docs = []
    for n in range(count):
        lines = tuple(
            Line(key=str(k + 1), fields={name: draw(values) for name in line_fields})
            for k in range(draw(st.integers(min_value=1, max_value=4)))
        )
        docs.append(
            Document(
                key=f"D-{n}",
                kind=draw(st.sampled_from((DocumentKind.SALES_INVOICE, DocumentKind.BILL))),
                fields={name: draw(values) for name in doc_fields},
                lines=lines,
            )
        )
    return docs


@st.composite
def scenarios(draw: st.DrawFn, *, valid: bool) -> tuple[CompiledMapping, list[Document]]:
    schema = draw(schemas(tracking_on=True))
    fields = draw(st.one_of(field_specs(min_size=1), st.just(MIXED_FIELDS)))
    mapping = draw(
        valid_mappings(schema, fields, min_size=1) if valid else mappings(schema, fields)
    )
    c = (
        compile_mapping(mapping, schema, fields)
        if valid
        else build_compiled(mapping, schema, fields)
    )
    docs = draw(
        st.one_of(
            related_documents(fields),
            st.lists(documents(fields, min_lines=1), min_size=2, max_size=5),
        )
    )
    return c, docs


def fresh(c: CompiledMapping) -> CompiledMapping:
    """The same compiled mapping with a cold cache."""
    return build_compiled(c.mapping, c.schema, c.fields)


class TestAgainstTheOracle:
    """The resolver agrees with the naive reference, document by document."""

    @given(scenarios(valid=True))
    def test_a_valid_mapping_resolves_as_the_rules_say(self, scenario):
        """For a mapping that compiles: every document resolves as the naive reference says,
        in the order given (the cache warms up as it goes)."""
        c, docs = scenario
        assert [oracle_or_error(c, d) for d in docs] == [engine_or_error(c, d) for d in docs]

    @given(scenarios(valid=False))
    def test_any_mapping_resolves_as_the_rules_say(self, scenario):
        """The same for a mapping that was never checked (stale options, missing categories)."""
        c, docs = scenario
        assert [oracle_or_error(c, d) for d in docs] == [engine_or_error(c, d) for d in docs]

    @given(scenarios(valid=False), st.randoms(use_true_random=False))
    def test_a_batch_resolves_each_document_exactly_as_alone(self, scenario, rng):
        """Each document of a batch (any order, repeats, a warm cache) resolves exactly as it
        does alone on a cold compiled mapping: the same value, messages and fingerprint."""
        c, docs = scenario
        order = [*docs, *rng.sample(docs, len(docs))]
        try:
            batch = resolve_batch(c, order).resolutions
        except DocumentError:
            batch = None
        alone = []
        for d in order:
            try:
                alone.append(resolve(fresh(c), d))
            except DocumentError:
                alone.append(None)
        if batch is None:
            assert None in alone
            return

        def essence(r: Resolution):
            problems = tuple(p for p in r.problems if p.code != "category_full")
            return (r.document_key, r.lines, problems, r.options_to_create, r.fingerprint)

        assert [essence(r) for r in alone] == [essence(r) for r in batch]


# --- the two mutations the issue names, as plain examples --------------------------------------

FIELDS = (
    FieldSpec(name="stage_manager", level=FieldLevel.LINE),
    FieldSpec(name="project_manager", level=FieldLevel.DOCUMENT),
    FieldSpec(name="branch", level=FieldLevel.DOCUMENT),
)
REGION = TrackingCategory(
    id="region",
    name="Region",
    options=(TrackingOption(id="perth", name="Perth"), TrackingOption(id="sydney", name="Sydney")),
)
SCHEMA = TrackingSchema(categories=(REGION,))


def _doc(key: str, doc_fields: dict[str, str | None], *line_values: str | None) -> Document:
    return Document(
        key=key,
        kind=DocumentKind.SALES_INVOICE,
        fields=doc_fields,
        lines=tuple(
            Line(key=str(n + 1), fields={"stage_manager": v}) for n, v in enumerate(line_values)
        ),
    )


class TestTheNamedMutations:
    """Each of the two cache mutations the issue names fails one of these."""

    @pytest.mark.parametrize("blank", ["", "  ", "\t"])
    def test_a_blank_line_value_is_never_cached_across_documents(self, blank):
        """A blank line value falls back to each document's own value (caching its result
        would give document 2 the option of document 1)."""
        table = ByTable(rows={"Ann": "perth", "Bob": "sydney"})
        binding = Binding(
            category_id="region", sources=("stage_manager", "project_manager"), values=table
        )
        c = compile_mapping(TrackingMapping(bindings=(binding,)), SCHEMA, FIELDS)
        one = _doc("INV-1", {"project_manager": "Ann"}, "Bob", blank)
        two = _doc("INV-2", {"project_manager": "Bob"}, "Ann", blank)
        batch = resolve_batch(c, [one, two]).resolutions
        got = [[a.option_id for a in line.assignments] for r in batch for line in r.lines]
        assert [["sydney"], ["perth"], ["perth"], ["sydney"]] == got

    @pytest.mark.parametrize("spaces", [" ", "   ", "\t\n"])
    def test_a_whitespace_only_document_value_does_not_stop_the_chain(self, spaces):
        """A document value of only white space is blank: the chain goes on to the next one."""
        binding = Binding(
            category_id="region", sources=("branch", "project_manager"), values=ByName()
        )
        c = compile_mapping(TrackingMapping(bindings=(binding,)), SCHEMA, FIELDS)
        doc = _doc("INV-1", {"branch": spaces, "project_manager": "Sydney"}, None)
        assert [("region", "sydney")] == [
            (a.category_id, a.option_id) for a in resolve(c, doc).lines[0].assignments
        ]

    def test_a_whitespace_only_line_value_does_not_stop_the_chain(self):
        """The same on a line: white space only falls back to the document's value."""
        binding = Binding(
            category_id="region", sources=("stage_manager", "project_manager"), values=ByName()
        )
        c = compile_mapping(TrackingMapping(bindings=(binding,)), SCHEMA, FIELDS)
        doc = _doc("INV-1", {"project_manager": "Perth"}, " \t")
        assert ["perth"] == [a.option_id for a in resolve(c, doc).lines[0].assignments]


class TestTheQuickPaths:
    """The memos of the one-field loops never carry one document's answer to another."""

    def test_results_by_position_are_per_document_values(self):
        """Documents with the same line keys and line values but another job each get their own
        job: the results found by position belong to one set of document-level values."""
        jobs = TrackingCategory(
            id="job",
            name="Job",
            options=(TrackingOption(id="j1", name="J1"), TrackingOption(id="j2", name="J2")),
        )
        schema = TrackingSchema(categories=(REGION, jobs))
        fields = (*FIELDS, FieldSpec(name="job", level=FieldLevel.DOCUMENT))
        region = Binding(
            category_id="region",
            sources=("stage_manager", "project_manager"),
            values=ByTable(rows={"Ann": "perth", "Bob": "sydney"}),
        )
        job = Binding(category_id="job", sources=("job",), values=ByName())
        c = compile_mapping(TrackingMapping(bindings=(region, job)), schema, fields)
        docs = [
            _doc(f"INV-{n}", {"project_manager": pm, "job": j}, "Ann", None, "Bob", " ")
            for n, (pm, j) in enumerate(
                [("Ann", "J1"), ("Bob", "J2"), ("Bob", "J1"), ("Ann", "J2"), ("Ann", "J1")]
            )
        ]
        batch = resolve_batch(c, [*docs, *reversed(docs)]).resolutions
        alone = [resolve(fresh(c), d) for d in [*docs, *reversed(docs)]]
        assert [r.lines for r in alone] == [r.lines for r in batch]
        assert [["perth", "j2"], ["sydney", "j2"], ["sydney", "j2"], ["sydney", "j2"]] == [
            [a.option_id for a in line.assignments] for line in batch[1].lines
        ]

    def test_a_longer_document_with_the_same_first_keys(self):
        """Key sequences differ by length: each document's lines are its own."""
        table = ByTable(rows={"Ann": "perth", "Bob": "sydney"})
        binding = Binding(
            category_id="region", sources=("stage_manager", "project_manager"), values=table
        )
        c = compile_mapping(TrackingMapping(bindings=(binding,)), SCHEMA, FIELDS)
        docs = [
            _doc("A", {"project_manager": "Ann"}, "Bob", ""),
            _doc("B", {"project_manager": "Bob"}, "Bob", "", "Ann"),
            _doc("C", {"project_manager": "Ann"}, "Bob", ""),
            _doc("D", {"project_manager": "Bob"}, "Ann", None, "Ann"),
        ]
        batch = resolve_batch(c, docs * 2).resolutions
        alone = [resolve(fresh(c), d) for d in docs * 2]
        assert [r.lines for r in alone] == [r.lines for r in batch]
