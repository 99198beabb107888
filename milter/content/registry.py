"""registry -- what a detector is, and the table of detectors by name.

A detector is a class registered with `@register("name")`.  At policy load it is built once from
the `ScanConfig` and declares what it wants to see:

- `shapes()`: RE2 patterns (over UTF-8 text) for candidate values -- BSN-shaped digit runs, IBANs,
  phone numbers.  The scanner joins every shape of every detector into ONE alternation and makes a
  single pass over each text; where two shapes could match the same text the one with the lower
  `priority` claims it (a phone number claims its digits before the BSN detector sees them).
- `keyword_sets()`: words it wants the positions of (context words like "BSN", the officer's case
  keywords).  All keywords share one whole-word, case- and accent-insensitive matcher; every
  detector that asked for a word hears about it.

Per message the scanner calls `start()` for a `DetectorRun`, feeds it matches segment by segment
(`on_shape`, `on_keyword`, then `on_segment` with the whole segment), and asks it for `findings()`.
A run that never moves the pass (its `on_shape` would always return None) may instead return a
list from `shape_sink(tag)`: the scanner then appends each match's (start, end) to it and calls
no method per match, and the run checks the whole batch in `on_segment` -- the same candidates in
the same order, without a Python call each.
Detectors that need the whole text instead (officer regexes) override `on_segment` only.

Adding a detector is one module under `detectors/` plus its name in `detectors/__init__.py`; the
scanner core does not change.

Refuses: registering the same name twice; a shape with its own capture groups (the scanner uses
group numbers to dispatch).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, ClassVar, TypeVar

from milter.content.findings import CONFIDENCE_RANK, CONFIDENCES, Confidence, Finding

if TYPE_CHECKING:
    from milter.content.config import ScanConfig

MAX_WHERE = 20
MAX_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of extracted text: where it came from and its UTF-8 bytes."""

    where: str
    data: bytes
    header: bool = False  # subject or file name, not message body


@dataclass(frozen=True, slots=True)
class Shape:
    """A candidate pattern (RE2 syntax, no capture groups) a detector wants to see."""

    tag: str
    pattern: str
    priority: int = 50


@dataclass(frozen=True, slots=True)
class KeywordSet:
    """Words whose positions a detector wants: whole word, case- and accent-insensitive.

    A word ending in `*` also matches words that start with it (`cliënt*`: cliënten, cliëntdossier).
    """

    tag: str
    words: tuple[str, ...]


class DetectorRun:
    """The per-message state of one detector.  Override the hooks you need."""

    def on_shape(self, tag: str, data: bytes, start: int, end: int) -> int | None:
        """A shape of this detector matched data[start:end] in the current segment.

        Return where the single pass resumes (None: after the match); a detector that rejects
        a candidate ending in letters returns an earlier position so a keyword there is seen.
        """
        return None

    def shape_sink(self, tag: str) -> list[tuple[int, int]] | None:
        """A list to append the (start, end) of this shape's matches to instead of `on_shape`.

        None (the default): call `on_shape` for every match.  The list is read and cleared by
        the run itself in `on_segment`.
        """
        return None

    def on_keyword(self, tag: str, key: str, start: int, end: int) -> None:
        """A keyword of set `tag` (normalised to `key`) is at data[start:end]."""

    def on_segment(self, segment: Segment) -> None:
        """The single pass over `segment` is done: settle its candidates."""

    def findings(self) -> tuple[Finding, ...]:
        """What this detector found in the whole message."""
        return ()


class Detector(ABC):
    """A registered detector, built once per policy load."""

    name: ClassVar[str] = ""

    def __init__(self, config: ScanConfig) -> None:
        self.config = config

    def shapes(self) -> tuple[Shape, ...]:
        """Candidate patterns for the shared single pass."""
        return ()

    def keyword_sets(self) -> tuple[KeywordSet, ...]:
        """Words for the shared keyword matcher."""
        return ()

    @abstractmethod
    def start(self) -> DetectorRun:
        """Fresh state for one message."""


DetectorFactory = Callable[["ScanConfig"], Detector]
REGISTRY: dict[str, type[Detector]] = {}

_D = TypeVar("_D", bound=type[Detector])


def register(name: str) -> Callable[[_D], _D]:
    """Class decorator: make a detector available under `name`."""

    def add(cls: _D) -> _D:
        if name in REGISTRY:
            raise ValueError(f"detector {name!r} registered twice")
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return add


@dataclass(slots=True)
class Tally:
    """Collects one detector's values over a message and turns them into a `Finding`.

    Values are counted by `key` (the normalised value, kept in memory only); each keeps its best
    confidence.  Samples are made by `mask` when the finding is built, for the few values shown.
    """

    detector: str
    mask: Callable[[str], str]
    values: dict[str, int] = field(default_factory=dict)  # key -> best rank, in order first seen
    where: list[str] = field(default_factory=list)

    def add(self, key: str, confidence: Confidence, where: str) -> None:
        """Record value `key` seen at `where` with `confidence` (masked by `mask` for samples)."""
        rank = CONFIDENCE_RANK[confidence]
        if self.values.get(key, 0) < rank:
            self.values[key] = rank  # a known key keeps its place: order is first seen
        if where not in self.where and len(self.where) < MAX_WHERE:
            self.where.append(where)

    def add_all(self, keys: list[str], confidence: Confidence, where: str) -> None:
        """`add` for many values of one confidence seen at one place (one call, not many)."""
        if not keys:
            return
        rank = CONFIDENCE_RANK[confidence]
        values = self.values
        for key in keys:
            if values.get(key, 0) < rank:
                values[key] = rank
        if where not in self.where and len(self.where) < MAX_WHERE:
            self.where.append(where)

    def finding(self) -> Finding | None:
        """The finding, or None when nothing was seen."""
        if not self.values:
            return None
        # best rank first; reverse keeps the sort stable, so equal ranks stay in first-seen order
        ranked = sorted(self.values.items(), key=itemgetter(1), reverse=True)
        samples: list[str] = []
        for key, _ in ranked:
            sample = self.mask(key)
            if sample not in samples:
                samples.append(sample)
            if len(samples) == MAX_SAMPLES:
                break
        ranks = list(self.values.values())
        high = ranks.count(3)
        counts = (len(ranks), high + ranks.count(2), high)  # values with rank >= 1, 2, 3
        return Finding(
            detector=self.detector,
            count=len(self.values),
            confidence=CONFIDENCES[ranked[0][1] - 1],
            where=tuple(self.where),
            samples=tuple(samples),
            counts=(counts[0], counts[1], counts[2]),
        )
