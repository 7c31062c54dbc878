"""Approval routing: who must approve a document, decided by the tracking options on its lines.

ApprovalMax's approval matrix: lines on Development need Daniel, lines on HR need Evan, a document
with both needs both. trackmap states the matrix precisely:

Rule 1. A matrix is an ordered list of steps; every step is routed on its own.
Rule 2. A rule names approvers and a condition on ONE category (held by id): MATCHES is satisfied
        by a line whose option of that category is one of the rule's options; DOES_NOT_MATCH by a
        line whose option is none of them, a line with no option of that category included
        (its option is, literally, none of them). Options compare by id, so a rename in Xero
        changes nothing; an entry without an id (an option still to be created) is none of them.
Rule 3. ApprovalMode ALL: the document needs every approver of every rule that any of its
        lines satisfies, so a document's approvers are the union of its lines' approvers.
        ApprovalMode ANY: the same approvers are gathered, and any one of them may approve.
Rule 4. When no rule brings an approver, the step's default approvers apply; with none, the step
        is reported as having nobody to approve, never silently passed.
Rule 5. Every approver comes with the reasons: which rule, which line, which option (or "default").
Rule 6. `check_matrix` reports what the organisation changed under the matrix: a category or
        option that is archived, deleted or missing is a problem with a fix, not silently ignored.
        Rules still match archived options by id, since older documents carry them.

Routing is pure and deterministic, and takes an outbound `Resolution` or a `TrackedDocument`
(pulled from Xero) alike.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator

import attrs

from trackmap._engine._guard import document_error, guarded
from trackmap._engine._match import (
    TrackedDocument,
    TrackedLine,
    TrackingEntry,
    tracked_from_resolution,
)
from trackmap._engine._quote import quoted, safe_text
from trackmap._engine._results import Resolution, Severity
from trackmap._engine._schema import TrackingCategory, TrackingSchema, TrackingStatus

__all__ = [
    "ApprovalCondition",
    "ApprovalMatrix",
    "ApprovalMode",
    "ApprovalReason",
    "ApprovalRule",
    "ApprovalStep",
    "ApproverRoute",
    "MatrixProblem",
    "Routing",
    "StepRoute",
    "check_matrix",
    "route_approvals",
]


class ApprovalCondition(enum.Enum):
    """How a rule's options are compared with a line's option."""

    MATCHES = "matches"  # the line's option is one of the rule's options
    DOES_NOT_MATCH = "does_not_match"  # the line's option is none of them (or it has none)


class ApprovalMode(enum.Enum):
    """How a step's approvers combine."""

    ALL = "all"  # every approver the rules bring must approve
    ANY = "any"  # any one of them may approve


