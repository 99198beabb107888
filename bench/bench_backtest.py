"""Throughput and memory of ``postwarden backtest`` (issue 17; not part of ``make bench``).

    python -m bench.bench_backtest [--jobs 1 2] [--messages 239 1000 10000]

For each message count, the realistic corpus (tests/corpus/realistic, 239 messages) is
repeated into one mbox of that many messages; ``postwarden backtest --json`` runs over it as
a subprocess with each ``--jobs``, while the resident memory of its process tree (the command
and its workers, from /proc) is sampled every 0.1 s.  Printed: wall time, messages per second,
peak RSS of the whole tree, of the main process and of the largest worker.  Run it with
``flock /tmp/heavy.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "realistic"
POLICY = ROOT / "policies" / "example.yaml"
PAGE = os.sysconf("SC_PAGE_SIZE")


def write_mbox(path: Path, count: int) -> None:
    files = sorted(CORPUS.glob("*.eml"))
    with path.open("wb") as out:
        for i in range(count):
            data = files[i % len(files)].read_bytes().replace(b"\r\n", b"\n")
            out.write(b"From bench@example Mon Dec  7 10:00:00 2026\n")
            # mboxrd quoting, as mail programs write it
            lines = [
                b">" + ln if ln.lstrip(b">").startswith(b"From ") else ln
                for ln in data.split(b"\n")
            ]
            out.write(b"\n".join(lines).rstrip(b"\n") + b"\n\n")


def tree_rss(root: int) -> dict[int, int]:
    """RSS in bytes of `root` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
        rss[int(entry)] = int(statm[1]) * PAGE
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in rss:
            found[pid] = rss[pid]
        todo += children.get(pid, [])
    return found


def measure(mbox: Path, jobs: int) -> dict[str, float]:
    argv = [sys.executable, "-m", "milter", "backtest", "--policy", str(POLICY),
            "--jobs", str(jobs), "--json", str(mbox)]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=ROOT)
    peak_tree = peak_main = peak_worker = 0
    while proc.poll() is None:
        sizes = tree_rss(proc.pid)
        peak_tree = max(peak_tree, sum(sizes.values()))
        peak_main = max(peak_main, sizes.get(proc.pid, 0))
        peak_worker = max([peak_worker, *(v for k, v in sizes.items() if k != proc.pid)])
        time.sleep(0.1)
    out = proc.stdout.read() if proc.stdout else b""
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.returncode
    doc = json.loads(out)
    return {
        "messages": doc["messages"],
        "held": doc["decisions"]["quarantine"],
        "seconds": wall,
        "per_second": doc["messages"] / wall,
        "peak_tree_mib": peak_tree / 2**20,
        "peak_main_mib": peak_main / 2**20,
        "peak_worker_mib": peak_worker / 2**20,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--messages", type=int, nargs="+", default=[239])
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as tmp:
        for count in args.messages:
            mbox = Path(tmp) / f"{count}.mbox"
            write_mbox(mbox, count)
            for jobs in args.jobs:
                r = measure(mbox, jobs)
                print(
                    f"{count:6d} messages, --jobs {jobs}: {r['seconds']:7.1f} s, "
                    f"{r['per_second']:5.1f} msg/s, held {r['held']}, peak RSS tree "
                    f"{r['peak_tree_mib']:.0f} MiB (main {r['peak_main_mib']:.0f}, largest "
                    f"worker {r['peak_worker_mib']:.0f})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
