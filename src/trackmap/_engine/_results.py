"""What the engine hands back: compile violations, resolutions, explanations and problems.

All frozen values. The sync layer carries them out; the engine never does I/O.
"""

from __future__ import annotations

import enum
import functools
import itertools
from decimal import Decimal
from fractions import Fraction

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._fingerprint import (
    assignment_text,
    digest,
    line_text,
    split_key,
    token_text,
)
from trackmap._engine._quote import quoted

__all__ = [
    "Assignment",
    "AssignmentRule",
    "BatchResolution",
    "Explanation",
    "LinePart",
    "OptionToCreate",
    "Problem",
    "Resolution",
    "ResolvedLine",
    "Severity",
    "ShareOption",
    "Violation",
    "share_label",
]


class Severity(enum.Enum):
    """An ERROR blocks its document; a WARNING is reported and the document still goes."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(kw_only=True)
class Violation:
    """One broken rule found when a mapping is compiled against a schema.

    ``code`` is stable and machine-readable (``"category_bound_twice"``); ``message`` is a
    sentence a host can show its end user unchanged. ``binding`` is the binding's index in the
    mapping, when the violation belongs to one.
    """

    code: str
    message: str
    binding: int | None = None
    category_id: str | None = None
    category_name: str | None = None
    field: str | None = None
    value: str | None = None
    option_id: str | None = None


class AssignmentRule(enum.Enum):
    """Which rule produced an assignment."""

    TABLE = "table"  # the value was found in the binding's table
    NAME = "name"  # the value equals an active option's name
    DEFAULT = "default"  # the binding's default option
    CREATE = "create"  # the value names an option that will be created first
    SPLIT = "split"  # the table row splits the value across several options, by shares


def share_label(share: Fraction) -> str:
    """A share as a percentage for people: ``60%``, ``33.33%`` (rounded to 2 places)."""
    percent = Decimal(share.numerator * 100) / Decimal(share.denominator)
    exact = share * 100 == Fraction(percent)
    shown = percent.quantize(Decimal("0.01")) if not exact else percent
    text = f"{shown.normalize():f}" if shown != 0 else "0"
    return f"{text}%"


@attrs.frozen(kw_only=True)
class Explanation:
    """Why a line got an option: which field, which raw value, which rule."""

    rule: AssignmentRule
    field: str | None = None
    value: str | None = None
    share: Fraction | None = None

    def sentence(self, category_name: str, option_name: str) -> str:
        """Say it in words: 'Region = "Perth" because stage_manager is "Ann" (table row)'."""
        target = f"{category_name} = {quoted(option_name)}"
        if self.share is not None:
            target = f"{target} for {share_label(self.share)}"
        return self.reason(target)

    def reason(self, target: str) -> str:
        """``target`` (what was assigned, in words) followed by why."""
        if self.rule is AssignmentRule.DEFAULT and self.field is None:
            return f"{target}: the default, as no source field had a value"
        source = f"{self.field} is {quoted(self.value)}"
        reasons = {
            AssignmentRule.TABLE: "mapped by the table",
            AssignmentRule.NAME: "the option of that name",
            AssignmentRule.DEFAULT: "not mapped, so the default",
            AssignmentRule.CREATE: "no such option yet: it will be created",
            AssignmentRule.SPLIT: "split by the table",
        }
        return f"{target} because {source} ({reasons[self.rule]})"


@attrs.frozen(kw_only=True)
class ShareOption:
    """One share of a split assignment: an option and its exact share of the line."""

    option_id: str
    option_name: str
    share: Fraction


@attrs.frozen(kw_only=True)
class Assignment:
    """One tracking entry on one line: a category and its option.

    ``option_id`` is None only for an option that is planned for creation (rule CREATE).
    A split (rule SPLIT) has its options in ``shares``; ``option_id`` and ``option_name`` are
    then the first share's, and the line is sent as one line per share (`ResolvedLine.parts`).
    """

    category_id: str
    category_name: str
    option_id: str | None
    option_name: str
    explanation: Explanation
    shares: tuple[ShareOption, ...] = ()

    def describe(self) -> str:
        """The explanation as a sentence."""
        if self.shares:
            names = ", ".join(
                f"{quoted(s.option_name)} {share_label(s.share)}" for s in self.shares
            )
            return self.explanation.reason(f"{self.category_name} = {names}")
        return self.explanation.sentence(self.category_name, self.option_name)

    def split_parts(self) -> tuple[Assignment, ...]:
        """One plain assignment per share (just this one when it does not split)."""
        if not self.shares:
            return (self,)
        return tuple(
            Assignment(
                category_id=self.category_id,
                category_name=self.category_name,
                option_id=s.option_id,
                option_name=s.option_name,
                explanation=attrs.evolve(self.explanation, share=s.share),
            )
            for s in self.shares
        )

    @property
    def option_key(self) -> str:
        """This assignment's token text in the fingerprint encoding."""
        if self.shares:
            return token_text(
                self.category_id, split_key([(s.option_id, s.share) for s in self.shares])
            )
        return assignment_text(self.category_id, self.option_id, self.option_name)


