"""``make bench-experiments``: measure proposed milter changes before anyone makes them.

First the framing and dispatch alone, python-libmilter's (stock) and the adapter's own (which
replaced it), on the exact byte stream of each message size. Then each variant of
bench/variants.py (the milter with one experimental patch) against the unpatched milter,
at protocol level (unix socket: 5 KB, 50 KB and 1 MB on one connection, 5 KB on eight) and end
to end (Postfix alone, Postwarden over a unix socket, and Postwarden with each variant,
alternating rounds as in bench_e2e); with --memory also the memory benchmark with glibc's
default allocator arenas and with MALLOC_ARENA_MAX=2. The JSON result is the last line printed.

    python -m bench.experiments [--quick] [--variants skip-body inline-budget ...] [--memory]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import libmilter as lm

from bench import bench_e2e, bench_memory, bench_protocol, servers
from bench.milterload import BODY_CHUNK, Transaction
from bench.mime import build_message
from milter.policy import load_policy
from milter.server.session import CONTINUE_PACKET, MilterSession, PolicyHolder
from tests.support.milterclient import packet

DEFAULT_VARIANTS = ("inline-budget", "skip-body")
PROTOCOL_CELLS = (("5KB", 1), ("50KB", 1), ("1MB", 1), ("5KB", 8))


def protocol(variants: tuple[str, ...], quick: bool) -> dict[str, Any]:
    """Decisions/s, EOM latency and milter CPU per message for baseline and each variant."""
    out: dict[str, Any] = {}
    for variant in ("", *variants):
        cells: dict[str, Any] = {}
        for size, conns in PROTOCOL_CELLS:
            result = bench_protocol.run(
                quick=quick,
                transports=("unix",),
                concurrency=(conns,),
                sizes=(size,),
                variant=variant,
            )
            cell = result["transports"]["unix"][f"{size}/c{conns}"]
            cells[f"{size}/c{conns}"] = {
                "decisions_per_s": cell["decisions_per_s"],
                "eom_p99_ms": cell["eom_latency"]["p99_ms"],
                "milter_cpu_ms_per_message": cell["milter_cpu_ms_per_message"],
            }
            print(f"experiment protocol {variant or 'baseline'} {size} x{conns}", file=sys.stderr)
        out[variant or "baseline"] = cells
    return out


def end_to_end(variants: tuple[str, ...], quick: bool) -> dict[str, Any]:
    settings = bench_e2e.settings_from_env()
    settings.configs = (
        "postfix",
        "postwarden-unix",
        *(f"postwarden-unix+{v}" for v in variants),
    )
    if quick:
        settings.runs, settings.messages, settings.warmup_messages = 1, 300, 50
    else:
        settings.runs = min(settings.runs, 5)
    result = bench_e2e.run(settings)
    return {"settings": result["settings"], "results": result["results"]}


class _NullMilter(lm.MilterProtocol):  # type: ignore[misc]
    """python-libmilter with callbacks that do nothing: only framing and dispatch remain."""

    def __init__(self) -> None:
        lm.MilterProtocol.__init__(self, 0, lm.SMFIP_NR_HDR | lm.SMFIP_NR_BODY)
        self.protos &= ~(lm.SMFIP_NOHDRS | lm.SMFIP_NOBODY)

    def send(self, msg: bytes) -> None:
        pass

    def mailFrom(self, frAddr: bytes, cmdDict: dict[bytes, bytes]) -> bytes:
        return lm.CONTINUE

    def rcpt(self, recip: bytes, cmdDict: dict[bytes, bytes]) -> bytes:
        return lm.CONTINUE

    def header(self, key: bytes, val: bytes, cmdDict: dict[bytes, bytes]) -> None:
        return None

    def body(self, chunk: bytes, cmdDict: dict[bytes, bytes]) -> None:
        return None

    def eob(self, cmdDict: dict[bytes, bytes]) -> bytes:
        return lm.ACCEPT


class _NullTransport:
    family = 0

    def sendall(self, data: bytes) -> None:
        pass


class _AdapterNullMilter(MilterSession):
    """The adapter's own framing and dispatch, with event handlers that do nothing."""

    def __init__(self) -> None:
        policy = load_policy(servers.ROOT / "policies" / "example.yaml")
        super().__init__(_NullTransport(), "smtp", PolicyHolder(policy), None)  # type: ignore[arg-type]

    def mail_from(self, sender: bytes, macros: dict[bytes, bytes]) -> bytes:
        return CONTINUE_PACKET

    def rcpt(self, recip: bytes, macros: dict[bytes, bytes]) -> bytes:
        return CONTINUE_PACKET

    def header(self, key: bytes, val: bytes) -> None:
        return None

    def body(self, chunk: bytes) -> None:
        return None

    def end_of_message(self, macros: dict[bytes, bytes]) -> bytes:
        return bytes(lm.ACCEPT)


def _wire(message: bytes) -> bytes:
    """The bytes smtpd sends a milter for one message (MAIL, 2 RCPT, headers, body, EOM)."""
    tx = Transaction.from_message(message)
    out = [packet(b"M", b"<" + tx.sender.encode() + b">\0")]
    out += [packet(b"R", b"<" + r.encode() + b">\0") for r in tx.recipients]
    out += [packet(b"L", n.encode() + b"\0" + v.encode() + b"\0") for n, v in tx.headers]
    out += [packet(b"B", tx.body[i : i + BODY_CHUNK]) for i in range(0, len(tx.body), BODY_CHUNK)]
    return b"".join([*out, packet(b"E")])


def framing(quick: bool) -> dict[str, Any]:
    """CPU per message of the framing/dispatch alone, python-libmilter's vs ours, fed the
    byte stream of real messages in 64 KiB reads (no sockets: exact, contention-free)."""
    out: dict[str, Any] = {}
    for name, size in bench_protocol.SIZES.items():
        stream = _wire(build_message(size))
        reads = [stream[i : i + 65536] for i in range(0, len(stream), 65536)]
        count = max(5, (200 if quick else 2000) * 5 * 1024 // size)
        cells = {}
        for label, feed in (
            ("stock", _NullMilter().dataReceived),
            ("adapter", _AdapterNullMilter().feed),
        ):
            start = time.process_time()
            for _ in range(count):
                for data in reads:
                    feed(data)
            cells[f"{label}_us_per_message"] = round((time.process_time() - start) * 1e6 / count, 1)
        out[name] = cells
    return out


def memory(quick: bool) -> dict[str, Any]:
    """RSS with the default glibc allocator and with MALLOC_ARENA_MAX=2 (threads share arenas)."""
    return {
        "default": bench_memory.run(quick=quick),
        "MALLOC_ARENA_MAX=2": bench_memory.run(quick=quick, env={"MALLOC_ARENA_MAX": "2"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--variants", nargs="*", default=list(DEFAULT_VARIANTS))
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--memory", action="store_true", help="also the allocator experiment")
    args = parser.parse_args()
    variants = tuple(args.variants)
    out: dict[str, Any] = {"framing": framing(args.quick)}
    out["protocol"] = protocol(variants, args.quick)
    if not args.skip_e2e:
        out["e2e"] = end_to_end(variants, args.quick)
    if args.memory:
        out["memory"] = memory(args.quick)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
