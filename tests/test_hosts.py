"""Tests of the two sample hosts in the public test kit."""

from __future__ import annotations

from collections import Counter

import pytest

from trackmap._engine._document import DocumentKind
from trackmap._engine._mapping import ByName, ByTable, FieldLevel, OnUnmapped
from trackmap._engine._resolve import resolve_batch
from trackmap._engine._rules import check_mapping, compile_mapping
from trackmap._engine._schema import TrackingStatus
from trackmap._sources import DocumentBody
from trackmap.errors import SourceError
from trackmap.testing.hosts import SAMPLES, guid, sample_jobs, sample_practice
from trackmap.testing.hosts.jobs import Expense, ExpenseKind, JobsAdapter
from trackmap.testing.hosts.practice import Invoice, PracticeAdapter


@pytest.fixture(params=sorted(SAMPLES))
def sample(request):
    return SAMPLES[request.param]()


class TestEverySample:
    """Both hosts are complete, realistic and consistent with their schema and mapping."""

    def test_a_few_dozen_documents_of_mixed_kinds(self, sample):
        kinds = Counter(d.kind for d in sample.documents())
        assert 20 <= sum(kinds.values()) <= 60
        assert len(kinds) >= 2

    def test_building_is_deterministic(self, sample):
        again = SAMPLES[sample.name]()
        assert sample.documents() == again.documents()
        assert sample.schema == again.schema
        assert sample.mapping == again.mapping

    def test_document_keys_are_unique(self, sample):
        keys = [d.key for d in sample.documents()]
        assert len(keys) == len(set(keys))

    def test_sample_mapping_obeys_every_rule(self, sample):
        assert check_mapping(sample.mapping, sample.schema, sample.fields) == ()

    def test_two_active_categories_and_archived_options(self, sample):
        assert len(sample.schema.active_categories) == 2
        archived = [
            o
            for c in sample.schema.categories
            for o in c.options
            if o.status is TrackingStatus.ARCHIVED
        ]
        assert archived

    def test_bodies_align_with_document_lines(self, sample):
        for record in sample.records:
            outbound = sample.adapter.outbound(record)
            assert isinstance(outbound.body, DocumentBody)
            assert len(outbound.document.lines) == len(outbound.body.lines)

    def test_every_document_has_a_label(self, sample):
        assert all(d.label for d in sample.documents())


class TestRounds:
    """More rounds give more documents with their own keys, against the same organisation."""

    @pytest.mark.parametrize("host", sorted(SAMPLES))
    @pytest.mark.parametrize("rounds", [2, 12])
    def test_rounds_scale_with_unique_keys(self, host, rounds):
        one = SAMPLES[host]()
        many = SAMPLES[host](rounds=rounds)
        keys = [d.key for d in many.documents()]
        assert len(one.records) * rounds == len(keys)
        assert len(keys) == len(set(keys))
        assert one.documents() == many.documents()[: len(one.records)]
        assert (one.schema, one.mapping) == (many.schema, many.mapping)

    def test_later_rounds_still_resolve(self):
        batch = resolved(sample_jobs(rounds=3))
        assert all(r.ok for r in batch.resolutions)
        expected = ["J1046", "J1047"]
        assert expected == [o.name for o in batch.options_to_create]


class TestJobsHost:
    """The Streamtime-like host: job fields on the document, bound by name."""

    def test_fields(self):
        expected = [
            ("branch", FieldLevel.DOCUMENT, "Branch"),
            ("job_number", FieldLevel.DOCUMENT, "Job number"),
            ("job_po_number", FieldLevel.DOCUMENT, "Job PO number"),
        ]
        assert expected == [(f.name, f.level, f.label) for f in JobsAdapter().fields()]

    def test_kinds(self):
        kinds = {d.kind for d in sample_jobs().documents()}
        expected = {
            DocumentKind.SALES_INVOICE,
            DocumentKind.BILL,
            DocumentKind.SPEND_MONEY,
            DocumentKind.PURCHASE_ORDER,
        }
        assert expected == kinds

    def test_mapping_is_by_name_and_creates_missing_job_numbers(self):
        sample = sample_jobs()
        assert all(isinstance(b.values, ByName) for b in sample.mapping.bindings)
        job = sample.schema.category(guid("Job"))
        assert job is not None
        numbers = {d.fields["job_number"] for d in sample.documents()}
        missing = {n for n in numbers if n and not job.options_named(n)}
        assert {"J1046", "J1047"} == missing
        assert sample.mapping.bindings[1].on_unmapped == OnUnmapped.CREATE

    def test_spend_money_has_bank_account_and_no_number(self):
        sample = sample_jobs()
        spend = next(
            r
            for r in sample.records
            if isinstance(r, Expense) and r.kind is ExpenseKind.SPEND_MONEY
        )
        body = sample.adapter.body(spend)
        assert (body.bank_account_code, body.number) == ("090", None)

    def test_some_jobs_have_no_po_number(self):
        values = {d.fields["job_po_number"] for d in sample_jobs().documents()}
        assert None in values
        assert len(values) > 2

    def test_broken_record_is_a_source_error_naming_it(self):
        with pytest.raises(SourceError) as info:
            JobsAdapter().document("not a record")  # type: ignore[arg-type]
        expected = "record 'not a record'"
        assert expected == info.value.record


