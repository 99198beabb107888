"""Engine: which notices a decision asks for about held mail (who is told, who never is)."""

from __future__ import annotations

import dataclasses

import pytest

from milter.core.address import parse_address
from milter.core.engine import Envelope, NoticeDue, decide
from milter.policy.model import (
    ContentPolicy,
    ContentRule,
    DetectorCondition,
    HeldNotices,
    Notices,
    ProgramOwner,
    ReplyText,
)
from tests.unit.core.test_engine import POLICY
from tests.unit.core.test_engine_rules import facts, finding

OFFICERS = "fg@samen-veilig.nl"
HOLD = ContentRule(
    "client-data-external", DetectorCondition("bsn", "high"), "quarantine", alert=True
)
QUIET = ContentRule(
    "iban-external", DetectorCondition("iban", "high"), "quarantine", notify_sender=False
)
FLAG = ContentRule("keywords-flag", DetectorCondition("case_keywords"), "flag", alert=True)
MONITOR = ContentRule(
    "dob-monitor", DetectorCondition("date_of_birth"), "quarantine", mode="monitor", alert=True
)
NOTICES = Notices(
    "postmaster@samen-veilig.nl", "127.0.0.1:25", ReplyText("o", "s"), ReplyText("b", "b")
)
HELD = HeldNotices(
    OFFICERS,
    owners=(ProgramOwner("crisistool@samen-veilig.nl", "applicatiebeheer@samen-veilig.nl"),),
)
POLICY_N = dataclasses.replace(
    POLICY,
    content=ContentPolicy((HOLD, QUIET, FLAG, MONITOR), None, None),  # type: ignore[arg-type]
    notices=NOTICES,
    held_notices=HELD,
)
EXTERNAL = "x@partner.example"


def envelope(sender: str, automatic: bool = False, path: str = "smtp") -> Envelope:
    return Envelope(
        parse_address(sender),
        (parse_address(EXTERNAL),),
        path,  # type: ignore[arg-type]
        "4XyZ1",
        automatic=automatic,
    )


def held_to(sender: str, automatic: bool = False, path: str = "smtp") -> list[str]:
    decision = decide(envelope(sender, automatic, path), facts(finding("bsn")), POLICY_N)
    assert decision.action == "quarantine"
    return [n.to for n in decision.notices if n.kind == "sender_held"]


class TestSenderHeld:
    def test_internal_sender_is_told(self) -> None:
        """An internal sender whose message is held gets the notice, about the holding rule."""
        decision = decide(envelope("jan@samen-veilig.nl"), facts(finding("bsn")), POLICY_N)
        assert NoticeDue("sender_held", "jan@samen-veilig.nl", "client-data-external") in (
            decision.notices
        )

    @pytest.mark.parametrize(
        "sender",
        [
            "someone@partner.example",  # external
            "",  # the null sender (bounces, notices)
            "oud@bjzutrecht.nl",  # a retired domain
            "x@[192.0.2.1]",  # an address literal
        ],
    )
    def test_never_external_null_or_retired(self, sender: str) -> None:
        """External, null, retired-domain and literal senders are never told."""
        assert held_to(sender) == []

    def test_automatic_mail_is_not_answered(self) -> None:
        """Mail marked automatic (Auto-Submitted, Precedence bulk/list) gets no notice."""
        assert held_to("jan@samen-veilig.nl", automatic=True) == []

    def test_program_mail_goes_to_its_owner(self) -> None:
        """Mail from a program named under owners: its owner is told, on the local path too."""
        assert held_to("crisistool@samen-veilig.nl", path="local") == [
            "applicatiebeheer@samen-veilig.nl"
        ]
        assert held_to("CrisisTool@samen-veilig.nl", automatic=True) == [
            "applicatiebeheer@samen-veilig.nl"
        ]

    def test_rule_can_switch_it_off(self) -> None:
        """A rule's notify_sender: false overrides the section's default."""
        decision = decide(envelope("jan@samen-veilig.nl"), facts(finding("iban")), POLICY_N)
        assert decision.action == "quarantine"
        assert decision.notices == ()

    def test_default_off_rule_on(self) -> None:
        """With the default off, a rule's notify_sender: true still tells the sender."""
        on = dataclasses.replace(QUIET, notify_sender=True)
        policy = dataclasses.replace(
            POLICY_N,
            held_notices=dataclasses.replace(HELD, notify_sender=False),
            content=ContentPolicy((on,), None, None),  # type: ignore[arg-type]
        )
        decision = decide(envelope("jan@samen-veilig.nl"), facts(finding("iban")), policy)
        assert [n.to for n in decision.notices] == ["jan@samen-veilig.nl"]

    def test_nothing_without_the_section(self) -> None:
        """Without quarantine_notices (or without notices) no notice is asked for."""
        for policy in (
            dataclasses.replace(POLICY_N, held_notices=None),
            dataclasses.replace(POLICY_N, notices=None),
        ):
            decision = decide(envelope("jan@samen-veilig.nl"), facts(finding("bsn")), policy)
            assert decision.action == "quarantine"
            assert decision.notices == ()


class TestOfficerAlert:
    def test_alert_rule_alerts_the_officers(self) -> None:
        """An enforced hit of a rule with alert: true alerts the officers, even for an
        external sender (who is not told)."""
        decision = decide(envelope("someone@partner.example"), facts(finding("bsn")), POLICY_N)
        assert decision.notices == (NoticeDue("officer_alert", OFFICERS, "client-data-external"),)

    def test_alert_on_flag_rule(self) -> None:
        """alert is about the rule, not the hold: a flag rule with alert alerts too."""
        decision = decide(
            envelope("jan@samen-veilig.nl"), facts(finding("case_keywords")), POLICY_N
        )
        assert decision.action == "accept"
        assert decision.notices == (NoticeDue("officer_alert", OFFICERS, "keywords-flag"),)

    def test_monitor_mode_does_not_alert(self) -> None:
        """A rule in monitor mode records what it would do; it alerts no one."""
        decision = decide(
            envelope("jan@samen-veilig.nl"), facts(finding("date_of_birth")), POLICY_N
        )
        assert decision.notices == ()
