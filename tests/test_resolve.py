"""Tests for trackmap._engine._resolve: resolve, resolve_batch and the fingerprint."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import (
    VALUE_POOL,
    arbitrary_documents,
    documents,
    field_specs,
    mappings,
    schemas,
    valid_mappings,
)
from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TrackingMapping,
)
from trackmap._engine._names import normalise
from trackmap._engine._resolve import fingerprint, resolve, resolve_batch
from trackmap._engine._results import AssignmentRule, Explanation, Resolution, Severity
from trackmap._engine._rules import build_compiled, compile_mapping
from trackmap._engine._schema import (
    Capabilities,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import DocumentError

FIELDS = (
    FieldSpec(name="stage_manager", level=FieldLevel.LINE, label="Stage manager"),
    FieldSpec(name="project_manager", level=FieldLevel.DOCUMENT, label="Project manager"),
    FieldSpec(name="job_number", level=FieldLevel.DOCUMENT, label="Job number"),
)
REGION = TrackingCategory(
    id="region",
    name="Region",
    options=(
        TrackingOption(id="perth", name="Perth"),
        TrackingOption(id="sydney", name="Sydney"),
        TrackingOption(id="hobart", name="Hobart"),
        TrackingOption(id="darwin", name="Darwin", status=TrackingStatus.ARCHIVED),
    ),
)
JOB = TrackingCategory(
    id="job",
    name="Job",
    options=(
        TrackingOption(id="j100", name="J100"),
        TrackingOption(id="j050", name="J050", status=TrackingStatus.ARCHIVED),
        TrackingOption(id="j040", name="J040", status=TrackingStatus.DELETED),
    ),
)
SCHEMA = TrackingSchema(categories=(REGION, JOB))
STAFF_TABLE = ByTable(rows={"Ann": "perth", "Bob": "sydney", "Cleo": None})


def invoice(key: str = "INV-1", fields=None, *lines: dict[str, str | None]) -> Document:
    return Document(
        key=key,
        kind=DocumentKind.SALES_INVOICE,
        fields=fields or {},
        lines=tuple(Line(key=str(n + 1), fields=f) for n, f in enumerate(lines)),
    )


def compiled(*bindings: Binding, schema: TrackingSchema = SCHEMA):
    return compile_mapping(TrackingMapping(bindings=bindings), schema, FIELDS)


def options(resolution: Resolution) -> list[list[tuple[str, str | None]]]:
    return [[(a.category_id, a.option_id) for a in line.assignments] for line in resolution.lines]


def staff_binding(**kw) -> Binding:
    return Binding(
        category_id="region", sources=("stage_manager", "project_manager"), values=STAFF_TABLE, **kw
    )


def job_binding(**kw) -> Binding:
    return Binding(category_id="job", sources=("job_number",), values=ByName(), **kw)


class TestSynergy:
    """Record types resolved per line or per document; tables with blank rows; "None"."""

    def test_stage_manager_resolves_per_line(self):
        c = compiled(staff_binding())
        r = resolve(c, invoice("INV-1", {}, {"stage_manager": "Ann"}, {"stage_manager": "Bob"}))
        assert [[("region", "perth")], [("region", "sydney")]] == options(r)

    def test_project_manager_resolves_per_document(self):
        binding = Binding(category_id="region", sources=("project_manager",), values=STAFF_TABLE)
        doc = invoice("INV-1", {"project_manager": "Bob"}, {"stage_manager": "Ann"}, {})
        assert [[("region", "sydney")], [("region", "sydney")]] == options(
            resolve(compiled(binding), doc)
        )

    def test_the_chain_falls_back_from_line_to_document(self):
        doc = invoice("INV-1", {"project_manager": "Bob"}, {"stage_manager": "  "}, {})
        r = resolve(compiled(staff_binding()), doc)
        assert [[("region", "sydney")], [("region", "sydney")]] == options(r)
        explanation = r.lines[0].assignments[0].explanation
        assert (
            Explanation(rule=AssignmentRule.TABLE, field="project_manager", value="Bob")
            == explanation
        )

    def test_a_blank_table_row_sends_nothing_for_that_category_not_the_default(self):
        c = compiled(staff_binding(default_option_id="hobart", on_unmapped=OnUnmapped.DEFAULT))
        r = resolve(c, invoice("INV-1", {}, {"stage_manager": "cleo"}, {"stage_manager": "Zed"}))
        assert [[], [("region", "hobart")]] == options(r)
        assert () == r.problems

    def test_a_binding_with_no_sources_sends_nothing(self):
        c = compiled(Binding(category_id="region", sources=(), values=STAFF_TABLE))
        r = resolve(c, invoice("INV-1", {"project_manager": "Ann"}, {"stage_manager": "Ann"}))
        assert ([[]], ()) == (options(r), r.problems)

    def test_table_keys_match_after_normalisation(self):
        r = resolve(compiled(staff_binding()), invoice("INV-1", {}, {"stage_manager": " ANN "}))
        assert [[("region", "perth")]] == options(r)


class TestStreamtimeJobNumbers:
    """By-name bindings: the value is the option name; create or error when there is none."""

    def test_a_job_number_names_its_option(self):
        r = resolve(compiled(job_binding()), invoice("INV-1", {"job_number": "j100"}, {}))
        assert [[("job", "j100")]] == options(r)
        assert AssignmentRule.NAME is r.lines[0].assignments[0].explanation.rule

    def test_a_new_job_number_is_planned_for_creation_under_create(self):
        c = compiled(job_binding(on_unmapped=OnUnmapped.CREATE))
        r = resolve(c, invoice("INV-1", {"job_number": " J300 "}, {}, {}))
        assert [[("job", None)], [("job", None)]] == options(r)
        assignment = r.lines[0].assignments[0]
        assert ("J300", AssignmentRule.CREATE) == (
            assignment.option_name,
            assignment.explanation.rule,
        )
        [planned] = r.options_to_create
        assert ("job", "J300", ("INV-1",)) == (
            planned.category_id,
            planned.name,
            planned.document_keys,
        )
        assert r.ok

    def test_a_new_job_number_is_an_error_under_error(self):
        c = compiled(job_binding(on_unmapped=OnUnmapped.ERROR))
        r = resolve(c, invoice("INV-1", {"job_number": "J300"}, {}))
        assert ([[]], ()) == (options(r), r.options_to_create)
        [problem] = r.problems
        assert (Severity.ERROR, "unmapped_value", "INV-1", "1", "J300") == (
            problem.severity,
            problem.code,
            problem.document_key,
            problem.line_key,
            problem.value,
        )
        assert problem.message == (
            'INV-1, line 1: Job number is "J300", but tracking category "Job" has no active '
            "option of that name; add it in Xero or change the record."
        )
        assert not r.ok

    def test_a_name_match_on_an_archived_option_is_not_a_match(self):
        r = resolve(compiled(job_binding()), invoice("INV-1", {"job_number": "J050"}, {}))
        assert [[]] == options(r)
        [warning] = r.problems
        assert (Severity.WARNING, "option_archived") == (warning.severity, warning.code)
        assert r.ok

    def test_an_archived_name_is_never_created_again(self):
        c = compiled(job_binding(on_unmapped=OnUnmapped.CREATE))
        r = resolve(c, invoice("INV-1", {"job_number": "j050"}, {}))
        assert ([[]], (), ["option_archived"]) == (
            options(r),
            r.options_to_create,
            [p.code for p in r.errors],
        )

    def test_a_name_too_long_to_create_is_an_error(self):
        schema = TrackingSchema(categories=(JOB,), capabilities=Capabilities(option_name_length=5))
        c = compiled(job_binding(on_unmapped=OnUnmapped.CREATE), schema=schema)
        r = resolve(c, invoice("INV-1", {"job_number": "J123456"}, {}))
        assert ([[]], ["option_name_too_long"]) == (options(r), [p.code for p in r.errors])


class TestDefaultsAndRequired:
    """Defaults fill an empty chain; required categories must get an option on every line."""

    def test_the_default_serves_when_the_chain_yields_nothing(self):
        c = compiled(staff_binding(default_option_id="hobart"))
        r = resolve(c, invoice("INV-1", {}, {}))
        assert [[("region", "hobart")]] == options(r)
        assert Explanation(rule=AssignmentRule.DEFAULT) == r.lines[0].assignments[0].explanation

    def test_skip_leaves_an_unmapped_value_without_the_default(self):
        c = compiled(staff_binding(default_option_id="hobart"))
        r = resolve(c, invoice("INV-1", {}, {"stage_manager": "Zed"}))
        assert ([[]], ()) == (options(r), r.problems)

    def test_required_without_an_option_is_an_error_on_the_line(self):
        c = compiled(staff_binding(required=True))
        r = resolve(c, invoice("INV-1", {}, {"stage_manager": "Ann"}, {"stage_manager": "Cleo"}))
        [problem] = r.problems
        assert ("required_missing", "2", "Cleo") == (problem.code, problem.line_key, problem.value)

    def test_an_unmapped_error_is_not_reported_twice_when_required(self):
        c = compiled(job_binding(on_unmapped=OnUnmapped.ERROR, required=True))
        r = resolve(c, invoice("INV-1", {"job_number": "J9"}, {}))
        assert ["unmapped_value"] == [p.code for p in r.problems]


class TestStaleCompiledMappings:
    """An option that is not active in the compiled schema is never sent."""

    def test_a_table_row_pointing_at_an_archived_option_is_an_error_not_a_send(self):
        binding = Binding(
            category_id="region", sources=("stage_manager",), values=ByTable(rows={"Dan": "darwin"})
        )
        stale = build_compiled(TrackingMapping(bindings=(binding,)), SCHEMA, FIELDS)
        r = resolve(stale, invoice("INV-1", {}, {"stage_manager": "Dan"}))
        assert ([[]], ["option_archived"]) == (options(r), [p.code for p in r.errors])
        assert 'the table maps "Dan" to option "Darwin", which is archived' in r.errors[0].message

    def test_a_default_that_is_gone_is_an_error(self):
        binding = Binding(category_id="region", default_option_id="nowhere")
        stale = build_compiled(TrackingMapping(bindings=(binding,)), SCHEMA, FIELDS)
        assert ["option_missing"] == [p.code for p in resolve(stale, invoice("I", {}, {})).errors]


class TestLineLimits:
    """At most one option per category and ``entries_per_line`` entries per line."""

    def test_entries_past_the_limit_are_reported_not_silently_dropped(self):
        schema = TrackingSchema(
            categories=(REGION, JOB), capabilities=Capabilities(entries_per_line=1)
        )
        c = compiled(staff_binding(), job_binding(), schema=schema)
        r = resolve(c, invoice("INV-1", {"job_number": "J100"}, {"stage_manager": "Ann"}))
        assert [[("region", "perth")]] == options(r)
        [problem] = r.problems
        assert ("too_many_entries", "job", "J100") == (
            problem.code,
            problem.category_id,
            problem.value,
        )

    def test_a_category_bound_twice_gets_one_option(self):
        twice = TrackingMapping(bindings=(staff_binding(), staff_binding()))
        stale = build_compiled(twice, SCHEMA, FIELDS)
        r = resolve(stale, invoice("INV-1", {}, {"stage_manager": "Ann"}))
        assert ([[("region", "perth")]], ["category_bound_twice"]) == (
            options(r),
            [p.code for p in r.errors],
        )


class TestDocumentErrors:
    """Documents the engine cannot take raise DocumentError naming document and line."""

    def test_duplicate_line_keys(self):
        doc = Document(key="INV-9", kind=DocumentKind.BILL, lines=(Line(key="1"), Line(key="1")))
        with pytest.raises(DocumentError, match='INV-9 has two lines with the key "1"'):
            resolve(compiled(staff_binding()), doc)

    def test_a_value_that_is_not_text(self):
        doc = invoice("INV-9", {}, {"stage_manager": 42})
        with pytest.raises(DocumentError) as caught:
            resolve(compiled(staff_binding()), doc)
        expected = (
            'Document INV-9, line 1: field "stage_manager" holds the int 42, which is not text; '
            "a source adapter must turn every field value into text (or None)."
        )
        assert ("INV-9", expected) == (caught.value.document_key, str(caught.value))

    def test_a_value_the_mapping_does_not_read_is_not_checked(self):
        doc = invoice("INV-9", {"unrelated": 3}, {"stage_manager": "Ann", "other": 4.5})
        assert [[("region", "perth")]] == options(resolve(compiled(staff_binding()), doc))

    def test_an_unhashable_line_value_that_is_read(self):
        doc = invoice("INV-9", {}, {"stage_manager": "Ann"}, {"stage_manager": ["Ann"]})
        with pytest.raises(DocumentError, match='INV-9, line 2: field "stage_manager" holds'):
            resolve(compiled(staff_binding()), doc)

    def test_a_document_value_that_is_not_text_is_named_with_the_line_that_reads_it(self):
        doc = invoice("INV-9", {"project_manager": {"x": 1}}, {"stage_manager": "Ann"}, {})
        with pytest.raises(DocumentError, match='INV-9, line 2: field "project_manager" holds'):
            resolve(compiled(staff_binding()), doc)

    def test_a_document_value_no_line_falls_back_to_is_not_checked(self):
        doc = invoice("INV-9", {"project_manager": ["Bob"]}, {"stage_manager": "Ann"})
        assert [[("region", "perth")]] == options(resolve(compiled(staff_binding()), doc))

    def test_something_that_is_not_a_document(self):
        with pytest.raises(DocumentError, match="Expected a trackmap Document"):
            resolve(compiled(staff_binding()), "INV-1")  # type: ignore[arg-type]

    def test_documents_that_are_not_iterable(self):
        with pytest.raises(DocumentError, match="must be an iterable"):
            resolve_batch(compiled(staff_binding()), 7)  # type: ignore[arg-type]


class TestBatches:
    """Options to create are merged across a batch and checked against the capacity."""

    def test_options_to_create_are_deduplicated_keeping_the_first_spelling(self):
        c = compiled(job_binding(on_unmapped=OnUnmapped.CREATE))
        docs = [
            invoice("A", {"job_number": "J300"}, {}),
            invoice("B", {"job_number": "j300 "}, {}),
            invoice("C", {"job_number": "J400"}, {}),
            invoice("D", {"job_number": "J300"}, {}),
        ]
        batch = resolve_batch(c, docs)
        assert [("J300", ("A", "B", "D")), ("J400", ("C",))] == [
            (o.name, o.document_keys) for o in batch.options_to_create
        ]
        fingerprints = [r.fingerprint for r in batch.resolutions]
        assert 2 == len(set(fingerprints))
        assert fingerprints[0] == fingerprints[1] == fingerprints[3]

    def test_options_over_the_category_capacity_block_the_documents_that_need_them(self):
        schema = TrackingSchema(
            categories=(JOB,), capabilities=Capabilities(options_per_category=2)
        )
        c = compiled(job_binding(on_unmapped=OnUnmapped.CREATE), schema=schema)
        docs = [
            invoice(k, {"job_number": v}, {}) for k, v in [("A", "J1"), ("B", "J2"), ("C", "J1")]
        ]
        batch = resolve_batch(c, docs)
        assert ["J1"] == [o.name for o in batch.options_to_create]
        assert [("category_full", "B")] == [(p.code, p.document_key) for p in batch.problems]
        assert [True, False, True] == [r.ok for r in batch.resolutions]
        assert "would pass the 2 options a category may hold" in batch.problems[0].message

    def test_resolve_is_a_batch_of_one(self):
        c = compiled(staff_binding(), job_binding(on_unmapped=OnUnmapped.CREATE))
        doc = invoice("A", {"job_number": "J7"}, {"stage_manager": "Bob"})
        assert resolve_batch(c, [doc]).resolutions == (resolve(c, doc),)


class TestFingerprint:
    """The fingerprint covers exactly the ids that would be sent."""

    def test_it_ignores_explanations(self):
        c = compiled(staff_binding())
        one = resolve(c, invoice("INV-1", {}, {"stage_manager": "Ann"}))
        other = resolve(c, invoice("INV-1", {"project_manager": "ann"}, {}))
        assert one.lines[0].assignments != other.lines[0].assignments
        assert one.fingerprint == other.fingerprint

    def test_it_changes_with_the_option_and_the_kind(self):
        c = compiled(staff_binding())
        ann = resolve(c, invoice("INV-1", {}, {"stage_manager": "Ann"}))
        bob = resolve(c, invoice("INV-1", {}, {"stage_manager": "Bob"}))
        bill = resolve(c, Document(key="INV-1", kind=DocumentKind.BILL, lines=ann_lines()))
        assert 3 == len({ann.fingerprint, bob.fingerprint, bill.fingerprint})

    def test_the_public_function_agrees_with_resolve(self):
        c = compiled(staff_binding(), job_binding(on_unmapped=OnUnmapped.CREATE))
        r = resolve(c, invoice("INV-1", {"job_number": "J5"}, {"stage_manager": "Ann"}, {}))
        assert r.fingerprint == fingerprint(r.kind, r.lines)
        assert 64 == len(r.fingerprint)


def ann_lines() -> tuple[Line, ...]:
    return (Line(key="1", fields={"stage_manager": "Ann"}),)


def sent(resolution: Resolution) -> tuple[object, ...]:
    """The tracking that would be sent, as the fingerprint's definition reads it."""
    return (
        resolution.kind,
        tuple(
            (
                line.key,
                tuple(
                    (a.category_id, a.option_id or "new:" + normalise(a.option_name))
                    for a in line.assignments
                ),
            )
            for line in resolution.lines
        ),
    )


