"""_numbers -- shared checks for detectors of numbers in text (BSN, phone, postcode, IBAN).

A candidate number only counts when it stands on its own: not glued to letters or digits, not
the tail or head of a longer grouped number ('12-123456782', '123 456 782 99', '111222333,5'),
not an amount ('€ 111.222.333'), not part of a URL or e-mail address.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import product

_DIGITS = frozenset(b"0123456789")
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_GROUPING = frozenset(b".,-/")
_SPACE = frozenset(b" \t\r\n\x0b\x0c")
_CURRENCY = (b"\xe2\x82\xac", b"EUR", b"eur", b"$", b"\xc2\xa3", b"USD")  # euro sign, ..., pound
_URL_HINTS = (b"://", b"www.", b"@")


def _alnum_before(data: bytes, index: int) -> bool:
    if index <= 0:
        return False
    byte = data[index - 1]
    if byte < 0x80:
        return byte in _ALNUM or byte == 0x5F  # '_' glues in identifiers
    start = index - 1
    while start > 0 and index - start < 4 and 0x80 <= data[start] < 0xC0:
        start -= 1
    return data[start:index].decode("utf-8", "replace").isalnum()


def _alnum_at(data: bytes, index: int) -> bool:
    if index >= len(data):
        return False
    byte = data[index]
    if byte < 0x80:
        return byte in _ALNUM or byte == 0x5F
    return data[index : index + 4].decode("utf-8", "replace")[:1].isalnum()


_GLUED_BEFORE = frozenset(_ALNUM | {0x5F, 0x2B})  # '_' glues in identifiers, '+' is a phone
_GLUED_AFTER = frozenset(_ALNUM | {0x5F})
_CURRENCY_LAST = frozenset(code[-1] for code in _CURRENCY)
_LEFT_STOPS = frozenset(b" \n\t\r")  # what ends the word around a number, as in_url_or_address
_RIGHT_STOPS = frozenset(b" \n\t")  # cuts it (a CR after the number does not end the word)
URL_BEFORE = 256  # how far around a number in_url_or_address looks for a URL hint
URL_AFTER = 64


def stands_alone(data: bytes, start: int, end: int, grouped_by: bytes = b"") -> bool:
    """True when data[start:end] is a number on its own (see the module docstring).

    `grouped_by` is the (ASCII) separator used inside the number (b' ' for '111 222 333'): then
    that separator followed by a digit on either side means the number goes on.
    """
    # Called for every phone- and BSN-shaped candidate: byte tests first, calls only when needed.
    sep = grouped_by[0] if grouped_by else -1
    if start:
        before = data[start - 1]
        if before < 0x80:
            if before in _GLUED_BEFORE:
                return False
            if (before in _GROUPING or before == sep) and start >= 2 and data[start - 2] in _DIGITS:
                return False
        elif _alnum_before(data, start):
            return False
    size = len(data)
    if end < size:
        after = data[end]
        if after < 0x80:
            if after in _GLUED_AFTER:
                return False
            if (after in _GROUPING or after == sep) and end + 1 < size and data[end + 1] in _DIGITS:
                return False
        elif _alnum_at(data, end):
            return False
    if start >= 2 and data[start - 1] in _LEFT_STOPS:
        # The usual case without a call: the number starts a word, no currency sign before it
        # (after_currency, which here looks at the word before only), and the word ends at
        # most two bytes after it (in_url_or_address).
        prev = data[start - 2]
        if prev not in _SPACE and (
            prev not in _CURRENCY_LAST
            or not data[max(0, start - 4) : start - 1].endswith(_CURRENCY)
        ):
            stop = end
            if stop < size and data[stop] not in _RIGHT_STOPS:
                stop += 1
                if stop < size and data[stop] not in _RIGHT_STOPS:
                    stop += 1
            if stop == size or data[stop] in _RIGHT_STOPS:
                word = data[start:stop]
                return not (b"@" in word or b"://" in word or b"www." in word)
    return not (after_currency(data, start) or in_url_or_address(data, start, end))


# --- stands_alone decided from the 2 bytes before a number and the 3 after it ----------------
#
# For a shape match (digits, separators, capitals: no '@', ':' or 'w', so no URL hint can start
# in the number itself) stands_alone's answer usually follows from data[start-2:start] and
# data[end:end+3] alone: glued or grouped on a side means False, a word boundary on both sides
# with no currency sign before and no '@' in the word means True.  Each side is one slice, one
# translate to byte classes and one dict lookup (instead of ~20 byte tests); `context_alone`
# combines them, None meaning "ask stands_alone".  The tables are built below from the same
# rules stands_alone applies, class by class (property and exhaustive tests:
# tests/unit/content/test_numbers.py).

_FALSE, UNSURE, _TRUE = 0, 1, 2  # verdicts; the lower of the two sides wins


def _left_class(byte: int) -> bytes:
    if byte == 0x20:
        return b" "
    if byte in b"\n\t\r":
        return b"n"  # the other _LEFT_STOPS
    if byte in _CURRENCY_LAST:  # the last byte of a currency sign or code
        return b"c" if byte >= 0x80 else b"$" if byte == 0x24 else b"C"  # C: 'R', 'r', 'D'
    if byte >= 0x80:
        return b"h"
    if byte in _DIGITS:
        return b"d"
    if byte in _SPACE:
        return b"s"
    if byte in _GLUED_BEFORE:
        return b"w"
    if byte in _GROUPING:
        return b"g"
    return b"o"


def _right_class(byte: int) -> bytes:
    if byte >= 0x80:
        return b"H"
    if byte == 0x20:
        return b"S"
    if byte in b"\n\t":
        return b"N"  # the other _RIGHT_STOPS
    if byte in _DIGITS:
        return b"D"
    if byte in _GLUED_AFTER:
        return b"W"
    if byte in _GROUPING:
        return b"G"
    if byte == 0x40:
        return b"A"  # '@': an e-mail address
    return b"O"


LEFT_CLASSES = bytes(_left_class(byte)[0] for byte in range(256))
RIGHT_CLASSES = bytes(_right_class(byte)[0] for byte in range(256))


def _left_verdict(b2: int, b1: int, spaced: bool) -> int:
    """stands_alone's rules on the two bytes before the number (b1 right before it)."""
    if b1 >= 0x80:
        return UNSURE  # a letter or not: _alnum_before reads further back
    if b1 in _GLUED_BEFORE:
        return _FALSE
    if (b1 in _GROUPING or (spaced and b1 == 0x20)) and b2 in _DIGITS:
        return _FALSE
    if b1 in _LEFT_STOPS and b2 not in _SPACE and b2 not in _CURRENCY_LAST:
        return _TRUE  # the number starts a word; no currency sign before it
    return UNSURE


