"""Policy: the quarantine_notices section and the content rules' notify_sender and alert keys."""

from __future__ import annotations

import pytest

from milter.policy import PolicyError, load_policy_text
from milter.policy.model import HeldNotices, ProgramOwner

HEAD = """\
version: 1
organisation: Samen Veilig Midden-Nederland
owned_domains:
  - domain: samen-veilig.nl
retired_domains: []
"""
NOTICES = """\
notices:
  from: postmaster@samen-veilig.nl
  relay: 127.0.0.1:25
  subject: {nl: "Adres bestaat niet meer", en: "Address retired"}
  body: {nl: "x", en: "x"}
"""
SECTION = """\
quarantine_notices:
  officers: fg@samen-veilig.nl
  owners:
    - {program: crisistool@samen-veilig.nl, owner: applicatiebeheer@samen-veilig.nl}
"""
RULE = """\
content:
  rules:
    - id: client-data-external
      when: {detector: bsn}
      action: quarantine
"""


def policy(*parts: str) -> str:
    return HEAD + "".join(parts) + "...\n"


def refusals(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "p.yaml")
    return [str(issue) for issue in caught.value.issues]


class TestLoads:
    def test_section_and_rule_keys(self) -> None:
        """The section becomes HeldNotices (defaults filled in); the rule keys are kept."""
        rule = RULE + "      notify_sender: false\n      alert: true\n"
        loaded = load_policy_text(policy(NOTICES, SECTION, rule))
        assert loaded.held_notices == HeldNotices(
            "fg@samen-veilig.nl",
            notify_sender=True,
            per_day=20,
            owners=(
                ProgramOwner("crisistool@samen-veilig.nl", "applicatiebeheer@samen-veilig.nl"),
            ),
        )
        found = loaded.content_rule("client-data-external")
        assert found is not None
        assert (found.notify_sender, found.alert) == (False, True)

    def test_rule_defaults(self) -> None:
        """A rule without the keys follows the section's default and alerts no one."""
        found = load_policy_text(policy(RULE)).content_rule("client-data-external")
        assert found is not None
        assert (found.notify_sender, found.alert) == (None, False)

    def test_owner_lookup_ignores_case(self) -> None:
        """owner_of matches the program's sender address whatever its case."""
        loaded = load_policy_text(policy(NOTICES, SECTION))
        assert loaded.held_notices is not None
        assert loaded.held_notices.owner_of("CrisisTool@Samen-Veilig.nl") == (
            "applicatiebeheer@samen-veilig.nl"
        )
        assert loaded.held_notices.owner_of("jan@samen-veilig.nl") is None


class TestRefusals:
    def test_section_needs_notices(self) -> None:
        """quarantine_notices without notices (relay, from) is refused at the section."""
        assert refusals(policy(SECTION)) == [
            "p.yaml:7:3: quarantine_notices needs a 'notices' section (its from address and "
            "relay) (hint: add notices: at the top level)"
        ]

    def test_alert_needs_section(self) -> None:
        """alert: true without quarantine_notices is refused at the rule."""
        assert refusals(policy(NOTICES, RULE + "      alert: true\n")) == [
            "p.yaml:13:7: alert: true needs a 'quarantine_notices' section (the officers' "
            "address) (hint: add quarantine_notices: with officers: at the top level, or "
            "remove alert)"
        ]

    def test_notify_sender_only_for_quarantine(self) -> None:
        """notify_sender on a rule that does not hold mail would do nothing: refused."""
        rule = RULE.replace("quarantine", "flag") + "      notify_sender: true\n"
        assert refusals(policy(NOTICES, SECTION, rule)) == [
            "p.yaml:17:7: notify_sender applies to action: quarantine or delay only (this "
            "rule's action is flag) (hint: remove notify_sender from this rule)"
        ]

    def test_delay_and_its_window_come_together(self) -> None:
        """action: delay without delay, or delay on another action: refused with the fix."""
        without = RULE.replace("action: quarantine", "action: delay")
        assert refusals(policy(NOTICES, SECTION, without)) == [
            "p.yaml:17:7: action: delay needs a delay (the undo window) (hint: add delay: 10m)"
        ]
        stray = RULE + "      delay: 10m\n"
        assert refusals(policy(NOTICES, SECTION, stray)) == [
            "p.yaml:17:7: delay applies to action: delay only (this rule's action is quarantine)"
            " (hint: remove delay from this rule, or write action: delay)"
        ]
        window = RULE.replace("action: quarantine", "action: delay\n      delay: 10m")
        loaded = load_policy_text(policy(NOTICES, SECTION, window))
        assert loaded.content is not None and loaded.content.rules[0].delay == 600

    def test_officers_must_be_owned(self) -> None:
        """The officers' mailbox must be in an owned domain."""
        section = SECTION.replace("fg@samen-veilig.nl", "fg@gmail.example")
        (issue,) = refusals(policy(NOTICES, section))
        assert issue.startswith("p.yaml:12:13: fg@gmail.example is not in an owned domain")

    def test_program_listed_twice(self) -> None:
        """A program may have one owner only."""
        twice = SECTION + (
            "    - {program: CRISISTOOL@samen-veilig.nl, owner: fg@samen-veilig.nl}\n"
        )
        assert refusals(policy(NOTICES, twice)) == [
            "p.yaml:12:3: owners: program 'CRISISTOOL@samen-veilig.nl' is listed twice "
            "(hint: name one owner address per program)"
        ]

    def test_wrong_types_and_unknown_keys(self) -> None:
        """per_day out of range, alert not a boolean, an unknown key: each with its position."""
        section = SECTION + "  per_day: 0\n  officer: fg@samen-veilig.nl\n"
        rule = RULE + "      alert: often\n"
        issues = refusals(policy(NOTICES, section, rule))
        assert [i.split(": ", 1)[0] for i in issues] == [
            "p.yaml:15:12",
            "p.yaml:16:3",
            "p.yaml:22:14",
        ]
