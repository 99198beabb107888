"""The blind corpus (tests/corpus/blind, a fourth round for issue 13) through the whole decision.

Every message goes the way the other corpora go: the manifest's envelope (`build_envelope`),
policies/example.yaml's scanner (`scan_message`, OCR included) and `decide`. The test prints
precision and recall per decision, per detector and per category (file names, rule ids and
detector names only: never text from the mail).

The corpus was written without reading the detectors or the other corpora (see make_blind.py),
to measure how Postwarden generalises to mail it was not tuned on. Like the held-out corpus,
the decision tests are a ratchet: every wrong decision must be one of the known ones below
(each with the pattern that fooled the detectors), so a regression fails; a known one that
becomes right must be taken off the list (the test says so), so the list stays the truth.
The generator must be deterministic and the manifest must cover every file.
"""

from __future__ import annotations

import pytest

from tests.unit.content.corpus_harness import (
    MAX_ORDINARY_HELD,
    Corpus,
    GeneratorChecks,
    ManifestChecks,
    Outcome,
    report,
)

BLIND = Corpus("blind", "blind corpus", "make_blind.py", 150, 100)
# What this corpus still gets wrong with policies/example.yaml (see tests/corpus/blind/README.md).
KNOWN_MISSED = {
    "client_unlabelled_01.eml": "'Name (dd-mm-yyyy)': children's dates of birth with no label",
    "client_unlabelled_02.eml": "'Name (dd-mm-yyyy)': children's dates of birth with no label",
    "client_no_number_01.eml": "a named child, home address and measure: no BSN, no date of birth",
    "client_no_number_02.eml": "a named child, home address and measure: no BSN, no date of birth",
}
KNOWN_HELD: dict[str, str] = {}


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return BLIND.outcomes()


class TestManifest(ManifestChecks):
    corpus = BLIND


class TestGenerator(GeneratorChecks):
    corpus = BLIND


class TestDecisions:
    """Postwarden with the example policy on the blind corpus."""

    def test_no_client_data_missed_beyond_the_known_gaps(self, outcomes: list[Outcome]) -> None:
        """Client data going outside is held, except the known gaps (KNOWN_MISSED)."""
        print(report(BLIND, outcomes))
        want = [o for o in outcomes if o.entry["decision"] == "quarantine"]
        missed = {o.file for o in want if not o.held}
        print(f"client data held: {len(want) - len(missed)} of {len(want)}")
        assert missed <= set(KNOWN_MISSED), f"newly missed: {sorted(missed - set(KNOWN_MISSED))}"
        assert not set(KNOWN_MISSED) - missed, (
            f"now held, take off KNOWN_MISSED: {sorted(set(KNOWN_MISSED) - missed)}"
        )

    def test_no_ordinary_mail_held_beyond_the_known_ones(self, outcomes: list[Outcome]) -> None:
        """Ordinary external mail is delivered, except the known ones (KNOWN_HELD)."""
        external = [o for o in outcomes if o.entry["kind"] == "ordinary"]
        external = [o for o in external if o.entry["recipients"] != "internal"]
        held = {o.file for o in external if o.action != "accept"}
        share = len(held) / len(external)
        print(
            f"ordinary external held: {len(held)} of {len(external)} ({share:.1%}; target"
            f" {MAX_ORDINARY_HELD:.0%})"
        )
        for o in external:
            if o.action != "accept":
                print(f"  {o.why()}")
        assert held <= set(KNOWN_HELD), f"newly held: {sorted(held - set(KNOWN_HELD))}"
        assert not set(KNOWN_HELD) - held, (
            f"now delivered, take off KNOWN_HELD: {sorted(set(KNOWN_HELD) - held)}"
        )

    def test_internal_mail_is_delivered(self, outcomes: list[Outcome]) -> None:
        """Mail that stays inside the owned domains is delivered, client data or not."""
        internal = [o for o in outcomes if o.entry["recipients"] == "internal"]
        assert internal
        wrong = [o.why() for o in internal if o.action != "accept"]
        assert not wrong, "\n".join(wrong)
