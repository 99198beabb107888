"""date_of_birth -- dates written as someone's date of birth.

A date on its own is not a date of birth (every letter has one), so this detector only looks
near a birth keyword -- geboortedatum, geb., geboren, geboortedag, DOB, d.o.b., date of birth,
birth date, born -- from 30 characters before it to 160 after (enough for the data row under a
table header).  It accepts 12-03-2011, 12/03/2011, 12.03.2011, 2011-03-12, 12 maart 2011,
12 mrt. 2011, 12 March 2011 and March 12, 2011: real calendar dates with years 1900-2099.

Confidence: high for every date found that way; nothing without a keyword.  Counted by unique
date; samples show the last two digits of the year only ('**-**-**11').

Not a date of birth: a date after today (a meeting, a deadline), a date after a death word
(overleden, died, †: "geboren 1960, overleden 2026"), "geb." followed by a word that is no
month name ("geb. B, kamer 2": gebouw, building), a date in a later sentence than the keyword
(a prose sentence ends -- a full stop, ! or ? after a word of four letters -- and a new line or,
after a space, a capital letter starts the next: "we vragen de geboortedatum van het kind.\n\nOp
1 november geven wij een training", "naam, adres, geboortedatum en BSN. Er is niets gekopieerd.
De gezinnen zijn op 19 november geïnformeerd"), and a date that
bounds a range or a comparison rather than naming a day ("geboren tussen 01-01-2009 en
31-12-2012", "geboren na 1 januari 2010", "born before ...": a selection, not a person), and
a date in a sentence that calls its person or data fictitious ("het fictieve BSN ... en
geboortedatum 01-01-2010 van de fictieve cliënt": e-learning and training material), and the
date of birth of someone the text has just named as staff: a possessive and a staff noun, then
only a name ("onze collega Jan wordt 50 (geboren ...)", "onze nieuwe medewerker Fenna de Vries,
geboren ..."), or a staff number label ("personeelsnummer 123456, geboortedatum ...", a
'Personeelsnr' column before the 'Geboortedatum' column): HR, travel and event mail about
colleagues, interns and applicants. Any other word between them ("onze medewerker sprak met
moeder over Jan, geboren ...") keeps the date, and so does a student number ("studentnummer",
"leerlingnummer"): a client of 16 is a student too, in mail to his school. Nor is a date in a
colleague's obituary a client's: the keyword's sentence or the one before announces the death
of staff, a death word (overleden, overlijden, in memoriam, †) and a possessive staff noun close
together ("het overlijden van onze collega Julia, gezinsvoogd. Geboren 6 juni 1970, ...").

A birth keyword written as a form label ("Geboortedatum:") holds the value on its own line: a
date on another line belongs to another field ("Geboortedatum: __-__-____" in an empty form,
then "Datum melding: 12-05-2026" or the form's version date below). Only when nothing follows
the colon on its line is the value looked for on the lines after it (a value on the next line,
or the column of values a PDF gives after all its labels).

Directly after the keyword (only ':', spaces, 'op' or 'd.d.' between) two shorter forms count
too: a two-digit year with its apostrophe ("geboren 8-5-'10": 2010, or 19xx when 20xx would
lie ahead) and eight digits that form a date ("geb.datum 20190228", "geboortedatum 28022019"),
as case systems export them.

Refuses: impossible dates (31-02-2011), two-digit years elsewhere, dates inside longer numbers.
"""

from __future__ import annotations

import datetime
import re
from bisect import bisect_left
from dataclasses import dataclass, field

from milter.content.findings import Finding
from milter.content.mask import mask_tail
from milter.content.registry import Detector, DetectorRun, KeywordSet, Segment, Tally, register

BEFORE = 30
AFTER = 160

DOB_KEYWORDS: tuple[str, ...] = (
    "geboortedatum",
    "geboorte datum",
    "geb.datum",
    "geb.",
    "geboren",
    "geboortedag",
    "dob",
    "d.o.b.",
    "date of birth",
    "birth date",
    "birthdate",
    "born",
)

MONTHS: dict[str, int] = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "maart": 3,
    "march": 3, "mrt": 3, "mar": 3, "maa": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "augustus": 8, "august": 8,
    "aug": 8, "september": 9, "sept": 9, "sep": 9, "oktober": 10, "october": 10, "okt": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip

