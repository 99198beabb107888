"""Hangs and slowness (issue 8, point 2): a stalled milter never lets mail through unchecked.

(a) With Postfix's milter timeouts shortened to 2 s (deploy/postfix/main.cf sets them, with
    ``milter_default_action = tempfail``), a Postwarden daemon frozen with SIGSTOP — before a
    session, in the middle of a message, or while local submissions arrive — costs the SMTP
    client a 4xx and the local sender a wait: nothing reaches the sink until the daemon runs
    again, and then every message is checked.
(b) The adapter closes a milter connection that stays idle past its idle timeout (patched
    down in-process from 300 s).
(c) The adapter's own per-message time budget: a slow decision answers tempfail before
    Postfix's timeouts fire.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
import structlog

from milter.domains.gather import DnsGatherer
from milter.server import session as adapter
from tests.e2e.postfix import PostfixInstance, Sink, SmtpSession, smtp_send
from tests.reliability.conversations import SENDER, negotiate_packet, packet
from tests.reliability.inprocess import InProcessMilter, LeakWatch, running_milter
from tests.reliability.lab import Lab, deploy_main_cf
from tests.reliability.service import MilterService
from tests.support.milterclient import MilterClient

SHORT_TIMEOUTS = {
    "milter_connect_timeout": "2s",
    "milter_command_timeout": "2s",
    "milter_content_timeout": "2s",
}
TIMEOUT_S = 2.0
SLACK_S = 3.0
T = TypeVar("T")


def message(subject: str, to: str = "a@partner.example") -> str:
    return (
        f"From: {SENDER}\nTo: {to}\nSubject: {subject}\n"
        f"Message-ID: <{subject}@samen-veilig.nl>\n\nEen gewoon bericht.\n"
    )


def seconds(text: str) -> float:
    """A Postfix time value such as 30s, 2m or 1h, in seconds."""
    match = re.fullmatch(r"(\d+)([smhdw]?)", text.strip())
    assert match, text
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]
    return int(match.group(1)) * unit


@dataclass
class Stack:
    postfix: PostfixInstance
    milter: MilterService
    sink: Sink

    def delivered(self, subject: str) -> list[str]:
        """Recipients of every delivery of ``subject`` so far."""
        return [r for m in self.sink.messages if m.header("Subject") == subject for r in m.rcpt_tos]


@pytest.fixture(scope="module")
def module_stack(module_lab: Lab) -> Stack:
    milter = module_lab.milter()
    return Stack(module_lab.postfix(milter, **SHORT_TIMEOUTS), milter, module_lab.sink)


@pytest.fixture
def stack(module_stack: Stack) -> Iterator[Stack]:
    """The module's Postfix and daemon, running, with an empty queue afterwards."""
    yield module_stack
    module_stack.milter.thaw()
    module_stack.postfix.wait_queue_empty(timeout=30)


class TestDeployedTimeouts:
    def test_deploy_fails_closed_with_explicit_timeouts(self) -> None:
        """deploy/ sets tempfail as default action and every milter timeout explicitly."""
        params = deploy_main_cf()
        assert params["milter_default_action"] == "tempfail"
        connect, command, content = (
            seconds(params[f"milter_{name}_timeout"]) for name in ("connect", "command", "content")
        )
        # Long enough for a DNS budget and a big attachment, short enough that a hung
        # milter costs a client minutes, not Postfix's default hour.
        assert 1 <= connect <= 30 and 10 <= command <= 60 and 30 <= content <= 300


