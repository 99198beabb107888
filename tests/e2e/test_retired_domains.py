"""Postwarden inside a real Postfix: retired-domain recipients, both submission paths.

The milter runs as its own process (`python -m milter serve` with policies/example.yaml);
Postfix is configured with the lines from deploy/postfix/main.cf, only the milter addresses
pointing at this test's ports.
"""

from __future__ import annotations

import grp
import os
import re
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.postfix import (
    MilterFactory,
    MilterProcess,
    PostfixFactory,
    PostfixInstance,
    Sink,
    SmtpSession,
    free_port,
    smtp_send,
)
from tests.e2e.stack import (
    POLICY,
    ROOT,
    Ports,
    deploy_main_cf,
    start_postfix,
    start_postwarden,
)

SENDER = "casetool@samen-veilig.nl"
RETIRED_TEXT = "This address no longer exists."


def message(subject: str, to: str = "a@partner.example") -> str:
    return (
        f"From: {SENDER}\nTo: {to}\nSubject: {subject}\nMessage-ID: <{subject}@samen-veilig.nl>\n"
        f"\nDit is een testbericht.\n"
    )


@dataclass
class Stack:
    postfix: PostfixInstance
    milter: MilterProcess
    sink: Sink
    ports: Ports

    def metrics(self) -> str:
        return self.ports.metrics_text()


@pytest.fixture
def stack(postfix_factory: PostfixFactory, milter_factory: MilterFactory, sink: Sink) -> Stack:
    ports = Ports.free()
    milter = start_postwarden(milter_factory, ports)
    return Stack(start_postfix(postfix_factory, ports), milter, sink, ports)


class TestSmtpPath:
    @pytest.mark.parametrize(
        "refused", ["b@bjzutrecht.nl", "B@BJZUTRECHT.NL.", "c@mail.bjzflevo.nl"]
    )
    def test_retired_recipient_refused_at_rcpt_others_delivered(
        self, stack: Stack, refused: str
    ) -> None:
        """Postfix answers 550 5.7.1 with the policy text at RCPT; the partner gets the mail."""
        result = smtp_send(
            stack.postfix.smtp_port,
            SENDER,
            ["a@partner.example", refused],
            message(f"smtp-{abs(hash(refused))}"),
        )
        assert result.rcpt("a@partner.example").code == 250
        reply = result.rcpt(refused)
        assert reply.code == 550, reply
        assert reply.text.startswith("5.7.1 " + RETIRED_TEXT)
        assert "postwarden rule retired_domain" in reply.text
        assert result.delivered
        got = stack.sink.wait_for(lambda m: m.rcpt_tos == ["a@partner.example"])
        assert got.mail_from == SENDER
        stack.postfix.wait_queue_empty()
        assert all(
            refused.lower() not in [r.lower() for r in m.rcpt_tos] for m in stack.sink.messages
        )

    def test_every_reply_belongs_to_its_command_on_one_connection(self, stack: Stack) -> None:
        """Several messages over one SMTP connection, mixed recipients: replies stay in step."""
        plan = [
            ["a1@partner.example", "b1@bjzutrecht.nl", "a2@partner.example"],
            ["c1@mail.bjzflevo.nl"],
            ["a3@partner.example"],
            ["B2@BJZUTRECHT.NL.", "a4@partner.example", "x@bjzflevo.nl"],
            ["a5@partner.example"],
        ]
        with SmtpSession(stack.postfix.smtp_port) as session:
            results = [
                session.send(SENDER, rcpts, message(f"multi-{n}")) for n, rcpts in enumerate(plan)
            ]
            assert session.command("NOOP").code == 250
        for rcpts, result in zip(plan, results, strict=True):
            for rcpt in rcpts:
                expected = 250 if rcpt.endswith("partner.example") else 550
                assert result.rcpt(rcpt).code == expected, (rcpt, result.rcpt(rcpt))
                if expected == 550:
                    assert RETIRED_TEXT in result.rcpt(rcpt).text
        assert results[1].data is None  # nobody left: no DATA
        delivered = stack.sink.wait_count(4)
        assert sorted(r for m in delivered for r in m.rcpt_tos) == [
            "a1@partner.example",
            "a2@partner.example",
            "a3@partner.example",
            "a4@partner.example",
            "a5@partner.example",
        ]


class TestLocalPath:
    def test_sendmail_removes_retired_recipient_and_adds_header(self, stack: Stack) -> None:
        """sendmail: the retired recipient is removed, the other delivered, a header names it."""
        proc = stack.postfix.sendmail(
            SENDER, ["a@partner.example", "b@bjzutrecht.nl"], message("local-mixed")
        )
        assert proc.returncode == 0, proc.stderr
        got = stack.sink.wait_for(lambda m: m.header("Subject") == "local-mixed")
        assert got.rcpt_tos == ["a@partner.example"]
        header = got.header("X-Postwarden-Removed-Recipients")
        assert header is not None and "<b@bjzutrecht.nl> (retired_domain)" in header
        stack.postfix.wait_queue_empty()
        assert len([m for m in stack.sink.messages if m.header("Subject") == "local-mixed"]) == 1

    def test_sendmail_only_retired_recipients_bounces_to_sender(self, stack: Stack) -> None:
        """sendmail to a retired domain only: refused, and the sender gets a bounce."""
        proc = stack.postfix.sendmail(SENDER, ["b@bjzutrecht.nl"], message("local-all-retired"))
        assert proc.returncode == 0, proc.stderr
        bounce = stack.sink.wait_for(lambda m: m.mail_from in ("", "<>") and m.rcpt_tos == [SENDER])
        assert b"5.7.1" in bounce.data and RETIRED_TEXT.encode() in bounce.data
        stack.postfix.wait_queue_empty()
        assert not any("b@bjzutrecht.nl" in m.rcpt_tos for m in stack.sink.messages)
        assert stack.postfix.wait_log(r"milter-reject: END-OF-MESSAGE .*5\.7\.1 ")