# After "geb.": words that still lead to a birth date ("geb. op 12-03-2015", "geb. d.d. ...").
_GEB_FILLERS = frozenset((b"op", b"on", b"d", b"dd", b"datum", b"te"))
# A date after one of these is a date of death, not of birth.
_DEATH = re.compile(rb"(?i)\b(?:overleden|gestorven|died|deceased)\b|\boverl\.|\xe2\x80\xa0")
_WORD = re.compile(rb"[^\W\d_]+")
# The end of a prose sentence: a full stop, ! or ? right after a word of at least four letters
# (not an abbreviated table header such as "Opm." or "Nr."), then a line break or a space and a
# capital ("sept. 2015" goes on). A date after it belongs to the next sentence; a new birth
# keyword opens its own window.
_SENTENCE_END = re.compile(rb"[^\W\d_]{4}[.!?](?:[ \t]*\r?\n|[ \t]+(?=[A-Z]))")
# In the keyword's sentence: the data is made up (training material), no one's date of birth.
_FICTION = re.compile(rb"(?i)\b(?:fictie(?:f|ve)|fictional|fictitious|verzonnen)\b")
# Where the keyword's sentence starts: after the last full stop, ! or ? and a space, or a line.
_SENTENCE_START = re.compile(rb"(?s:.*)(?:[.!?]\s|\n)")
# Just before a date: a word that makes the date a bound ("na", "voor", "vanaf", "after").
_COMPARISON = re.compile(
    rb"(?i)\b(?:na|voor|v\xc3\xb3\xc3\xb3r|vanaf|sinds|after|before|since)\s+(?:de\s+|the\s+)?$"
)
# A range of two dates: "tussen|between|van|from <date> en|and|tot|t/m|to|until|- <date>".
_RANGE_START = re.compile(rb"(?i)\b(?:tussen|between|van|from)\s+$")
_RANGE_JOIN = re.compile(rb"(?i)\s*(?:en|and|tot(?:\s+en\s+met)?|t/m|to|until|-|\xe2\x80\x93)\s*")

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_WORDS = frozenset(month.encode("ascii") for month in MONTHS)
_LETTER_RUN = re.compile(rb"[a-z]+")
# Characters _TEXTUAL's IGNORECASE matches to ASCII letters (U+0130, U+0131, U+017F, U+212A)
_FOLDS_TO_ASCII = (b"\xc4\xb0", b"\xc4\xb1", b"\xc5\xbf", b"\xe2\x84\xaa")
_NUMERIC = re.compile(rb"\d{1,4}([-/.])\d{1,2}\1\d{1,4}")
# The short forms, right after a keyword: d-m-'yy (straight or curly apostrophe) or 8 digits.
_SHORT_AFTER = re.compile(
    rb"(?i)[ \t:]*(?:op\s+|on\s+|d\.?d\.?\s+)?"
    rb"(?:(\d{1,2})([-/.])(\d{1,2})\2(?:'|\xe2\x80\x99)(\d{2})|(\d{8}))(?!\d|[-/.]\d)"
)
# Before a keyword: the person whose date it is was just named as staff. A possessive and a
# staff noun, then only a name, 'wordt 50', punctuation ("onze collega Jan wordt 50 (geboren");
# or a staff number label ("personeelsnummer 123456, geboortedatum", a 'Personeelsnr' column).
_STAFF_NOUN = (
    rb"(?i:\b(?:onze?|mijn|jullie|uw|our|my|your)\s+(?:nieuwe\s+|new\s+|oud-?\s*|former\s+)?"
    rb"(?:collega|medewerk(?:st)?er|werknemer|stagiaire?|student|sollicitant|colleague|employee"
    rb"|intern|trainee|applicant)s?)"
)
_STAFF_NUMBER = (
    rb"(?i:\b(?:personeels|medewerkers?|werknemers|employee|staff)[ \t-]?"
    rb"(?:nummer|nr\.?|number|no\.?|id)(?:[ \t]*:?[ \t]*\d+)?)"
)
# One token per atomic step (Python 3.11), so a failing search stays linear.
_NAME_ONLY = (
    rb"(?>[ \t,;:()'\xe2\x80\x99-]+|\d+|[A-Z][A-Za-z\x80-\xff'-]*+"
    rb"|(?:van|de|der|den|het|ter|ten|el|t|wordt|werd|is|jaar|turns|years?)(?![A-Za-z]))*"
)
_STAFF_BEFORE = re.compile(
    rb"(?:" + _STAFF_NOUN + rb"|" + _STAFF_NUMBER + rb")" + _NAME_ONLY + rb"\Z"
)
_STAFF_LOOKBACK = 80
_STAFF_NOUN_RE = re.compile(_STAFF_NOUN)
_STAFF_NUMBER_RE = re.compile(_STAFF_NUMBER)
# An obituary: a death in the birth keyword's sentence or the one before it.
_OBITUARY = re.compile(
    rb"(?i)\b(?:overleden|overlijden|gestorven|died|passed[ \t]+away|in[ \t]+memoriam)\b"
    rb"|\xe2\x80\xa0"
)
# A form label: the keyword, then a colon.
_LABEL_COLON = re.compile(rb"[ \t]*:[ \t]*")
_DIGITS = frozenset(b"0123456789")
_GLUE = frozenset(b"0123456789.-/")
_TEXTUAL = re.compile(
    rf"(?<!\d)(?:(\d{{1,2}})\.?\s+({_MONTH})\.?,?\s+(\d{{4}})"
    rf"|\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}))(?!\d)",
    re.IGNORECASE,
)