def _right_verdict(after: bytes, spaced: bool) -> int:
    """stands_alone's rules on the (up to) three bytes after the number; fewer: the data ends."""
    if not after:
        return _TRUE
    a1 = after[0]
    if a1 >= 0x80:
        return UNSURE  # _alnum_at decides
    if a1 in _GLUED_AFTER:
        return _FALSE
    if (a1 in _GROUPING or (spaced and a1 == 0x20)) and after[1:2].isdigit():
        return _FALSE
    # in_url_or_address's word: the number and at most two more bytes, then a stop or the end
    stop = 0
    if a1 not in _RIGHT_STOPS:
        stop = 1
        if len(after) > 1 and after[1] not in _RIGHT_STOPS:
            stop = 2
    if stop == len(after) or after[stop] in _RIGHT_STOPS:
        return _FALSE if b"@" in after[:stop] else _TRUE
    return UNSURE


def _tables(spaced: bool) -> tuple[dict[bytes, int], dict[bytes, int]]:
    # one representative byte per class: every byte of a class gets the same verdicts
    left_rep = {LEFT_CLASSES[b]: b for b in range(255, -1, -1)}
    right_rep = {RIGHT_CLASSES[b]: b for b in range(255, -1, -1)}
    left = {
        bytes([c2, c1]): _left_verdict(b2, b1, spaced)
        for c2, b2 in left_rep.items()
        for c1, b1 in left_rep.items()
    }
    right: dict[bytes, int] = {}
    for size in range(4):
        for combo in product(right_rep.items(), repeat=size):
            key = bytes(c for c, _ in combo)
            right[key] = _right_verdict(bytes(b for _, b in combo), spaced)
    return left, right


