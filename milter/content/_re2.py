"""_re2 -- the one place that imports google-re2, with the narrow types the scanner uses.

google-re2 ships no type information; this module gives the rest of the package a typed
`compile()` returning a `Regex` protocol, and turns RE2's refusal into `ValueError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Protocol, cast

import re2  # type: ignore[import-untyped, unused-ignore]

_LATIN1 = re2.Options.Encoding.LATIN1  # type: ignore[attr-defined, unused-ignore]


class Match(Protocol):
    """The part of an RE2 match object the scanner uses."""

    lastindex: int | None

    def span(self, group: int = 0) -> tuple[int, int]: ...


class Regex(Protocol):
    """The part of a compiled RE2 pattern the scanner uses."""

    def search(self, text: bytes, pos: int = 0) -> Match | None: ...

    def finditer(self, text: bytes, pos: int = 0) -> Iterator[Match]: ...


def compile_re2(pattern: str, max_mem: int = 64 * 2**20, *, latin1: bool = False) -> Regex:
    """Compile `pattern` (RE2 syntax) for matching bytes; ValueError if RE2 refuses it.

    By default the pattern is Unicode and the text UTF-8.  With `latin1` the pattern (ASCII,
    with \\xNN escapes) works on single bytes -- much smaller DFAs for the built-in keyword
    and number patterns, which spell out their UTF-8 byte sequences themselves.
    """
    options = re2.Options()
    options.max_mem = max_mem
    options.log_errors = False
    if latin1:
        options.encoding = _LATIN1
    try:
        compiled: object = (
            re2.compile(pattern.encode("ascii"), options)
            if latin1
            else re2.compile(pattern, options)
        )
    except re2.error as exc:
        raise ValueError(str(exc) or "RE2 refuses this pattern") from None
    return cast(Regex, compiled)


def group_count(pattern: str, *, latin1: bool = False) -> int:
    """Number of capture groups in an RE2 pattern (ValueError if it does not compile)."""
    options = re2.Options()
    options.log_errors = False
    if latin1:
        options.encoding = _LATIN1
    try:
        if latin1:
            return int(re2.compile(pattern.encode("ascii"), options).groups)
        return int(re2.compile(pattern, options).groups)
    except re2.error as exc:
        raise ValueError(str(exc) or "RE2 refuses this pattern") from None


def first_byte_range(pattern: str) -> tuple[bytes, bytes]:
    """(lowest, highest) one-byte prefix a match of `pattern` (Latin-1 mode) can start with.

    RE2 may answer with a wider range than is exact, never a narrower one; when it cannot
    answer, the whole byte range is returned.
    """
    options = re2.Options()
    options.log_errors = False
    options.encoding = _LATIN1
    try:
        low, high = re2.compile(pattern.encode("ascii"), options).possiblematchrange(1)
    except (re2.error, AttributeError, TypeError, ValueError):
        return b"\x00", b"\xff"
    return bytes(low), bytes(high)


def first_match(regex: Regex) -> Callable[[bytes, int, int], Sequence[tuple[int, int]]]:
    """A function (data, pos, endpos) -> [(start, end)] of the first match at or after `pos`.

    [(-1, -1)] when there is none.  Uses google-re2's underlying `Match` call directly when it
    is there (bound with functools.partial: no Python frame, no match object; the scanner calls
    this once per candidate), else `search`.
    """
    raw = getattr(regex, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if raw is None or anchor is None or not hasattr(raw, "Match"):

        def portable(data: bytes, pos: int, endpos: int) -> Sequence[tuple[int, int]]:
            found = regex.search(data, pos)  # endpos is always len(data) here
            return [(-1, -1) if found is None else found.span()]

        return portable
    return cast(Callable[[bytes, int, int], Sequence[tuple[int, int]]], partial(raw.Match, anchor))
