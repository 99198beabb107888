"""phone_nl -- Dutch telephone numbers.

Finds 06-12345678, 0612345678, 020 123 4567, (020) 1234567, 0318-123456, +31 6 12345678,
+31 (0)20 123 4567 and 0031 20 1234567: ten digits in national form (0 + area/mobile prefix) or
+31/0031 followed by nine.  A phone number on its own says little (every signature has one), so
every finding is low confidence; counted by unique number.

Its shapes run before the BSN shapes, so the digits of a phone number are never read as a BSN.

Refuses: numbers glued to letters or digits, inside URLs and e-mail addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import milter.content.native as native
from milter.content.detectors._numbers import (
    BOTH_TRUE,
    LEFT_CLASSES,
    RIGHT_CLASSES,
    TABLES,
    digits_of,
    stands_alone,
)
from milter.content.findings import Finding
from milter.content.mask import mask_tail
from milter.content.registry import Detector, DetectorRun, Segment, Shape, Tally, register

SHAPES = (
    r"(?:\+|00)31[ \-]?(?:\(0\)[ \-]?)?[1-9](?:[ \-]?\d){8}",
    r"\(0[1-9]\d{0,2}\)[ \-]?\d(?:[ \-]?\d){4,7}",
    r"0[1-9](?:[ \-]?\d){8}",
)


_SEPARATORS = b" .-/()+\t\xc2\xa0"  # what digits_of drops


def national(token: bytes) -> str | None:
    """The 10-digit national form (0...) of a phone-shaped token, or None."""
    if token[:1] == b"0" and b"(" not in token:  # the usual form, without a str until the end
        compact = token.translate(None, _SEPARATORS)
        if compact.startswith(b"0031"):
            compact = b"0" + compact[4:]
        if len(compact) == 10 and compact[1] != 0x30:
            return compact.decode("ascii", "replace")
        return None
    digits = digits_of(token.replace(b"(0)", b""))
    if token.startswith(b"+"):
        digits = "0" + digits[2:]
    elif digits.startswith("0031"):
        digits = "0" + digits[4:]
    if len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
        return digits
    return None


def phone_numbers(data: bytes, matches: list[tuple[int, int]]) -> list[str]:
    """The national numbers of the phone-shaped `matches` that stand alone, in order.

    The reference of the native phone_numbers (and the fallback without it).
    """
    found: list[str] = []
    separators = _SEPARATORS
    left_classes, right_classes = LEFT_CLASSES, RIGHT_CLASSES
    left_plain, right_plain, left_spaced, right_spaced = TABLES
    for start, end in matches:
        # One iteration per phone-shaped number in the text: national() and context_alone()
        # inlined for the usual form ('06-12345678', '020 123 4567'); ints for the one-byte
        # tests (0x28 '(', 0x20 ' ') are cheaper than one-byte strings.
        token = data[start:end]
        compact = token.translate(None, separators)
        if len(compact) == 10 and token[0] == 0x30 and compact[1] != 0x30 and 0x28 not in token:
            number = compact.decode("ascii", "replace")
        else:
            other_form = national(token)
            if other_form is None:
                continue
            number = other_form
        spaced = 0x20 in token
        if start >= 2:
            if spaced:
                left = left_spaced[data[start - 2 : start].translate(left_classes)]
                right = right_spaced[data[end : end + 3].translate(right_classes)]
            else:
                left = left_plain[data[start - 2 : start].translate(left_classes)]
                right = right_plain[data[end : end + 3].translate(right_classes)]
            if left + right == BOTH_TRUE:
                found.append(number)
                continue
            if not (left and right):  # one side is FALSE
                continue
        # ('(020) 1234567' glued to a letter before the '(' is refused by stands_alone too)
        if stands_alone(data, start, end, b" " if spaced else b""):
            found.append(number)
    return found


@dataclass(slots=True)
class _Run(DetectorRun):
    tally: Tally = field(default_factory=lambda: Tally("phone_nl", mask_tail))
    matches: list[tuple[int, int]] = field(default_factory=list)

    def shape_sink(self, tag: str) -> list[tuple[int, int]] | None:
        return self.matches  # checked in on_segment, in one loop (one per segment, not match)

    def on_segment(self, segment: Segment) -> None:
        if not self.matches:
            return
        data = segment.data
        # natively when the extension is there (src/numbers.rs, the same answers); None: a
        # neighbour it leaves to the Python code
        found = None if native.phone_numbers is None else native.phone_numbers(data, self.matches)
        if found is None:
            found = phone_numbers(data, self.matches)
        self.matches.clear()
        self.tally.add_all(found, "low", segment.where)

    def findings(self) -> tuple[Finding, ...]:
        found = self.tally.finding()
        return (found,) if found else ()


@register("phone_nl")
class PhoneDetector(Detector):
    """Registered detector: see the module docstring."""

    def shapes(self) -> tuple[Shape, ...]:
        return tuple(Shape("phone", shape, priority=20) for shape in SHAPES)

    def start(self) -> DetectorRun:
        return _Run()
