"""The second blind corpus (tests/corpus/blind2, a fifth round for issue 13) through the whole
decision.

Every message goes the way the other corpora go: the manifest's envelope (`build_envelope`),
policies/example.yaml's scanner (`scan_message`, OCR included) and `decide`. The test prints
precision and recall per decision, per detector and per category (file names, rule ids and
detector names only: never text from the mail).

The corpus was written without reading the detectors or the other corpora (see
make_blind2.py), aimed at ordinary mail full of numbers, dates, names and care words. Its shape
is the brief's, not the earlier corpora's: at least 75 % ordinary mail to external recipients
and fewer client-data messages (30), so the ordinary share measures precision where it is
judged. The decision tests are a ratchet: every wrong decision must be one of the known ones
below (each with the pattern that fooled the detectors), so a regression fails; a known one
that becomes right must be taken off its list. The generator must be deterministic and the
manifest must cover every file.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.unit.content.corpus_harness import (
    Corpus,
    GeneratorChecks,
    KnownDecisions,
    ManifestChecks,
    Outcome,
)

BLIND2 = Corpus("blind2", "second blind corpus", "make_blind2.py", 150, 120)
# What this corpus still gets wrong with policies/example.yaml (see tests/corpus/blind2/README.md).
KNOWN_MISSED: dict[str, str] = {}


def _series(stem: str, count: int, why: str) -> dict[str, str]:
    """One pattern that fooled the detectors in each of stem_01.eml .. stem_NN.eml."""
    return {f"{stem}_{i:02d}.eml": why for i in range(1, count + 1)}


KNOWN_HELD = {
    # "Passagier: <name>\nGeboortedatum: <date>" for a congress on child protection: nothing
    # in the text says the traveller is staff
    **_series("travel_booking", 2, "a colleague's date of birth, a child-protection congress"),
    # "<student> (studentnummer ..., geboren <date>)" for an internship in "team
    # jeugdbescherming": a student number does not make a colleague (a client of 16 has one too)
    **_series("internship", 2, "a student's date of birth, 'team jeugdbescherming'"),
}


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return BLIND2.outcomes()


class TestManifest(ManifestChecks):
    corpus = BLIND2

    def test_corpus_size_and_mix(self) -> None:
        """At least 150 messages, at least 75 % of them ordinary mail to external recipients,
        at least 25 client-data messages going out, and both kinds kept inside."""
        manifest = self.corpus.manifest
        mix = Counter((e["kind"], e["recipients"] != "internal") for e in manifest)
        assert len(manifest) >= self.corpus.min_messages
        assert mix["ordinary", True] >= 0.75 * len(manifest)
        assert mix["ordinary", True] >= self.corpus.min_ordinary_external
        assert mix["client_data", True] >= 25
        assert mix["client_data", False] >= 5 and mix["ordinary", False] >= 5


class TestGenerator(GeneratorChecks):
    corpus = BLIND2


class TestDecisions(KnownDecisions):
    """Postwarden with the example policy on the second blind corpus."""

    corpus = BLIND2
    known_missed = KNOWN_MISSED
    known_held = KNOWN_HELD
