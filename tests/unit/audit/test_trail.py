"""The audit trail's writer: the hash chain, rotation, restarts, checkpoints, failed writes,
and a milter whose every decision has its record and none holds client data."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
from prometheus_client import CollectorRegistry, generate_latest

from milter.audit.records import GENESIS, message_id_hash, reload_fields
from milter.audit.trail import AuditError, AuditLog
from milter.audit.verify import verify
from milter.core.engine import Facts, decide
from milter.metrics.registry import Metrics
from milter.policy import load_policy
from milter.server.daemon import DecisionLog
from milter.server.listeners import ListenSpec, MilterServer
from milter.server.session import PolicyHolder
from tests.support.milterclient import MilterClient
from tests.support.ports import free_port
from tests.unit.audit.helpers import POLICY, ROOT, SENDER, envelope, lines, records, sha, trail

CORPUS = ROOT / "tests" / "corpus"
CONTENT_RULES = """
content:
  rules:
    - id: client-data-external
      when:
        any:
          - {detector: bsn}
          - {detector: iban}
          - {detector: date_of_birth}
          - {detector: phone_nl}
          - {detector: postcode}
          - {detector: case_keywords}
      recipients: external
      action: quarantine
      mode: enforce
"""


@dataclass
class MetricsSpy:
    written: int = 0
    failed: int = 0
    checkpoints: list[tuple[int, float, str]] = field(default_factory=list)

    def audit_record_written(self, count: int = 1) -> None:
        self.written += count

    def audit_write_failed(self) -> None:
        self.failed += 1

    def audit_checkpoint(self, seq: int, when: float, head: str) -> None:
        self.checkpoints.append((seq, when, head))


class TestAuditLog:
    def test_file_is_created_0640_whatever_the_umask(self, tmp_path: Path) -> None:
        """A new audit file is mode 0640 even under umask 000."""
        old = os.umask(0)
        try:
            trail(tmp_path / "audit.jsonl").close()
        finally:
            os.umask(old)
        assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o640

    def test_records_form_a_hash_chain(self, tmp_path: Path) -> None:
        """seq counts up from 1; each prev is the sha256 of the previous line's bytes."""
        path = tmp_path / "audit.jsonl"
        log = trail(path)
        for n in range(3):
            log.record("test", {"n": n})
        log.close()
        raw = lines(path)
        docs = [json.loads(line) for line in raw]
        assert [d["seq"] for d in docs] == [1, 2, 3, 4, 5]
        assert [d["kind"] for d in docs] == ["checkpoint", "test", "test", "test", "checkpoint"]
        assert docs[0]["prev"] == GENESIS
        for before, doc in zip(raw, docs[1:], strict=False):
            assert doc["prev"] == sha(before)
        assert list(docs[1])[:4] == ["seq", "time", "kind", "node"]
        assert list(docs[1])[-1] == "prev" and docs[1]["node"] == "mx1"
        assert log.head.hash == sha(raw[-1]) and log.head.seq == 5

    def test_restart_continues_the_chain(self, tmp_path: Path) -> None:
        """A new process recovers the head from the file's last line."""
        path = tmp_path / "audit.jsonl"
        first = trail(path)
        first.record("test", {"n": 1})
        first.close()
        last = lines(path)[-1]
        second = trail(path)
        second.close()
        docs = records(path)
        assert docs[3]["seq"] == 4 and docs[3]["prev"] == sha(last)
        assert verify([str(path)]).ok

    def test_reopen_carries_the_chain_into_the_new_file(self, tmp_path: Path) -> None:
        """After the file is renamed and reopened, the new file links to the old one's tail."""
        path = tmp_path / "audit.jsonl"
        log = trail(path)
        log.record("test", {"n": 1})
        path.rename(tmp_path / "audit.jsonl.1")
        log.reopen()
        log.record("test", {"n": 2})
        log.close()
        old, new = lines(tmp_path / "audit.jsonl.1"), records(path)
        assert new[0]["kind"] == "checkpoint" and new[0]["reason"] == "reopen"
        assert new[0]["prev"] == sha(old[-1]) and new[0]["seq"] == 3
        assert verify([str(tmp_path / "audit.jsonl.1"), str(path)]).ok

    def test_restart_after_rotation_recovers_from_the_rotated_file(self, tmp_path: Path) -> None:
        """logrotate left an empty file: the head comes from FILE.1."""
        path = tmp_path / "audit.jsonl"
        trail(path).close()
        path.rename(tmp_path / "audit.jsonl.1")
        path.touch(mode=0o640)
        trail(path).close()
        assert records(path)[0]["seq"] == 3
        assert verify([str(path), str(tmp_path / "audit.jsonl.1")]).ok

    def test_incomplete_last_line_refuses_to_start(self, tmp_path: Path) -> None:
        """A half-written last line is not continued: AuditError, nothing appended."""
        path = tmp_path / "audit.jsonl"
        trail(path).close()
        path.write_bytes(path.read_bytes() + b'{"seq":3,"ti')
        before = path.read_bytes()
        with pytest.raises(AuditError, match="incomplete"):
            trail(path)
        assert path.read_bytes() == before

    def test_the_service_moves_a_torn_line_aside_and_goes_on(self, tmp_path: Path) -> None:
        """open(move_torn=True): the torn bytes go to FILE.torn-STAMP, a 'torn_tail' record
        chains onto the last whole record, and the whole trail verifies."""
        path = tmp_path / "audit.jsonl"
        trail(path).close()
        whole = path.read_bytes()
        torn = b'{"seq":3,"time":"2026-12-07T23:00:00.000000Z","ki'
        path.write_bytes(whole + torn)
        log = AuditLog(str(path), checkpoint_interval_s=None, fsync=False, clock=lambda: 1234.5)
        log.open(move_torn=True)
        log.close()
        assert path.read_bytes().startswith(whole)
        assert (tmp_path / "audit.jsonl.torn-1234").read_bytes() == torn
        assert stat.S_IMODE((tmp_path / "audit.jsonl.torn-1234").stat().st_mode) == 0o640
        kept = records(path)
        assert [r["kind"] for r in kept] == ["checkpoint"] * 2 + ["torn_tail"] + ["checkpoint"] * 2
        assert {k: kept[2][k] for k in ("seq", "bytes", "sha256", "moved_to")} == {
            "seq": 3,
            "bytes": len(torn),
            "sha256": sha(torn),
            "moved_to": str(tmp_path / "audit.jsonl.torn-1234"),
        }
        assert verify([str(path)]).ok

    def test_a_second_torn_line_keeps_the_first(self, tmp_path: Path) -> None:
        """Two crashes within a second: the second torn line gets its own file."""
        path = tmp_path / "audit.jsonl"
        trail(path).close()
        for torn in (b'{"seq":3', b'{"seq":6,"ti'):
            path.write_bytes(path.read_bytes() + torn)
            log = AuditLog(str(path), checkpoint_interval_s=None, fsync=False, clock=lambda: 7.0)
            log.open(move_torn=True)
            log.close()
        assert (tmp_path / "audit.jsonl.torn-7").read_bytes() == b'{"seq":3'
        assert (tmp_path / "audit.jsonl.torn-7.1").read_bytes() == b'{"seq":6,"ti'
        assert verify([str(path)]).ok

    def test_a_file_of_one_torn_line_starts_a_new_chain(self, tmp_path: Path) -> None:
        """A crash during the very first write: the file is cut to nothing, seq starts at 1."""
        path = tmp_path / "audit.jsonl"
        path.write_bytes(b'{"seq":1,"ti')
        log = AuditLog(str(path), checkpoint_interval_s=None, fsync=False)
        log.open(move_torn=True)
        log.close()
        assert records(path)[0]["seq"] == 1 and records(path)[0]["prev"] == GENESIS
        assert verify([str(path)]).ok

    def test_move_torn_leaves_a_whole_line_that_is_no_record(self, tmp_path: Path) -> None:
        """A complete line that is not a record is no crash: still refused, nothing moved."""
        path = tmp_path / "audit.jsonl"
        trail(path).close()
        path.write_bytes(path.read_bytes() + b"{not a record}\n")
        before = path.read_bytes()
        with pytest.raises(AuditError, match="not an audit record"):
            AuditLog(str(path), checkpoint_interval_s=None).open(move_torn=True)
        assert path.read_bytes() == before
        assert [p.name for p in tmp_path.iterdir()] == ["audit.jsonl"]

    def test_failed_write_raises_and_keeps_the_head(self, tmp_path: Path) -> None:
        """A record that cannot be written raises, counts, and does not advance the chain."""
        spy = MetricsSpy()
        log = AuditLog("/dev/full", checkpoint_interval_s=None, fsync=False, metrics=spy)
        with pytest.raises(OSError):
            log.open()
        assert log.head.seq == 0 and spy.failed == 1 and spy.written == 0

    def test_threads_share_one_chain(self, tmp_path: Path) -> None:
        """Eight threads writing at once give one unbroken chain."""
        path = tmp_path / "audit.jsonl"
        log = trail(path)

        def write(t: int) -> None:
            for n in range(100):
                log.record("test", {"thread": t, "n": n})

        threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log.close()
        result = verify([str(path)])
        assert result.ok and result.records == 802

    def test_checkpoint_every_n_records(self, tmp_path: Path) -> None:
        """checkpoint_every=3 writes a checkpoint after every third record."""
        path = tmp_path / "audit.jsonl"
        spy = MetricsSpy()
        log = trail(path, checkpoint_every=3, metrics=spy)
        for n in range(6):
            log.record("test", {"n": n})
        docs = records(path)
        assert [d["seq"] for d in docs if d["kind"] == "checkpoint"] == [1, 5, 9]
        assert [d.get("reason") for d in docs if d["kind"] == "checkpoint"] == [
            "start",
            "count",
            "count",
        ]
        assert [seq for seq, _, _ in spy.checkpoints] == [1, 5, 9]
        assert spy.checkpoints[-1][2] == sha(lines(path)[-1])
        assert spy.written == 9

    def test_checkpoint_timer(self, tmp_path: Path) -> None:
        """With an interval, checkpoints appear while idle."""
        path = tmp_path / "audit.jsonl"
        spy = MetricsSpy()
        log = trail(path, checkpoint_interval_s=0.02, metrics=spy)
        done = threading.Event()
        while len(spy.checkpoints) < 3:
            done.wait(0.01)
        log.close()
        reasons = [d["reason"] for d in records(path)]
        assert reasons[0] == "start" and "interval" in reasons and reasons[-1] == "stop"
        assert verify([str(path)]).ok

    def test_checkpoint_is_logged_as_witness(self, tmp_path: Path) -> None:
        """Each checkpoint's seq and full hash also go to the service log."""
        path = tmp_path / "audit.jsonl"
        with structlog.testing.capture_logs() as logs:
            log = trail(path)
            log.close()
        events = [e for e in logs if e["event"] == "audit_checkpoint"]
        assert [(e["seq"], e["reason"]) for e in events] == [(1, "start"), (2, "stop")]
        assert events[-1]["head"] == sha(lines(path)[-1])

    def test_no_witness_for_command_line_tools(self, tmp_path: Path) -> None:
        """witness=False keeps checkpoints out of the log (a CLI's output is not a log)."""
        with structlog.testing.capture_logs() as logs:
            trail(tmp_path / "audit.jsonl", witness=False).close()
        assert logs == []
        assert [d["kind"] for d in records(tmp_path / "audit.jsonl")] == ["checkpoint"] * 2

    def test_each_kind_is_written_with_its_builders_fields(self, tmp_path: Path) -> None:
        """message, recipient_refused, policy_reload and internal_error write the fields their
        builders make, under their own kind, in one chain."""
        path = tmp_path / "audit.jsonl"
        log = trail(path)
        env = envelope("a@partner.example", "b@bjzutrecht.nl", path="local")
        decision = decide(env, Facts(), POLICY)
        refused = decision.recipients[1]
        log.message(decision, env, message_id="<m1@samen-veilig.nl>")
        log.recipient_refused(refused, "4ZqWb01abcd", "smtp", env.sender, POLICY.sha256)
        log.policy_reload("refused", POLICY.sha256, ["policy.yaml:5:1: unknown key"])
        log.internal_error("local")
        log.close()
        docs = records(path)[1:-1]
        assert [d["kind"] for d in docs] == [
            "message",
            "recipient_refused",
            "policy_reload",
            "internal_error",
        ]
        assert docs[0]["message_id_sha256"] == message_id_hash("<m1@samen-veilig.nl>")
        assert docs[1]["recipient"]["rule"] == "retired_domain" and docs[1]["path"] == "smtp"
        fields = reload_fields("refused", POLICY.sha256, ["policy.yaml:5:1: unknown key"])
        assert {k: docs[2][k] for k in fields} == fields
        assert docs[3]["path"] == "local" and docs[3]["action"] == "tempfail"
        assert verify([str(path)]).ok

    def test_misuse_fails_loudly(self, tmp_path: Path) -> None:
        """Reserved field names and odd kinds are refused."""
        log = trail(tmp_path / "audit.jsonl")
        with pytest.raises(ValueError, match="seq"):
            log.record("test", {"seq": 9})
        with pytest.raises(ValueError, match="kind"):
            log.record("Bad Kind", {})
        log.close()


