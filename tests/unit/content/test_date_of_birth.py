"""Unit tests for the date_of_birth detector."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.detectors.date_of_birth import _TEXTUAL, MONTHS, _may_name_a_month, dates_in
from tests.unit.content.helpers import finding, only

SCANNER = only("date_of_birth")


def dob(text: str):  # type: ignore[no-untyped-def]
    return finding(text, "date_of_birth", SCANNER)


class TestDatesIn:
    """The date forms."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("12-03-2011", (2011, 3, 12)),
            ("12/03/2011", (2011, 3, 12)),
            ("1.3.2011", (2011, 3, 1)),
            ("2011-03-12", (2011, 3, 12)),
            ("12 maart 2011", (2011, 3, 12)),
            ("12 mrt. 2011", (2011, 3, 12)),
            ("3 March 2012", (2012, 3, 3)),
            ("March 3, 2012", (2012, 3, 3)),
            ("3rd of nothing", None),
            ("31-02-2011", None),
            ("12-03-11", None),
            ("12-03-1850", None),
            ("112-03-2011", None),
            ("12-03-20111", None),
            ("12-03/2011", None),
        ],
    )
    def test_forms(self, text: str, expected: tuple[int, int, int] | None) -> None:
        """Accepted forms give a real calendar date; others nothing."""
        found = dates_in(f" {text} ".encode())
        assert found == ([datetime.date(*expected)] if expected else [])


class TestDateOfBirth:
    """Keyword rules."""

    @pytest.mark.parametrize(
        "text",
        [
            "Geboortedatum: 14-07-2012",
            "geb. 14-07-2012",
            "geboren op 14 juli 2012",
            "DOB 2012-07-14",
            "Date of birth: July 14, 2012",
            "born 14/07/2012",
            "Naam\tGeboortedatum\tBSN\nJan\t14-07-2012\t-",
        ],
    )
    def test_with_keyword_is_high(self, text: str) -> None:
        """A date near a birth keyword is a high-confidence date of birth."""
        found = dob(text)
        assert found is not None and found.confidence == "high"
        assert found.samples == ("**-**-**12",)

    @pytest.mark.parametrize(
        "text",
        ["Afspraak op 14-07-2012", "Datum: 14-07-2012", "geboren", "geboortedatum 31-02-2012"],
    )
    def test_without_keyword_nothing(self, text: str) -> None:
        """A date without a birth keyword (or a keyword without a date) is not reported."""
        assert dob(text) is None

    def test_far_from_keyword(self) -> None:
        """A date 300 characters after the keyword is out of reach."""
        assert dob("geboren " + "x" * 300 + " 14-07-2012") is None

    def test_unique_dates(self) -> None:
        """Two keywords, two dates, counted once each."""
        found = dob("geb. 01-01-2010, geb. 02-02-2011, geboren 01-01-2010")
        assert found is not None and found.count == 2


_PIECES = st.sampled_from(
    [
        *MONTHS,
        *("MAART", "Mrt.", "\u017feptember", "\u212aan", "\u0130", "\u0131"),
        *(" ", "  ", ".", ",", "\n", "\xa0", "-", "_", "x", "\xe9", "st", "th", "maar"),
        *("12", "3", "2011", "1999"),
    ]
)


class TestMonthGuard:
    """The cheap guard in front of the written-date regex."""

    @settings(max_examples=400, deadline=None)
    @given(st.lists(_PIECES, max_size=12).map("".join))
    def test_never_hides_a_written_date(self, text: str) -> None:
        """Whenever the written-date regex matches, the guard lets it run."""
        window = text.encode("utf-8")
        if _TEXTUAL.search(text) is not None:
            assert _may_name_a_month(window)

    def test_prose_without_months_is_skipped(self) -> None:
        """Dutch prose ('maar', 'meisje') without a month name does not run the regex."""
        assert not _may_name_a_month(b"maar het meisje kwam 12 dagen later, in 2011")


