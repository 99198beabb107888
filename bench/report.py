"""Markdown tables from a ``make bench`` JSON summary (what bench/RESULTS.md shows).

python -m bench.report SUMMARY.json      # or: ... | python -m bench.report -
"""

from __future__ import annotations

import json
import sys
from typing import Any

E2E_ORDER = (
    "postfix",
    "noop-unix",
    "postwarden-tcp",
    "postwarden-unix",
    "rspamd-tcp",
    "rspamd-unix",
)


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def machine(summary: dict[str, Any]) -> str:
    m = summary["machine"]
    return (
        f"{m['date']} | {m['nproc']} x {m['cpu_model']} | kernel {m['kernel']} | "
        f"Postfix {m['postfix']} | Rspamd {m['rspamd']} | Python {m['python']} | "
        f"load average at start {m['loadavg_at_start'][0]}"
    )


def _foreign(r: dict[str, Any]) -> str:
    return f"{r.get('foreign_cpu_pct_median', '')} (max {r.get('foreign_cpu_pct_max', '')})"


def e2e(summary: dict[str, Any]) -> str:
    data = summary.get("e2e", {})
    if "results" not in data:
        return f"(end to end: {data.get('error') or data.get('skipped')})"
    s = data["settings"]
    lines = [
        f"{s['runs']} alternating rounds, messages per run {s.get('messages_per_run')}, "
        f"{s['sessions']} sessions, "
        f"medians; rate = messages / smtp-source wall time. *delivered*: until smtp-sink had "
        f"them all; *CPU-bound*: {summary['machine']['nproc']} cores / CPU per message of all "
        "our processes (robust to other work on the machine).",
        "",
        _row(
            [
                "size",
                "configuration",
                "msg/s",
                "vs Postfix",
                "delivered msg/s",
                "CPU-bound msg/s",
                "vs Postfix (CPU)",
                "milter CPU ms/msg",
                "foreign CPU %",
            ]
        ),
        _row(["---"] * 9),
    ]
    for size, results in data["results"].items():
        base = results.get("postfix", {})
        names = [n for n in E2E_ORDER if n in results] + [n for n in results if n not in E2E_ORDER]
        for name in names:
            r = results[name]
            lines.append(
                _row(
                    [
                        size,
                        name,
                        r["median_msg_s"],
                        f"{r['median_msg_s'] / base['median_msg_s']:.2f}" if base else "",
                        r["delivered_median_msg_s"],
                        r.get("cpu_bound_msg_s_median", ""),
                        f"{r['cpu_bound_msg_s_median'] / base['cpu_bound_msg_s_median']:.2f}"
                        if base and "cpu_bound_msg_s_median" in r
                        else "",
                        r["milter_cpu_ms_per_msg"]
                        if r["milter_cpu_ms_per_msg"] is not None
                        else "-",
                        _foreign(r),
                    ]
                )
            )
    return "\n".join(lines)


def ceilings(summary: dict[str, Any]) -> str:
    """The floor the no-op milter measured, as the ratios and milter budgets it leaves."""
    rows = [
        _row(
            [
                "size",
                "CPU ms/msg, Postfix alone",
                "... with the milter protocol (no-op milter's own CPU excluded)",
                "b/a of a zero-cost milter",
                "milter CPU allowed for b/a 0.85",
                "b/c of a zero-cost milter",
                "milter CPU allowed for b/c 1.4",
            ]
        ),
        _row(["---"] * 7),
    ]
    for size, c in summary.get("e2e", {}).get("ceilings", {}).items():
        if not c:
            continue
        rows.append(
            _row(
                [
                    size,
                    c["postfix_alone_cpu_ms"],
                    c["with_milter_protocol_cpu_ms"],
                    c["zero_cost_milter_b_over_a"],
                    f"{c['milter_budget_ms_for_b_over_a_0.85']} ms",
                    c.get("zero_cost_milter_b_over_c", "-"),
                    f"{c['milter_budget_ms_for_b_over_c_1.4']} ms"
                    if "milter_budget_ms_for_b_over_c_1.4" in c
                    else "-",
                ]
            )
        )
    if len(rows) == 2:
        return "(no noop-unix configuration in this sitting)"
    return "\n".join(rows)


def protocol(summary: dict[str, Any]) -> str:
    data = summary.get("protocol", {})
    if "transports" not in data:
        return f"(protocol level: {data.get('error') or data.get('skipped')})"
    lines = [
        f"Negotiated: protocol {data['negotiated']['protocol']}, actions "
        f"{data['negotiated']['actions']}.",
        "",
        _row(
            [
                "transport",
                "size",
                "connections",
                "decisions/s",
                "EOM→verdict p50 / p99 ms",
                "whole message p50 / p99 ms",
                "milter CPU ms/msg",
                "foreign CPU %",
            ]
        ),
        _row(["---"] * 8),
    ]
    for transport, cells in data["transports"].items():
        for key, c in cells.items():
            if not isinstance(c, dict):
                continue
            size, conns = key.split("/c")
            lines.append(
                _row(
                    [
                        transport,
                        size,
                        conns,
                        c["decisions_per_s"],
                        f"{c['eom_latency']['p50_ms']} / {c['eom_latency']['p99_ms']}",
                        f"{c['message_latency']['p50_ms']} / {c['message_latency']['p99_ms']}",
                        c["milter_cpu_ms_per_message"],
                        c.get("foreign_cpu_pct", ""),
                    ]
                )
            )
    return "\n".join(lines)


