"""Unit tests for the bsn detector (milter.content.detectors.bsn)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.detectors.bsn import elfproef, is_test_number, normalise
from tests.unit.content.helpers import finding, only

SCANNER = only("bsn", "phone_nl", "iban")
VALID = "101722333"


def bsn(text: str):  # type: ignore[no-untyped-def]
    return finding(text, "bsn", SCANNER)


def formats(digits: str) -> list[str]:
    """Every written form the detector accepts for a 9-digit BSN."""
    d = digits
    return [
        d,
        f"{d[:3]} {d[3:6]} {d[6:]}",
        f"{d[:3]}-{d[3:6]}-{d[6:]}",
        f"{d[:3]}.{d[3:6]}.{d[6:]}",
        f"{d[:4]}.{d[4:6]}.{d[6:]}",
        f"{d[:4]} {d[4:6]} {d[6:]}",
    ]


def _with_check_digit(head: int) -> str:
    """Eight digits and the ninth that makes them pass the 11-proef ('' when none does)."""
    digits = f"{head:08d}"
    check = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), digits, strict=True)) % 11
    return "" if check == 10 else digits + str(check)


# built, not filtered out of random numbers (1 in 11 pass: Hypothesis' filter health check)
# (test and sample numbers are never reported: TestKnownTestNumbers)
valid_bsns = (
    st.integers(min_value=1, max_value=99_999_999)
    .map(_with_check_digit)
    .filter(elfproef)
    .filter(lambda d: not is_test_number(d))
)


class TestElfproef:
    """The checksum."""

    @pytest.mark.parametrize(
        ("digits", "ok"),
        [
            ("101722333", True),
            ("100486782", True),
            ("000000000", False),
            ("111222334", False),
            ("12345678", False),
            ("1017223330", False),
            ("11122233a", False),
        ],
    )
    def test_table(self, digits: str, ok: bool) -> None:
        """9*d1 + 8*d2 + ... + 2*d8 - d9 must be a multiple of 11; 000000000 is refused."""
        assert elfproef(digits) is ok

    def test_eight_digits_are_padded(self) -> None:
        """An 8-digit number is read with a leading zero."""
        assert normalise(b"12345672") == "012345672"
        assert normalise(b"1234567") is None


class TestBsnDetector:
    """What the detector finds and how sure it is."""

    @pytest.mark.parametrize("written", formats(VALID))
    def test_formats_with_keyword_are_high(self, written: str) -> None:
        """Every accepted format next to 'BSN' is a high-confidence finding."""
        found = bsn(f"BSN: {written}")
        assert found is not None and found.confidence == "high" and found.count == 1

    @pytest.mark.parametrize(
        "keyword",
        [
            "bsn",
            "BSN-nr",
            "BSN nummer",
            "burgerservicenummer",
            "Sofinummer",
            "sofi-nummer",
            "persoonsnummer",
            "citizen service number",
            "BSN#",
        ],
    )
    def test_keywords(self, keyword: str) -> None:
        """Purview-style keywords raise the confidence to high."""
        assert bsn(f"{keyword}: {VALID}").confidence == "high"  # type: ignore[union-attr]

    def test_keyword_within_300_characters(self) -> None:
        """A keyword 300 characters away still counts; 400 away does not."""
        assert bsn("BSN " + "x" * 290 + " " + VALID).confidence == "high"  # type: ignore[union-attr]
        assert bsn("BSN " + "x " * 200 + VALID).confidence == "low"  # type: ignore[union-attr]

    def test_keyword_after_number(self) -> None:
        """The keyword may follow the number."""
        assert bsn(f"{VALID} (BSN)").confidence == "high"  # type: ignore[union-attr]

    def test_bare_number_is_low(self) -> None:
        """Without a keyword a valid number is only low confidence."""
        assert bsn(f"nummer {VALID}").confidence == "low"  # type: ignore[union-attr]

    @pytest.mark.parametrize("label", ["Factuurnummer:", "Ordernummer", "KvK-nummer:", "Tel."])
    def test_other_label_is_medium(self, label: str) -> None:
        """With a BSN keyword further away in its sentence, a labelled number is medium."""
        found = bsn(f"{label} {VALID}, en verder volgt het BSN van de moeder")
        assert found is not None and found.confidence == "medium"

    @pytest.mark.parametrize("label", ["Factuurnummer:", "Ordernummer", "KvK-nummer:", "Tel."])
    def test_other_label_with_bsn_only_in_another_sentence_is_no_bsn(self, label: str) -> None:
        """A form that asks for a BSN elsewhere does not make its directly labelled number one."""
        assert bsn(f"Vul uw BSN in op het formulier.\n{label} {VALID}") is None
        assert bsn(f"Vul uw BSN in op het formulier. {label} {VALID}") is None

    def test_label_on_its_own_line_above_the_number_stays_medium(self) -> None:
        """'BSN | Klantnummer' over a data row: the row's first number may be the BSN."""
        found = bsn(f"BSN | Klantnummer\n{VALID} | 12")
        assert found is not None and found.confidence == "medium"

    @pytest.mark.parametrize(
        "text",
        [
            f"BSN 1{VALID}",
            f"BSN {VALID}1",
            f"BSN AB{VALID}",
            f"BSN {VALID}X",
            f"BSN 12-{VALID}",
            f"BSN {VALID},5",
            "BSN 101 722 333 444",
            f"BSN https://x.example/z/{VALID}",
            f"BSN {VALID}@example.org",
            f"BSN € {VALID[:3]}.{VALID[3:6]}.{VALID[6:]}",
            f"BSN +{VALID}",
            "BSN 111222334",
            "BSN 000000000",
            "BSN 111-222 333",
            "BSN 11122.2333",
            f"BSN 06-{VALID[1:]}",
            f"BSN +31 6{VALID[1:]}",
        ],
        ids=lambda t: t[4:30],
    )
    def test_not_a_bsn(self, text: str) -> None:
        """Glued, embedded, URL, amount, phone, failing and mixed-separator numbers are ignored."""
        assert bsn(text) is None

    def test_counts_unique_values(self) -> None:
        """The same BSN twice counts once; two different ones count twice."""
        assert bsn(f"BSN {VALID} en nogmaals {VALID}").count == 1  # type: ignore[union-attr]
        assert bsn(f"BSN {VALID} en 100486782").count == 2  # type: ignore[union-attr]

    def test_qp_soft_break_inside_number(self) -> None:
        """A quoted-printable soft line break inside the number does not hide it."""
        body = b"BSN 1017=\r\n22333\r\n"
        found = (
            finding(body, "bsn", SCANNER)
            if False
            else SCANNER.scan_message(
                b"Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + body
            ).by_detector("bsn")
        )
        assert found is not None and found.confidence == "high"

    @settings(max_examples=150, deadline=None)
    @given(
        valid_bsns, st.integers(min_value=0, max_value=5), st.sampled_from(["BSN", "sofinummer"])
    )
    def test_every_valid_bsn_is_found(self, digits: str, form: int, keyword: str) -> None:
        """Any 11-proef-valid number, in any accepted format, next to a keyword, is found high."""
        found = bsn(f"{keyword}: {formats(digits)[form]}.")
        assert found is not None and found.confidence == "high"
        assert digits not in "".join(found.samples)
        assert all(sample.startswith("*****") for sample in found.samples)

    @settings(max_examples=150, deadline=None)
    @given(st.integers(min_value=0, max_value=999_999_999).map(lambda n: f"{n:09d}"))
    def test_failing_numbers_are_never_reported(self, digits: str) -> None:
        """A number failing the 11-proef is never a finding."""
        if not elfproef(digits):
            assert bsn(f"BSN {digits}") is None
