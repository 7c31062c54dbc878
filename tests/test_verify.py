"""Read-back verification and delivery fingerprints, as properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._document import DocumentKind
from trackmap._engine._results import Severity
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync._keys import body_digest
from trackmap._sync._target import TrackingEntry
from trackmap._sync._verify import verify_tracking

INVOICE = DocumentKind.SALES_INVOICE

entries = st.builds(
    TrackingEntry,
    category_id=st.sampled_from(["c1", "c2"]),
    category_name=st.sampled_from(["Region", "Job"]),
    option_id=st.one_of(st.none(), st.sampled_from(["o1", "o2", "o3"])),
    option_name=st.sampled_from(["North", "South", "J1"]),
)
# At most one entry per category on a line, as the engine guarantees.
one_line = st.lists(entries, max_size=2, unique_by=lambda e: e.category_id).map(tuple)
lines = st.lists(one_line, max_size=4).map(tuple)


def dropped(kind, title, sent, echoed):
    """The messages the push puts on a document, as it builds them."""
    document = f'{kind.value.replace("_", " ")} "{title}"'
    problems = verify_tracking(sent, echoed, document_key=title, document=document)
    return tuple(p.message for p in problems)


class TestDroppedTracking:
    """Every entry sent must come back on its line; what does not is named."""

    @given(sent=lines)
    def test_an_echo_of_everything_sent_reports_nothing(self, sent):
        """Invariant: when Xero echoes exactly what was sent, nothing is reported."""
        assert () == dropped(INVOICE, "INV-1", sent, sent)

    @given(sent=lines.filter(any), data=st.data())
    def test_a_missing_line_entry_is_always_reported(self, sent, data):
        """Invariant: removing every entry of one line reports each of its entries by line."""
        number = data.draw(st.sampled_from([i for i, line in enumerate(sent) if line]))
        echoed = tuple(() if i == number else line for i, line in enumerate(sent))
        said = dropped(INVOICE, "INV-1", sent, echoed)
        assert len(sent[number]) == len(said)
        assert all(f"from line {number + 1} of sales invoice" in m for m in said)

    def test_names_stand_in_when_an_id_is_missing(self):
        sent = (
            (TrackingEntry(category_id="c", category_name="R", option_id=None, option_name="N"),),
        )
        back = (
            (TrackingEntry(category_id="c", category_name="R", option_id="o", option_name="n"),),
        )
        assert () == dropped(INVOICE, "X", sent, back)

    def test_another_option_on_the_line_is_named(self):
        north = TrackingEntry(
            category_id="c", category_name="Region", option_id="1", option_name="North"
        )
        south = attrs.evolve(north, option_id="2", option_name="South")
        expected = (
            'Xero put "Region = South" on line 1 of bill "B-7" where trackmap sent '
            '"Region = North".'
        )
        assert (expected,) == dropped(DocumentKind.BILL, "B-7", ((north,),), ((south,),))


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


PERTH = TrackingEntry(
    category_id="c-1", category_name="Region", option_id="o-1", option_name="Perth"
)
SYDNEY = TrackingEntry(
    category_id="c-1", category_name="Region", option_id="o-9", option_name="Sydney"
)
SALES = TrackingEntry(category_id="c-2", category_name="Dept", option_id="o-2", option_name="Sales")


class TestVerify:
    """Dropped, changed and added entries are each named with document, line and option."""

    def test_same_tracking_has_no_problem(self):
        assert () == verify_tracking([[PERTH, SALES]], [[SALES, PERTH]], document_key="k")

    def test_dropped_entry(self):
        (problem,) = verify_tracking(
            [[SALES], [PERTH, SALES]],
            [[SALES], [SALES]],
            document_key="INV-42",
            document='invoice "INV-42"',
        )
        assert (
            'Xero dropped tracking "Region = Perth" from line 2 of invoice "INV-42".'
            == problem.message
        )
        assert (Severity.ERROR, "tracking_dropped", "INV-42", "2", "c-1", "Perth") == (
            problem.severity,
            problem.code,
            problem.document_key,
            problem.line_key,
            problem.category_id,
            problem.value,
        )

    def test_changed_option(self):
        (problem,) = verify_tracking([[PERTH]], [[SYDNEY]], document_key="k", line_keys=["L1"])
        assert ("tracking_changed", "L1") == (problem.code, problem.line_key)
        assert '"Region = Sydney"' in problem.message

    def test_added_entry(self):
        (problem,) = verify_tracking([[]], [[SALES]], document_key="k")
        assert "tracking_added" == problem.code

    def test_name_match_when_an_id_is_missing(self):
        echoed = TrackingEntry(
            category_id="c-1", category_name="Region", option_id=None, option_name=" perth"
        )
        assert () == verify_tracking([[PERTH]], [[echoed]], document_key="k")

    def test_line_count_difference(self):
        problems = verify_tracking([[PERTH], [PERTH]], [[PERTH]], document_key="k")
        assert ["echo_line_count"] == [p.code for p in problems]


entries = st.builds(
    TrackingEntry,
    category_id=st.sampled_from(["c-1", "c-2"]),
    category_name=st.just("Cat"),
    option_id=st.sampled_from(["o-1", "o-2", "o-3"]),
    option_name=st.sampled_from(["A", "B", "C"]),
)
lines = st.lists(
    st.lists(entries, max_size=2, unique_by=lambda e: e.category_id), min_size=1, max_size=5
)


class TestProperties:
    """Invariants of verification over any lines."""

    @given(lines)
    def test_identical_echo_never_reports(self, sent):
        """Xero echoing exactly what was sent yields no problem."""
        assert () == verify_tracking(sent, sent, document_key="k")

    @given(lines, st.data())
    def test_each_dropped_entry_is_reported_once(self, sent, data):
        """Removing entries from the echo yields exactly one 'dropped' problem per removed entry."""
        echoed = [[e for e in line if data.draw(st.booleans())] for line in sent]
        dropped = sum(len(a) - len(b) for a, b in zip(sent, echoed, strict=True))
        problems = verify_tracking(sent, echoed, document_key="k")
        assert dropped == len(problems)
        assert all(p.code == "tracking_dropped" and p.severity is Severity.ERROR for p in problems)
