"""The base class a host subclasses to hand its records to trackmap.

A host writes one `SourceAdapter` per kind of record it sends (or one for all of them): it
declares the fields its settings page offers (`fields`), turns a record into the engine's
`Document` (`document`) and, for delivery, into a Xero body (`body`). Everything else has a
default.

Two guarantees make adapters safe to run unattended:

- A subclass that forgets an abstract method cannot be instantiated (`abc`), so the mistake
  shows at start-up, not in the middle of a sync.
- Any exception a subclass raises while reading a host record (a missing attribute, a ``None``
  where a job was expected...) reaches the caller as `trackmap.errors.SourceError`, naming the
  record (and the field, when a field's value failed as it was read), with the original
  exception chained. A failing `fields()` is a `SourceError` too, and so is one that does not
  return field specs. Messages quote host values safely (`trackmap._engine._quote`).
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from trackmap._engine._document import FAILED_FIELD, Document, Line
from trackmap._engine._mapping import FieldSpec
from trackmap._engine._quote import describe_value, exception_text, quoted, safe_text
from trackmap._sources._body import Outbound
from trackmap.errors import SourceError, TrackmapError

__all__ = ["FieldValue", "RecordT", "SourceAdapter", "field_text"]

RecordT = TypeVar("RecordT")

#: What a host may hand to `SourceAdapter.line` as a field value: made text by `field_text`.
FieldValue = str | int | Decimal | dt.date | None

# The methods that read a host record: their exceptions become SourceError.
_READERS = ("document", "body", "outbound")
_LABEL_LENGTH = 80


def field_text(value: FieldValue) -> str | None:
    """Turn a host value into the text the engine compares.

    ``None`` stays ``None`` (absent); numbers and dates become their canonical text
    (``Decimal("12.50")`` -> ``"12.50"``, ``date(2026, 3, 1)`` -> ``"2026-03-01"``).

    Raises:
        SourceError: The value is of a type with no obvious text (a float is refused, since
            its text is not stable: use Decimal).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    msg = (
        "A source field value must be text, a whole number, a Decimal or a date, not "
        f"{describe_value(value)}."
    )
    raise SourceError(msg)


def _safe_describe(adapter: SourceAdapter[Any], record: object) -> str:
    # A failing describe() must not hide the original error; what it says is shown safely.
    try:
        label = adapter.describe(record)
    except Exception:  # noqa: BLE001 - any failure falls back to the type name
        label = None
    if isinstance(label, str):
        return safe_text(label)
    return f"a {describe_value(record).removeprefix('the ').split(' ', 1)[0]} record"


def _reader_function(attribute: object) -> Callable[..., Any] | None:
    """The (self, record) function behind a reader defined in a class body, if any."""
    if isinstance(attribute, staticmethod):
        function = attribute.__func__

        @functools.wraps(function)
        def as_method(_: object, record: object) -> Any:  # noqa: ANN401 - mirrors the method
            return function(record)

        return as_method
    return attribute if inspect.isfunction(attribute) else None


