"""The engine under attack: hostile host values give a result or a trackmap error, nothing else.

Each public entry point (`resolve`, `resolve_batch`, `explain_text`, `reconcile`, `match_documents`,
`route_approvals`) is fed the hostile values of `trackmap.testing.strategies`: huge ints, NaN
and sNaN, lone surrogates, control characters, deep nesting, objects whose dunder methods
raise, `str` subclasses that raise or lie, very long strings. Property: a result or a
`TrackmapError`; every message it carries (or the error's) encodes as UTF-8, holds no raw
control character, and is at most `MESSAGE_LIMIT` characters long.
"""

from __future__ import annotations

import tracemalloc
import unicodedata
from collections.abc import Iterator

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import field_specs, schemas, valid_mappings
from trackmap._engine._approvals import (
    ApprovalMatrix,
    ApprovalRule,
    ApprovalStep,
    route_approvals,
)
from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._explain import explain_rows, explain_text
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TableRow,
    TrackingMapping,
)
from trackmap._engine._match import (
    Entity,
    TrackedDocument,
    TrackedLine,
    TrackingEntry,
    match_documents,
)
from trackmap._engine._reconcile import reconcile
from trackmap._engine._resolve import resolve, resolve_batch
from trackmap._engine._rules import compile_mapping
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import DocumentError, TrackmapError
from trackmap.testing.strategies import (
    hostile_documents,
    hostile_texts,
    hostile_values,
    odd_strings,
    raising_objects,
)

#: The longest message the engine may produce for any input.
MESSAGE_LIMIT = 5_000

HOSTILE = settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_message(text: object) -> None:
    """A message a host can show: text, valid UTF-8, no raw control character, bounded."""
    assert type(text) is str
    text.encode("utf-8")
    assert len(text) <= MESSAGE_LIMIT, len(text)
    raw = [c for c in text if unicodedata.category(c) == "Cc" and c != "\n"]
    assert not raw, raw


def messages(value: object, depth: int = 0) -> Iterator[object]:
    """Every ``message`` and ``sentence`` field inside a result, however deep."""
    if depth > 8:
        return
    if isinstance(value, tuple):
        for item in value:
            yield from messages(item, depth + 1)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.name in {"message", "sentence"}:
                yield item
            else:
                yield from messages(item, depth + 1)


def check_outcome(run) -> object:
    """Run an entry point: its result's messages, or its trackmap error, must be safe."""
    try:
        result = run()
    except TrackmapError as exc:
        check_message(str(exc))
        return exc
    for text in messages(result):
        check_message(text)
    return result


@st.composite
def compiled_mappings(draw: st.DrawFn):
    schema = draw(schemas(tracking_on=True))
    fields = draw(field_specs(min_size=1))
    mapping = draw(valid_mappings(schema, fields, min_size=1))
    return compile_mapping(mapping, schema, fields), fields


class TestResolve:
    """resolve and resolve_batch over hostile documents."""

    @HOSTILE
    @given(data=st.data(), setup=compiled_mappings())
    def test_resolve_gives_a_resolution_or_a_trackmap_error(self, data, setup):
        """Any hostile document: a Resolution with safe messages, or a safe TrackmapError;
        explain of the resolution is safe too."""
        c, fields = setup
        doc = data.draw(hostile_documents(fields))
        result = check_outcome(lambda: resolve(c, doc))
        if not isinstance(result, TrackmapError):
            for line in check_outcome(lambda: explain_text(result)):
                check_message(line)
            check_outcome(lambda: explain_rows(result))
            check_message(result.fingerprint)

    @HOSTILE
    @given(data=st.data(), setup=compiled_mappings())
    def test_resolve_batch_gives_a_batch_or_a_trackmap_error(self, data, setup):
        """Any list of hostile documents: a BatchResolution or a TrackmapError, both safe."""
        c, fields = setup
        docs = data.draw(st.lists(hostile_documents(fields), max_size=4))
        check_outcome(lambda: resolve_batch(c, docs))

    @HOSTILE
    @given(data=st.data(), setup=compiled_mappings())
    def test_a_document_alone_and_in_a_batch_agree(self, data, setup):
        """Hostile or not, a document resolves (or is refused) alike alone and in a batch."""
        c, fields = setup
        docs = data.draw(st.lists(hostile_documents(fields), min_size=1, max_size=4))
        alone = []
        for doc in docs:
            try:
                alone.append(resolve(c, doc).lines)
            except DocumentError:
                alone.append(None)
        try:
            batch = [r.lines for r in resolve_batch(c, docs).resolutions]
        except DocumentError:
            assert None in alone
        else:
            assert alone == batch


