"""Engine: DNS ownership, non-existent domains, DNS trouble and lookalikes (pure)."""

from __future__ import annotations

import dataclasses

import pytest

from milter.core.address import parse_address
from milter.core.engine import (
    HEADER_FLAGS,
    RULE_DNS_FAILURE,
    RULE_DNS_UNVERIFIED,
    RULE_LOOKALIKE,
    RULE_NONEXISTENT,
    RULE_OWNERSHIP_DRIFT,
    Envelope,
    Facts,
    decide,
    decide_recipient,
)
from milter.domains.lookalike import LookalikeIndex
from milter.domains.model import DnsSettings, DomainFacts, Expectation
from milter.policy.model import Lookalikes, OwnedDomain
from tests.unit.core.test_engine import POLICY

EXPECT = Expectation(mx=("mx1.samen-veilig.nl", "mx2.samen-veilig.nl"))
DNS_POLICY = dataclasses.replace(
    POLICY,
    owned_domains=(OwnedDomain("samen-veilig.nl", EXPECT), OwnedDomain("veiligthuisutrecht.nl")),
    dns=DnsSettings(),
    lookalikes=Lookalikes(
        "quarantine",
        ("partner-veilig.nl",),
        2,
        LookalikeIndex(["samen-veilig.nl", "veiligthuisutrecht.nl"], ["partner-veilig.nl"]),
    ),
)
OURS = DomainFacts("samen-veilig.nl", "ok", ("mx1.samen-veilig.nl",), (), "ok")
MOVED = DomainFacts(
    "samen-veilig.nl",
    "drift",
    ("mx.catchall.example",),
    (),
    "MX mx.catchall.example not in expected mx1.samen-veilig.nl",
)
EXISTS = DomainFacts("partner.example", "ok", ("mx.partner.example",), (), "ok")


def rcpt(
    address: str,
    dns: dict[str, DomainFacts] | None,
    policy: object = DNS_POLICY,
    path: str = "smtp",
) -> tuple[str, str | None]:
    rd = decide_recipient(parse_address(address), path, Facts(dns=dns), policy)  # type: ignore[arg-type]
    return rd.action, rd.rule


class TestOwnership:
    @pytest.mark.parametrize(
        ("address", "dns", "expected"),
        [
            ("a@samen-veilig.nl", {"samen-veilig.nl": OURS}, ("accept", None)),
            ("a@samen-veilig.nl", {"samen-veilig.nl": MOVED}, ("reject", RULE_OWNERSHIP_DRIFT)),
            (
                "a@samen-veilig.nl",
                {"samen-veilig.nl": dataclasses.replace(MOVED, state="nxdomain")},
                ("reject", RULE_OWNERSHIP_DRIFT),
            ),
            (
                "a@team.samen-veilig.nl",
                {"samen-veilig.nl": MOVED, "team.samen-veilig.nl": OURS},
                ("reject", RULE_OWNERSHIP_DRIFT),
            ),
            ("a@veiligthuisutrecht.nl", {"veiligthuisutrecht.nl": OURS}, ("accept", None)),
            ("a@samen-veilig.nl", None, ("accept", None)),  # offline: skipped
            ("a@bjzutrecht.nl", {}, ("reject", "retired_domain")),  # retired whatever DNS says
        ],
    )
    def test_owned_domain_must_still_be_ours(
        self, address: str, dns: dict[str, DomainFacts] | None, expected: tuple[str, str | None]
    ) -> None:
        """An owned domain whose MX moved is refused; a retired one is refused regardless."""
        assert rcpt(address, dns) == expected

    def test_drift_reply_explains(self) -> None:
        """The refusal names the domain and what DNS showed."""
        rd = decide_recipient(
            parse_address("a@samen-veilig.nl"),
            "smtp",
            Facts(dns={"samen-veilig.nl": MOVED}),
            DNS_POLICY,
        )
        assert rd.reply is not None and rd.reply.code == 550
        assert "mx.catchall.example" in rd.reply.text and RULE_OWNERSHIP_DRIFT in rd.reply.text

    def test_local_path_removes(self) -> None:
        """On the local path a drifted recipient is removed."""
        assert rcpt("a@samen-veilig.nl", {"samen-veilig.nl": MOVED}, path="local") == (
            "remove",
            RULE_OWNERSHIP_DRIFT,
        )


