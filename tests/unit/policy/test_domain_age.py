"""Policy: the rdap section and domain_registered_within / domain_changed_within conditions."""

from __future__ import annotations

import pytest

from milter.domains.rdap import RdapSettings
from milter.policy import load_policy_text
from milter.policy.model import AllOf, DetectorCondition, DomainAge
from tests.unit.policy.test_loader_refusals import append, refusal

RDAP = "rdap:\n  bootstrap: /etc/postwarden/rdap-dns.json\n  on_failure: treat_as_new\n"
# Appended to VALID, 'content:' is line 13.
RULES = """\
content:
  rules:
    - id: new-domain
      when: {all: [{detector: bsn}, {domain_registered_within: 30d}]}
      action: quarantine
    - id: changed-domain
      when: {all: [{detector: bsn}, {domain_changed_within: 14d}]}
      action: quarantine
"""


def test_rdap_and_conditions_load() -> None:
    """The rdap section (defaults filled in) and both conditions load."""
    policy = load_policy_text(append(RULES + RDAP))
    assert policy.rdap == RdapSettings("/etc/postwarden/rdap-dns.json", on_failure="treat_as_new")
    assert policy.content is not None
    assert [r.when for r in policy.content.rules[:2]] == [
        AllOf((DetectorCondition("bsn"), DomainAge("registration", 30))),
        AllOf((DetectorCondition("bsn"), DomainAge("last changed", 14))),
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (RULES, 16, "domain_registered_within needs an 'rdap' section"),
        (RULES.replace("30d", "30") + RDAP, 16, "30 is not a duration: it needs a unit"),
        (RULES.replace("30d", "thirty") + RDAP, 16, "'thirty' is not a duration"),
        (
            RULES.replace("30d", "30h") + RDAP,
            16,
            "30h is in the wrong unit",
        ),
        (RULES.replace("14d", "0d") + RDAP, 19, "0d is out of range (1d to 3650d)"),
        (RULES + RDAP.replace("/etc/", "etc/"), 22, "bootstrap must be an absolute path"),
        (RULES + "rdap: {bootstrap: /b.json, timeout_ms: 3000, budget_ms: 1000}\n", 21, "below"),
    ],
)
def test_refused_with_position(text: str, line: int, fragment: str) -> None:
    """Malformed domain age conditions and rdap sections are refused at their line."""
    error = refusal(append(text))
    found = [(i.line, i.message) for i in error.issues]
    assert any(ln == line and fragment in message for ln, message in found), found
