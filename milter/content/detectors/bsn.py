"""bsn -- Dutch citizen service numbers (burgerservicenummer, formerly sofinummer).

Finds 9-digit numbers (and 8-digit ones, read with a leading 0) written as 123456782,
123 456 782, 123-456-782, 123.456.782, 1234.56.782 or 1234 56 782 that pass the 11-proef
(9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11, and not 000000000).

Confidence, per unique number:
- high:   a BSN keyword (bsn, burgerservicenummer, sofinummer, persoonsnummer, citizen service
          number, ...: Purview's list) within 300 characters, before or after;
- medium: a keyword within 300 characters, but the number is labelled as something else
          (factuur-, order-, klant-, dossier-, KvK-, telefoonnummer, kenmerk, ticket, vergader-ID,
          ... ending at most 40 characters before it, closer than any BSN keyword): a form that
          asks for a BSN elsewhere does not make its invoice number a BSN;
- low:    no keyword.  About 9 % of random 9-digit numbers pass the 11-proef, so a bare number is
          never more than low.

Not a BSN at all:
- a number with no BSN keyword within 300 characters that is *directly* labelled as something
  else: the label ends at most 40 characters before it and only separators (':', '|', '#',
  tabs, line breaks, ...) and filler words ('nr', 'nummer', 'ID', 'uw', 'ons', 'is', ...: see
  GLUE_WORDS) stand between ('KvK: 12345678', 'Klantnummer | 123456782', 'Ticket #123456782',
  'Uw melding 123456782', 'Conference ID: 123 456 782#');
- the same with a BSN keyword near, when the label is on the number's line and no BSN keyword
  stands in the number's sentence: a breach report's '(meldnummer 322826263) ... Ingezien:
  naam, adres en BSN.', a form's 'Vul uw BSN in.\nFactuurnummer: ...'.  A label on a line of
  its own above the number (a table header 'BSN | Klantnummer') leaves it medium;
- known test and sample numbers (`is_test_number`): RvIG reserves the numbers starting with
  0000 and with 99999 for tests (the BRP test persons of the proefomgeving, e.g. 999993653,
  are in the second range), and manuals, forms and e-learning use 111222333, 123456782 and
  111111110.  They never count as client data, whatever the keyword.

Refuses: numbers glued to letters or other digits, inside longer grouped numbers, IBANs, URLs,
e-mail addresses, amounts ('€ 111.222.333'), and phone numbers (the phone_nl shapes claim
'06-12345678' and '+31 612345678' first).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from operator import mul

import milter.content.native as native
from milter.content._re2 import compile_re2, first_match
from milter.content.detectors._numbers import (
    BOTH_TRUE,
    LEFT_CLASSES,
    RIGHT_CLASSES,
    TABLES,
    Positions,
    digits_of,
    stands_alone,
)
from milter.content.findings import Confidence, Finding
from milter.content.keywords import (
    ASCII_WORD,
    KeywordTable,
    Listener,
    fold,
    is_word_char_at,
)
from milter.content.mask import mask_tail
from milter.content.registry import (
    Detector,
    DetectorRun,
    KeywordSet,
    Segment,
    Shape,
    Tally,
    register,
)

KEYWORD_WINDOW = 300
LABEL_WINDOW = 40
LABEL_LOOKBACK = 512  # where the label search starts before a number (then back to a word start)
# ...for a direct label (no BSN keyword near): it ends within LABEL_WINDOW, and no label is this
# long; a shorter search for the many numbers with no keyword near
DIRECT_LABEL_LOOKBACK = LABEL_WINDOW + 88
WORD_BACKTRACK = 64  # how far back at most it looks for that word start

BSN_KEYWORDS: tuple[str, ...] = (
    "bsn",
    "bsn#",
    "bsn-nr",
    "bsn-nummer",
    "burgerservicenummer",
    "burgerservice-nr",
    "burger service nummer",
    "sofinummer",
    "sofi-nr",
    "sofi",
    "sofi number",
    "persoonsnummer",
    "persoonsnr",
    "persoonlijk nummer",
    "persoonsgebonden nummer",
    "persoonsgebonden nr",
    "citizen service number",
    "citizen's service number",
    "citizen service no",
    "social-fiscal number",
    "personal number",
    "person number",
)

OTHER_LABELS: tuple[str, ...] = (
    "factuur*",
    "invoice*",
    "order*",
    "bestel*",
    "klantnummer",
    "klantnr",
    "klant-nr",
    "customer*",
    "debiteur*",
    "crediteur*",
    "kvk*",
    "kamer van koophandel",
    "referentie*",
    "reference",
    "ref",
    "kenmerk*",
    "dossiernummer",
    "dossiernr",
    "cliëntnummer",
    "cliëntnr",
    "registratienummer",
    "zaaknummer",
    "ticket*",
    "tel",
    "tel.",
    "telefoon*",
    "mobiel*",
    "fax",
    "phone",
    "rekening*",
    "iban",
    "btw*",
    "vat",
    "polis*",
    "pasnummer",
    "documentnummer",
    "artikel*",
    "transactie*",
    "tracking",
    "zending*",
    # issue 13: what ordinary business mail labels its 8- and 9-digit numbers with
    "handelsregister*",
    "chamber of commerce",
    "coc",
    "vat number",
    "vat no",
    "omzetbelasting*",
    "rsin",
    "purchase order",
    "inkoop*",
    "client number",
    "client no",
    "client id",
    "clientnummer",
    "clientnr",
    "client-id",
    "klant-id",
    "klantid",
    "klantcode",
    "klantreferentie",
    "relatienummer",
    "relatienr",
    "relatie-id",
    "relatiecode",
    "lidnummer",
    "lidmaatschap*",
    "member*",
    "abonnement*",
    "subscription*",
    "contract*",
    "account*",
    "melding",
    "meldingnummer",
    "meldingsnummer",
    "meldnummer",
    "incident*",
    "case number",
    "case id",
    "request",
    "request id",
    "aanvraagnummer",
    "storingsnummer",
    "servicenummer",
    "supportnummer",
    "boeking*",
    "booking*",
    "reservering*",
    "reservation*",
    "confirmation*",
    "bevestiging*",
    "vergader-id",
    "vergader id",
    "vergadering*",
    "meeting*",
    "conference*",
    "webinar*",
    "teams",
    "zoom",
    "inbel*",
    "dial-in*",
    "dial in",
    "pin",
    "pincode",
    "passcode",
    "access code",
    "toegangscode",
    "code",
    "track",
    "track & trace",
    "trace",
    "pakket*",
    "barcode",
    "shipment*",
    "parcel*",
    "verzend*",
    "postbus",
    "po box",
    "p.o. box",
    "antwoordnummer",
    "telephone",
    "mobile",
    "mob",
    "gsm",
    "whatsapp",
    "serienummer",
    "serial*",
    "licentie*",
    "license*",
    "licence*",
    "product*",
    "ean",
    "isbn",
    "agb*",
    "uzi*",
    "big-nummer",
    "big-registratie*",
    "bic",
    "swift",
    "onder nummer",  # 'ingeschreven bij de KvK onder nummer', 'ontvangen onder nummer'
    "onder het nummer",
    "under number",
    "huurcontract*",
    "certificaat*",
    "certificate*",
    "vacature*",
    "call",
    "conference call",
    "dial",
)

# What may stand between a label and its number for the number to be *directly* labelled
# ('Klantnummer: 123456782', 'Vergader-ID: 123 456 782', 'Uw kenmerk is 123456782'); folded.
GLUE_WORDS = frozenset(
    {
        "nr", "no", "nummer", "number", "num", "id", "code", "is", "uw", "ons", "onze",
        "your", "our", "de", "het", "the", "van", "of", "voor", "for", "mijn", "my", "bij",
        "op", "te", "en", "and", "trace", "reference", "ref", "kenmerk", "nieuwe", "new",
        "kvk", "btw", "vat", "vergader", "meeting", "conference", "online", "onder", "under",
    }
)  # fmt: skip

# Sample numbers that manuals, forms and e-learning print (they pass the 11-proef).
SAMPLE_BSNS = frozenset({"111222333", "123456782", "111111110"})


def is_test_number(digits: str) -> bool:
    """True for a known test or sample BSN (9 digits): never client data."""
    return digits.startswith(("0000", "99999")) or digits in SAMPLE_BSNS


# RE2, over UTF-8 bytes; separators must be the same throughout one number (checked below).
SHAPE = (
    r"\d{8,}|\d{3}-\d{3}-\d{3}|\d{3} \d{3} \d{3}|\d{3}\.\d{3}\.\d{3}"
    r"|\d{4}\.\d{2}\.\d{3}|\d{4} \d{2} \d{3}"
)

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


_ZERO_SUM = 48 * sum(_WEIGHTS)  # what ASCII '0' adds to the weighted sum


def _thirds() -> tuple[dict[bytes, int], dict[bytes, int], dict[bytes, int]]:
    """Three digits (ASCII) -> their part of the weighted sum, for each third of a BSN."""
    parts = [
        {
            f"{n:03d}".encode(): sum(map(mul, _WEIGHTS[k : k + 3], f"{n:03d}".encode()))
            - 48 * sum(_WEIGHTS[k : k + 3])
            for n in range(1000)
        }
        for k in (0, 3, 6)
    ]
    return parts[0], parts[1], parts[2]


# the 11-proef of a 9-digit token as three dict lookups (cheaper than a weighted sum of nine)
_FIRST, _SECOND, _THIRD = _thirds()


def elfproef(digits: str) -> bool:
    """The 11-proef for a 9-digit BSN; 000000000 fails."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit() or digits == "000000000":
        return False
    total: int = sum(map(mul, _WEIGHTS, digits.encode())) - _ZERO_SUM
    return total % 11 == 0


