"""Unit tests for milter.content.registry.Tally: values counted into a Finding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.findings import CONFIDENCES, Confidence
from milter.content.registry import MAX_SAMPLES, Tally


def reference_finding(seen: list[tuple[str, Confidence]]) -> tuple[object, ...]:
    """Count, best confidence, samples and counts as the rules say, computed the plain way."""
    rank = {"low": 1, "medium": 2, "high": 3}
    best: dict[str, int] = {}
    for key, confidence in seen:
        best[key] = max(best.get(key, 0), rank[confidence])
    ranked = sorted(best.items(), key=lambda item: -item[1])  # stable: first seen
    samples: list[str] = []
    for key, _ in ranked:
        if key.upper() not in samples:
            samples.append(key.upper())
        if len(samples) == MAX_SAMPLES:
            break
    counts = tuple(sum(1 for r in best.values() if r >= level) for level in (1, 2, 3))
    return len(best), CONFIDENCES[ranked[0][1] - 1], tuple(samples), counts


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefA"), st.sampled_from(CONFIDENCES)), min_size=1))
def test_finding_agrees_with_reference(seen: list[tuple[str, Confidence]]) -> None:
    """A Tally's finding has the reference's count, confidence, samples (best first) and counts."""
    tally = Tally("test", str.upper)
    for key, confidence in seen:
        tally.add(key, confidence, "body")
    finding = tally.finding()
    assert finding is not None
    got = (finding.count, finding.confidence, finding.samples, finding.counts)
    assert got == reference_finding(seen)


def test_empty_tally_has_no_finding() -> None:
    """Nothing added: no finding."""
    assert Tally("test", str.upper).finding() is None