class TestNotABirthDate:
    """Dates near a birth keyword that a reader knows are no date of birth."""

    def test_a_date_in_the_future_is_no_birth_date(self) -> None:
        """'Geboortedatum' in a form's header, then next year's meeting date: not found."""
        assert dob("Geboortedatum en adres volgen. Overleg op 12-03-2099 om 10:00.") is None

    def test_a_past_date_still_counts(self) -> None:
        """The same sentence with a past date is a date of birth."""
        found = dob("Geboortedatum: 12-03-2015")
        assert found is not None and found.count == 1

    @pytest.mark.parametrize(
        "text",
        [
            "Locatie: geb. B, kamer 2.14. Datum: 12-03-2015",
            "We zitten in geb. Educatorium, zaal 2. Datum 12-03-2015",
        ],
    )
    def test_geb_followed_by_a_word_is_a_building(self, text: str) -> None:
        """'geb.' before a word that is no month name means gebouw, not geboren."""
        assert dob(text) is None

    @pytest.mark.parametrize(
        "text", ["geb. 12-03-2015", "geb. op 12-03-2015", "geb. 12 maart 2015", "geb.\n12-03-2015"]
    )
    def test_geb_before_a_date_still_counts(self, text: str) -> None:
        """'geb.' before a date, a month or 'op' is still a birth label."""
        found = dob(text)
        assert found is not None and found.count == 1

    def test_a_date_of_death_is_no_birth_date(self) -> None:
        """'Geboren 12-03-1960, overleden 01-02-2020': one date of birth, not two."""
        found = dob("In memoriam: geboren 12-03-1960, overleden 01-02-2020.")
        assert found is not None and found.count == 1
        assert dob("In memoriam Jan. Geboren in Utrecht, † 01-02-2020.") is None


class TestLaterSentences:
    """A date in a later sentence is not the birth keyword's date (blind corpus, meldcode_info)."""

    def test_a_date_after_the_sentence_ends_is_no_birth_date(self) -> None:
        """'We ask the geboortedatum.' then a new paragraph with a training date: not found."""
        text = (
            "Bij een melding vragen wij naam, adres en geboortedatum van het kind en de ouders; "
            "stuur die niet per mail.\n\nOp zondag 1 november 2026 geven wij een scholing."
        )
        assert dob(text) is None

    def test_a_later_sentence_on_the_same_line_is_no_birth_date(self) -> None:
        """'geboortedatum' listed as a kind of data: a later sentence's date is not one."""
        text = (
            "Bij het incident zijn gegevens ingezien: naam, adres, geboortedatum en BSN. Er zijn "
            "geen gegevens gekopieerd. De gezinnen zijn op 19 november 2024 geïnformeerd."
        )
        assert dob(text) is None

    @pytest.mark.parametrize(
        "text",
        [
            "Het kind is geboren in Utrecht. 12-03-2015 was een zondag.",  # no capital after '. '
            "Geboren op 12 sept. 2015 in Utrecht.",  # 'sept.' before a year
            "Geboortedatum moeder: 03-04-1985. Vader: onbekend.",  # the date ends the sentence
        ],
    )
    def test_a_date_in_the_keywords_own_sentence_still_counts(self, text: str) -> None:
        """Only a sentence end (a word of four letters, a stop, a capital) closes the window."""
        found = dob(text)
        assert found is not None and found.count == 1

    def test_a_birth_keyword_in_the_next_sentence_still_counts(self) -> None:
        """The next sentence's own birth keyword opens its own window."""
        text = "We vragen de geboortedatum van het kind.\nHet kind is geboren op 12-03-2015."
        found = dob(text)
        assert found is not None and found.count == 1

    @pytest.mark.parametrize(
        "text",
        [
            "Naam\tGeboortedatum\tOpm.\nJan\t12-03-2015\t-",
            "Nr.\tGeboortedatum\tTel.\n1\t12-03-2015\t030",
            "Geboortedatum:\n\n12-03-2015",
            "geboren te St. Jansteen op 12-03-2015",
        ],
    )
    def test_abbreviations_and_blank_lines_do_not_end_the_window(self, text: str) -> None:
        """A table header's 'Opm.', 'St.' in a place name or a blank line is no sentence end."""
        found = dob(text)
        assert found is not None and found.count == 1


class TestRanges:
    """A date that bounds a range or a comparison is a selection, not someone's birth date."""

    @pytest.mark.parametrize(
        "text",
        [
            "alle jeugdigen geboren tussen 01-01-2009 en 31-12-2012 met een OTS",
            "kinderen geboren van 1 januari 2010 tot en met 31 december 2012",
            "jongeren geboren na 01-01-2010",
            "kinderen geboren vóór 1 januari 2012 vallen erbuiten",
            "children born between 1 January 2009 and 31 December 2012",
            "geboortedatum vanaf 01-01-2008",
        ],
    )
    def test_range_bounds_are_no_birth_dates(self, text: str) -> None:
        """Research selections by birth date carry no one's date of birth."""
        assert dob(text) is None

    @pytest.mark.parametrize(
        ("text", "count"),
        [
            ("Jan geboren 12-03-2011 en Piet geboren 04-05-2013", 2),
            ("kinderen geboren 12-03-2011 en 04-05-2013", 2),
            ("Sanne, geboren op 12-03-2011, tussen twee ouders in", 1),
            ("geboren 12-03-2011, op school sinds 01-09-2016", 1),
        ],
    )
    def test_dates_of_people_still_count(self, text: str, count: int) -> None:
        """Two children's dates joined by 'en' count; 'sinds' makes only its own date a bound."""
        found = dob(text)
        assert found is not None and found.count == count


