"""Unit tests for the postcode, phone_nl, case_keywords and custom detectors."""

from __future__ import annotations

import pytest

from milter.content import CustomPattern, ScanConfig, compile_config
from tests.unit.content.helpers import finding, only


class TestPostcode:
    """Dutch postcodes."""

    SCANNER = only("postcode", "bsn", "phone_nl")

    @pytest.mark.parametrize(
        ("text", "confidence"),
        [
            ("Dorpsstraat 12a, 1234 AB Utrecht", "medium"),
            ("Kerkplein 3\n1234AB", "medium"),
            ("Postcode 1234 AB", "low"),
            ("Postbus 123, 3500 AB Utrecht", "low"),
        ],
    )
    def test_found(self, text: str, confidence: str) -> None:
        """A postcode is low alone and medium after a house number (not a PO box)."""
        found = finding(text, "postcode", self.SCANNER)
        assert found is not None and found.confidence == confidence
        assert found.samples[0].startswith("****")

    @pytest.mark.parametrize(
        "text", ["1234 SA", "1234 SS", "0123 AB", "1234 ABC", "X1234 AB", "12345 AB", "1234 ab"]
    )
    def test_not_found(self, text: str) -> None:
        """SA/SD/SS, leading zero, glued and lower-case codes are not postcodes."""
        assert finding(f"adres {text} hier", "postcode", self.SCANNER) is None

    def test_letters_can_start_a_keyword(self) -> None:
        """A rejected postcode does not swallow the keyword its letters start."""
        facts = only("postcode", "bsn").scan_message(b"Subject: x\r\n\r\n2011 BSN 101722333\r\n")
        assert facts.by_detector("bsn").confidence == "high"  # type: ignore[union-attr]


class TestPhone:
    """Dutch phone numbers."""

    SCANNER = only("phone_nl", "bsn")

    @pytest.mark.parametrize(
        "text",
        [
            "06-12345678",
            "0612345678",
            "06 1234 5678",
            "020 123 4567",
            "(020) 1234567",
            "0318-123456",
            "+31 6 12345678",
            "+31 (0)20 123 4567",
            "0031 20 1234567",
            "+31612345678",
        ],
    )
    def test_found_low(self, text: str) -> None:
        """Every accepted form is one low-confidence phone number."""
        found = finding(f"Bel {text} aub", "phone_nl", self.SCANNER)
        assert found is not None and found.confidence == "low" and found.count == 1

    @pytest.mark.parametrize("text", ["061234567", "06123456789", "1612345678", "x0612345678"])
    def test_not_found(self, text: str) -> None:
        """Wrong lengths and glued digits are not phone numbers."""
        assert finding(f"Bel {text} aub", "phone_nl", self.SCANNER) is None

    def test_same_number_in_two_notations(self) -> None:
        """06-12345678 and +31 6 12345678 are the same number."""
        found = finding("06-12345678 of +31 6 12345678", "phone_nl", self.SCANNER)
        assert found is not None and found.count == 1


class TestCaseKeywords:
    """The officer's case vocabulary."""

    SCANNER = only("case_keywords")

    @pytest.mark.parametrize(
        ("text", "count", "confidence"),
        [
            ("De cliënt is gezien.", 1, "low"),
            ("De CLIENT en het dossier.", 2, "medium"),
            ("cliënten, cliëntdossier", 1, "low"),
            ("Veilig\nThuis", 1, "low"),
            ("melding bij Veilig Thuis over huiselijk geweld", 3, "medium"),
            ("dossiernummer", 1, "low"),
            ("plotseling trots", 0, None),
            ("OTS", 1, "low"),
            ("clie\u0308nt", 1, "low"),
        ],
    )
    def test_table(self, text: str, count: int, confidence: str | None) -> None:
        """Whole words, case- and accent-insensitive, prefixes with *, counted by word."""
        found = finding(text, "case_keywords", self.SCANNER)
        if count == 0:
            assert found is None
        else:
            assert found is not None and (found.count, found.confidence) == (count, confidence)

    def test_configured_words(self) -> None:
        """The officer's own list replaces the default one; samples are the configured words."""
        scanner = compile_config(
            ScanConfig(case_keywords=("Project X",), detectors=("case_keywords",))
        )
        found = finding("over project  x gesproken", "case_keywords", scanner)
        assert found is not None and found.samples == ("Project X",)
        assert finding("dossier", "case_keywords", scanner) is None


class TestCustom:
    """Officer patterns."""

    def test_custom_pattern(self) -> None:
        """A custom pattern reports custom:<name>, unique matches, masked to the last 2."""
        scanner = compile_config(
            ScanConfig(
                custom=(CustomPattern("zaak", r"ZAAK-\d{6}", "high"),), detectors=("custom",)
            )
        )
        facts = scanner.scan_message(b"Subject: x\r\n\r\nZAAK-123456 en ZAAK-123456, ZAAK-654321")
        found = facts.by_detector("custom:zaak")
        assert found is not None
        assert (found.count, found.confidence) == (2, "high")
        assert found.samples == ("****-****56", "****-****21")

    def test_empty_matches_ignored(self) -> None:
        """A pattern matching the empty string does not loop or report empties."""
        scanner = compile_config(
            ScanConfig(custom=(CustomPattern("e", r"x*"),), detectors=("custom",))
        )
        facts = scanner.scan_message(b"Subject: y\r\n\r\nabc xx abc")
        found = facts.by_detector("custom:e")
        assert found is not None and found.count == 1
