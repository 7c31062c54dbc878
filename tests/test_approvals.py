"""Tests for approval routing: the ApprovalMax matrix over the tracking options of lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._approvals import (
    ApprovalCondition,
    ApprovalMatrix,
    ApprovalMode,
    ApprovalReason,
    ApprovalRule,
    ApprovalStep,
    check_matrix,
    route_approvals,
)
from trackmap._engine._document import DocumentKind
from trackmap._engine._match import TrackedDocument, TrackedLine, TrackingEntry
from trackmap._engine._results import (
    Assignment,
    AssignmentRule,
    Explanation,
    Resolution,
    ResolvedLine,
    Severity,
)
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)

DEPT = "cat-dept"
OPTIONS = {"o-dev": "Development", "o-hr": "HR", "o-sales": "Sales"}


def dept(option_id: str) -> TrackingEntry:
    return TrackingEntry(
        category_id=DEPT,
        category_name="Department",
        option_id=option_id,
        option_name=OPTIONS[option_id],
    )


def order(*option_ids: str | None, key: str = "PO-1") -> TrackedDocument:
    lines = [
        TrackedLine(key=str(i), tracking=(dept(o),) if o else ())
        for i, o in enumerate(option_ids, 1)
    ]
    return TrackedDocument(key=key, kind=DocumentKind.PURCHASE_ORDER, lines=lines)


DANIEL = ApprovalRule(approvers=["Daniel"], category_id=DEPT, options=["o-dev"])
EVAN = ApprovalRule(approvers=["Evan"], category_id=DEPT, options=["o-hr"])
MATRIX = ApprovalMatrix(
    steps=[ApprovalStep(name="Managers", rules=[DANIEL, EVAN], default_approvers=["Fiona"])]
)
SCHEMA = TrackingSchema(
    categories=[
        TrackingCategory(
            id=DEPT,
            name="Department",
            options=[TrackingOption(id=k, name=v) for k, v in OPTIONS.items()],
        )
    ]
)


def names(routing) -> list[tuple[str, ...]]:
    return [step.names for step in routing.steps]


class TestApprovalMaxScenario:
    """Daniel approves Development, Evan approves HR, under condition "All"."""

    def test_lines_on_development_need_daniel(self):
        assert [("Daniel",)] == names(route_approvals(MATRIX, order("o-dev", "o-dev")))

    def test_lines_on_hr_need_evan(self):
        assert [("Evan",)] == names(route_approvals(MATRIX, order("o-hr")))

    def test_a_document_with_both_needs_both(self):
        routing = route_approvals(MATRIX, order("o-hr", "o-dev"))
        assert [("Daniel", "Evan")] == names(routing)
        assert ((), False) == (routing.problems, routing.steps[0].by_default)

    def test_a_document_with_neither_falls_to_the_default_approvers(self):
        routing = route_approvals(MATRIX, order("o-sales", None))
        step = routing.steps[0]
        assert (("Fiona",), True) == (step.names, step.by_default)
        assert (ApprovalReason(rule=None),) == step.approvers[0].reasons
        assert "no rule applies, so the step's default approvers" == (
            step.approvers[0].reasons[0].sentence()
        )

    def test_each_approver_is_explained_by_lines_and_options(self):
        routing = route_approvals(MATRIX, order("o-dev", "o-hr", "o-dev"))
        daniel = routing.steps[0].approvers[0]
        assert [("1", "o-dev"), ("3", "o-dev")] == [
            (r.line_key, r.option.option_id) for r in daniel.reasons
        ]
        assert 'line 1 has Department "Development", which matches the options of rule 1' == (
            daniel.reasons[0].sentence()
        )

    def test_does_not_match_behaves_as_its_name_says(self):
        not_dev = ApprovalRule(
            approvers=["Gina"],
            category_id=DEPT,
            options=["o-dev"],
            condition=ApprovalCondition.DOES_NOT_MATCH,
        )
        matrix = ApprovalMatrix(steps=[ApprovalStep(name="Finance", rules=[not_dev])])
        assert [("Gina",)] == names(route_approvals(matrix, order("o-hr")))
        assert [("Gina",)] == names(route_approvals(matrix, order(None)))
        assert [()] == names(route_approvals(matrix, order("o-dev")))
        gina = route_approvals(matrix, order("o-dev", None, "o-sales")).steps[0].approvers[0]
        assert ["2", "3"] == [r.line_key for r in gina.reasons]
        assert "line 2 has no Department option, which does not match the options of rule 1" == (
            gina.reasons[0].sentence()
        )

    def test_an_archived_option_in_the_matrix_is_reported(self):
        archived = TrackingSchema(
            categories=[
                TrackingCategory(
                    id=DEPT,
                    name="Department",
                    options=[
                        TrackingOption(id="o-dev", name="Development"),
                        TrackingOption(id="o-hr", name="HR", status=TrackingStatus.ARCHIVED),
                    ],
                )
            ]
        )
        routing = route_approvals(MATRIX, order("o-hr"), schema=archived)
        problem = routing.problems[0]
        assert ("option_archived", Severity.WARNING, 0, 1, "o-hr") == (
            problem.code,
            problem.severity,
            problem.step,
            problem.rule,
            problem.option_id,
        )
        assert (
            'Step 1 ("Managers"), rule 2: option "HR" of Department is archived in Xero, so only '
            "older documents carry it; pick another option or restore it in Xero."
        ) == problem.message
        # Older documents still carry the archived option, and still reach Evan.
        assert [("Evan",)] == names(routing)


class TestModesAndSteps:
    """Modes, several steps, and a step with nobody to approve."""

    def test_mode_any_gathers_the_same_approvers(self):
        matrix = ApprovalMatrix(
            steps=[ApprovalStep(name="M", rules=[DANIEL, EVAN], mode=ApprovalMode.ANY)]
        )
        step = route_approvals(matrix, order("o-dev", "o-hr")).steps[0]
        assert (ApprovalMode.ANY, ("Daniel", "Evan")) == (step.mode, step.names)

    def test_steps_are_routed_in_order(self):
        matrix = ApprovalMatrix(
            steps=[
                ApprovalStep(name="Managers", rules=[DANIEL, EVAN]),
                ApprovalStep(name="Finance", default_approvers=["Fiona", "Gus"]),
            ]
        )
        routing = route_approvals(matrix, order("o-hr"))
        assert [("Evan",), ("Fiona", "Gus")] == names(routing)
        assert ("Evan", "Fiona", "Gus") == routing.approvers

    def test_a_step_with_nobody_to_approve_is_reported(self):
        matrix = ApprovalMatrix(steps=[ApprovalStep(name="Managers", rules=[DANIEL])])
        routing = route_approvals(matrix, order("o-hr"))
        assert [
            (
                "no_approver",
                (
                    'Step 1 ("Managers"): no rule applies to purchase order "PO-1" and the step '
                    "has no default approvers; add a rule or a default approver."
                ),
            )
        ] == [(p.code, p.message) for p in routing.problems]

    def test_routes_a_resolution_like_a_pulled_document(self):
        def assignment(option_id):
            return Assignment(
                category_id=DEPT,
                category_name="Department",
                option_id=option_id,
                option_name=OPTIONS[option_id],
                explanation=Explanation(rule=AssignmentRule.TABLE, field="dept", value="x"),
            )

        resolution = Resolution(
            document_key="PO-1",
            kind=DocumentKind.PURCHASE_ORDER,
            lines=[
                ResolvedLine(key="1", assignments=[assignment("o-hr")]),
                ResolvedLine(key="2", assignments=[assignment("o-dev")]),
            ],
        )
        assert route_approvals(MATRIX, order("o-hr", "o-dev")) == route_approvals(
            MATRIX, resolution
        )


class TestCheckMatrix:
    """Everything the organisation changed under the matrix is reported."""

    def test_a_valid_matrix_has_no_problem(self):
        assert () == check_matrix(MATRIX, SCHEMA)

    def test_every_problem(self):
        matrix = ApprovalMatrix(
            steps=[
                ApprovalStep(
                    name="S",
                    rules=[
                        ApprovalRule(approvers=[], category_id=DEPT, options=["o-gone"]),
                        ApprovalRule(
                            approvers=["A"],
                            category_id="cat-gone",
                            category_name="Cost centre",
                            options=[],
                            condition=ApprovalCondition.DOES_NOT_MATCH,
                        ),
                    ],
                ),
                ApprovalStep(name="Empty"),
            ]
        )
        assert [
            ("rule_without_approvers", 0, 0),
            ("option_missing", 0, 0),
            ("rule_without_options", 0, 1),
            ("category_missing", 0, 1),
            ("step_without_approvers", 1, None),
        ] == [(p.code, p.step, p.rule) for p in check_matrix(matrix, SCHEMA)]

    def test_archived_and_deleted_categories(self):
        for status, code in [
            (TrackingStatus.ARCHIVED, "category_archived"),
            (TrackingStatus.DELETED, "category_deleted"),
        ]:
            category = TrackingCategory(id=DEPT, name="Department", status=status)
            problems = check_matrix(
                ApprovalMatrix(
                    steps=[
                        ApprovalStep(
                            name="S",
                            rules=[ApprovalRule(approvers=["A"], category_id=DEPT, options=[])],
                        )
                    ]
                ),
                TrackingSchema(categories=[category]),
            )
            assert code in [p.code for p in problems]


# --- properties ------------------------------------------------------------------------------

OPTION_IDS = st.sampled_from([*OPTIONS, None])
PEOPLE = st.lists(st.sampled_from(["Ann", "Bob", "Cy", "Di"]), max_size=2, unique=True)
RULES = st.builds(
    ApprovalRule,
    approvers=PEOPLE,
    category_id=st.just(DEPT),
    options=st.lists(st.sampled_from(list(OPTIONS)), max_size=2),
    condition=st.sampled_from(ApprovalCondition),
)
STEPS = st.builds(
    ApprovalStep,
    name=st.just("S"),
    rules=st.lists(RULES, max_size=3),
    mode=st.sampled_from(ApprovalMode),
    default_approvers=PEOPLE,
)
MATRICES = st.builds(ApprovalMatrix, steps=st.lists(STEPS, min_size=1, max_size=2))
DOCUMENTS = st.lists(OPTION_IDS, max_size=5).map(lambda ids: order(*ids))


class TestProperties:
    """Invariants of routing over arbitrary matrices and documents."""

    @given(STEPS.map(lambda s: ApprovalMatrix(steps=[s])), DOCUMENTS)
    def test_all_mode_approvers_are_the_union_of_the_lines(self, matrix, document):
        """Under mode ALL, a document's rule approvers are the union of the rule approvers of
        each of its lines routed alone; the defaults apply exactly when that union is empty."""
        matrix = ApprovalMatrix(steps=[attr_mode(matrix.steps[0], ApprovalMode.ALL)])
        step = matrix.steps[0]
        union: set[str] = set()
        for line in document.lines:
            alone = route_approvals(
                matrix, TrackedDocument(key="x", kind=document.kind, lines=[line])
            )
            if not alone.steps[0].by_default:
                union |= set(alone.steps[0].names)
        routed = route_approvals(matrix, document).steps[0]
        expected = union or set(step.default_approvers)
        assert (expected, not union and bool(step.default_approvers)) == (
            set(routed.names),
            routed.by_default,
        )

    @given(MATRICES, DOCUMENTS)
    def test_routing_is_deterministic(self, matrix, document):
        """Routing the same document through the same matrix twice gives equal results."""
        assert route_approvals(matrix, document, schema=SCHEMA) == route_approvals(
            matrix, document, schema=SCHEMA
        )

    @given(MATRICES, DOCUMENTS)
    def test_every_approver_has_a_reason_and_every_step_an_answer(self, matrix, document):
        """Every approver carries at least one reason, and a step without approvers is always
        reported as a no_approver problem."""
        routing = route_approvals(matrix, document)
        assert all(a.reasons for step in routing.steps for a in step.approvers)
        empty = [s.step for s in routing.steps if not s.approvers]
        assert empty == [p.step for p in routing.problems if p.code == "no_approver"]


def attr_mode(step: ApprovalStep, mode: ApprovalMode) -> ApprovalStep:
    return ApprovalStep(
        name=step.name, rules=step.rules, mode=mode, default_approvers=step.default_approvers
    )
