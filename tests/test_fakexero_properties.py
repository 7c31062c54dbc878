"""Properties of FakeXero's batch and tracking semantics, over generated batches."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackmap.testing._fakexero import FakeXero, Limits
from trackmap.testing._fakexero._limits import RateLimiter
from trackmap.testing._fakexero._query import matches_where, where_filter

ZERO = "00000000-0000-0000-0000-000000000000"
GOOD = {"Type": "ACCREC", "Contact": {"Name": "Acme"}, "LineItems": [{"LineAmount": 5}]}
BAD = (
    {"Contact": {"Name": "Acme"}, "LineItems": [{"LineAmount": 5}]},
    {"Type": "ACCREC", "LineItems": [{"LineAmount": 5}]},
    {"Type": "ACCREC", "Contact": {"Name": "Acme"}},
    {"Type": "ACCREC", "Contact": {"Name": "Acme"}, "LineItems": [{"LineAmount": "five"}]},
    {"Type": "NOPE", "Contact": {"Name": "Acme"}, "LineItems": [{"LineAmount": 5}]},
)
ELEMENTS = st.one_of(st.just(GOOD), st.sampled_from(BAD))


@pytest.fixture(scope="module")
def fake():
    with FakeXero(limits=Limits(minute=100_000, day=100_000)) as server:
        category = server.add_category("Region", options=["North", "South", "East"])
        option_ids = [o["TrackingOptionID"] for o in server.categories()[0]["Options"]]
        server.set_option_status(category, option_ids[2], "ARCHIVED")
        yield server


class TestBatchProperties:
    """What a batch creates never depends on summarizeErrors; answers match elements."""

    @settings(max_examples=30, deadline=None)
    @given(batch=st.lists(ELEMENTS, min_size=1, max_size=8), summarize=st.booleans())
    def test_valid_elements_are_created_whatever_the_summary_mode(self, fake, batch, summarize):
        """Invariant: exactly the valid elements are stored, in both modes; without summary
        the answer has one element per sent element, OK with a fresh id iff valid, ERROR with
        the all-zero id otherwise; with summary the status is 400 iff some element failed."""
        before = len(fake.documents("Invoices"))
        flag = "true" if summarize else "false"
        answer = fake.raw("PUT", f"/Invoices?summarizeErrors={flag}", {"Invoices": batch})
        valid = [element is GOOD for element in batch]
        assert before + sum(valid) == len(fake.documents("Invoices"))
        if summarize:
            assert (200 if all(valid) else 400) == answer.status
            return
        sent_back = answer.json["Invoices"]
        assert ["OK" if ok else "ERROR" for ok in valid] == [
            e["StatusAttributeString"] for e in sent_back
        ]
        assert all((e["InvoiceID"] == ZERO) != ok for e, ok in zip(sent_back, valid, strict=True))


class TestTrackingProperties:
    """Tracking keeps exactly the entries that name an active category and option."""

    @settings(max_examples=30, deadline=None)
    @given(
        entries=st.lists(
            st.tuples(
                st.sampled_from(["Region", "region ", "Nope"]),
                st.sampled_from(["North", "south", "East", "West"]),
            ),
            max_size=2,
            unique_by=lambda pair: pair[1],
        )
    )
    def test_only_active_named_options_survive(self, fake, entries):
        """Invariant: the echoed tracking is the sent list minus entries naming an unknown
        category, an unknown option or an archived option (Xero's silent drop), under the
        current names, and the element never fails for a dropped entry."""
        tracking = [{"Name": name, "Option": option} for name, option in entries]
        kept = [
            (name, option)
            for name, option in entries
            if name.strip().lower() == "region" and option.lower() in {"north", "south"}
        ]
        line = {"LineAmount": 1, "Tracking": tracking}
        element = {**GOOD, "LineItems": [line]}
        answer = fake.raw("PUT", "/Invoices?summarizeErrors=false", {"Invoices": [element]})
        (echo,) = answer.json["Invoices"]
        expected = [("Region", option.capitalize()) for _, option in kept]
        one_per_category = len({name.strip().lower() for name, _ in kept}) == len(kept)
        if not one_per_category:
            assert "ERROR" == echo["StatusAttributeString"]
            return
        assert "OK" == echo["StatusAttributeString"]
        echoed = [(t["Name"], t["Option"]) for t in echo["LineItems"][0]["Tracking"]]
        assert expected == echoed


class TestRateLimiterProperties:
    """Fixed windows: never more than the limit in one window, and Retry-After is honest."""

    @settings(max_examples=60, deadline=None)
    @given(
        limit=st.integers(min_value=1, max_value=5),
        gaps=st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=40),
    )
    def test_windows_and_retry_after(self, limit, gaps):
        """Invariant: calls admitted within any one minute window never exceed the limit; a
        refusal names ``minute`` and a Retry-After that lands exactly on the window's end, so a
        call made after waiting it is admitted."""
        limiter = RateLimiter(Limits(minute=limit, day=10**6, concurrent=10**6))
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        admitted: list[dt.datetime] = []
        for gap in gaps:
            now += dt.timedelta(seconds=gap)
            refusal = limiter.enter("t", now)
            if refusal is None:
                limiter.leave("t")
                admitted.append(now)
                continue
            assert "minute" == refusal.problem
            later = now + dt.timedelta(seconds=refusal.retry_after)
            assert limiter.enter("t", later) is None
            limiter.leave("t")
            admitted.append(later)
            now = later
        starts = _window_starts(admitted)
        assert all(
            sum(s <= t < s + dt.timedelta(minutes=1) for t in admitted) <= limit for s in starts
        )


def _window_starts(calls):
    """Recompute the fixed windows: each opens at the first call after the last one closed."""
    starts = []
    for call in calls:
        if not starts or call >= starts[-1] + dt.timedelta(minutes=1):
            starts.append(call)
    return starts


WHERE_VALUES = st.sampled_from(["a", "b", "c"])
CLAUSES = st.tuples(st.sampled_from(["X", "Y"]), WHERE_VALUES)


class TestWhereProperties:
    """An OR-chained where selects the union of what its alternatives select."""

    @given(
        record=st.fixed_dictionaries({"X": WHERE_VALUES, "Y": WHERE_VALUES}),
        alternatives=st.lists(st.lists(CLAUSES, min_size=1, max_size=3), min_size=1, max_size=4),
        joiners=st.sampled_from([(" AND ", " OR "), (" && ", " || "), (" and ", " or ")]),
    )
    def test_or_of_ands(self, record, alternatives, joiners):
        """Invariant: parsing `a AND b OR c` and matching equals evaluating it directly, with
        AND binding tighter than OR, whatever spelling the joiners take."""
        all_of, any_of = joiners
        text = any_of.join(
            all_of.join(f'{field}=="{value}"' for field, value in clauses)
            for clauses in alternatives
        )
        expected = any(
            all(record[field] == value for field, value in clauses) for clauses in alternatives
        )
        assert expected == matches_where(record, where_filter({"where": text}))
