"""Tests for trackmap._engine._explain: rows and sentences of a resolution."""

from __future__ import annotations

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._explain import ExplainRow, explain_rows, explain_text
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TrackingMapping,
)
from trackmap._engine._resolve import resolve
from trackmap._engine._results import AssignmentRule
from trackmap._engine._rules import compile_mapping
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingSchema

FIELDS = (
    FieldSpec(name="stage_manager", level=FieldLevel.LINE),
    FieldSpec(name="job", level=FieldLevel.DOCUMENT),
)
SCHEMA = TrackingSchema(
    categories=(
        TrackingCategory(
            id="region", name="Region", options=(TrackingOption(id="perth", name="Perth"),)
        ),
        TrackingCategory(id="job", name="Job"),
    )
)
MAPPING = TrackingMapping(
    bindings=(
        Binding(
            category_id="region",
            sources=("stage_manager",),
            values=ByTable(rows={"Ann": "perth"}),
            on_unmapped=OnUnmapped.ERROR,
        ),
        Binding(
            category_id="job", sources=("job",), values=ByName(), on_unmapped=OnUnmapped.CREATE
        ),
    )
)
DOC = Document(
    key="INV-1",
    kind=DocumentKind.SALES_INVOICE,
    fields={"job": "J7"},
    lines=(Line(key="1", fields={"stage_manager": "Ann"}), Line(key="2")),
)


def resolution():
    return resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), DOC)


class TestExplain:
    """Every assignment gets a row with its field, value and rule; problems follow."""

    def test_rows_carry_the_reason_of_each_assignment(self):
        rows = explain_rows(resolution())
        assert [
            ("1", "Region", "perth", AssignmentRule.TABLE, "stage_manager", "Ann"),
            ("1", "Job", None, AssignmentRule.CREATE, "job", "J7"),
            ("2", "Job", None, AssignmentRule.CREATE, "job", "J7"),
        ] == [(r.line_key, r.category_name, r.option_id, r.rule, r.field, r.value) for r in rows]

    def test_sentences_then_problems(self):
        assert (
            'line 1: Region = "Perth" because stage_manager is "Ann" (mapped by the table)',
            'line 1: Job = "J7" because job is "J7" (no such option yet: it will be created)',
            'line 2: Job = "J7" because job is "J7" (no such option yet: it will be created)',
        ) == explain_text(resolution())

    def test_a_line_without_tracking_says_so(self):
        empty = compile_mapping(TrackingMapping(), SCHEMA, FIELDS)
        assert (ExplainRow(line_key="1"), ExplainRow(line_key="2")) == explain_rows(
            resolve(empty, DOC)
        )

    def test_problems_are_listed_with_their_severity(self):
        doc = Document(key="INV-2", kind=DocumentKind.BILL, lines=(Line(key="1"),))
        compiled = compile_mapping(
            TrackingMapping(
                bindings=(Binding(category_id="region", sources=("stage_manager",), required=True),)
            ),
            SCHEMA,
            FIELDS,
        )
        assert (
            "line 1: no tracking",
            (
                'error: INV-2, line 1: tracking category "Region" is required on every line, '
                "but no source field has a value and there is no default."
            ),
        ) == explain_text(resolve(compiled, doc))
