"""The audit trail: record contents, the hash chain, rotation, checkpoints and `verify`."""

from __future__ import annotations

import email
import email.policy
import gzip
import hashlib
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

from milter.adapter import ListenSpec, MilterServer, PolicyHolder
from milter.address import parse_address
from milter.audit import (
    GENESIS,
    WITHHELD,
    AuditError,
    AuditLog,
    Checkpoint,
    add_time,
    clean_text,
    mask_samples,
    message_fields,
    message_id_hash,
    order_keys,
    verify,
)
from milter.cli import main
from milter.engine import Envelope, Facts, decide
from milter.metrics import Metrics
from milter.policy import load_policy
from milter.service import DecisionLog
from tests.support.milterclient import MilterClient

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(str(ROOT / "policies" / "example.yaml"))
SENDER = "casetool@samen-veilig.nl"
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


def sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(path)]


def trail(path: Path, **kwargs: Any) -> AuditLog:
    kwargs.setdefault("checkpoint_interval_s", None)
    kwargs.setdefault("checkpoint_every", None)
    kwargs.setdefault("fsync", False)
    kwargs.setdefault("node", "mx1")
    log = AuditLog(str(path), **kwargs)
    log.open()
    return log


@dataclass(frozen=True)
class FakeFinding:
    detector: str
    count: int
    confidence: str
    where: tuple[str, ...]
    samples: tuple[str, ...]


@dataclass
class MetricsSpy:
    written: int = 0
    failed: int = 0
    checkpoints: list[tuple[int, float, str]] = field(default_factory=list)

    def audit_record_written(self) -> None:
        self.written += 1

    def audit_write_failed(self) -> None:
        self.failed += 1

    def audit_checkpoint(self, seq: int, when: float, head: str) -> None:
        self.checkpoints.append((seq, when, head))


def envelope(*rcpts: str, path: str = "smtp") -> Envelope:
    return Envelope(
        parse_address(SENDER),
        tuple(parse_address(r) for r in rcpts),
        path,  # type: ignore[arg-type]
        "4ZqWb01abcd",
    )


class TestProcessors:
    def test_time_is_utc_iso_with_z(self) -> None:
        """add_time writes UTC ISO 8601 with microseconds and a 'Z'."""
        ev = add_time(lambda: 0.25)(None, "msg", {})
        assert ev["time"] == "1970-01-01T00:00:00.250000Z"

    def test_clean_text_strips_controls_and_bidi(self) -> None:
        """Control characters, bidi overrides and line separators become '?'."""
        assert clean_text("a\r\nb\u202ec\u2028d\x00") == "a??b?c?d?"

    def test_clean_text_truncates(self) -> None:
        """Outside text is cut at the limit and marked."""
        assert clean_text("x" * 600) == "x" * 512 + "..."
        assert clean_text("abcdef", 3) == "abc..."

    def test_unmasked_samples_are_withheld(self) -> None:
        """A sample without a mask character is never written; at most three are kept."""
        ev = {"findings": [{"samples": ["*****2333", "100486782", "**1", "**2"], "where": []}]}
        assert mask_samples(None, "msg", ev)["findings"][0]["samples"] == [
            "*****2333",
            WITHHELD,
            "**1",
        ]

    def test_order_keys(self) -> None:
        """seq, time, kind, node lead; prev comes last."""
        ev = {"prev": "p", "a": 1, "node": "n", "kind": "k", "time": "t", "seq": 3}
        assert list(order_keys(None, "msg", ev)) == ["seq", "time", "kind", "node", "a", "prev"]

    def test_message_id_hash(self) -> None:
        """The Message-ID is hashed (16 hex digits), surrounding space ignored; never kept."""
        digest = message_id_hash(" <abc@samen-veilig.nl>\r\n")
        assert digest == sha(b"<abc@samen-veilig.nl>")[:16]
        assert message_id_hash(b"<abc@samen-veilig.nl>") == digest
        assert message_id_hash(None) is None and message_id_hash("  ") is None