class TestFailClosed:
    def test_milter_down_tempfails_and_retry_after_restart_is_delivered(self, stack: Stack) -> None:
        """Milter stopped: 4xx and nothing delivered; started again: the retry goes through."""
        stack.milter.stop()
        refused = smtp_send(
            stack.postfix.smtp_port, SENDER, ["a@partner.example"], message("while-down")
        )
        assert 400 <= refused.mail.code < 500 or any(
            400 <= r.code < 500 for _, r in refused.rcpts
        ), refused
        assert not refused.delivered
        local = stack.postfix.sendmail(
            SENDER, ["a@partner.example", "b@bjzutrecht.nl"], message("local-while-down")
        )
        assert local.returncode == 0
        stack.postfix.wait_log(r"milter-reject: CONNECT .*4\.7\.1")
        assert stack.sink.messages == []
        assert any(q["queue_name"] == "maildrop" for q in stack.postfix.postqueue_json())

        stack.milter.start()
        retry = smtp_send(
            stack.postfix.smtp_port, SENDER, ["a@partner.example"], message("while-down")
        )
        assert retry.delivered
        stack.sink.wait_for(lambda m: m.header("Subject") == "while-down")
        held = stack.sink.wait_for(lambda m: m.header("Subject") == "local-while-down", timeout=20)
        assert held.rcpt_tos == ["a@partner.example"]  # still checked: b was removed
        stack.postfix.wait_queue_empty(timeout=20)


class TestMetrics:
    def test_decisions_are_counted(self, stack: Stack) -> None:
        """Refusals and decisions show up in the metrics endpoint with bounded labels."""
        smtp_send(
            stack.postfix.smtp_port,
            SENDER,
            ["a@partner.example", "b@bjzutrecht.nl"],
            message("metrics"),
        )
        stack.sink.wait_for(lambda m: m.header("Subject") == "metrics")
        text = stack.metrics()
        assert re.search(
            r'postwarden_recipients_total\{action="reject",path="smtp",'
            r'rule="retired_domain"\} 1\.0',
            text,
        ), text
        assert re.search(r'postwarden_messages_total\{action="accept",path="smtp"\} 1\.0', text)
        # Labels are bounded: policy-listed domains may appear, addresses never do.
        assert "b@bjzutrecht.nl" not in text and "partner.example" not in text


class TestUnixSockets:
    def test_postfix_reaches_the_milter_over_unix_sockets(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        request: pytest.FixtureRequest,
    ) -> None:
        """Sockets created 0660 for group postfix: both paths work over unix sockets."""
        sock_dir = Path(tempfile.mkdtemp(prefix="postwarden-sock-"))  # not under pytest's 0700 tree
        request.addfinalizer(lambda: shutil.rmtree(sock_dir, ignore_errors=True))
        os.chown(sock_dir, -1, grp.getgrnam("postfix").gr_gid)  # like /run/postwarden
        sock_dir.chmod(0o750)
        smtpd_sock, local_sock = sock_dir / "smtpd.sock", sock_dir / "local.sock"
        params = deploy_main_cf()
        params.pop("smtpd_milters"), params.pop("non_smtpd_milters")
        pf = postfix_factory(f"unix:{smtpd_sock}", f"unix:{local_sock}", **params)
        metrics_port = free_port()
        milter_factory(
            [
                sys.executable,
                "-m",
                "milter",
                "serve",
                "--policy",
                str(POLICY),
                "--listen",
                f"unix:{smtpd_sock}",
                "--listen-local",
                f"unix:{local_sock}",
                "--socket-group",
                "postfix",
                "--metrics-listen",
                f"127.0.0.1:{metrics_port}",
            ],
            [metrics_port],
            cwd=str(ROOT),
        )
        for path in (smtpd_sock, local_sock):
            st = path.stat()
            assert stat.S_IMODE(st.st_mode) == 0o660
            assert grp.getgrgid(st.st_gid).gr_name == "postfix"
        result = smtp_send(
            pf.smtp_port, SENDER, ["a@partner.example", "b@bjzutrecht.nl"], message("unix-smtp")
        )
        assert result.rcpt("b@bjzutrecht.nl").code == 550
        assert result.delivered
        proc = pf.sendmail(SENDER, ["a@partner.example", "b@bjzutrecht.nl"], message("unix-local"))
        assert proc.returncode == 0
        got = sink.wait_for(lambda m: m.header("Subject") == "unix-local")
        assert got.rcpt_tos == ["a@partner.example"]
        sink.wait_for(lambda m: m.header("Subject") == "unix-smtp")
