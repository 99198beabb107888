"""postcode -- Dutch postal codes (1234 AB, 1234AB), a hint of a home address.

Finds four digits (not starting with 0) and two capital letters other than SA, SD and SS (never
issued), standing on their own.  Confidence, per unique postcode:
- medium: a house number is written just before it ('Dorpsstraat 12a, 1234 AB') -- an address
          (not a PO box: 'Postbus 123, 3500 AB' stays low, every company signature has one);
- low:    the postcode alone.

Refuses: codes glued to letters or digits ('1234ABC', 'X1234 AB'), inside longer numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from milter.content.detectors._numbers import stands_alone
from milter.content.findings import Confidence, Finding
from milter.content.mask import mask_tail
from milter.content.registry import Detector, DetectorRun, Segment, Shape, Tally, register

SHAPE = r"[1-9]\d{3} ?[A-Z]{2}"
NEVER_ISSUED = frozenset({"SA", "SD", "SS"})
HOUSE_WINDOW = 60

# a street-ish word, a house number with optional addition, then only separators up to the code
_HOUSE_NUMBER = re.compile(
    r"([^\W\d_]{2,})\.?\s+\d{1,5}(?:\s?[a-zA-Z]{1,2}|\s?[-/]\s?\d{1,4})?\s*[,\n]?\s*$"
)
NOT_A_HOME = frozenset({"postbus", "antwoordnummer", "pobox", "box"})


@dataclass(slots=True)
class _Run(DetectorRun):
    tally: Tally = field(default_factory=lambda: Tally("postcode", mask_tail))
    found: list[tuple[str, Confidence]] = field(default_factory=list)

    def on_shape(self, tag: str, data: bytes, start: int, end: int) -> int | None:
        token = data[start:end]
        letters = token[-2:].decode("ascii")
        if letters in NEVER_ISSUED or not stands_alone(data, start, end):
            return start + 4  # the letters may start a keyword
        before = data[max(0, start - HOUSE_WINDOW) : start].decode("utf-8", "replace")
        house = _HOUSE_NUMBER.search(before)
        home = house is not None and house.group(1).lower() not in NOT_A_HOME
        confidence: Confidence = "medium" if home else "low"
        code = f"{token[:4].decode('ascii')} {letters}"
        self.found.append((code, confidence))
        return None

    def on_segment(self, segment: Segment) -> None:
        for code, confidence in self.found:
            self.tally.add(code, confidence, segment.where)
        self.found.clear()

    def findings(self) -> tuple[Finding, ...]:
        found = self.tally.finding()
        return (found,) if found else ()


@register("postcode")
class PostcodeDetector(Detector):
    """Registered detector: see the module docstring."""

    def shapes(self) -> tuple[Shape, ...]:
        return (Shape("postcode", SHAPE, priority=40),)

    def start(self) -> DetectorRun:
        return _Run()
