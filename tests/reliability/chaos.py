"""Load plus faults: the crash and graceful-shutdown scenarios against a real Postfix.

``crash_run`` starts a Postwarden daemon (example policy, audit trail on) and a private Postfix
using it on both paths, sends a planned load through ``LoadGenerator`` while ``Chaos`` kills
the daemon with SIGKILL (or stops it with SIGTERM) at seeded random moments and starts it
again, then waits until Postfix's queue holds nothing but quarantined mail and counts the
result in a ``Ledger``. Everything the daemon wrote (log, audit trail, metrics) and the
``postwarden check`` output used as the oracle are kept for the leak scan.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tests.e2e.postfix import PostfixInstance
from tests.reliability.inprocess import POLICY
from tests.reliability.lab import Lab
from tests.reliability.load import (
    Ledger,
    LoadGenerator,
    expected_fate,
    held_message_ids,
    plan,
)
from tests.reliability.service import MilterService

Fault = Literal["kill", "term"]


@dataclass
class Stop:
    """One fault: when (seconds into the load), how, and how the daemon went."""

    at: float
    fault: Fault
    exit_status: int | None
    exit_seconds: float
    down_seconds: float


class Chaos(threading.Thread):
    """Stops the daemon once the load has finished each of ``thresholds`` messages."""

    def __init__(
        self,
        milter: MilterService,
        load: LoadGenerator,
        thresholds: list[int],
        fault: Fault,
        rng: random.Random,
    ) -> None:
        super().__init__(name=f"chaos-{fault}", daemon=True)
        self.milter = milter
        self.load = load
        self.thresholds = thresholds
        self.fault = fault
        self.rng = rng
        self.stops: list[Stop] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            for threshold in self.thresholds:
                while self.load.done < threshold:
                    time.sleep(0.005)
                time.sleep(self.rng.uniform(0.0, 0.3))  # a random moment, not a message boundary
                at = time.monotonic()
                if self.fault == "kill":
                    self.milter.kill()
                    status: int | None = None
                else:
                    status = self.milter.terminate(timeout=30)
                stopped = time.monotonic()
                time.sleep(self.rng.uniform(0.05, 0.5))
                self.milter.start()
                self.stops.append(
                    Stop(at - started, self.fault, status, stopped - at, time.monotonic() - at)
                )
        except BaseException as exc:  # reported by the test, never swallowed
            self.error = exc


@dataclass
class CrashRun:
    """What a scenario produced."""

    ledger: Ledger
    stops: list[Stop]
    postfix: PostfixInstance
    milter: MilterService
    load_seconds: float
    settle_seconds: float
    outputs: dict[str, str] = field(default_factory=dict)  # our own outputs, for leak scans
    audit: Path | None = None  # the audit trail (torn lines moved aside to audit.jsonl.torn-*)

    def report(self) -> str:
        summary = self.ledger.summary()
        faults = ", ".join(
            f"{s.fault}@{s.at:.1f}s (exit {s.exit_status} after {s.exit_seconds:.1f}s, "
            f"back after {s.down_seconds:.1f}s)"
            for s in self.stops
        )
        return (
            f"{summary} load {self.load_seconds:.1f}s settle {self.settle_seconds:.1f}s; "
            f"faults: {faults}"
        )


def _settle(postfix: PostfixInstance, timeout: float) -> float:
    """Wait until the queue holds only quarantined mail (twice in a row); return the wait."""
    started = time.monotonic()
    quiet = 0
    while quiet < 2 and time.monotonic() - started < timeout:
        pending = [e for e in postfix.postqueue_json() if e["queue_name"] != "hold"]
        quiet = quiet + 1 if not pending else 0
        if pending and int(time.monotonic() - started) % 5 == 4:
            postfix.flush()
        time.sleep(0.5)
    return time.monotonic() - started


def crash_run(
    lab: Lab,
    tmp: Path,
    *,
    run: str,
    messages: int,
    sessions: int,
    faults: int,
    fault: Fault = "kill",
    seed: int = 8,
    time_limit: float = 240.0,
    pace: float = 0.0,
    window: tuple[float, float] = (0.05, 0.85),
) -> CrashRun:
    """Send ``messages`` while stopping the daemon ``faults`` times, each once a random share
    (within ``window``) of the messages is done; count the outcome."""
    rng = random.Random(seed)
    audit = tmp / "audit.jsonl"
    milter = lab.milter(POLICY, "--audit-log", str(audit))
    postfix = lab.postfix(milter)
    lab.sink.clear()
    plans = plan(run, messages, seed)
    checks: list[str] = []
    fates = expected_fate(plans, checks)
    load = LoadGenerator(
        postfix, plans, sessions=sessions, seed=seed, time_limit=time_limit, pace=pace
    )
    low, high = (int(messages * share) for share in window)
    thresholds = sorted(rng.sample(range(low, high), faults))
    chaos = Chaos(milter, load, thresholds, fault, rng)
    chaos.start()
    load.run()
    chaos.join(60)
    if chaos.error is not None:
        raise chaos.error
    if not milter.running:
        milter.start()
    settle = _settle(postfix, timeout=120)
    ledger = Ledger(plans, load.outcomes, fates)
    ledger.count(list(lab.sink.messages), held_message_ids(postfix))
    outputs = {
        "milter log": milter.log_text(),
        "audit trail": "".join(
            p.read_text(errors="replace") for p in sorted(tmp.glob("audit.jsonl*"))
        ),
        "metrics": milter.metrics(),
        "postwarden check": "\n".join(checks),
    }
    return CrashRun(ledger, chaos.stops, postfix, milter, load.seconds, settle, outputs, audit)
