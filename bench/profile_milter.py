"""Where the milter's time goes per message: py-spy under protocol-level load, summarised.

Starts Postwarden on a unix socket, drives it with bench/milterload.py (as Postfix
would) and samples it with ``py-spy record --format raw`` (collapsed stacks, full file names).
Each sample is charged to one part of the hot path by its nearest Postwarden or
python-libmilter frame: python-libmilter (framing/dispatch, and its debug() calls, which
format whole packets with %r even when DEBUG is off), the adapter, socket I/O, engine,
address parsing, content scan, audit, logging (structlog), metrics. Samples of threads
that only wait (selectors, Event.wait) are counted apart and left out of the shares. Content
scanning is split further (PDF text via PDFium, MIME walk and decoding, detectors). The shares
times the milter's CPU time per message (from /proc) give microseconds per message.

    python -m bench.profile_milter [--quick] [--raw-dir DIR]     # JSON on stdout

Needs py-spy (``pip install py-spy``; ``make bench`` installs it) and ptrace rights (root).
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import linecache
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import servers
from bench.bench_protocol import SIZES
from bench.milterload import Transaction, run_parallel, throughput
from bench.mime import build_message

SCENARIOS = (("50KB", 1), ("1MB", 1), ("5KB", 8))
RATE_HZ = 250
CONTENT_PARTS = {  # first match on the nearest milter/content frame
    "milter/content/formats/pdf.py": "content scan: PDF text (PDFium)",
    "milter/content/formats/pdf_simple.py": "content scan: PDF text (fast path)",
    "milter/content/detectors/": "content scan: detectors and matching",
    "milter/content/matcher.py": "content scan: detectors and matching",
    "milter/content/keywords.py": "content scan: detectors and matching",
    "milter/content/_re2.py": "content scan: detectors and matching",
    "milter/content/formats/": "content scan: MIME walk and decoding",
    "milter/content/mime.py": "content scan: MIME walk and decoding",
    "milter/content/leaf.py": "content scan: MIME walk and decoding",
    "milter/content/": "content scan: session and glue",
}
MILTER_PARTS = {
    "milter/content/": "content scan",
    "milter/core/engine.py": "engine (decide)",
    "milter/core/address.py": "address parsing",
    "milter/policy/": "policy",
    "milter/domains/": "domains/DNS",
    "milter/audit/": "audit trail",
    "milter/metrics/": "metrics",
    "milter/officer/notices.py": "notices",
}
IDLE = "waiting (idle threads, excluded)"


def py_spy() -> str | None:
    """The py-spy next to this interpreter, or on PATH."""
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


@functools.cache
def _source(path: str, line: int) -> str:
    return "".join(linecache.getline(path, n) for n in range(max(1, line - 2), line + 1))


def _parse_frame(frame: str) -> tuple[str, str, int]:
    """'func (path:line)' -> (func, path, line)."""
    func, _, where = frame.rpartition(" (")
    path, _, line = where.rstrip(")").rpartition(":")
    return func, path, int(line) if line.isdigit() else 0


def _content_part(path: str, below: list[str]) -> str:
    if any("/pypdfium2/" in p for p in below):
        return CONTENT_PARTS["milter/content/formats/pdf.py"]
    return next(part for marker, part in CONTENT_PARTS.items() if marker in path)


def categorise(frames: list[str]) -> str:
    """The part of the hot path one sampled stack (root first) belongs to."""
    parsed = [_parse_frame(f) for f in frames]
    func, path, _ = parsed[-1]
    if path.endswith("selectors.py") or (path.endswith("threading.py") and "wait" in func):
        return IDLE
    below: list[str] = []  # library files between the leaf and the nearest milter frame
    for _func, path, line in reversed(parsed):
        for marker, part in MILTER_PARTS.items():
            if marker in path:
                if part == "content scan":
                    return _content_part(path, below)
                return part
        if path.endswith("libmilter.py"):
            if "debug(" in _source(path, line) and "def debug" not in _source(path, line):
                return "python-libmilter: debug() formatting packets with %r"
            return "python-libmilter: framing and dispatch"
        if "milter/server/" in path or "milter/protocol/" in path:
            if any("structlog" in p for p in below):
                return "logging (structlog)"
            if any("prometheus_client" in p for p in below):
                return "metrics"
            text = _source(path, line)
            if path.endswith("session.py") and any(
                call in text.splitlines()[-1] for call in (".recv(", "sendall(", "setsockopt(")
            ):
                return "socket I/O (recv/sendall/setsockopt)"
            if path.endswith("daemon.py"):
                return "observer (server/daemon.py)"
            return "milter session (server/, protocol/)"
        below.append(path)
    if any("structlog" in p for p in below):
        return "logging (structlog)"
    if any("prometheus_client" in p for p in below):
        return "metrics"
    return "other (interpreter, thread start)"


def summarise(raw: str, cpu_s: float, messages: int) -> dict[str, Any]:
    """Shares per part and the hottest lines from py-spy's raw output."""
    parts: collections.Counter[str] = collections.Counter()
    lines: collections.Counter[str] = collections.Counter()
    for row in raw.splitlines():
        stack, _, count = row.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        part = categorise(frames)
        parts[part] += int(count)
        if part != IDLE:
            func, path, line = _parse_frame(frames[-1])
            short = path.split("site-packages/")[-1].split("/work/main/")[-1]
            lines[f"{func} ({Path(short).name}:{line})"] += int(count)
    active = sum(n for p, n in parts.items() if p != IDLE) or 1
    us_per_message = cpu_s * 1e6 / max(1, messages)
    return {
        "messages": messages,
        "milter_cpu_us_per_message": round(us_per_message, 1),
        "active_samples": active,
        "idle_samples": parts[IDLE],
        "parts": [
            {
                "part": p,
                "pct": round(100 * n / active, 1),
                "us_per_message": round(us_per_message * n / active, 1),
            }
            for p, n in parts.most_common()
            if p != IDLE
        ],
        "top_lines": [
            {"where": w, "pct": round(100 * n / active, 1)} for w, n in lines.most_common(12)
        ],
    }


