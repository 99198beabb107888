"""The security officer's quarantine cycle against a real Postfix: list, show, release
(four eyes), delete — every step in a verifiable officer audit trail."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.postfix import (
    MilterFactory,
    PostfixFactory,
    PostfixInstance,
    Sink,
    smtp_send,
)
from tests.e2e.stack import POLICY, ROOT, Ports, quarantine_cli, start_postfix, start_postwarden
from tests.e2e.test_retired_domains import SENDER, message


@dataclass
class Desk:
    postfix: PostfixInstance
    sink: Sink
    policy: Path
    audit: Path
    officer_log: Path
    seen: set[str] = field(default_factory=set)

    def run(self, *args: str, officer: str = "fg") -> subprocess.CompletedProcess[str]:
        return quarantine_cli(
            self.postfix, self.policy, self.audit, self.officer_log, *args, officer=officer
        )

    def hold(self, subject: str) -> str:
        """Send mail to a lookalike domain: Postwarden quarantines it."""
        result = smtp_send(self.postfix.smtp_port, SENDER, ["x@samenveilig.nl"], message(subject))
        assert result.delivered
        held = self.postfix.wait_queue(
            lambda q: (
                sum(e["queue_name"] == "hold" for e in q) >= 1
                and any(e["queue_name"] == "hold" and e["queue_id"] not in self.seen for e in q)
            )
        )
        qid = next(
            e["queue_id"]
            for e in held
            if e["queue_name"] == "hold" and e["queue_id"] not in self.seen
        )
        self.seen.add(qid)
        return str(qid)


def make_desk(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
    release_requires: int,
) -> Desk:
    policy = tmp_path / "policy.yaml"
    text = POLICY.read_text()
    assert "lookalikes:\n  action: quarantine" in text and "release_requires: 1" in text
    policy.write_text(text.replace("release_requires: 1", f"release_requires: {release_requires}"))
    audit = tmp_path / "audit.jsonl"
    ports = Ports.free()
    start_postwarden(milter_factory, ports, policy, "--audit-log", str(audit))
    pf = start_postfix(postfix_factory, ports)
    return Desk(pf, sink, policy, audit, tmp_path / "officer.jsonl")


def verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "milter", "audit", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


class TestQuarantineCycle:
    def test_list_show_release_delete(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """Held mail is listed with its rule, shown, released to the sink, or deleted."""
        desk = make_desk(postfix_factory, milter_factory, sink, tmp_path, 1)
        first, second = desk.hold("held-1"), desk.hold("held-2")
        listed = desk.run("list", "--json")
        assert listed.returncode == 0, listed.stderr
        rows = {r["queue_id"]: r for r in json.loads(listed.stdout)}
        assert set(rows) == {first, second}
        assert rows[first]["rules"] == ["lookalike_domain"]
        assert "looks like our domain samen-veilig.nl" in rows[first]["reasons"][0]
        shown = desk.run("show", first)
        assert shown.returncode == 0 and "X-Postwarden-Quarantine: lookalike_domain" in shown.stdout
        assert "decision:   quarantine rule lookalike_domain" in shown.stdout
        assert "Dit is een testbericht" not in shown.stdout  # no content without --raw

        released = desk.run("release", first, "--reason", "partner confirmed by phone")
        assert released.returncode == 0, released.stderr
        got = sink.wait_for(lambda m: m.header("Subject") == "held-1")
        assert got.rcpt_tos == ["x@samenveilig.nl"]
        deleted = desk.run("delete", second, "--reason", "typo in address, resent")
        assert deleted.returncode == 0, deleted.stderr
        assert json.loads(desk.run("list", "--json").stdout) == []

        again = desk.run("release", first, "--reason", "twice")
        assert again.returncode == 1 and "no message" in again.stderr
        unknown = desk.run("delete", "NOSUCHID12345", "--reason", "x")
        assert unknown.returncode == 1 and "no message NOSUCHID12345" in unknown.stderr

        records = [json.loads(line) for line in desk.officer_log.read_text().splitlines()]
        actions = [
            (r["kind"], r.get("queue_id"), r.get("officer"), r.get("reason"))
            for r in records
            if r["kind"]
            not in ("checkpoint", "sender_notice")  # the senders told: see test_held_life
        ]
        assert actions == [
            ("officer_release", first, "fg", "partner confirmed by phone"),
            ("officer_delete", second, "fg", "typo in address, resent"),
        ]
        assert verify(desk.officer_log).returncode == 0
        assert verify(desk.audit).returncode == 0

    def test_four_eyes_release(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """release_requires 2: a second, different officer must confirm."""
        desk = make_desk(postfix_factory, milter_factory, sink, tmp_path, 2)
        qid = desk.hold("four-eyes")
        first = desk.run("release", qid, "--reason", "checked", officer="fg")
        assert first.returncode == 0 and "a second officer must confirm" in first.stdout
        assert [e["queue_name"] for e in desk.postfix.postqueue_json()] == ["hold"]
        same = desk.run("release", qid, "--reason", "checked again", officer="fg")
        assert same.returncode == 1 and "different officer" in same.stderr
        second = desk.run("release", qid, "--reason", "agree", officer="ciso")
        assert second.returncode == 0, second.stderr
        sink.wait_for(lambda m: m.header("Subject") == "four-eyes")
        kinds = [json.loads(line) for line in desk.officer_log.read_text().splitlines()]
        done = [r for r in kinds if r["kind"] == "officer_release"]
        assert done[0]["officer"] == "ciso" and done[0]["approved_by"] == "fg"
        assert verify(desk.officer_log).returncode == 0
