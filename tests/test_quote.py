"""The one safe-quoting helper: bounded, printable, UTF-8 encodable, never raising."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._quote import (
    QUOTE_LIMIT,
    describe_value,
    exception_text,
    quoted,
    safe_text,
)


class _Hostile(str):
    """A str subclass whose every method raises."""

    __slots__ = ()

    def __str__(self) -> str:
        raise RuntimeError

    def __len__(self) -> int:
        raise RuntimeError

    def __getitem__(self, index: object) -> str:
        raise RuntimeError

    def __repr__(self) -> str:
        raise RuntimeError


class _BadRepr:
    def __repr__(self) -> str:
        raise ValueError


class _BadMessageError(Exception):
    def __str__(self) -> str:
        raise ValueError


class TestQuoting:
    """Ordinary values are quoted as before; hostile ones safely."""

    def test_an_ordinary_value_is_quoted_as_it_is(self):
        assert '"Perth office"' == quoted("Perth office")

    def test_control_characters_and_surrogates_are_escaped(self):
        assert '"a\\x1b[31mb\\n\\ud800\\u202e"' == quoted("a\x1b[31mb\n\ud800\u202e")

    def test_safe_text_does_not_quote(self):
        assert "tab\\there" == safe_text("tab\there")

    def test_a_long_value_is_cut_and_its_length_said(self):
        assert f'"{"x" * QUOTE_LIMIT}…" (1,000,000 characters)' == quoted("x" * 1_000_000)

    def test_a_str_subclass_is_read_without_its_methods(self):
        assert '"hi"' == quoted(_Hostile("hi"))
        assert 'the _Hostile "hi"' == describe_value(_Hostile("hi"))

    def test_a_huge_int_is_shown_by_its_size(self):
        assert "the int of about 5,000 digits" == describe_value(10**5000)

    def test_a_failing_repr_is_not_shown(self):
        assert "the _BadRepr (which cannot be shown)" == describe_value(_BadRepr())
        assert "the list (which cannot be shown)" == describe_value([10**5000])

    def test_an_exception_whose_message_fails(self):
        assert "_BadMessageError: (its message could not be read)" == exception_text(
            _BadMessageError()
        )
        assert "ValueError: bad\\nthing" == exception_text(ValueError("bad\nthing"))

    @given(st.text(st.characters(exclude_categories=())) | st.text(max_size=500))
    def test_any_text_is_bounded_printable_and_encodable(self, text):
        """Whatever the text (surrogates too): bounded, no control character, valid UTF-8."""
        shown = quoted(text)
        shown.encode("utf-8")
        assert len(shown) <= QUOTE_LIMIT * 10 + 40
        assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in shown)