@st.composite
def scenarios(draw, *, valid: bool = False):
    """A schema, fields, a compiled mapping (checked or not) and a document."""
    schema = draw(schemas(tracking_on=True))
    fields = draw(field_specs(min_size=1))
    strategy = valid_mappings(schema, fields, min_size=2) if valid else mappings(schema, fields)
    mapping = draw(strategy)
    c = (
        compile_mapping(mapping, schema, fields)
        if valid
        else build_compiled(mapping, schema, fields)
    )
    return schema, fields, c, draw(documents(fields, min_lines=1))


class TestResolutionProperties:
    """Invariants of resolution over any schema, mapping and document."""

    @given(scenarios())
    def test_a_line_never_gets_two_options_of_a_category_or_too_many_entries(self, scenario):
        """For any (even unchecked) mapping: each line's category ids are distinct and number
        at most entries_per_line."""
        schema, _, c, doc = scenario
        for line in resolve(c, doc).lines:
            categories = [a.category_id for a in line.assignments]
            assert len(set(categories)) == len(categories)
            assert len(categories) <= schema.capabilities.entries_per_line

    @given(scenarios())
    def test_no_archived_or_deleted_option_is_ever_assigned(self, scenario):
        """Every assigned option is ACTIVE in its category, or is planned for creation."""
        schema, _, c, doc = scenario
        for line in resolve(c, doc).lines:
            for a in line.assignments:
                if a.option_id is None:
                    assert AssignmentRule.CREATE is a.explanation.rule
                else:
                    option = schema.category(a.category_id).option(a.option_id)
                    assert TrackingStatus.ACTIVE is option.status

    @given(scenarios(valid=True))
    def test_resolution_is_deterministic(self, scenario):
        """Resolving the same document twice, alone or in a batch, gives equal resolutions."""
        _, _, c, doc = scenario
        first = resolve(c, doc)
        assert first == resolve(c, doc)
        assert first.lines == resolve_batch(c, [doc, doc]).resolutions[1].lines

    @given(data=st.data(), scenario=scenarios(valid=True))
    def test_the_fingerprint_changes_iff_the_sent_tracking_changes(self, data, scenario):
        """For a document and a variant with some values changed, the fingerprints are equal
        exactly when the (kind, line key, category id, option id or new name) tuples are."""
        _, fields, c, doc = scenario
        variant = data.draw(variants(doc, fields))
        one, other = resolve(c, doc), resolve(c, variant)
        assert (sent(one) == sent(other)) == (one.fingerprint == other.fingerprint)

    @given(data=st.data(), scenario=scenarios())
    def test_resolve_raises_only_trackmap_errors(self, data, scenario):
        """Any input gives a Resolution or a DocumentError, never another exception."""
        _, fields, c, _ = scenario
        doc = data.draw(st.one_of(documents(fields), arbitrary_documents()))
        try:
            result = resolve(c, doc)
        except DocumentError:
            return
        assert isinstance(result, Resolution)


