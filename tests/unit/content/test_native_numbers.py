"""Unit tests for the native phone and BSN checks (milter._native.phone_numbers and
bsn_candidates, src/numbers.rs) against the Python code they replace.

Both take a segment and its phone- or BSN-shaped matches and must give exactly what
phone_nl.phone_numbers and bsn.bsn_candidates give (or None: the Python code then decides).
Checked on the matches of every corpus segment and of the benchmark prose, on generated text
(numbers glued to, grouped with or next to letters, digits, separators, currency signs, URL and
address hints and non-ASCII characters of every kind), on every code point of the ranges the
native code knows next to a number, and on whole messages (the same facts with and without
it).  Fails (no skip) when milter._native is missing, unless POSTWARDEN_NATIVE=0.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import milter.content.native as native
from milter.content import ScanConfig, compile_config
from milter.content.detectors import bsn, phone_nl
from milter.content.findings import ContentFacts
from milter.content.registry import Segment

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"
sys.path.insert(0, str(CORPUS))  # bench_content imports make_corpus

from bench import bench_content  # noqa: E402
from tests.unit.content.native_support import (  # noqa: E402
    NATIVE,
    OPTED_OUT,
    generated,
    needs_native,
    require_built,
)

_native = NATIVE
require_built()
pytestmark = needs_native

Spans = list[tuple[int, int]]
PHONE = re.compile("|".join(f"(?:{shape})" for shape in phone_nl.SHAPES).encode())
BSN = re.compile(bsn.SHAPE.encode())


def recorded(messages: Iterator[bytes]) -> tuple[list[tuple[bytes, Spans]], ...]:
    """(segment data, matches) as the phone and the BSN run get them, for every segment."""
    phone: list[tuple[bytes, Spans]] = []
    numbers: list[tuple[bytes, Spans]] = []
    phone_on_segment = phone_nl._Run.on_segment
    bsn_candidates = bsn._Run._candidates

    def record_phone(self: phone_nl._Run, segment: Segment) -> None:
        phone.append((segment.data, list(self.matches)))
        phone_on_segment(self, segment)

    def record_bsn(self: bsn._Run, data: bytes) -> list[tuple[int, int, str]]:
        numbers.append((data, list(self.matches)))
        return bsn_candidates(self, data)

    scanner = compile_config(ScanConfig())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(phone_nl._Run, "on_segment", record_phone)
        patch.setattr(bsn._Run, "_candidates", record_bsn)
        for message in messages:
            scanner.scan_message(message, ocr=False)
    return phone, numbers


def assert_same(phone: list[tuple[bytes, Spans]], numbers: list[tuple[bytes, Spans]]) -> int:
    """Native and Python agree on every recorded segment; returns how many native answered."""
    assert _native is not None
    answered = 0
    for data, spans in phone:
        fast = _native.phone_numbers(data, spans)
        if fast is not None:
            answered += 1
            assert fast == phone_nl.phone_numbers(data, spans)
    for data, spans in numbers:
        fast_bsn = _native.bsn_candidates(data, spans)
        if fast_bsn is not None:
            answered += 1
            assert fast_bsn == bsn.bsn_candidates(data, spans)
    return answered


@pytest.fixture(scope="module")
def corpus_matches() -> tuple[list[tuple[bytes, Spans]], ...]:
    """The phone and BSN matches of every segment of every corpus message (OCR off)."""
    files = sorted(CORPUS.rglob("*.eml"))
    assert len(files) > 700
    return recorded(path.read_bytes() for path in files)


def test_every_corpus_segment(corpus_matches: tuple[list[tuple[bytes, Spans]], ...]) -> None:
    """The matches of every corpus segment: the same numbers; native answers nearly all."""
    phone, numbers = corpus_matches
    segments = [entry for entry in phone + numbers if entry[1]]
    assert len(segments) > 300
    answered = assert_same(phone, numbers)
    assert answered >= 0.95 * len(phone + numbers)


@pytest.mark.parametrize("dossier_rate", [0.0, 0.012, 0.3])
def test_the_benchmark_prose(dossier_rate: float) -> None:
    """bench_content's plain and plain_dense messages (and a denser one), 300 KB each."""
    phone, numbers = recorded(iter([bench_content.plain_message(300_000, dossier_rate)]))
    assert sum(len(spans) for _, spans in phone) > 50
    assert sum(len(spans) for _, spans in numbers) > 20
    assert assert_same(phone, numbers) == len(phone) + len(numbers)