class TestExistenceAndTrouble:
    @pytest.mark.parametrize(
        ("state", "expected"),
        [
            ("ok", ("accept", None)),
            ("nxdomain", ("reject", RULE_NONEXISTENT)),
            ("no_mail_host", ("reject", RULE_NONEXISTENT)),
            ("error", ("tempfail", RULE_DNS_FAILURE)),
        ],
    )
    def test_recipient_domain_states(self, state: str, expected: tuple[str, str | None]) -> None:
        """NXDOMAIN or no mail host: refused; DNS trouble: tempfail (policy default)."""
        facts = {"partner.example": dataclasses.replace(EXISTS, state=state, error="timeout")}
        assert rcpt("x@partner.example", facts) == expected

    def test_not_looked_up_fails_closed(self) -> None:
        """A domain the milter should have asked about but has no answer for: tempfail."""
        assert rcpt("x@partner.example", {}) == ("tempfail", RULE_DNS_FAILURE)

    def test_refuse_nonexistent_off(self) -> None:
        """With refuse_nonexistent off, existence is not checked."""
        policy = dataclasses.replace(DNS_POLICY, dns=DnsSettings(refuse_nonexistent=False))
        assert rcpt("x@partner.example", {}, policy) == ("accept", None)

    def test_accept_and_flag(self) -> None:
        """on_failure accept_and_flag: accepted, and the message is flagged."""
        policy = dataclasses.replace(DNS_POLICY, dns=DnsSettings(on_failure="accept_and_flag"))
        err = dataclasses.replace(EXISTS, state="error", error="SERVFAIL")
        env = Envelope(parse_address("a@samen-veilig.nl"), (parse_address("x@partner.example"),))
        d = decide(env, Facts(dns={"partner.example": err}), policy)
        assert d.action == "accept"
        assert d.recipients[0].rule == RULE_DNS_UNVERIFIED
        assert "dns_unverified" in dict(d.headers)[HEADER_FLAGS]

    def test_local_tempfail_holds_whole_message(self) -> None:
        """Local path: a recipient DNS cannot check tempfails the whole message (retried)."""
        env = Envelope(
            parse_address("a@samen-veilig.nl"),
            (parse_address("x@partner.example"), parse_address("y@other.example")),
            "local",
        )
        d = decide(env, Facts(dns={"partner.example": EXISTS}), DNS_POLICY)
        assert d.action == "tempfail" and d.reply is not None and d.reply.code == 451


class TestLookalikes:
    @pytest.mark.parametrize(
        ("address", "expected"),
        [
            ("x@samenveilig.nl", ("accept", RULE_LOOKALIKE)),
            ("x@samen-veilig.com", ("accept", RULE_LOOKALIKE)),
            ("x@partner-veilig.nl", ("accept", None)),
            ("x@samen-veilig.nl", ("accept", None)),
            ("x@gmail.com", ("accept", None)),
        ],
    )
    def test_noted(self, address: str, expected: tuple[str, str | None]) -> None:
        """Lookalikes are noted on the recipient; partners and owned domains are not."""
        assert rcpt(address, None) == expected

    def test_quarantine_message(self) -> None:
        """action quarantine: the message goes to the hold queue with the reason."""
        env = Envelope(parse_address("a@samen-veilig.nl"), (parse_address("x@samenveilig.nl"),))
        d = decide(env, Facts(), DNS_POLICY)
        assert d.action == "quarantine" and d.rule == RULE_LOOKALIKE
        assert d.reason is not None and "looks like our domain samen-veilig.nl" in d.reason

    def test_reject(self) -> None:
        """action reject: the recipient is refused at RCPT."""
        lk = dataclasses.replace(DNS_POLICY.lookalikes, action="reject")  # type: ignore[type-var]
        policy = dataclasses.replace(DNS_POLICY, lookalikes=lk)
        assert rcpt("x@samenveilig.nl", None, policy) == ("reject", RULE_LOOKALIKE)
