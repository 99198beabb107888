"""matcher -- the single pass: one RE2 search over each text for every detector at once.

All shapes of all detectors (ordered by priority) and one alternation of all keywords become one
RE2 pattern without capture groups, compiled in Latin-1 (byte) mode over the UTF-8 text.  The
scan loop takes each match, finds the first shape whose Python `re` twin fullmatches the matched
bytes (one `re` call: all twins joined as an alternation of groups, in priority order; the
group that took part is the shape) and hands it to the owning detector run -- or, when no shape
does, treats it as a keyword and tells every run that asked for that word.  RE2 scans in linear
time with DFAs only (capture groups would make it run its NFA over a large program for every
match: measured 10x slower), so the cost is one pass over the text plus a little Python per
candidate.

The search itself is the native finder's (milter._native.Finder, src/finder.rs: a prefilter on
the pattern's 3-byte prefixes, then an anchored DFA; RE2's leftmost-first answer, same start and
end, several times faster on prose) when the extension is built and the finder can prove its
prefilter for the pattern; else RE2's, which stays the reference (tests/unit/content/
test_native_finder.py checks both give the same matches).  With the native finder the loop
itself runs natively for the matches of shapes whose runs batch them (shape_sink: phone, BSN):
Finder.batch appends those to their lists, the shape chosen as the twin chooses it (one DFA of
the shapes, milter._native.Shapes; shapes with look-around are refused, the loop stays here),
and hands every other match back to this loop's body (_handle); test_native_pass.py checks the
runs hear the same either way.

Refuses: shapes with capture groups, or outside the ASCII syntax RE2 and Python `re` share.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import milter.content.native as native
from milter.content._re2 import Regex, compile_re2, first_byte_range, first_match, group_count
from milter.content.keywords import (
    ASCII_WORD,
    KeywordTable,
    Listener,
    after_glue,
    is_word_char_at,
    is_word_char_before,
)
from milter.content.registry import Detector, DetectorRun, Segment

if TYPE_CHECKING:
    from milter import _native


@functools.lru_cache(maxsize=4)
def _native_finder(pattern: str) -> _native.Finder | None:
    """The native finder of `pattern`, or None (extension missing or off, or refused: RE2 then).

    Cached by pattern: building one takes ~50 ms, and a policy reload (or a test) compiles the
    same pattern again; a finder holds no per-scan state (its DFA cache is behind a lock).
    """
    if native.Finder is None:
        return None
    try:
        return native.Finder(pattern)
    except (ValueError, RuntimeError):
        return None  # refused (or a panic while building): RE2 gives the same answers, slower


@dataclass(frozen=True, slots=True)
class _Handler:
    detector: int
    tag: str


class Matcher:
    """The combined pattern of a set of detectors."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        ordered = sorted(
            (
                (shape.priority, index, shape)
                for index, d in enumerate(detectors)
                for shape in d.shapes()
            ),
            key=lambda item: (item[0], item[1]),
        )
        alternatives: list[str] = []
        self._handlers: list[_Handler] = []
        twins: list[bytes] = []
        # the bytes a shape match can start with (RE2's answer may be wider, never narrower):
        # a match starting with any other byte is a keyword, no need to try the shapes
        shape_starts: set[int] = set()
        for _, index, shape in ordered:
            if group_count(shape.pattern, latin1=True):
                raise ValueError(f"shape {shape.tag!r} must not contain capture groups")
            try:
                re.compile(shape.pattern.encode("ascii"))  # its twin must be valid re syntax
            except (re.error, UnicodeError) as exc:
                raise ValueError(f"shape {shape.tag!r} is not plain ASCII RE2/re syntax") from exc
            alternatives.append(f"(?:{shape.pattern})")
            self._handlers.append(_Handler(index, shape.tag))
            twins.append(b"(" + shape.pattern.encode("ascii") + b")")
            low, high = first_byte_range(shape.pattern)
            shape_starts.update(range(low[0], high[0] + 1))
        self.keywords = KeywordTable()
        for index, detector in enumerate(detectors):
            for keyword_set in detector.keyword_sets():
                for word in keyword_set.words:
                    self.keywords.add(word, Listener(index, keyword_set.tag))
        keyword_pattern = self.keywords.pattern()
        if keyword_pattern is not None:
            alternatives.append(keyword_pattern)
        # No capture groups: RE2 then finds each match with its DFAs alone; which alternative
        # matched is settled in Python on the (short) matched bytes.
        pattern = "|".join(alternatives) if alternatives else None
        self.pattern = pattern  # the one pattern both finders search (None: nothing to find)
        # RE2 compiles it first: RE2's refusal is the policy's error, whichever finder runs
        self._regex: Regex | None = compile_re2(pattern, latin1=True) if pattern else None
        self._first = first_match(self._regex) if self._regex is not None else None
        self.finder: Literal["native", "re2"] = "re2"
        finder = _native_finder(pattern) if pattern is not None else None
        if finder is not None:
            self._first = finder.first
            self.finder = "native"
        # fullmatch of the alternation = the first twin that fullmatches; lastindex names it
        # (with no shapes it is never called: no byte starts a shape)
        twins_source = b"|".join(twins)
        twin = re.compile(twins_source or b"(?!)")
        self._shape_of: Callable[[bytes], re.Match[bytes] | None] = twin.fullmatch
        # ...asked as fullmatch(data, start, end), without copying the match out of the text:
        # the same answer unless a shape looks outside its match (^, \A, \b, \B see the text
        # before `start` that way), so a shape with any of those gets the copying form
        looks_around = any(mark in twins_source for mark in (b"^", b"\\A", b"\\b", b"\\B"))
        self._shape_at: Callable[[bytes, int, int], re.Match[bytes] | None] = (
            (lambda data, start, end: twin.fullmatch(data[start:end]))
            if looks_around
            else twin.fullmatch
        )
        self._shape_starts = frozenset(shape_starts)
        # The native pass over the sink shapes' matches (Finder.batch), when the native finder
        # runs and no shape looks outside its match (then the twin's answer is the shapes' DFA's)
        self._shapes: _native.Shapes | None = None
        if finder is not None and native.Shapes is not None and twins and not looks_around:
            try:
                self._shapes = native.Shapes(
                    [shape.pattern for _, _, shape in ordered], bytes(sorted(shape_starts))
                )
                self._batch = finder.batch
            except (ValueError, RuntimeError):
                self._shapes = None  # refused: the Python loop below, the same answers

    def run(self, segment: Segment, runs: Sequence[DetectorRun]) -> None:
        """One pass over `segment`: dispatch every candidate, then close the segment."""
        if self._shapes is not None:
            self._pass_batched(segment.data, runs)
        elif self._regex is not None:
            self._pass(segment.data, runs)
        for run in runs:
            run.on_segment(segment)

    def _pass(self, data: bytes, runs: Sequence[DetectorRun]) -> None:
        # The hot loop of the scanner: one iteration per candidate, so names are local and
        # nothing is built for a candidate that no detector takes.
        assert self._first is not None
        first = self._first
        shape_at = self._shape_at
        shape_starts = self._shape_starts
        lookup = self.keywords.lookup
        cache = self.keywords.cache
        word = ASCII_WORD
        # By the shape's group number: a run that batches its matches (shape_sink) gets the
        # sink's append in `sinks`; the others their on_shape and tag in `calls`.
        sinks: list[Callable[[tuple[int, int]], None] | None] = [None]
        calls: list[tuple[Callable[[str, bytes, int, int], int | None], str] | None] = [None]
        for h in self._handlers:
            run = runs[h.detector]
            batch = run.shape_sink(h.tag)
            sinks.append(None if batch is None else batch.append)
            calls.append((run.on_shape, h.tag) if batch is None else None)
        size = len(data)
        pos = 0
        while pos <= size:
            span = first(data, pos, size)[0]
            start, end = span
            if start < 0:
                return
            pos = end if end > start else end + 1
            if end > start and data[start] in shape_starts:
                shape = shape_at(data, start, end)
                if shape is not None:
                    index = shape.lastindex or 0
                    sink = sinks[index]
                    if sink is not None:
                        sink(span)  # the (start, end) tuple RE2's binding returned
                        continue
                    on_shape, tag = calls[index]  # type: ignore[misc]
                    resume = on_shape(tag, data, start, end)
                    if resume is not None and resume < end:
                        pos = max(resume, start + 1)
                    continue
            token = data[start:end]
            before = data[start - 1] if start else 0x20
            if before < 0x80:
                if before in word:
                    pos = after_glue(data, start, end)
                    continue
            elif is_word_char_before(data, start):
                pos = after_glue(data, start, end)
                continue
            if end < size:
                after = data[end]
                if (after in word) if after < 0x80 else is_word_char_at(data, end):
                    continue
            found = cache.get(token)
            for listener, key in lookup(token) if found is None else found:
                runs[listener.detector].on_keyword(listener.tag, key, start, end)

    def _pass_batched(self, data: bytes, runs: Sequence[DetectorRun]) -> None:
        # _pass with the native finder's batch: the matches of sink shapes go to their lists in
        # Rust (in text order, the twin's choice of shape made by the shapes' DFA); each other
        # match comes back as `stop` and is handled here exactly as _pass handles it.
        assert self._shapes is not None
        shapes, batch = self._shapes, self._batch
        lists: list[list[tuple[int, int]]] = []
        slots: list[int | None] = []
        sinks: list[Callable[[tuple[int, int]], None] | None] = [None]
        calls: list[tuple[Callable[[str, bytes, int, int], int | None], str] | None] = [None]
        for h in self._handlers:
            run = runs[h.detector]
            sink = run.shape_sink(h.tag)
            sinks.append(None if sink is None else sink.append)
            calls.append((run.on_shape, h.tag) if sink is None else None)
            if sink is None:
                slots.append(None)
                continue
            slot = next((i for i, known in enumerate(lists) if known is sink), None)
            if slot is None:
                slot = len(lists)
                lists.append(sink)
            slots.append(slot)
        size = len(data)
        pos = 0
        while pos <= size:
            taken, stop = batch(shapes, slots, data, pos, size)
            for sink, spans in zip(lists, taken, strict=True):
                sink.extend(spans)
            if stop is None:
                return
            pos = self._handle(data, runs, stop, sinks, calls)

    def _handle(
        self,
        data: bytes,
        runs: Sequence[DetectorRun],
        span: tuple[int, int],
        sinks: list[Callable[[tuple[int, int]], None] | None],
        calls: list[tuple[Callable[[str, bytes, int, int], int | None], str] | None],
    ) -> int:
        """One match as _pass's loop body handles it; returns where the pass goes on."""
        start, end = span
        pos = end if end > start else end + 1
        if end > start and data[start] in self._shape_starts:
            shape = self._shape_at(data, start, end)
            if shape is not None:
                index = shape.lastindex or 0
                sink = sinks[index]
                if sink is not None:
                    sink(span)
                    return pos
                on_shape, tag = calls[index]  # type: ignore[misc]
                resume = on_shape(tag, data, start, end)
                if resume is not None and resume < end:
                    pos = max(resume, start + 1)
                return pos
        size = len(data)
        before = data[start - 1] if start else 0x20
        if before < 0x80:
            if before in ASCII_WORD:
                return after_glue(data, start, end)
        elif is_word_char_before(data, start):
            return after_glue(data, start, end)
        if end < size:
            after = data[end]
            if (after in ASCII_WORD) if after < 0x80 else is_word_char_at(data, end):
                return pos
        token = data[start:end]
        found = self.keywords.cache.get(token)
        for listener, key in self.keywords.lookup(token) if found is None else found:
            runs[listener.detector].on_keyword(listener.tag, key, start, end)
        return pos
