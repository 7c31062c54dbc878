"""Read-back verification and delivery fingerprints, as properties."""

# The house style asserts `expected == actual` (STYLE.md); SIM300 asks for the reverse.
# ruff: noqa: SIM300

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._keys import body_digest
from trackmap._sync._target import TrackingEntry
from trackmap._sync._verify import dropped_tracking

INVOICE = DocumentKind.SALES_INVOICE

entries = st.builds(
    TrackingEntry,
    category_id=st.sampled_from(["c1", "c2"]),
    category_name=st.sampled_from(["Region", "Job"]),
    option_id=st.one_of(st.none(), st.sampled_from(["o1", "o2", "o3"])),
    option_name=st.sampled_from(["North", "South", "J1"]),
)
lines = st.lists(st.lists(entries, max_size=2).map(tuple), max_size=4).map(tuple)


class TestDroppedTracking:
    """Every entry sent must come back on its line; what does not is named."""

    @given(sent=lines)
    def test_an_echo_of_everything_sent_reports_nothing(self, sent):
        """Invariant: when Xero echoes exactly what was sent, nothing is reported."""
        assert () == dropped_tracking(INVOICE, "INV-1", sent, sent)

    @given(sent=lines.filter(any), data=st.data())
    def test_a_missing_line_entry_is_always_reported(self, sent, data):
        """Invariant: removing every entry of one line reports each of its entries by line."""
        number = data.draw(st.sampled_from([i for i, line in enumerate(sent) if line]))
        echoed = tuple(() if i == number else line for i, line in enumerate(sent))
        said = dropped_tracking(INVOICE, "INV-1", sent, echoed)
        assert len(sent[number]) == len(said)
        assert all(f"from line {number + 1} of sales invoice" in m for m in said)

    def test_names_stand_in_when_an_id_is_missing(self):
        sent = (
            (TrackingEntry(category_id="c", category_name="R", option_id=None, option_name="N"),),
        )
        back = (
            (TrackingEntry(category_id="c", category_name="R", option_id="o", option_name="n"),),
        )
        assert () == dropped_tracking(INVOICE, "X", sent, back)

    def test_another_option_on_the_line_is_a_drop(self):
        north = TrackingEntry(
            category_id="c", category_name="Region", option_id="1", option_name="North"
        )
        south = attrs.evolve(north, option_id="2", option_name="South")
        assert ('Xero dropped tracking "Region = North" from line 1 of bill "B-7".',) == (
            dropped_tracking(DocumentKind.BILL, "B-7", ((north,),), ((south,),))
        )


class TestBodyDigest:
    """The body digest changes with what the body says, and only with that."""

    body = DocumentBody(
        contact=ContactRef(name="Acme"),
        date=dt.date(2026, 11, 1),
        lines=(BodyLine(description="Work", unit_amount=Decimal("10.00")),),
    )

    @given(amount=st.decimals(allow_nan=False, allow_infinity=False, places=2))
    def test_an_edited_amount_changes_the_digest(self, amount):
        """Invariant: the digest differs iff the line's amount differs."""
        edited = attrs.evolve(
            self.body, lines=(attrs.evolve(self.body.lines[0], unit_amount=amount),)
        )
        assert (amount == Decimal("10.00")) == (body_digest(edited) == body_digest(self.body))

    def test_equal_bodies_have_equal_digests(self):
        assert body_digest(self.body) == body_digest(attrs.evolve(self.body))

    def test_sdk_style_models_are_digested_through_to_dict(self):
        class Model:
            def __init__(self, amount):
                self.amount = amount

            def to_dict(self):
                return {"amount": self.amount, "lines": [{"b": 1, "a": 2}]}

        assert body_digest(Model(1)) == body_digest(Model(1))
        assert body_digest(Model(1)) != body_digest(Model(2))