def memory(summary: dict[str, Any]) -> str:
    data = summary.get("memory", {})
    if "over_messages" not in data:
        return f"(memory: {data.get('error') or data.get('skipped')})"
    over, held = data["over_messages"], data["held_connections"]
    samples = ", ".join(f"{s['rss_kib'] / 1024:.1f}" for s in over["samples"])
    return "\n".join(
        [
            f"- RSS (MiB) every {over['samples'][1]['messages']} messages of "
            f"{over['message_size']}: "
            f"{samples} — growth after the first batch {over['growth_after_first_batch_kib']} KiB.",
            f"- {held['connections']} connections held mid-message ({held['body_bytes_sent_each']} "
            f"body bytes each): RSS {held['rss_kib_held'] / 1024:.1f} MiB, "
            f"{held['threads_held']} threads; after the messages "
            f"{held['rss_kib_after_messages'] / 1024:.1f} MiB; after closing "
            f"{held['rss_kib_after_close'] / 1024:.1f} MiB, {held['threads_after_close']} threads.",
            *_workers_memory(data.get("workers2")),
        ]
    )


def _workers_memory(w: dict[str, Any] | None) -> list[str]:
    if not w:
        return []
    held = w["held_connections"]
    return [
        f"- serve --workers 2 ({w['processes']} processes, RSS added up): "
        f"{w['rss_kib_at_start'] / 1024:.1f} MiB at rest; {held['connections']} connections "
        f"held mid-message {held['rss_kib_held'] / 1024:.1f} MiB; after the messages "
        f"{held['rss_kib_after_messages'] / 1024:.1f} MiB; after closing "
        f"{held['rss_kib_after_close'] / 1024:.1f} MiB."
    ]


def targets(summary: dict[str, Any]) -> str:
    lines = [_row(["target", "measured", "met"]), _row(["---"] * 3)]
    for t in summary.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(_row([t["target"], t["value"], met]))
    return "\n".join(lines)


def profile(summary: dict[str, Any]) -> str:
    data = summary.get("profile", {})
    scenarios = {k: v for k, v in data.items() if isinstance(v, dict) and "parts" in v}
    if not scenarios:
        return f"(profile: {data.get('error') or data.get('skipped')})"
    parts: list[str] = []
    for scenario in scenarios.values():
        parts += [p["part"] for p in scenario["parts"] if p["part"] not in parts]
    lines = [
        _row(["part of the hot path (µs per message, % of CPU)", *scenarios]),
        _row(["---"] * (len(scenarios) + 1)),
        _row(
            [
                "milter CPU per message (µs)",
                *(s["milter_cpu_us_per_message"] for s in scenarios.values()),
            ]
        ),
    ]
    for part in parts:
        cells = []
        for s in scenarios.values():
            hit = next((p for p in s["parts"] if p["part"] == part), None)
            cells.append(f"{hit['us_per_message']:.0f} ({hit['pct']} %)" if hit else "-")
        lines.append(_row([part, *cells]))
    return "\n".join(lines)


def _rates(mb_per_s: dict[str, Any]) -> str:
    return ", ".join(
        f"{kind} {v.get('wall', v)} MB/s wall ({v.get('cpu')} MB/s CPU"
        + (f", fastest run {v['cpu_best']}" if "cpu_best" in v else "")
        + ")"
        if isinstance(v, dict)
        else f"{kind} {v} MB/s"
        for kind, v in mb_per_s.items()
    )


def content(summary: dict[str, Any]) -> str:
    data = summary.get("content", {})
    if "mb_per_s" not in data:
        return f"(content scan: {data.get('error') or data.get('skipped')})"
    rates = _rates(data["mb_per_s"])
    python = data.get("python", {}).get("mb_per_s")
    if python:
        rates += f"; without the native core (POSTWARDEN_NATIVE=0): {_rates(python)}"
    argv = " ".join(data.get("argv", [])[1:])
    host = data.get("host_loop_ms")
    speed = (
        f" Host speed (a fixed pure-Python loop, ms, best / median): before "
        f"{host['before']['best']} / {host['before']['median']}, after "
        f"{host['after']['best']} / {host['after']['median']}."
        if host
        else ""
    )
    return f"Content scan (bench/bench_content.py {argv}): {rates}.{speed}"


def render(summary: dict[str, Any]) -> str:
    return "\n\n".join(
        [
            machine(summary),
            "### End to end",
            e2e(summary),
            "### What the milter protocol leaves (from the no-op milter's CPU account)",
            ceilings(summary),
            "### Protocol level",
            protocol(summary),
            "### Memory",
            memory(summary),
            "### Content scan",
            content(summary),
            "### Where the time goes (py-spy --gil, unix socket)",
            profile(summary),
            "### Targets",
            targets(summary),
        ]
    )


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else "-"
    if source == "-":
        text = sys.stdin.read()
    else:
        with open(source) as f:
            text = f.read()
    lines = [line for line in text.splitlines() if line.strip()]
    print(render(json.loads(lines[-1])))


if __name__ == "__main__":
    main()
