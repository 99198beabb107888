"""Policy: the history section and first_contact conditions, read and refused by file:line:col."""

from __future__ import annotations

import pytest

from milter.history.model import HistorySettings
from milter.policy import load_policy_text
from milter.policy.model import AllOf, DetectorCondition, FirstContact
from tests.unit.policy.test_loader_refusals import append, refusal

HISTORY = """\
history:
  store: /var/lib/postwarden/history.sqlite
  on_failure: accept_and_flag
"""
# Line 13 is 'content:' when appended to VALID (which has 12 lines before its end marker).
RULES = """\
content:
  rules:
    - id: first-contact-client-data
      when: {all: [{detector: bsn, confidence: high}, {first_contact: domain}]}
      action: quarantine
    - id: new-address
      when: {all: [{detector: iban}, {first_contact: address, kind: any}]}
      action: flag
"""


def test_history_and_conditions_load() -> None:
    """A history section and first_contact conditions (default kind client_data) load."""
    policy = load_policy_text(append(RULES + HISTORY))
    assert policy.history == HistorySettings(
        "/var/lib/postwarden/history.sqlite", on_failure="accept_and_flag"
    )
    assert policy.content is not None
    first, second = policy.content.rules[:2]
    assert first.when == AllOf(
        (DetectorCondition("bsn", "high"), FirstContact("domain", "client_data"))
    )
    assert second.when == AllOf((DetectorCondition("iban"), FirstContact("address", "any")))


def test_forget_after_in_days() -> None:
    """forget_after is whole days (default two years); hours and days out of range refused."""
    policy = load_policy_text(append(RULES + HISTORY + "  forget_after: 400d\n"))
    assert policy.history is not None and policy.history.forget_after_days == 400
    default = load_policy_text(append(RULES + HISTORY))
    assert default.history is not None and default.history.forget_after_days == 730
    for bad in ("48h", "10d", "4000d"):
        error = refusal(append(RULES + HISTORY + f"  forget_after: {bad}\n"))
        assert any(i.line == 24 for i in error.issues), (bad, error.issues)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        (RULES, 16, 55, "first_contact needs a 'history' section"),
        (
            RULES.replace("{first_contact: domain}", "{first_contact: domains}") + HISTORY,
            16,
            71,
            "first_contact: unknown value 'domains'",
        ),
        (
            RULES.replace("kind: any", "kind: sometimes") + HISTORY,
            19,
            69,
            "kind: unknown value 'sometimes'",
        ),
        (
            RULES.replace("{first_contact: domain}", "{first_contact: domain, scope: x}") + HISTORY,
            16,
            79,
            "unknown key 'scope'",
        ),
        (RULES + HISTORY.replace("/var/lib/", "var/lib/"), 22, 3, "absolute path"),
        (RULES + "history: {key_file: /k}\n", 21, 10, "missing required key 'store'"),
    ],
)
def test_refused_with_position(text: str, line: int, column: int, fragment: str) -> None:
    """A malformed first_contact or history section is refused at its line and column."""
    error = refusal(append(text))
    found = [(i.line, i.column, i.message) for i in error.issues]
    assert any((ln, col) == (line, column) and fragment in message for ln, col, message in found), (
        found
    )
