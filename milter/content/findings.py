"""findings -- the facts the content scanner reports about one message.

A `Finding` says that a detector saw something: how many *unique* values, the best confidence it
reached, where (part locations), and at most three *masked* samples.  A `ContentFacts` bundles the
findings of one message with whether its content is protected (encrypted), whether any plain text
was read at all, and how much was scanned.

Refuses: nothing here carries message text.  Samples are masked by the detector before they get
here, reasons are fixed strings chosen by the scanner, and `where` names parts, never content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Confidence = Literal["low", "medium", "high"]

CONFIDENCE_RANK: dict[Confidence, int] = {"low": 1, "medium": 2, "high": 3}
"""Order of the confidence levels, for "at least this confidence" comparisons."""

CONFIDENCES: tuple[Confidence, ...] = ("low", "medium", "high")

OCR_WHERE_SUFFIX = " (read by OCR)"
"""Ends the `where` of text read by OCR from an image or a scanned PDF page."""


def at_least(confidence: Confidence, minimum: Confidence) -> bool:
    """True when `confidence` is `minimum` or better."""
    return CONFIDENCE_RANK[confidence] >= CONFIDENCE_RANK[minimum]


@dataclass(frozen=True, slots=True)
class Finding:
    """What one detector found in one message.

    `count` is the number of unique values at any confidence; `confidence` the best one reached;
    `counts` the unique values at confidence >= low, >= medium, >= high (use `count_at`).
    """

    detector: str
    count: int
    confidence: Confidence
    where: tuple[str, ...]
    samples: tuple[str, ...]
    reason: str | None = None
    counts: tuple[int, int, int] = (0, 0, 0)

    def count_at(self, minimum: Confidence) -> int:
        """Unique values found with at least `minimum` confidence."""
        if self.counts == (0, 0, 0):
            return self.count if at_least(self.confidence, minimum) else 0
        return self.counts[CONFIDENCE_RANK[minimum] - 1]


@dataclass(frozen=True, slots=True)
class OcrUse:
    """What OCR cost one message: counts and seconds (for metrics), never text."""

    recognised: int  # images, frames and pages Tesseract read
    remembered: int  # images answered from the memory of recurring images instead
    seconds: float  # time in Tesseract, waiting for a free engine included
    out_of_time: bool  # the OCR time budget stopped reading


@dataclass(frozen=True, slots=True)
class ContentFacts:
    """Everything the scanner learnt about one message's content."""

    findings: tuple[Finding, ...]
    encrypted: bool
    readable: bool
    parts: int
    bytes_scanned: int
    ocr_read: tuple[str, ...] = ()  # parts whose text was read by OCR (names, never text)
    # what OCR cost (None: nothing); bookkeeping for metrics, not a fact: == ignores it
    ocr: OcrUse | None = field(default=None, compare=False)

    def by_detector(self, name: str) -> Finding | None:
        """The finding of detector `name` ('bsn', 'custom:x', 'unscannable', ...), or None."""
        for finding in self.findings:
            if finding.detector == name:
                return finding
        return None

    @property
    def unscannable(self) -> bool:
        """Some part could not be inspected."""
        return self.by_detector("unscannable") is not None

    @property
    def truncated(self) -> bool:
        """A scan limit was hit: part of the message was not inspected."""
        return self.by_detector("truncated") is not None
