"""serve --workers N, piece by piece: the audit line between a worker and the supervisor (real
sockets, a real AuditLog), and --workers (the merged /metrics: tests/unit/metrics/test_merge.py)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from milter.audit.trail import AuditError, AuditLog
from milter.audit.verify import verify
from milter.cli.main import _workers
from milter.server.frames import (
    Ack,
    AuditRequest,
    PolicyFrame,
    PolicyLoaded,
    decode,
    encode,
    send_frame,
)
from milter.server.prefork import AuditLine, Channel, RemoteAudit, serve_line

ROOT = Path(__file__).resolve().parents[3]


class Line:
    """A worker's AuditLine wired to a supervisor's serve_line over a socketpair."""

    def __init__(self, audit: AuditLog | None, answer: bool = True) -> None:
        self.supervisor_end, worker_end = socket.socketpair()
        self.broken = threading.Event()
        self.line = AuditLine(worker_end, self.broken.set)
        self.remote = RemoteAudit(self.line, audit.path if audit else "-")
        if answer:
            threading.Thread(
                target=serve_line,
                args=(self.supervisor_end, threading.Lock(), audit, lambda _sha: None),
                daemon=True,
            ).start()


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[AuditLog]:
    audit = AuditLog(str(tmp_path / "audit.jsonl"), checkpoint_interval_s=None, witness=False)
    audit.open()
    yield audit
    audit.close()


class TestAuditLine:
    def test_two_workers_write_one_verifiable_chain(self, trail: AuditLog) -> None:
        """Records sent at once from two workers' threads form one unbroken chain, and each
        is in the file by the time its call returns."""
        lines = [Line(trail), Line(trail)]
        missing: list[str] = []

        def send(line: Line, n: int) -> None:
            for k in range(40):
                queue_id = f"W{n}Q{k}"
                line.remote.record("internal_error", {"path": "smtp", "queue_id": queue_id})
                if queue_id not in Path(trail.path).read_text():
                    missing.append(queue_id)

        threads = [
            threading.Thread(target=send, args=(line, n))
            for n, line in enumerate(lines * 2)  # two threads per worker
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert missing == []
        result = verify([trail.path])
        assert result.ok and result.records == 1 + 160, result

    def test_a_failed_write_raises_in_the_worker(self, trail: AuditLog) -> None:
        """A record the supervisor cannot write comes back as AuditError (the message is then
        tempfailed), as a local write failure would."""
        line = Line(trail)
        trail.close()  # the file is gone from under the supervisor
        with pytest.raises(AuditError, match="not written"):
            line.remote.record("internal_error", {"path": "smtp"})

    def test_a_reserved_field_is_refused_not_written(self, trail: AuditLog) -> None:
        """A record the trail refuses (a field that would overwrite 'seq') raises in the worker."""
        line = Line(trail)
        with pytest.raises(AuditError, match="ValueError"):
            line.remote.record("internal_error", {"seq": 7})
        assert verify([trail.path]).records == 1

    def test_supervisor_gone_raises_at_once(self, trail: AuditLog) -> None:
        """With the supervisor's end closed, a record raises AuditError without waiting for
        the ack timeout, and so does every later one; the worker is told (it stops)."""
        line = Line(trail, answer=False)
        line.supervisor_end.close()
        started = time.monotonic()
        for _ in range(2):
            with pytest.raises(AuditError, match=r"gone|cannot reach"):
                line.remote.record("internal_error", {"path": "smtp"})
        assert time.monotonic() - started < 5
        assert line.broken.is_set()

    def test_a_late_ack_is_not_taken_for_the_next_record(self, trail: AuditLog) -> None:
        """After a timeout, the next record waits for its own ack, skipping the late one."""
        line = Line(trail, answer=False)
        with pytest.raises(AuditError, match="in time"):
            line.line.request("internal_error", {"path": "smtp"}, timeout=0.2)
        assert not line.broken.is_set()  # a slow supervisor is not a lost one
        threading.Thread(
            target=serve_line,
            args=(line.supervisor_end, threading.Lock(), trail, lambda _sha: None),
            daemon=True,
        ).start()  # the supervisor wakes up: writes the first record late, then the second
        line.remote.record("internal_error", {"path": "local"})
        kinds = [json.loads(x) for x in Path(trail.path).read_text().splitlines()]
        assert [r.get("path") for r in kinds[1:]] == ["smtp", "local"]

    def test_no_ack_in_time_raises(self, trail: AuditLog) -> None:
        """A supervisor that never confirms: the record raises AuditError after the timeout."""
        line = Line(trail, answer=False)
        with pytest.raises(AuditError, match="in time"):
            line.line.request("internal_error", {"path": "smtp"}, timeout=0.2)

    def test_policy_frames_reach_the_worker(self) -> None:
        """A policy frame from the supervisor is handed to the worker's callback."""
        supervisor_end, worker_end = socket.socketpair()
        got: list[PolicyFrame] = []
        arrived = threading.Event()

        def on_policy(frame: PolicyFrame) -> None:
            got.append(frame)
            arrived.set()

        Channel(worker_end, on_policy, lambda: None).start()
        frame = PolicyFrame("p.yaml", "ab", b"version: 1\n")
        send_frame(supervisor_end, threading.Lock(), frame)
        assert arrived.wait(5) and got == [frame]


class TestFrames:
    @pytest.mark.parametrize(
        "frame",
        [
            PolicyFrame("/etc/postwarden/policy.yaml", "ab" * 32, b"version: 1\n...\n"),
            PolicyLoaded("ab" * 32),
            AuditRequest(7, "internal_error", {"path": "smtp"}),
            Ack(7, True),
            Ack(8, False, "OSError"),
        ],
    )
    def test_every_frame_round_trips(self, frame: object) -> None:
        """What is encoded decodes to the same typed frame."""
        data = encode(frame)  # type: ignore[arg-type]
        assert decode(json.loads(data[4:])) == frame

    @pytest.mark.parametrize(
        "doc",
        [
            [],
            {"op": "reload"},
            {"op": "policy", "source": "p", "sha256": "ab"},
            {"op": "policy", "source": "p", "sha256": "ab", "text": "not base64!"},
            {"op": "audit", "id": "7", "kind": "x", "fields": {}},
            {"op": "audit", "id": True, "kind": "x", "fields": {}},
            {"op": "audit", "id": 7, "kind": "x", "fields": []},
            {"op": "ack", "id": 7, "ok": "yes"},
            {"op": "policy_loaded", "sha256": 5},
        ],
    )
    def test_anything_else_is_refused(self, doc: object) -> None:
        """An unknown op or a field of the wrong type is no frame at all."""
        assert decode(doc) is None


class TestWorkersOption:
    def test_auto_is_one_per_core(self) -> None:
        """--workers auto means os.cpu_count()."""
        assert _workers("auto") == (os.cpu_count() or 1)

    @pytest.mark.parametrize("text", ["0", "-1", "65", "two", ""])
    def test_out_of_range_is_a_usage_error(self, text: str) -> None:
        """--workers takes 1..64 or auto; anything else is refused by the parser."""
        with pytest.raises(argparse.ArgumentTypeError):
            _workers(text)

    def test_serve_help_names_it(self) -> None:
        """`serve --help` documents --workers."""
        out = subprocess.run(
            [sys.executable, "-m", "milter", "serve", "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        ).stdout
        assert "--workers N" in out and "auto" in out
