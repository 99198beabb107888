"""Unit tests for milter.content.findings."""

from __future__ import annotations

import pytest

from milter.content.findings import ContentFacts, Finding, at_least


class TestAtLeast:
    """Confidence ordering."""

    @pytest.mark.parametrize(
        ("confidence", "minimum", "expected"),
        [
            ("low", "low", True),
            ("low", "medium", False),
            ("medium", "low", True),
            ("high", "medium", True),
            ("medium", "high", False),
            ("high", "high", True),
        ],
    )
    def test_order(self, confidence: str, minimum: str, expected: bool) -> None:
        """low < medium < high."""
        assert at_least(confidence, minimum) is expected  # type: ignore[arg-type]


class TestFinding:
    """Finding.count_at."""

    def test_count_at_uses_counts(self) -> None:
        """count_at returns the unique values at or above a confidence."""
        found = Finding("bsn", 3, "high", ("body",), (), counts=(3, 2, 1))
        assert [found.count_at(c) for c in ("low", "medium", "high")] == [3, 2, 1]

    def test_count_at_without_counts(self) -> None:
        """Without counts, all values are taken to have the finding's confidence."""
        found = Finding("x", 2, "medium", (), ())
        assert (found.count_at("low"), found.count_at("high")) == (2, 0)

    def test_frozen(self) -> None:
        """Findings are immutable values."""
        found = Finding("x", 1, "low", (), ())
        with pytest.raises(AttributeError):
            found.count = 2  # type: ignore[misc]


class TestContentFacts:
    """ContentFacts lookups."""

    def test_by_detector(self) -> None:
        """by_detector finds a finding by name and returns None otherwise."""
        bsn = Finding("bsn", 1, "high", (), ())
        facts = ContentFacts((bsn,), False, True, 1, 10)
        assert facts.by_detector("bsn") is bsn
        assert facts.by_detector("iban") is None
        assert not facts.unscannable and not facts.truncated
