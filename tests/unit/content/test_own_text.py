"""The organisation's own text: own phrases give no findings, signature blocks no case keywords."""

from __future__ import annotations

import pytest

from milter.content import ConfigError, ScanConfig, compile_config
from milter.content.formats.html import html_to_text, mark_signatures
from milter.content.own_text import OwnPhrases, signature_spans
from tests.unit.content.helpers import scan

FOOTER = "Samen Veilig Midden-Nederland | KvK 10000008 | IBAN NL91 ABNA 0417 1643 00"
OWN = compile_config(
    ScanConfig(own_phrases=("Veilig Thuis Utrecht", "Samen Veilig Midden-Nederland", FOOTER))
)
PLAIN = compile_config(ScanConfig())
BSN = "101956782"  # passes the 11-proef


def detectors(body: str, scanner=OWN, **kwargs: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """detector -> confidence for `body`."""
    return {f.detector: f.confidence for f in scan(body, scanner, **kwargs).findings}


class TestOwnPhrases:
    def test_org_name_inside_a_job_title_is_no_case_keyword(self) -> None:
        """'Medewerker Veilig Thuis Utrecht': the own phrase hides 'Veilig Thuis'."""
        body = "Zie de agenda.\nMedewerker Veilig Thuis Utrecht\n"
        assert "case_keywords" in detectors(body, PLAIN)
        assert "case_keywords" not in detectors(body)

    def test_footer_kvk_and_iban_give_no_findings(self) -> None:
        """The footer line with the org's KvK and IBAN, even beside 'BSN' and 'dossier'."""
        body = f"Het BSN staat in het dossier, niet bij {FOOTER}\n"  # one sentence: KvK medium
        assert {"iban", "bsn"} <= detectors(body, PLAIN).keys()
        found = detectors(body)
        assert "iban" not in found and "bsn" not in found

    def test_matching_ignores_case_accents_and_spacing(self) -> None:
        """'SAMEN VEILIG  midden nederland' is the same phrase."""
        own = OwnPhrases(("Samen Veilig Midden-Nederland",))
        assert own.spans(b"x SAMEN VEILIG  midden nederland.") == [(2, 32)]

    def test_whole_words_only(self) -> None:
        """A phrase inside a longer word is not the phrase."""
        own = OwnPhrases(("Veilig Thuis",))
        assert own.spans(b"Veilig Thuisfront") == []

    def test_blank_keeps_length(self) -> None:
        """Blanking replaces by spaces, so positions (keyword distances) stay as they were."""
        own = OwnPhrases(("Veilig Thuis",))
        assert own.blank(b"Team Veilig Thuis, 12") == b"Team             , 12"

    def test_client_data_next_to_the_phrase_still_counts(self) -> None:
        """Only the phrase is hidden: a BSN after the org name is found."""
        found = detectors(f"Samen Veilig Midden-Nederland: BSN {BSN}\n")
        assert found.get("bsn") == "high"

    def test_too_short_phrase_is_refused(self) -> None:
        """A phrase of fewer than four letters or digits would hide too much: ConfigError."""
        with pytest.raises(ConfigError):
            compile_config(ScanConfig(own_phrases=("VT",)))


SIGNED = (
    "Beste Piet,\n\nDank voor het overleg van vanmiddag; ik stuur de agenda volgende week.\n\n"
    "Met vriendelijke groet,\n\nAnne de Boer\nGezinsvoogd\nTeam Jeugdbescherming Utrecht\n"
)


class TestSignatureBlocks:
    def test_job_title_after_a_closing_is_no_case_keyword(self) -> None:
        """'Met vriendelijke groet, name, Gezinsvoogd': no case keyword from the signature."""
        assert "case_keywords" not in detectors(SIGNED, PLAIN)

    def test_dash_dash_separator(self) -> None:
        """Plain text after '-- ' (RFC 3676) is a signature."""
        body = "Tot morgen.\n-- \nAnne de Boer | Medewerker Veilig Thuis\n"
        assert "case_keywords" not in detectors(body, PLAIN)

    @pytest.mark.parametrize(
        "opening",
        [
            '<div id="Signature">',
            '<div id="x_Signature">',
            '<div class="gmail_signature" data-smartmail="gmail_signature">',
            '<div id="AppleMailSignature">',
            '<div class="moz-signature">',
        ],
    )
    def test_html_signature_markup(self, opening: str) -> None:
        """Outlook, Gmail, Apple Mail and Thunderbird signature markup marks a signature."""
        html = (
            f"<p>Tot morgen.</p>{opening}<p>Anne</p><p>Gezinsvoogd</p><p>Jeugdbescherming</p></div>"
        )
        assert "case_keywords" not in detectors(html, PLAIN, ctype="text/html; charset=utf-8")
        assert "-- " in html_to_text(mark_signatures(html)).splitlines()

    def test_bsn_in_a_signature_still_counts(self) -> None:
        """Only case keywords are discounted in a signature: a BSN there is a BSN."""
        found = detectors(SIGNED + f"BSN {BSN}\n", PLAIN)
        assert found.get("bsn") == "high"

    def test_case_words_above_the_signature_count(self) -> None:
        """The body's own case words are not in the block."""
        body = "Het dossier van de cliënt is bijgewerkt.\n\n" + SIGNED
        assert detectors(body, PLAIN).get("case_keywords") == "medium"

    def test_quoted_history_after_the_signature_counts(self) -> None:
        """A reply header ends the block: the quoted mail below is scanned as usual."""
        body = SIGNED + "\nVan: Piet\nOnderwerp: crisisplaatsing\n\nDe melding over de OTS.\n"
        found = scan(body, PLAIN).by_detector("case_keywords")
        assert found is not None and set(found.samples) >= {"crisisplaatsing", "OTS"}

    def test_dossier_extract_has_no_signature(self) -> None:
        """A dossier extract (no closing, no separator): every case keyword counts."""
        body = (
            "Dossier cliënt J. Jansen\nGezinsvoogd: A. de Boer\nOndertoezichtstelling sinds "
            "2024\nVeiligheidsplan besproken.\n"
        )
        found = scan(body, PLAIN).by_detector("case_keywords")
        assert found is not None and found.count >= 4

    def test_a_sentence_starting_with_thanks_is_no_closing(self) -> None:
        """'Bedankt voor de melding over de cliënt' is prose, not a closing."""
        assert signature_spans("Bedankt voor de melding over de cliënt.\nx\n".encode()) == []

    def test_closing_with_name_on_one_line(self) -> None:
        """'Groet, Jan' starts a signature block."""
        data = b"Tot dan.\nGroet, Jan\nGezinsvoogd\n"
        assert signature_spans(data) == [(9, len(data))]

    def test_block_is_bounded(self) -> None:
        """After SIGNATURE_MAX_LINES non-empty lines the block ends: text below counts."""
        body = SIGNED + "regel\n" * 20 + "Het dossier van de cliënt.\n"
        assert detectors(body, PLAIN).get("case_keywords") == "medium"


class TestJobTitles:
    """A case word written as a staff member's job is no case data (held-out hr_sick_leave)."""

    @pytest.mark.parametrize(
        "body",
        [
            "Ziekmelding van een medewerker.\nGeboortedatum: 03-06-1978\nFunctie: gezinsvoogd\n",
            "Personeelsnummer: 95456\nFunctietitel:\tGezinsvoogd\n",
            "Naam\tAnne\nFunctie\tgezinsvoogd\n",  # a table row read as text
            "Zij is sinds 2019 werkzaam als gezinsvoogd in Zeist.\n",
            "Hij komt in de functie van gezinsvoogd.\n",
        ],
    )
    def test_a_job_title_is_no_case_keyword(self, body: str) -> None:
        """'Functie: gezinsvoogd', 'werkzaam als gezinsvoogd': no case keyword."""
        assert "case_keywords" not in detectors(body, PLAIN)

    @pytest.mark.parametrize(
        "body",
        [
            "De gezinsvoogd heeft moeder gesproken.\n",
            "Naam melder en functie: gezinsvoogd\n",  # a form's field, not opening its line
            "Functie van de ouder: onbekend. De gezinsvoogd belt morgen.\n",
        ],
    )
    def test_the_same_word_elsewhere_counts(self, body: str) -> None:
        """Only right after the job label: the word in prose or elsewhere on a line counts."""
        assert "case_keywords" in detectors(body, PLAIN)

    @pytest.mark.parametrize("compound", ["SKJ-dossier", "HR-dossier", "P-dossier"])
    def test_a_staff_file_is_no_case_file(self, compound: str) -> None:
        """'Punten bijschrijven in mijn SKJ-dossier': a staff file (blind certificate_06)."""
        assert "case_keywords" not in detectors(f"Graag bijschrijven in mijn {compound}.\n", PLAIN)

    def test_a_cv_lists_work_not_cases(self) -> None:
        """A CV's work experience ('gezinsvoogd, casusoverleg, OTS') is no case (held-out hr_cv)."""
        cv = (
            "Curriculum vitae Anne de Boer\nGeboortedatum: 03-06-1990\nWerkervaring: 2019-heden "
            "gezinsvoogd; casusoverleg, ondertoezichtstelling, uithuisplaatsing.\n"
        )
        assert "case_keywords" not in detectors(cv, PLAIN)

    def test_a_case_note_mentioning_a_cv_still_counts(self) -> None:
        """Without the title at the top, a text with 'werkervaring' is read as usual."""
        note = (
            "Verslag: de cliënt zoekt werk, OTS loopt; werkervaring opgedaan.\n"
            "Zij stuurt haar curriculum vitae naar de gezinsvoogd.\n"
        )
        assert detectors("x" * 600 + "\n" + note, PLAIN).get("case_keywords") == "medium"

    def test_a_clients_file_compound_still_counts(self) -> None:
        """'cliënt-dossier', 'jeugd-dossier': the case word counts as before."""
        found = scan("Zie het jeugd-dossier.\n", PLAIN).by_detector("case_keywords")
        assert found is not None and "dossier" in found.samples

    def test_other_case_words_beside_a_job_title_count(self) -> None:
        """A case note signed 'Functie: gezinsvoogd' still shows its other case words."""
        body = (
            "Verslag huisbezoek cliënt, OTS loopt.\nOpgesteld door: A. de Boer\n"
            "Functie: gezinsvoogd\n"
        )
        found = scan(body, PLAIN).by_detector("case_keywords")
        assert found is not None and "gezinsvoogd" not in found.samples and found.count >= 2