def normalise(token: bytes) -> str | None:
    """The 9-digit form of a BSN-shaped token, or None when it has the wrong length."""
    digits = digits_of(token)
    if len(digits) == 8:
        digits = "0" + digits
    return digits if len(digits) == 9 else None


def _mask(digits: str) -> str:
    return mask_tail(digits, 4)


_WORD_TAIL_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") | frozenset(
    range(0x80, 0x100)
)


class _Labels:
    """The other-label words, searched for only before a number that has a BSN keyword near.

    Labels matter only for the medium/high choice, i.e. for a number with a BSN keyword within
    KEYWORD_WINDOW; nearly every number has none.  So they are not in the shared single pass
    (there they cost a match, a lookup and a call for every 'order', 'tel', 'kenmerk', ... in
    all mail) but looked up here, with the same fragments and whole-word rules as the shared
    keyword matcher, from a word start at least LABEL_LOOKBACK bytes before the number.

    A label glued to another word by a non-ASCII character that is no letter ('x\u00a0order',
    'order\u2014bsn': a no-break space, dash or quote with letters on both sides) is not
    counted: the shared pass read such a pair as one word, which another detector's keyword
    could claim, and a label can only lower a BSN's confidence, so in doubt it is left out.
    ('Tel.\u00a0111222333' and '\u00a0Factuur 111222333' are labels as before.)  (Property test:
    tests/unit/content/test_bsn_labels.py, old and new agree on text with ASCII separators and
    the new confidence is never lower with any separators.)
    """

    def __init__(self) -> None:
        self.table = KeywordTable()
        for word in OTHER_LABELS:
            self.table.add(word, Listener(0, "label"))
        pattern = self.table.pattern()
        assert pattern is not None
        self.first = first_match(compile_re2(pattern, latin1=True))

    def last_end_before(
        self, data: bytes, start: int, lookback: int = LABEL_LOOKBACK
    ) -> int | None:
        """The end of the last label word that ends at or before `start`, or None."""
        lo = max(0, start - lookback)
        tail = _WORD_TAIL_BYTES
        floor = max(0, lo - WORD_BACKTRACK)  # bounded: a megabyte-long 'word' is no label
        while lo > floor and data[lo - 1] in tail:  # not in the middle of a word
            lo -= 1
        first = self.first
        lookup = self.table.lookup
        word = ASCII_WORD
        size = len(data)
        found: int | None = None
        pos = lo
        while pos < start:
            begin, end = first(data, pos, start)[0]
            if begin < 0 or end > start:  # (the portable first_match does not stop at endpos)
                break
            pos = end if end > begin else end + 1
            before = data[begin - 1] if begin else 0x20
            if before >= 0x80:  # a letter (not whole-word), or a no-break space, dash, quote...
                if _glued_before(data, begin, tail):
                    continue
            elif before in word:
                continue
            if end < size:
                after = data[end]
                if (after in word) if after < 0x80 else is_word_char_at(data, end):
                    continue
            token = data[begin:end]
            if not token.isascii() and _glued(token):
                continue
            if lookup(token):
                found = end
        return found