def _mask_date(iso: str) -> str:
    """'2011-03-12' -> '**-**-**11'."""
    return mask_tail(f"{iso[8:10]}-{iso[5:7]}-{iso[:4]}", 2)


def _date(year: str, month: int, day: str) -> datetime.date | None:
    try:
        value = datetime.date(int(year), month, int(day))
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2099 else None


def _may_name_a_month(window: bytes) -> bool:
    """False only when `window` cannot hold a written date: no month name as a word of its own.

    A cheap guard for _TEXTUAL, which costs ~10x more (and 'maa', Dutch 'maar', is everywhere).
    """
    lowered = window.lower()
    if any(fold in lowered for fold in _FOLDS_TO_ASCII):
        return True
    return not _MONTH_WORDS.isdisjoint(_LETTER_RUN.findall(lowered))


def dates_in(window: bytes) -> list[datetime.date]:
    """Every valid date written in `window` (UTF-8) in one of the accepted forms."""
    return [day for day, _, _ in dated_spans(window)]


def dated_spans(window: bytes) -> list[tuple[datetime.date, int, int]]:
    """Every valid date in `window` with its byte span, in the order dates_in gives them."""
    found: list[tuple[datetime.date, int, int]] = []
    for m in _NUMERIC.finditer(window):
        start, end = m.span()
        if start and window[start - 1] in _GLUE:
            continue
        if end < len(window) and (
            window[end] in _DIGITS
            or (window[end] in b"-/." and window[end + 1 : end + 2].isdigit())
        ):
            continue
        first, second, third = m.group().split(m.group(1))
        if len(first) <= 2 and len(third) == 4:
            value = _date(third.decode(), int(second), first.decode())
        elif len(first) == 4 and m.group(1) == b"-" and len(second) == len(third) == 2:
            value = _date(first.decode(), int(second), third.decode())
        else:
            continue
        if value is not None:
            found.append((value, start, end))
    if _may_name_a_month(window):
        text = window.decode("utf-8", "replace")
        for t in _TEXTUAL.finditer(text):
            if t.group(3):
                value = _date(t.group(3), MONTHS[t.group(2).lower()], t.group(1))
            else:
                value = _date(t.group(6), MONTHS[t.group(4).lower()], t.group(5))
            if value is not None:
                # the regex ran on text: turn its character span into the window's bytes
                lo = len(text[: t.start()].encode("utf-8"))
                found.append((value, lo, lo + len(t.group().encode("utf-8"))))
    return found


