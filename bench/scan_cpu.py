"""CPU per message of the content scan alone, as the milter drives it: stable on a busy machine.

Builds the benchmark's messages (bench/mime.py: a Dutch letter plus a one-page PDF) and
scans each through `ScanSession` exactly as the adapter does (headers one by one, the body in
65 535-byte chunks, `finish`), with the scanner of policies/example.yaml. Reports the median
and the minimum over rounds of `time.process_time()` per message: process time does not count
the time other work on the machine takes, so these numbers move far less than wall-clock ones.

    python -m bench.scan_cpu [--rounds 9] [SIZE_KB ...]      # default 10 100 1024

To compare two trees, run it once in each (alternating, a few times) and compare the medians.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.mime import build_message, split_message
from milter.content import ContentFacts
from milter.content.scan import CompiledScanner
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 65535


def scan_once(
    scanner: CompiledScanner, headers: list[tuple[str, str]], body: bytes
) -> ContentFacts:
    """One message through a scan session, as milter/adapter.py feeds it."""
    with scanner.session() as session:
        for name, value in headers:
            session.header(name, value)
        for at in range(0, len(body), CHUNK):
            session.body(body[at : at + CHUNK])
        return session.finish()


def measure(scanner: CompiledScanner, size: int, rounds: int) -> dict[str, float]:
    """Median and minimum CPU microseconds per message over `rounds` rounds."""
    headers, body = split_message(build_message(size))
    messages = max(5, 3_000_000 // size)
    for _ in range(3):
        scan_once(scanner, headers, body)  # warm up: imports, first-use tables
    per_message = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(messages):
            scan_once(scanner, headers, body)
        per_message.append((time.process_time() - started) / messages * 1e6)
    return {
        "median_us": round(statistics.median(per_message), 1),
        "min_us": round(min(per_message), 1),
        "messages_per_round": messages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes_kb", nargs="*", type=int, default=[10, 100, 1024])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    policy = load_policy(ROOT / "policies" / "example.yaml")
    assert policy.content is not None, "the example policy has content rules"
    for kb in args.sizes_kb:
        result = measure(policy.content.scanner, kb * 1024, args.rounds)
        print(f"{kb:5d} KB: {result}", flush=True)


if __name__ == "__main__":
    main()
