"""Tests of the source adapter base class."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import FieldLevel, FieldSpec
from trackmap._sources import (
    BodyLine,
    ContactRef,
    DocumentBody,
    Outbound,
    SourceAdapter,
    field_text,
)
from trackmap.errors import DocumentError, SourceError

FIELDS = (FieldSpec(name="branch", level=FieldLevel.DOCUMENT, label="Branch"),)


class DictAdapter(SourceAdapter[dict[str, str]]):
    """A minimal adapter over dicts; ``record["number"]`` fails loudly when missing."""

    def fields(self) -> tuple[FieldSpec, ...]:
        return FIELDS

    def document(self, record: dict[str, str]) -> Document:
        return Document(
            key=record["number"],
            kind=DocumentKind.SALES_INVOICE,
            fields={"branch": record.get("branch")},
            lines=(self.line(1, stage=record.get("stage")),),
        )


class BodyAdapter(DictAdapter):
    """Adds bodies, and names records in the host's words."""

    def body(self, record: dict[str, str]) -> DocumentBody:
        return DocumentBody(
            contact=ContactRef(name=record["client"]),
            date=dt.date(2026, 3, 1),
            lines=(BodyLine(description="Design", unit_amount=Decimal("120.00")),),
        )

    def describe(self, record: object) -> str:
        number = record.get("number", "?") if isinstance(record, dict) else "?"
        return f"invoice {number}"


class TestAbstractMethods:
    """A subclass that forgets an abstract method fails when instantiated, not mid-sync."""

    def test_missing_document_fails_at_instantiation(self):
        class NoDocument(SourceAdapter[str]):
            def fields(self) -> tuple[FieldSpec, ...]:
                return ()

        with pytest.raises(TypeError, match="document"):
            NoDocument()  # type: ignore[abstract]

    def test_missing_fields_fails_at_instantiation(self):
        class NoFields(SourceAdapter[str]):
            def document(self, record: str) -> Document:
                return Document(key=record, kind=DocumentKind.BILL)

        with pytest.raises(TypeError, match="fields"):
            NoFields()  # type: ignore[abstract]

    def test_complete_subclass_works(self):
        adapter = DictAdapter()
        expected = Document(
            key="INV-1",
            kind=DocumentKind.SALES_INVOICE,
            fields={"branch": "Perth"},
            lines=(Line(key="1", fields={"stage": None}),),
        )
        assert expected == adapter.document({"number": "INV-1", "branch": "Perth"})
        assert adapter.fields() == FIELDS


class TestErrorWrapping:
    """A host's exception while reading a record becomes a SourceError naming the record."""

    def test_key_error_is_wrapped_with_record(self):
        with pytest.raises(SourceError) as info:
            DictAdapter().document({"branch": "Perth"})
        assert "DictAdapter could not read record {'branch': 'Perth'}" in str(info.value)
        assert "KeyError" in str(info.value)
        expected = "record {'branch': 'Perth'}"
        assert expected == info.value.record
        assert isinstance(info.value.__cause__, KeyError)

    def test_describe_override_names_the_record(self):
        with pytest.raises(SourceError) as info:
            BodyAdapter().body({"number": "INV-9"})
        expected = "invoice INV-9"
        assert expected == info.value.record
        assert str(info.value).startswith("BodyAdapter could not read invoice INV-9 (body)")

    def test_trackmap_errors_pass_through_unwrapped(self):
        class Strict(DictAdapter):
            def document(self, record: dict[str, str]) -> Document:
                msg = "Invoice 3 has two lines keyed 1."
                raise DocumentError(msg, document_key="3")

        with pytest.raises(DocumentError, match="two lines keyed 1"):
            Strict().document({})

    def test_outbound_does_not_double_wrap(self):
        with pytest.raises(SourceError) as info:
            BodyAdapter().outbound({"client": "Acme"})
        assert str(info.value).count("could not read") == 1
        assert "(document)" in str(info.value)

    def test_failing_describe_does_not_hide_the_error(self):
        class BadDescribe(DictAdapter):
            def describe(self, record: object) -> str:
                raise RuntimeError

        with pytest.raises(SourceError) as info:
            BadDescribe().document({})
        expected = "a dict record"
        assert expected == info.value.record

    def test_staticmethod_readers_are_guarded_too(self):
        class Static(DictAdapter):
            @staticmethod
            def body(record: dict[str, str]) -> str:
                return record["client"]

        expected = "Acme"
        assert expected == Static().body({"client": "Acme"})
        with pytest.raises(SourceError, match=r"Static could not read record \{\} \(body\)"):
            Static().body({})

    def test_long_records_are_shortened(self):
        with pytest.raises(SourceError) as info:
            DictAdapter().document({"x": "y" * 500})
        assert info.value.record is not None
        assert len(info.value.record) < 100


