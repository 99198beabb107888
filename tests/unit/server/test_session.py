"""The milter adapter, driven over a real socket by a protocol-level milter client."""

from __future__ import annotations

import dataclasses
import email
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from milter.content.findings import OcrUse
from milter.core.engine import Decision, Envelope, RecipientDecision, SubmissionPath
from milter.protocol import codec
from milter.server import listeners, watchdog
from milter.server import session as adapter
from milter.server.listeners import ListenSpec, MilterServer
from milter.server.session import PolicyHolder
from tests.support.milterclient import EomResult, MilterClient, packet
from tests.unit.content.native_support import require_built
from tests.unit.core.test_engine import POLICY

require_built()
# Every test here runs with both front ends (conftest.py): the native framing and the Python one.
pytestmark = pytest.mark.usefixtures("frontend")


@dataclass
class Recorder:
    decisions: list[tuple[Decision, Envelope]] = field(default_factory=list)
    refusals: list[RecipientDecision] = field(default_factory=list)
    errors: int = 0

    message_ids: list[str | None] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    ocr: list[OcrUse] = field(default_factory=list)

    def decision(
        self, decision: Decision, envelope: Envelope, message_id: str | None = None
    ) -> None:
        self.decisions.append((decision, envelope))
        self.message_ids.append(message_id)

    def recipient_refused(
        self,
        refusal: RecipientDecision,
        queue_id: str | None,
        sender: object = None,
        policy_sha256: str | None = None,
        client: str | None = None,
    ) -> None:
        self.refusals.append(refusal)

    def internal_error(self, path: SubmissionPath) -> None:
        self.errors += 1

    def decision_seconds(self, path: SubmissionPath, seconds: float) -> None:
        self.durations.append(seconds)

    def ocr_used(self, use: OcrUse) -> None:
        self.ocr.append(use)


@dataclass
class Running:
    server: MilterServer
    recorder: Recorder
    smtp: tuple[str, int]
    local: tuple[str, int]


@pytest.fixture
def running() -> Iterator[Running]:
    recorder = Recorder()
    server = MilterServer(
        [
            (ListenSpec("inet", "127.0.0.1", 0), "smtp"),
            (ListenSpec("inet", "127.0.0.1", 0), "local"),
        ],
        PolicyHolder(POLICY),
        recorder,
    )
    server.bind()
    smtp, local = (s.getsockname() for s, _, _ in server.sockets)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Running(server, recorder, smtp, local)
    server.stop()
    thread.join(5)
    server.drain(2)


MACROS = {"i": "4Xyz123ABC", "{mail_addr}": "tool@samen-veilig.nl"}


class TestNegotiation:
    def test_asks_only_for_the_events_it_uses(self, running: Running) -> None:
        """No connect or HELO events; headers and body chunks need no reply (round trips)."""
        with MilterClient(running.smtp) as c:
            for flag in (codec.P_NOCONNECT, codec.P_NOHELO, codec.P_NR_HDR, codec.P_NR_BODY):
                assert c.milter_protocol & flag
            assert not c.milter_protocol & (codec.P_NOHDRS | codec.P_NOBODY)

    def test_mail_needs_no_reply(self, running: Running) -> None:
        """MAIL always continues, so Postfix is told not to wait for its reply."""
        with MilterClient(running.smtp) as c:
            assert c.milter_protocol & codec.P_NR_MAIL

    def test_an_mta_without_no_reply_flags_gets_every_reply(self, running: Running) -> None:
        """Offered no NR_* flags (protocol 2), MAIL, headers and body chunks are answered."""
        c = MilterClient(running.smtp)
        try:
            c.negotiate(version=2, protocol=0x7F)
            assert c.milter_protocol & (codec.P_NR_MAIL | codec.P_NR_HDR | codec.P_NR_BODY) == 0
            assert c.mail("s@samen-veilig.nl").cmd == b"c"
            assert c.rcpt("a@partner.example").cmd == b"c"
            assert c.header("Subject", "hallo").cmd == b"c"
            assert c.body(b"Tekst.\r\n").cmd == b"c"
            assert c.eom().final.cmd == b"a"
        finally:
            c.close()


