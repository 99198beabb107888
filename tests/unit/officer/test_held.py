"""Tests for milter.officer.held: what a notice about held mail says, and what it never says."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import pytest

from milter.core.address import parse_address
from milter.core.engine import Decision, Envelope, Facts, decide
from milter.officer.held import held_message, mask_subject, render_alert, render_held
from milter.policy import Policy, load_policy_text
from tests.support.noticetext import without_identifiers

EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example.yaml"
BSN = "101722333"  # passes the 11-proef (not one of the well-known test numbers)
IBAN = "NL91ABNA0417164300"
BIRTH = "12-03-2015"
SUBJECT = f"Dossier Jan de Vries BSN {BSN} geboren {BIRTH}"
BODY = (
    f"Beste collega,\n\nHierbij het dossier van de cliënt Jan de Vries, BSN {BSN}, geboren "
    f"{BIRTH}, rekening {IBAN}. Crisisplaatsing vandaag.\n"
)
NOW = dt.datetime(2026, 12, 7, 13, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def policy() -> Policy:
    loaded = load_policy_text(EXAMPLE.read_bytes(), str(EXAMPLE))
    assert loaded.held_notices is not None  # the example tells senders and officers
    return loaded


def held_decision(policy: Policy) -> tuple[Decision, Envelope]:
    assert policy.content is not None
    raw = (
        f"From: jan@samen-veilig.nl\r\nTo: x@partner.example\r\nSubject: {SUBJECT}\r\n\r\n"
        + BODY.replace("\n", "\r\n")
    ).encode()
    content = policy.content.scanner.scan_message(raw)
    envelope = Envelope(
        parse_address("jan@samen-veilig.nl"),
        (parse_address("x@partner.example"), parse_address("y@ziekenhuis.example")),
        "smtp",
        "4dQk7x1ZbVz3",
    )
    decision = decide(envelope, Facts(content=content, now=NOW), policy)
    assert decision.action == "quarantine"
    return decision, envelope


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body()
    assert body is not None
    return "\n".join(f"{k}: {v}" for k, v in msg.items()) + "\n" + body.get_content()


def assert_no_client_data(text: str) -> None:
    """No value, and no four of its digits in a row (the scanner's own samples keep four of a
    BSN), in the notice; no text of the body."""
    flat = without_identifiers(text).replace("-", "").replace(" ", "")
    for value in (BSN, IBAN[4:], BIRTH.replace("-", "")):
        for i in range(len(value) - 3):
            assert value[i : i + 4] not in flat, value[i : i + 4]
    for word in ("Beste collega", "Crisisplaatsing vandaag", "rekening"):
        assert word not in text


class TestMaskSubject:
    @pytest.mark.parametrize(
        ("raw", "masked"),
        [
            ("Dossier 12345", "Dossier #"),
            (SUBJECT, "Dossier Jan de Vries ..."),
            ("Verslag  casusoverleg\t3 juni", "Verslag casusoverleg # juni"),
            ("vraag van ouder@example.nl over 12-03-2015", "vraag van [adres] over ..."),
            ("=?utf-8?q?Cli=C3=ABnt_123456789?=", "Cliënt #"),
            ("x" * 80, "x" * 40 + " ..."),
            ("", None),
            ("   ", None),
            (None, None),
        ],
    )
    def test_first_words_digits_masked(self, raw: str | None, masked: str | None) -> None:
        """Four words at most, every digit run '#', addresses hidden, 40 characters at most."""
        assert mask_subject(raw) == masked


class TestSenderNotice:
    def test_says_which_message_why_and_how_to_ask(self, policy: Policy) -> None:
        """The notice names the date, the recipients' domains, the masked subject, the rule
        and its description, the findings counted, the officers' address and the queue id."""
        decision, envelope = held_decision(policy)
        about = held_message(
            decision,
            envelope,
            "client-data-external",
            policy.organisation,
            "fg@samen-veilig.nl",
            SUBJECT,
            NOW,
        )
        text = text_of(render_held(about, "jan@samen-veilig.nl", "postmaster@samen-veilig.nl", NOW))
        for expected in (
            "2026-12-07 13:05 UTC",
            "partner.example, ziekenhuis.example",
            "Dossier Jan de Vries ...",
            "client-data-external",
            "client data in plain text",
            "bsn: 1",
            "fg@samen-veilig.nl",
            "4dQk7x1ZbVz3",
            "Auto-Submitted: auto-replied",
            "X-Postwarden-Notice: sender-held",
            "To: jan@samen-veilig.nl",
            "Uw bericht is niet verzonden",
            "Your message was not sent",
        ):
            assert expected in text, expected
        assert "x@partner.example" not in text  # domains only, never the addresses

    def test_carries_no_client_data(self, policy: Policy) -> None:
        """No digits of the BSN, IBAN or date of birth and no body text, in either language."""
        decision, envelope = held_decision(policy)
        about = held_message(
            decision,
            envelope,
            "client-data-external",
            policy.organisation,
            "fg@samen-veilig.nl",
            SUBJECT,
            NOW,
        )
        msg = render_held(about, "jan@samen-veilig.nl", "postmaster@samen-veilig.nl", NOW)
        assert {f.detector for f in about.findings} >= {"bsn", "iban", "date_of_birth"}
        assert_no_client_data(text_of(msg))

    def test_samples_keep_their_shape_only(self, policy: Policy) -> None:
        """A sample shows the kind of value (NL** ****...), every digit masked."""
        decision, envelope = held_decision(policy)
        about = held_message(
            decision,
            envelope,
            "client-data-external",
            policy.organisation,
            "fg@samen-veilig.nl",
            SUBJECT,
            NOW,
        )
        samples = [s for f in about.findings for s in f.samples]
        assert samples
        assert not any(c.isdigit() for s in samples for c in s)
        assert "NL** **** **** **** **" in samples


class TestOfficerAlert:
    def test_alert_names_rule_sender_queue_and_domains(self, policy: Policy) -> None:
        """The alert: rule, queue id, sender, recipients' domains, masked findings; no subject."""
        decision, envelope = held_decision(policy)
        about = held_message(
            decision,
            envelope,
            "client-data-external",
            policy.organisation,
            "fg@samen-veilig.nl",
            None,
            NOW,
        )
        text = text_of(render_alert(about, "fg@samen-veilig.nl", "postmaster@samen-veilig.nl", NOW))
        for expected in (
            "client-data-external",
            "4dQk7x1ZbVz3",
            "jan@samen-veilig.nl",
            "partner.example, ziekenhuis.example",
            "X-Postwarden-Notice: officer-alert",
            "postwarden quarantine show 4dQk7x1ZbVz3",
        ):
            assert expected in text, expected
        assert "Dossier" not in text
        assert_no_client_data(text)
