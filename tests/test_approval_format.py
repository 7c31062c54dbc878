"""Tests of the approval-matrix settings format: versioned JSON, every problem at its path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._config._approval_format import (
    dump_approval_matrix,
    dumps_approval_matrix,
    load_approval_matrix,
    loads_approval_matrix,
)
from trackmap._engine._approvals import (
    ApprovalCondition,
    ApprovalMatrix,
    ApprovalMode,
    ApprovalRule,
    ApprovalStep,
)
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import SettingsError

DEPARTMENT = TrackingCategory(
    id="c-dept",
    name="Department",
    options=[
        TrackingOption(id="o-dev", name="Development"),
        TrackingOption(id="o-hr", name="HR"),
        TrackingOption(id="o-old", name="Old", status=TrackingStatus.ARCHIVED),
        TrackingOption(id="o-gone", name="Gone", status=TrackingStatus.DELETED),
    ],
)
SCHEMA = TrackingSchema(categories=[DEPARTMENT])
MATRIX = ApprovalMatrix(
    steps=[
        ApprovalStep(
            name="Managers",
            rules=[
                ApprovalRule(approvers=["Daniel"], category_id="c-dept", options=["o-dev"]),
                ApprovalRule(
                    approvers=["Evan"],
                    category_id="c-dept",
                    options=["o-hr"],
                    condition=ApprovalCondition.DOES_NOT_MATCH,
                    category_name="Department",
                ),
            ],
            mode=ApprovalMode.ANY,
            default_approvers=["Fay"],
        ),
        ApprovalStep(name="Finance", default_approvers=["Gus"]),
    ]
)


def problems(data, **kwargs):
    with pytest.raises(SettingsError) as info:
        load_approval_matrix(data, **kwargs)
    assert "the approval matrix" == info.value.subject
    return [(p.path, p.message) for p in info.value.problems]


class TestRoundTrip:
    """A matrix written and read back is the same matrix."""

    def test_the_file_form(self):
        data = dump_approval_matrix(MATRIX)
        assert 1 == data["version"]
        assert {
            "approvers": ["Evan"],
            "category_id": "c-dept",
            "options": ["o-hr"],
            "condition": "does_not_match",
            "category_name": "Department",
        } == data["steps"][0]["rules"][1]
        assert MATRIX == load_approval_matrix(data)
        assert MATRIX == loads_approval_matrix(dumps_approval_matrix(MATRIX))

    def test_the_smallest_file(self):
        data = {"version": 1, "steps": [{"name": "Managers"}]}
        assert ApprovalMatrix(steps=[ApprovalStep(name="Managers")]) == load_approval_matrix(data)

    @given(
        st.lists(
            st.builds(
                ApprovalStep,
                name=st.text(max_size=4),
                rules=st.lists(
                    st.builds(
                        ApprovalRule,
                        approvers=st.lists(st.text(max_size=3), max_size=2),
                        category_id=st.text(max_size=3),
                        options=st.lists(st.text(max_size=3), max_size=2),
                        condition=st.sampled_from(ApprovalCondition),
                        category_name=st.text(max_size=3),
                    ),
                    max_size=2,
                ),
                mode=st.sampled_from(ApprovalMode),
                default_approvers=st.lists(st.text(max_size=3), max_size=2),
            ),
            max_size=3,
        )
    )
    def test_any_matrix_round_trips(self, steps):
        """load(dump(m)) == m for every matrix, through JSON text too."""
        matrix = ApprovalMatrix(steps=steps)
        assert matrix == load_approval_matrix(dump_approval_matrix(matrix))
        assert matrix == loads_approval_matrix(dumps_approval_matrix(matrix))


class TestShapeProblems:
    """Every problem of shape, at once, each with its path."""

    def test_every_problem_at_its_path(self):
        data = {
            "version": 1,
            "steps": [
                {"name": "A", "mode": "some"},
                {
                    "rules": [
                        {"approvers": "Daniel", "category_id": 7, "options": ["o", 2]},
                        {"category_id": "c", "options": [], "condition": "equals", "x": 1},
                    ]
                },
            ],
        }
        assert [
            ("$.steps[0].mode", 'must be one of "all", "any", not "some"'),
            ("$.steps[1].name", "is required"),
            ("$.steps[1].rules[0].approvers", 'must be a list, not "Daniel"'),
            ("$.steps[1].rules[0].category_id", "must be text, not 7"),
            ("$.steps[1].rules[0].options[1]", "must be text, not 2"),
            ("$.steps[1].rules[1].approvers", "is required"),
            (
                "$.steps[1].rules[1].condition",
                'must be one of "matches", "does_not_match", not "equals"',
            ),
            (
                "$.steps[1].rules[1].x",
                (
                    "is not a key trackmap knows (known keys: approvers, category_id, options, "
                    "condition, category_name)"
                ),
            ),
        ] == problems(data)

    @pytest.mark.parametrize(
        ("data", "path"),
        [([], "$"), ({"steps": []}, "$.version"), ({"version": 2}, "$.version")],
    )
    def test_the_envelope(self, data, path):
        assert [path] == [p for p, _ in problems(data)]

    def test_bad_json_text(self):
        with pytest.raises(SettingsError) as info:
            loads_approval_matrix('{"version": 1, "version": 1}')
        assert "the approval matrix" == info.value.subject
        assert ["$"] == [p.path for p in info.value.problems]

    @given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                        lambda c: st.lists(c, max_size=3) | st.dictionaries(
                            st.sampled_from(("version", "steps", "name", "rules", "x")), c,
                            max_size=3), max_leaves=8))  # fmt: skip
    def test_anything_loads_or_is_a_settings_error(self, data):
        """Only SettingsError escapes the loader, whatever the input."""
        try:
            matrix = load_approval_matrix(data)
        except SettingsError as exc:
            assert exc.problems  # noqa: PT017 - either outcome is allowed, so no pytest.raises
        else:
            assert isinstance(matrix, ApprovalMatrix)


class TestAgainstTheSchema:
    """With a schema, what check_matrix calls errors are refusals at their paths."""

    def test_errors_at_their_paths_warnings_not_refused(self):
        data = dump_approval_matrix(
            ApprovalMatrix(
                steps=[
                    ApprovalStep(
                        name="Managers",
                        rules=[
                            ApprovalRule(
                                approvers=["D"],
                                category_id="c-dept",
                                options=["o-dev", "o-old", "o-gone", "o-nope"],
                            ),
                            ApprovalRule(approvers=["E"], category_id="c-nope", options=["x"]),
                        ],
                    ),
                    ApprovalStep(name="Empty"),
                ]
            )
        )
        found = problems(data, schema=SCHEMA)
        assert [
            "$.steps[0].rules[0].options[2]",
            "$.steps[0].rules[0].options[3]",
            "$.steps[0].rules[1].category_id",
            "$.steps[1]",
        ] == [path for path, _ in found]
        assert 'Step 2 ("Empty") has no rules and no default approvers' in found[3][1]

    def test_an_archived_option_alone_is_only_a_warning(self):
        data = dump_approval_matrix(
            ApprovalMatrix(
                steps=[
                    ApprovalStep(
                        name="M",
                        rules=[ApprovalRule(approvers=[], category_id="c-dept", options=["o-old"])],
                    )
                ]
            )
        )
        assert load_approval_matrix(data, schema=SCHEMA).steps[0].rules[0].options == ("o-old",)

    def test_a_good_matrix_loads(self):
        assert MATRIX == load_approval_matrix(dump_approval_matrix(MATRIX), schema=SCHEMA)
