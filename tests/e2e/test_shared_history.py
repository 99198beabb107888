"""Two gateways share the contact history and the sender-notice limits through Redis: two real
Postfix instances, each with its own Postwarden, one redis-server (started by the test on a free
loopback port, stopped by its PID) and one site key.

What one learns the other knows: a dossier held as first contact at gateway A is delivered at
gateway B once the history (in Redis) knows the domain; and a sender told once today at A
(`per_day: 1`) is not told again at B.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.postfix import MilterFactory, PostfixFactory, PostfixInstance, Sink, smtp_send
from tests.e2e.stack import ROOT, Ports, start_postfix, start_postwarden
from tests.e2e.test_first_contact import (
    DOSSIER,
    KNOWN,
    NEW,
    SENDER,
    earlier_audit_trail,
    write_policy,
)
from tests.e2e.test_held_notices import notice
from tests.support.redisserver import RedisServer

PER_DAY = "  per_day: 20                     # notices per address per day"


def gateway(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    workdir: Path,
    redis_url: str,
    key: Path,
) -> tuple[PostfixInstance, Ports, Path]:
    """One gateway: its Postfix, and Postwarden with the first-contact policy whose history is
    the shared Redis (and the shared key), one held-mail notice per sender per day."""
    workdir.mkdir()
    ports = Ports.free()
    pf = start_postfix(postfix_factory, ports)
    policy = write_policy(workdir, pf.smtp_port)
    text = policy.read_text()
    assert text.count(PER_DAY) == 1
    text = text.replace(PER_DAY, PER_DAY.replace("20", " 1"))
    text = text.replace(f"store: {workdir}/history.sqlite", f"store: {redis_url}")
    text = text.replace(f"key_file: {workdir}/history.key", f"key_file: {key}")
    policy.write_text(text)
    start_postwarden(milter_factory, ports, policy, "--audit-log", str(workdir / "audit.jsonl"))
    return pf, ports, policy


def held_count(pf: PostfixInstance) -> int:
    return sum(1 for e in pf.postqueue_json() if e["queue_name"] == "hold")


def test_two_gateways_share_history_and_notice_limits(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> None:
    """Held at A as first contact; after an import into the shared history, delivered at B;
    the sender's second held-mail notice of the day (at B) is rate limited by the count A
    left in Redis."""
    with RedisServer(tmp_path / "redis") as redis:
        key = tmp_path / "site.key"
        pf_a, _, policy = gateway(postfix_factory, milter_factory, tmp_path / "a", redis.url, key)
        pf_b, ports_b, _ = gateway(postfix_factory, milter_factory, tmp_path / "b", redis.url, key)

        assert smtp_send(pf_a.smtp_port, SENDER, [KNOWN], DOSSIER).delivered
        pf_a.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q), timeout=30)
        sink.wait_for(notice("sender-held", SENDER), timeout=30)

        earlier = tmp_path / "earlier-audit.jsonl"
        earlier_audit_trail(policy, earlier)
        argv = [sys.executable, "-m", "milter", "history", "import", "--policy", str(policy)]
        done = subprocess.run(
            [*argv, "--audit-log", str(earlier)],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            check=False,
        )
        assert done.returncode == 0, done.stderr

        assert smtp_send(pf_b.smtp_port, SENDER, [KNOWN], DOSSIER).delivered
        sink.wait_for(lambda m: KNOWN in m.rcpt_tos, timeout=30)
        assert held_count(pf_b) == 0

        # A new domain at B: held, but the sender was told once today already (at A).
        assert smtp_send(pf_b.smtp_port, SENDER, [NEW], DOSSIER).delivered
        pf_b.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q), timeout=30)
        line = 'postwarden_quarantine_notices_total{kind="sender_held",result="rate_limited"} 1.0'
        metrics = ports_b.metrics_text()
        assert line in metrics
        told = [m for m in sink.messages if m.header("X-Postwarden-Notice") == "sender-held"]
        assert len(told) == 1
