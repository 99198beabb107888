"""Unit tests for the native finder (milter._native.Finder, src/finder.rs) against RE2.

The finder must give RE2's leftmost-first match -- same start, same end -- for every text and
every position: a different answer holds or releases a care worker's mail.  Checked on every
text segment the scanner produces from the corpora and on the benchmark's prose (the whole match
sequence as the matcher's pass steps through it, and from random positions), on generated text
(keywords with case and accent variants glued into words, digit runs, IBAN- and phone-like
strings) under several keyword configurations, and on whole messages (the same facts with the
finder and with RE2).  CI builds the extension, so this module fails (it does not skip) when
milter._native is missing, unless POSTWARDEN_NATIVE=0 asks for the Python code on purpose.
"""

from __future__ import annotations

import random
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import milter.content.matcher as matcher_module
import milter.content.native as native
from milter.content import ScanConfig, compile_config
from milter.content._re2 import compile_re2, first_match
from milter.content.config import DEFAULT_CASE_KEYWORDS
from milter.content.findings import ContentFacts
from milter.content.matcher import Matcher
from milter.content.registry import DetectorRun, Segment

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"
sys.path.insert(0, str(ROOT / "tests" / "corpus"))  # bench_content imports make_corpus

from bench import bench_content  # noqa: E402
from tests.unit.content.native_support import (  # noqa: E402
    NATIVE,
    OPTED_OUT,
    needs_native,
    require_built,
)

_native = NATIVE
require_built()
pytestmark = needs_native

Find = Callable[[bytes, int, int], Sequence[tuple[int, int]]]

# officer keyword lists beside the default: '*' prefixes, several words, digits, accents
CASE_KEYWORD_SETS: tuple[tuple[str, ...], ...] = (
    DEFAULT_CASE_KEYWORDS,
    ("Project X*", "casus-nummer", "dossier", "dossier*", "Zoë", "café", "geb."),
    ("jeugd*", "jeugdzorg", "zorg", "zorg plan*", "st.-nr", "a1b2", "ÆØÅ", "façade*"),
)


def finders(pattern: str) -> tuple[Find, Find]:
    """(RE2's first-match call, the native finder's) for `pattern`."""
    assert _native is not None
    return first_match(compile_re2(pattern, latin1=True)), _native.Finder(pattern).first


def pattern_of(config: ScanConfig) -> str:
    """The combined pattern of `config`'s matcher."""
    pattern = compile_config(config).matcher.pattern
    assert pattern is not None
    return pattern


def sequence(first: Find, data: bytes, pos: int = 0) -> list[tuple[int, int]]:
    """Every match from `pos` on, stepping as the matcher's pass does (end, or end+1 if empty)."""
    out: list[tuple[int, int]] = []
    size = len(data)
    while pos <= size:
        start, end = first(data, pos, size)[0]
        if start < 0:
            break
        out.append((start, end))
        pos = end if end > start else end + 1
    return out


def assert_same(re2: Find, fast: Find, data: bytes, seed: int = 0) -> None:
    """The same match sequence from 0, and the same first match from random positions."""
    assert sequence(fast, data) == sequence(re2, data)
    rng = random.Random(seed)
    positions = {0, len(data)} | {rng.randint(0, len(data)) for _ in range(20)}
    for pos in sorted(positions):
        assert list(fast(data, pos, len(data))) == list(re2(data, pos, len(data))), pos


def corpus_files() -> list[Path]:
    """Every message of every corpus (realistic, holdout, blind, and the top level)."""
    files = sorted(CORPUS.rglob("*.eml"))
    assert len(files) > 700
    return files


@pytest.fixture(scope="module")
def corpus_segments() -> list[bytes]:
    """Every text segment the scanner hands its matcher for the corpora (OCR off)."""
    seen: list[bytes] = []
    original = Matcher.run

    def recording(self: Matcher, segment: Segment, runs: Sequence[DetectorRun]) -> None:
        seen.append(segment.data)
        original(self, segment, runs)

    scanner = compile_config(ScanConfig())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Matcher, "run", recording)
        for path in corpus_files():
            scanner.scan_message(path.read_bytes(), ocr=False)
    assert len(seen) > 1000
    return seen


