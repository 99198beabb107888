"""Unit tests for milter.content.detectors._numbers: the boundary rules of numbers in text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.detectors._numbers import (
    _alnum_at,
    _alnum_before,
    in_url_or_address,
    stands_alone,
)
from milter.content.detectors.phone_nl import national

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
        ]
    ),
    max_size=6,
).map("".join)
NUMBER = st.sampled_from(["111222333", "111 222 333", "06-12345678", "1234 AB", "0612345678"])


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

    def test_examples(self) -> None:
        """The rules on their classic cases."""
        cases = {
            b"BSN 111222333.": True,
            b"x111222333": False,
            b"12-111222333": False,
            b"\xe2\x82\xac 111222333": False,
            b"zie www.example.nl/111222333 hier": False,
            b"mail 111222333@example.nl": False,
            b"+111222333": False,
        }
        for data, expected in cases.items():
            start = data.index(b"111")
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