def _guard(adapter_name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a record-reading method so that a host's exception becomes a SourceError."""

    @functools.wraps(method)
    def guarded(self: SourceAdapter[Any], record: object) -> Any:  # noqa: ANN401 - mirrors the wrapped method
        try:
            return method(self, record)
        except TrackmapError:
            raise
        except Exception as exc:
            label = _safe_describe(self, record)
            field = _failed_field(exc)
            where = "" if field is None else f", field {quoted(field)}"
            msg = (
                f"{adapter_name} could not read {label} ({method.__name__}{where}): "
                f"{exception_text(exc)}"
            )
            raise SourceError(msg, record=label) from exc

    return guarded


def _failed_field(exc: Exception) -> str | None:
    """The field whose value failed as it was read (`Document` and `Line` mark it), if any."""
    try:
        field = getattr(exc, FAILED_FIELD, None)
    except Exception:  # noqa: BLE001 - a host exception's own __getattr__ may fail
        return None
    return field if isinstance(field, str) else None


def _guard_fields(adapter_name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `fields` so that a failure, or an answer that is not field specs, is a SourceError."""

    @functools.wraps(method)
    def guarded(self: SourceAdapter[Any]) -> tuple[FieldSpec, ...]:
        try:
            specs = tuple(method(self))
        except TrackmapError:
            raise
        except Exception as exc:
            msg = f"{adapter_name} could not list its fields (fields): {exception_text(exc)}"
            raise SourceError(msg) from exc
        for spec in specs:
            if not isinstance(spec, FieldSpec):
                msg = (
                    f"{adapter_name}.fields() must return FieldSpec values, but one is "
                    f"{describe_value(spec)}."
                )
                raise SourceError(msg)
        return specs

    return guarded


class SourceAdapter(abc.ABC, Generic[RecordT]):
    """**Base class:** turns a host's records of type ``RecordT`` into trackmap documents.

    Subclass it, implement `fields` and `document`, and `body` when trackmap delivers the
    documents. A type checker understands the subclass: ``class JobsAdapter(
    SourceAdapter[Invoice])`` makes ``document`` take an ``Invoice``.

    Example:
        >>> class Adapter(SourceAdapter[dict[str, str]]):
        ...     def fields(self):
        ...         return (FieldSpec(name="branch", level=FieldLevel.DOCUMENT, label="Branch"),)
        ...     def document(self, record):
        ...         return Document(key=record["number"], kind=DocumentKind.SALES_INVOICE,
        ...                         fields={"branch": record["branch"]})
    """

    #: How messages name this adapter; defaults to the class name.
    adapter_name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - passes through to object
        super().__init_subclass__(**kwargs)
        name = cls.adapter_name or cls.__name__
        for reader in _READERS:
            method = _reader_function(cls.__dict__.get(reader))
            if method is not None and not getattr(method, "__isabstractmethod__", False):
                setattr(cls, reader, _guard(name, method))
        listing = cls.__dict__.get("fields")
        if inspect.isfunction(listing) and not getattr(listing, "__isabstractmethod__", False):
            cls.fields = _guard_fields(name, listing)  # type: ignore[method-assign]

    @abc.abstractmethod
    def fields(self) -> tuple[FieldSpec, ...]:
        """Return the host fields this adapter fills, document-level and line-level, with labels.

        These are what the host's settings page offers as "record types"; a mapping may only
        bind fields declared here.
        """

    @abc.abstractmethod
    def document(self, record: RecordT) -> Document:
        """Turn one host record into an engine document (its key, kind, fields and lines)."""

    def body(self, record: RecordT) -> object:
        """Return the Xero body of the record: a `DocumentBody` or a xero-python model.

        The body's lines must align, in order, with the lines of `document`. Override it when
        trackmap delivers the documents; the default says that this adapter has no bodies.
        """
        name = self.adapter_name or type(self).__name__
        msg = (
            f"{name} cannot deliver {self.describe(record)}: it does not build document "
            "bodies (override body())."
        )
        raise SourceError(msg, record=self.describe(record))

    # --- settings page hook (optional) ---

    def field_values(self, field: str) -> Iterable[str]:
        """Return the host's known values of a field, as the settings page lists them as rows.

        Override it to list, say, the staff for ``"project_manager"``; the default knows no
        values, and the page then shows only the rows the saved table already has.
        """
        del field  # the default knows no values of any field
        return ()

    def outbound(self, record: RecordT) -> Outbound:
        """Return the record ready for delivery: its document and its body."""
        return Outbound(document=self.document(record), body=self.body(record))

    def documents(self, records: Iterable[RecordT]) -> Iterator[Document]:
        """Turn many records into documents, lazily (memory stays bounded by the caller)."""
        return (self.document(record) for record in records)

    def outbounds(self, records: Iterable[RecordT]) -> Iterator[Outbound]:
        """Turn many records into outbound documents, lazily."""
        return (self.outbound(record) for record in records)

    def describe(self, record: RecordT | object) -> str:
        """Name a record in messages; override to use the host's own words ("Invoice 1042").

        The default is the record's ``repr``, shortened.
        """
        text = repr(record)
        if len(text) > _LABEL_LENGTH:
            text = text[: _LABEL_LENGTH - 3] + "..."
        return f"record {text}"

    @staticmethod
    def line(key: str | int, **fields: FieldValue) -> Line:
        """Build a `Line`, turning each field value into text with `field_text`.

        ``self.line(7, stage_manager=stage.manager_name, discipline=None)``
        """
        return Line(key=str(key), fields={name: field_text(v) for name, v in fields.items()})
