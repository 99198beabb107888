"""Long MIME fuzz (``make fuzz``): ≥ 10 000 generated malformed messages through the scanner.

The cases of tests/reliability/test_mime_fuzz.py, by the ten thousand, with time and memory
measured per message: wall time for every one, the tracemalloc peak for every tenth (tracing
slows the scan down). Bounds are generous — a hostile message may cost the scanner seconds and
tens of megabytes, not minutes or gigabytes — and the distribution is printed.

Environment: FUZZ_MIME_CASES (default 10000), FUZZ_SEED (default random; printed).
"""

from __future__ import annotations

import os
import random
import statistics
import time
import tracemalloc

from hypothesis import HealthCheck, given, seed, settings

from milter.policy import load_policy
from tests.reliability.inprocess import POLICY, rss_bytes
from tests.reliability.mime_cases import MimeCase, mime_case, scan_problems

CASES = int(os.environ.get("FUZZ_MIME_CASES", "10000"))
SEED = int(os.environ.get("FUZZ_SEED") or random.randrange(1 << 32))
MAX_SECONDS = 30.0
MAX_PEAK = 512 << 20
MAX_RSS_GROWTH = 512 << 20
TRACE_EVERY = 10


class TestMimeFuzzLong:
    def test_every_message_in_time_and_memory(self) -> None:
        """Each message: facts, no exception, ≤ 30 s and ≤ 512 MiB traced peak."""
        scanner = load_policy(POLICY).content.scanner
        times: list[float] = []
        peaks: list[int] = []
        rss_before = rss_bytes()

        @seed(SEED)
        @settings(max_examples=CASES, deadline=None, database=None, print_blob=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=mime_case())
        def run(case: MimeCase) -> None:
            traced = len(times) % TRACE_EVERY == 0
            if traced:
                tracemalloc.start()
            try:
                problems, seconds = scan_problems(scanner, case, MAX_SECONDS)
            finally:
                if traced:
                    peaks.append(tracemalloc.get_traced_memory()[1])
                    tracemalloc.stop()
            times.append(seconds)
            assert problems == []
            if traced:
                assert peaks[-1] < MAX_PEAK, f"{case.what}: peak {peaks[-1] >> 20} MiB"
            if len(times) % 1000 == 0:
                print(f"{len(times)} messages, slowest {max(times):.2f}s", flush=True)

        started = time.monotonic()
        run()
        grown = rss_bytes() - rss_before
        times.sort()
        print(
            f"seed {SEED}: {len(times)} messages in {time.monotonic() - started:.0f}s; "
            f"scan time median {statistics.median(times) * 1000:.1f} ms, "
            f"p99 {times[int(len(times) * 0.99)] * 1000:.0f} ms, max {times[-1]:.2f}s; "
            f"traced peak median {int(statistics.median(peaks)) >> 10} KiB, "
            f"max {max(peaks) >> 20} MiB; RSS +{grown >> 20} MiB"
        )
        assert grown < MAX_RSS_GROWTH