class TestMessageFields:
    def test_decision_becomes_record_fields(self) -> None:
        """Sender, each recipient with action/rule/reason, rules and policy hash are kept."""
        env = envelope("a@partner.example", "b@bjzutrecht.nl", path="local")
        decision = decide(env, Facts(), POLICY)
        fields = message_fields(decision, env, message_id="<m1@samen-veilig.nl>")
        assert fields["sender"] == SENDER and fields["path"] == "local"
        assert fields["queue_id"] == "4ZqWb01abcd"
        assert [(r["address"], r["action"], r["rule"]) for r in fields["recipients"]] == [
            ("a@partner.example", "accept", None),
            ("b@bjzutrecht.nl", "remove", "retired_domain"),
        ]
        assert "retired since 2017-12-31" in fields["recipients"][1]["reason"]
        assert fields["rules"] == ["retired_domain"]
        assert fields["policy_sha256"] == POLICY.sha256
        assert fields["message_id_sha256"] == message_id_hash("<m1@samen-veilig.nl>")
        assert "m1@samen-veilig.nl" not in json.dumps(fields)

    def test_malformed_recipient_is_truncated_raw(self) -> None:
        """A malformed address is kept as received, cut to 100 characters."""
        env = envelope("a@partner.example", "<" + "x" * 300 + "@@>")
        fields = message_fields(decide(env, Facts(), POLICY), env)
        bad = fields["recipients"][1]
        assert bad["malformed"] is True and len(bad["address"]) <= 103


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

    def test_misuse_fails_loudly(self, tmp_path: Path) -> None:
        """Reserved field names and odd kinds are refused."""
        log = trail(tmp_path / "audit.jsonl")
        with pytest.raises(ValueError, match="seq"):
            log.record("test", {"seq": 9})
        with pytest.raises(ValueError, match="kind"):
            log.record("Bad Kind", {})
        log.close()


def build_rotated(tmp_path: Path) -> tuple[Path, Path]:
    """Two files of one chain: audit.jsonl.1 (seq 1..11) and audit.jsonl (seq 12..23)."""
    path = tmp_path / "audit.jsonl"
    log = trail(path)
    for n in range(10):
        log.record("message", {"n": n, "action": "reject", "rule": "retired_domain"})
    old = tmp_path / "audit.jsonl.1"
    path.rename(old)
    log.reopen()
    for n in range(10, 20):
        log.record("message", {"n": n, "action": "reject", "rule": "retired_domain"})
    log.close()
    return old, path


def rewrite(path: Path, new: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in new))


