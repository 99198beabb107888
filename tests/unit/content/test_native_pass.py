"""Unit tests for the matcher's native pass (Matcher._pass_batched: milter._native.Finder.batch
with the shapes' DFA, milter._native.Shapes) against its Python loop (Matcher._pass).

Every detector run must hear the same things in the same order either way: the same on_shape
and on_keyword calls (tag, key, span, and what on_shape answered), and the same spans in its
sink lists.  Checked on every corpus segment under several keyword configurations, on the
benchmark prose, on generated text, shape by shape against the Python twin, and on whole
messages (the same facts with the native pass and without it).  Fails (no skip) when
milter._native is missing, unless POSTWARDEN_NATIVE=0.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import milter.content.matcher as matcher_module
import milter.content.native as native
from milter.content import ScanConfig, compile_config
from milter.content.findings import ContentFacts
from milter.content.matcher import Matcher
from milter.content.registry import DetectorRun, Segment

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
from tests.unit.content.test_native_finder import CASE_KEYWORD_SETS, PIECES  # noqa: E402

require_built()
pytestmark = needs_native

Event = tuple[Any, ...]
_SCANNERS: dict[ScanConfig, Any] = {}


@pytest.fixture(autouse=True)
def loaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The native finder and shapes in the matcher, also when the run opted out (the Python
    loop they are compared with runs either way)."""
    assert NATIVE is not None
    monkeypatch.setattr(native, "Finder", NATIVE.Finder)
    monkeypatch.setattr(native, "Shapes", NATIVE.Shapes)
    matcher_module._native_finder.cache_clear()
    _SCANNERS.clear()
    yield
    matcher_module._native_finder.cache_clear()
    _SCANNERS.clear()


class Recorder(DetectorRun):
    """A detector run that logs what the pass tells it, then passes it on."""

    def __init__(self, inner: DetectorRun, log: list[Event]) -> None:
        self.inner = inner
        self.log = log
        self.sinks: dict[str, list[tuple[int, int]]] = {}

    def shape_sink(self, tag: str) -> list[tuple[int, int]] | None:
        sink = self.inner.shape_sink(tag)
        if sink is not None:
            self.sinks[tag] = sink
        return sink

    def on_shape(self, tag: str, data: bytes, start: int, end: int) -> int | None:
        resume = self.inner.on_shape(tag, data, start, end)
        self.log.append(("shape", tag, start, end, resume))
        return resume

    def on_keyword(self, tag: str, key: str, start: int, end: int) -> None:
        self.log.append(("keyword", tag, key, start, end))
        self.inner.on_keyword(tag, key, start, end)

    def on_segment(self, segment: Segment) -> None:
        for tag, sink in sorted(self.sinks.items()):
            self.log.append(("sink", tag, [tuple(span) for span in sink]))
        self.inner.on_segment(segment)


def events(config: ScanConfig, data: bytes, batched: bool) -> list[Event]:
    """What every run hears from one pass over `data` (native batch or Python loop)."""
    if config not in _SCANNERS:
        _SCANNERS[config] = compile_config(config)
    scanner = _SCANNERS[config]
    matcher = scanner.matcher
    log: list[Event] = []
    runs = [Recorder(d.start(), log) for d in scanner.detectors]
    if batched:
        assert matcher._shapes is not None
        matcher._pass_batched(data, runs)
    else:
        matcher._pass(data, runs)
    segment = Segment("body", data)
    for run in runs:
        run.on_segment(segment)
    return log


def assert_same(config: ScanConfig, data: bytes) -> None:
    """The native pass and the Python loop tell every run the same."""
    assert events(config, data, batched=True) == events(config, data, batched=False)


@pytest.fixture(scope="module")
def corpus_segments() -> list[bytes]:
    """Every text segment the scanner hands its matcher for the corpora (OCR off)."""
    seen: list[bytes] = []
    original = Matcher.run

    def recording(self: Matcher, segment: Segment, runs: Any) -> None:
        seen.append(segment.data)
        original(self, segment, runs)

    scanner = compile_config(ScanConfig())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Matcher, "run", recording)  # (the segments do not depend on the pass)
        for path in sorted(CORPUS.rglob("*.eml")):
            scanner.scan_message(path.read_bytes(), ocr=False)
    assert len(seen) > 1000
    return seen


