"""``make bench``: every benchmark of issue 7 in one sitting; the JSON summary is the last line.

Sections, in order: machine facts; end to end through Postfix (bench_e2e); protocol level
(bench_protocol); memory (bench_memory); the content-scan benchmark (bench_content.py, when it
exists); OCR cost per image and per scanned page (bench_ocr.py); a py-spy profile of the hot
path (profile_milter, when py-spy is installed); and the issue's targets, each with its
measured value and whether it is met. Progress goes to stderr.
A section that fails is recorded as {"error": ...} and the others still run; the exit status
is then 1.

    python -m bench.run [--quick] [--skip e2e,profile,...] [--output FILE]

Sizes of a run come from the environment (see bench_e2e.settings_from_env): BENCH_RUNS,
BENCH_MESSAGES, BENCH_SESSIONS, BENCH_SIZES_KB, BENCH_CONFIGS, BENCH_REUSE_CONNECTIONS,
BENCH_TMPDIR, BENCH_KEEP.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import bench_e2e, bench_memory, bench_protocol, profile_milter
from bench.servers import BENCH_DIR, ROOT
from bench.stats import loadavg, machine_info

SECTIONS = ("e2e", "protocol", "memory", "content", "ocr", "profile")
# Issue 7's targets.
TARGET_B_OVER_A = 0.85
TARGET_B_OVER_C = 1.4
TARGET_P99_MS = 5.0
# Issue 19's, on the realistic mix: against Rspamd's best transport and the no-op milter.
TARGET_MIX_OVER_RSPAMD = 1.4
TARGET_MIX_OVER_NOOP = 0.9
TARGET_MILTER_CPU_MS_10KB = 1.0  # milter CPU per 10 KB message, end to end
TARGET_PLAIN_MB_S = 1000.0  # content scan of plain text, one core
TARGET_P99_PDF20_MS = 50.0  # EOM->verdict, a letter with a 20-page PDF, 1 connection
TARGET_RSS_KIB = 150_000_000 // 1024  # 150 MB
FLAT_TOLERANCE_KIB = 1024  # "no growth": within 1 MiB after the first 1000 messages


def content_bench(quick: bool) -> dict[str, Any]:
    """Run bench/bench_content.py (written separately) and take its last JSON line.

    Its own defaults (20 MB x 5 runs per kind) take minutes while scanning is slow, so it is
    asked for BENCH_CONTENT_MB x BENCH_CONTENT_RUNS (2 x 3; quick 0.5 x 1) when it takes
    --mb/--runs.
    """
    script = BENCH_DIR / "bench_content.py"
    if not script.exists():
        return {"skipped": "bench/bench_content.py does not exist yet"}
    argv = [sys.executable, str(script)]
    helptext = subprocess.run(
        [*argv, "--help"], capture_output=True, text=True, cwd=ROOT, timeout=120
    ).stdout
    mb = os.environ.get("BENCH_CONTENT_MB", "0.5" if quick else "2")
    runs = os.environ.get("BENCH_CONTENT_RUNS", "1" if quick else "3")
    if "--mb" in helptext:
        argv += ["--mb", mb]
    if "--runs" in helptext:
        argv += ["--runs", runs]
    result = _content_run(argv, None)
    # The same without the native content core (as on a machine built without Rust).
    result["python"] = _content_run(argv, {"POSTWARDEN_NATIVE": "0"})
    return {"argv": argv[1:], **result}


def _content_run(argv: list[str], env: dict[str, str] | None) -> dict[str, Any]:
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        env={**os.environ, **env} if env else None,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench_content exited {proc.returncode}: {proc.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def ocr_bench(quick: bool) -> dict[str, Any]:
    """Run bench/bench_ocr.py (OCR cost per image and per page) and take its JSON line."""
    argv = [sys.executable, str(BENCH_DIR / "bench_ocr.py"), "--runs", "1" if quick else "3"]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=900)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench_ocr exited {proc.returncode}: {proc.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _check(name: str, value: float | None, limit: float, higher_is_better: bool) -> dict[str, Any]:
    if value is None:
        return {"target": name, "value": None, "met": None}
    met = value >= limit if higher_is_better else value <= limit
    return {"target": name, "value": value, "met": met}


def _best(values: dict[str, float]) -> tuple[str | None, float | None]:
    if not values:
        return None, None
    name = max(values, key=lambda n: values[n])
    return name, values[name]


def targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 7's targets against what was measured (None where a section did not run)."""
    out = []
    ratios = summary.get("e2e", {}).get("ratios", {})
    for size in ("10KB", "100KB"):
        r = ratios.get(size, {})
        over_a = {k.split("/")[0]: v for k, v in r.items() if k.endswith("/postfix")}
        over_a = {k: v for k, v in over_a.items() if k.startswith("postwarden")}
        over_c = {k.split("/")[0]: v for k, v in r.items() if k.endswith("/rspamd-best")}
        if size == "10KB":
            name, value = _best(over_a)
            out.append(
                _check(f"b/a >= {TARGET_B_OVER_A} at 10 KB ({name})", value, TARGET_B_OVER_A, True)
            )
        name, value = _best(over_c)
        best_c = r.get("rspamd_best_transport")
        out.append(
            _check(
                f"b/c >= {TARGET_B_OVER_C} at {size[:-2]} KB ({name} vs {best_c})",
                value,
                TARGET_B_OVER_C,
                True,
            )
        )
    results = summary.get("e2e", {}).get("results", {}).get("mix", {})
    rate = {n: r["median_msg_s"] for n, r in results.items() if "median_msg_s" in r}
    postwarden = {n: v for n, v in rate.items() if n.startswith("postwarden")}
    name, value = _best(postwarden)
    rspamd_name, rspamd = _best({n: v for n, v in rate.items() if n.startswith("rspamd")})
    out.append(
        _check(
            f"mix: Postwarden >= {TARGET_MIX_OVER_RSPAMD}x Rspamd's best ({name} vs {rspamd_name})",
            round(value / rspamd, 3) if value and rspamd else None,
            TARGET_MIX_OVER_RSPAMD,
            True,
        )
    )
    noop = rate.get("noop-unix")
    out.append(
        _check(
            f"mix: Postwarden >= {TARGET_MIX_OVER_NOOP}x the no-op milter ({name})",
            round(value / noop, 3) if value and noop else None,
            TARGET_MIX_OVER_NOOP,
            True,
        )
    )
    protocol = summary.get("protocol", {}).get("transports", {})
    for transport in ("unix", "tcp"):
        cell = protocol.get(transport, {}).get("50KB/c1", {})
        out.append(
            _check(
                f"EOM->verdict p99 <= {TARGET_P99_MS} ms at 50 KB, 1 connection, {transport}",
                cell.get("eom_latency", {}).get("p99_ms"),
                TARGET_P99_MS,
                False,
            )
        )
        cell = protocol.get(transport, {}).get("pdf20p/c1", {})
        out.append(
            _check(
                f"EOM->verdict p99 <= {TARGET_P99_PDF20_MS} ms with a 20-page PDF, 1 connection, "
                f"{transport}",
                cell.get("eom_latency", {}).get("p99_ms"),
                TARGET_P99_PDF20_MS,
                False,
            )
        )
    e2e_10k = summary.get("e2e", {}).get("results", {}).get("10KB", {})
    out.append(
        _check(
            f"milter CPU <= {TARGET_MILTER_CPU_MS_10KB} ms per 10 KB message (postwarden-unix)",
            e2e_10k.get("postwarden-unix", {}).get("milter_cpu_ms_per_msg"),
            TARGET_MILTER_CPU_MS_10KB,
            False,
        )
    )
    plain = summary.get("content", {}).get("mb_per_s", {}).get("plain", {})
    out.append(
        _check(
            f"content scan >= {TARGET_PLAIN_MB_S} MB/s per core on plain text (median run)",
            plain.get("cpu"),
            TARGET_PLAIN_MB_S,
            True,
        )
    )
    memory = summary.get("memory", {})
    held = memory.get("held_connections", {})
    out.append(
        _check(
            f"RSS <= 150 MB with {held.get('connections', 100)} connections mid-message, "
            "one process (KiB)",
            held.get("rss_kib_held"),
            TARGET_RSS_KIB,
            False,
        )
    )
    if "workers2" in memory:
        held2 = memory["workers2"].get("held_connections", {})
        out.append(
            _check(
                f"RSS <= 150 MB with {held2.get('connections', 100)} connections mid-message, "
                "--workers 2, all processes (KiB)",
                held2.get("rss_kib_held"),
                TARGET_RSS_KIB,
                False,
            )
        )
    over = memory.get("over_messages", {})
    n = over.get("samples", [{}])[-1].get("messages") if over else None
    out.append(
        _check(
            f"no RSS growth over {n} messages (KiB after the first batch, tolerance 1 MiB)",
            over.get("growth_after_first_batch_kib"),
            FLAT_TOLERANCE_KIB,
            False,
        )
    )
    return out


