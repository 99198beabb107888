"""The session and held-mail notices: asked for after the decision is recorded, sent through a
real SMTP relay (an aiosmtpd sink), never changing the verdict."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from milter.officer.notices import Notifier
from milter.policy import Policy, load_policy_text
from milter.server.listeners import ListenSpec, MilterServer
from milter.server.session import PolicyHolder
from tests.e2e.postfix import Sink, free_port
from tests.support.milterclient import MilterClient
from tests.unit.server.test_session import Recorder

# Both front ends (conftest.py): the native framing and the Python one.
pytestmark = pytest.mark.usefixtures("frontend")

EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example.yaml"
SENDER = "j.jansen@samen-veilig.nl"


def policy_with_relay(port: int) -> Policy:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "relay: 127.0.0.1:25", f"relay: 127.0.0.1:{port}"
    )
    return load_policy_text(text, "p.yaml")


class Served:
    def __init__(self, policy: Policy) -> None:
        self.recorder = Recorder()
        self.results: list[tuple[str, str]] = []
        self.notifier = Notifier(on_kind_result=lambda k, r: self.results.append((k, r)))
        self.server = MilterServer(
            [(ListenSpec("inet", "127.0.0.1", 0), "smtp")],
            PolicyHolder(policy),
            self.recorder,
            notifier=self.notifier,
        )
        self.server.bind()
        self.address = self.server.sockets[0][0].getsockname()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def send_dossier(self, sender: str, *headers: tuple[str, str]) -> tuple[str, list[str]]:
        """A dossier to an external recipient; the final reply and the quarantine reasons."""
        with MilterClient(self.address) as c:
            c.mail(sender)
            c.rcpt("jeugdarts@ziekenhuis.example")
            for name, value in (("Subject", "Dossier 4711 gewijzigd"), *headers):
                c.header(name, value)
            c.body(b"Client: J. de Vries\r\nBSN: 101722333\r\n")
            result = c.eom()
        return result.final.cmd.decode(), result.of(b"q")

    def wait_results(self, n: int) -> list[tuple[str, str]]:
        deadline = time.monotonic() + 10
        while len(self.results) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.results)

    def close(self) -> None:
        self.server.stop()
        self.thread.join(5)
        self.notifier.close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    s.start()
    yield s
    s.stop()


class TestHeldNotices:
    def test_internal_sender_gets_the_notice(self, sink: Sink) -> None:
        """Held: the verdict is quarantine, the sender's notice arrives at the relay with the
        masked subject, and its result is counted as sent."""
        served = Served(policy_with_relay(sink.port))
        try:
            final, reasons = served.send_dossier(SENDER)
            assert final == "a" and reasons
            got = sink.wait_for(lambda m: m.rcpt_tos == [SENDER])
            alert = sink.wait_for(lambda m: m.rcpt_tos == ["fg@samen-veilig.nl"])
            assert served.wait_results(2) == [("sender_held", "sent"), ("officer_alert", "sent")]
        finally:
            served.close()
        assert got.header("X-Postwarden-Notice") == "sender-held"
        body = got.message.get_body().get_content()  # type: ignore[union-attr]
        assert "Dossier # gewijzigd" in body
        assert "101722333" not in body and "Vries" not in body
        decision, envelope = served.recorder.decisions[0]
        assert [n.kind for n in decision.notices] == ["sender_held", "officer_alert"]
        assert not envelope.automatic
        assert alert.header("X-Postwarden-Notice") == "officer-alert"

    @pytest.mark.parametrize(
        "header",
        [("Auto-Submitted", "auto-generated"), ("Precedence", "bulk"), ("Precedence", "List")],
    )
    def test_automatic_mail_is_not_answered(self, sink: Sink, header: tuple[str, str]) -> None:
        """Auto-Submitted (other than no) or Precedence bulk/list/junk: held, the sender not
        told (the officers' alert is about the rule, and still goes)."""
        served = Served(policy_with_relay(sink.port))
        try:
            final, reasons = served.send_dossier(SENDER, header)
        finally:
            served.close()
        assert final == "a" and reasons
        decision, envelope = served.recorder.decisions[0]
        assert envelope.automatic
        assert [n.kind for n in decision.notices] == ["officer_alert"]
        assert not [m for m in sink.messages if SENDER in m.rcpt_tos]

    def test_relay_down_keeps_the_verdict(self) -> None:
        """No relay listening: the message is still held; the failure is counted."""
        served = Served(policy_with_relay(free_port()))
        try:
            final, reasons = served.send_dossier(SENDER)
            assert served.wait_results(2) == [
                ("sender_held", "failed"),
                ("officer_alert", "failed"),
            ]
        finally:
            served.close()
        assert final == "a" and reasons
        assert served.recorder.errors == 0

    def test_rate_limited_per_address(self, sink: Sink) -> None:
        """More held messages than per_day in a day: the rest are counted rate_limited."""
        policy = policy_with_relay(sink.port)
        assert policy.held_notices is not None
        served = Served(policy)
        try:
            for _ in range(policy.held_notices.per_day + 1):
                served.send_dossier(SENDER)
            results = served.wait_results(2 * (policy.held_notices.per_day + 1))
        finally:
            served.close()
        assert results.count(("sender_held", "rate_limited")) == 1
        assert results.count(("sender_held", "sent")) == policy.held_notices.per_day
        assert results.count(("officer_alert", "rate_limited")) == 1  # per rule per day