class TestSmtpPath:
    def test_retired_recipient_refused_at_rcpt(self, running: Running) -> None:
        """RCPT to a retired domain gets one 550 5.7.1 reply with the policy text."""
        with MilterClient(running.smtp) as c:
            assert c.mail("tool@samen-veilig.nl", MACROS) is None  # no reply: codec.P_NR_MAIL
            assert c.rcpt("a@partner.example").cmd == b"c"
            reply = c.rcpt("b@bjzutrecht.nl", esmtp="NOTIFY=NEVER")
            assert reply.cmd == b"y"
            assert reply.text.startswith("550 5.7.1 This address is retired.")
            assert "retired_domain" in reply.text
            result = c.eom({"i": "4Xyz123ABC"})
            assert result.final.cmd == b"a" and result.actions == []
        assert [r.rule for r in running.recorder.refusals] == ["retired_domain"]
        decision, envelope = running.recorder.decisions[0]
        assert decision.action == "accept" and envelope.queue_id == "4Xyz123ABC"
        assert [str(a) for a in envelope.recipients] == ["a@partner.example"]

    def test_replies_stay_in_step_over_several_messages(self, running: Running) -> None:
        """On a reused connection every reply belongs to its own command (upstream issue #14)."""
        with MilterClient(running.smtp) as c:
            for n in range(5):
                assert c.mail(f"s{n}@samen-veilig.nl") is None
                assert c.rcpt(f"x{n}@bjzutrecht.nl").cmd == b"y"
                assert c.rcpt(f"a{n}@partner.example").cmd == b"c"
                assert c.rcpt(f"c{n}@mail.bjzflevo.nl").cmd == b"y"
                assert c.eom().final.cmd == b"a"
        assert len(running.recorder.decisions) == 5
        assert len(running.recorder.refusals) == 10

    def test_abort_resets_the_message(self, running: Running) -> None:
        """After ABORT the next message starts clean."""
        with MilterClient(running.smtp) as c:
            c.mail("s@samen-veilig.nl")
            c.rcpt("a@partner.example")
            c.abort()
            c.mail("s@samen-veilig.nl")
            c.rcpt("z@partner.example")
            assert c.eom().final.cmd == b"a"
        _, envelope = running.recorder.decisions[-1]
        assert [str(a) for a in envelope.recipients] == ["z@partner.example"]


class TestLocalPath:
    def test_refused_recipient_removed_and_named_in_header(self, running: Running) -> None:
        """Local submissions: delrcpt with the address as Postfix gave it, plus a header."""
        with MilterClient(running.local) as c:
            c.mail("root@samen-veilig.nl")
            assert c.rcpt("a@partner.example").cmd == b"c"
            assert c.rcpt("B@BJZUTRECHT.NL.").cmd == b"c"
            result = c.eom()
        # As Postfix gave it, plus the spellings its rewriting may have hidden from us.
        assert result.of(b"-") == ["<B@BJZUTRECHT.NL.>", "B@BJZUTRECHT.NL.", "BJZUTRECHT.NL!B"]
        headers = result.of(b"h")
        assert len(headers) == 1 and headers[0].startswith("X-Postwarden-Removed-Recipients\0")
        assert "bjzutrecht.nl" in headers[0] and "retired_domain" in headers[0]
        assert result.final.cmd == b"a"

    def test_all_recipients_refused_rejects_message(self, running: Running) -> None:
        """Local submission with only refused recipients: a 550 at end of message."""
        with MilterClient(running.local) as c:
            c.mail("root@samen-veilig.nl")
            c.rcpt("b@bjzutrecht.nl")
            result = c.eom()
        assert result.final.cmd == b"y" and result.final.text.startswith("550 5.7.1")
        assert result.of(b"-") == []