def test_the_matcher_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the extension loaded the default matcher runs the native pass; without, not."""
    assert compile_config(ScanConfig()).matcher._shapes is not None
    assert (native.SCANNER == "native") == (not OPTED_OUT)
    monkeypatch.setattr(native, "Shapes", None)
    matcher_module._native_finder.cache_clear()
    assert compile_config(ScanConfig()).matcher._shapes is None


@pytest.mark.parametrize("shape", [r"\d{3}$", r"\b\d{4}", r"^\d{9}", r"(?m:^)\d{2}"])
def test_shapes_that_look_around_are_refused(shape: str) -> None:
    """A shape with look-around (its twin sees the span's edges, a DFA the text): refused,
    so the matcher keeps its Python loop."""
    assert NATIVE is not None
    with pytest.raises(ValueError):
        NATIVE.Shapes([r"\d{8,}", shape], b"0123456789")
    assert NATIVE.Shapes([r"\d{8,}", r"[1-9]\d{3} ?[A-Z]{2}"], b"0123456789") is not None


@pytest.mark.parametrize("keywords", range(len(CASE_KEYWORD_SETS)))
def test_every_corpus_segment(corpus_segments: list[bytes], keywords: int) -> None:
    """Every corpus segment, under the default and officers' keyword lists: the same events."""
    config = ScanConfig(case_keywords=CASE_KEYWORD_SETS[keywords])
    for data in corpus_segments:
        assert_same(config, data)


@pytest.mark.parametrize("dossier_rate", [0.0, 0.012, 0.3])
def test_the_benchmark_prose(dossier_rate: float) -> None:
    """bench_content's plain and plain_dense prose (and a denser one), 300 KB each."""
    data = bench_content.prose(300_000, dossier_rate=dossier_rate).encode()
    batched = events(ScanConfig(), data, batched=True)
    assert sum(len(event[2]) for event in batched if event[0] == "sink") > 100
    assert batched == events(ScanConfig(), data, batched=False)


@generated(300)
@given(st.lists(PIECES, max_size=30), st.sampled_from(range(len(CASE_KEYWORD_SETS))))
def test_generated_text(pieces: list[str], keywords: int) -> None:
    """Keywords (case, accents, glued), numbers, IBAN/phone-like runs: the same events."""
    assert_same(ScanConfig(case_keywords=CASE_KEYWORD_SETS[keywords]), "".join(pieces).encode())


def test_the_shapes_dfa_chooses_as_the_twin(corpus_segments: list[bytes]) -> None:
    """For every match of the corpora, Shapes.which names the shape the Python twin names."""
    matcher = compile_config(ScanConfig()).matcher
    shapes = matcher._shapes
    assert shapes is not None and NATIVE is not None
    finder = NATIVE.Finder(matcher.pattern or "")
    seen = 0
    for data in corpus_segments:
        pos = 0
        while pos <= len(data):
            start, end = finder.first(data, pos, len(data))[0]
            if start < 0:
                break
            pos = end if end > start else end + 1
            twin = matcher._shape_at(data, start, end)
            expected = None if twin is None else (twin.lastindex or 0) - 1
            if data[start] not in matcher._shape_starts:
                expected = None
            assert shapes.which(data, start, end) == expected
            seen += expected is not None
    assert seen > 1000


def corpus_facts(folder: str) -> Iterator[tuple[Path, ContentFacts]]:
    """(message, facts) for each message of a corpus folder, with the current loader."""
    scanner = compile_config(ScanConfig())
    for path in sorted((CORPUS / folder).glob("*.eml")):
        yield path, scanner.scan_message(path.read_bytes(), ocr=False)


@pytest.mark.parametrize("folder", ["realistic", "holdout", "."])
def test_whole_message_facts_with_and_without_it(
    folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each message of the realistic, holdout and top corpora: the same facts without it."""
    with_native = dict(corpus_facts(folder))
    assert with_native
    monkeypatch.setattr(native, "Shapes", None)
    matcher_module._native_finder.cache_clear()
    try:
        assert compile_config(ScanConfig()).matcher._shapes is None
        differ = [path.name for path, facts in corpus_facts(folder) if facts != with_native[path]]
    finally:
        matcher_module._native_finder.cache_clear()
    assert differ == []