class TestUnlabelledBracketedDates:
    """A date in brackets after a name, without a birth word, is not read as a date of birth:
    ordinary care mail writes dates that way all day (tried and withdrawn on 2026-12-07: with
    case words beside them, each of these was held)."""

    @pytest.mark.parametrize(
        "text",
        [
            "Zoals besproken met mevrouw De Vries (12-03-2024) over de melding.",
            "Het overleg met Jan Jansen (03-02-2025) over de nieuwe cliënten gaat door.",
            "Jubilarissen: Marieke Visser (01-03-2001), Kees de Boer (15-09-2000).",
            "Training 'Omgaan met meldingen' door Sanne Mulder (12-05-2023) was een succes.",
            "Het rapport van de Inspectie (05-06-2024) over crisisplaatsing is gepubliceerd.",
        ],
    )
    def test_bracketed_date_after_a_name_is_nothing(self, text: str) -> None:
        """No birth word: no date of birth, whatever the name before the brackets."""
        assert dob(text) is None


class TestFiction:
    """Training material that calls its person or data fictitious (held-out corpus, e-learning)."""

    @pytest.mark.parametrize(
        "text",
        [
            "In de oefencasus staat het fictieve BSN en geboortedatum 01-01-2010 van de fictieve"
            " cliënt 'Kees Test'.",
            "Casus (verzonnen): Tim, geboren 03-04-2016, woont bij moeder.",
            "Example case, fictional: date of birth 1 May 2014.",
        ],
    )
    def test_a_fictitious_persons_date_is_no_birth_date(self, text: str) -> None:
        """A birth date in a sentence that says the data is made up is nobody's."""
        assert dob(text) is None

    def test_fiction_in_another_sentence_does_not_hide_a_real_date(self) -> None:
        """'De vorige casus was fictief.' does not hide the next sentence's real birth date."""
        found = dob("De vorige casus was fictief. Deze niet: Sanne, geboren 12-03-2015.")
        assert found is not None and found.count == 1


class TestStaffDatesOfBirth:
    """A colleague's, intern's or applicant's date of birth in HR, travel and event mail (the
    second blind corpus: staff_event, vog_request, internship, attendance_list)."""

    @pytest.mark.parametrize(
        "text",
        [
            "Aanleiding: onze collega Jan wordt 50 (geboren 12 maart 1976) en werkt al 25 jaar"
            " bij de jeugdbescherming.",
            "Een VOG voor onze nieuwe collega Fenna de Vries, geboren 3 mei 1990 te Utrecht.",
            "Our new colleague Anna Smit, born 3 May 1990, starts in January.",
            "De stageovereenkomst voor onze stagiair Piet Jansen (geboren 4 april 2004).",
            "Ziekmelding: Jan Smit, personeelsnummer 123456, geboortedatum 12-03-1980.",
            "Naam\tPersoneelsnr\tGeboortedatum\tTraining\nJan Smit\t123456\t12-03-1980\tMeldcode",
            "Onze collega Zo\u00eb van 't Hof (geb. 12-03-1976) gaat met pensioen.",
        ],
    )
    def test_a_date_of_birth_of_named_staff_is_none(self, text: str) -> None:
        """A birth date right after a possessive staff noun and a name, or after a staff
        number label, is a colleague's: not reported."""
        assert dob(text) is None

    @pytest.mark.parametrize(
        "text",
        [
            "Onze medewerker sprak met moeder over Jan, geboren 12-03-2014.",
            "Geachte collega,\n\nBetreft: Jan Smit, geb. 12-03-2014",
            "Beste collega, Betreft: Jan Smit, geb. 12-03-2014",
            "Onze cli\u00ebnt Jan, geboren 12-03-2014, woont bij een pleeggezin.",
            "Onze collega's van het wijkteam kennen Jan (geb. 12-03-2014) al lang.",
            "Naam\tCli\u00ebntnummer\tGeboortedatum\nJan Smit\t123456\t12-03-2014",
            "Betreft: Jan Smit (studentnummer 1234567, geboren 12-03-2014), OTS sinds mei.",
        ],
    )
    def test_a_client_named_near_a_staff_word_still_counts(self, text: str) -> None:
        """A staff word in a greeting, or with other words between it and the birth date,
        does not hide a client's date of birth."""
        found = dob(text)
        assert found is not None and found.samples == ("**-**-**14",)


