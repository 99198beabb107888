"""The e2e harness itself, against a real Postfix and no milter under test."""

from __future__ import annotations

import sys

import pytest

from tests.e2e.postfix import (
    MilterFactory,
    PostfixFactory,
    Reply,
    Sink,
    SmtpSession,
    free_port,
    smtp_send,
)

MESSAGE = "From: a@example.org\nSubject: {subject}\n\nhello\n.leading dot\n"


def test_smtp_message_reaches_sink(postfix_factory: PostfixFactory, sink: Sink) -> None:
    """A message sent over SMTP arrives at the sink with the same envelope and body."""
    pf = postfix_factory("", "")
    assert pf.check_output == ""  # `postfix check` has no warnings for the generated config
    result = smtp_send(
        pf.smtp_port,
        "a@example.org",
        ["b@example.com", "C@Example.NET"],
        MESSAGE.format(subject="smtp"),
    )
    assert result.mail.code == 250
    assert [reply.code for _, reply in result.rcpts] == [250, 250]
    assert result.data_cmd is not None and result.data_cmd.code == 354
    assert result.delivered and result.rset is None
    got = sink.wait_for(lambda m: m.header("Subject") == "smtp")
    assert got.mail_from == "a@example.org"
    assert got.rcpt_tos == ["b@example.com", "C@Example.NET"]
    assert got.data.endswith(b"\r\nhello\r\n.leading dot\r\n")
    pf.wait_queue_empty()


def test_sendmail_message_reaches_sink(postfix_factory: PostfixFactory, sink: Sink) -> None:
    """A local sendmail submission goes through pickup and arrives at the sink."""
    pf = postfix_factory("", "")
    proc = pf.sendmail("local@example.org", ["x@example.com"], MESSAGE.format(subject="local"))
    assert proc.returncode == 0, proc.stderr
    got = sink.wait_for(lambda m: m.header("Subject") == "local")
    assert (got.mail_from, got.rcpt_tos) == ("local@example.org", ["x@example.com"])
    assert pf.wait_log(r"postfix/pickup\[\d+\]: \w+: uid=0 from=<local@example.org>")


def test_replies_belong_to_their_commands_on_one_connection(
    postfix_factory: PostfixFactory, sink: Sink
) -> None:
    """On a reused connection each MAIL/RCPT/DATA reply is reported for its own command."""
    pf = postfix_factory(
        "",
        "",
        smtpd_recipient_restrictions="check_recipient_access inline:{no@example.com=REJECT},"
        " permit_mynetworks, reject_unauth_destination",
    )
    with SmtpSession(pf.smtp_port) as session:
        first = session.send(
            "a@example.org", ["yes@example.com", "no@example.com"], "Subject: 1\n\n1\n"
        )
        refused = session.send("a@example.org", ["no@example.com"], "Subject: 2\n\n2\n")
        third = session.send("a@example.org", ["yes@example.com"], "Subject: 3\n\n3\n")
        assert session.command("NOOP").code == 250
    assert first.rcpt("yes@example.com").code == 250
    assert first.rcpt("no@example.com").code == 554
    assert "Recipient address rejected" in first.rcpt("no@example.com").text
    assert first.delivered and first.accepted == ["yes@example.com"]
    assert refused.data is None and refused.rset is not None and refused.rset.code == 250
    assert third.delivered
    messages = sink.wait_count(2)
    assert sorted(m.header("Subject") or "" for m in messages) == ["1", "3"]


def test_unreachable_smtpd_milter_tempfails(postfix_factory: PostfixFactory, sink: Sink) -> None:
    """With milter_default_action=tempfail and no milter listening, SMTP mail gets 451."""
    pf = postfix_factory(free_port(), "")
    result = smtp_send(pf.smtp_port, "a@example.org", ["b@example.com"], "Subject: x\n\nx\n")
    assert result.mail == Reply(451, "4.7.1 Service unavailable - try again later")
    assert not result.delivered
    pf.wait_log(r"milter-reject: MAIL from localhost\[127\.0\.0\.1\]: 451 4\.7\.1")
    assert pf.postqueue_json() == []
    assert sink.messages == []


def test_unreachable_local_milter_keeps_mail_in_maildrop(
    postfix_factory: PostfixFactory, sink: Sink
) -> None:
    """A sendmail submission waits in maildrop while its milter is down, then goes out."""
    pf = postfix_factory("", free_port())
    assert pf.sendmail("a@example.org", ["b@example.com"], "Subject: held\n\nx\n").returncode == 0
    pf.wait_log(r"milter-reject: CONNECT from localhost\[127\.0\.0\.1\]: 4\.7\.1", count=2)
    [queued] = pf.postqueue_json()
    assert queued["queue_name"] == "maildrop"
    assert queued["sender"] == "a@example.org"
    assert [r["address"] for r in queued["recipients"]] == ["b@example.com"]
    assert sink.messages == []
    pf.set_milters(non_smtpd="")
    pf.flush()
    assert sink.wait_for(lambda m: m.header("Subject") == "held").rcpt_tos == ["b@example.com"]
    pf.wait_queue_empty()


def test_deferred_mail_is_visible_and_flushable(
    postfix_factory: PostfixFactory, sink: Sink
) -> None:
    """postqueue_json/postcat show deferred mail; set_params + flush then delivers it."""
    pf = postfix_factory("", "", relayhost=f"[127.0.0.1]:{free_port()}")
    result = smtp_send(pf.smtp_port, "a@example.org", ["b@example.com"], "Subject: later\n\nx\n")
    queue_id = result.data.text.rsplit(" ", 1)[-1] if result.data else ""
    [queued] = pf.wait_queue(lambda queue: [m["queue_name"] for m in queue] == ["deferred"])
    assert queued["queue_id"] == queue_id
    assert "Connection refused" in queued["recipients"][0]["delay_reason"]
    assert "Subject: later" in pf.postcat(queue_id)
    pf.set_params({"relayhost": f"[127.0.0.1]:{sink.port}"})
    pf.flush()
    sink.wait_for(lambda m: m.header("Subject") == "later")
    pf.wait_queue_empty()


def test_milter_process_lifecycle(milter_factory: MilterFactory) -> None:
    """MilterProcess waits for its ports, restarts, and reports early exits with its log."""
    ports = [free_port(), free_port()]
    listener = (
        "import socket, sys, time\n"
        "socks = [socket.create_server(('127.0.0.1', int(p))) for p in sys.argv[1:]]\n"
        "print('listening', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = milter_factory([sys.executable, "-c", listener, *map(str, ports)], ports)
    first_pid = proc.pid
    proc.restart()
    assert proc.pid != first_pid
    assert proc.log_text().splitlines().count("listening") == 2
    proc.kill()
    with pytest.raises(RuntimeError, match=r"(?s)exited with 3 .*boom"):
        milter_factory(
            [sys.executable, "-c", "print('boom', flush=True); raise SystemExit(3)"], ports
        )