@dataclass(slots=True)
class _Run(DetectorRun):
    tally: Tally = field(default_factory=lambda: Tally("date_of_birth", _mask_date))
    keywords: list[tuple[int, int]] = field(default_factory=list)

    today: datetime.date = field(default_factory=datetime.date.today)

    def on_keyword(self, tag: str, key: str, start: int, end: int) -> None:
        self.keywords.append((start, end))

    def on_segment(self, segment: Segment) -> None:
        done_until = 0
        data = segment.data
        staff = _StaffMarks.of(data, [start for start, _ in self.keywords])
        for start, end in self.keywords:
            if (
                data[end - 1 : end] == b"."
                and data[start:end].lower() == b"geb."
                and not (_geb_leads_to_a_date(data, end))
            ):
                continue  # 'geb. B, kamer 2': gebouw
            if staff.about_staff(start):
                continue  # 'onze collega Jan wordt 50 (geboren ...)': a colleague's
            lo = max(start - BEFORE, done_until)
            hi = end + AFTER
            lo, hi = _label_line(data, start, end, lo, hi)
            if hi <= lo:
                continue
            death = _DEATH.search(data, end, hi)
            if death is not None:
                hi = death.start()  # what follows 'overleden' is no date of birth
            sentence = _SENTENCE_END.search(data, end, hi)
            if sentence is not None:
                hi = sentence.end()  # a later sentence's date is not this keyword's
            if _FICTION.search(data, _sentence_start(data, start), hi) is not None:
                continue  # 'de fictieve cliënt': training material
            window = data[lo:hi]
            days = _named_days(window, dated_spans(window))
            short = _short_date_after(data, end, self.today)
            if short is not None:
                days.append(short)
            for day in days:
                if day > self.today:
                    continue  # nobody is born in the future: a meeting, a deadline
                self.tally.add(day.isoformat(), "high", segment.where)
            done_until = max(done_until, hi - 24)  # overlap: a date cut at the edge is re-read
        self.keywords.clear()

    def findings(self) -> tuple[Finding, ...]:
        found = self.tally.finding()
        return (found,) if found else ()


def _short_date_after(data: bytes, end: int, today: datetime.date) -> datetime.date | None:
    """The date written in a short form right after the keyword ending at `end`, or None."""
    m = _SHORT_AFTER.match(data, end)
    if m is None:
        return None
    if m.group(5) is None:
        year = 2000 + int(m.group(4))
        if year > today.year:
            year -= 100  # "'85" is 1985
        return _date(str(year), int(m.group(3)), m.group(1).decode())
    eight = m.group(5).decode()
    return _date(eight[:4], int(eight[4:6]), eight[6:]) or _date(
        eight[4:], int(eight[2:4]), eight[:2]
    )


# How far back a keyword's sentence and the one before it can start (_sentence_start looks
# back 300 bytes from each).
_TWO_SENTENCES = 2 * 300 + 2


@dataclass(frozen=True, slots=True)
class _StaffMarks:
    """Where one segment names staff (a possessive staff noun, a staff number label) and a
    death: found in one pass, so each keyword asks about its neighbourhood in O(log n) and a
    text full of keywords stays linear."""

    data: bytes
    nouns: list[int]
    numbers: list[int]
    deaths: list[int]

    @classmethod
    def of(cls, data: bytes, keywords: list[int]) -> _StaffMarks:
        """The marks within reach of the keywords starting at `keywords` (only there: a
        megabyte of text with one 'geboren' is not read three more times)."""
        marks = cls(data, [], [], [])
        for lo, hi in _reach(keywords, len(data)):
            marks.nouns.extend(m.start() for m in _STAFF_NOUN_RE.finditer(data, lo, hi))
            marks.numbers.extend(m.start() for m in _STAFF_NUMBER_RE.finditer(data, lo, hi))
            marks.deaths.extend(m.start() for m in _OBITUARY.finditer(data, lo, hi))
        return marks

    def about_staff(self, keyword: int) -> bool:
        """True when the text just before the keyword at `keyword` names its person as staff,
        or the keyword is in a colleague's obituary (a death and 'onze collega' in its
        sentence or the one before: "... het overlijden van onze collega Julia. Geboren ...")."""
        reach = max(0, keyword - _TWO_SENTENCES)
        if not _any_in(self.nouns, reach, keyword + AFTER) and not _any_in(
            self.numbers, reach, keyword
        ):
            return False  # the common case: no staff named anywhere near
        data = self.data
        here = _sentence_start(data, keyword)
        lo = max(here, keyword - _STAFF_LOOKBACK, 0)
        if (_any_in(self.nouns, lo, keyword) or _any_in(self.numbers, lo, keyword)) and (
            _STAFF_BEFORE.search(data, lo, keyword) is not None
        ):
            return True
        if not _any_in(self.deaths, reach, keyword + AFTER):
            return False
        before = _sentence_start(data, here - 2) if here >= 2 else here
        end = _SENTENCE_END.search(data, keyword, keyword + AFTER)
        tail = end.end() if end is not None else min(len(data), keyword + AFTER)
        return self._announces_a_death(before, here) or self._announces_a_death(here, tail)

    def _announces_a_death(self, lo: int, hi: int) -> bool:
        """True when data[lo:hi] (one sentence) announces a colleague's death: a death word
        and a possessive staff noun within _STAFF_LOOKBACK bytes of each other ("het
        overlijden van onze collega", "onze collega Ivan Marchand op 8 maart is overleden")."""
        deaths = self.deaths[bisect_left(self.deaths, lo) : bisect_left(self.deaths, hi)]
        nouns = self.nouns[bisect_left(self.nouns, lo) : bisect_left(self.nouns, hi)]
        return any(abs(d - n) <= _STAFF_LOOKBACK for d in deaths for n in nouns)