@st.composite
def variants(draw, doc: Document, fields):
    """The document with some field values swapped for others from the pool."""
    values = st.sampled_from((*VALUE_POOL, None, ""))
    doc_fields = {k: draw(values) if draw(st.booleans()) else v for k, v in doc.fields.items()}
    lines = tuple(
        Line(
            key=line.key,
            fields={k: draw(values) if draw(st.booleans()) else v for k, v in line.fields.items()},
        )
        for line in doc.lines
    )
    return Document(key=doc.key, kind=doc.kind, fields=doc_fields, lines=lines)


class TestBatchProperties:
    """Invariants of the options to create across a batch."""

    @given(data=st.data(), scenario=scenarios(valid=True))
    def test_options_to_create_are_unique_and_within_capacity(self, data, scenario):
        """Planned options are unique by category and normalised name; per category, active
        plus planned options never exceed options_per_category; every document that needs a
        planned option is listed on it, and every one that cannot get it is blocked."""
        schema, fields, c, _ = scenario
        docs = data.draw(st.lists(documents(fields, min_lines=1), max_size=4))
        batch = resolve_batch(c, docs)
        keys = [(o.category_id, normalise(o.name)) for o in batch.options_to_create]
        assert len(set(keys)) == len(keys)
        limit = schema.capabilities.options_per_category
        for category in {o.category_id for o in batch.options_to_create}:
            active = len(schema.category(category).active_options)
            assert active + sum(o.category_id == category for o in batch.options_to_create) <= limit
        for r in batch.resolutions:
            for needed in r.options_to_create:
                key = (needed.category_id, normalise(needed.name))
                if key in keys:
                    assert r.document_key in batch.options_to_create[keys.index(key)].document_keys
                else:
                    assert "category_full" in [p.code for p in r.errors]

    @given(scenarios(valid=True))
    def test_assignments_follow_the_bindings(self, scenario):
        """Every assigned category is bound, in binding order, and every problem names the
        document and one of its lines (the capacity check names the document only)."""
        _, _, c, doc = scenario
        order = [b.category_id for b in c.bindings]
        r = resolve(c, doc)
        for line in r.lines:
            positions = [order.index(a.category_id) for a in line.assignments]
            assert sorted(positions) == positions
        line_keys = {line.key for line in doc.lines}
        for problem in r.problems:
            # Only the batch-wide capacity check speaks of the whole document.
            place = problem.line_key in line_keys or problem.code == "category_full"
            assert (doc.key, True) == (problem.document_key, place)


class TestMemoisation:
    """What resolve memoises across the documents of one call never leaks between them."""

    @given(data=st.data(), scenario=scenarios())
    def test_a_batch_resolves_each_document_as_alone(self, data, scenario):
        """For any (even unchecked) mapping and documents, each document's lines, line
        problems and fingerprint in a batch equal those of resolving it alone."""
        _, fields, c, _ = scenario
        docs = data.draw(st.lists(documents(fields, min_lines=1), min_size=2, max_size=5))
        batch = resolve_batch(c, docs)

        def essence(r: Resolution):
            line_problems = tuple(p for p in r.problems if p.code != "category_full")
            return (r.lines, line_problems, r.fingerprint)

        assert [essence(resolve(c, d)) for d in docs] == [essence(r) for r in batch.resolutions]