@pytest.mark.e2e
class TestFrozenMilter:
    def test_frozen_before_the_session_tempfails_mail(self, stack: Stack) -> None:
        """Daemon stopped before the session: MAIL or RCPT gets 4xx; nothing is delivered."""
        stack.milter.freeze()
        try:
            started = time.monotonic()
            result = smtp_send(
                stack.postfix.smtp_port, SENDER, ["a@partner.example"], message("frozen-at-connect")
            )
            elapsed = time.monotonic() - started
        finally:
            stack.milter.thaw()
        codes = [result.mail.code, *(r.code for _, r in result.rcpts)]
        assert any(400 <= code < 500 for code in codes), result
        assert not result.delivered
        assert elapsed < 3 * TIMEOUT_S + SLACK_S
        retry = smtp_send(
            stack.postfix.smtp_port, SENDER, ["a@partner.example"], message("frozen-at-connect")
        )
        assert retry.delivered
        stack.postfix.wait_queue_empty(timeout=15)
        assert stack.delivered("frozen-at-connect") == ["a@partner.example"]

    def test_frozen_mid_message_tempfails_end_of_data(self, stack: Stack) -> None:
        """Daemon stopped after DATA: end-of-data gets 4xx within the content timeout."""
        with SmtpSession(stack.postfix.smtp_port) as session:
            assert session.command("MAIL", f"FROM:<{SENDER}>").code == 250
            assert session.command("RCPT", "TO:<a@partner.example>").code == 250
            assert session.command("RCPT", "TO:<b@bjzutrecht.nl>").code == 550
            assert session.command("DATA").code == 354
            stack.milter.freeze()
            try:
                started = time.monotonic()
                session.smtp.send(
                    message("frozen-mid-message").replace("\n", "\r\n").encode() + b".\r\n"
                )
                code, text = session.smtp.getreply()
                elapsed = time.monotonic() - started
            finally:
                stack.milter.thaw()
        assert 400 <= code < 500, (code, text)
        assert elapsed < TIMEOUT_S + SLACK_S
        time.sleep(1.0)
        assert stack.delivered("frozen-mid-message") == []
        assert stack.postfix.postqueue_json() == []  # refused, not queued unchecked
        assert stack.postfix.wait_log(r"milter .*(timed out|timeout)", timeout=5)

    def test_local_submissions_wait_while_frozen_and_are_checked_after(self, stack: Stack) -> None:
        """sendmail while the daemon is stopped: held in Postfix, then delivered checked."""
        stack.milter.freeze()
        try:
            proc = stack.postfix.sendmail(
                SENDER, ["a@partner.example", "b@bjzutrecht.nl"], message("frozen-local")
            )
            assert proc.returncode == 0, proc.stderr
            time.sleep(TIMEOUT_S + 2.0)
            assert stack.delivered("frozen-local") == []
            assert stack.postfix.postqueue_json() != []
        finally:
            stack.milter.thaw()
        stack.sink.wait_for(lambda m: m.header("Subject") == "frozen-local", timeout=30)
        stack.postfix.wait_queue_empty(timeout=30)
        assert stack.delivered("frozen-local") == ["a@partner.example"]


@pytest.fixture
def quick_idle(monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessMilter]:
    monkeypatch.setattr(adapter, "_IDLE_TIMEOUT_S", 0.5)
    with LeakWatch().installed(), running_milter() as milter:
        yield milter


