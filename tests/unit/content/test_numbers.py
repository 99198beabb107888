"""Unit tests for milter.content.detectors._numbers: the boundary rules of numbers in text."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.detectors import bsn, phone_nl
from milter.content.detectors._numbers import (
    LEFT_CLASSES,
    LEFT_PLAIN,
    LEFT_SPACED,
    RIGHT_CLASSES,
    RIGHT_PLAIN,
    RIGHT_SPACED,
    _alnum_at,
    _alnum_before,
    _left_verdict,
    _right_verdict,
    context_alone,
    in_url_or_address,
    stands_alone,
)
from milter.content.detectors.phone_nl import national
from milter.content.registry import Segment

# ---- the straightforward version the optimised checks must agree with ----------------------

_DIGITS = frozenset(b"0123456789")
_GROUPING = frozenset(b".,-/")
_SPACE = frozenset(b" \t\r\n\x0b\x0c")
_CURRENCY = (b"\xe2\x82\xac", b"EUR", b"eur", b"$", b"\xc2\xa3", b"USD")
_URL_HINTS = (b"://", b"www.", b"@")


def reference_in_url(data: bytes, start: int, end: int) -> bool:
    lo = max(0, start - 256)
    window = data[lo : end + 64]
    if b"://" not in window and b"www." not in window and b"@" not in window:
        return False
    left = window[: start - lo]
    cut = max(left.rfind(b" "), left.rfind(b"\n"), left.rfind(b"\t"), left.rfind(b"\r"))
    right = window[end - lo :]
    stops = [i for i in (right.find(b" "), right.find(b"\n"), right.find(b"\t")) if i >= 0]
    word = left[cut + 1 :] + data[start:end] + right[: min(stops) if stops else len(right)]
    return any(hint in word for hint in _URL_HINTS)


def reference_stands_alone(data: bytes, start: int, end: int, grouped_by: bytes = b"") -> bool:
    if _alnum_before(data, start) or _alnum_at(data, end):
        return False
    if start >= 1 and data[start - 1] == 0x2B:
        return False
    if start >= 2 and data[start - 1] in _GROUPING and data[start - 2] in _DIGITS:
        return False
    if end + 1 < len(data) and data[end] in _GROUPING and data[end + 1] in _DIGITS:
        return False
    if grouped_by:
        sep = grouped_by[0]
        if start >= 2 and data[start - 1] == sep and data[start - 2] in _DIGITS:
            return False
        if end + 1 < len(data) and data[end] == sep and data[end + 1] in _DIGITS:
            return False
    index = start
    while index > 0 and start - index < 3 and data[index - 1] in _SPACE:
        index -= 1
    currency = data[max(0, index - 3) : index].endswith(_CURRENCY)
    return not (currency or reference_in_url(data, start, end))


# ---- the property ---------------------------------------------------------------------------

AROUND = st.lists(
    st.sampled_from(
        [
            *(" ", "  ", "\n", "\r\n", "\t", ".", ",", "-", "/", "+", "_", "(", ")", ":"),
            *("a", "Z", "7", "é", "€", "€ ", "EUR ", "$", "£", "USD", "eur", "\xa0"),
            *("@", "://", "www.", "http://x.nl/", "mail@", "ww", "w.", "x" * 300),
            *("nummer ", "KVK-NR ", "ID ", "€", "u", "E", "US"),  # letters that end currencies
        ]
    ),
    max_size=6,
).map("".join)
NUMBER = st.sampled_from(["101722333", "101 722 333", "06-12345678", "1234 AB", "0612345678"])
# any shape match: digits, separators, capitals (never '@', ':' or 'w')
SHAPED = st.text(alphabet="0123456789 -.()+/ABZ", min_size=1, max_size=14)
AROUND_BYTES = st.sampled_from(
    [*range(0, 0x80, 3), *b" \t\r\n\x0b\x0c.,-/+_@:$RrDw", 0xA3, 0xAC, 0xC3, 0xA9, 0xE2, 0x82, 0xA0]
)


class TestContextTables:
    """The class tables give every byte its own rule's verdict."""

    def test_left_table_covers_every_byte_pair(self) -> None:
        """Every two bytes before a number: the table's verdict is _left_verdict's."""
        for spaced, table in ((False, LEFT_PLAIN), (True, LEFT_SPACED)):
            for b2, b1 in product(range(256), repeat=2):
                key = bytes((b2, b1)).translate(LEFT_CLASSES)
                assert table[key] == _left_verdict(b2, b1, spaced), (b2, b1, spaced)

    def test_right_table_covers_every_byte_in_every_place(self) -> None:
        """Every byte in each of the (up to) three places after a number, the others varied."""
        others = sorted({RIGHT_CLASSES[b]: b for b in range(256)}.values())
        for spaced, table in ((False, RIGHT_PLAIN), (True, RIGHT_SPACED)):
            assert table[b""] == _right_verdict(b"", spaced)
            for size in (1, 2, 3):
                for place in range(size):
                    for rest in product(others, repeat=size - 1):
                        for byte in range(256):
                            after = bytes((*rest[:place], byte, *rest[place:]))
                            key = after.translate(RIGHT_CLASSES)
                            assert table[key] == _right_verdict(after, spaced), after

    @settings(max_examples=2000, deadline=None)
    @given(st.lists(AROUND_BYTES, max_size=5), SHAPED, st.lists(AROUND_BYTES, max_size=5))
    def test_context_alone_on_any_bytes(
        self, before: list[int], number: str, after: list[int]
    ) -> None:
        """With arbitrary (also invalid UTF-8) bytes around, a verdict is the reference's."""
        data = bytes(before) + number.encode() + bytes(after)
        start, end = len(before), len(before) + len(number)
        for spaced in (False, True):
            verdict = context_alone(data, start, end, spaced)
            if verdict is not None:
                assert verdict == reference_stands_alone(data, start, end, b" " if spaced else b"")


