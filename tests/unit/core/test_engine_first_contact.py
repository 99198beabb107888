"""Engine: first_contact conditions decided from the contact history gathered before."""

from __future__ import annotations

import dataclasses

import pytest

from milter.core.engine import (
    RULE_HISTORY_FAILURE,
    RULE_HISTORY_UNVERIFIED,
    FirstContactNote,
    decide,
)
from milter.history.model import Contact, HistoryFacts, HistorySettings
from milter.policy.model import (
    AllOf,
    AnyOf,
    ContentPolicy,
    ContentRule,
    DetectorCondition,
    FirstContact,
    HeldNotices,
    Notices,
    Policy,
    ReplyText,
)
from tests.unit.core.test_engine import POLICY
from tests.unit.core.test_engine_rules import env, facts, finding

FIRST = ContentRule(
    "first-contact-client-data",
    AllOf((DetectorCondition("bsn", "high"), FirstContact("domain", "client_data"))),
    "quarantine",
    description="client data to a new recipient domain",
)


def policy(*rules: ContentRule, on_failure: str = "tempfail") -> Policy:
    settings = HistorySettings("/h.sqlite", "/h.key", on_failure)  # type: ignore[arg-type]
    return dataclasses.replace(
        POLICY,
        content=ContentPolicy(rules or (FIRST,), None, None),  # type: ignore[arg-type]
        history=settings,
        notices=Notices(
            "postmaster@samen-veilig.nl", "127.0.0.1:25", ReplyText("o", "s"), ReplyText("b", "b")
        ),
        held_notices=HeldNotices("fg@samen-veilig.nl"),
    )


def with_history(history: HistoryFacts | None, *found: str):  # type: ignore[no-untyped-def]
    return dataclasses.replace(facts(*(finding(d) for d in found)), history=history)


KNOWN_ANY = HistoryFacts(domains={"partner.example": Contact(any=True)})
KNOWN_DATA = HistoryFacts(domains={"partner.example": Contact(any=True, client_data=True)})


class TestFirstContact:
    def test_client_data_to_new_domain_is_held_with_reason(self) -> None:
        """Client data to a domain that never received any is held; the reason says it is the
        first time, and the decision and notice carry the first contact."""
        d = decide(env("x@partner.example"), with_history(HistoryFacts(), "bsn"), policy())
        assert d.action == "quarantine" and d.rule == "first-contact-client-data"
        assert d.reason is not None
        assert "first time this organisation sends client data to this domain" in d.reason
        assert "(partner.example)" in d.reason
        assert d.first_contact == (FirstContactNote("domain", "client_data", "partner.example"),)
        assert [n.kind for n in d.notices] == ["sender_held"]

    def test_known_client_data_domain_is_not_first(self) -> None:
        """A domain that received client data before is no first contact: delivered."""
        d = decide(env("x@partner.example"), with_history(KNOWN_DATA, "bsn"), policy())
        assert d.action == "accept" and d.first_contact == ()

    def test_ordinary_mail_only_still_first_for_client_data(self) -> None:
        """A domain that only ever received ordinary mail is first contact for client data,
        but not for kind any."""
        rule_any = dataclasses.replace(
            FIRST,
            id="first-contact-any",
            when=AllOf((DetectorCondition("bsn"), FirstContact("domain", "any"))),
        )
        assert decide(
            env("x@partner.example"), with_history(KNOWN_ANY, "bsn"), policy()
        ).action == ("quarantine")
        d = decide(env("x@partner.example"), with_history(KNOWN_ANY, "bsn"), policy(rule_any))
        assert d.action == "accept"

    def test_address_scope(self) -> None:
        """scope address: a known domain but a new address is first contact; the reason names
        the domain, never the address."""
        rule = dataclasses.replace(
            FIRST, when=AllOf((DetectorCondition("bsn"), FirstContact("address", "client_data")))
        )
        d = decide(env("new@partner.example"), with_history(KNOWN_DATA, "bsn"), policy(rule))
        assert d.action == "quarantine"
        assert d.reason is not None and "new@" not in d.reason
        assert "to this address (partner.example)" in d.reason
        known = HistoryFacts(addresses={"new@partner.example": Contact(True, True)})
        assert decide(
            env("New@partner.example"), with_history(known, "bsn"), policy(rule)
        ).action == ("accept")

    def test_without_client_data_nothing_happens(self) -> None:
        """No detector match: the first contact alone does not hold the mail."""
        d = decide(env("x@partner.example"), with_history(HistoryFacts()), policy())
        assert d.action == "accept" and not d.client_data

    def test_internal_recipients_are_never_first(self) -> None:
        """Mail inside the owned domains is never first contact."""
        rule = dataclasses.replace(FIRST, recipients="any")
        d = decide(env("x@samen-veilig.nl"), with_history(HistoryFacts(), "bsn"), policy(rule))
        assert d.action == "accept"

    def test_client_data_does_not_depend_on_history(self) -> None:
        """client_data (what the history records) is the detectors' verdict alone, whether or
        not the recipient is new."""
        for history in (HistoryFacts(), KNOWN_DATA):
            d = decide(env("x@partner.example"), with_history(history, "bsn"), policy())
            assert d.client_data
        rule = dataclasses.replace(
            FIRST, when=AnyOf((DetectorCondition("iban"), FirstContact("domain", "any")))
        )
        d = decide(env("x@partner.example"), with_history(HistoryFacts()), policy(rule))
        assert d.action == "quarantine" and not d.client_data

    def test_not_consulted_is_not_first(self) -> None:
        """Without history facts (postwarden check --offline) the condition is false."""
        d = decide(env("x@partner.example"), with_history(None, "bsn"), policy())
        assert d.action == "accept"


