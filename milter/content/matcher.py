"""matcher -- the single pass: one RE2 search over each text for every detector at once.

All shapes of all detectors (ordered by priority) and one alternation of all keywords become one
RE2 pattern without capture groups, compiled in Latin-1 (byte) mode over the UTF-8 text.  The
scan loop takes each match, finds the first shape whose Python `re` twin fullmatches the matched
bytes and hands it to the owning detector run -- or, when no shape does, treats it as a keyword
and tells every run that asked for that word.  RE2 scans in linear time with DFAs only (capture
groups would make it run its NFA over a large program for every match: measured 10x slower), so
the cost is one pass over the text plus a little Python per candidate.

Refuses: shapes with capture groups, or outside the ASCII syntax RE2 and Python `re` share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from milter.content._re2 import Regex, compile_re2, first_byte_range, group_count, span_finder
from milter.content.keywords import KeywordTable, Listener, is_word_char_at, is_word_char_before
from milter.content.registry import Detector, DetectorRun, Segment

_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class _Handler:
    detector: int
    tag: str
    fullmatch: Callable[[bytes], re.Match[bytes] | None]


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
        self._shapes_skip_lower = True
        for _, index, shape in ordered:
            if group_count(shape.pattern, latin1=True):
                raise ValueError(f"shape {shape.tag!r} must not contain capture groups")
            try:
                python = re.compile(shape.pattern.encode("ascii"))
            except (re.error, UnicodeError) as exc:
                raise ValueError(f"shape {shape.tag!r} is not plain ASCII RE2/re syntax") from exc
            alternatives.append(f"(?:{shape.pattern})")
            self._handlers.append(_Handler(index, shape.tag, python.fullmatch))
            starts_lower = first_byte_range(shape.pattern)[1] >= b"a"
            self._shapes_skip_lower = self._shapes_skip_lower and not starts_lower
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
        self._regex: Regex | None = (
            compile_re2("|".join(alternatives), latin1=True) if alternatives else None
        )
        self._spans = span_finder(self._regex) if self._regex is not None else None

    def run(self, segment: Segment, runs: Sequence[DetectorRun]) -> None:
        """One pass over `segment`: dispatch every candidate, then close the segment."""
        if self._regex is not None:
            self._pass(segment.data, runs)
        for run in runs:
            run.on_segment(segment)

    def _pass(self, data: bytes, runs: Sequence[DetectorRun]) -> None:
        assert self._spans is not None
        spans = self._spans
        handlers = self._handlers
        lookup = self.keywords.lookup
        size = len(data)
        pos = 0
        while pos < size:
            resumed = False
            for start, end in spans(data, pos):
                token = data[start:end]
                resume: int | None = None
                # No shape starts with a lower-case letter (checked at construction): such a
                # match is a keyword, no need to try the shapes.
                if self._shapes_skip_lower and token[0] in _LOWER:
                    handler = None
                else:
                    handler = next((h for h in handlers if h.fullmatch(token)), None)
                if handler is not None:
                    resume = runs[handler.detector].on_shape(handler.tag, data, start, end)
                else:
                    if not is_word_char_before(data, start) and not is_word_char_at(data, end):
                        for listener, key in lookup(token):
                            runs[listener.detector].on_keyword(listener.tag, key, start, end)
                if resume is not None and resume < end:
                    pos = max(resume, start + 1)
                    resumed = True
                    break
            if not resumed:
                return
