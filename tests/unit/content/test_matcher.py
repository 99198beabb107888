"""Unit tests for the single pass's dispatch of shape matches (milter.content.matcher)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content import ScanConfig, compile_config
from milter.content.matcher import Matcher
from milter.content.registry import Detector, DetectorRun, Segment, Shape

CONFIG = ScanConfig()


@dataclass(slots=True)
class _Calls(DetectorRun):
    seen: list[tuple[int, int]] = field(default_factory=list)

    def on_shape(self, tag: str, data: bytes, start: int, end: int) -> int | None:
        self.seen.append((start, end))
        return None


@dataclass(slots=True)
class _Sink(DetectorRun):
    matches: list[tuple[int, int]] = field(default_factory=list)
    seen: list[tuple[int, int]] = field(default_factory=list)

    def shape_sink(self, tag: str) -> list[tuple[int, int]] | None:
        return self.matches

    def on_segment(self, segment: Segment) -> None:
        self.seen.extend(self.matches)
        self.matches.clear()


class _Numbers(Detector):
    def __init__(self, config: ScanConfig, run: type[DetectorRun]) -> None:
        super().__init__(config)
        self.run = run

    def shapes(self) -> tuple[Shape, ...]:
        return (Shape("n", r"\d{3,}|\d+-\d+"),)

    def start(self) -> DetectorRun:
        return self.run()


def spans(run: type[DetectorRun], text: bytes) -> list[tuple[int, int]]:
    """The shape spans a run of kind `run` is given over `text`, one segment."""
    detector = _Numbers(CONFIG, run)
    started = detector.start()
    Matcher([detector]).run(Segment("body", text), [started])
    assert isinstance(started, _Calls | _Sink)
    return started.seen


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789- ab", max_size=60))
def test_sink_gets_what_on_shape_gets(text: str) -> None:
    """A run with a shape_sink sees the same matches, in order, as one called per match."""
    data = text.encode()
    assert spans(_Sink, data) == spans(_Calls, data)


def test_sink_is_filled_per_segment() -> None:
    """The sink holds one segment's matches when on_segment runs."""
    assert spans(_Sink, b"123 x 4-5 6789") == [(0, 3), (6, 9), (10, 14)]


def test_shape_starts_cover_every_shape_match() -> None:
    """Any first byte that lets a token fullmatch a shape is in the shape-start set."""
    matcher = compile_config(CONFIG).matcher
    tails = [b"612345678", b"0612345678", b"031 6 12345678", b"20) 1234567", b"11222333"]
    tails += [b"31 6 12345678", b"L91ABNA0417164300", b"234 AB", b"23 456 782", b"1.222.333"]
    for byte in range(256):
        for tail in tails:
            if matcher._shape_of(bytes([byte]) + tail) is not None:
                assert byte in matcher._shape_starts, (byte, tail)


def test_shape_starts_of_the_default_shapes() -> None:
    """Digits, '+', '(' and capitals can start a shape; lower-case letters never do."""
    starts = compile_config(CONFIG).matcher._shape_starts
    assert set(b"0123456789+(ABZ") <= starts
    assert not set(b"abcxyz \n\xc3") & starts


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="ab 0123456789-+()\n", max_size=8),
    st.sampled_from(["0612345678", "06-12345678", "+31 6 12345678", "101722333", "1234 AB"]),
    st.text(alphabet="ab 0123456789-+()\n", max_size=8),
)
def test_shape_at_is_fullmatch_of_the_match(before: str, token: str, after: str) -> None:
    """Asking the shapes at (start, end) in the text answers as asking the copied match."""
    matcher = compile_config(CONFIG).matcher
    data = (before + token + after).encode()
    start, end = len(before), len(before) + len(token)
    at = matcher._shape_at(data, start, end)
    copied = matcher._shape_of(data[start:end])
    assert (at and at.lastindex) == (copied and copied.lastindex)


class _Bounded(Detector):
    def shapes(self) -> tuple[Shape, ...]:
        return (Shape("n", r"\b\d{3}\b"),)

    def start(self) -> DetectorRun:
        return _Calls()


def test_shape_looking_outside_its_match_is_asked_on_a_copy() -> None:
    """A shape with \\b is matched on the copied token, as RE2's match is."""
    matcher = Matcher([_Bounded(CONFIG)])
    data = b"x123 456"
    assert matcher._shape_at(data, 1, 4) is not None  # 'x' before does not count
    run = _Calls()
    matcher.run(Segment("body", data), [run])
    assert run.seen == [(5, 8)]
