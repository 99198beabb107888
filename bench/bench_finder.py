"""The matcher's search alone: `python bench/bench_finder.py [--mb 5] [--rounds 5]`.

Not a test (no timing assertions anywhere).  Steps through bench_content's plain and
plain_dense prose with the combined pattern of the default policy exactly as matcher.py's pass
does (the next match from `pos`, then `pos` = its end), once with RE2's first-match call and
once with the native finder (milter._native.Finder), both called from Python; and once in the
finder's own Rust loop (`_count`: no Python call per match).  Prints MB/s of CPU time (one
core; median and best of --rounds) and CPU ms per round, checks both found the same matches,
and ends with a JSON line.  `candidates` is the share of positions the finder's prefilter lets
through to its DFA.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corpus"))

from bench import bench_content
from milter import _native
from milter.content import ScanConfig, compile_config
from milter.content._re2 import compile_re2, first_match

Find = Callable[[bytes, int, int], Sequence[tuple[int, int]]]


def step(first: Find, data: bytes) -> int:
    """How many matches the pass sees (the matcher's stepping, no dispatch)."""
    size, pos, found = len(data), 0, 0
    while pos <= size:
        start, end = first(data, pos, size)[0]
        if start < 0:
            return found
        found += 1
        pos = end if end > start else end + 1
    return found


def rounds(work: Callable[[], int], count: int) -> tuple[list[float], int]:
    """CPU seconds of each round, and what the work returned."""
    times: list[float] = []
    result = 0
    for _ in range(count):
        began = time.process_time()
        result = work()
        times.append(time.process_time() - began)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pattern = compile_config(ScanConfig()).matcher.pattern
    assert pattern is not None
    began = time.process_time()
    finder = _native.Finder(pattern)
    build_ms = (time.process_time() - began) * 1e3
    re2 = first_match(compile_re2(pattern, latin1=True))
    size = int(args.mb * 1e6)
    texts = {
        "plain": bench_content.prose(size).encode(),
        "plain_dense": bench_content.prose(size, dossier_rate=0.012).encode(),
    }
    print(f"finder: {finder.literal_count} prefix literals, built in {build_ms:.0f} ms CPU")
    print(f"{'text':<12} {'searcher':<14} {'MB/s med':>9} {'MB/s best':>9} {'ms med':>8}")
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, data in texts.items():
        mb = len(data) / 1e6
        counts = {}
        results[name] = {"candidates": {"share": finder._candidates(data) / len(data)}}
        for label, work in (
            ("re2", lambda d=data: step(re2, d)),
            ("native", lambda d=data: step(finder.first, d)),
            ("native_loop", lambda d=data: finder._count(d)),
        ):
            times, counts[label] = rounds(work, args.rounds)
            med, best = statistics.median(times), min(times)
            results[name][label] = {
                "mb_s": round(mb / med, 1),
                "mb_s_best": round(mb / best, 1),
                "cpu_ms": round(med * 1e3, 2),
            }
            print(f"{name:<12} {label:<14} {mb / med:9.1f} {mb / best:9.1f} {med * 1e3:8.2f}")
        assert len(set(counts.values())) == 1, counts  # the same matches, whichever searcher
    print(json.dumps({"finder": results, "rounds": args.rounds, "mb": args.mb}))


if __name__ == "__main__":
    main()
