"""The BSN detector's other-label check near numbers equals the old label-in-the-pass behaviour.

Until 2026-11 the other-label words ('factuur*', 'order*', 'tel', ...) were keywords of the shared
single pass and every number looked up the nearest one; now they are searched for only before a
number that is a BSN candidate (bsn._Labels).  The old detector is kept here as the reference,
with the rule of issue 13 added (a number directly labelled as something else, with no BSN
keyword near or none in its sentence, is no BSN; test numbers never count).  Both must give
every number the same confidence on generated text whose non-ASCII characters are letters; with
no-break spaces, dashes, quotes or euro signs between words no number is lost and none gets a
lower confidence (why: bsn._Labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import example, given, settings
from hypothesis import strategies as st

from milter.content import ScanConfig
from milter.content.detectors import bsn as bsn_module
from milter.content.detectors._numbers import Positions, stands_alone
from milter.content.findings import Confidence
from milter.content.matcher import Matcher
from milter.content.registry import REGISTRY, Detector, DetectorRun, KeywordSet, Segment, Tally

CONFIG = ScanConfig()


@dataclass(slots=True)
class _OldRun(DetectorRun):
    """The detector as it was: labels are keywords of the pass, confidence from Positions."""

    tally: Tally = field(default_factory=lambda: Tally("bsn", bsn_module._mask))
    keywords: Positions = field(default_factory=Positions)
    labels: Positions = field(default_factory=Positions)
    candidates: list[tuple[int, int, str]] = field(default_factory=list)

    def on_shape(self, tag: str, data: bytes, start: int, end: int) -> int | None:
        digits = bsn_module.normalise(data[start:end])
        if digits is None or not bsn_module.elfproef(digits):
            return None
        if stands_alone(data, start, end, b" " if b" " in data[start:end] else b""):
            self.candidates.append((start, end, digits))
        return None

    def on_keyword(self, tag: str, key: str, start: int, end: int) -> None:
        (self.keywords if tag == "keyword" else self.labels).add(start, end)

    def on_segment(self, segment: Segment) -> None:
        for start, end, digits in self.candidates:
            if bsn_module.is_test_number(digits):
                continue
            confidence = self._confidence(segment.data, start, end)
            if confidence is not None:
                self.tally.add(digits, confidence, segment.where)
        self.candidates.clear()
        self.keywords.clear()
        self.labels.clear()

    def _confidence(self, data: bytes, start: int, end: int) -> Confidence | None:
        near = self.keywords.distance(start, end)
        if near is None or near > bsn_module.KEYWORD_WINDOW:
            label = self.labels.distance_before(start)
            if (
                label is not None
                and label <= bsn_module.LABEL_WINDOW
                and bsn_module.only_glue(data[start - label : start])
            ):
                return None
            return "low"
        label = self.labels.distance_before(start)
        if label is not None and label <= bsn_module.LABEL_WINDOW and label < near:
            gap = data[start - label : start]
            if (
                b"\n" not in gap
                and bsn_module.only_glue(gap)
                and not bsn_module.keyword_in_sentence(self.keywords, data, start, end)
            ):
                return None
            return "medium"
        return "high"


class _OldBsn(bsn_module.BsnDetector):
    def keyword_sets(self) -> tuple[KeywordSet, ...]:
        return (
            KeywordSet("keyword", bsn_module.BSN_KEYWORDS),
            KeywordSet("label", bsn_module.OTHER_LABELS),
        )

    def start(self) -> DetectorRun:
        return _OldRun()


def _detectors(bsn: type[Detector]) -> list[Detector]:
    return [bsn(CONFIG) if name == "bsn" else REGISTRY[name](CONFIG) for name in CONFIG.detectors]


OLD = Matcher(_detectors(_OldBsn))
NEW = Matcher(_detectors(bsn_module.BsnDetector))
BSN_INDEX = list(CONFIG.detectors).index("bsn")


def bsn_values(matcher: Matcher, detectors: list[Detector], text: bytes) -> dict[str, int]:
    """Every BSN the detector reports in `text`, with its confidence rank."""
    runs = [d.start() for d in detectors]
    matcher.run(Segment("body", text), runs)
    return dict(runs[BSN_INDEX].tally.values)  # type: ignore[attr-defined]


OLD_DETECTORS = _detectors(_OldBsn)
NEW_DETECTORS = _detectors(bsn_module.BsnDetector)

NUMBERS = ("101722333", "100486782", "101 722 333", "1017.22.333", "012345672", "06-12345678")
LABELS = (
    "Factuurnummer:",
    "factuur",
    "Ordernummer",
    "order-nr",
    "KvK-nummer:",
    "kvk",
    "Tel.",
    "tel",
    "telefoon",
    "Kamer van Koophandel",
    "kamer  van\\nkoophandel",
    "ref",
    "reference",
    "kenmerk",
    "Cliëntnummer",
    "CLIENTNR",
    "dossiernummer",
    "IBAN",
    "btw-nummer",
    "polisnummer",
    "fax",
)
KEYWORDS = (
    "BSN",
    "bsn:",
    "BSN-nummer",
    "burgerservicenummer",
    "sofi",
    "Sofinummer",
    "persoonsnummer",
    "citizen service number",
    "bsn#",
)
FILLER = (
    "de",
    "cliënt",
    "één",
    "Jansen",
    "nummer",
    "orders",
    "telefoonnummers",
    "x",
    "melding",
    "dossier",
    "geboortedatum",
    "03-04-2012",
    "1234 AB",
    "NL91ABNA0417164300",
    "EUR",
    "www.",
    "@",
    "a" * 30,
)
SEPARATORS = (" ", " ", " ", "\n", ": ", ", ", "-", "(", ")", ".", "", "\r\n", "\t", "/", "'")

# non-ASCII characters that are no letters (no-break space, dash, quotes, euro sign), and é
GLUE = ("\u00a0", "\u2014", "\u201d ", " \u00a0", "\u00e9", " \u20ac ", "\u20ac", "\u201c")

token = st.sampled_from(NUMBERS + LABELS + KEYWORDS + FILLER)


def _texts(separators: tuple[str, ...]) -> st.SearchStrategy[str]:
    parts = st.lists(st.tuples(token, st.sampled_from(separators)), max_size=40)
    return parts.map(lambda ps: "".join(t.replace("\\n", "\n") + s for t, s in ps))


texts = _texts(SEPARATORS)
glued_texts = _texts(SEPARATORS + GLUE)
padding = st.integers(min_value=0, max_value=80).map(lambda n: "blah " * n)


@settings(max_examples=3000, deadline=None)
@given(texts, padding, texts)
def test_labels_near_numbers_equal_labels_in_the_pass(head: str, pad: str, tail: str) -> None:
    """Every BSN gets the same confidence with labels searched near it as with them in the pass."""
    data = (head + pad + tail).encode("utf-8")
    assert bsn_values(NEW, NEW_DETECTORS, data) == bsn_values(OLD, OLD_DETECTORS, data)


@settings(max_examples=1500, deadline=None)
@example("", "", "101722333 factuuréBSN-nummer\u00a0BSN ")  # once found at random: kept
@given(glued_texts, padding, glued_texts)
def test_glued_words_never_lower_the_confidence(head: str, pad: str, tail: str) -> None:
    """With non-ASCII glue between words no BSN is lost, none gets a lower confidence."""
    data = (head + pad + tail).encode("utf-8")
    new, old = bsn_values(NEW, NEW_DETECTORS, data), bsn_values(OLD, OLD_DETECTORS, data)
    assert new.keys() >= old.keys()
    assert all(new[key] >= old[key] for key in old)


def test_keyword_glued_to_a_label_counts() -> None:
    """'KvK' and 'BSN' joined by a no-break space: the BSN keyword is seen (the pass hid it)."""
    data = "101722333 kvk\u00a0BSN".encode()
    assert bsn_values(NEW, NEW_DETECTORS, data) == {"101722333": 3}
    assert bsn_values(OLD, OLD_DETECTORS, data) == {"101722333": 1}


def test_label_before_a_no_break_space_still_counts() -> None:
    """'Tel.' + no-break space + number, BSN keyword further away: medium, as before."""
    data = "Tel.\u00a0101722333, zie ook het BSN".encode()
    assert bsn_values(NEW, NEW_DETECTORS, data) == {"101722333": 2}
    assert bsn_values(OLD, OLD_DETECTORS, data) == {"101722333": 2}


def test_a_keyword_behind_a_glued_candidate_still_counts() -> None:
    """'factuurBSN-nummer' is refused as one glued word; the 'BSN' after its no-break space
    is a word of its own and counts (found by the property test above: the pass went on after
    the whole refused candidate and never saw it)."""
    for text in ("101722333 factuurBSN-nummer\u00a0BSN ", "101722333 factuuréBSN-nummer\u00a0BSN "):
        assert bsn_values(NEW, NEW_DETECTORS, text.encode()) == {"101722333": 3}