def _strings(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class ApprovalRule:
    """``approvers`` <- the line's option of ``category_id`` matches (or not) ``options``.

    Attributes:
        approvers: Who approves when the rule is satisfied (the host's user ids or names).
        category_id: The category, held by id.
        options: Option ids of that category.
        condition: MATCHES or DOES_NOT_MATCH.
        category_name: The category's name, for messages.
    """

    approvers: tuple[str, ...] = attrs.field(converter=_strings)
    category_id: str
    options: tuple[str, ...] = attrs.field(converter=_strings)
    condition: ApprovalCondition = ApprovalCondition.MATCHES
    category_name: str = ""


def _rules(items: Iterable[ApprovalRule]) -> tuple[ApprovalRule, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class ApprovalStep:
    """One step of the matrix: its rules, their mode, and the default approvers."""

    name: str
    rules: tuple[ApprovalRule, ...] = attrs.field(default=(), converter=_rules)
    mode: ApprovalMode = ApprovalMode.ALL
    default_approvers: tuple[str, ...] = attrs.field(default=(), converter=_strings)


def _steps(items: Iterable[ApprovalStep]) -> tuple[ApprovalStep, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class ApprovalMatrix:
    """The steps a document goes through, in order."""

    steps: tuple[ApprovalStep, ...] = attrs.field(default=(), converter=_steps)


@attrs.frozen(kw_only=True)
class ApprovalReason:
    """Why an approver is on a step: a rule satisfied by a line's option, or the step's default.

    ``rule`` is the rule's index in its step (None for a default approver); ``option`` is the
    line's entry for the rule's category (None when the line has none, or for a default).
    """

    rule: int | None
    condition: ApprovalCondition | None = None
    line_key: str | None = None
    category_id: str | None = None
    category_name: str | None = None
    option: TrackingEntry | None = None

    def sentence(self) -> str:
        """Say it in words: 'line 2 has Department "HR", which matches rule 1'."""
        if self.rule is None:
            return "no rule applies, so the step's default approvers"
        category = safe_text(self.category_name or self.category_id)
        has = (
            f"has {category} {quoted(self.option.option_name)}"
            if self.option
            else f"has no {category} option"
        )
        verb = "matches" if self.condition is ApprovalCondition.MATCHES else "does not match"
        line = safe_text(self.line_key)
        return f"line {line} {has}, which {verb} the options of rule {self.rule + 1}"


@attrs.frozen(kw_only=True)
class ApproverRoute:
    """One approver of a step and every reason that put them there."""

    approver: str
    reasons: tuple[ApprovalReason, ...]


@attrs.frozen(kw_only=True)
class StepRoute:
    """The approvers of one step for one document.

    Attributes:
        step: The step's index in the matrix.
        name: The step's name.
        mode: ALL (every approver) or ANY (any one of them).
        approvers: The approvers, in the order rules and lines brought them.
        by_default: Whether no rule applied and the default approvers were used.
    """

    step: int
    name: str
    mode: ApprovalMode
    approvers: tuple[ApproverRoute, ...]
    by_default: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The approvers' names, in order."""
        return tuple(a.approver for a in self.approvers)


@attrs.frozen(kw_only=True)
class MatrixProblem:
    """Something wrong with the matrix against the schema, or a step with nobody to approve.

    ``code`` is stable (``"option_archived"``, ``"no_approver"``...); ``message`` is a sentence a
    host can show its end user unchanged.
    """

    code: str
    severity: Severity
    message: str
    step: int
    rule: int | None = None
    category_id: str | None = None
    option_id: str | None = None


@attrs.frozen(kw_only=True)
class Routing:
    """The approvers of one document, step by step, and the problems met on the way."""

    document_key: str
    steps: tuple[StepRoute, ...]
    problems: tuple[MatrixProblem, ...] = ()

    @property
    def approvers(self) -> tuple[str, ...]:
        """Everyone involved in any step, each once, in step order."""
        return tuple(dict.fromkeys(name for step in self.steps for name in step.names))


def route_approvals(
    matrix: ApprovalMatrix,
    document: TrackedDocument | Resolution,
    *,
    schema: TrackingSchema | None = None,
) -> Routing:
    """Route ``document`` through ``matrix`` (see the module's rules).

    Args:
        matrix: The approval matrix.
        document: An outbound resolution or a document pulled from Xero.
        schema: The organisation's schema; when given, `check_matrix` problems are included.
    """
    key = getattr(document, "key", None) if isinstance(document, TrackedDocument) else None
    if isinstance(document, Resolution):
        key = document.document_key
    return guarded(
        lambda: _route(matrix, document, schema), document_error("route a document", key)
    )


def _route(
    matrix: ApprovalMatrix, document: TrackedDocument | Resolution, schema: TrackingSchema | None
) -> Routing:
    tracked = (
        document if isinstance(document, TrackedDocument) else tracked_from_resolution(document)
    )
    steps = tuple(_route_step(i, step, tracked) for i, step in enumerate(matrix.steps))
    problems = check_matrix(matrix, schema) if schema is not None else ()
    unrouted = tuple(_no_approver(s, tracked) for s in steps if not s.approvers)
    return Routing(document_key=tracked.key, steps=steps, problems=problems + unrouted)


def _route_step(index: int, step: ApprovalStep, document: TrackedDocument) -> StepRoute:
    reasons: dict[str, list[ApprovalReason]] = {}
    for rule_index, rule in enumerate(step.rules):
        for reason in _satisfied(rule_index, rule, document.lines):
            for approver in rule.approvers:
                reasons.setdefault(approver, []).append(reason)
    by_default = not reasons
    if by_default:
        reasons = {a: [ApprovalReason(rule=None)] for a in step.default_approvers}
    return StepRoute(
        step=index,
        name=step.name,
        mode=step.mode,
        approvers=tuple(ApproverRoute(approver=a, reasons=tuple(r)) for a, r in reasons.items()),
        by_default=by_default and bool(reasons),
    )


def _category_name(rule: ApprovalRule, lines: tuple[TrackedLine, ...]) -> str:
    # A line with no option of the category still needs its name in the explanation.
    if rule.category_name:
        return rule.category_name
    names = (o.category_name for ln in lines if (o := ln.option_of(rule.category_id)) is not None)
    return next((n for n in names if n), rule.category_id)


def _satisfied(
    index: int, rule: ApprovalRule, lines: tuple[TrackedLine, ...]
) -> Iterator[ApprovalReason]:
    wanted = frozenset(rule.options)
    category_name = _category_name(rule, lines)
    for line in lines:
        option = line.option_of(rule.category_id)
        listed = option is not None and option.option_id in wanted
        if listed is (rule.condition is ApprovalCondition.MATCHES):
            yield ApprovalReason(
                rule=index,
                condition=rule.condition,
                line_key=line.key,
                category_id=rule.category_id,
                category_name=category_name,
                option=option,
            )


def _no_approver(step: StepRoute, document: TrackedDocument) -> MatrixProblem:
    kind = document.kind.value.replace("_", " ")
    return MatrixProblem(
        code="no_approver",
        severity=Severity.ERROR,
        message=(
            f"Step {step.step + 1} ({quoted(step.name)}): no rule applies to {kind} "
            f"{quoted(document.title)} and the step has no default approvers; add a rule or a "
            "default approver."
        ),
        step=step.step,
    )


def check_matrix(matrix: ApprovalMatrix, schema: TrackingSchema) -> tuple[MatrixProblem, ...]:
    """Report every rule whose category or options the organisation archived, deleted or lacks.

    Also reported: rules without approvers, rules without options, and steps with neither rules
    nor default approvers.
    """
    problems: list[MatrixProblem] = []
    for index, step in enumerate(matrix.steps):
        if not step.rules and not step.default_approvers:
            problems.append(_step_problem(index, step))
        for rule_index, rule in enumerate(step.rules):
            problems.extend(_rule_problems(index, step, rule_index, rule, schema))
    return tuple(problems)


def _step_problem(index: int, step: ApprovalStep) -> MatrixProblem:
    return MatrixProblem(
        code="step_without_approvers",
        severity=Severity.ERROR,
        message=(
            f"Step {index + 1} ({quoted(step.name)}) has no rules and no default approvers; "
            "add a rule or a default approver."
        ),
        step=index,
    )


@attrs.frozen(kw_only=True)
class _Place:
    step: int
    step_name: str
    rule: int
    category_id: str

    def problem(
        self, code: str, severity: Severity, text: str, option_id: str | None = None
    ) -> MatrixProblem:
        where = f"Step {self.step + 1} ({quoted(self.step_name)}), rule {self.rule + 1}"
        return MatrixProblem(
            code=code,
            severity=severity,
            message=f"{where}: {text}",
            step=self.step,
            rule=self.rule,
            category_id=self.category_id,
            option_id=option_id,
        )


def _rule_problems(
    index: int, step: ApprovalStep, rule_index: int, rule: ApprovalRule, schema: TrackingSchema
) -> Iterator[MatrixProblem]:
    place = _Place(step=index, step_name=step.name, rule=rule_index, category_id=rule.category_id)
    if not rule.approvers:
        yield place.problem("rule_without_approvers", Severity.WARNING, "it names no approver.")
    if not rule.options:
        yield place.problem("rule_without_options", Severity.WARNING, _NO_OPTIONS[rule.condition])
    category = schema.category(rule.category_id)
    yield from _category_problems(place, rule, category)
    if category is not None:
        yield from _option_problems(place, rule, category)


_NO_OPTIONS = {
    ApprovalCondition.MATCHES: "it lists no option, so it never applies.",
    ApprovalCondition.DOES_NOT_MATCH: "it lists no option, so it applies to every line.",
}


def _category_problems(
    place: _Place, rule: ApprovalRule, category: TrackingCategory | None
) -> Iterator[MatrixProblem]:
    name = (
        f"category {quoted(category.name if category else rule.category_name or rule.category_id)}"
    )
    if category is None:
        text = f"{name} does not exist in Xero; pick another category or remove the rule."
        yield place.problem("category_missing", Severity.ERROR, text)
    elif category.status is TrackingStatus.ARCHIVED:
        text = f"{name} is archived in Xero; restore it in Xero or remove the rule."
        yield place.problem("category_archived", Severity.ERROR, text)
    elif category.status is TrackingStatus.DELETED:
        text = f"{name} is deleted in Xero; pick another category or remove the rule."
        yield place.problem("category_deleted", Severity.ERROR, text)


def _option_problems(
    place: _Place, rule: ApprovalRule, category: TrackingCategory
) -> Iterator[MatrixProblem]:
    for option_id in rule.options:
        option = category.option(option_id)
        if option is None:
            text = (
                f"option {quoted(option_id)} is not in {safe_text(category.name)}; "
                "pick another option."
            )
            yield place.problem("option_missing", Severity.ERROR, text, option_id)
        elif option.status is TrackingStatus.ARCHIVED:
            text = (
                f"option {quoted(option.name)} of {safe_text(category.name)} is archived in Xero, "
                "so only older documents carry it; pick another option or restore it in Xero."
            )
            yield place.problem("option_archived", Severity.WARNING, text, option_id)
        elif option.status is TrackingStatus.DELETED:
            text = (
                f"option {quoted(option.name)} of {safe_text(category.name)} is deleted in Xero; "
                "pick another."
            )
            yield place.problem("option_deleted", Severity.ERROR, text, option_id)