_MAIN_PID = os.getpid()


def _unwind(_signum: int, _frame: object) -> None:
    if os.getpid() != _MAIN_PID:  # a forked helper: just go, as SIGTERM's default would
        os._exit(143)
    sys.exit(143)


def main() -> int:
    # SIGTERM unwinds like Ctrl-C, so every server started is stopped by its finally block.
    signal.signal(signal.SIGTERM, _unwind)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized: 1 round, 300 messages")
    parser.add_argument("--skip", default="", help=f"comma-separated of {','.join(SECTIONS)}")
    parser.add_argument("--output", type=Path, help="also write the JSON summary here")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    started = time.monotonic()
    summary: dict[str, Any] = {"machine": machine_info(), "quick": args.quick}

    settings = bench_e2e.settings_from_env()
    if args.quick:
        settings.runs = min(settings.runs, 1)
        settings.messages = min(settings.messages, 300)
        settings.warmup_messages = 20
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "e2e": lambda: bench_e2e.run(settings),
        "protocol": lambda: bench_protocol.run(quick=args.quick),
        "memory": lambda: bench_memory.run(quick=args.quick),
        "content": lambda: content_bench(args.quick),
        "ocr": lambda: ocr_bench(args.quick),
        "profile": lambda: profile_milter.run(quick=args.quick),
    }
    failed = False
    for name, step in steps.items():
        if name in skip:
            summary[name] = {"skipped": "--skip"}
            continue
        print(f"== {name}", file=sys.stderr)
        t0 = time.monotonic()
        try:
            summary[name] = step()
        except Exception as exc:  # record and go on: the other sections still mean something
            traceback.print_exc(file=sys.stderr)
            summary[name] = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
            failed = True
        summary[name]["seconds"] = round(time.monotonic() - t0, 1)
        if args.output:  # a partial summary survives an interrupted sitting
            args.output.write_text(json.dumps(summary | {"incomplete": True}) + "\n")
    summary["targets"] = targets(summary)
    summary["machine"]["loadavg_at_end"] = loadavg()
    summary["seconds"] = round(time.monotonic() - started, 1)
    text = json.dumps(summary)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
