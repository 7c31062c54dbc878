"""trackmap's errors: one base class, structured fields, a sentence a host can show unchanged.

Every error trackmap raises derives from `TrackmapError`; SDK and network exceptions never
escape (they are translated at one boundary in `trackmap.xero`, with ``raise ... from exc``).
``str(error)`` is a complete sentence naming the category, option, value, document and line as
they apply, so a host can put it in front of its end user as it is.

    TrackmapError
    ├── SettingsError            mapping settings that cannot be loaded (every problem, with paths)
    ├── MappingError             a mapping that breaks the rules against a schema (every violation)
    │   └── TrackingDisabledError    the organisation has tracking switched off
    ├── DocumentError            a document the engine cannot take (duplicate line keys...)
    ├── SourceError              a source adapter failed on a host record
    ├── LedgerError              the delivery ledger cannot be used
    │   ├── LedgerCorruptError       not a trackmap ledger, or damaged: never overwritten
    │   └── LedgerBusyError          another process is pushing for the same tenant
    └── TargetError              talking to Xero (or another target) failed
        ├── RateLimitedError         a minute or concurrency limit; retry after ``retry_after``
        │   └── DailyLimitError          the day's calls are spent: stop, resume tomorrow
        ├── UnauthorisedError        401: the token is missing, expired or revoked
        ├── ForbiddenError           403: the token lacks a scope, or the tenant is not connected
        ├── NotFoundError            404: the document or category does not exist
        ├── RejectedError            400: Xero refused the request, with every validation message
        ├── UnavailableError         5xx: Xero is down or failed; safe to retry with the same key
        └── NetworkError             the connection failed or timed out
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from trackmap._engine._results import Violation

__all__ = [
    "DailyLimitError",
    "DocumentError",
    "ForbiddenError",
    "LedgerBusyError",
    "LedgerCorruptError",
    "LedgerError",
    "MappingError",
    "NetworkError",
    "NotFoundError",
    "RateLimitedError",
    "RejectedError",
    "SettingsError",
    "SettingsProblem",
    "SourceError",
    "TargetError",
    "TrackingDisabledError",
    "TrackmapError",
    "UnauthorisedError",
    "UnavailableError",
]


class TrackmapError(Exception):
    """The base of every error trackmap raises; ``str()`` is a sentence for an end user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SettingsProblem:
    """One problem in mapping settings: where (``$.bindings[1].values.table["Perth"]``) and what."""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __repr__(self) -> str:
        return f"SettingsProblem(path={self.path!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SettingsProblem):
            return NotImplemented
        return (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SettingsError(TrackmapError):
    """Settings could not be loaded; ``problems`` lists every one, with its path.

    ``subject`` names what was being loaded ("the tracking settings", "the tracking schema"...).
    """

    def __init__(
        self, problems: Sequence[SettingsProblem], *, subject: str = "the tracking settings"
    ) -> None:
        self.problems = tuple(problems)
        self.subject = subject
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in {subject}:\n{lines}")


class MappingError(TrackmapError):
    """A mapping breaks the rules against the organisation's schema.

    ``violations`` holds every broken rule at once, each with its own sentence.
    """

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        count = len(self.violations)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  - {v.message}" for v in self.violations)
        super().__init__(f"The tracking mapping has {count} {noun}:\n{lines}")


class TrackingDisabledError(MappingError):
    """The organisation has no active tracking category, yet the mapping binds some.

    Its message leads with the sentence about tracking being off; any other violations follow.
    """

    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__(violations)
        off = [v for v in self.violations if v.code == "tracking_off"]
        rest = [v for v in self.violations if v.code != "tracking_off"]
        lines = [v.message for v in off]
        if rest:
            lines.append("The mapping also has these problems:")
            lines.extend(f"  - {v.message}" for v in rest)
        self.message = "\n".join(lines)
        self.args = (self.message,)


class DocumentError(TrackmapError):
    """A document the engine cannot take as it is."""

    def __init__(self, message: str, *, document_key: str | None = None) -> None:
        super().__init__(message)
        self.document_key = document_key


class SourceError(TrackmapError):
    """A source adapter failed to turn a host record into a document."""

    def __init__(self, message: str, *, record: str | None = None) -> None:
        super().__init__(message)
        self.record = record


class LedgerError(TrackmapError):
    """The delivery ledger cannot be used."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class LedgerCorruptError(LedgerError):
    """The ledger file is damaged or is not a trackmap ledger; it is left untouched."""


class LedgerBusyError(LedgerError):
    """Another process holds the ledger for this tenant."""


class TargetError(TrackmapError):
    """Talking to the target (Xero) failed.

    Attributes:
        status: The HTTP status, when there was one.
        document_key: The document concerned, when one was.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        document_key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.document_key = document_key


class RateLimitedError(TargetError):
    """Xero refused the call for a rate limit; ``retry_after`` is in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        problem: str = "minute",
        status: int | None = 429,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.problem = problem


class DailyLimitError(RateLimitedError):
    """The tenant's calls for the day are spent; what is left stays pending."""


class UnauthorisedError(TargetError):
    """Xero answered 401: the access token is missing, expired or revoked."""


class ForbiddenError(TargetError):
    """Xero answered 403: a scope is missing or the tenant is not connected to the app."""


class NotFoundError(TargetError):
    """Xero answered 404."""


class RejectedError(TargetError):
    """Xero refused the request (400); ``messages`` holds every validation message."""

    def __init__(
        self,
        message: str,
        *,
        messages: Sequence[str] = (),
        status: int | None = 400,
        document_key: str | None = None,
    ) -> None:
        super().__init__(message, status=status, document_key=document_key)
        self.messages = tuple(messages)


class UnavailableError(TargetError):
    """Xero failed or is down (5xx)."""


class NetworkError(TargetError):
    """The connection to Xero failed or timed out before an answer came."""
