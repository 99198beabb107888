"""The realistic corpus (tests/corpus/realistic, issue 13 point 7) through the whole decision.

Every message goes the way test_corpus_decisions.py sends the labelled corpus: the manifest's
envelope (`build_envelope`), policies/example.yaml's scanner (`scan_message`) and `decide`.
The test prints precision and recall per decision, per detector and per category (file names,
rule ids and detector names only: never text from the mail), and fails unless every message
with client data to an external recipient is held and at most 1 % of ordinary external mail is
held.  The labels come from a human reading the mail, not from Postwarden (see
make_realistic.py); the generator must be deterministic and the manifest must cover every file.
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

REALISTIC = Corpus("realistic", "realistic corpus", "make_realistic.py", 200, 100)


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return REALISTIC.outcomes()


class TestManifest(ManifestChecks):
    corpus = REALISTIC


class TestGenerator(GeneratorChecks):
    corpus = REALISTIC


class TestDecisions:
    """Postwarden with the example policy on the realistic corpus."""

    def test_client_data_to_external_recipients_is_held(self, outcomes: list[Outcome]) -> None:
        """100 % of client data going outside the organisation is quarantined."""
        table = report(REALISTIC, outcomes)
        print(table)
        missed = [o for o in outcomes if o.entry["decision"] == "quarantine" and not o.held]
        want = sum(1 for o in outcomes if o.entry["decision"] == "quarantine")
        assert not missed, f"{len(missed)} of {want} client-data messages not held\n{table}"

    def test_ordinary_external_mail_is_delivered(self, outcomes: list[Outcome]) -> None:
        """At most 1 % of ordinary mail to external recipients is held."""
        external = [o for o in outcomes if o.entry["kind"] == "ordinary"]
        external = [o for o in external if o.entry["recipients"] != "internal"]
        held = [o for o in external if o.action != "accept"]
        share = len(held) / len(external)
        assert share <= MAX_ORDINARY_HELD, (
            f"{len(held)} of {len(external)} ordinary external mails held ({share:.1%})\n"
            + report(REALISTIC, outcomes)
        )

    def test_internal_mail_is_delivered(self, outcomes: list[Outcome]) -> None:
        """Mail that stays inside the owned domains is delivered, client data or not."""
        internal = [o for o in outcomes if o.entry["recipients"] == "internal"]
        assert internal
        wrong = [o.why() for o in internal if o.action != "accept"]
        assert not wrong, "\n".join(wrong)
