"""Unit tests for milter.content._re2: the first-match helper the single pass calls."""

from __future__ import annotations

from milter.content._re2 import Match, Regex, compile_re2, first_match


class _Wrapped:
    """A compiled pattern without google-re2's private `_regexp` (forces the portable path)."""

    def __init__(self, regex: Regex) -> None:
        self._inner = regex

    def search(self, text: bytes, pos: int = 0) -> Match | None:
        return self._inner.search(text, pos)

    def finditer(self, text: bytes, pos: int = 0):  # type: ignore[no-untyped-def]
        return self._inner.finditer(text, pos)


class TestFirstMatch:
    """(start, end) of the first match at or after a position, or (-1, -1)."""

    def test_direct_and_portable_agree(self) -> None:
        """RE2's Match call and the portable search give the same spans."""
        regex = compile_re2(r"\d{3}|ab", latin1=True)
        data = b"xx123 ab 9 456"
        for find in (first_match(regex), first_match(_Wrapped(regex))):
            assert [find(data, pos, len(data))[0] for pos in (0, 3, 5, 7, 9, 14)] == [
                (2, 5), (6, 8), (6, 8), (11, 14), (11, 14), (-1, -1)
            ]  # fmt: skip
