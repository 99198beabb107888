"""`postwarden serve --workers 2` inside a real Postfix: the same verdicts as one process, one
audit chain, one /metrics with the totals, a reload that reaches every worker, a lost worker
that tempfails only its own message and is replaced, and a clean SIGTERM."""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
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
)
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix, start_postwarden
from tests.e2e.test_retired_domains import SENDER, message

PROMTOOL = "/usr/bin/promtool"


@dataclass
class Workers:
    postfix: PostfixInstance
    milter: MilterProcess
    sink: Sink
    ports: Ports
    policy: Path
    audit: Path

    def metric(self, name: str, **labels: str) -> float:
        """The value of one series on /metrics (0 when absent)."""
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        series = f"{name}{{{want}}}" if labels else name
        for line in self.ports.metrics_text().splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        return 0.0

    def records(self, kind: str) -> list[dict[str, object]]:
        lines = self.audit.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["kind"] == kind]

    def worker_pids(self) -> list[int]:
        """The supervisor's children (the workers), from /proc."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rpartition(")")[2].split()[1]) == self.milter.pid:
                    pids.append(int(entry))
        return sorted(pids)

    def owner_of_connections(self) -> dict[int, int]:
        """Worker pid -> milter connections from Postfix it holds now (TCP, SMTP path)."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as fh:
                for row in fh.readlines()[1:]:
                    fields = row.split()
                    port = int(fields[1].rpartition(":")[2], 16)
                    if port == self.ports.smtp and fields[3] == "01":  # ESTABLISHED
                        inodes.add(fields[9])
        held: dict[int, int] = {}
        for pid in self.worker_pids():
            try:
                links = [
                    os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
                ]
            except OSError:
                continue
            held[pid] = sum(1 for link in links if link[8:-1] in inodes and link[:8] == "socket:[")
        return held


