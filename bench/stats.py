"""Small statistics and machine facts for the benchmark reports.

Medians for throughput (robust against a noisy neighbour on a shared machine), nearest-rank
percentiles for latency, and the facts a reader needs to compare two results tables: date,
CPU count and model, Postfix/Rspamd/Python versions, load average.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import statistics
import subprocess
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def latency_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max of latencies given in seconds, reported in milliseconds."""
    if not samples_s:
        return {}
    return {
        "p50_ms": round(percentile(samples_s, 50) * 1000, 3),
        "p90_ms": round(percentile(samples_s, 90) * 1000, 3),
        "p99_ms": round(percentile(samples_s, 99) * 1000, 3),
        "max_ms": round(max(samples_s) * 1000, 3),
    }


def _command_version(argv: Sequence[str], pattern: str) -> str | None:
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(pattern, proc.stdout + proc.stderr)
    return match.group(1) if match else None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> list[float]:
    """The 1, 5 and 15 minute load averages (other work on the machine skews results)."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine_info() -> dict[str, object]:
    """Date and machine facts printed with every result."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postfix": _command_version(["/usr/sbin/postconf", "-d", "mail_version"], r"= (\S+)"),
        "rspamd": _command_version(["rspamd", "--version"], r"version (\S+)"),
        "loadavg_at_start": loadavg(),
    }
