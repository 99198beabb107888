"""Unit tests for the iban detector."""

from __future__ import annotations

import pytest

from milter.content.detectors.iban import classify, mod97_ok
from tests.unit.content.helpers import finding, only

SCANNER = only("iban", "bsn")


def make(country: str, bban: str) -> str:
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - number % 97:02d}{bban}"


NL = make("NL", "ABNA0417164300")
DE = make("DE", "370400440532013000")
NL_UNKNOWN_BANK = make("NL", "ZZZZ0417164300")


class TestIban:
    """Validation and confidence."""

    def test_known_example(self) -> None:
        """The textbook example passes mod-97."""
        assert NL == "NL91ABNA0417164300" and mod97_ok(NL)

    @pytest.mark.parametrize(
        ("compact", "expected"),
        [
            (NL, "high"),
            (DE, "high"),
            (NL_UNKNOWN_BANK, "medium"),
            ("NL92ABNA0417164300", None),
            (NL[:-1], None),
            ("XX91ABNA0417164300", None),
            (make("NL", "ABNA04171643AB"), None),
        ],
    )
    def test_classify(self, compact: str, expected: str | None) -> None:
        """Length per country, mod-97, and the Dutch BBAN form decide."""
        assert classify(compact) == expected

    @pytest.mark.parametrize(
        "written", [NL, " ".join(NL[i : i + 4] for i in range(0, 18, 4)), f"({NL})", f"{NL}."]
    )
    def test_found_in_text(self, written: str) -> None:
        """Compact and grouped IBANs are found, with a masked sample."""
        found = finding(f"Rekening {written} graag.", "iban", SCANNER)
        assert found is not None and found.confidence == "high"
        assert found.samples == ("NL** **** **** **** 00",)

    @pytest.mark.parametrize("text", [f"X{NL}", f"{NL}7", "NL92 ABNA 0417 1643 00"])
    def test_not_found(self, text: str) -> None:
        """Glued or failing candidates are not IBANs."""
        assert finding(text, "iban", SCANNER) is None

    def test_followed_by_capitals(self) -> None:
        """Capital words after a spaced IBAN do not spoil it."""
        spaced = " ".join(NL[i : i + 4] for i in range(0, 18, 4))
        assert finding(f"{spaced} EN DAN", "iban", SCANNER) is not None

    def test_digits_inside_iban_are_not_a_bsn(self) -> None:
        """The account number inside an IBAN is not a BSN candidate."""
        assert finding(f"BSN? {NL}", "bsn", SCANNER) is None
