"""Unit tests for milter.content.mask."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.mask import mask_iban, mask_tail


class TestMaskTail:
    """mask_tail keeps only the last characters."""

    @pytest.mark.parametrize(
        ("value", "keep", "expected"),
        [
            ("101722333", 4, "*****2333"),
            ("0612345678", 2, "********78"),
            ("12-03-2011", 2, "**-**-**11"),
            ("1234 AB", 2, "**** AB"),
            ("ab", 2, "**"),
            ("", 2, ""),
        ],
    )
    def test_table(self, value: str, keep: int, expected: str) -> None:
        """Letters and digits are starred except the last `keep`; separators stay."""
        assert mask_tail(value, keep) == expected

    @settings(max_examples=200)
    @given(st.text(alphabet="0123456789ABCDEFabc -.", min_size=3, max_size=40))
    def test_never_the_whole_value(self, value: str) -> None:
        """A masked sample never equals a value with more than two letters or digits."""
        if sum(c.isalnum() for c in value) > 2:
            assert mask_tail(value, 2) != value


class TestMaskIban:
    """mask_iban keeps the country code and last two digits."""

    def test_dutch(self) -> None:
        """NL91ABNA0417164300 becomes NL** **** **** **** 00."""
        assert mask_iban("NL91ABNA0417164300") == "NL** **** **** **** 00"