_GLUE_WORD = re.compile(r"[^\W\d_]+")
# Sentence ends around a number: a stop, ! or ? after a word of four letters ('cliënt.': its
# UTF-8 bytes count as letters; not 'nr. ' or 'tel. '), a digit or a ')', then white space; or
# a line break.  _SENTENCE_OPEN finds the last one before the number.
_SENTENCE_CLOSE = re.compile(rb"(?:(?:[^\W\d_]|[\x80-\xff]){4}|[\d)])[.!?](?=\s)|\n")
_SENTENCE_OPEN = re.compile(rb"(?s:.*)(?:(?:(?:[^\W\d_]|[\x80-\xff]){4}|[\d)])[.!?]\s|\n)")


def only_glue(gap: bytes) -> bool:
    """True when `gap` (between a label and its number) holds separators and GLUE_WORDS only."""
    text = gap.decode("utf-8", "replace")
    return all(fold(word) in GLUE_WORDS for word in _GLUE_WORD.findall(text))


def keyword_in_sentence(keywords: Positions, data: bytes, start: int, end: int) -> bool:
    """True when one of `keywords` starts in the sentence of the number at data[start:end]."""
    lo = max(0, start - KEYWORD_WINDOW)
    opened = _SENTENCE_OPEN.match(data, lo, start)
    lo = opened.end() if opened is not None else lo
    closed = _SENTENCE_CLOSE.search(data, end - 1, end + KEYWORD_WINDOW)  # '782. Het'
    hi = closed.start() if closed is not None else end + KEYWORD_WINDOW
    index = bisect_left(keywords.starts, lo)
    return index < len(keywords.starts) and keywords.starts[index] < hi


