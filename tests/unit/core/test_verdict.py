"""Typed SMTP replies: the wrong code class cannot be built."""

from __future__ import annotations

import pytest

from milter.core.address import parse_address
from milter.core.engine import Decision, MessageAction, RecipientAction, RecipientDecision
from milter.core.verdict import INTERNAL_ERROR, SmtpReply, reject, smtp_safe, tempfail


class TestSmtpReply:
    @pytest.mark.parametrize(
        ("code", "status"),
        [
            (550, "4.7.1"),
            (451, "5.7.1"),
            (250, "2.0.0"),
            (600, "5.0.0"),
            (550, "5.7"),
            (550, "x.7.1"),
        ],
    )
    def test_mismatched_code_and_status_refused(self, code: int, status: str) -> None:
        """A code and enhanced status of different classes cannot be combined."""
        with pytest.raises(ValueError):
            SmtpReply(code, status, "text")

    def test_unsafe_text_refused(self) -> None:
        """Reply text with a line break cannot be constructed directly."""
        with pytest.raises(ValueError):
            SmtpReply(550, "5.7.1", "one\r\n250 two")

    def test_reject_and_tempfail_kinds(self) -> None:
        """reject() is 5xx, tempfail() is 4xx, each with its kind."""
        assert reject("no").kind == "reject" and str(reject("no")) == "550 5.7.1 no"
        assert tempfail("later").kind == "tempfail" and tempfail("later").code == 451
        with pytest.raises(ValueError):
            reject("x", "4.7.1", 451)
        with pytest.raises(ValueError):
            tempfail("x", "5.7.1", 550)

    def test_internal_error_says_nothing_internal(self) -> None:
        """The internal-error reply is a 4xx with a fixed text."""
        assert INTERNAL_ERROR.code == 451 and INTERNAL_ERROR.status.startswith("4.")


class TestSmtpSafe:
    def test_folds_to_one_ascii_line(self) -> None:
        """Accents stripped, whitespace folded, control characters and % dropped."""
        assert smtp_safe("cliënt\r\n  dossier\t100%\x00") == "client dossier 100"

    def test_limit(self) -> None:
        """Text is cut at the limit."""
        assert len(smtp_safe("a" * 1000, limit=10)) == 10


class TestDecisionTypes:
    """A refusal cannot be built without the reply Postfix is to be given."""

    @pytest.mark.parametrize("action", ["reject", "tempfail"])
    def test_message_refusal_needs_its_reply(self, action: MessageAction) -> None:
        """Decision(reject|tempfail) without a reply raises; with the wrong class too."""
        with pytest.raises(ValueError):
            Decision(action, (), "0" * 64, "smtp")
        wrong = tempfail("later") if action == "reject" else reject("no")
        with pytest.raises(ValueError):
            Decision(action, (), "0" * 64, "smtp", reply=wrong)

    def test_accept_carries_no_reply(self) -> None:
        """An accept or quarantine with a reply is refused (a reply would be a refusal)."""
        with pytest.raises(ValueError):
            Decision("accept", (), "0" * 64, "smtp", reply=reject("no"))

    @pytest.mark.parametrize("action", ["reject", "remove", "tempfail"])
    def test_recipient_refusal_needs_its_reply(self, action: RecipientAction) -> None:
        """A refused, removed or delayed recipient carries the reply it is told."""
        address = parse_address("a@bjzutrecht.nl")
        with pytest.raises(ValueError):
            RecipientDecision(address, action)

    def test_valid_decisions_build(self) -> None:
        """The ordinary shapes still build."""
        address = parse_address("a@bjzutrecht.nl")
        RecipientDecision(address, "reject", "r", "why", reject("gone"))
        RecipientDecision(address, "tempfail", "r", "why", tempfail("later"))
        Decision("reject", (), "0" * 64, "smtp", reply=reject("no"))
        Decision("quarantine", (), "0" * 64, "smtp")
