"""Real Postfix through the native milter framing (milter._native.Wire).

`postwarden serve` says which front end frames the packets (`"frontend"` in its `listening`
line); with the extension built it is the native one. Over one SMTP connection (one milter
connection, reused): a retired recipient refused at RCPT beside a delivered one, a dossier
extract held with its reason, and a body of several of the framing's batches (the BSN at its
end) held too; then ordinary mail delivered. The same run with POSTWARDEN_NATIVE=0 (the Python
framing) gives the same answers.
"""

from __future__ import annotations

import pytest

from milter.server import session as adapter
from tests.e2e.postfix import MilterFactory, PostfixFactory, Sink, SmtpSession
from tests.e2e.stack import Ports, start_postfix, start_postwarden
from tests.unit.content.native_support import require_built

require_built()

TOOL = "crisistool@samen-veilig.nl"
EXTERNAL = "jeugdarts@ziekenhuis.example"


def mail(subject: str, body: str) -> str:
    return (
        f"From: {TOOL}\nTo: {EXTERNAL}\nSubject: {subject}\n"
        f"Message-ID: <{subject}@samen-veilig.nl>\n\n{body}"
    )


@pytest.mark.parametrize("frontend", ["native", "python"])
def test_postfix_through_each_front_end(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    frontend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refusal at RCPT, two holds (one spanning several batches) and a delivery, in step on
    one connection, with the native framing and with the Python one."""
    if frontend == "python":
        monkeypatch.setenv("POSTWARDEN_NATIVE", "0")
    else:
        monkeypatch.delenv("POSTWARDEN_NATIVE", raising=False)
    ports = Ports.free()
    milter = start_postwarden(milter_factory, ports)
    assert f'"frontend": "{frontend}"' in milter.log_text()
    pf = start_postfix(postfix_factory, ports)

    line = "Gewone tekst van een lange rapportage zonder bijzonderheden.\n"
    big = line * (3 * adapter._WIRE_BATCH // len(line)) + "BSN: 101722333\n"
    with SmtpSession(pf.smtp_port) as smtp:
        refused = smtp.send(TOOL, ["a@partner.example", "b@bjzutrecht.nl"], mail("r", "Hoi.\n"))
        dossier = smtp.send(TOOL, [EXTERNAL], mail("d", "Client: J. de Vries\nBSN: 101722333\n"))
        large = smtp.send(TOOL, [EXTERNAL], mail("big", big))
        plain = smtp.send(TOOL, [EXTERNAL], mail("plain", "Tot morgen.\n"))
    assert refused.rcpt("a@partner.example").code == 250
    assert refused.rcpt("b@bjzutrecht.nl").code == 550
    assert refused.delivered and dossier.delivered and large.delivered and plain.delivered

    queue = pf.wait_queue(lambda q: sum(e["queue_name"] == "hold" for e in q) == 2, timeout=30)
    held = [pf.postcat(e["queue_id"]) for e in queue if e["queue_name"] == "hold"]
    assert all("X-Postwarden-Quarantine: client-data-external" in h for h in held)
    assert sorted("Subject: big" in h for h in held) == [False, True]
    got = sink.wait_count(2)
    assert sorted((m.rcpt_tos[0], m.header("Subject") == "r") for m in got) == [
        ("a@partner.example", True),
        (EXTERNAL, False),
    ]