class TestObituaries:
    """A colleague's in memoriam (the held-out corpus's newsletter, the second blind corpus's
    obituaries): the death of staff announced in the birth keyword's sentence or the one
    before."""

    @pytest.mark.parametrize(
        "text",
        [
            "Met verdriet delen wij het overlijden van onze collega Julia Scheffers, gezinsvoogd"
            " in team Amersfoort. Geboren 6 juni 1970, overleden 12 november 2026. Zij werkte"
            " in de jeugdbescherming.",
            "Wij laten u weten dat onze collega Ivan Marchand op 8 maart 2026 is overleden. Ivan"
            " werd geboren op 29 januari 1964 en werkte twintig jaar als gezinsvoogd.",
            "In memoriam onze oud-collega Kees (geboren 3 mei 1950), die lang in de pleegzorg"
            " werkte.",
        ],
    )
    def test_a_colleagues_obituary_gives_no_date_of_birth(self, text: str) -> None:
        """A birth date beside the announced death of a colleague is not reported."""
        assert dob(text) is None

    def test_far_into_a_long_text_the_obituary_is_still_seen(self) -> None:
        """Staff and death words are looked for only near birth keywords: an obituary after
        100 kB of other text, between two children's birth dates, is still a colleague's."""
        filler = "Een gewone zin over de planning van het project. " * 2000
        child = "Jan, geboren 12-03-2014, woont bij oma. "
        obituary = (
            "Wij melden het overlijden van onze collega Julia Scheffers. Geboren 6 juni 1970,"
            " overleden 12 november 2026. "
        )
        found = dob(child + filler + obituary + filler + child.replace("Jan", "Piet"))
        assert found is not None and found.samples == ("**-**-**14",)

    @pytest.mark.parametrize(
        "text",
        [
            "Vader is vorige maand overleden. Onze medewerker bezocht Jan (geb. 12-03-2014).",
            "Jan (geb. 12-03-2014) is de zoon van de overleden vader.",
            "Onze collega meldde de zorgen. Jan, geboren 12-03-2014, woont bij oma sinds moeder"
            " is overleden.",
        ],
    )
    def test_a_death_in_a_case_keeps_the_childs_date(self, text: str) -> None:
        """A death in a case note, without a colleague's death announced, keeps the date."""
        found = dob(text)
        assert found is not None and found.samples == ("**-**-**14",)


class TestFormLabels:
    """'Geboortedatum:' as a form label: its value is on its own line (the second blind corpus:
    empty intake forms with a version date below)."""

    @pytest.mark.parametrize(
        "text",
        [
            "Geboortedatum: __-__-____\nAdres: ______\nDatum melding: 12-05-2024",
            "Geboortedatum: ..........\nPostcode: ____ __\nVersie 1.2 - 05-06-2024",
            "Naam: ________\nDatum melding: 01-02-2024\nGeboortedatum: ________",
            "Geboortedatum: onbekend\nDatum: 01-02-2024",
        ],
    )
    def test_a_filled_label_takes_no_date_from_other_lines(self, text: str) -> None:
        """A blank or worded value after 'Geboortedatum:' leaves the dates of the other
        lines (other fields) alone."""
        assert dob(text) is None

    @pytest.mark.parametrize(
        "text",
        [
            "Geboortedatum: 12-03-2014\nDatum melding: 12-05-2024",
            "Naam: Jan Smit, geboortedatum: 12 maart 2014, school: De Regenboog",
            "Geboortedatum:\n12-03-2014",
            "Naam:\nGeboortedatum:\nBSN:\nJan Smit\n12-03-2014\n",
        ],
    )
    def test_a_label_with_its_date_still_counts(self, text: str) -> None:
        """The date on the label's line counts; so does the next lines' when the label's
        line is empty (a value below, or a PDF's column of values after its labels)."""
        found = dob(text)
        assert found is not None and found.samples == ("**-**-**14",)


class TestShortFormsAfterTheKeyword:
    """Two-digit years with an apostrophe and eight-digit dates, right after a birth keyword."""

    @pytest.mark.parametrize(
        ("text", "sample"),
        [
            ("Betreft Rick (geboren 8-5-'10).", "**-**-**10"),
            ("geboren op 3/4/\u201985", "**-**-**85"),
            ("Betreft Michelle (geb.datum 20190228).", "**-**-**19"),
            ("Geboortedatum: 28022019", "**-**-**19"),
        ],
    )
    def test_short_forms_right_after_the_keyword_are_high(self, text: str, sample: str) -> None:
        """d-m-'yy and yyyymmdd / ddmmyyyy directly after the label are a date of birth."""
        found = dob(text)
        assert found is not None and found.confidence == "high" and found.samples == (sample,)

    @pytest.mark.parametrize(
        "text",
        [
            "geboren 12-03-14",
            "Geb. 30276548",
            "geboren 20190228123",
            "Geboortedatum 20991231",
            "geboren in Utrecht, dossier 20190228",
            "Klantnummer 8-5-'10",
        ],
    )
    def test_other_short_numbers_are_no_birth_date(self, text: str) -> None:
        """No apostrophe, no valid date, a longer number, the future, or not right after: none."""
        assert dob(text) is None