LEFT_PLAIN, RIGHT_PLAIN = _tables(spaced=False)
LEFT_SPACED, RIGHT_SPACED = _tables(spaced=True)
TABLES = (LEFT_PLAIN, RIGHT_PLAIN, LEFT_SPACED, RIGHT_SPACED)
BOTH_TRUE = 2 * _TRUE  # left + right verdicts: this sum only when both sides say True


def context_alone(data: bytes, start: int, end: int, spaced: bool) -> bool | None:
    """stands_alone(data, start, end, b' ' if spaced else b'') from the bytes around the number.

    Only for a number without '@', ':' or 'w' in it (any shape match of digits, separators
    and capitals).  None when the neighbours do not settle it: then call stands_alone.
    (The phone and BSN loops inline this; keep them in step.)
    """
    if start < 2:
        return None
    left, right = (LEFT_SPACED, RIGHT_SPACED) if spaced else (LEFT_PLAIN, RIGHT_PLAIN)
    verdict = min(
        left[data[start - 2 : start].translate(LEFT_CLASSES)],
        right[data[end : end + 3].translate(RIGHT_CLASSES)],
    )
    return None if verdict == UNSURE else verdict == _TRUE


def after_currency(data: bytes, start: int) -> bool:
    """True when the number is preceded by a currency sign or code ('€ 111.222.333')."""
    index = start
    while index > 0 and start - index < 3 and data[index - 1] in _SPACE:
        index -= 1
    if index == 0 or data[index - 1] not in _CURRENCY_LAST:
        return False
    return data[max(0, index - 3) : index].endswith(_CURRENCY)


def in_url_or_address(data: bytes, start: int, end: int) -> bool:
    """True when the whitespace-delimited word around the number is a URL or e-mail address."""
    if start and data[start - 1] in _LEFT_STOPS:
        # The usual case, decided without copying a window: the word starts with the number
        # and ends at most two bytes after it ('06-12345678.' followed by a space).
        size = len(data)
        stop = end
        if stop < size and data[stop] not in _RIGHT_STOPS:
            stop += 1
            if stop < size and data[stop] not in _RIGHT_STOPS:
                stop += 1
        if stop == size or data[stop] in _RIGHT_STOPS:
            word = data[start:stop]
            return b"@" in word or b"://" in word or b"www." in word  # _URL_HINTS
    lo = max(0, start - URL_BEFORE)
    hi = end + URL_AFTER
    window = data[lo:hi]
    if b"://" not in window and b"www." not in window and b"@" not in window:
        return False
    left = window[: start - lo]
    cut = max(left.rfind(b" "), left.rfind(b"\n"), left.rfind(b"\t"), left.rfind(b"\r"))
    right = window[end - lo :]
    stops = [i for i in (right.find(b" "), right.find(b"\n"), right.find(b"\t")) if i >= 0]
    word = left[cut + 1 :] + data[start:end] + right[: min(stops) if stops else len(right)]
    return any(hint in word for hint in _URL_HINTS)


def digits_of(token: bytes) -> str:
    """The ASCII digits of `token`, in order."""
    return token.translate(None, b" .-/()+\t\xc2\xa0").decode("ascii", "replace")


class Positions:
    """Sorted (start, end) positions of keywords in one segment, for distance questions."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, start: int, end: int) -> None:
        """Record a keyword at data[start:end] (calls arrive in text order)."""
        self.starts.append(start)
        self.ends.append(end)

    def clear(self) -> None:
        """Forget the segment's keywords."""
        self.starts.clear()
        self.ends.clear()

    def __bool__(self) -> bool:
        return bool(self.starts)

    def distance(self, start: int, end: int) -> int | None:
        """Characters between data[start:end] and the nearest keyword on either side."""
        if not self.starts:
            return None
        best: int | None = None
        index = bisect_left(self.starts, end)
        if index < len(self.starts):
            best = self.starts[index] - end
        # keywords that start before the number: the closest is the one ending latest
        for j in range(index - 1, max(-1, index - 4), -1):
            gap = max(0, start - self.ends[j])
            best = gap if best is None else min(best, gap)
        return best

    def distance_before(self, start: int) -> int | None:
        """Characters between the nearest keyword ending before `start` and `start`."""
        index = bisect_left(self.starts, start)
        best: int | None = None
        for j in range(index - 1, max(-1, index - 4), -1):
            if self.ends[j] <= start:
                gap = start - self.ends[j]
                best = gap if best is None else min(best, gap)
        return best