def profile_scenario(
    spy: str, work: Path, size: str, connections: int, seconds: float
) -> dict[str, Any]:
    """Fresh milter, py-spy attached, load for `seconds`; the summary."""
    name = f"profile-{size}-c{connections}"
    sock = work / f"{name}.sock"
    milter = servers.postwarden(work, name, f"unix:{sock}", f"unix:{work / f'{name}-l.sock'}")
    milter.start()
    raw_path = work / f"{name}.raw.txt"
    try:
        tx = Transaction.from_message(build_message(SIZES[size]))
        run_parallel(str(sock), tx, 1, 20, 10.0)  # warm up: imports, first-use caches
        recorder = subprocess.Popen(
            [
                *(spy, "record", "--gil", "--pid", str(milter.pid), "--rate", str(RATE_HZ)),
                *("--duration", str(int(seconds) + 2), "--format", "raw", "--full-filenames"),
                *("--output", str(raw_path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.0)  # py-spy attaches
            cpu0 = servers.cpu_seconds(milter.pid)
            results = run_parallel(str(sock), tx, connections, 10**6, seconds)
            cpu = servers.cpu_seconds(milter.pid) - cpu0
        finally:
            recorder.wait(seconds + 30)
        done, _wall = throughput(results)
        out = summarise(raw_path.read_text(), cpu, done)
        out["scenario"] = f"{size}, {connections} connection(s), unix socket"
        return out
    finally:
        milter.stop()


def run(*, quick: bool = False, raw_dir: Path | None = None) -> dict[str, Any]:
    spy = py_spy()
    if spy is None:
        return {"skipped": "py-spy not installed (pip install py-spy)"}
    seconds = 2.0 if quick else 8.0
    out: dict[str, Any] = {"sampler": f"py-spy record --gil --rate {RATE_HZ} (raw)"}
    with servers.work_dir("profile") as work:
        for size, connections in SCENARIOS[:1] if quick else SCENARIOS:
            print(f"profile: {size} x{connections}", file=sys.stderr)
            out[f"{size}/c{connections}"] = profile_scenario(spy, work, size, connections, seconds)
        if raw_dir is not None:
            raw_dir.mkdir(parents=True, exist_ok=True)
            for raw in work.glob("*.raw.txt"):
                shutil.copy(raw, raw_dir / raw.name)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one scenario, 2 s instead of 8")
    parser.add_argument("--raw-dir", type=Path, help="keep py-spy's collapsed stacks here")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick, raw_dir=args.raw_dir)))


if __name__ == "__main__":
    main()