class TestPracticeHost:
    """The Synergy-like host: record types per document and per line, mapped by tables."""

    def test_fields_and_levels(self):
        expected = {
            "project_manager": FieldLevel.DOCUMENT,
            "contact_account_manager": FieldLevel.DOCUMENT,
            "stage_manager": FieldLevel.LINE,
            "discipline": FieldLevel.LINE,
            "cost_centre": FieldLevel.LINE,
        }
        assert expected == {f.name: f.level for f in PracticeAdapter().fields()}

    def test_invoices_and_credit_notes(self):
        kinds = Counter(d.kind for d in sample_practice().documents())
        assert set(kinds) == {DocumentKind.SALES_INVOICE, DocumentKind.SALES_CREDIT_NOTE}

    def test_stage_managers_differ_between_lines_of_one_invoice(self):
        documents = sample_practice().documents()
        varied = [
            d for d in documents if len({line.fields["stage_manager"] for line in d.lines}) > 1
        ]
        assert varied

    def test_a_stage_without_a_manager_exists(self):
        values = {
            line.fields["stage_manager"] for d in sample_practice().documents() for line in d.lines
        }
        assert None in values

    def test_tables_include_a_blank_row(self):
        region = sample_practice().mapping.bindings[0]
        assert isinstance(region.values, ByTable)
        blank = [row.value for row in region.values.rows if row.option_id is None]
        assert blank == ["Remote"]

    def test_a_contact_without_account_manager(self):
        values = {d.fields["contact_account_manager"] for d in sample_practice().documents()}
        assert None in values

    def test_describe_names_the_record_in_host_words(self):
        sample = sample_practice()
        invoice = next(r for r in sample.records if isinstance(r, Invoice))
        expected = "Invoice INV-2001 (project P-101)"
        assert expected == sample.adapter.describe(invoice)


def resolved(sample):
    compiled = compile_mapping(sample.mapping, sample.schema, sample.fields)
    return resolve_batch(compiled, sample.documents())


class TestSamplesResolve:
    """The samples resolve as their docstrings say, so tests and the demo can rely on them."""

    @pytest.mark.parametrize("host", sorted(SAMPLES))
    def test_every_document_is_ready(self, host):
        batch = resolved(SAMPLES[host]())
        assert [r.document_key for r in batch.resolutions if not r.ok] == []

    def test_jobs_plan_two_job_options(self):
        batch = resolved(sample_jobs())
        expected = [("Job", "J1046"), ("Job", "J1047")]
        assert expected == [(o.category_name, o.name) for o in batch.options_to_create]

    def test_practice_remote_stage_sends_no_region(self):
        sample = sample_practice()
        batch = resolved(sample)
        remote = [
            (d.key, line.key)
            for d in sample.documents()
            for line in d.lines
            if line.fields["cost_centre"] == "Remote"
        ]
        assert remote
        lines = {(r.document_key, line.key): line for r in batch.resolutions for line in r.lines}
        for place in remote:
            categories = [a.category_name for a in lines[place].assignments]
            assert "Region" not in categories

    def test_practice_falls_back_to_the_project_manager(self):
        batch = resolved(sample_practice())
        fields = {
            a.explanation.field
            for r in batch.resolutions
            for line in r.lines
            for a in line.assignments
            if a.category_name == "Project lead"
        }
        assert {"stage_manager", "project_manager"} <= fields
