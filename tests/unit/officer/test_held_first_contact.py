"""Held-mail notices name the first contact and the RDAP facts that held the message (nl, en),
with the recipient's domain only."""

from __future__ import annotations

import dataclasses
import datetime as dt

from milter.core.engine import decide
from milter.history.model import HistoryFacts
from milter.officer.held import held_message, render_held
from tests.unit.core import test_engine_domain_age as age
from tests.unit.core import test_engine_first_contact as first
from tests.unit.core.test_engine_rules import NOW, env

ORG = "Samen Veilig Midden-Nederland"


def body(decision, rcpt: str) -> str:  # type: ignore[no-untyped-def]
    held = held_message(decision, env(rcpt), decision.rule, ORG, "fg@samen-veilig.nl", None, NOW)
    msg = render_held(held, "tool@samen-veilig.nl", "postmaster@samen-veilig.nl", NOW)
    return str(msg.get_body().get_content())  # type: ignore[union-attr]


def test_first_contact_line() -> None:
    """The notice says, in both languages, that this is the first time client data goes to
    this domain, naming the domain and never the address."""
    d = decide(
        env("jan@partner.example"), first.with_history(HistoryFacts(), "bsn"), first.policy()
    )
    text = body(d, "jan@partner.example")
    assert (
        f"Eerste contact: {ORG} stuurt voor het eerst cliëntgegevens naar dit domein "
        "(partner.example)." in text
    )
    assert (
        "First contact: the first time this organisation sends client data to this domain "
        "(partner.example)." in text
    )
    assert "jan@" not in text


def test_domain_age_line() -> None:
    """The notice carries the RDAP facts: registered when, how many days ago."""
    d = decide(env("a@kliniek.example"), age.with_rdap(age.rdap(12), "bsn"), age.policy())
    when = (NOW.date() - dt.timedelta(days=12)).isoformat()
    text = body(d, "a@kliniek.example")
    assert f"Domein:       kliniek.example is geregistreerd op {when}, 12 dagen geleden." in text
    assert f"Domain:       kliniek.example registered {when}, 12 days ago." in text
    treated = dataclasses.replace(age.policy(on_failure="treat_as_new"))
    broken = {"kliniek.example": age.RdapFacts("kliniek.example", "error", error="RDAP timed out")}
    d = decide(env("a@kliniek.example"), age.with_rdap(broken, "bsn"), treated)
    assert "registered unknown (RDAP unavailable)." in body(d, "a@kliniek.example")