@attrs.frozen(kw_only=True)
class Problem:
    """Something wrong with a document, located as precisely as it can be.

    ``message`` names the document, line, category, field and value as they apply, in words a
    host can show its end user unchanged.
    """

    severity: Severity
    code: str
    message: str
    document_key: str
    line_key: str | None = None
    category_id: str | None = None
    category_name: str | None = None
    field: str | None = None
    value: str | None = None


@attrs.frozen(kw_only=True)
class LinePart:
    """One line that a split host line becomes: its share and its plain assignments.

    ``number`` counts the parts of one host line from 1; ``share`` is the exact share of the
    host line's amount (the product of the shares when two bindings split).
    """

    line_key: str
    number: int
    share: Fraction
    shares: tuple[Fraction, ...]
    assignments: tuple[Assignment, ...]

    @property
    def label(self) -> str:
        """The share in words: ``60%``, or ``60% x 50%`` when two bindings split."""
        return " x ".join(share_label(s) for s in self.shares)

    def describe(self) -> str:
        """Where it comes from: ``60% of line 3``."""
        return f"{self.label} of line {self.line_key}"


@attrs.frozen(kw_only=True)
class ResolvedLine:
    """The assignments of one line, in binding order, at most one per category."""

    key: str
    assignments: tuple[Assignment, ...] = ()

    @functools.cached_property
    def _encoded(self) -> str:
        # This line's part of the fingerprint encoding (the resolver fills it in as it builds
        # the line, from texts it memoises).
        return line_text(self.key, [a.option_key for a in self.assignments])

    @functools.cached_property
    def parts(self) -> tuple[LinePart, ...]:
        """The lines this line is sent as when an assignment splits; empty when none does.

        Splits on two bindings multiply, in binding order: (Sydney 60%, Melbourne 40%) with
        (Design 50%, Build 50%) makes four parts, Sydney/Design 30% first.
        """
        if not any(a.shares for a in self.assignments):
            return ()
        combos = itertools.product(*(a.split_parts() for a in self.assignments))
        parts = []
        for number, combo in enumerate(combos, 1):
            shares = tuple(a.explanation.share for a in combo if a.explanation.share is not None)
            share = Fraction(1)
            for s in shares:
                share *= s
            parts.append(
                LinePart(
                    line_key=self.key, number=number, share=share, shares=shares, assignments=combo
                )
            )
        return tuple(parts)


@attrs.frozen(kw_only=True)
class OptionToCreate:
    """An option a ``create`` binding needs before the documents that use it can be sent."""

    category_id: str
    category_name: str
    name: str
    document_keys: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Resolution:
    """The tracking one document would carry, with problems and a fingerprint.

    Attributes:
        document_key: The document's key.
        kind: The document's kind.
        lines: One entry per document line, in order.
        problems: Errors block the document; warnings do not.
        options_to_create: Options this document needs created first (de-duplicated).

    ``fingerprint`` is computed from ``kind`` and ``lines`` when first read.
    """

    document_key: str
    kind: DocumentKind
    lines: tuple[ResolvedLine, ...]
    problems: tuple[Problem, ...] = ()
    options_to_create: tuple[OptionToCreate, ...] = ()

    @functools.cached_property
    def fingerprint(self) -> str:
        """A stable digest of the tracking that would be sent (see `trackmap.fingerprint`).

        It changes if and only if that tracking changes; computed when first read, as a
        preview never needs it.
        """
        return digest(self.kind.value, [line._encoded for line in self.lines])  # noqa: SLF001 - same module

    @property
    def ok(self) -> bool:
        """Whether the document may be sent (it has no error)."""
        return not any(p.severity is Severity.ERROR for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that block this document."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)


@attrs.frozen(kw_only=True)
class BatchResolution:
    """The resolutions of many documents, with their options to create merged.

    ``options_to_create`` is de-duplicated across the batch (by category and normalised name)
    and checked against the category's capacity and the option name length; what does not fit
    is in ``problems`` and blocks the documents that need it.
    """

    resolutions: tuple[Resolution, ...]
    options_to_create: tuple[OptionToCreate, ...] = ()
    problems: tuple[Problem, ...] = ()
