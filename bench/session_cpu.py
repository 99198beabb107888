"""Per-message Python outside the sockets: CPU time of one milter session's handling, in process.

The protocol-level benchmark (bench_protocol.py) measures the whole milter process, kernel and
all, on a shared machine; this one isolates the Python of the per-message path, so a change of
a few microseconds shows. It records the bytes bench/milterload.py's client sends for one
message (5 KB or 50 KB, as bench_protocol builds them) over a socket pair, then feeds them again
and again to a ``MilterSession`` whose connection only keeps what is sent, and reports the
thread's CPU time per message (median of several rounds). Configurations:

  bare       the session with an observer that does nothing (framing, events, engine, scan)
  observed   the daemon's observer (server.daemon.DecisionLog): metrics and the log event
  audited    ... and the audit trail, fsync'ed (the deployed set-up)
  no-fsync   ... the audit trail without fsync (what the fsync itself costs in CPU)

and, apart, microseconds per call of the observer's parts (audit record, metrics, log event)
and of address parsing, on the decision of the same message.

    python -m bench.session_cpu [--messages N] [--rounds R]      # JSON on stdout

The log goes to /dev/null (rendered as ``serve`` renders it). Nothing here is timed in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import structlog

from bench.bench_protocol import SIZES
from bench.milterload import BenchClient, Transaction, unique_envelope
from bench.mime import build_message
from milter.audit.trail import AuditLog
from milter.core.address import parse_address
from milter.core.engine import Decision, Envelope, RecipientDecision, SubmissionPath
from milter.metrics.registry import Metrics
from milter.policy import load_policy
from milter.server.daemon import DecisionLog, configure_logging
from milter.server.session import MilterSession, PolicyHolder

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "example.yaml"


class _Wire:
    """The session's connection: keeps nothing, counts bytes."""

    family = socket.AF_UNIX

    def __init__(self) -> None:
        self.sent = 0

    def sendall(self, data: bytes) -> None:
        self.sent += len(data)


class _Recording:
    """A client socket that also keeps every sendall() as one chunk."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.chunks: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.chunks.append(bytes(data))
        self._sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Quiet:
    """An observer that records nothing (the 'bare' configuration)."""

    def __init__(self) -> None:
        self.last: tuple[Decision, Envelope] | None = None

    def decision(
        self, decision: Decision, envelope: Envelope, message_id: str | None = None
    ) -> None:
        self.last = (decision, envelope)

    def recipient_refused(self, refusal: RecipientDecision, *_args: object) -> None:
        pass

    def internal_error(self, path: SubmissionPath) -> None:
        pass

    def decision_seconds(self, path: SubmissionPath, seconds: float) -> None:
        pass

    def ocr_used(self, use: object) -> None:
        pass


def record_stream(tx: Transaction, holder: PolicyHolder) -> tuple[list[bytes], list[bytes]]:
    """The chunks a client sends to negotiate, and those of one whole message (as sent)."""
    ours, theirs = socket.socketpair()
    session = MilterSession(ours, "smtp", holder, _Quiet())
    thread = threading.Thread(target=session.serve, daemon=True)
    thread.start()
    client = BenchClient.__new__(BenchClient)
    recording = _Recording(theirs)
    client.sock = recording  # type: ignore[assignment]
    client.milter_protocol = client.milter_actions = 0
    client._buf = b""
    client._queue_number = 0
    client.open_session()
    opening, recording.chunks = recording.chunks, []
    _, _, verdict = client.transaction(tx.with_envelope(*unique_envelope(0)))
    message = recording.chunks
    theirs.close()
    thread.join(5)
    if verdict not in (b"a", b"c", b"y"):
        raise RuntimeError(f"unexpected verdict {verdict!r} while recording")
    return opening, message


def per_message_cpu_us(
    opening: list[bytes], message: list[bytes], holder: PolicyHolder, observer: Any, n: int
) -> float:
    """Thread CPU microseconds per message, feeding the recorded chunks `n` times."""
    session = MilterSession(_Wire(), "smtp", holder, observer)  # type: ignore[arg-type]
    for chunk in opening:
        session.feed(chunk)
    for chunk in message * 1:  # warm-up: caches, first-use imports
        session.feed(chunk)
    start = time.thread_time()
    for _ in range(n):
        for chunk in message:
            session.feed(chunk)
    return (time.thread_time() - start) / n * 1e6


@contextlib.contextmanager
def _observers(holder: PolicyHolder) -> Iterator[dict[str, Callable[[], Any]]]:
    with tempfile.TemporaryDirectory(prefix="pw-session-cpu-") as work:
        trails: list[AuditLog] = []

        def trail(fsync: bool) -> AuditLog:
            t = AuditLog(
                os.path.join(work, f"audit-{len(trails)}.jsonl"),
                fsync=fsync,
                checkpoint_interval_s=None,
                witness=False,
            )
            t.open()
            trails.append(t)
            return t

        try:
            yield {
                "bare": _Quiet,
                "observed": lambda: DecisionLog(Metrics(), None, holder),
                "audited": lambda: DecisionLog(Metrics(), trail(True), holder),
                "no-fsync": lambda: DecisionLog(Metrics(), trail(False), holder),
            }
        finally:
            for t in trails:
                t.close()


def parts_us(holder: PolicyHolder, decision: Decision, envelope: Envelope) -> dict[str, float]:
    """Microseconds per call of the observer's parts and of address parsing."""
    out: dict[str, float] = {}

    def each(name: str, fn: Callable[[], object], number: int = 2000) -> None:
        out[name] = round(min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6, 2)

    metrics = Metrics()
    log = DecisionLog(metrics, None, holder)
    each(
        "metrics (observe + decision_seconds)",
        lambda: (metrics.observe(decision), metrics.observe_decision_seconds("smtp", 0.001)),
    )
    each("observer without audit (metrics + log event)", lambda: log.decision(decision, envelope))
    with tempfile.TemporaryDirectory(prefix="pw-session-cpu-") as work:
        for fsync in (False, True):
            trail = AuditLog(
                os.path.join(work, f"a{fsync}.jsonl"),
                fsync=fsync,
                checkpoint_interval_s=None,
                witness=False,
            )
            trail.open()
            each(
                f"audit record ({'fsync' if fsync else 'no fsync'}, wall)",
                lambda t=trail: t.message(decision, envelope, message_id="<x@y>"),
                number=200 if fsync else 2000,
            )
            trail.close()
    each(
        "parse_address x3 (sender, 2 recipients)",
        lambda: [
            parse_address(a)
            for a in (
                b"medewerker@samen-veilig.nl",
                b"<p0x1@partner.example>",
                b"<q0x1@zorgpartner.example>",
            )
        ],
    )
    return out


