"""Unit tests for milter.content.keywords (the shared word matcher)."""

from __future__ import annotations

import pytest

from milter.content._re2 import compile_re2
from milter.content.keywords import (
    KeywordTable,
    Listener,
    fold,
    is_word_char_at,
    is_word_char_before,
    word_key,
    word_pattern,
)


class TestFolding:
    """fold and word_key."""

    @pytest.mark.parametrize(
        ("word", "key"),
        [
            ("Cliënt", "client"),
            ("sofi-nummer", "sofinummer"),
            ("Veilig Thuis", "veiligthuis"),
            ("geb.", "geb"),
            ("BSN#", "bsn"),
        ],
    )
    def test_keys(self, word: str, key: str) -> None:
        """Keys are lower case, without accents, letters and digits only."""
        assert word_key(word) == key

    def test_fold(self) -> None:
        """Accents and case go."""
        assert fold("ÉÉN Ünïcödé") == "een unicode"


class TestWordPattern:
    """The RE2 fragments, in byte mode over UTF-8."""

    @pytest.mark.parametrize(
        ("word", "text", "hit"),
        [
            ("cliënt", "client", True),
            ("cliënt", "CLIËNT", True),
            ("client", "cliént", True),
            ("cliënt", "clie\u0308nt", True),
            ("sofi-nummer", "sofinummer", True),
            ("sofi-nummer", "sofi nummer", True),
            ("Veilig Thuis", "veilig\r\nthuis", True),
            ("geb.", "geb", True),
            ("dossier", "dosier", False),
        ],
    )
    def test_matches(self, word: str, text: str, hit: bool) -> None:
        """Accent-, case- and separator-insensitive whole-word fragments."""
        regex = compile_re2(f"^(?:{word_pattern(word)})$", latin1=True)
        assert (regex.search(text.encode()) is not None) is hit

    def test_refuses_empty(self) -> None:
        """A word without letters or digits is refused."""
        with pytest.raises(ValueError, match="no letter"):
            word_pattern("--")


class TestKeywordTable:
    """Lookup of matched words."""

    def test_exact_prefix_and_fallback(self) -> None:
        """Exact words, prefix words and shorter words inside a longer match are found."""
        table = KeywordTable()
        a, b = Listener(0, "kw"), Listener(1, "case")
        table.add("bsn", a)
        table.add("bsn-nummer", a)
        table.add("dossier*", b)
        assert table.lookup(b"BSN") == [(a, "bsn")]
        assert table.lookup(b"BSN-nummers") == [(a, "bsn")]
        assert table.lookup(b"dossiers") == [(b, "dossier")]
        assert table.lookup(b"dossi") == []


class TestWordBoundaries:
    """Neighbouring characters decide whole-word."""

    @pytest.mark.parametrize(
        ("data", "index", "before", "at"),
        [
            (b"a b", 1, True, False),
            (b"\xc3\xab", 2, True, False),
            (b"x\xc3\xabx", 1, True, True),
            (b"", 0, False, False),
            (b"1-", 1, True, False),
        ],
    )
    def test_table(self, data: bytes, index: int, before: bool, at: bool) -> None:
        """ASCII letters/digits and non-ASCII letters are word characters."""
        assert is_word_char_before(data, index) is before
        assert is_word_char_at(data, index) is at