class TestBodiesAndOutbound:
    """Bodies are optional; without them delivery is refused with a clear sentence."""

    def test_default_body_refuses(self):
        with pytest.raises(SourceError, match=r"does not build document bodies"):
            DictAdapter().body({"number": "INV-1"})

    def test_outbound_pairs_document_and_body(self):
        record = {"number": "INV-2", "branch": "Perth", "client": "Acme"}
        adapter = BodyAdapter()
        expected = Outbound(document=adapter.document(record), body=adapter.body(record))
        assert expected == adapter.outbound(record)

    def test_documents_and_outbounds_are_lazy(self):
        def records():
            yield {"number": "A", "client": "Acme"}
            msg = "read too far"
            raise AssertionError(msg)

        adapter = BodyAdapter()
        expected = "A"
        assert expected == next(adapter.documents(records())).key
        assert expected == next(adapter.outbounds(records())).document.key


class TestFieldText:
    """Host values become the text the engine compares."""

    def test_known_types(self):
        expected = [None, "x", "12", "12.50", "2026-03-01"]
        assert expected == [
            field_text(None),
            field_text("x"),
            field_text(12),
            field_text(Decimal("12.50")),
            field_text(dt.date(2026, 3, 1)),
        ]

    @pytest.mark.parametrize("value", [1.5, True, object(), ["a"]])
    def test_other_types_are_refused(self, value):
        with pytest.raises(SourceError, match="must be text"):
            field_text(value)

    def test_line_helper(self):
        expected = Line(key="7", fields={"stage": "3", "manager": None})
        assert expected == SourceAdapter.line(7, stage=3, manager=None)

    @given(st.integers())
    def test_integers_round_trip(self, number):
        """For every int n, field_text(n) is text that parses back to n."""
        assert number == int(field_text(number) or "")


class _LazyRow(Mapping[str, str | None]):
    """A host mapping that computes each value when read; ``job`` fails."""

    def __getitem__(self, name: str) -> str | None:
        if name == "job":
            msg = "the job was deleted"
            raise LookupError(msg)
        return "Perth"

    def __iter__(self) -> Iterator[str]:
        return iter(("branch", "job"))

    def __len__(self) -> int:
        return 2


class _Unprintable(Exception):  # noqa: N818 - a host's exception, named as hosts name them
    def __str__(self) -> str:
        raise RuntimeError


class TestHostileReads:
    """Failing field getters and field listings are SourceErrors that say where."""

    def test_a_failing_field_getter_names_the_record_and_the_field(self):
        class Lazy(BodyAdapter):
            def document(self, record):
                return Document(key="INV-7", kind=DocumentKind.BILL, fields=_LazyRow())

        with pytest.raises(SourceError) as info:
            Lazy().document({"number": "INV-7"})
        expected = (
            'Lazy could not read invoice INV-7 (document, field "job"): '
            "LookupError: the job was deleted"
        )
        assert (expected, "invoice INV-7") == (str(info.value), info.value.record)
        assert isinstance(info.value.__cause__, LookupError)

    def test_a_failing_line_getter_names_the_field_too(self):
        class Lazy(BodyAdapter):
            def document(self, record):
                lines = (Line(key="1", fields=_LazyRow()),)
                return Document(key="INV-7", kind=DocumentKind.BILL, lines=lines)

        with pytest.raises(SourceError, match='field "job"'):
            Lazy().document({"number": "INV-7"})

    def test_an_exception_whose_message_fails_is_still_reported(self):
        class Broken(BodyAdapter):
            def document(self, record):
                raise _Unprintable

        with pytest.raises(SourceError) as info:
            Broken().document({"number": "INV-7"})
        assert "_Unprintable: (its message could not be read)" in str(info.value)

    def test_a_failing_fields_listing_is_a_source_error(self):
        class NoFields(DictAdapter):
            def fields(self):
                msg = "settings table missing"
                raise RuntimeError(msg)

        with pytest.raises(SourceError) as info:
            NoFields().fields()
        expected = (
            "NoFields could not list its fields (fields): RuntimeError: settings table missing"
        )
        assert expected == str(info.value)

    def test_fields_that_are_not_field_specs_are_refused(self):
        class Wrong(DictAdapter):
            def fields(self):
                return ("branch",)

        with pytest.raises(SourceError, match=r"must return FieldSpec values, but one is the str"):
            Wrong().fields()

    def test_a_control_character_in_a_description_is_escaped(self):
        class Loud(DictAdapter):
            def describe(self, record):
                return "invoice \x1b[31m7"

        with pytest.raises(SourceError) as info:
            Loud().document({})
        assert "\x1b" not in str(info.value)
        assert "invoice \\x1b[31m7" in str(info.value)