def wait_until(what: Callable[[], bool], timeout: float = 20.0, why: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting: {why}")
        time.sleep(0.1)


@pytest.fixture
def workers(
    postfix_factory: PostfixFactory, milter_factory: MilterFactory, sink: Sink, tmp_path: Path
) -> Workers:
    ports = Ports.free()
    policy, audit = tmp_path / "policy.yaml", tmp_path / "audit.jsonl"
    policy.write_text(POLICY.read_text())
    milter = start_postwarden(
        milter_factory, ports, policy, "--audit-log", str(audit), "--workers", "2"
    )
    stack = Workers(start_postfix(postfix_factory, ports), milter, sink, ports, policy, audit)
    wait_until(lambda: milter.log_text().count('"worker_started"') == 2, why="both workers serving")
    assert len(stack.worker_pids()) == 2
    return stack


def held_sessions_on_both_workers(stack: Workers, sessions: ExitStack) -> list[SmtpSession]:
    """SMTP sessions held open until both workers hold at least one milter connection."""
    held: list[SmtpSession] = []
    while len(held) < 24:
        session = sessions.enter_context(SmtpSession(stack.postfix.smtp_port))
        assert session.command("NOOP").code == 250
        held.append(session)
        wait_until(
            lambda: sum(stack.owner_of_connections().values()) == len(held),
            why="Postfix's milter connection of every held session",
        )
        if len(held) >= 4 and all(stack.owner_of_connections().values()):
            return held
    pytest.fail(f"one worker took every connection: {stack.owner_of_connections()}")


class TestVerdicts:
    def test_parallel_sessions_same_verdicts_one_chain_and_totals(self, workers: Workers) -> None:
        """Dozens of messages over parallel sessions: retired recipients refused at RCPT, the
        rest delivered; both workers decided some; the audit chain verifies; /metrics totals
        equal what was sent; promtool accepts the endpoint."""

        def session(n: int) -> list[tuple[int, int]]:
            codes = []
            with SmtpSession(workers.postfix.smtp_port) as s:
                for k in range(8):
                    rcpts = [f"p{n}.{k}@partner.example", "b@bjzutrecht.nl"]
                    result = s.send(SENDER, rcpts, message(f"w{n}-{k}"))
                    codes.append((result.rcpt(rcpts[0]).code, result.rcpt(rcpts[1]).code))
                    assert result.delivered, result
            return codes

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            codes = [c for per in pool.map(session, range(6)) for c in per]
        assert codes == [(250, 550)] * 48
        workers.sink.wait_count(48, timeout=60)
        decided = [
            json.loads(line)
            for line in workers.milter.log_text().splitlines()
            if '"message_decided"' in line
        ]
        assert len(decided) == 48 and {d["worker"] for d in decided} <= {0, 1}

        wait_until(lambda: workers.metric("postwarden_milter_connections") == 0, why="closed")
        assert workers.metric("postwarden_messages_total", action="accept", path="smtp") == 48
        refused = workers.metric(
            "postwarden_recipients_total", action="reject", rule="retired_domain", path="smtp"
        )
        assert refused == 48
        assert workers.metric("postwarden_decision_duration_seconds_count", path="smtp") == 48
        assert workers.metric("postwarden_workers") == 2
        assert workers.metric("postwarden_workers_lost_total") == 0
        assert workers.metric("postwarden_audit_last_checkpoint_seq") == 1  # the start's
        assert len(workers.records("message")) == 48
        assert len(workers.records("recipient_refused")) == 48
        records = workers.audit.read_text().count("\n")
        assert workers.metric("postwarden_audit_records_total") == records
        verify = subprocess.run(
            [sys.executable, "-m", "milter", "audit", "verify", str(workers.audit)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert verify.returncode == 0 and verify.stdout.startswith(f"ok: {records} records")
        body = workers.ports.metrics_text().encode()
        check = subprocess.run(
            [PROMTOOL, "check", "metrics"], input=body, capture_output=True, timeout=30
        )
        assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), check


class TestRotation:
    def test_sigusr1_reopens_the_trail_and_the_chain_goes_on(self, workers: Workers) -> None:
        """logrotate's way (rename, SIGUSR1 to the supervisor): both workers' records go on in
        the new file, and the two files verify as one chain."""

        def send(tag: str) -> int:
            with ExitStack() as sessions:
                held = held_sessions_on_both_workers(workers, sessions)
                for n, session in enumerate(held):
                    result = session.send(SENDER, ["a@partner.example"], message(f"{tag}{n}"))
                    assert result.delivered, result
                return len(held)

        before = send("before-")
        rotated = workers.audit.with_name("audit.jsonl.1")
        workers.audit.rename(rotated)
        os.kill(workers.milter.pid or 0, signal.SIGUSR1)
        wait_until(workers.audit.exists, why="the audit file reopened")
        after = send("after-")
        assert len(workers.records("message")) == after
        assert rotated.read_text().count('"kind":"message"') == before
        verify = subprocess.run(
            [sys.executable, "-m", "milter", "audit", "verify", str(rotated), str(workers.audit)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert verify.returncode == 0 and verify.stdout.startswith("ok:"), verify
        assert workers.records("checkpoint")[0]["reason"] == "reopen"


class TestReload:
    def test_sighup_reaches_every_connection_and_a_broken_file_is_refused_once(
        self, workers: Workers
    ) -> None:
        """A policy change applies on connections held by both workers (one 'ok' record); a
        broken save is refused once (one record, one count), and the old policy keeps running
        in both workers."""

        def code(session: SmtpSession, rcpt: str) -> int:
            result = session.send(SENDER, [rcpt], message("reload"))
            return result.rcpt(rcpt).code

        with ExitStack() as sessions:
            held = held_sessions_on_both_workers(workers, sessions)
            assert [code(s, "c@bjzflevo.nl") for s in held] == [550] * len(held)

            text = workers.policy.read_text()
            start = text.index("  - domain: bjzflevo.nl")
            workers.policy.write_text(text[:start] + text[text.index("\n\n", start) + 2 :])
            os.kill(workers.milter.pid or 0, signal.SIGHUP)
            wait_until(lambda: "policy_sent_to_workers" in workers.milter.log_text(), why="reload")
            assert '"workers": 2' in next(
                line
                for line in workers.milter.log_text().splitlines()
                if "policy_sent_to_workers" in line
            )
            assert [code(s, "c@bjzflevo.nl") for s in held] == [250] * len(held)
            ok = [r for r in workers.records("policy_reload") if r["result"] == "ok"]
            assert len(ok) == 1

            broken = workers.policy.read_text().replace("retired_domains:", "retired_domain:")
            workers.policy.write_text(broken)
            wait_until(
                lambda: any(r["result"] == "refused" for r in workers.records("policy_reload")),
                why="the broken policy refused",
            )
            time.sleep(5)  # the file watch (2 s) and every worker had time to repeat it
            refused = [r for r in workers.records("policy_reload") if r["result"] == "refused"]
            assert len(refused) == 1
            assert workers.metric("postwarden_policy_reloads_total", result="refused") == 1
            assert workers.metric("postwarden_policy_last_reload_successful") == 0
            assert len(re.findall(r'"policy_sent_to_workers"', workers.milter.log_text())) == 1
            assert [code(s, "b@bjzutrecht.nl") for s in held] == [550] * len(held)
            assert [code(s, "c@bjzflevo.nl") for s in held] == [250] * len(held)


class TestLostWorker:
    def test_sigkill_tempfails_its_message_then_a_replacement_serves(
        self, workers: Workers
    ) -> None:
        """SIGKILL of the worker holding a message in flight: Postfix tempfails that message
        (never accepts it), the supervisor counts the loss and starts a replacement, and later
        mail flows; SIGTERM then stops everything with exit 0."""
        with SmtpSession(workers.postfix.smtp_port) as session:
            assert session.command("MAIL", f"FROM:<{SENDER}>").code == 250
            assert session.command("RCPT", "TO:<a@partner.example>").code == 250
            assert session.command("DATA").code == 354
            owners = workers.owner_of_connections()
            victim = next(pid for pid, held in owners.items() if held)
            os.kill(victim, signal.SIGKILL)
            session.smtp.send(b"Subject: lost\r\n\r\nDit is een testbericht.\r\n.\r\n")
            code, _text = session.smtp.getreply()
            assert 400 <= code < 500
        wait_until(lambda: workers.metric("postwarden_workers_lost_total") == 1, why="counted")
        wait_until(
            lambda: len(workers.worker_pids()) == 2 and victim not in workers.worker_pids(),
            why="a replacement worker",
        )
        wait_until(
            lambda: workers.milter.log_text().count('"worker_started"') == 3,
            why="the replacement serving",
        )
        assert '"worker_lost"' in workers.milter.log_text()
        assert "signal SIGKILL" in workers.milter.log_text()
        assert workers.sink.messages == []
        assert workers.records("message") == []

        with ExitStack() as sessions:
            held = held_sessions_on_both_workers(workers, sessions)
            for n, session in enumerate(held):
                result = session.send(SENDER, ["a@partner.example"], message(f"after-{n}"))
                assert result.delivered, result
        workers.sink.wait_count(len(held))
        assert workers.metric("postwarden_messages_total", action="accept", path="smtp") == len(
            held
        )

        pids = workers.worker_pids()
        proc = workers.milter.proc
        assert proc is not None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]
        assert workers.records("checkpoint")[-1]["reason"] == "stop"
