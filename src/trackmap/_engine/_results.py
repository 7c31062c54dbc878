"""What the engine hands back: compile violations, resolutions, explanations and problems.

All frozen values. The sync layer carries them out; the engine never does I/O.
"""

from __future__ import annotations

import enum
import functools

import attrs

from trackmap._engine._document import DocumentKind
from trackmap._engine._fingerprint import assignment_text, digest, line_text
from trackmap._engine._quote import quoted

__all__ = [
    "Assignment",
    "AssignmentRule",
    "BatchResolution",
    "Explanation",
    "OptionToCreate",
    "Problem",
    "Resolution",
    "ResolvedLine",
    "Severity",
    "Violation",
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


@attrs.frozen(kw_only=True)
class Explanation:
    """Why a line got an option: which field, which raw value, which rule."""

    rule: AssignmentRule
    field: str | None = None
    value: str | None = None

    def sentence(self, category_name: str, option_name: str) -> str:
        """Say it in words: 'Region = "Perth" because stage_manager is "Ann" (table row)'."""
        target = f"{category_name} = {quoted(option_name)}"
        if self.rule is AssignmentRule.DEFAULT and self.field is None:
            return f"{target}: the default, as no source field had a value"
        source = f"{self.field} is {quoted(self.value)}"
        reasons = {
            AssignmentRule.TABLE: "mapped by the table",
            AssignmentRule.NAME: "the option of that name",
            AssignmentRule.DEFAULT: "not mapped, so the default",
            AssignmentRule.CREATE: "no such option yet: it will be created",
        }
        return f"{target} because {source} ({reasons[self.rule]})"


@attrs.frozen(kw_only=True)
class Assignment:
    """One tracking entry on one line: a category and its option.

    ``option_id`` is None only for an option that is planned for creation (rule CREATE).
    """

    category_id: str
    category_name: str
    option_id: str | None
    option_name: str
    explanation: Explanation

    def describe(self) -> str:
        """The explanation as a sentence."""
        return self.explanation.sentence(self.category_name, self.option_name)


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
class ResolvedLine:
    """The assignments of one line, in binding order, at most one per category."""

    key: str
    assignments: tuple[Assignment, ...] = ()

    @functools.cached_property
    def _encoded(self) -> str:
        # This line's part of the fingerprint encoding (the resolver fills it in as it builds
        # the line, from texts it memoises).
        tokens = [
            assignment_text(a.category_id, a.option_id, a.option_name) for a in self.assignments
        ]
        return line_text(self.key, tokens)


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
