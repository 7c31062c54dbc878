"""The delivery part of ``trackmap demo``: push, re-run, edit, payment, tracking summary."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from trackmap._cli._demo import run_demo, step_host
from trackmap._cli._demo_delivery import (
    DELIVERY_STEPS,
    ProgressLine,
    remap_mapping,
    tracking_totals,
)
from trackmap._cli._main import main
from trackmap._engine._document import DocumentKind
from trackmap._engine._mapping import ByTable
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingSchema
from trackmap._sync._progress import Phase, Progress
from trackmap._sync._target import RemoteDocument, RemoteLine, TrackingEntry
from trackmap.testing.hosts import SAMPLES, sample_practice


def demo_output(host: str) -> str:
    out = io.StringIO()
    assert 0 == run_demo(out, host=host, steps=(step_host, *DELIVERY_STEPS))
    return out.getvalue()


class TestTheStory:
    """The demo delivers every sample document once and tells each part of the story."""

    @pytest.mark.parametrize("host", sorted(SAMPLES))
    def test_each_step_tells_its_part(self, host):
        text = demo_output(host)
        count = len(SAMPLES[host]().records)
        assert f"Batch 1: {count} created" in text
        assert f"Batch 2: {count} unchanged (1 call)." in text
        assert f"FakeXero holds {count} documents for {count} host documents." in text
        assert f"Batch 3: 1 updated, {count - 1} unchanged (2 calls)." in text
        assert f"FakeXero still holds {count} documents." in text
        assert re.search(r'sales invoice "[^"]+" is now PAID in Xero \(was DRAFT\)\.', text)
        assert "Tracking summary" in text

    def test_options_created_for_new_jobs_are_named(self):
        text = demo_output("jobs")
        assert 'Option "J1046" created in tracking category "Job".' in text

    def test_the_command_runs_the_whole_demo(self, capsys):
        assert 0 == main(["demo"])
        text = capsys.readouterr().out
        assert "A rejected mapping" in text
        assert "A payment in Xero, synced back" in text


class TestRemap:
    """The sample mapping follows the organisation copy by names, since FakeXero makes new ids."""

    def test_table_rows_and_categories_take_the_new_ids(self):
        sample = sample_practice()
        renamed = TrackingSchema(
            categories=tuple(
                TrackingCategory(
                    id="new-" + c.id,
                    name=c.name,
                    status=c.status,
                    options=tuple(
                        TrackingOption(id="new-" + o.id, name=o.name, status=o.status)
                        for o in c.options
                    ),
                )
                for c in sample.schema.categories
            )
        )
        moved = remap_mapping(sample.mapping, sample.schema, renamed)
        for before, after in zip(sample.mapping.bindings, moved.bindings, strict=True):
            assert "new-" + before.category_id == after.category_id
            if isinstance(before.values, ByTable):
                assert [
                    None if r.option_id is None else "new-" + r.option_id
                    for r in before.values.rows
                ] == [r.option_id for r in after.values.rows]


class TestTotals:
    """Totals by option: sales and purchases apart, credit notes subtracted."""

    def test_totals(self):
        north = TrackingEntry(
            category_id="c", category_name="Region", option_id="n", option_name="North"
        )

        def doc(kind, amount):
            line = RemoteLine(description="x", line_amount=Decimal(amount), tracking=(north,))
            return RemoteDocument(kind=kind, xero_id="i", status="DRAFT", lines=(line,))

        totals = tracking_totals(
            [
                doc(DocumentKind.SALES_INVOICE, "100"),
                doc(DocumentKind.SALES_CREDIT_NOTE, "30"),
                doc(DocumentKind.BILL, "40"),
            ]
        )
        assert {("Region", "North"): [Decimal(70), Decimal(40)]} == totals


class TestProgressLine:
    """On a pipe only the end of a push is shown; on a terminal one line is rewritten."""

    def test_a_pipe_gets_the_last_line_only(self):
        out = io.StringIO()
        line = ProgressLine(out)
        line(Progress(phase=Phase.SENDING, done=1, total=2, calls=1, batch=1))
        line(Progress(phase=Phase.DONE, done=2, total=2, calls=2, batch=1))
        assert "  [batch 1: done, 2/2 documents, 2 calls]\n" == out.getvalue()

    def test_a_terminal_gets_one_rewritten_line(self):
        class Terminal(io.StringIO):
            def isatty(self):
                return True

        out = Terminal()
        line = ProgressLine(out)
        line(Progress(phase=Phase.SENDING, done=1, total=2, calls=1))
        line(Progress(phase=Phase.DONE, done=2, total=2, calls=2))
        assert (
            "\rsending, 1/2 documents, 1 call\rdone, 2/2 documents, 2 calls  \n" == out.getvalue()
        )