class TestAgreesWithReference:
    """The optimised checks answer as the plain version of the rules does."""

    @settings(max_examples=1500, deadline=None)
    @given(AROUND, NUMBER, AROUND)
    def test_stands_alone(self, before: str, number: str, after: str) -> None:
        """stands_alone (with its inlined fast paths) equals the reference, grouped or not."""
        data = (before + number + after).encode("utf-8")
        start = len(before.encode("utf-8"))
        end = start + len(number.encode("utf-8"))
        for grouped_by in (b"", b" "):
            expected = reference_stands_alone(data, start, end, grouped_by)
            assert stands_alone(data, start, end, grouped_by) == expected

    @settings(max_examples=1500, deadline=None)
    @given(AROUND, NUMBER, AROUND)
    def test_in_url_or_address(self, before: str, number: str, after: str) -> None:
        """in_url_or_address (with its no-copy fast path) equals the reference."""
        data = (before + number + after).encode("utf-8")
        start = len(before.encode("utf-8"))
        end = start + len(number.encode("utf-8"))
        assert in_url_or_address(data, start, end) == reference_in_url(data, start, end)

    @settings(max_examples=3000, deadline=None)
    @given(AROUND, NUMBER | SHAPED, AROUND)
    def test_context_alone(self, before: str, number: str, after: str) -> None:
        """context_alone, when it answers, answers as the reference does, grouped or not."""
        data = (before + number + after).encode("utf-8")
        start = len(before.encode("utf-8"))
        end = start + len(number.encode("utf-8"))
        for spaced in (False, True):
            verdict = context_alone(data, start, end, spaced)
            if verdict is not None:
                assert verdict == reference_stands_alone(data, start, end, b" " if spaced else b"")

    def test_context_alone_answers_the_usual_cases(self) -> None:
        """The common neighbours of a number are settled without stands_alone."""
        for data in (b"bel 06-12345678.\r\nx", b"nr: 101722333 en", b"x\n0612345678"):
            start = data.index(b"0") if b"06" in data else data.index(b"1")
            end = start + (11 if b"-" in data else 10 if b"06" in data else 9)
            assert context_alone(data, start, end, False) is True, data
        assert context_alone(b"xx101722333y", 2, 11, False) is False
        assert context_alone(b"\xe2\x82\xac 101722333", 4, 13, False) is None  # ask stands_alone

    def test_examples(self) -> None:
        """The rules on their classic cases."""
        cases = {
            b"BSN 101722333.": True,
            b"x101722333": False,
            b"12-101722333": False,
            b"\xe2\x82\xac 101722333": False,
            b"zie www.example.nl/101722333 hier": False,
            b"mail 101722333@example.nl": False,
            b"+101722333": False,
        }
        for data, expected in cases.items():
            start = data.index(b"1017")
            assert stands_alone(data, start, start + 9) == expected, data