class TestFinder:
    def test_the_default_pattern_is_prefiltered(self) -> None:
        """The shapes and keywords of the default policy get a prefilter (not the plain search)."""
        assert _native is not None
        finder = _native.Finder(pattern_of(ScanConfig()))
        assert finder.prefiltered
        assert finder.literal_count > 1000

    def test_the_matcher_uses_it(self) -> None:
        """With the extension loaded the matcher searches with the native finder."""
        matcher = compile_config(ScanConfig()).matcher
        assert matcher.finder == ("re2" if OPTED_OUT else "native")

    def test_a_pattern_it_cannot_read_leaves_re2(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An octal escape (RE2 syntax, not regex-syntax's) is refused: the matcher keeps RE2."""
        assert _native is not None
        with pytest.raises(ValueError):
            _native.Finder(r"\061\d")
        monkeypatch.setattr(native, "Finder", _native.Finder)
        matcher_module._native_finder.cache_clear()  # it may hold None from an opted-out run
        try:
            assert matcher_module._native_finder(r"\061\d") is None
            assert matcher_module._native_finder(pattern_of(ScanConfig())) is not None
        finally:
            matcher_module._native_finder.cache_clear()

    def test_without_the_extension_re2_runs(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No native Finder (POSTWARDEN_NATIVE=0 or not built): the matcher says re2."""
        monkeypatch.setattr(native, "Finder", None)
        matcher_module._native_finder.cache_clear()
        try:
            assert compile_config(ScanConfig()).matcher.finder == "re2"
        finally:
            matcher_module._native_finder.cache_clear()

    @pytest.mark.parametrize(
        ("pattern", "text"),
        [
            (r"a*", b"baab\xc3\xabaa"),  # empty matches everywhere: no prefilter
            (r"x*|ab", b"abxxab"),
            (r"\bab\b|\d{2}", b"ab cab ab1 12 3"),  # look-around, with a prefilter
            (r"(?:\xc3\xab|e)+|[A-Z]{2}\d", b"\xc3\xab\xc3\xabe AB1 aB2"),
            (r"\d{8,}|[1-9]\d{3} ?[A-Z]{2}", b"1234AB 123456789 1234 ab 12345678"),
        ],
    )
    def test_small_patterns_answer_as_re2(self, pattern: str, text: bytes) -> None:
        """Empty matches, look-around and short texts: the same matches from every position."""
        re2, fast = finders(pattern)
        assert sequence(fast, text) == sequence(re2, text)
        for pos in range(len(text) + 1):
            assert list(fast(text, pos, len(text))) == list(re2(text, pos, len(text))), pos

    def test_a_short_text_at_every_position(self) -> None:
        """Texts shorter than a block (16 bytes), and the last bytes of longer ones."""
        re2, fast = finders(pattern_of(ScanConfig()))
        text = "BSN 123456782 cliënt NL91ABNA0417164300 bsn-nummer 06-12345678 Ots".encode()
        for cut in range(len(text) + 1):
            for pos in range(cut + 1):
                assert list(fast(text[:cut], pos, cut)) == list(re2(text[:cut], pos, cut))


class TestIdentityOnText:
    def test_every_corpus_segment(self, corpus_segments: list[bytes]) -> None:
        """Every segment of every corpus message: the same matches as RE2."""
        re2, fast = finders(pattern_of(ScanConfig()))
        for index, data in enumerate(corpus_segments):
            assert_same(re2, fast, data, seed=index)

    @pytest.mark.parametrize("keywords", CASE_KEYWORD_SETS[1:])
    def test_every_corpus_segment_with_officer_keywords(
        self, corpus_segments: list[bytes], keywords: tuple[str, ...]
    ) -> None:
        """The corpus again, with officers' keyword lists in the pattern."""
        re2, fast = finders(pattern_of(ScanConfig(case_keywords=keywords)))
        for index, data in enumerate(corpus_segments):
            assert_same(re2, fast, data, seed=index)

    @pytest.mark.parametrize("dossier_rate", [0.0, 0.012, 0.3])
    def test_the_benchmark_prose(self, dossier_rate: float) -> None:
        """bench_content's plain and plain_dense prose (and a denser one), 300 KB each."""
        data = bench_content.prose(300_000, dossier_rate=dossier_rate).encode()
        re2, fast = finders(pattern_of(ScanConfig()))
        assert_same(re2, fast, data)


def variants(word: str) -> st.SearchStrategy[str]:
    """`word` with any letters upper-cased, accented, decomposed or cut (a superset of hits)."""
    accents = {"a": "áàäâ", "e": "éèëê", "i": "ïí", "o": "óöô", "u": "üú", "n": "ñ", "c": "ç"}

    def spell(choices: list[int]) -> str:
        out = []
        for char, choice in zip(word, choices, strict=False):
            if choice == 1:
                char = char.upper()
            elif choice == 2 and char in accents:
                char = accents[char][len(out) % len(accents[char])]
            elif choice == 3 and char in accents:
                char = unicodedata.normalize("NFD", accents[char][0])
            elif choice == 4:
                char = ""
            out.append(char)
        return "".join(out)

    return st.lists(st.integers(0, 4), min_size=len(word), max_size=len(word)).map(spell)


WORDS = [w.rstrip("*").replace(" ", "") for keywords in CASE_KEYWORD_SETS for w in keywords] + [
    "bsn",
    "bsn-nummer",
    "geboortedatum",
    "geb.",
    "sofinummer",
    "burgerservicenummer",
]
PIECES = st.one_of(
    st.sampled_from(WORDS).flatmap(variants),
    st.from_regex(r"\d{1,12}", fullmatch=True),
    st.from_regex(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){8,30}", fullmatch=True),
    st.from_regex(r"(?:\+31|0031|0|\(0\d{1,3}\))[ \-]?\d(?:[ \-]?\d){3,9}", fullmatch=True),
    st.from_regex(r"[1-9]\d{3} ?[A-Z]{2}", fullmatch=True),
    st.text(alphabet="abzéëØß€ \n\t-.,:;()+/'\u00a0\u0308", max_size=6),
    st.sampled_from([" ", "", "-", "\u00a0", "x", "_", "\r\n"]),
)


@settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(PIECES, max_size=30), st.sampled_from(range(len(CASE_KEYWORD_SETS))))
def test_generated_text_answers_as_re2(pieces: list[str], keywords: int) -> None:
    """Keywords (case, accents, glued), numbers, IBAN/phone-like runs: the same matches."""
    re2, fast = _generated_finders(keywords)
    assert_same(re2, fast, "".join(pieces).encode(), seed=len(pieces))


_GENERATED: dict[int, tuple[Find, Find]] = {}


def _generated_finders(keywords: int) -> tuple[Find, Find]:
    """The finders of CASE_KEYWORD_SETS[keywords], built once."""
    if keywords not in _GENERATED:
        _GENERATED[keywords] = finders(
            pattern_of(ScanConfig(case_keywords=CASE_KEYWORD_SETS[keywords]))
        )
    return _GENERATED[keywords]


def corpus_facts(folder: str) -> Iterator[tuple[Path, ContentFacts]]:
    """(message, facts) for each message of a corpus folder, with the current loader."""
    scanner = compile_config(ScanConfig())
    for path in sorted((CORPUS / folder).glob("*.eml")):
        yield path, scanner.scan_message(path.read_bytes(), ocr=False)


@pytest.mark.parametrize("folder", ["realistic", "holdout"])
def test_whole_message_facts_with_and_without_the_finder(
    folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each message of the realistic and holdout corpora: the same facts with RE2 searching."""
    matcher_module._native_finder.cache_clear()
    assert compile_config(ScanConfig()).matcher.finder == ("re2" if OPTED_OUT else "native")
    with_finder = dict(corpus_facts(folder))
    assert with_finder
    monkeypatch.setattr(native, "Finder", None)
    matcher_module._native_finder.cache_clear()
    try:
        assert compile_config(ScanConfig()).matcher.finder == "re2"
        differ = [path.name for path, facts in corpus_facts(folder) if facts != with_finder[path]]
    finally:
        matcher_module._native_finder.cache_clear()
    assert differ == []
