"""Shared by the audit tests: small audit trails in a temporary directory, and their lines."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from milter.audit.trail import AuditLog
from milter.core.address import parse_address
from milter.core.engine import Envelope
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[3]
POLICY = load_policy(str(ROOT / "policies" / "example.yaml"))
SENDER = "casetool@samen-veilig.nl"


def sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(path)]


def trail(path: Path, **kwargs: Any) -> AuditLog:
    """An open AuditLog for tests: no timer, no count checkpoints, no fsync, node 'mx1'."""
    kwargs.setdefault("checkpoint_interval_s", None)
    kwargs.setdefault("checkpoint_every", None)
    kwargs.setdefault("fsync", False)
    kwargs.setdefault("node", "mx1")
    log = AuditLog(str(path), **kwargs)
    log.open()
    return log


def envelope(*rcpts: str, path: str = "smtp") -> Envelope:
    return Envelope(
        parse_address(SENDER),
        tuple(parse_address(r) for r in rcpts),
        path,  # type: ignore[arg-type]
        "4ZqWb01abcd",
    )


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