def reference_national(token: bytes) -> str | None:
    digits = token.replace(b"(0)", b"").translate(None, b" .-/()+\t\xc2\xa0").decode()
    if token.startswith(b"+"):
        digits = "0" + digits[2:]
    elif digits.startswith("0031"):
        digits = "0" + digits[4:]
    if len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
        return digits
    return None


class TestNationalPhone:
    """phone_nl.national's fast path for tokens in national form."""

    @settings(max_examples=1000, deadline=None)
    @given(st.lists(st.sampled_from(list("0123456789 -+()")), min_size=1, max_size=16))
    def test_agrees_with_reference(self, chars: list[str]) -> None:
        """The 10-digit national form is the same as the plain version computes."""
        token = "".join(chars).encode()
        assert national(token) == reference_national(token)


PHONE_TOKEN = st.sampled_from(
    [
        "06-12345678",
        "0612345678",
        "020 123 4567",
        "0031 20 1234567",
        "+31 6 12345678",
        "(020) 1234567",
    ]
) | st.text(alphabet="0123456789 -()+", min_size=1, max_size=16)
BSN_TOKEN = st.sampled_from(["101722333", "101 722 333", "1017.22.333", "11122233"]) | st.text(
    alphabet="0123456789 -.", min_size=1, max_size=12
)


class TestDetectorLoops:
    """The phone and BSN loops (national and context_alone inlined) keep the plain rules."""

    @settings(max_examples=1500, deadline=None)
    @given(AROUND, PHONE_TOKEN, AROUND)
    def test_phone_loop(self, before: str, token: str, after: str) -> None:
        """A phone candidate counts iff reference_national gives a number and it stands alone."""
        data = (before + token + after).encode("utf-8")
        start = len(before.encode("utf-8"))
        end = start + len(token)
        run = phone_nl._Run()
        run.matches.append((start, end))
        run.on_segment(Segment("body", data))
        number = reference_national(token.encode())
        sep = b" " if " " in token else b""
        alone = number is not None and reference_stands_alone(data, start, end, sep)
        assert list(run.tally.values) == ([number] if alone else [])

    @settings(max_examples=1500, deadline=None)
    @given(AROUND, BSN_TOKEN, AROUND)
    def test_bsn_loop(self, before: str, token: str, after: str) -> None:
        """A BSN candidate is kept iff it passes the 11-proef and stands alone."""
        data = (before + token + after).encode("utf-8")
        start = len(before.encode("utf-8"))
        end = start + len(token)
        run = bsn._Run()
        run.matches.append((start, end))
        digits = bsn.normalise(token.encode())
        sep = b" " if " " in token else b""
        kept = (
            digits is not None
            and bsn.elfproef(digits)
            and reference_stands_alone(data, start, end, sep)
        )
        assert run._candidates(data) == ([(start, end, digits)] if kept else [])

    @settings(max_examples=2000, deadline=None)
    @given(st.text(alphabet="0123456789", min_size=9, max_size=9))
    def test_bsn_loop_proef_by_thirds(self, digits: str) -> None:
        """The loop's 11-proef from three table lookups keeps exactly what elfproef passes."""
        data = f"BSN {digits}.".encode()
        run = bsn._Run()
        run.matches.append((4, 13))
        kept = run._candidates(data)
        assert kept == ([(4, 13, digits)] if bsn.elfproef(digits) else [])