class TestHistoryFailure:
    BROKEN = HistoryFacts(error="OperationalError")

    def test_tempfail(self) -> None:
        """on_failure tempfail: a message whose first_contact condition needed the history
        waits (4xx), with its own rule id."""
        d = decide(env("x@partner.example"), with_history(self.BROKEN, "bsn"), policy())
        assert d.action == "tempfail" and d.rule == RULE_HISTORY_FAILURE
        assert d.reply is not None and 400 <= d.reply.code < 500

    def test_tempfail_only_when_needed(self) -> None:
        """Mail without client data never reaches the first_contact part: not delayed."""
        d = decide(env("x@partner.example"), with_history(self.BROKEN), policy())
        assert d.action == "accept"

    def test_accept_and_flag(self) -> None:
        """on_failure accept_and_flag: delivered, flagged history_unverified."""
        p = policy(on_failure="accept_and_flag")
        d = decide(env("x@partner.example"), with_history(self.BROKEN, "bsn"), p)
        assert d.action == "accept" and RULE_HISTORY_UNVERIFIED in d.rules
        assert any(RULE_HISTORY_UNVERIFIED in v for k, v in d.headers if k == "X-Postwarden-Flags")

    def test_treat_as_first(self) -> None:
        """on_failure treat_as_first: every external recipient is a first contact: held."""
        p = policy(on_failure="treat_as_first")
        d = decide(env("x@partner.example"), with_history(self.BROKEN, "bsn"), p)
        assert d.action == "quarantine" and d.first_contact


@pytest.mark.parametrize("scope", ["domain", "address"])
def test_literal_recipient_is_first_contact(scope: str) -> None:
    """An address literal has no history to look up: it counts as first contact."""
    rule = dataclasses.replace(
        FIRST,
        when=AllOf((DetectorCondition("bsn"), FirstContact(scope, "any"))),  # type: ignore[arg-type]
    )
    d = decide(env("x@[192.0.2.7]"), with_history(KNOWN_DATA, "bsn"), policy(rule))
    assert d.action == "quarantine"


def test_history_failure_does_not_delay_mail_without_client_data_whatever_the_order() -> None:
    """{all: [first_contact, detector]}: with the history unreadable, mail without client data
    is still delivered (the detector part is evaluated first)."""
    rule = dataclasses.replace(
        FIRST, when=AllOf((FirstContact("domain", "client_data"), DetectorCondition("bsn")))
    )
    broken = HistoryFacts(error="OperationalError")
    assert decide(env("x@partner.example"), with_history(broken), policy(rule)).action == "accept"
    d = decide(env("x@partner.example"), with_history(broken, "bsn"), policy(rule))
    assert d.action == "tempfail"