# Past the end of a keyword's reach: room for a mark that starts inside it to end.
_MARK_TAIL = 64


def _reach(keywords: list[int], size: int) -> list[tuple[int, int]]:
    """The merged, sorted ranges of text that _StaffMarks.about_staff may look at for the
    keywords starting at `keywords`."""
    ranges: list[tuple[int, int]] = []
    for at in sorted(keywords):
        lo, hi = max(0, at - _TWO_SENTENCES), min(size, at + AFTER + _MARK_TAIL)
        if ranges and lo <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    return ranges


def _any_in(starts: list[int], lo: int, hi: int) -> bool:
    """True when the sorted `starts` hold a value in [lo, hi)."""
    i = bisect_left(starts, lo)
    return i < len(starts) and starts[i] < hi


def _label_line(data: bytes, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """The window (lo, hi) kept to the keyword's own line when it is a form label with a value
    ('Geboortedatum: __-__-____'); as it was otherwise."""
    colon = _LABEL_COLON.match(data, end)
    if colon is None:
        return lo, hi
    line_end = data.find(b"\n", colon.end(), hi)
    line_end = hi if line_end < 0 else line_end
    if not data[colon.end() : line_end].strip():
        return lo, hi  # 'Geboortedatum:' alone on its line: the value follows below
    line_start = data.rfind(b"\n", lo, start)  # bounded: no look back past the window
    return (lo if line_start < 0 else line_start + 1), min(hi, line_end)


def _sentence_start(data: bytes, keyword: int) -> int:
    """Where the sentence holding the keyword at `keyword` starts (looking back 300 bytes)."""
    lo = max(0, keyword - 300)
    found = _SENTENCE_START.match(data, lo, keyword)
    return found.end() if found is not None else lo


def _named_days(window: bytes, spans: list[tuple[datetime.date, int, int]]) -> list[datetime.date]:
    """The dates in `window` that name a day, without the bounds of a range or a comparison
    ("tussen 01-01-2009 en 31-12-2012", "na 1 januari 2010"): a selection of people, not one
    person's date of birth. Two dates joined by 'en' without 'tussen' are two people's."""
    spans = sorted(spans, key=lambda span: span[1])
    bound = [_COMPARISON.search(window[:start]) is not None for _, start, _ in spans]
    for i in range(len(spans) - 1):
        between = window[spans[i][2] : spans[i + 1][1]]
        if _RANGE_JOIN.fullmatch(between) and _RANGE_START.search(window[: spans[i][1]]):
            bound[i] = bound[i + 1] = True
    return [day for (day, _, _), skip in zip(spans, bound, strict=True) if not skip]


def _geb_leads_to_a_date(data: bytes, end: int) -> bool:
    """After 'geb.' at `end`: a digit, a month name or a filler word ('op') comes next, not
    another word ('geb. B', 'geb. Educatorium': gebouw)."""
    rest = data[end : end + 24].lstrip(b" \t:")
    if not rest or rest[:1].isdigit():
        return True
    word = _WORD.match(rest)
    if word is None:
        return True  # punctuation, a line break: the date may be on the next line
    key = word.group().lower()
    return key in _MONTH_WORDS or key in _GEB_FILLERS


@register("date_of_birth")
class DateOfBirthDetector(Detector):
    """Registered detector: see the module docstring."""

    def keyword_sets(self) -> tuple[KeywordSet, ...]:
        return (KeywordSet("keyword", DOB_KEYWORDS),)

    def start(self) -> DetectorRun:
        return _Run()
