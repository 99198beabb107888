"""Engine: domain_registered_within / domain_changed_within decided from RDAP facts."""

from __future__ import annotations

import dataclasses
import datetime as dt

from milter.core.engine import (
    RULE_RDAP_FAILURE,
    RULE_RDAP_UNVERIFIED,
    DomainAgeNote,
    decide,
    rdap_domains_needed,
)
from milter.domains.rdap import RdapFacts, RdapSettings
from milter.policy.model import AllOf, ContentPolicy, ContentRule, DetectorCondition, DomainAge
from tests.unit.core.test_engine import POLICY
from tests.unit.core.test_engine_rules import NOW, env, facts, finding

TODAY = NOW.date()
NEW_DOMAIN = ContentRule(
    "client-data-new-domain",
    AllOf((DetectorCondition("bsn"), DomainAge("registration", 30))),
    "quarantine",
    description="client data to a recently registered domain",
)
CHANGED = dataclasses.replace(
    NEW_DOMAIN,
    id="client-data-changed-domain",
    when=AllOf((DetectorCondition("bsn"), DomainAge("last changed", 30))),
)


def policy(*rules: ContentRule, on_failure: str = "tempfail"):  # type: ignore[no-untyped-def]
    return dataclasses.replace(
        POLICY,
        content=ContentPolicy(rules or (NEW_DOMAIN,), None, None),  # type: ignore[arg-type]
        rdap=RdapSettings("/dns.json", on_failure=on_failure),  # type: ignore[arg-type]
    )


def rdap(registered: int, changed: int | None = None, domain: str = "kliniek.example"):  # type: ignore[no-untyped-def]
    """Facts for `domain`: registered (and changed) that many days before NOW."""
    days = dt.timedelta
    return {
        domain: RdapFacts(
            domain,
            "ok",
            TODAY - days(registered),
            TODAY - days(changed) if changed is not None else None,
        )
    }


def with_rdap(answers, *found: str):  # type: ignore[no-untyped-def]
    return dataclasses.replace(facts(*(finding(d) for d in found)), rdap=answers)


def test_recently_registered_domain_is_held_with_the_rdap_facts() -> None:
    """Client data to a domain registered 12 days ago: held, the reason carries the date."""
    d = decide(env("a@mail.kliniek.example"), with_rdap(rdap(12), "bsn"), policy())
    assert d.action == "quarantine"
    when = (TODAY - dt.timedelta(days=12)).isoformat()
    assert d.reason is not None and f"kliniek.example registered {when}, 12 days ago" in d.reason
    assert d.domain_age == (
        DomainAgeNote("kliniek.example", "registration", TODAY - dt.timedelta(days=12), 12),
    )


def test_old_domain_passes() -> None:
    """A domain registered years ago is delivered; its last change does not matter here."""
    d = decide(env("a@kliniek.example"), with_rdap(rdap(4000, 3), "bsn"), policy())
    assert d.action == "accept" and d.domain_age == ()


def test_changed_within() -> None:
    """domain_changed_within: an old domain changed 3 days ago is held; one never changed
    counts its registration as its last change."""
    d = decide(env("a@kliniek.example"), with_rdap(rdap(4000, 3), "bsn"), policy(CHANGED))
    assert d.action == "quarantine" and d.reason is not None
    assert "last changed" in d.reason and "3 days ago" in d.reason
    assert (
        decide(env("a@kliniek.example"), with_rdap(rdap(4000), "bsn"), policy(CHANGED)).action
        == "accept"
    )
    assert (
        decide(env("a@kliniek.example"), with_rdap(rdap(5), "bsn"), policy(CHANGED)).action
        == "quarantine"
    )


def test_boundary_is_inclusive() -> None:
    """Registered exactly 30 days ago is within 30d; 31 days is not."""
    assert (
        decide(env("a@kliniek.example"), with_rdap(rdap(30), "bsn"), policy()).action
        == "quarantine"
    )
    assert decide(env("a@kliniek.example"), with_rdap(rdap(31), "bsn"), policy()).action == "accept"


def test_rdap_down_tempfails_by_default() -> None:
    """RDAP could not be asked: on_failure tempfail gives a 4xx with rule rdap_failure."""
    broken = {"kliniek.example": RdapFacts("kliniek.example", "error", error="RDAP HTTP 503")}
    d = decide(env("a@kliniek.example"), with_rdap(broken, "bsn"), policy())
    assert d.action == "tempfail" and d.rule == RULE_RDAP_FAILURE
    assert d.reason is not None and "RDAP HTTP 503" in d.reason


def test_rdap_down_accept_and_flag_or_treat_as_new() -> None:
    """accept_and_flag delivers with an rdap_unverified flag; treat_as_new holds."""
    broken = {"kliniek.example": RdapFacts("kliniek.example", "error", error="RDAP timed out")}
    d = decide(
        env("a@kliniek.example"), with_rdap(broken, "bsn"), policy(on_failure="accept_and_flag")
    )
    assert d.action == "accept" and RULE_RDAP_UNVERIFIED in d.rules
    d = decide(
        env("a@kliniek.example"), with_rdap(broken, "bsn"), policy(on_failure="treat_as_new")
    )
    assert d.action == "quarantine" and d.reason is not None
    assert "RDAP unavailable, treated as recently registered" in d.reason


def test_not_asked_without_client_data() -> None:
    """RDAP is asked only for mail with client data, about external registrable domains."""
    recipients = list(env("a@mail.kliniek.example", "b@samen-veilig.nl").recipients)
    content = facts(finding("bsn")).content
    assert rdap_domains_needed(recipients, content, policy()) == ["kliniek.example"]
    assert rdap_domains_needed(recipients, facts().content, policy()) == []
    assert rdap_domains_needed(recipients, content, POLICY) == []
    d = decide(env("a@kliniek.example"), with_rdap(None), policy())
    assert d.action == "accept"
