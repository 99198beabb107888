"""Engine: content rules, monitor mode, redirect + notify, accepted risks (pure, table-driven)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from milter.content.findings import ContentFacts, Finding
from milter.core.address import parse_address
from milter.core.engine import (
    HEADER_FLAGS,
    HEADER_ORIGINAL_RECIPIENT,
    HEADER_QUARANTINE,
    HEADER_ROUTE,
    Envelope,
    Facts,
    content_may_apply,
    decide,
    decide_recipient,
)
from milter.policy.model import (
    AllOf,
    AnyOf,
    ContentPolicy,
    ContentRule,
    DetectorCondition,
    Notices,
    ReplyText,
    RiskAcceptance,
)
from tests.unit.core.test_engine import POLICY

CLIENT_DATA = AnyOf(
    (
        DetectorCondition("bsn", "high"),
        AllOf((DetectorCondition("case_keywords"), DetectorCondition("date_of_birth"))),
    )
)
RULES = (
    ContentRule(
        "client-data-external",
        CLIENT_DATA,
        "quarantine",
        unless_encrypted=True,
        description="client data in plain text",
    ),
    ContentRule("iban-external", DetectorCondition("iban", "high"), "quarantine", mode="monitor"),
    ContentRule(
        "keywords-flag", DetectorCondition("case_keywords", "medium"), "flag", recipients="any"
    ),
    ContentRule("phone-secure", DetectorCondition("phone_nl"), "route_secure"),
    ContentRule("custom-reject", DetectorCondition("custom:clientnr", min_count=2), "reject"),
)
CONTENT_POLICY = dataclasses.replace(POLICY, content=ContentPolicy(RULES, None, None))
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def finding(detector: str, count: int = 1, confidence: str = "high") -> Finding:
    return Finding(detector, count, confidence, ("body",), ("*****6782",))  # type: ignore[arg-type]


def facts(*found: Finding, encrypted: bool = False) -> Facts:
    return Facts(content=ContentFacts(found, encrypted, True, 1, 100), now=NOW)


def env(*rcpts: str, sender: str = "tool@samen-veilig.nl", path: str = "smtp") -> Envelope:
    return Envelope(parse_address(sender), tuple(parse_address(r) for r in rcpts), path)  # type: ignore[arg-type]


class TestContentRules:
    @pytest.mark.parametrize(
        ("found", "rcpts", "action", "rule", "client_data"),
        [
            ((finding("bsn"),), ("x@partner.example",), "quarantine", "client-data-external", True),
            ((finding("bsn", confidence="low"),), ("x@partner.example",), "accept", None, False),
            ((finding("bsn"),), ("x@samen-veilig.nl",), "accept", None, True),
            (
                (finding("case_keywords", 1, "low"), finding("date_of_birth")),
                ("x@partner.example",),
                "quarantine",
                "client-data-external",
                True,
            ),
            ((finding("date_of_birth"),), ("x@partner.example",), "accept", None, False),
            (
                (finding("custom:clientnr", 2),),
                ("x@partner.example",),
                "reject",
                "custom-reject",
                True,
            ),
            ((finding("custom:clientnr", 1),), ("x@partner.example",), "accept", None, False),
            ((), ("x@partner.example",), "accept", None, False),
        ],
    )
    def test_message_action(
        self,
        found: tuple[Finding, ...],
        rcpts: tuple[str, ...],
        action: str,
        rule: str | None,
        client_data: bool,
    ) -> None:
        """Conditions, confidence, counts and recipient scope decide the action."""
        d = decide(env(*rcpts), facts(*found), CONTENT_POLICY)
        assert (d.action, d.rule, d.client_data) == (action, rule, client_data)

    def test_encrypted_mail_is_left_alone(self) -> None:
        """unless: encrypted skips the rule for encrypted content."""
        d = decide(env("x@partner.example"), facts(finding("bsn"), encrypted=True), CONTENT_POLICY)
        assert d.action == "accept"

    def test_quarantine_explains_itself(self) -> None:
        """A quarantine carries its rule and reason, in the decision and in a header."""
        d = decide(env("x@partner.example"), facts(finding("bsn", 2)), CONTENT_POLICY)
        headers = dict(d.headers)
        assert d.reason == "client data in plain text: bsn x2 (high) to an external recipient"
        assert headers[HEADER_QUARANTINE] == f"client-data-external: {d.reason}"
        assert headers[HEADER_FLAGS] == "client-data-external (quarantine)"

    def test_monitor_mode_records_but_accepts(self) -> None:
        """A monitor-mode rule is recorded as 'would quarantine' and the mail is accepted."""
        d = decide(env("x@partner.example"), facts(finding("iban")), CONTENT_POLICY)
        assert d.action == "accept"
        assert [(h.rule, h.mode) for h in d.monitored] == [("iban-external", "monitor")]
        assert dict(d.headers)[HEADER_FLAGS] == "iban-external (monitor: would quarantine)"

    def test_strongest_action_wins_and_others_still_flag(self) -> None:
        """Route-secure plus flag: the route header is added and both rules are named."""
        d = decide(
            env("x@samen-veilig.nl", "y@partner.example"),
            facts(finding("phone_nl", 1, "low"), finding("case_keywords", 2, "medium")),
            CONTENT_POLICY,
        )
        headers = dict(d.headers)
        assert d.action == "accept" and headers[HEADER_ROUTE] == "secure"
        assert headers[HEADER_FLAGS] == "keywords-flag (flag); phone-secure (route_secure)"

    def test_internal_only_needs_no_scan_for_external_rules(self) -> None:
        """No content rule can apply to internal-only mail unless a rule covers 'any'."""
        internal = [parse_address("a@samen-veilig.nl")]
        only_external = dataclasses.replace(POLICY, content=ContentPolicy((RULES[0],), None, None))
        assert not content_may_apply(internal, only_external)
        assert content_may_apply(internal, CONTENT_POLICY)
        assert not content_may_apply(internal, POLICY)


REDIRECT = dataclasses.replace(
    POLICY,
    retired_domains=(
        dataclasses.replace(
            POLICY.retired_domains[0],
            action="redirect",
            redirect_to="oud-adres@samen-veilig.nl",
            notify_sender=True,
        ),
        dataclasses.replace(POLICY.retired_domains[1], notify_sender=True),
    ),
    notices=Notices(
        "postmaster@samen-veilig.nl", "127.0.0.1:25", ReplyText("a", "b"), ReplyText("c", "d")
    ),
)


class TestRedirectAndNotify:
    def test_redirect_keeps_the_mail_and_names_the_original(self) -> None:
        """Redirect: the recipient is replaced, the header names the original address."""
        d = decide(env("b@bjzutrecht.nl"), Facts(), REDIRECT)
        rd = d.recipients[0]
        assert (d.action, rd.action, rd.redirect_to, rd.notify) == (
            "accept",
            "redirect",
            "oud-adres@samen-veilig.nl",
            True,
        )
        assert dict(d.headers)[HEADER_ORIGINAL_RECIPIENT] == "<b@bjzutrecht.nl> (retired_domain)"

    @pytest.mark.parametrize(
        ("sender", "notify"),
        [
            ("tool@samen-veilig.nl", True),
            ("", False),
            ("x@bjzflevo.nl", False),
            ("x@mail.bjzutrecht.nl", False),
            ("<no-domain>", False),
        ],
    )
    def test_who_may_be_notified(self, sender: str, notify: bool) -> None:
        """Never the null sender (no loops), never a retired domain, never garbage."""
        rd = decide_recipient(
            parse_address("c@bjzflevo.nl"), "smtp", Facts(), REDIRECT, parse_address(sender)
        )
        assert rd.action == "reject" and rd.notify is notify


EXCEPTION = RiskAcceptance(
    sender="crisistool@samen-veilig.nl",
    rule="client-data-external",
    to_domain="ziekenhuis.example",
    owner="FG",
    reason="acute crisisplaatsing",
    ticket="ISV-2026-014",
    expires=dt.date(2027, 3, 31),
)
EXCEPTED = dataclasses.replace(CONTENT_POLICY, exceptions=(EXCEPTION,))


class TestAcceptedRisks:
    @pytest.mark.parametrize(
        ("sender", "rcpts", "now", "action", "used"),
        [
            ("crisistool@samen-veilig.nl", ("arts@ziekenhuis.example",), NOW, "accept", True),
            ("CrisisTool@Samen-Veilig.nl", ("a@spoed.ziekenhuis.example",), NOW, "accept", True),
            ("other@samen-veilig.nl", ("arts@ziekenhuis.example",), NOW, "quarantine", False),
            ("crisistool@samen-veilig.nl", ("x@partner.example",), NOW, "quarantine", False),
            (
                "crisistool@samen-veilig.nl",
                ("arts@ziekenhuis.example", "x@partner.example"),
                NOW,
                "quarantine",
                False,
            ),
            (
                "crisistool@samen-veilig.nl",
                ("arts@ziekenhuis.example",),
                dt.datetime(2027, 4, 1, tzinfo=dt.UTC),
                "quarantine",
                False,
            ),
            (
                "crisistool@samen-veilig.nl",
                ("arts@ziekenhuis.example",),
                dt.datetime(2027, 3, 31, 23, 59, tzinfo=dt.UTC),
                "accept",
                True,
            ),
            ("crisistool@samen-veilig.nl", ("arts@ziekenhuis.example",), None, "quarantine", False),
        ],
    )
    def test_exception_applies_only_when_it_should(
        self,
        sender: str,
        rcpts: tuple[str, ...],
        now: dt.datetime | None,
        action: str,
        used: bool,
    ) -> None:
        """Sender, rule, destination and expiry must all match; no clock, no exception."""
        f = dataclasses.replace(facts(finding("bsn")), now=now)
        d = decide(env(*rcpts, sender=sender), f, EXCEPTED)
        assert d.action == action
        assert bool(d.exceptions_used) is used
        if used:
            assert str(d.exceptions_used[0]) == (
                "client-data-external excepted by ISV-2026-014 (FG, until 2027-03-31)"
            )

    def test_pattern_sender(self) -> None:
        """A sender pattern like *@samen-veilig.nl covers every sender of that domain."""
        policy = dataclasses.replace(
            CONTENT_POLICY, exceptions=(dataclasses.replace(EXCEPTION, sender="*@samen-veilig.nl"),)
        )
        d = decide(
            env("arts@ziekenhuis.example", sender="x@samen-veilig.nl"),
            facts(finding("bsn")),
            policy,
        )
        assert d.action == "accept"


class TestNoticeSafety:
    def test_never_to_a_lookalike_sender(self) -> None:
        """A sender in a domain that imitates ours never gets a notice."""
        from milter.domains.lookalike import LookalikeIndex
        from milter.policy.model import Lookalikes

        policy = dataclasses.replace(
            REDIRECT,
            lookalikes=Lookalikes("flag", (), 2, LookalikeIndex(["samen-veilig.nl"])),
        )
        rd = decide_recipient(
            parse_address("c@bjzflevo.nl"),
            "smtp",
            Facts(),
            policy,
            parse_address("x@samenveilig.nl"),
        )
        assert rd.action == "reject" and rd.notify is False


class TestDelay:
    DELAYING = dataclasses.replace(
        POLICY,
        content=ContentPolicy(
            (
                ContentRule("first-bsn", DetectorCondition("bsn"), "delay", delay=600),
                ContentRule("iban-hold", DetectorCondition("iban"), "quarantine"),
            ),
            None,
            None,
        ),
    )

    def test_a_delay_holds_until_now_plus_the_window(self) -> None:
        """action delay: held (quarantine to Postfix) with the release time in a header."""
        d = decide(env("x@partner.example"), facts(finding("bsn")), self.DELAYING)
        assert d.action == "quarantine" and d.rule == "first-bsn"
        assert d.release_at == NOW + dt.timedelta(minutes=10)
        assert ("X-Postwarden-Delay-Until", "2026-11-23T12:10:00Z") in d.headers
        assert any(name == HEADER_QUARANTINE for name, _ in d.headers)

    def test_a_quarantine_outranks_a_delay(self) -> None:
        """Both rules match: the officer reviews it; no undo window runs out on its own."""
        d = decide(env("x@partner.example"), facts(finding("bsn"), finding("iban")), self.DELAYING)
        assert d.action == "quarantine" and d.rule == "iban-hold" and d.release_at is None
        assert not any(name == "X-Postwarden-Delay-Until" for name, _ in d.headers)