def closed_within(sock: socket.socket, timeout: float) -> bool:
    """True if the peer closes ``sock`` within ``timeout`` seconds (replies are skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except OSError:
            return True
    return False


class TestIdleConnections:
    def test_idle_connection_is_closed(self, quick_idle: InProcessMilter) -> None:
        """A negotiated connection with no traffic is closed after the idle timeout."""
        with (
            structlog.testing.capture_logs() as events,
            socket.create_connection(quick_idle.smtp, timeout=5) as sock,
        ):
            sock.sendall(negotiate_packet())
            started = time.monotonic()
            assert closed_within(sock, 3.0)
            assert 0.4 <= time.monotonic() - started < 2.0
        assert "milter_connection_idle_closed" in [e["event"] for e in events]
        assert quick_idle.wait_idle() == 0

    def test_idle_mid_message_is_closed_without_a_verdict(
        self, quick_idle: InProcessMilter
    ) -> None:
        """Idle after MAIL and RCPT: closed, and nothing was accepted."""
        with MilterClient(quick_idle.smtp, timeout=5) as client:
            client.mail(SENDER)
            client.rcpt("a@partner.example")
            assert closed_within(client.sock, 3.0)

    def test_a_busy_connection_stays_open(self, quick_idle: InProcessMilter) -> None:
        """Commands arriving more often than the idle timeout keep the connection open."""
        with MilterClient(quick_idle.smtp, timeout=5) as client:
            for n in range(8):
                time.sleep(0.3)
                client.mail(f"s{n}@samen-veilig.nl")  # no reply (SMFIP_NR_MAIL)
                assert client.rcpt("b@bjzutrecht.nl").cmd == b"y"
                client.abort()

    def test_a_dribbled_packet_is_cut_off(self, quick_idle: InProcessMilter) -> None:
        """A packet must arrive whole within the idle timeout, not one byte now and then."""
        data = negotiate_packet() + packet(b"M", b"<" + b"x" * 40 + b"@partner.example>\0")
        with socket.create_connection(quick_idle.smtp, timeout=5) as sock:
            sock.sendall(data[:17])
            sock.recv(64)
            closed = False
            for byte in data[17:27]:  # 3 s of dribbling, six idle timeouts
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                if closed_within(sock, 0.3):
                    closed = True
                    break
        assert closed, "a packet dribbled a byte every 0.3 s was not cut off within 3 s"


BUDGET_S = 1.0
STALL_S = 3.0


@pytest.fixture
def budgeted(monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessMilter]:
    """An in-process milter whose per-event budget is 1 s."""
    monkeypatch.setattr(adapter, "_MESSAGE_BUDGET_S", BUDGET_S)
    with LeakWatch().installed(), running_milter() as milter:
        yield milter


def stalling(original: Callable[..., T]) -> Callable[..., T]:
    """``original``, but only after STALL_S seconds (a hung DNS lookup, a huge attachment)."""

    def slow(*args: object, **kwargs: object) -> T:
        time.sleep(STALL_S)
        return original(*args, **kwargs)

    return slow


class TestMessageBudget:
    def test_slow_decision_at_end_of_message_tempfails_within_budget(
        self, budgeted: InProcessMilter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A decision that stalls past the budget is answered with 4xx, in time."""
        monkeypatch.setattr(adapter, "decide", stalling(adapter.decide))
        with MilterClient(budgeted.smtp, timeout=10) as client:
            client.mail(SENDER)
            client.rcpt("a@partner.example")
            started = time.monotonic()
            final = client.eom().final
            elapsed = time.monotonic() - started
        assert final.cmd == b"y" and final.text.startswith("4"), final
        assert elapsed < BUDGET_S + 0.5

    def test_after_an_overrun_the_connection_stays_in_step(
        self, budgeted: InProcessMilter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The overrun message gets one 4xx (from the watchdog); when the stalled decision
        ends, its late reply is dropped, so the next message on the connection gets its own
        verdict, not the previous one's; the overrun counts as one internal error."""
        original = adapter.decide
        calls: list[int] = []

        def first_stalls(*args: object, **kwargs: object) -> object:
            calls.append(1)
            if len(calls) == 1:
                time.sleep(STALL_S)
            return original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(adapter, "decide", first_stalls)
        with MilterClient(budgeted.smtp, timeout=10) as client:
            client.mail(SENDER)
            client.rcpt("a@partner.example")
            final = client.eom().final
            assert final.cmd == b"y" and final.text.startswith("4"), final
            client.mail(SENDER)  # read by the session only once the stall is over
            reply = client.rcpt("b@bjzutrecht.nl")
            assert reply is not None and reply.cmd == b"y" and reply.text.startswith("5")
            assert client.rcpt("c@partner.example").cmd == b"c"
            assert client.eom().final.cmd == b"a"
        assert budgeted.observer.calls["internal_error"] == 1

    def test_slow_recipient_check_tempfails_within_budget(
        self, budgeted: InProcessMilter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A recipient check whose DNS lookup stalls past the budget is answered with 4xx, in
        time (checks that need no DNS query are pure and run without the budget's worker)."""
        monkeypatch.setattr(DnsGatherer, "answered", lambda *_: False)
        monkeypatch.setattr(DnsGatherer, "gather", stalling(DnsGatherer.gather))
        with MilterClient(budgeted.smtp, timeout=10) as client:
            client.mail(SENDER)
            started = time.monotonic()
            reply = client.rcpt("a@partner.example")
            elapsed = time.monotonic() - started
        assert reply is not None and reply.cmd == b"y" and reply.text.startswith("4"), reply
        assert elapsed < BUDGET_S + 0.5

    def test_budget_ends_before_postfix_gives_up(self) -> None:
        """The adapter's per-event budget is shorter than deploy/'s milter_command_timeout."""
        budget: float = adapter._MESSAGE_BUDGET_S
        assert budget < seconds(deploy_main_cf()["milter_command_timeout"])
