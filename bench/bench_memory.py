"""Memory benchmark: milter RSS over 10 000 messages, and with 100 connections held open.

A fresh Postwarden (policies/example.yaml, unix socket) is driven as Postfix would drive it
(bench/milterload.py), 50 KB messages with unique envelopes (so a cache keyed on
addresses or domains would show up as growth). VmRSS from /proc/PID/status is sampled
before and after every 1000 messages; growth is the last sample minus the one after the
first 1000 (the first batch pays for imports and first-use caches).

Then 100 connections are opened and each is left mid-message (negotiated, MAIL, 2 RCPTs,
headers and half the body of a 1 MB message sent); RSS and the thread count are read while
they are held, again after all messages finished, and after the connections closed. The held
connections are measured again against ``serve --workers 2`` (systemd/postwarden.service's
``--workers auto`` on this machine), its RSS the sum over the supervisor and its workers.

    python -m bench.bench_memory [--quick]      # JSON on stdout
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import servers
from bench.milterload import BenchClient, Transaction, run_parallel, unique_envelope
from bench.mime import build_message

KIB = 1024


def threads(pid: int) -> int:
    """Threads of the process group pid leads (/proc/PID/status of each member)."""
    total = 0
    for member in servers.group_pids(pid):
        with contextlib.suppress(OSError), open(f"/proc/{member}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    total += int(line.split()[1])
    return total


def settle_rss(pid: int, seconds: float = 0.5) -> int:
    """RSS of the process group pid leads after a short pause (threads finish, allocator
    settles)."""
    time.sleep(seconds)
    return servers.group_rss_kib(pid)


def growth_over_messages(
    sock: Path, pid: int, total: int, every: int, connections: int = 4
) -> dict[str, Any]:
    """RSS sampled every `every` messages over `total` messages of 50 KB."""
    tx = Transaction.from_message(build_message(50 * KIB))
    samples = [{"messages": 0, "rss_kib": servers.group_rss_kib(pid)}]
    for batch in range(total // every):
        results = run_parallel(
            str(sock),
            tx,
            connections,
            every // connections,
            120.0,
            first_connection=(batch + 1) * 1000,
        )
        done = samples[-1]["messages"] + sum(len(r.message_s) for r in results)
        samples.append({"messages": done, "rss_kib": settle_rss(pid, 0.2)})
        print(f"memory: {done} messages, RSS {samples[-1]['rss_kib']} KiB", file=sys.stderr)
    base = samples[1]["rss_kib"] if len(samples) > 2 else samples[0]["rss_kib"]
    return {
        "message_size": "50KB",
        "samples": samples,
        "growth_after_first_batch_kib": samples[-1]["rss_kib"] - base,
        "max_rss_kib": max(s["rss_kib"] for s in samples),
    }


def held_connections(sock: Path, pid: int, count: int) -> dict[str, Any]:
    """`count` connections each held mid-message (half of a 1 MB body sent)."""
    tx = Transaction.from_message(build_message(1024 * KIB))
    half = len(tx.body) // 2
    out: dict[str, Any] = {"connections": count, "body_bytes_sent_each": half}
    out["rss_kib_before"] = settle_rss(pid)
    clients: list[BenchClient] = []
    try:
        for n in range(count):
            client = BenchClient(str(sock))
            clients.append(client)
            client.open_session()
            client.start_message(tx.with_envelope(*unique_envelope(n, 90_000)))
            client.send_body(tx.body[:half])
        out["rss_kib_held"] = settle_rss(pid, 1.0)
        out["threads_held"] = threads(pid)
        verdicts: dict[str, int] = {}
        for client in clients:
            client.send_body(tx.body[half:])
            verdict = client.end_message().final.cmd.decode(errors="replace")
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
        out["verdicts"] = verdicts
        out["rss_kib_after_messages"] = settle_rss(pid)
    finally:
        for client in clients:
            with contextlib.suppress(OSError):
                client.close()
    out["rss_kib_after_close"] = settle_rss(pid, 1.0)
    out["threads_after_close"] = threads(pid)
    return out


def run(
    *, quick: bool = False, env: dict[str, str] | None = None, messages: int | None = None
) -> dict[str, Any]:
    """Growth over `messages` (10 000; quick 1000) and 100 (quick 20) held connections;
    `env` is added to the milter's environment (e.g. MALLOC_ARENA_MAX)."""
    total, every, held = (1000, 250, 20) if quick else (10_000, 1000, 100)
    total = messages or total
    with servers.work_dir("memory") as work:
        sock = work / "smtpd.sock"
        milter = servers.postwarden(
            work, "postwarden", f"unix:{sock}", f"unix:{work / 'l.sock'}", env=env
        )
        with milter:
            out: dict[str, Any] = {
                "env": env or {},
                "rss_kib_at_start": servers.rss_kib(milter.pid),
            }
            out["over_messages"] = growth_over_messages(sock, milter.pid, total, every)
            out["held_connections"] = held_connections(sock, milter.pid, held)
        sock = work / "workers.sock"
        milter = servers.postwarden(
            work, "workers", f"unix:{sock}", f"unix:{work / 'wl.sock'}", env=env, workers=2
        )
        with milter:
            deadline = time.monotonic() + 30  # the supervisor binds, then starts the workers
            while len(servers.group_pids(milter.pid)) < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
            out["workers2"] = {
                "rss_kib_at_start": settle_rss(milter.pid, 1.0),
                "processes": len(servers.group_pids(milter.pid)),
                "held_connections": held_connections(sock, milter.pid, held),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1000 messages, 20 connections")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick)))


if __name__ == "__main__":
    main()