class TestVerify:
    @pytest.fixture
    def files(self, tmp_path: Path) -> tuple[Path, Path]:
        return build_rotated(tmp_path)

    def check(self, *paths: Path, checkpoints: list[Checkpoint] | None = None) -> str:
        return str(verify([str(p) for p in paths], checkpoints or []))

    def test_intact_chain_is_ok(self, files: tuple[Path, Path]) -> None:
        """Two rotated files verify: records, checkpoints and the head are reported."""
        old, new = files
        result = verify([str(old), str(new)])
        assert result.ok and result.records == 23 and result.checkpoints == 3
        assert result.head == sha(lines(new)[-1])
        assert str(result).startswith("ok: 23 records (seq 1..23) in 2 files, 3 checkpoints")

    def test_files_in_any_order(self, files: tuple[Path, Path]) -> None:
        """Rotated files are put in chain order by their first seq."""
        old, new = files
        assert verify([str(new), str(old)]).ok

    def test_edited_field(self, files: tuple[Path, Path]) -> None:
        """Changing one field is reported at that record."""
        old, new = files
        raw = lines(old)
        raw[4] = raw[4].replace(b'"action":"reject"', b'"action":"accept"')
        rewrite(old, raw)
        assert self.check(old, new).startswith(f"{old}:5: edited: record seq 5 was changed")

    def test_edited_field_in_second_file(self, files: tuple[Path, Path]) -> None:
        """An edit in the newer file is found at its own file:line."""
        old, new = files
        raw = lines(new)
        raw[3] = raw[3].replace(b'"rule":"retired_domain"', b'"rule":"none"')
        rewrite(new, raw)
        assert self.check(old, new).startswith(f"{new}:4: edited:")

    def test_edited_prev_field(self, files: tuple[Path, Path]) -> None:
        """Changing a record's own prev is reported at that record."""
        old, new = files
        raw = lines(old)
        doc = json.loads(raw[5])
        doc["prev"] = "f" * 64
        raw[5] = json.dumps(doc, separators=(",", ":")).encode()
        rewrite(old, raw)
        assert self.check(old, new).startswith(f"{old}:6: edited:")

    def test_edited_seq(self, files: tuple[Path, Path]) -> None:
        """Changing only the seq is reported as an edit of the seq."""
        old, new = files
        raw = lines(old)
        raw[6] = raw[6].replace(b'{"seq":7,', b'{"seq":70,')
        rewrite(old, raw)
        out = self.check(old, new)
        assert out.startswith(f"{old}:7: edited: seq is 70, expected 7")

    def test_deleted_line(self, files: tuple[Path, Path]) -> None:
        """A deleted record is reported at the record after the gap."""
        old, new = files
        raw = lines(old)
        del raw[3]
        rewrite(old, raw)
        out = self.check(old, new)
        assert out == f"{old}:4: deleted: record(s) seq 4 missing before this one"

    def test_deleted_lines_across_the_rotation(self, files: tuple[Path, Path]) -> None:
        """Deleting the first records of the newer file shows as a gap between the files."""
        old, new = files
        rewrite(new, lines(new)[2:])
        out = self.check(old, new)
        assert out.startswith(f"{new}:1: deleted: record(s) seq 12..13 missing")
        assert f"(between {old} and {new})" in out

    def test_missing_rotated_file(self, tmp_path: Path, files: tuple[Path, Path]) -> None:
        """A whole rotated file left out in the middle is a gap too."""
        old, new = files
        log = trail(new)  # continues the chain in a third file after another rotation
        newest = tmp_path / "audit.jsonl.0"
        new.rename(newest)
        log.reopen()
        log.close()
        assert self.check(old, new).startswith(f"{new}:1: deleted: record(s) seq 12..24")

    def test_swapped_lines(self, files: tuple[Path, Path]) -> None:
        """Two records swapped are reported as reordered at the first of them."""
        old, new = files
        raw = lines(new)
        raw[4], raw[5] = raw[5], raw[4]
        rewrite(new, raw)
        out = self.check(old, new)
        assert out.startswith(f"{new}:5: reordered: record seq 17 comes before seq 16")

    def test_inserted_forged_line(self, files: tuple[Path, Path]) -> None:
        """A forged record that links to its predecessor is caught at the next genuine one."""
        old, new = files
        raw = lines(old)
        forged = {
            "seq": 5,
            "time": "2026-01-01T00:00:00.000000Z",
            "kind": "message",
            "node": "mx1",
            "n": 99,
            "action": "accept",
            "prev": sha(raw[3]),
        }
        raw.insert(4, json.dumps(forged, separators=(",", ":")).encode())
        rewrite(old, raw)
        out = self.check(old, new)
        assert out.startswith(f"{old}:5: inserted: two records claim seq 5")

    def test_inserted_naive_line(self, files: tuple[Path, Path]) -> None:
        """A record copied from elsewhere, pasted in, is reported as inserted."""
        old, new = files
        raw = lines(old)
        raw.insert(6, lines(new)[3])
        rewrite(old, raw)
        out = self.check(old, new)
        assert out == f"{old}:7: inserted: a copy of the record at {new}:4 (seq 15)"

    def test_inserted_blank_line(self, files: tuple[Path, Path]) -> None:
        """Even an empty line is an insertion."""
        old, new = files
        raw = lines(new)
        raw.insert(2, b"")
        rewrite(new, raw)
        assert self.check(old, new) == f"{new}:3: inserted: an empty line"

    def test_truncated_tail_against_checkpoint(self, files: tuple[Path, Path]) -> None:
        """Cutting the tail after an exported checkpoint is reported as truncated."""
        old, new = files
        rewrite(new, lines(new)[:-3])
        assert verify([str(old), str(new)]).ok  # the file alone cannot tell
        out = self.check(old, new, checkpoints=[Checkpoint(23)])
        assert out == (
            f"{new}:9: truncated: the chain ends at seq 20, but seq 23 was written (checkpoint)"
        )

    def test_incomplete_last_line(self, files: tuple[Path, Path]) -> None:
        """A half line at the end of a file is truncation."""
        old, new = files
        new.write_bytes(new.read_bytes()[:-20])
        assert self.check(old, new) == f"{new}:12: truncated: the last line is incomplete"

    def test_rewritten_chain_caught_by_checkpoint_hash(self, files: tuple[Path, Path]) -> None:
        """A chain recomputed after an edit verifies alone but not against a checkpoint hash."""
        old, new = files
        witness = Checkpoint(23, sha(lines(new)[-1])[:12])
        assert verify([str(old), str(new)], [witness]).ok
        forged = []
        prev = GENESIS
        for line in lines(old) + lines(new):
            doc = json.loads(line)
            if doc.get("n") == 3:
                doc["action"] = "accept"
            doc["prev"] = prev
            raw = json.dumps(doc, separators=(",", ":")).encode()
            forged.append(raw)
            prev = sha(raw)
        rewrite(old, forged[:11])
        rewrite(new, forged[11:])
        assert verify([str(old), str(new)]).ok
        out = self.check(old, new, checkpoints=[witness])
        assert out.startswith(f"{new}:12: edited: record seq 23 has hash")

    def test_partial_chain_is_noted(self, files: tuple[Path, Path]) -> None:
        """Verifying only the newest file is ok, with a note that earlier records were skipped."""
        _, new = files
        out = self.check(new)
        assert out.startswith("ok: 12 records (seq 12..23)") and "starts at seq 12" in out

    def test_gzipped_rotated_file(self, files: tuple[Path, Path]) -> None:
        """logrotate's compressed files are read as they are."""
        old, new = files
        packed = old.with_name("audit.jsonl.2.gz")
        packed.write_bytes(gzip.compress(old.read_bytes()))
        assert verify([str(new), str(packed)]).ok