def shape_spans(data: bytes) -> tuple[Spans, Spans]:
    """Phone and BSN matches of `data` (Python `re` over the detectors' shapes)."""
    return (
        [m.span() for m in PHONE.finditer(data)],
        [m.span() for m in BSN.finditer(data)],
    )


NEIGHBOURS = [
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "x",
    "_",
    "+",
    "1",
    ".",
    ",",
    "-",
    "/",
    ":",
    "@",
    "www.",
    "://",
    "€",
    "€ ",
    "EUR ",
    "eur",
    "$",
    "£ ",
    "USD",
    "é",
    "ß",
    "中",
    "²",
    "½",
    "\u00a0",
    "\u2013",
    "\u2019",
    "\u0308",
    "\U0001d7d9",
    "\ufeff",
]
NUMBERS = [
    "123456782",
    "12345674",
    "123 456 782",
    "123-456-782",
    "123.456.782",
    "1234.56.782",
    "1234 56 782",
    "111222333",
    "1234567890",
    "06-12345678",
    "0612345678",
    "020 123 4567",
    "(020) 1234567",
    "(0318) 123456",
    "+31 6 12345678",
    "+31 (0)20 123 4567",
    "0031 20 1234567",
    "0031201234567",
]


@generated(600)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(NEIGHBOURS),
            st.sampled_from(NUMBERS),
            st.text(alphabet="ab 1.-@/é€\u00a0", max_size=4),
        ),
        max_size=12,
    ),
    st.binary(max_size=3),
)
def test_generated_text(pieces: list[str], raw: bytes) -> None:
    """Numbers among glue, groups, amounts, URL hints and any characters: the same answers."""
    assert _native is not None
    data = "".join(pieces).encode() + raw + "".join(reversed(pieces)).encode()
    phone, numbers = shape_spans(data)
    fast = _native.phone_numbers(data, phone)
    if fast is not None:
        assert fast == phone_nl.phone_numbers(data, phone)
    fast_bsn = _native.bsn_candidates(data, numbers)
    if fast_bsn is not None:
        assert fast_bsn == bsn.bsn_candidates(data, numbers)


KNOWN = [*range(0x80, 0x250), *range(0x2000, 0x2070), *range(0x20A0, 0x20D0)]


@pytest.mark.parametrize("number", ["123456782", "06-12345678", "020 123 4567"])
def test_every_known_code_point_next_to_a_number(number: str) -> None:
    """Each code point the native code knows, before and after a number: the Python answer."""
    assert _native is not None
    for code in KNOWN:
        char = chr(code)
        if 0xD800 <= code < 0xE000:
            continue
        for text in (f"x {char}{number} y", f"x {number}{char} y", f"{char}{number}{char}"):
            data = text.encode()
            phone, numbers = shape_spans(data)
            assert _native.phone_numbers(data, phone) == phone_nl.phone_numbers(data, phone), text
            assert _native.bsn_candidates(data, numbers) == bsn.bsn_candidates(data, numbers), text


def test_an_unknown_neighbour_is_left_to_python() -> None:
    """A CJK letter right before a number: native answers None, the Python code decides."""
    assert _native is not None
    data = "中123456782".encode()
    assert _native.bsn_candidates(data, [(3, 12)]) is None
    assert bsn.bsn_candidates(data, [(3, 12)]) == []
    assert _native.phone_numbers("06-12345678中".encode(), [(0, 11)]) is None


def test_spans_outside_the_data_are_left_to_python() -> None:
    """A span past the end (never from the matcher): None, not a panic or a guess."""
    assert _native is not None
    assert _native.bsn_candidates(b"123456782", [(0, 20)]) is None
    assert _native.phone_numbers(b"0612345678", [(5, 2)]) is None


def corpus_facts(folder: str) -> Iterator[tuple[Path, ContentFacts]]:
    """(message, facts) for each message of a corpus folder, with the current loader."""
    scanner = compile_config(ScanConfig())
    for path in sorted((CORPUS / folder).glob("*.eml")):
        yield path, scanner.scan_message(path.read_bytes(), ocr=False)


@pytest.mark.parametrize("folder", ["realistic", "holdout", "."])
def test_whole_message_facts_with_and_without_it(
    folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each message of the realistic, holdout and top corpora: the same facts in Python."""
    assert (native.phone_numbers is None) == OPTED_OUT
    with_native = dict(corpus_facts(folder))
    assert with_native
    monkeypatch.setattr(native, "phone_numbers", None)
    monkeypatch.setattr(native, "bsn_candidates", None)
    differ = [path.name for path, facts in corpus_facts(folder) if facts != with_native[path]]
    assert differ == []