def _glued(token: bytes) -> bool:
    """True when a matched word goes on with letters after a non-ASCII non-letter (two words)."""
    text = token.decode("utf-8", "replace")
    seen_glue = False
    for char in text:
        if char.isascii() or char.isalpha() or unicodedata.combining(char):
            if seen_glue and char.isalpha():
                return True
        else:
            seen_glue = True
    return False


def _glued_before(data: bytes, begin: int, tail: frozenset[int]) -> bool:
    """True when the non-ASCII bytes before data[begin] join it to a word (a letter among them).

    Only letters (ASCII or not) and non-ASCII bytes run on in one matched word; a run of
    no-break spaces, dashes or quotes after a space does not.
    """
    start = begin
    floor = max(0, begin - WORD_BACKTRACK)
    while start > floor and data[start - 1] in tail:
        start -= 1
    if start == floor and start > 0 and data[start - 1] in tail:
        return True  # a very long run: count it as glued (the label is then left out)
    return any(char.isalpha() for char in data[start:begin].decode("utf-8", "replace"))


_LABELS = _Labels()


def bsn_candidates(data: bytes, matches: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The `matches` that pass the 11-proef and stand alone: (start, end, 9 digits), in order.

    The reference of the native bsn_candidates (and the fallback without it).
    """
    found: list[tuple[int, int, str]] = []
    first, second, third = _FIRST, _SECOND, _THIRD
    left_classes, right_classes = LEFT_CLASSES, RIGHT_CLASSES
    left_plain, right_plain, left_spaced, right_spaced = TABLES
    for start, end in matches:
        token = data[start:end]
        if len(token) == 9 and token.isdigit():  # the usual form: checked without a str
            if (first[token[:3]] + second[token[3:6]] + third[token[6:]]) % 11 or (
                token == b"000000000"
            ):
                continue
            digits = token.decode("ascii")
        else:
            normal = normalise(token)
            if normal is None or not elfproef(normal):
                continue
            digits = normal
        spaced = 0x20 in token
        if start >= 2:  # context_alone inlined
            if spaced:
                left = left_spaced[data[start - 2 : start].translate(left_classes)]
                right = right_spaced[data[end : end + 3].translate(right_classes)]
            else:
                left = left_plain[data[start - 2 : start].translate(left_classes)]
                right = right_plain[data[end : end + 3].translate(right_classes)]
            if left + right == BOTH_TRUE:
                found.append((start, end, digits))
                continue
            if not (left and right):  # one side is FALSE
                continue
        if stands_alone(data, start, end, b" " if spaced else b""):
            found.append((start, end, digits))
    return found


@dataclass(slots=True)
class _Run(DetectorRun):
    tally: Tally = field(default_factory=lambda: Tally("bsn", _mask))
    keywords: Positions = field(default_factory=Positions)
    matches: list[tuple[int, int]] = field(default_factory=list)

    def shape_sink(self, tag: str) -> list[tuple[int, int]] | None:
        return self.matches  # checked in on_segment, in one loop (one per segment, not match)

    def _candidates(self, data: bytes) -> list[tuple[int, int, str]]:
        """The matches that pass the 11-proef and stand alone: (start, end, 9 digits)."""
        # natively when the extension is there (src/numbers.rs, the same answers); None: a
        # neighbour it leaves to the Python code
        found = None if native.bsn_candidates is None else native.bsn_candidates(data, self.matches)
        if found is None:
            found = bsn_candidates(data, self.matches)
        self.matches.clear()
        return found

    def on_keyword(self, tag: str, key: str, start: int, end: int) -> None:
        self.keywords.starts.append(start)  # Positions.add without the call: once per keyword
        self.keywords.ends.append(end)

    def on_segment(self, segment: Segment) -> None:
        if self.matches:
            data = segment.data
            for start, end, digits in self._candidates(data):
                if is_test_number(digits):
                    continue
                confidence = self._confidence(data, start, end)
                if confidence is not None:
                    self.tally.add(digits, confidence, segment.where)
        self.keywords.clear()

    def _confidence(self, data: bytes, start: int, end: int) -> Confidence | None:
        """The number's confidence; None when it is directly labelled as something else."""
        near = self.keywords.distance(start, end)
        if near is None or near > KEYWORD_WINDOW:
            label_end = _LABELS.last_end_before(data, start, DIRECT_LABEL_LOOKBACK)
            if (
                label_end is not None
                and start - label_end <= LABEL_WINDOW
                and only_glue(data[label_end:start])
            ):
                return None
            return "low"
        label_end = _LABELS.last_end_before(data, start)
        if label_end is not None:
            label = start - label_end
            if label <= LABEL_WINDOW and label < near:
                gap = data[label_end:start]
                if (
                    b"\n" not in gap
                    and only_glue(gap)
                    and not keyword_in_sentence(self.keywords, data, start, end)
                ):
                    return None  # 'meldnummer 322826263' with 'BSN' only in another sentence
                return "medium"
        return "high"

    def findings(self) -> tuple[Finding, ...]:
        found = self.tally.finding()
        return (found,) if found else ()


@register("bsn")
class BsnDetector(Detector):
    """Registered detector: see the module docstring."""

    def shapes(self) -> tuple[Shape, ...]:
        return (Shape("number", SHAPE, priority=30),)

    def keyword_sets(self) -> tuple[KeywordSet, ...]:
        return (KeywordSet("keyword", BSN_KEYWORDS),)  # labels: _Labels, near numbers only

    def start(self) -> DetectorRun:
        return _Run()
