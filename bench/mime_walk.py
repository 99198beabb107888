"""CPU per message of `scan_message` on the realistic mix, per kind (OCR off): the MIME walk's cost.

    python -m bench.mime_walk [--rounds 7] [--profile KIND] [--compare]

For each message of bench.mime.realistic_mix(): the median over rounds of time.process_time()
per scan (each round scans the message enough times for ~0.2 s), with the scanner of
policies/example.yaml and OCR off.  `--profile KIND` prints the cProfile of 200 scans of one
kind instead.  `--compare` alternates, round by round, the native MIME walk (content.native's
split_headers, header_fields, split_multipart, simple_params, sniff) with the Python one, in
one process: the fairest before/after on a busy machine.  Run it under POSTWARDEN_NATIVE=0 for
the Python code.  Heavy: run it under `flock /tmp/heavy.lock` on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import statistics
import time
from pathlib import Path

from bench.mime import realistic_mix
from milter.content import native
from milter.content.scan import CompiledScanner, compile_config
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]


def scanner() -> CompiledScanner:
    """The example policy's scanner with OCR off."""
    policy = load_policy(ROOT / "policies" / "example.yaml")
    assert policy.content is not None
    cfg = policy.content.scanner.config
    return compile_config(dataclasses.replace(cfg, ocr=dataclasses.replace(cfg.ocr, enabled=False)))


def per_message_us(scan: CompiledScanner, data: bytes, rounds: int) -> float:
    """Median process-time microseconds per scan of `data`."""
    started = time.process_time()
    scan.scan_message(data)
    repeat = max(3, int(0.2 / max(time.process_time() - started, 1e-5)))
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            scan.scan_message(data)
        timings.append((time.process_time() - started) / repeat * 1e6)
    return statistics.median(timings)


MIME_FUNCTIONS = ("split_headers", "header_fields", "split_multipart", "simple_params", "sniff")


def compare(scan: CompiledScanner, data: bytes, rounds: int) -> tuple[float, float]:
    """(Python MIME walk, native MIME walk): median microseconds per scan, rounds alternated."""
    saved = {name: getattr(native, name) for name in MIME_FUNCTIONS}
    timings: dict[bool, list[float]] = {False: [], True: []}
    try:
        for _ in range(rounds):
            for on in (False, True):
                for name, function in saved.items():
                    setattr(native, name, function if on else None)
                timings[on].append(per_message_us(scan, data, 1))
    finally:
        for name, function in saved.items():
            setattr(native, name, function)
    return statistics.median(timings[False]), statistics.median(timings[True])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", metavar="KIND")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    scan = scanner()
    mix = realistic_mix()
    if args.profile:
        data = mix[args.profile]
        scan.scan_message(data)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(200):
            scan.scan_message(data)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    print(f"scanner: {native.SCANNER}")
    if args.compare:
        print(f"{'kind':24s} {'size':>11s} {'python walk':>12s} {'native walk':>12s}")
        for kind, data in mix.items():
            before, after = compare(scan, data, args.rounds)
            print(f"{kind:24s} {len(data) / 1024:8.1f} KB {before:9.1f} us {after:9.1f} us")
        return
    for kind, data in mix.items():
        us = per_message_us(scan, data, args.rounds)
        print(f"{kind:24s} {len(data) / 1024:8.1f} KB {us:9.1f} us", flush=True)


if __name__ == "__main__":
    main()