def run(messages: int = 2000, rounds: int = 5) -> dict[str, Any]:
    """Measure, with log events rendered as serve renders them and written nowhere; the
    process's own logging is as it was afterwards (the bench smoke test runs this inside
    pytest: a logger left writing to the closed devnull file broke every later test)."""
    old = structlog.get_config()
    with open(os.devnull, "w") as devnull:
        configure_logging()
        # No caching: a module's logger first used here must not keep the devnull file.
        structlog.configure(
            logger_factory=structlog.WriteLoggerFactory(devnull), cache_logger_on_first_use=False
        )
        try:
            return _run(messages, rounds)
        finally:
            structlog.configure(**old)


def _run(messages: int, rounds: int) -> dict[str, Any]:
    holder = PolicyHolder(load_policy(str(POLICY)))
    out: dict[str, Any] = {"messages_per_round": messages, "rounds": rounds, "sizes": {}}
    for size in ("5KB", "50KB"):
        tx = Transaction.from_message(build_message(SIZES[size]))
        opening, message = record_stream(tx, holder)
        cell: dict[str, Any] = {}
        with _observers(holder) as observers:
            samples: dict[str, list[float]] = {name: [] for name in observers}
            for _ in range(rounds):  # alternate the configurations round by round
                for name, make in observers.items():
                    samples[name].append(
                        per_message_cpu_us(opening, message, holder, make(), messages)
                    )
            for name, values in samples.items():
                cell[name] = {
                    "cpu_us_per_message": round(statistics.median(values), 1),
                    "rounds": [round(v, 1) for v in values],
                }
        out["sizes"][size] = cell
        print(f"session_cpu: {size} done", file=sys.stderr)
    quiet = _Quiet()
    tx = Transaction.from_message(build_message(SIZES["5KB"]))
    opening, message = record_stream(tx, holder)
    session = MilterSession(_Wire(), "smtp", holder, quiet)  # type: ignore[arg-type]
    for chunk in opening + message:
        session.feed(chunk)
    if quiet.last is None:
        raise RuntimeError("no decision recorded")
    out["parts_us"] = parts_us(holder, *quiet.last)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.messages, args.rounds), indent=1))


if __name__ == "__main__":
    main()