class TestServeAudit:
    def test_serve_refuses_a_damaged_audit_file(self, tmp_path: Path) -> None:
        """`serve --audit-log` will not continue a chain whose last line is broken: exit 2."""
        damaged = tmp_path / "audit.jsonl"
        trail(damaged).close()
        damaged.write_bytes(damaged.read_bytes() + b"{not a record}\n")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "milter",
                "serve",
                "--policy",
                str(ROOT / "policies" / "example.yaml"),
                "--listen",
                "inet:127.0.0.1:1",
                "--audit-log",
                str(damaged),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
        )
        assert done.returncode == 2
        assert "audit_refused" in done.stderr and "not an audit record" in done.stderr


class TestVerifyCommand:
    def test_ok_exits_0(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`audit verify` prints 'ok: N records ... head HASH' and exits 0."""
        old, new = build_rotated(tmp_path)
        capsys.readouterr()
        assert main(["audit", "verify", str(new), str(old), "--expect-seq", "23"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("ok: 23 records") and sha(lines(new)[-1]) in out

    def test_broken_exits_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A broken chain prints file:line: kind: detail and exits 1."""
        old, new = build_rotated(tmp_path)
        head = sha(lines(new)[-1])[:12]
        rewrite(new, lines(new)[:-1])
        capsys.readouterr()
        code = main(["audit", "verify", str(old), str(new), "--checkpoint", f"23:{head}"])
        assert code == 1
        assert capsys.readouterr().out.startswith(f"{new}:11: truncated:")

    def test_bad_checkpoint_is_usage_error(self, tmp_path: Path) -> None:
        """--checkpoint needs SEQ[:HEX]: anything else is a usage error (exit 2)."""
        with pytest.raises(SystemExit) as exc:
            main(["audit", "verify", str(tmp_path / "x"), "--checkpoint", "12:nothex"])
        assert exc.value.code == 2

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that does not exist exits 2 with its name."""
        assert main(["audit", "verify", str(tmp_path / "nope.jsonl")]) == 2
        assert "nope.jsonl" in capsys.readouterr().err


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
