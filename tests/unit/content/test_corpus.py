"""The labelled corpus (tests/corpus): every message through scan_message, per-detector P/R.

The manifest says which detectors must be found (with a minimum confidence) and which may only
appear at low confidence; everything else must stay silent.  Precision and recall are computed
per detector -- and for the encrypted / unscannable / truncated facts -- and must be 100 %.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from milter.content import ContentFacts, ScanConfig, at_least, compile_config

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
MANIFEST: list[dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yaml").read_text("utf-8"))[
    "messages"
]
DETECTORS = ("bsn", "iban", "date_of_birth", "postcode", "phone_nl", "case_keywords")
FLAGS = ("encrypted", "unscannable", "truncated")
SCANNER = compile_config(ScanConfig())


def _facts(entry: dict[str, Any]) -> ContentFacts:
    return SCANNER.scan_message((CORPUS / entry["file"]).read_bytes())


def _outcome(entry: dict[str, Any], facts: ContentFacts) -> dict[str, tuple[bool, bool]]:
    """Per detector/flag: (expected positive, actually positive) under the manifest's rules."""
    expect = entry["expect"]
    required: dict[str, str] = expect["detectors"] or {}
    allow_low = set(expect.get("allow_low", []))
    result: dict[str, tuple[bool, bool]] = {}
    for name in DETECTORS:
        finding = facts.by_detector(name)
        if name in required:
            found = finding is not None and at_least(finding.confidence, required[name])
            result[name] = (True, found)
        else:
            floor = "medium" if name in allow_low else "low"
            found = finding is not None and at_least(finding.confidence, floor)
            result[name] = (False, found)
    result["encrypted"] = (expect["encrypted"], facts.encrypted)
    result["unscannable"] = (expect["unscannable"], facts.unscannable)
    result["truncated"] = (expect["truncated"], facts.truncated)
    return result


class TestCorpus:
    """The corpus, message by message and as a whole."""

    def test_corpus_is_large_enough(self) -> None:
        """At least 80 labelled messages, each file present."""
        assert len(MANIFEST) >= 80
        for entry in MANIFEST:
            assert (CORPUS / entry["file"]).is_file(), entry["file"]

    @pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
    def test_message(self, entry: dict[str, Any]) -> None:
        """Each message gives exactly the labelled findings and flags."""
        facts = _facts(entry)
        wrong = {
            name: f"expected {'' if want else 'no '}{name}, got {facts.by_detector(name)}"
            if name in DETECTORS
            else f"expected {name}={want}, got {got}"
            for name, (want, got) in _outcome(entry, facts).items()
            if want != got
        }
        assert not wrong, f"{entry['file']}: " + "; ".join(wrong.values())

    def test_precision_and_recall(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Precision and recall are 100 % for every detector and flag over the whole corpus."""
        counts: dict[str, Counter[str]] = {name: Counter() for name in DETECTORS + FLAGS}
        misses: list[str] = []
        for entry in MANIFEST:
            for name, (want, got) in _outcome(entry, _facts(entry)).items():
                key = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get(
                    (want, got), "tn"
                )
                counts[name][key] += 1
                if key in ("fp", "fn"):
                    misses.append(f"{entry['file']}: {name} {key}")
        lines = [f"{'detector':<14} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}"]
        for name, c in counts.items():
            precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
            recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
            lines.append(
                f"{name:<14} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} "
                f"{precision:>10.1%} {recall:>8.1%}"
            )
        with capsys.disabled():
            print("\n" + "\n".join(lines))
        assert not misses, "\n".join(misses)

    def test_decisions_are_consistent_with_labels(self) -> None:
        """Every manifest decision is one the example policy can produce."""
        assert {e["expect"]["decision"] for e in MANIFEST} <= {"accept", "quarantine", "reject"}
        decided = Counter(e["expect"]["decision"] for e in MANIFEST)
        assert decided["quarantine"] and decided["accept"]
