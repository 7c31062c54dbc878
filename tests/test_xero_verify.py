"""Read-back verification: every difference between sent and echoed tracking is an ERROR."""

# The house style asserts `expected == actual` (STYLE.md); SIM300 asks for the reverse.
# ruff: noqa: SIM300

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._results import Severity
from trackmap._sync._target import TrackingEntry
from trackmap.xero._verify import verify_tracking

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
