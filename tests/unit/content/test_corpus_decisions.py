"""The labelled corpus through the whole decision: policies/example.yaml, the manifest's
envelope, the same scanner and engine as the milter. Precision and recall of the message
decision (quarantine = positive) must be 100 %, and every decision must match its label."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from milter.cli.check import build_envelope
from milter.core.engine import Facts, decide
from milter.policy import load_policy
from tests.unit.content.test_corpus import CORPUS, MANIFEST

POLICY = load_policy(Path(__file__).resolve().parents[3] / "policies" / "example.yaml")
NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)


def _decide(entry: dict[str, Any]) -> str:
    assert POLICY.content is not None
    envelope = build_envelope(entry["from"], entry["to"], bool(entry.get("local")))
    facts = POLICY.content.scanner.scan_message((CORPUS / entry["file"]).read_bytes())
    return decide(envelope, Facts(content=facts, now=NOW), POLICY).action


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[str, str, str]]:
    return [(e["file"], e["expect"]["decision"], _decide(e)) for e in MANIFEST]


class TestDecisions:
    def test_every_message_gets_its_labelled_decision(
        self, outcomes: list[tuple[str, str, str]]
    ) -> None:
        """Each corpus message gets the decision its label says."""
        wrong = [f"{f}: expected {want}, got {got}" for f, want, got in outcomes if want != got]
        assert not wrong, "\n".join(wrong)

    def test_precision_and_recall_of_quarantine(self, outcomes: list[tuple[str, str, str]]) -> None:
        """Quarantine decisions: precision and recall 100 % (both classes present)."""
        tp = sum(1 for _, w, g in outcomes if w == g == "quarantine")
        fp = sum(1 for _, w, g in outcomes if g == "quarantine" and w != "quarantine")
        fn = sum(1 for _, w, g in outcomes if w == "quarantine" and g != "quarantine")
        print(f"\nmessage decision: tp={tp} fp={fp} fn={fn} of {len(outcomes)}")
        assert tp >= 20 and sum(1 for _, w, _ in outcomes if w == "accept") >= 20
        assert fp == 0 and fn == 0
