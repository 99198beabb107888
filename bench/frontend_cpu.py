"""Milter CPU per message with the native framing and with the Python framing, in process.

bench_protocol.py measures the whole `serve` process on a busy machine, where the two front
ends differ by less than the noise of a round. This one runs the milter's own connection
handling (server.listeners.MilterServer, a thread per connection, policies/example.yaml) in this
process, with an observer that records nothing (no metrics, log or audit: those are the same
for both front ends), and drives it from a forked client process over a unix socket as
bench_protocol does (bench/milterload.py). The CPU time of this process (the client's is its
own) divided by the messages is the milter's CPU per message. Front ends alternate run by run.

Configurations, per message size (5 KB and 50 KB, bench_protocol's messages):
  scan      the example policy: the content scan runs (native content core if built)
  noscan    the same policy without content rules: framing, events and the engine only
  conn      scan, but every message on a connection of its own (negotiation and a thread each,
            as Postfix's one-message SMTP sessions do)
  noscan-conn  noscan, every message on a connection of its own: minus noscan, what a
            connection costs

    python -m bench.frontend_cpu [--messages N] [--rounds R]      # JSON on stdout

Nothing here is timed in tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import milter.protocol.native as native_wire
from bench.bench_protocol import SIZES
from bench.milterload import BenchClient, Transaction, unique_envelope
from bench.mime import build_message
from bench.session_cpu import _Quiet
from milter.policy import load_policy
from milter.policy.model import Policy
from milter.server.listeners import ListenSpec, MilterServer
from milter.server.session import PolicyHolder

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "example.yaml"
NATIVE_WIRE = native_wire.Wire


def _client(address: str, tx: Transaction, messages: int, per_connection: bool) -> None:
    """The MTA side, in its own process: `messages` messages, on one connection or each on
    its own."""
    if per_connection:
        for n in range(messages):
            client = BenchClient(address)
            client.open_session()
            client.transaction(tx.with_envelope(*unique_envelope(n)))
            client.close()
        return
    client = BenchClient(address)
    client.open_session()
    for n in range(messages):
        client.transaction(tx.with_envelope(*unique_envelope(n)))
    client.close()


def cpu_us_per_message(
    policy: Policy, tx: Transaction, messages: int, per_connection: bool, native: bool
) -> float:
    native_wire.Wire = NATIVE_WIRE if native else None
    with tempfile.TemporaryDirectory(prefix="pw-frontend-") as work:
        path = f"{work}/m.sock"
        server = MilterServer(
            [(ListenSpec("unix", path=path), "smtp")], PolicyHolder(policy), _Quiet()
        )
        server.bind()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            ctx = multiprocessing.get_context("fork")
            warm = ctx.Process(target=_client, args=(path, tx, min(20, messages), per_connection))
            warm.start()
            warm.join(120)
            proc = ctx.Process(target=_client, args=(path, tx, messages, per_connection))
            start = time.process_time()
            proc.start()
            proc.join(600)
            time.sleep(0.05)  # the last session thread closes its connection
            used = time.process_time() - start
            if proc.exitcode != 0:
                raise RuntimeError(f"client failed: exit {proc.exitcode}")
        finally:
            server.stop()
            thread.join(5)
            server.drain(2)
    return used / messages * 1e6


def run(messages: int = 1000, rounds: int = 5) -> dict[str, Any]:
    if NATIVE_WIRE is None:
        raise SystemExit("milter._native.Wire is not there: nothing to compare")
    policy = load_policy(str(POLICY))
    configs = {
        "scan": (policy, False),
        "noscan": (dataclasses.replace(policy, content=None), False),
        "conn": (policy, True),
        "noscan-conn": (dataclasses.replace(policy, content=None), True),
    }
    out: dict[str, Any] = {"messages": messages, "rounds": rounds, "cells": {}}
    for size in ("5KB", "50KB"):
        tx = Transaction.from_message(build_message(SIZES[size]))
        for name, (pol, per_conn) in configs.items():
            n = messages // 4 if per_conn else messages
            samples: dict[str, list[float]] = {"native": [], "python": []}
            for r in range(rounds):  # the order flips each round: no front end always first
                for front in ("native", "python")[:: 1 if r % 2 == 0 else -1]:
                    samples[front].append(
                        cpu_us_per_message(pol, tx, n, per_conn, front == "native")
                    )
            out["cells"][f"{size}/{name}"] = {
                front: {
                    "median_us": round(statistics.median(v), 1),
                    "rounds": [round(x) for x in v],
                }
                for front, v in samples.items()
            }
            print(f"frontend_cpu: {size}/{name} {out['cells'][f'{size}/{name}']}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.messages, args.rounds), indent=1))


if __name__ == "__main__":
    main()
