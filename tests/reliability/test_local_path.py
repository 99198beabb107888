"""Local submissions (sendmail) to retired domains in every spelling Postfix accepts.

On the local path Postfix forbids refusing a recipient at RCPT, so Postwarden removes it at end
of message with delrcpt. Postfix's cleanup shows the milter the recipient after its own
rewriting (trailing dot stripped, bang path and source route turned into user@domain) but
matches delrcpt against the recipient as it was submitted: a delrcpt naming only the rewritten
form silently misses and the mail goes out to the retired domain. Found by the crash test; the
adapter now also names the trailing-dot and bang-path spellings. A source route
(``@relay:user@domain``) cannot be reconstructed by the milter: the queue manager's transport
table generated from the policy (deploy/postfix/master.cf) bounces it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.e2e.postfix import PostfixInstance, Sink
from tests.reliability.conversations import SENDER, is_retired
from tests.reliability.lab import Lab

pytestmark = pytest.mark.e2e


@dataclass
class LocalStack:
    postfix: PostfixInstance
    sink: Sink


@pytest.fixture(scope="module")
def local(module_lab: Lab) -> Iterator[LocalStack]:
    milter = module_lab.milter()
    yield LocalStack(module_lab.postfix(milter), module_lab.sink)


@pytest.mark.parametrize(
    "spelling",
    [
        "b@bjzutrecht.nl",
        "B@BJZUTRECHT.NL",
        "c@mail.bjzflevo.nl",
        '"b"@bjzutrecht.nl',
        "b%bjzutrecht.nl@localhost",
        pytest.param("b@bjzutrecht.nl.", id="trailing-dot"),
        pytest.param("bjzutrecht.nl!b", id="bang-path"),
        pytest.param("@relay.example:b@bjzutrecht.nl", id="source-route"),
    ],
)
class TestSendmailToRetiredDomain:
    def test_only_the_allowed_recipient_gets_the_message(
        self, local: LocalStack, spelling: str
    ) -> None:
        """sendmail to a partner and a retired-domain spelling: the partner gets it once, no
        address in a retired domain gets it."""
        subject = f"local {spelling}"
        proc = local.postfix.sendmail(
            SENDER,
            ["a@partner.example", spelling],
            f"From: {SENDER}\nSubject: {subject}\nMessage-ID: <{abs(hash(spelling))}@sv.nl>\n"
            "\nEen gewoon bericht.\n",
        )
        assert proc.returncode == 0, proc.stderr
        local.sink.wait_for(lambda m: m.header("Subject") == subject, timeout=30)
        local.postfix.wait_queue_empty(timeout=30)
        got = [r for m in local.sink.messages if m.header("Subject") == subject for r in m.rcpt_tos]
        assert got.count("a@partner.example") == 1
        assert [r for r in got if is_retired(r)] == []
