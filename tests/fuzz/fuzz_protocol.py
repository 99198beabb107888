"""Long protocol fuzz (``make fuzz``): ≥ 100 000 hostile milter connections, then valid ones.

The daemon runs as its own process (``python -m milter serve`` with the example policy, both
paths, metrics), exactly as Postfix meets it, so its threads and resident memory can be
measured apart from Hypothesis's own bookkeeping. Every case must end in a verdict or a close;
every ``HEALTH_EVERY`` cases the daemon must answer well-formed conversations correctly; every
``SAMPLE_EVERY`` cases its threads fall back within a bound (the idle count plus the adapter's
worker pool) and its RSS stays within ``MAX_RSS_GROWTH`` of the start. At the end its log and
metrics must hold none of the client data the cases carried.

Environment: FUZZ_CASES (hostile cases, default 100000), FUZZ_VALID_CASES (default 20000),
FUZZ_SEED (default: random; the seed is printed so a run can be repeated).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, seed, settings

from tests.reliability.conversations import Conversation
from tests.reliability.hostile import (
    WORKER_POOL_MAX,
    Case,
    check_hostile,
    hostile_case,
    valid_case,
)
from tests.reliability.sentinels import find_leaks
from tests.reliability.service import MilterService

HOSTILE_CASES = int(os.environ.get("FUZZ_CASES", "100000"))
VALID_CASES = int(os.environ.get("FUZZ_VALID_CASES", "20000"))
SEED = int(os.environ.get("FUZZ_SEED") or random.randrange(1 << 32))
HEALTH_EVERY = 10
SAMPLE_EVERY = 500
MAX_RSS_GROWTH = 64 << 20
LONG = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilterService]:
    service = MilterService(tmp_path_factory.mktemp("fuzz") / "milter.log")
    service.start()
    try:
        assert service.healthy() == []
        yield service
    finally:
        status = service.terminate()
        print(f"daemon exit status {status}; seed {SEED}")


class Progress:
    """Counts cases, samples the daemon and prints a line now and then."""

    def __init__(self, daemon: MilterService, what: str) -> None:
        self.daemon = daemon
        self.what = what
        self.cases = 0
        self.started = time.monotonic()
        self.idle_threads = daemon.wait_threads(0, timeout=0.5)
        self.rss_start = daemon.rss_bytes()
        self.rss_max = self.rss_start

    def after_case(self) -> list[str]:
        self.cases += 1
        problems: list[str] = []
        if self.cases % HEALTH_EVERY == 0:
            problems += self.daemon.healthy()
        if self.cases % SAMPLE_EVERY == 0:
            bound = self.idle_threads + WORKER_POOL_MAX + 4
            threads = self.daemon.wait_threads(bound)
            if threads > bound:
                problems.append(f"{threads} threads, bound {bound}")
            self.rss_max = max(self.rss_max, self.daemon.rss_bytes())
            if self.rss_max - self.rss_start > MAX_RSS_GROWTH:
                problems.append(f"RSS grew {(self.rss_max - self.rss_start) >> 20} MiB")
            rate = self.cases / (time.monotonic() - self.started)
            print(
                f"{self.what}: {self.cases} cases, {rate:.0f}/s, RSS max "
                f"{self.rss_max >> 20} MiB, threads {threads}",
                flush=True,
            )
        return problems

    def summary(self) -> str:
        seconds = time.monotonic() - self.started
        return (
            f"{self.what}: {self.cases} cases in {seconds:.0f}s; daemon RSS "
            f"{self.rss_start >> 20} -> max {self.rss_max >> 20} MiB"
        )


class TestProtocolFuzzLong:
    def test_hostile_streams(self, daemon: MilterService) -> None:
        """Hostile connections by the hundred thousand: no hang, no crash, bounded resources."""
        progress = Progress(daemon, "hostile")

        @seed(SEED)
        @settings(LONG, max_examples=HOSTILE_CASES)
        @given(case=hostile_case())
        def run(case: Case) -> None:
            assert daemon.running, "daemon died"
            assert check_hostile(daemon, case) + progress.after_case() == []

        run()
        print(progress.summary())
        assert daemon.healthy() == []

    def test_valid_conversations(self, daemon: MilterService) -> None:
        """Valid conversations split at random points keep their verdicts, many times over."""
        progress = Progress(daemon, "valid")

        @seed(SEED + 1)
        @settings(LONG, max_examples=VALID_CASES)
        @given(case=valid_case())
        def run(case: tuple[Conversation, list[int]]) -> None:
            conv, cuts = case
            assert daemon.converse(conv, cuts) + progress.after_case() == []

        run()
        print(progress.summary())

    def test_no_client_data_in_log_or_metrics(self, daemon: MilterService) -> None:
        """After the run, neither the daemon's log nor its metrics hold planted client data."""
        assert find_leaks([daemon.log_text(), daemon.metrics()]) == []