class TestFailClosed:
    def test_exception_in_engine_tempfails(
        self, running: Running, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An error inside the decision is a tempfail, never an accept."""

        def broken(*_: object) -> Decision:
            raise RuntimeError("boom")

        monkeypatch.setattr(adapter, "decide", broken)
        with MilterClient(running.smtp) as c:
            c.mail("s@samen-veilig.nl")
            c.rcpt("a@partner.example")
            final = c.eom().final
        assert final.cmd == b"y" and final.text.startswith("451 4.3.0")
        assert "boom" not in final.text
        assert running.recorder.errors == 1

    def test_error_at_rcpt_on_local_path_tempfails_message(
        self, running: Running, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Local path: an error at RCPT (where no refusal is allowed) tempfails at the end."""
        monkeypatch.setattr(adapter, "parse_address", lambda _raw: 1 / 0)
        with MilterClient(running.local) as c:
            c.mail("s@samen-veilig.nl")
            c.rcpt("a@partner.example")
            final = c.eom().final
        assert final.cmd == b"y" and final.text.startswith("451")

    def test_garbage_closes_connection_and_server_survives(self, running: Running) -> None:
        """A malformed packet ends that connection; the server keeps serving others."""
        with MilterClient(running.smtp) as c:
            c.send_raw(packet(b"Z", b"nonsense"))
            with pytest.raises((ConnectionError, OSError)):
                for _ in range(3):
                    c.read()
        with MilterClient(running.smtp) as c:
            c.mail("s@samen-veilig.nl")
            assert c.rcpt("b@bjzutrecht.nl").cmd == b"y"

    def test_error_at_mail_tempfails_the_first_rcpt(
        self, running: Running, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """MAIL gets no reply (NR_MAIL): an error there makes RCPT and end of message 4xx,
        and is counted as one internal error."""
        real = adapter.parse_address
        monkeypatch.setattr(
            adapter, "parse_address", lambda raw: 1 / 0 if b"samen" in raw else real(raw)
        )
        with MilterClient(running.smtp) as c:
            assert c.mail("s@samen-veilig.nl") is None
            reply = c.rcpt("a@partner.example")
            assert reply.cmd == b"y" and reply.text.startswith("451 4.3.0")
            assert c.eom().final.text.startswith("451")
        assert running.recorder.decisions == []
        assert running.recorder.errors == 1  # one error, counted once

    def test_decisions_needing_no_dns_or_scan_arm_no_budget(
        self, running: Running, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """RCPT and end of message with nothing that can stall are decided without arming
        the budget's watchdog."""

        def no_budget(*_: object) -> None:
            raise AssertionError("budget armed")

        monkeypatch.setattr(watchdog.WATCHDOG, "arm", no_budget)
        with MilterClient(running.smtp) as c:
            c.mail("s@samen-veilig.nl")
            assert c.rcpt("a@partner.example").cmd == b"c"
            assert c.rcpt("b@bjzutrecht.nl").cmd == b"y"
            assert c.eom().final.cmd == b"a"
        assert running.recorder.errors == 0

    @pytest.mark.parametrize("action", ["reject", "tempfail", "bounce"])
    def test_decision_without_its_reply_or_unknown_tempfails(
        self, running: Running, monkeypatch: pytest.MonkeyPatch, action: str
    ) -> None:
        """A decision that slipped past its type (a refusal without its reply, an action the
        adapter does not know) is answered with tempfail and counted, never accepted."""
        real = adapter.decide

        def tampered(*args: Any) -> Decision:
            decision = real(*args)
            object.__setattr__(decision, "action", action)
            object.__setattr__(decision, "reply", None)
            return decision

        monkeypatch.setattr(adapter, "decide", tampered)
        with MilterClient(running.smtp) as c:
            c.mail("s@samen-veilig.nl")
            c.rcpt("a@partner.example")
            final = c.eom().final
        assert final.cmd == b"y" and final.text.startswith("451 4.3.0")
        assert running.recorder.errors == 1

    def test_eom_without_mail_tempfails(self, running: Running) -> None:
        """An end of message with no message state is a tempfail."""
        with MilterClient(running.smtp) as c:
            assert c.eom().final.text.startswith("451")


class TestListeners:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("inet:127.0.0.1:10027", ListenSpec("inet", "127.0.0.1", 10027)),
            ("inet:[::1]:10027", ListenSpec("inet", "::1", 10027)),
            ("inet6:[::1]:10027", ListenSpec("inet", "::1", 10027)),
            (
                "unix:/run/postwarden/smtpd.sock",
                ListenSpec("unix", path="/run/postwarden/smtpd.sock"),
            ),
        ],
    )
    def test_parse(self, text: str, expected: ListenSpec) -> None:
        """Socket specs in Postfix's notation are understood."""
        assert ListenSpec.parse(text) == expected

    @pytest.mark.parametrize(
        "text",
        ["inet:127.0.0.1", "inet::10027", "tcp:1.2.3.4:5", "unix:", "inet:h:99999", "inet:h:x"],
    )
    def test_parse_refuses(self, text: str) -> None:
        """Bad socket specs are refused with a clear error."""
        with pytest.raises(listeners.ListenSpecError):
            ListenSpec.parse(text)

    def test_unix_socket_mode_and_ipv6(self, tmp_path: os.PathLike[str]) -> None:
        """A unix socket is created 0660; an IPv6 loopback listener works."""
        path = os.path.join(tmp_path, "m.sock")
        recorder = Recorder()
        server = MilterServer(
            [(ListenSpec("unix", path=path), "smtp"), (ListenSpec("inet", "::1", 0), "local")],
            PolicyHolder(POLICY),
            recorder,
        )
        server.bind()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
            with MilterClient(path) as c:
                c.mail("s@samen-veilig.nl")
                assert c.rcpt("b@bjzutrecht.nl").cmd == b"y"
            v6 = server.sockets[1][0].getsockname()
            with socket.create_connection(v6[:2], timeout=5) as s:
                assert s.family == socket.AF_INET6
        finally:
            server.stop()
            thread.join(5)
        assert not os.path.exists(path)


class TestPolicySnapshot:
    def test_message_keeps_the_policy_it_started_with(self) -> None:
        """A policy swapped mid-message applies from the next message on."""
        holder = PolicyHolder(POLICY)
        server = MilterServer([(ListenSpec("inet", "127.0.0.1", 0), "smtp")], holder, Recorder())
        server.bind()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        relaxed = dataclasses.replace(POLICY, retired_domains=(), sha256="cd" * 32)
        try:
            with MilterClient(server.sockets[0][0].getsockname()) as c:
                c.mail("s@samen-veilig.nl")
                assert c.rcpt("a@partner.example").cmd == b"c"  # MAIL has been handled
                holder.replace(relaxed)
                assert c.rcpt("b@bjzutrecht.nl").cmd == b"y"  # old snapshot still in force
                assert c.eom().final.cmd == b"a"
                c.mail("s@samen-veilig.nl")
                assert c.rcpt("b@bjzutrecht.nl").cmd == b"c"  # next message: new policy
        finally:
            server.stop()
            thread.join(5)


class TestContentPath:
    @staticmethod
    def _send(
        sender: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[EomResult, Recorder]:
        """One message to jeugdarts@ziekenhuis.example through a milter server with
        policies/example.yaml: (the end-of-message result, what the session reported)."""
        from milter.policy import load_policy

        policy = load_policy(
            os.path.join(os.path.dirname(__file__), "../../../policies/example.yaml")
        )
        recorder = Recorder()
        server = MilterServer(
            [(ListenSpec("inet", "127.0.0.1", 0), "smtp")], PolicyHolder(policy), recorder
        )
        server.bind()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with MilterClient(server.sockets[0][0].getsockname()) as c:
                c.mail(sender)
                c.rcpt("jeugdarts@ziekenhuis.example")
                for name, value in headers:
                    c.header(name, value)
                c.body(body)
                return c.eom(), recorder
        finally:
            server.stop()
            thread.join(5)

    def test_headers_and_body_are_scanned_and_quarantined(self) -> None:
        """A dossier extract to extern: scanned from header and body events, quarantined."""
        result, recorder = self._send(
            "crisistool@samen-veilig.nl",
            [("Message-ID", "<dossier-1@samen-veilig.nl>"), ("Subject", "Dossier gewijzigd")],
            b"Client: J. de Vries\r\nBSN: 101722333\r\n",
        )
        assert result.final.cmd == b"a"
        assert result.of(b"q") and "client-data-external" in result.of(b"q")[0]
        assert any(h.startswith("X-Postwarden-Quarantine\0") for h in result.of(b"h"))
        decision, _ = recorder.decisions[0]
        assert decision.action == "quarantine" and decision.client_data
        assert recorder.message_ids == ["<dossier-1@samen-veilig.nl>"]
        assert len(recorder.durations) == 1 and recorder.durations[0] > 0
        assert recorder.ocr == []  # no image: nothing for the OCR metrics

    def test_ocr_use_is_reported(self) -> None:
        """A screenshot to extern is read by OCR, and the session reports what that cost."""
        from tests.unit.content.ocr_images import encode, mail, screenshot

        raw = mail((encode(screenshot(), "PNG"), "image/png", "scan.png")).replace(b"\n", b"\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        fields = email.message_from_bytes(head + b"\r\n\r\n").items()
        result, recorder = self._send(
            "j.jansen@samen-veilig.nl", [(name, str(value)) for name, value in fields], body
        )
        assert result.of(b"q")  # the BSN in the screenshot holds it
        assert len(recorder.ocr) == 1 and recorder.ocr[0].recognised == 1
        assert recorder.ocr[0].seconds > 0 and not recorder.ocr[0].out_of_time


class _Wire:
    """Stands in for the connection socket: keeps what the session sends."""

    family = socket.AF_UNIX

    def __init__(self) -> None:
        self.sent = b""

    def sendall(self, data: bytes) -> None:
        self.sent += data


def _session() -> tuple[adapter.MilterSession, _Wire]:
    wire = _Wire()
    session = adapter.MilterSession(wire, "smtp", PolicyHolder(POLICY), Recorder())  # type: ignore[arg-type]
    return session, wire


NEGOTIATE = packet(
    b"O", (6).to_bytes(4, "big") + (0x1FF).to_bytes(4, "big") + (0x1FFFFF).to_bytes(4, "big")
)


class TestFraming:
    def test_packets_split_anywhere_give_the_same_replies(self) -> None:
        """A stream fed one byte at a time is answered exactly as when fed whole."""
        stream = NEGOTIATE + b"".join(
            [
                packet(b"M", b"<s@samen-veilig.nl>\0"),
                packet(b"R", b"<b@bjzutrecht.nl>\0NOTIFY=NEVER\0"),
                packet(b"R", b"<a@partner.example>\0"),
                packet(b"L", b"Subject\0hallo\0"),
                packet(b"B", b"Tekst.\r\n"),
                packet(b"E"),
            ]
        )
        whole, whole_wire = _session()
        whole.feed(stream)
        dribbled, dribbled_wire = _session()
        for at in range(len(stream)):
            dribbled.feed(stream[at : at + 1])
        assert whole_wire.sent == dribbled_wire.sent
        assert whole_wire.sent.count(b"550 5.7.1") == 1 and whole_wire.sent.endswith(b"\0\0\0\1a")

    def test_oversized_length_is_refused_before_buffering(self) -> None:
        """A header declaring more than _MAX_PACKET raises at once; nothing is kept."""
        session, _ = _session()
        session.feed(NEGOTIATE)
        with pytest.raises(codec.ProtocolError):
            session.feed((codec.MAX_PACKET + 1).to_bytes(4, "big") + b"B" + b"x" * 100)

    @pytest.mark.parametrize(
        "bad",
        [
            packet(b"Z", b"x"),
            packet(b""),
            packet(b"L", b"no-nul"),
            packet(b"L", b"a\0b\0c\0"),
            packet(b"O", b"short"),
        ],
        ids=["unknown", "empty", "header-without-nul", "header-extra-field", "short-optneg"],
    )
    def test_malformed_packets_are_protocol_errors(self, bad: bytes) -> None:
        """Packets Postfix never sends raise ProtocolError (serve() then closes)."""
        session, _ = _session()
        session.feed(NEGOTIATE)
        with pytest.raises(codec.ProtocolError):
            session.feed(bad)

    def test_macros_apply_only_to_their_own_stage(self) -> None:
        """The queue id in an RCPT-stage macro packet is not taken as MAIL's."""
        session, _ = _session()
        session.feed(NEGOTIATE + packet(b"D", b"Ri\x004QWRONG\0") + packet(b"M", b"<s@x.nl>\0"))
        assert session._msg is not None and session._msg.queue_id is None
        session.feed(packet(b"D", b"Mi\x004QRIGHT\0{mail_addr}\0t@samen-veilig.nl\0"))
        session.feed(packet(b"M", b"<s@x.nl>\0"))
        assert session._msg is not None and session._msg.queue_id == "4QRIGHT"
        assert str(session._msg.sender) == "t@samen-veilig.nl"


class TestDrain:
    @staticmethod
    def drain_in_background(server: MilterServer, grace_s: float) -> threading.Thread:
        server.stop()
        thread = threading.Thread(target=server.drain, args=(grace_s,), daemon=True)
        thread.start()
        return thread

    def test_connection_between_messages_is_closed_at_once(self, running: Running) -> None:
        """At shutdown an idle connection (Postfix keeps one per session) is closed, not waited
        for until the grace period ends."""
        with MilterClient(running.smtp) as c:
            started = time.monotonic()
            drain = self.drain_in_background(running.server, 10.0)
            with pytest.raises(ConnectionError):
                c.read()
            drain.join(5)
            assert not drain.is_alive()
            assert time.monotonic() - started < 5.0

    def test_message_in_flight_is_decided_then_closed(self, running: Running) -> None:
        """A message begun before shutdown still gets its verdict; then the connection closes
        and the drain ends well inside the grace period."""
        with MilterClient(running.smtp) as c:
            c.mail("tool@samen-veilig.nl", MACROS)
            assert c.rcpt("a@partner.example").cmd == b"c"
            started = time.monotonic()
            drain = self.drain_in_background(running.server, 10.0)
            time.sleep(0.3)  # the drain is looking at a connection with a message in flight
            assert drain.is_alive()
            c.header("Subject", "hallo")
            c.body(b"Tekst.\r\n")
            assert c.eom().final.cmd == b"a"
            with pytest.raises(ConnectionError):
                c.read()
            drain.join(5)
            assert not drain.is_alive()
            assert time.monotonic() - started < 5.0
