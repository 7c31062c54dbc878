"""Tests for inbound matching: documents read back from Xero attached to host records."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._document import DocumentKind
from trackmap._engine._match import (
    Entity,
    MatchOutcome,
    MatchReason,
    TrackedDocument,
    TrackedLine,
    TrackingEntry,
    match_documents,
    tracked_from_resolution,
)
from trackmap._engine._names import normalise
from trackmap._engine._results import (
    Assignment,
    AssignmentRule,
    Explanation,
    Resolution,
    ResolvedLine,
)

PROJECT = "cat-project"
FITOUT = Entity(key="p1", name="Fitout Kitchen")
OFFICE = Entity(key="p2", name="Office Move")
PROJECTS = (FITOUT, OFFICE)


def on(option_name: str, option_id: str | None = None, category_id: str = PROJECT):
    return TrackingEntry(
        category_id=category_id,
        category_name="Project",
        option_id=option_id or f"o-{normalise(option_name)}",
        option_name=option_name,
    )


def match_document(document, entities, category_id, **options):
    """The match of one document: `match_documents` of a list of one."""
    [result] = match_documents([document], entities, category_id, **options).results
    return result


def bill(*lines: tuple[TrackingEntry, ...], label: str = "B-1") -> TrackedDocument:
    return TrackedDocument(
        key=f"xero-{label}",
        kind=DocumentKind.BILL,
        label=label,
        lines=[TrackedLine(key=str(i), tracking=t) for i, t in enumerate(lines, 1)],
    )


class TestScoroScenario:
    """A Xero bill attaches to the host project whose name equals its Project option."""

    def test_option_equal_to_a_project_name_attaches_the_bill(self):
        result = match_document(bill((on("Fitout Kitchen"),)), PROJECTS, PROJECT)
        assert (MatchOutcome.MATCHED, MatchReason.BY_NAME, FITOUT) == (
            result.outcome,
            result.reason,
            result.entity,
        )
        assert (
            'Bill "B-1" is attached to "Fitout Kitchen": its Project option "Fitout Kitchen" '
            "equals that name."
        ) == result.message
        assert "o-fitout kitchen" == result.option.option_id

    def test_near_miss_in_case_and_spacing_follows_the_normalisation(self):
        result = match_document(bill((on("  fitout   KITCHEN "),)), PROJECTS, PROJECT)
        assert FITOUT == result.entity

    def test_a_different_spelling_is_not_a_match(self):
        result = match_document(bill((on("Fitout-Kitchen"),)), PROJECTS, PROJECT)
        assert (MatchOutcome.UNMATCHED, MatchReason.NO_RECORD, None) == (
            result.outcome,
            result.reason,
            result.entity,
        )
        assert (
            'Bill "B-1" matches no record: its Project option "Fitout-Kitchen" is no record\'s '
            "name (records that stored an option id match by that id only)."
        ) == result.message

    def test_lines_on_two_projects_are_a_conflict(self):
        result = match_document(
            bill((on("Fitout Kitchen"),), (on("Office Move"),)), PROJECTS, PROJECT
        )
        assert (MatchOutcome.CONFLICT, MatchReason.DIFFERENT, (FITOUT, OFFICE), None) == (
            result.outcome,
            result.reason,
            result.entities,
            result.entity,
        )
        assert (
            'Bill "B-1" has lines on different Project options ("Fitout Kitchen", '
            '"Office Move"), so it cannot be attached to one record.'
        ) == result.message

    def test_a_line_on_an_unknown_project_is_also_a_conflict(self):
        result = match_document(bill((on("Fitout Kitchen"),), (on("Garden"),)), PROJECTS, PROJECT)
        assert (MatchOutcome.CONFLICT, (FITOUT,)) == (result.outcome, result.entities)

    def test_lines_without_the_category_do_not_count(self):
        other = on("North", category_id="cat-region")
        result = match_document(bill((on("Office Move"), other), (other,), ()), PROJECTS, PROJECT)
        assert OFFICE == result.entity
        assert [MatchReason.BY_NAME, MatchReason.NO_OPTION, MatchReason.NO_OPTION] == [
            line.reason for line in result.lines
        ]

    def test_two_lines_on_the_same_project_match(self):
        result = match_document(bill((on("Office Move"),), (on("office move"),)), PROJECTS, PROJECT)
        assert OFFICE == result.entity

    def test_no_project_on_any_line(self):
        result = match_document(bill((), (on("North", category_id="cat-r"),)), PROJECTS, PROJECT)
        assert (MatchOutcome.UNMATCHED, MatchReason.NO_OPTION) == (result.outcome, result.reason)
        assert (
            'Bill "B-1" has no cat-project option on any line, so it matches no record.'
        ) == result.message


class TestStoredIds:
    """A record that stored an option id matches by that id only, across renames."""

    def test_match_by_stored_id_survives_a_rename(self):
        fitout = Entity(key="p1", name="Fitout Kitchen", option_id="o-42")
        result = match_document(bill((on("Kitchen (renamed)", "o-42"),)), [fitout], PROJECT)
        assert (MatchReason.BY_ID, fitout) == (result.reason, result.entity)

    def test_record_with_an_id_is_not_matched_by_name(self):
        fitout = Entity(key="p1", name="Fitout Kitchen", option_id="o-42")
        result = match_document(bill((on("Fitout Kitchen", "o-7"),)), [fitout], PROJECT)
        assert MatchReason.NO_RECORD == result.reason

    def test_id_wins_over_a_name_match(self):
        by_id = Entity(key="p9", name="Something else", option_id="o-42")
        result = match_document(bill((on("Fitout Kitchen", "o-42"),)), [FITOUT, by_id], PROJECT)
        assert by_id == result.entity

    def test_ambiguous_names_are_not_guessed(self):
        twin = Entity(key="p3", name="FITOUT KITCHEN")
        result = match_document(bill((on("Fitout Kitchen"),)), [twin, FITOUT], PROJECT)
        assert (MatchOutcome.UNMATCHED, MatchReason.AMBIGUOUS, (FITOUT, twin)) == (
            result.outcome,
            result.reason,
            result.entities,
        )
        assert (
            'Bill "B-1" matches several records ("Fitout Kitchen", "FITOUT KITCHEN") by its '
            'Project option "Fitout Kitchen"; store the option id on the right one.'
        ) == result.message


class TestReport:
    """A report sorts every document into matched, unmatched and conflicts, in input order."""

    def test_report(self):
        documents = [
            bill((on("Office Move"),), label="B-1"),
            bill((on("Nope"),), label="B-2"),
            bill((on("Office Move"),), (on("Fitout Kitchen"),), label="B-3"),
            bill((on("Fitout Kitchen"),), label="B-4"),
        ]
        report = match_documents(documents, PROJECTS, PROJECT, category_name="Job")
        assert (["xero-B-1", "xero-B-4"], ["xero-B-2"], ["xero-B-3"]) == (
            [r.document_key for r in report.matched],
            [r.document_key for r in report.unmatched],
            [r.document_key for r in report.conflicts],
        )
        assert report.unmatched[0].message.startswith('Bill "B-2" matches no record: its Job')


class TestFromResolution:
    """An outbound resolution becomes a tracked document with the same tracking."""

    def test_tracked_from_resolution(self):
        assignment = Assignment(
            category_id=PROJECT,
            category_name="Project",
            option_id="o-1",
            option_name="Office Move",
            explanation=Explanation(rule=AssignmentRule.NAME, field="job", value="Office Move"),
        )
        resolution = Resolution(
            document_key="INV-1",
            kind=DocumentKind.SALES_INVOICE,
            lines=(ResolvedLine(key="a", assignments=(assignment,)), ResolvedLine(key="b")),
        )
        expected = TrackedDocument(
            key="INV-1",
            kind=DocumentKind.SALES_INVOICE,
            label="Invoice 1",
            lines=(
                TrackedLine(
                    key="a",
                    tracking=(
                        TrackingEntry(
                            category_id=PROJECT,
                            category_name="Project",
                            option_id="o-1",
                            option_name="Office Move",
                        ),
                    ),
                ),
                TrackedLine(key="b"),
            ),
        )
        assert expected == tracked_from_resolution(resolution, label="Invoice 1")


OPTION_NAMES = st.sampled_from(["Fitout Kitchen", "fitout kitchen", "Office Move", "Garden", "x"])
ENTITIES = st.lists(
    st.builds(
        Entity,
        key=st.sampled_from(["p1", "p2", "p3", "p4"]),
        name=OPTION_NAMES,
        option_id=st.one_of(st.none(), st.sampled_from(["o-1", "o-2"])),
    ),
    unique_by=lambda e: e.key,
    max_size=4,
)
ENTRIES = st.builds(
    TrackingEntry,
    category_id=st.sampled_from([PROJECT, "cat-region"]),
    category_name=st.just("Project"),
    option_id=st.sampled_from(["o-1", "o-2", "o-3"]),
    option_name=OPTION_NAMES,
)
LINE_TRACKING = st.lists(ENTRIES, max_size=2, unique_by=lambda t: t.category_id).map(tuple)


class TestProperties:
    """Invariants of matching over arbitrary documents and records."""

    @given(st.lists(LINE_TRACKING, max_size=5), ENTITIES, st.randoms(use_true_random=False))
    def test_match_is_stable_across_repulls_and_line_order(self, lines, entities, random):
        """Matching the same document again, or with its lines shuffled, gives the same outcome,
        reason, records and option."""
        first = match_document(bill(*lines), entities, PROJECT)
        shuffled = list(lines)
        random.shuffle(shuffled)
        again = match_document(bill(*shuffled), entities, PROJECT)

        def key(r):
            return (r.outcome, r.reason, r.entities, r.option, r.message)

        assert key(first) == key(again)

    @given(st.lists(LINE_TRACKING, max_size=5), ENTITIES)
    def test_a_match_is_justified_by_every_pointing_line(self, lines, entities):
        """A matched record is named by every line that has the category: by its stored id,
        or, when it stored none, by a name equal after normalisation."""
        result = match_document(bill(*lines), entities, PROJECT)
        if result.outcome is MatchOutcome.MATCHED:
            record = result.entity
            for line in lines:
                option = next((t for t in line if t.category_id == PROJECT), None)
                if option is not None and record.option_id is not None:
                    assert record.option_id == option.option_id
                elif option is not None:
                    assert normalise(record.name) == normalise(option.option_name)


def oracle(lines, entities) -> tuple[MatchOutcome, set[str]]:
    """The module's rules, written out plainly: what each line points at, then the outcome."""
    pointed: dict[tuple[str, str], set[str]] = {}  # target -> the records it names
    # One option id read under two names (which Xero never sends) names the candidates of the
    # smallest name, whatever the line order (rule 5).
    named: dict[tuple[str, str], str] = {}
    for tracking in lines:
        option = next((t for t in tracking if t.category_id == PROJECT), None)
        if option is None:
            continue
        records = [e for e in entities if e.option_id == option.option_id]
        if not records:
            name = normalise(option.option_name)
            records = [e for e in entities if e.option_id is None and normalise(e.name) == name]
        target = ("record", records[0].key) if len(records) == 1 else ("option", option.option_id)
        if target not in named or option.option_name < named[target]:
            named[target] = option.option_name
            pointed[target] = {e.key for e in records}
    if len(pointed) > 1:
        return MatchOutcome.CONFLICT, {key for kind, key in pointed if kind == "record"}
    if not pointed:
        return MatchOutcome.UNMATCHED, set()
    [(kind, _)] = pointed
    outcome = MatchOutcome.MATCHED if kind == "record" else MatchOutcome.UNMATCHED
    return outcome, next(iter(pointed.values()))  # an ambiguous option names its candidates


class TestOracle:
    """Matching agrees with the rules written out independently."""

    @given(st.lists(LINE_TRACKING, max_size=5), ENTITIES)
    def test_outcome_and_records_follow_the_rules(self, lines, entities):
        """The outcome is CONFLICT iff the lines point at two or more distinct records or
        options, MATCHED iff they point at exactly one record, else UNMATCHED; the records
        reported are the matched one, the matched ones in conflict, or an ambiguous option's
        candidates."""
        result = match_document(bill(*lines), entities, PROJECT)
        assert oracle(lines, entities) == (result.outcome, {e.key for e in result.entities})