class _GatedFsync:
    """os.fdatasync that holds the first call on the trail's file until released and may fail
    chosen calls: lets a test queue records behind a commit in progress, without relying on
    timing. Only calls on `log`'s own file count: os.fdatasync is process-wide, and another
    thread of the test process (an earlier test's trail, say) must neither take the gate nor
    be held or failed by it."""

    def __init__(self, log: AuditLog, fail_calls: tuple[int, ...] = ()) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self._fail = fail_calls
        self._real = os.fdatasync
        self._fd = log._fd

    def __call__(self, fd: int) -> None:
        if fd != self._fd:
            self._real(fd)
            return
        self.calls += 1
        call = self.calls
        if call == 1:
            self.entered.set()
            self.release.wait(30)
        if call in self._fail:
            raise OSError(5, "Input/output error")
        self._real(fd)


def _wait_queued(log: AuditLog, count: int, gate: _GatedFsync) -> None:
    """Wait until `count` records are queued behind the held commit (at most 30 s: a trail
    that writes each record alone never queues them, and the test then fails)."""
    for _ in range(6000):
        with log._lock:
            if len(log._queue) >= count:
                return
        gate.entered.wait(0.005)
    raise AssertionError(f"{count} records never queued behind the commit in progress")


class TestGroupCommit:
    def test_concurrent_records_share_one_fsync(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Records queued while a commit is in progress are written and fsync'ed together in
        the next commit; nobody returns before their own record is durable."""
        path = tmp_path / "audit.jsonl"
        log = trail(path, fsync=True)
        gate = _GatedFsync(log)
        monkeypatch.setattr(os, "fdatasync", gate)
        returned: dict[int, int] = {}

        def write(n: int) -> None:
            returned[n] = log.record("test", {"n": n}).seq

        first = threading.Thread(target=write, args=(0,))
        first.start()
        assert gate.entered.wait(30)
        others = [threading.Thread(target=write, args=(n,)) for n in range(1, 16)]
        for t in others:
            t.start()
        _wait_queued(log, 15, gate)  # all fifteen queued behind the held commit
        assert returned == {}  # the first one is not durable yet, so nobody has returned
        gate.release.set()
        for t in [first, *others]:
            t.join(30)
        assert gate.calls == 2  # one fsync for the first record, one for the fifteen
        assert sorted(returned.values()) == list(range(2, 18))
        log.close()
        assert verify([str(path)]).ok

    def test_many_writers_keep_order_and_chain(self, tmp_path: Path) -> None:
        """Sixteen threads writing fsync'ed records at once: one unbroken chain, each thread's
        records in its own order, and every record on disk by the time its writer returns."""
        path = tmp_path / "audit.jsonl"
        log = trail(path, fsync=True)
        missing: list[int] = []
        errors: list[BaseException] = []

        def write(t: int) -> None:
            try:
                for n in range(40):
                    seq = log.record("test", {"thread": t, "n": n}).seq
                    # Durable when record() returns: its line is in the file already (whole
                    # lines only: another thread's commit may be half way through its write).
                    data = path.read_bytes()
                    whole = data[: data.rfind(b"\n") + 1].splitlines()
                    if seq not in {json.loads(line)["seq"] for line in whole}:
                        missing.append(seq)
            except BaseException as exc:  # a thread's failure must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(t,)) for t in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log.close()
        assert errors == [] and missing == []
        docs = records(path)
        assert [d["seq"] for d in docs] == list(range(1, len(docs) + 1))
        for t in range(16):
            assert [d["n"] for d in docs if d.get("thread") == t] == list(range(40))
        result = verify([str(path)])
        assert result.ok and result.records == 16 * 40 + 2

    def test_failed_commit_fails_every_waiter_and_keeps_the_chain(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An fsync error fails the records of that commit and those queued behind them (they
        chain onto them): each writer gets the error, none of their lines stays in the file,
        and the next record continues the chain from the last durable one."""
        path = tmp_path / "audit.jsonl"
        spy = MetricsSpy()
        log = trail(path, fsync=True, metrics=spy)
        before = path.read_bytes()
        gate = _GatedFsync(log, fail_calls=(1,))
        monkeypatch.setattr(os, "fdatasync", gate)
        errors: dict[int, str] = {}

        def write(n: int) -> None:
            try:
                log.record("test", {"n": n})
            except OSError as exc:
                errors[n] = exc.strerror or ""

        first = threading.Thread(target=write, args=(0,))
        first.start()
        assert gate.entered.wait(30)
        others = [threading.Thread(target=write, args=(n,)) for n in range(1, 6)]
        for t in others:
            t.start()
        _wait_queued(log, 5, gate)
        gate.release.set()
        for t in [first, *others]:
            t.join(30)
        assert errors == {n: "Input/output error" for n in range(6)}
        assert path.read_bytes() == before and log.head.seq == 1
        assert spy.failed == 1 and spy.written == 1  # only the start checkpoint
        assert log.record("test", {"n": 6}).seq == 2
        log.close()
        assert verify([str(path)]).ok
        assert [d.get("n") for d in records(path)] == [None, 6, None]

    def test_a_checkpoint_not_written_is_not_exported(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A checkpoint whose commit fails raises and goes neither to the metrics nor to the
        log: a witness of a record that is not in the file would be false."""
        spy = MetricsSpy()
        log = trail(tmp_path / "audit.jsonl", fsync=True, metrics=spy)

        real = os.fdatasync

        def failing(fd: int) -> None:  # this trail's file only: other threads' files sync
            if fd != log._fd:
                real(fd)
                return
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fdatasync", failing)
        with structlog.testing.capture_logs() as logs, pytest.raises(OSError):
            log.checkpoint("interval")
        assert [seq for seq, _, _ in spy.checkpoints] == [1]
        assert [e for e in logs if e["event"] == "audit_checkpoint"] == []
        monkeypatch.undo()
        log.close()


def serve_argv(listen: str, audit: Path) -> list[str]:
    """`postwarden serve` on the example policy with an audit trail."""
    policy = str(ROOT / "policies" / "example.yaml")
    return [sys.executable, "-m", "milter", "serve", "--policy", policy, "--listen", listen,
            "--audit-log", str(audit)]  # fmt: skip


class TestServeAudit:
    def test_serve_refuses_a_damaged_audit_file(self, tmp_path: Path) -> None:
        """`serve --audit-log` will not continue a chain whose last line is broken: exit 2."""
        damaged = tmp_path / "audit.jsonl"
        trail(damaged).close()
        damaged.write_bytes(damaged.read_bytes() + b"{not a record}\n")
        done = subprocess.run(
            serve_argv("inet:127.0.0.1:1", damaged),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
        )
        assert done.returncode == 2
        assert "audit_refused" in done.stderr and "not an audit record" in done.stderr

    def test_serve_moves_a_torn_line_aside_and_starts(self, tmp_path: Path) -> None:
        """`serve --audit-log` on a file whose last line a crash tore: it logs
        audit_torn_tail_moved, keeps the bytes beside the file and serves."""
        path = tmp_path / "audit.jsonl"
        trail(path).close()
        path.write_bytes(path.read_bytes() + b'{"seq":3,"ti')
        proc = subprocess.Popen(
            serve_argv(f"inet:127.0.0.1:{free_port()}", path),
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            assert proc.stderr is not None
            events = []
            for line in proc.stderr:  # until it listens (or exits: the loop then ends)
                events.append(json.loads(line).get("event") if line.startswith("{") else None)
                if "listening" in events:
                    break
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        assert "audit_torn_tail_moved" in events and "listening" in events
        (kept,) = tmp_path.glob("audit.jsonl.torn-*")
        assert kept.read_bytes() == b'{"seq":3,"ti'
        assert [r["kind"] for r in records(path)][2:4] == ["torn_tail", "checkpoint"]
        assert verify([str(path)]).ok


@dataclass
class Audited:
    path: Path
    audit: AuditLog
    metrics: Metrics
    smtp: tuple[str, int]
    local: tuple[str, int]


def serve_audited(tmp_path: Path, policy: Any = POLICY) -> Iterator[Audited]:
    path = tmp_path / "audit.jsonl"
    metrics = Metrics(CollectorRegistry())
    audit = trail(path, metrics=metrics)
    holder = PolicyHolder(policy)
    server = MilterServer(
        [
            (ListenSpec("inet", "127.0.0.1", 0), "smtp"),
            (ListenSpec("inet", "127.0.0.1", 0), "local"),
        ],
        holder,
        DecisionLog(metrics, audit, holder),
    )
    server.bind()
    smtp, local = (s.getsockname() for s, _, _ in server.sockets)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Audited(path, audit, metrics, smtp, local)
    server.stop()
    thread.join(5)
    server.drain(2)
    audit.close()


@pytest.fixture
def audited(tmp_path: Path) -> Iterator[Audited]:
    yield from serve_audited(tmp_path)


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


class TestAuditedMilter:
    def test_every_decision_has_a_record(self, audited: Audited) -> None:
        """RCPT refusals, end-of-message decisions and internal errors are all recorded."""
        with MilterClient(audited.smtp) as c:
            c.mail(SENDER, {"i": "4ZqWb01abcd"})
            assert c.rcpt("b@bjzutrecht.nl").cmd == b"y"
            assert c.rcpt("a@partner.example").cmd == b"c"
            assert c.eom().final.cmd == b"a"
        with MilterClient(audited.local) as c:
            c.mail(SENDER)
            c.rcpt("a@partner.example")
            c.rcpt("c@mail.bjzflevo.nl")
            c.eom()
        with MilterClient(audited.smtp) as c:
            assert c.rcpt("x@partner.example").data.startswith(b"451")  # RCPT before MAIL
        audited.audit.close()
        docs = records(audited.path)
        assert [d["kind"] for d in docs] == [
            "checkpoint",
            "recipient_refused",
            "message",
            "message",
            "internal_error",
            "checkpoint",
        ]
        refused, smtp, local, error = docs[1:5]
        assert refused["recipient"]["address"] == "b@bjzutrecht.nl"
        assert refused["rules"] == ["retired_domain"] and refused["policy_sha256"] == POLICY.sha256
        assert [r["address"] for r in smtp["recipients"]] == ["a@partner.example"]
        assert smtp["queue_id"] == "4ZqWb01abcd" and smtp["sender"] == SENDER
        assert [r["action"] for r in local["recipients"]] == ["accept", "remove"]
        assert error["path"] == "smtp" and error["action"] == "tempfail"
        assert verify([str(audited.path)]).ok
        assert sample(audited.metrics, "postwarden_audit_records_total") == 6

    def test_one_log_event_per_message(self, audited: Audited) -> None:
        """A decided message makes one log event, 'message_decided', carrying what the
        record's readers need (queue id, path, action, rules, counts) and no client data; a
        recipient refused at RCPT adds its own 'recipient_refused' (it gets its reply then)."""
        with structlog.testing.capture_logs() as logs, MilterClient(audited.smtp) as c:
            for n in range(3):
                c.mail(SENDER, {"i": f"4ZqWb01abc{n}"})
                c.rcpt("a@partner.example")
                c.rcpt("b@partner.example")
                c.body(b"Beste collega, de notulen staan op de gedeelde schijf.\r\n")
                assert c.eom().final.cmd == b"a"
            c.mail(SENDER, {"i": "4ZqWb01abc9"})
            assert c.rcpt("b@bjzutrecht.nl").cmd == b"y"
            c.rcpt("a@partner.example")
            assert c.eom().final.cmd == b"a"
        events = [e for e in logs if e["event"] != "audit_checkpoint"]
        assert [e["event"] for e in events] == ["message_decided"] * 3 + [
            "recipient_refused",
            "message_decided",
        ]
        first = events[0]
        assert first["queue_id"] == "4ZqWb01abc0" and first["path"] == "smtp"
        assert first["action"] == "accept" and first["recipients"] == 2
        assert "notulen" not in json.dumps(events, default=str)

    def test_audit_failure_tempfails_the_message(self, audited: Audited) -> None:
        """When the record cannot be written the message is tempfailed, not accepted."""
        fd = os.open("/dev/full", os.O_WRONLY)
        os.dup2(fd, audited.audit._fd)  # type: ignore[arg-type]
        os.close(fd)
        with MilterClient(audited.smtp) as c:
            c.mail(SENDER)
            c.rcpt("a@partner.example")
            final = c.eom().final
        assert final.cmd == b"y" and final.text.startswith("451 4.")
        assert sample(audited.metrics, "postwarden_audit_write_errors_total") == 2
        assert sample(audited.metrics, "postwarden_internal_errors_total", path="smtp") == 1
        assert (
            sample(audited.metrics, "postwarden_messages_total", action="accept", path="smtp") == 0
        )


# -- no client data ------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<!\w)(\d[\d .-]{6,16}\d)(?!\w)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b")


def client_data(raw: bytes) -> tuple[set[str], set[str]]:
    """BSN/phone-like numbers and IBANs (as written, and digits only), and body lines."""
    values: set[str] = set()
    lines_: set[str] = set()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            text = part.get_content()
        except (LookupError, ValueError):
            continue
        for m in _NUMBER.finditer(text):
            digits = re.sub(r"\D", "", m.group(1))
            if len(digits) in (9, 10):
                values |= {m.group(1), digits}
        for m in _IBAN.finditer(text):
            values |= {m.group(0), m.group(0).replace(" ", "")}
        lines_ |= {line.strip() for line in text.splitlines() if len(line.strip()) >= 30}
    return values, lines_


def send_eml(client: MilterClient, raw: bytes, queue_id: str) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")[2].replace(b"\n", b"\r\n")
    client.mail(SENDER, {"i": queue_id})
    client.rcpt("a@partner.example")
    for name, value in message.items():
        client.header(name, str(value))
    for start in range(0, len(body), 65535):
        client.body(body[start : start + 65535])
    client.eom()


class TestNoClientData:
    @pytest.fixture
    def content_audited(self, tmp_path: Path) -> Iterator[Audited]:
        example = (ROOT / "policies" / "example.yaml").read_text()
        policy_file = tmp_path / "policy.yaml"
        has_rules = re.search(r"(?m)^content:", example) is not None
        policy_file.write_text(example if has_rules else example + CONTENT_RULES)
        yield from serve_audited(tmp_path, load_policy(str(policy_file)))

    def test_corpus_leaves_no_client_data_behind(self, content_audited: Audited) -> None:
        """The whole corpus through the milter: no BSN, IBAN or body line in audit, log, metrics."""
        values: set[str] = set()
        lines_: set[str] = set()
        files = sorted(CORPUS.glob("*.eml"))
        assert len(files) >= 80
        with structlog.testing.capture_logs() as logs:
            for n, eml in enumerate(files):
                raw = eml.read_bytes()
                found, text = client_data(raw)
                values |= found
                lines_ |= text
                with MilterClient(content_audited.smtp) as client:
                    send_eml(client, raw, f"4Corpus{n:04d}")
        content_audited.audit.close()
        assert len(values) >= 20 and len(lines_) >= 50  # the corpus really holds client data
        audit_text = content_audited.path.read_text()
        records = [json.loads(line) for line in audit_text.splitlines()]
        findings = [f for r in records for f in r.get("findings", [])]
        assert sum(f["detector"] == "bsn" for f in findings) >= 10  # findings were recorded
        assert any("*" in s for f in findings for s in f["samples"])
        haystacks = {
            "audit": audit_text + "\n".join(json.dumps(r, ensure_ascii=False) for r in records),
            "log": "\n".join(json.dumps(e, ensure_ascii=False, default=str) for e in logs),
            "metrics": generate_latest(content_audited.metrics.registry).decode(),
        }
        for where, hay in haystacks.items():
            leaked = [
                v
                for v in values
                if re.search(rf"(?<![0-9A-Za-z]){re.escape(v)}(?![0-9A-Za-z])", hay)
            ]
            leaked += [line for line in lines_ if line in hay]
            assert not leaked, f"client data in the {where}: {sorted(leaked)[:5]}"
