"""The held-mail steps counted from the officer trail: fixed labels, read on from the last
offset, a rotated trail read afresh, a half-written line left for the next scrape."""

from __future__ import annotations

import json
import os
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from milter.metrics.officer import OfficerTrailCollector


def scrape(collector: OfficerTrailCollector) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(collector)
    out: dict[str, float] = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def append(path: Path, *records: dict[str, object], tail: str = "") -> None:
    with path.open("a") as fh:
        for record in records:
            fh.write(json.dumps(record) + "\n")
        fh.write(tail)


STEP = 'postwarden_quarantine_steps_total{step="%s"}'


def test_steps_and_notices_are_counted(tmp_path: Path) -> None:
    """Each kind to its step; expiry by its action; notices by kind and result; others not."""
    trail = tmp_path / "officer.jsonl"
    append(
        trail,
        {"kind": "sender_release_requested"},
        {"kind": "officer_release"},
        {"kind": "quarantine_expired", "action": "returned"},
        {"kind": "sender_notice", "notice_kind": "released", "result": "sent"},
        {"kind": "sender_notice", "notice_kind": "bogus", "result": "sent"},
        {"kind": "checkpoint"},
    )
    got = scrape(OfficerTrailCollector(str(trail)))
    assert got[STEP % "request"] == 1 and got[STEP % "release"] == 1
    assert got[STEP % "expire_return"] == 1 and got[STEP % "delete"] == 0
    assert got['postwarden_officer_notices_total{kind="released",result="sent"}'] == 1
    assert not any("bogus" in name for name in got)


def test_only_new_lines_are_read_and_a_partial_line_waits(tmp_path: Path) -> None:
    """A scrape adds what was appended since; a line without its newline is not counted yet."""
    trail = tmp_path / "officer.jsonl"
    append(trail, {"kind": "officer_delete"}, tail='{"kind": "officer_del')
    collector = OfficerTrailCollector(str(trail))
    assert scrape(collector)[STEP % "delete"] == 1
    append(trail, tail='ete"}\n')
    assert scrape(collector)[STEP % "delete"] == 2


def test_a_rotated_trail_is_read_from_its_start(tmp_path: Path) -> None:
    """logrotate moves the file away: the new one is counted on top."""
    trail = tmp_path / "officer.jsonl"
    append(trail, {"kind": "sender_withdraw"})
    collector = OfficerTrailCollector(str(trail))
    assert scrape(collector)[STEP % "withdraw"] == 1
    os.rename(trail, tmp_path / "officer.jsonl.1")
    append(trail, {"kind": "sender_withdraw"})
    assert scrape(collector)[STEP % "withdraw"] == 2


def test_a_missing_trail_counts_zero(tmp_path: Path) -> None:
    """No trail yet: every step exported at 0."""
    got = scrape(OfficerTrailCollector(str(tmp_path / "none.jsonl")))
    assert got[STEP % "release"] == 0 and len([n for n in got if "steps" in n]) == 8
