"""Protocol-level benchmark: decisions/s and decision latency of the adapter, no Postfix.

Starts Postwarden (``python -m milter serve`` on policies/example.yaml) and drives it over its
socket as Postfix's smtpd would (bench/milterload.py): negotiate, MAIL, two RCPTs,
headers, body in 65 535-byte chunks, end of message. Messages are 5 KB, 50 KB and 1 MB, a
text body plus a base64 PDF attachment, every envelope unique; and `mix`, the realistic mix
(bench/mime.realistic_mix: ordinary mail from the realistic corpus -- plain, Outlook HTML,
DOCX, XLSX, embedded-font PDFs, a screenshot, a zip -- and an 8-page report), each kind in
turn, the cell's figures over all of them (and per kind under `kinds`). For each transport (unix
socket, loopback TCP), size and concurrency (1 and 8 connections, each from its own client
process) it reports decisions/s, the latency from sending end-of-message to the verdict
(p50/p90/p99/max), the latency of the whole message, milter CPU per message and the verdicts.

    python -m bench.bench_protocol [--quick]      # JSON on stdout
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from bench import servers
from bench.milterload import WARMUP, Address, Transaction, run_parallel, throughput
from bench.mime import (
    ONE_OFF_KINDS,
    build_message,
    one_off,
    realistic_mix,
    report_message,
    split_message,
)
from bench.stats import latency_ms

KIB = 1024
SIZES = {"5KB": 5 * KIB, "50KB": 50 * KIB, "1MB": 1024 * KIB}
# Messages per cell (shared by the connections); ~2-4 s each on 2 cores.
MESSAGES = {"5KB": 1000, "50KB": 600, "1MB": 60, "mix": 200, "pdf20p": 120}
QUICK_MESSAGES = {"5KB": 160, "50KB": 120, "1MB": 16, "mix": 40, "pdf20p": 16}
MIX = "mix"
PDF20 = "pdf20p"  # a letter with a 20-page embedded-font report (issue 19's latency target)
CELL_DEADLINE_S = 60.0


def start_milter(
    work: Path, transport: str, name: str, variant: str = ""
) -> tuple[servers.Service, Address]:
    """Postwarden listening on a unix socket or loopback TCP; returns it and the address.
    Transport 'unix-python' is the unix socket without the native content core."""
    env = {"POSTWARDEN_NATIVE": "0"} if transport.endswith("-python") else None
    if transport.startswith("unix"):
        path = work / f"{name}.sock"
        spec, address = f"unix:{path}", str(path)
        local = f"unix:{work / f'{name}-local.sock'}"
    else:
        port = servers.free_port()
        spec, address = f"inet:{servers.LOOPBACK}:{port}", (servers.LOOPBACK, port)
        local = f"inet:{servers.LOOPBACK}:{servers.free_port()}"
    return servers.postwarden(work, name, spec, local, variant=variant, env=env).start(), address


def measure_cell(
    address: Address,
    milter_pid: int,
    tx: Transaction | dict[str, Transaction],
    connections: int,
    messages: int,
) -> dict[str, Any]:
    """One size x concurrency cell: throughput, latencies, milter CPU per message.  Given
    several kinds of message (the mix), each kind in turn gets an equal share of `messages`,
    and the figures are over all of them."""
    kinds = tx if isinstance(tx, dict) else {"": tx}
    each = max(1, messages // len(kinds) // connections)
    cpu_before = servers.cpu_seconds(milter_pid)
    snap0 = servers.cpu_snapshot()
    results = []
    done = 0
    wall = 0.0
    per_kind: dict[str, Any] = {}
    for kind, one in kinds.items():
        if kind in ONE_OFF_KINDS:  # its own image in every message (warm-up included)
            source = one.message()
            bodies = tuple(
                split_message(one_off(source))[1] for _ in range(connections * (each + WARMUP))
            )
            one = dataclasses.replace(one, bodies=bodies)
        cpu_kind = servers.cpu_seconds(milter_pid)
        part = run_parallel(address, one, connections, each, CELL_DEADLINE_S)
        part_done, part_wall = throughput(part)
        done, wall = done + part_done, wall + part_wall
        results.extend(part)
        if kind:
            cpu_kind = servers.cpu_seconds(milter_pid) - cpu_kind
            per_kind[kind] = {
                "decisions_per_s": round(part_done / part_wall, 1),
                "eom_p50_ms": latency_ms([s for r in part for s in r.eom_s]).get("p50_ms"),
                "milter_cpu_ms_per_message": round(cpu_kind * 1000 / max(1, part_done), 3),
            }
    cpu = servers.cpu_seconds(milter_pid) - cpu_before
    foreign = servers.foreign_cpu_pct(snap0, servers.cpu_snapshot())
    verdicts: dict[str, int] = {}
    for r in results:
        for verdict, count in r.verdicts.items():
            verdicts[verdict] = verdicts.get(verdict, 0) + count
    return {
        "connections": connections,
        "messages": done,
        "decisions_per_s": round(done / wall, 1),
        "eom_latency": latency_ms([s for r in results for s in r.eom_s]),
        "message_latency": latency_ms([s for r in results for s in r.message_s]),
        # includes warm-up messages and connection setup: an upper bound
        "milter_cpu_ms_per_message": round(cpu * 1000 / max(1, done), 3),
        "verdicts": verdicts,
        "foreign_cpu_pct": round(foreign, 1),  # other work on the machine meanwhile
    } | ({"kinds": per_kind} if per_kind else {})


def run(
    *,
    quick: bool = False,
    transports: tuple[str, ...] = ("unix", "tcp", "unix-python"),
    concurrency: tuple[int, ...] = (1, 8),
    sizes: tuple[str, ...] = (*SIZES, PDF20, MIX),
    variant: str = "",
) -> dict[str, Any]:
    """All cells; one fresh milter per transport (`variant`: see bench/variants.py)."""
    counts = QUICK_MESSAGES if quick else MESSAGES
    out: dict[str, Any] = {"negotiated": None, "transports": {}}
    messages: dict[str, Transaction | dict[str, Transaction]] = {
        name: Transaction.from_message(build_message(SIZES[name]))
        for name in sizes
        if name in SIZES
    }
    if PDF20 in sizes:
        messages[PDF20] = Transaction.from_message(report_message(20))
    if MIX in sizes:
        messages[MIX] = {k: Transaction.from_message(m) for k, m in realistic_mix().items()}
    with servers.work_dir("protocol") as work:
        for transport in transports:
            milter, address = start_milter(work, transport, f"postwarden-{transport}", variant)
            try:
                cells: dict[str, Any] = {}
                for name in sizes:
                    for conns in concurrency:
                        print(f"protocol: {transport} {name} x{conns}", file=sys.stderr)
                        cells[f"{name}/c{conns}"] = measure_cell(
                            address, milter.pid, messages[name], conns, counts[name]
                        )
                cells["rss_kib_after"] = servers.rss_kib(milter.pid)
                out["transports"][transport] = cells
                out["negotiated"] = negotiated(address)
            finally:
                milter.stop()
    return out


def negotiated(address: Address) -> dict[str, str]:
    """The protocol and action flags the milter asks for (what Postfix will send it)."""
    from bench.milterload import BenchClient

    client = BenchClient(address)
    try:
        client.negotiate()
        return {"protocol": hex(client.milter_protocol), "actions": hex(client.milter_actions)}
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick)))


if __name__ == "__main__":
    main()
