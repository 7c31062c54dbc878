"""Tests for trackmap._engine._names: the one name comparison used everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._names import is_blank, normalise, normalise_all
from trackmap.testing.strategies import hostile_text, hostile_texts, odd_strings


class TestNormalise:
    """Names compare after NFKC, trimming and collapsing white space, and case folding."""

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("Perth", " perth "),
            ("North West", "north \t west"),
            ("STRASSE", "straße"),
            ("ＪＯＢ１", "job1"),  # full-width letters are their plain forms  # noqa: RUF001
        ],
    )
    def test_equal_names(self, one, other):
        assert normalise(one) == normalise(other)

    def test_different_names_stay_different(self):
        assert normalise("Perth") != normalise("Perth CBD")

    def test_the_key_of_a_plain_name(self):
        assert "north west" == normalise("  North   West ")

    @given(st.text())
    def test_it_ignores_surrounding_white_space(self, name):
        """Padding a name with white space never changes its key."""
        assert normalise(name) == normalise(f"  {name}\t ")

    @given(st.text())
    def test_the_key_has_no_outer_or_double_spaces(self, name):
        """A key never starts or ends with white space, nor holds two spaces in a row."""
        key = normalise(name)
        assert (key.strip(), -1) == (key, key.find("  "))


class TestIsBlank:
    """None, empty and white space only count as absent; anything else is a value."""

    @pytest.mark.parametrize("value", [None, "", " ", "\t\n", "\u3000"])
    def test_blank(self, value):
        assert is_blank(value)

    @pytest.mark.parametrize("value", ["0", " x ", "-"])
    def test_not_blank(self, value):
        assert not is_blank(value)

    @given(st.text())
    def test_it_agrees_with_the_resolver_test(self, value):
        """is_blank is exactly "empty or only white space", the test resolution uses."""
        assert is_blank(value) == (not value or value.isspace())


class TestNormaliseAll:
    """normalise_all is normalise of each name, however the names are made."""

    @given(
        st.lists(
            st.one_of(
                st.text(alphabet=" \t\nabcAB\x1f\u00e9\uff21", max_size=8),
                st.sampled_from(("Job 1", "JOB 1", " x", "y ", "a  b", "")),
            ),
            max_size=8,
        )
    )
    def test_it_equals_normalise_name_by_name(self, names):
        """For any list of names: the same keys as normalising each one alone."""
        assert [normalise(n) for n in names] == normalise_all(names)

    @pytest.mark.parametrize(
        "names",
        [
            ["a ~", "b"],  # a joint's character next to a joint
            ["a", "~ b"],
            ["a~b", "c"],
            ["a ~ b", "c"],  # the joint itself inside a name
            [" ~ "],
            ["a ", "b"],  # outer spaces next to a joint
            ["a", " b"],
            ["b", "a "],  # an outer space at either end of the joined text
            [" a", "b"],
            ["", "b"],  # an empty name makes a double space
            ["a\x7fb", "C"],  # DEL and other controls are not printable
            ["A\tB", "C"],
            ["x\x1fy", "Z"],  # a separator str.split splits on
            ["Job 1", "JOB  1"],
            ["Job 1"],
            ["~"],
        ],
    )
    def test_names_that_look_like_joints(self, names):
        """Names holding the joint's characters or odd spacing get normalise's answer."""
        assert [normalise(n) for n in names] == normalise_all(names)

    @given(
        st.lists(
            st.one_of(
                st.text(alphabet=" ~ab AB\t\x7f\x1f", max_size=6),
                st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6),
                hostile_text(),
                hostile_texts(),
                odd_strings(),
            ),
            max_size=6,
        )
    )
    def test_hostile_names_equal_normalise(self, names):
        """Hostile text (controls, surrogates, str subclasses that lie) gets the same keys."""
        assert [normalise(n) for n in names] == normalise_all(names)
