"""Numbers labelled as something else, and known test numbers, are no BSN (issue 13, point 2).

Every number below passes the 11-proef (checked first, so no case passes for the wrong reason):
without its label each one would be a BSN candidate.
"""

from __future__ import annotations

import pytest

from milter.content.detectors.bsn import (
    SAMPLE_BSNS,
    elfproef,
    is_test_number,
    only_glue,
)
from tests.unit.content.helpers import finding, only, scan

SCANNER = only("bsn", "phone_nl", "iban")
NUMBER = "101956782"  # passes the 11-proef; not a test number
KVK = "10000008"  # 8 digits: read as 010000008, which passes


def bsn_confidence(text: str) -> str | None:
    """The BSN finding's confidence for `text` (HTML when it starts with a tag), or None."""
    if text.startswith("<"):
        found = scan(text, SCANNER, ctype="text/html; charset=utf-8").by_detector("bsn")
    else:
        found = finding(text, "bsn", SCANNER)
    return None if found is None else found.confidence


LABELLED = [
    f"KvK: {KVK}",
    f"KvK-nummer {KVK}",
    f"Kamer van Koophandel {KVK}",
    f"Inschrijving handelsregister: {KVK}",
    f"Klantnummer | {NUMBER}",
    f"Klantnummer\t{NUMBER}",
    f"<td>Debiteurnummer</td><td>{NUMBER}</td>",
    f"Ticket #{NUMBER}",
    f"Uw melding {NUMBER}",
    f"Meldingnummer: {NUMBER}",
    f"Incident {NUMBER} is opgelost",
    "Vergader-ID: 101 956 782",
    "Conference ID: 101 956 782#",
    "Teams vergadering ID: 101 956 782",
    "Zoom meeting ID 101 956 782",
    f"Inbelcode: {NUMBER}",
    f"Dial-in code {NUMBER}",
    f"Track & Trace: {NUMBER}",
    f"Uw pakket {NUMBER} is onderweg",
    f"Postbus {NUMBER}",
    f"BTW-nummer: {NUMBER}",
    f"VAT number {NUMBER}",
    f"Ordernummer {NUMBER}",
    f"Order no. {NUMBER}",
    f"Factuurnummer: {NUMBER}",
    f"Invoice {NUMBER}",
    f"Boekingsnummer: {NUMBER}",
    f"Reservering {NUMBER}",
    f"Booking reference {NUMBER}",
    f"Relatienummer: {NUMBER}",
    f"Cliëntnummer {NUMBER}",
    f"Client number: {NUMBER}",
    f"Ons kenmerk: {NUMBER}",
    f"Uw kenmerk {NUMBER}",
    f"Your reference: {NUMBER}",
    f"Accountnummer {NUMBER}",
    f"Account ID: {NUMBER}",
    f"Telefoon: {NUMBER}",
    f"Telephone {NUMBER}",
    f"AGB-code {KVK}",
    f"Klantnummer:\n{NUMBER}",
    f"Wij zijn ingeschreven bij de KvK onder nummer {KVK}.",
    f"Uw aanvraag is ontvangen onder nummer {NUMBER}.",
    f"Certificaatnummer: {NUMBER}",
    f"Vacaturenummer {NUMBER}",
]


class TestLabelledNumbers:
    @pytest.mark.parametrize("text", LABELLED)
    def test_labelled_number_is_no_bsn(self, text: str) -> None:
        """A number directly labelled as something else, no BSN keyword near: no finding."""
        assert elfproef(NUMBER) and elfproef("0" + KVK)
        assert bsn_confidence(text) is None

    @pytest.mark.parametrize(
        "text",
        [
            f"Jan Jansen {NUMBER}",
            f"nummer {NUMBER}",
            f"Factuur voor de begeleiding van Jan, {NUMBER}",  # prose between: not a label
            f"Klantnummer | Naam | Bedrag\n{NUMBER} | ...",  # a header row, not its label
            f"{NUMBER} (klantnummer)",  # a label after the number labels nothing
        ],
    )
    def test_unlabelled_number_stays_low(self, text: str) -> None:
        """Without a direct label a valid number is still a low-confidence candidate."""
        assert bsn_confidence(text) == "low"

    @pytest.mark.parametrize(
        "text",
        [
            f"Klantnummer: {NUMBER} (het BSN volgt apart)",
            f"BSN en KvK:\nKvK\n{KVK}",  # the label on a line of its own: a table header
        ],
    )
    def test_labelled_with_bsn_keyword_near_is_medium(self, text: str) -> None:
        """With a BSN keyword in its sentence or a header above, a labelled number is medium."""
        assert bsn_confidence(text) == "medium"

    @pytest.mark.parametrize(
        "text",
        [
            f"Graag het BSN van de cliënt. Klantnummer: {NUMBER}",
            f"BSN en KvK: zie hieronder.\nKvK {KVK}",
            f"Aanvulling op onze melding (meldnummer {NUMBER}). Ingezien: naam en BSN.",
            f"Uw meldnummer is {NUMBER}. Ingezien zijn naam en BSN.",
        ],
    )
    def test_labelled_with_bsn_keyword_in_another_sentence_is_nothing(self, text: str) -> None:
        """Directly labelled, with 'BSN' only in another sentence: not a BSN (held-out breach)."""
        assert bsn_confidence(text) is None

    def test_bsn_keyword_closer_than_the_label_is_high(self) -> None:
        """'Klantnummer 12, BSN 101956782': the BSN keyword labels the number."""
        assert bsn_confidence(f"Klantnummer 12, BSN {NUMBER}") == "high"

    def test_bsn_in_a_table_row_is_high(self) -> None:
        """A table with a BSN column and a client-number column: the BSN is high."""
        text = f"<table><tr><td>BSN</td><td>{NUMBER}</td></tr></table>"
        assert bsn_confidence(text) == "high"


class TestGlue:
    @pytest.mark.parametrize(
        ("gap", "glue"),
        [
            (b": ", True),
            (b" | ", True),
            (b"-ID: ", True),
            (b" is ", True),
            (b"\t\t", True),
            (b" van de cli\xc3\xabnt ", False),
            (b" Jansen ", False),
        ],
    )
    def test_table(self, gap: bytes, glue: bool) -> None:
        """Separators and filler words join a label to its number; other words do not."""
        assert only_glue(gap) is glue


class TestKnownTestNumbers:
    @pytest.mark.parametrize(
        "digits", [*sorted(SAMPLE_BSNS), "999993653", "999990019", "999999990", "000012348"]
    )
    def test_test_number_never_counts(self, digits: str) -> None:
        """RvIG test ranges (0000..., 99999...) and sample numbers: no finding, even after BSN."""
        assert elfproef(digits) and is_test_number(digits)
        assert bsn_confidence(f"BSN: {digits}") is None
        assert (
            bsn_confidence(f"burgerservicenummer {digits[:3]} {digits[3:6]} {digits[6:]}") is None
        )

    def test_ordinary_number_is_not_a_test_number(self) -> None:
        """A number outside the ranges and the sample list is a BSN as usual."""
        assert not is_test_number(NUMBER)
        assert bsn_confidence(f"BSN: {NUMBER}") == "high"
