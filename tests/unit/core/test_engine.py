"""Table-driven tests of the pure decision engine."""

from __future__ import annotations

import datetime as dt

import pytest

from milter.core.address import parse_address
from milter.core.engine import (
    HEADER_REMOVED,
    RULE_MALFORMED_RECIPIENT,
    RULE_NO_RECIPIENT_LEFT,
    RULE_RETIRED_DOMAIN,
    Envelope,
    Facts,
    decide,
    decide_recipient,
)
from milter.policy.model import OwnedDomain, Policy, ReplyText, RetiredDomain

POLICY = Policy(
    version=1,
    organisation="Samen Veilig Midden-Nederland",
    owned_domains=(OwnedDomain("samen-veilig.nl"), OwnedDomain("veiligthuisutrecht.nl")),
    retired_domains=(
        RetiredDomain(
            "bjzutrecht.nl",
            dt.date(2017, 12, 31),
            "Hoofd IM",
            ReplyText("Dit adres bestaat niet meer.", "This address is retired."),
        ),
        RetiredDomain(
            "bjzflevo.nl",
            dt.date(2018, 6, 30),
            "Hoofd IM",
            ReplyText("Dit adres bestaat niet meer (cliënt).", "This address is retired."),
        ),
    ),
    source="test-policy.yaml",
    sha256="ab" * 32,
)


def envelope(
    *rcpts: str, path: str = "smtp", sender: str = "case-tool@samen-veilig.nl"
) -> Envelope:
    return Envelope(
        parse_address(sender),
        tuple(parse_address(r) for r in rcpts),
        path,  # type: ignore[arg-type]
    )


class TestDecideRecipient:
    @pytest.mark.parametrize(
        ("rcpt", "action", "rule"),
        [
            ("<a@partner.example>", "accept", None),
            ("<b@bjzutrecht.nl>", "reject", RULE_RETIRED_DOMAIN),
            ("<B@BJZUTRECHT.NL.>", "reject", RULE_RETIRED_DOMAIN),
            ("<c@mail.bjzflevo.nl>", "reject", RULE_RETIRED_DOMAIN),
            ("<user%bjzutrecht.nl@relay.example>", "reject", RULE_RETIRED_DOMAIN),
            ("<@relay.example:user@bjzflevo.nl>", "reject", RULE_RETIRED_DOMAIN),
            ("<x@notbjzutrecht.nl>", "accept", None),
            ("<x@bjzutrecht.nl.example>", "accept", None),
            ("<x@samen-veilig.nl>", "accept", None),
            ("<no-domain>", "reject", RULE_MALFORMED_RECIPIENT),
            ("<>", "reject", RULE_MALFORMED_RECIPIENT),
        ],
    )
    def test_smtp_path(self, rcpt: str, action: str, rule: str | None) -> None:
        """Each recipient gets the action and rule id the policy calls for."""
        rd = decide_recipient(parse_address(rcpt), "smtp", Facts(), POLICY)
        assert (rd.action, rd.rule) == (action, rule)

    def test_retired_reply_carries_policy_text_rule_and_reason(self) -> None:
        """The 550 5.7.1 reply holds the policy's texts, the rule id and the reason."""
        rd = decide_recipient(parse_address("<b@bjzutrecht.nl>"), "smtp", Facts(), POLICY)
        assert rd.reply is not None
        text = str(rd.reply)
        assert text.startswith("550 5.7.1 ")
        assert "This address is retired." in text and "Dit adres bestaat niet meer." in text
        assert RULE_RETIRED_DOMAIN in text
        assert rd.reason is not None and rd.reason in text
        assert "2017-12-31" in rd.reason

    def test_subdomain_reason_names_listed_domain(self) -> None:
        """A subdomain refusal says which listed domain it falls under."""
        rd = decide_recipient(parse_address("<c@mail.bjzflevo.nl>"), "smtp", Facts(), POLICY)
        assert rd.reason == (
            "recipient domain mail.bjzflevo.nl (within bjzflevo.nl) is retired since 2018-06-30"
        )

    def test_reply_text_is_ascii(self) -> None:
        """Non-ASCII policy text is transliterated for SMTP ('cliënt' -> 'client')."""
        rd = decide_recipient(parse_address("<c@bjzflevo.nl>"), "smtp", Facts(), POLICY)
        assert rd.reply is not None
        assert "(client)" in rd.reply.text
        rd.reply.text.encode("ascii")

    def test_local_path_removes_instead_of_rejecting(self) -> None:
        """On the local path a refused recipient is removed, not rejected."""
        rd = decide_recipient(parse_address("<b@bjzutrecht.nl>"), "local", Facts(), POLICY)
        assert (rd.action, rd.rule) == ("remove", RULE_RETIRED_DOMAIN)


class TestDecide:
    @pytest.mark.parametrize(
        ("rcpts", "path", "action", "rule", "headers"),
        [
            (("<a@partner.example>",), "smtp", "accept", None, False),
            (("<a@partner.example>", "<b@bjzutrecht.nl>"), "smtp", "accept", None, False),
            (("<a@partner.example>", "<b@bjzutrecht.nl>"), "local", "accept", None, True),
            (
                ("<b@bjzutrecht.nl>", "<c@bjzflevo.nl>"),
                "smtp",
                "reject",
                RULE_NO_RECIPIENT_LEFT,
                False,
            ),
            (("<b@bjzutrecht.nl>",), "local", "reject", RULE_NO_RECIPIENT_LEFT, False),
        ],
    )
    def test_message_action(
        self, rcpts: tuple[str, ...], path: str, action: str, rule: str | None, headers: bool
    ) -> None:
        """Some refused: accepted for the rest; all refused: the message is refused."""
        d = decide(envelope(*rcpts, path=path), Facts(), POLICY)
        assert (d.action, d.rule, bool(d.headers)) == (action, rule, headers)
        assert d.policy_sha256 == POLICY.sha256

    def test_removed_header_names_removed_recipients(self) -> None:
        """The local-path header names each removed recipient and its rule."""
        d = decide(
            envelope("<a@partner.example>", "<b@bjzutrecht.nl>", path="local"), Facts(), POLICY
        )
        assert d.headers == ((HEADER_REMOVED, "<b@bjzutrecht.nl> (retired_domain)"),)

    def test_all_refused_reply_is_a_5xx_with_policy_text(self) -> None:
        """A fully refused message carries the first refusal's 5xx reply."""
        d = decide(envelope("<b@bjzutrecht.nl>", path="local"), Facts(), POLICY)
        assert d.reply is not None and d.reply.code == 550
        assert "This address is retired." in d.reply.text

    def test_rules_lists_each_rule_once(self) -> None:
        """Decision.rules lists every rule that fired, once, in order."""
        d = decide(envelope("<b@bjzutrecht.nl>", "<c@bjzflevo.nl>", "<x>"), Facts(), POLICY)
        assert d.rules == (RULE_RETIRED_DOMAIN, RULE_MALFORMED_RECIPIENT, RULE_NO_RECIPIENT_LEFT)

    def test_recipient_order_is_kept(self) -> None:
        """Recipient decisions line up with the envelope's recipients."""
        env = envelope("<a@x.example>", "<b@bjzutrecht.nl>", "<c@y.example>")
        d = decide(env, Facts(), POLICY)
        assert [rd.address for rd in d.recipients] == list(env.recipients)

    def test_pure(self) -> None:
        """The same inputs give the same decision."""
        env = envelope("<a@partner.example>", "<b@bjzutrecht.nl>", path="local")
        assert decide(env, Facts(), POLICY) == decide(env, Facts(), POLICY)