FIELDS = (
    FieldSpec(name="stage_manager", level=FieldLevel.LINE, label="Stage manager"),
    FieldSpec(name="job", level=FieldLevel.DOCUMENT, label="Job"),
)
REGION = TrackingCategory(
    id="region", name="Region", options=(TrackingOption(id="perth", name="Perth"),)
)
SCHEMA = TrackingSchema(categories=(REGION,))


def _compiled(*bindings: Binding):
    return compile_mapping(TrackingMapping(bindings=bindings), SCHEMA, FIELDS)


def _table_binding(mode: OnUnmapped = OnUnmapped.ERROR) -> Binding:
    return Binding(
        category_id="region",
        sources=("stage_manager",),
        values=ByTable(rows={"Ann": "perth"}),
        on_unmapped=mode,
    )


class _RaisingHash(str):
    __slots__ = ()

    def __hash__(self) -> int:
        raise RuntimeError

    def __eq__(self, other: object) -> bool:
        raise RuntimeError


class _Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError

    def __hash__(self) -> int:
        raise RuntimeError


class TestNamedCases:
    """The cases the issue lists, one by one."""

    def test_a_str_subclass_whose_hash_and_eq_raise_is_read_as_its_text(self):
        doc = Document(
            key="INV-1",
            kind=DocumentKind.BILL,
            lines=(Line(key="1", fields={"stage_manager": _RaisingHash("Ann")}),),
        )
        r = resolve(_compiled(_table_binding()), doc)
        assert [("region", "perth")] == [
            (a.category_id, a.option_id) for a in r.lines[0].assignments
        ]

    def test_a_value_whose_hash_and_repr_raise_is_a_document_error_naming_it(self):
        doc = Document(
            key="INV-1",
            kind=DocumentKind.BILL,
            lines=(Line(key="1", fields={"stage_manager": _Unprintable()}),),
        )
        with pytest.raises(DocumentError) as info:
            resolve(_compiled(_table_binding()), doc)
        expected = (
            'Document INV-1, line 1: field "stage_manager" holds the _Unprintable (which cannot '
            "be shown), which is not text; a source adapter must turn every field value into "
            "text (or None)."
        )
        assert ("INV-1", expected) == (info.value.document_key, str(info.value))

    def test_a_huge_int_is_a_document_error_that_says_its_size(self):
        doc = Document(
            key="INV-1",
            kind=DocumentKind.BILL,
            lines=(Line(key="1", fields={"stage_manager": 10**5000}),),
        )
        with pytest.raises(DocumentError, match="holds the int of about 5,000 digits"):
            resolve(_compiled(_table_binding()), doc)

    def test_a_str_subclass_key_is_read_as_its_text(self):
        doc = Document(
            key=_RaisingHash("INV-1"),
            kind=DocumentKind.BILL,
            lines=(Line(key=_RaisingHash("1"), fields={"stage_manager": "Ann"}),),
        )
        r = resolve(_compiled(_table_binding()), doc)
        assert ("INV-1", "1") == (r.document_key, r.lines[0].key)
        assert (str, str) == (type(r.document_key), type(r.lines[0].key))

    def test_duplicate_keys_among_many_lines_are_found_in_one_pass(self):
        lines = (*(Line(key=str(n)) for n in range(50_000)), Line(key="49999"))
        doc = Document(key="INV-1", kind=DocumentKind.BILL, lines=lines)
        with pytest.raises(DocumentError, match='two lines with the key "49999"'):
            resolve(_compiled(_table_binding()), doc)

    def test_control_characters_and_surrogates_in_a_value_are_escaped(self):
        doc = Document(
            key="INV-\x1b[2J",
            kind=DocumentKind.BILL,
            lines=(Line(key="1", fields={"stage_manager": "Bob\x1b[31m\ud800"}),),
        )
        [problem] = resolve(_compiled(_table_binding()), doc).problems
        check_message(problem.message)
        assert problem.message.startswith("INV-\\x1b[2J, line 1: Stage manager is ")
        assert '"Bob\\x1b[31m\\ud800"' in problem.message
        assert "Bob\x1b[31m\ud800" == problem.value  # the value itself is kept as it was

    def test_a_megabyte_value_on_a_thousand_lines_keeps_messages_and_memory_small(self):
        """1,000 lines of one 1 MB unmapped value: 1,000 bounded messages, not 1 GB."""
        big = "x" * 1_000_000
        lines = tuple(Line(key=str(n), fields={"stage_manager": big}) for n in range(1_000))
        doc = Document(key="INV-1", kind=DocumentKind.BILL, lines=lines)
        c = _compiled(_table_binding())
        tracemalloc.start()
        try:
            r = resolve(c, doc)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert 1_000 == len(r.problems)
        assert max(len(p.message) for p in r.problems) < 600
        assert peak < 20_000_000, peak
        assert '"xxxx' in r.problems[0].message
        assert "(1,000,000 characters)" in r.problems[0].message


def _hostile_schema(draw: st.DrawFn) -> TrackingSchema:
    name = st.one_of(hostile_texts(), st.sampled_from(("Perth", "Sydney")), hostile_values())
    options = tuple(
        TrackingOption(id=f"o{n}", name=draw(name), status=draw(st.sampled_from(list(_STATUSES))))
        for n in range(draw(st.integers(0, 3)))
    )
    return TrackingSchema(
        categories=(TrackingCategory(id="region", name=draw(name), options=options),)
    )


_STATUSES = tuple(TrackingStatus)


class TestOtherEntryPoints:
    """reconcile, match_documents and route_approvals over hostile names and values."""

    @HOSTILE
    @given(st.data())
    def test_reconcile_gives_a_plan_or_a_trackmap_error(self, data):
        """Hostile names in either schema or the mapping: a plan or a MappingError, safe."""
        old, new = _hostile_schema(data.draw), _hostile_schema(data.draw)
        value = data.draw(st.one_of(hostile_texts(), st.just("Perth")))
        # Built here, not drawn with sampled_from: a hostile row may refuse to be hashed.
        table = ByTable(
            rows=[TableRow(value=value, option_id="o0"), TableRow(value="Ann", option_id="o1")]
        )
        mapping = TrackingMapping(
            bindings=(
                Binding(
                    category_id="region",
                    category_name=data.draw(st.one_of(hostile_texts(), st.just("Region"))),
                    sources=("stage_manager",),
                    values=ByName() if data.draw(st.booleans()) else table,
                    default_option_id=data.draw(st.sampled_from((None, "o0", "o2"))),
                ),
            )
        )
        check_outcome(lambda: reconcile(mapping, old, new))

    @HOSTILE
    @given(st.data())
    def test_match_documents_gives_a_report_or_a_trackmap_error(self, data):
        """Hostile option names, entity names and keys: a report or a DocumentError, safe."""
        text = st.one_of(hostile_texts(), st.sampled_from(("Fitout", "fitout ", "Move")))
        anything = st.one_of(text, hostile_values())
        option = st.builds(
            TrackingEntry,
            category_id=st.just("project"),
            category_name=text,
            option_id=st.one_of(st.none(), st.sampled_from(("o1", "o2")), odd_strings()),
            option_name=anything,
        )
        line = st.builds(TrackedLine, key=text, tracking=st.lists(option, max_size=2))
        document = st.builds(
            TrackedDocument,
            key=text,
            kind=st.just(DocumentKind.BILL),
            lines=st.lists(line, max_size=3),
            label=st.one_of(st.just(""), text),
        )
        entity = st.builds(
            Entity, key=text, name=anything, option_id=st.one_of(st.none(), st.just("o1"))
        )
        docs = data.draw(st.lists(st.one_of(document, raising_objects()), max_size=3))
        entities = data.draw(st.lists(entity, max_size=8))
        check_outcome(lambda: match_documents(docs, entities, "project"))

    @HOSTILE
    @given(st.data())
    def test_route_approvals_gives_a_routing_or_a_trackmap_error(self, data):
        """Hostile step names, approvers, option names: a routing or a DocumentError, safe."""
        text = st.one_of(hostile_texts(), st.sampled_from(("Dev", "HR")))
        rule = st.builds(
            ApprovalRule,
            approvers=st.lists(text, min_size=1, max_size=3),
            category_id=st.just("dept"),
            options=st.lists(st.one_of(text, st.sampled_from(("o1", "o2"))), max_size=3),
            category_name=text,
        )
        step = st.builds(
            ApprovalStep,
            name=text,
            rules=st.lists(rule, max_size=3),
            default_approvers=st.lists(text, max_size=2),
        )
        matrix = ApprovalMatrix(steps=data.draw(st.lists(step, max_size=3)))
        option = st.builds(
            TrackingEntry,
            category_id=st.just("dept"),
            category_name=text,
            option_id=st.one_of(st.sampled_from(("o1", "o2")), odd_strings()),
            option_name=st.one_of(text, hostile_values()),
        )
        document = TrackedDocument(
            key=data.draw(text),
            kind=DocumentKind.BILL,
            lines=data.draw(
                st.lists(
                    st.builds(TrackedLine, key=text, tracking=st.lists(option, max_size=2)),
                    max_size=3,
                )
            ),
            label=data.draw(st.one_of(st.just(""), text)),
        )
        check_outcome(lambda: route_approvals(matrix, document, schema=SCHEMA))
