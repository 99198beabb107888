"""End-to-end benchmark: smtp-source -> real Postfix (+ milter) -> smtp-sink, side by side.

One sitting, seven configurations, each its own private Postfix instance (tests/e2e/postfix.py's
PostfixInstance, spool on tmpfs, ``in_flow_delay = 0``, no DNS, relayhost = one smtp-sink):

  postfix          Postfix alone
  postwarden-tcp   + Postwarden (policies/example.yaml) over loopback TCP
  postwarden-unix  + Postwarden over a unix socket (group postfix, dir mode 0750)
  postwarden-unix+workers2
                   + the same with serve --workers 2, as systemd/postwarden.service runs it
                   here (--workers auto); the others run one process
  rspamd-tcp       + Rspamd 3.4 proxy milter (bench/rspamd) over loopback TCP
  rspamd-unix      + the same Rspamd over a unix socket
  noop-unix        + a milter that does nothing (bench/noop_milter.py) but ask for and
                   read what Postwarden asks for: the floor, what the milter protocol alone
                   costs Postfix here

Beside the sizes, the realistic mix (`mix`; bench/mime.realistic_mix: ordinary mail from the
realistic corpus -- plain, Outlook HTML, DOCX, XLSX, embedded-font PDFs, a screenshot, a zip --
and an 8-page report with an embedded font): a mix run sends each kind in turn (smtp-source
once per kind, BENCH_MIX_MESSAGES of each, default 30), and its rate is all the messages over
the summed smtp-source time; BENCH_MIX_MESSAGES=0 leaves it out.

A run that fails (smtp-source exits non-zero: a peer answered 451, say) is recorded with its
error and retried, up to FAILED_RUN_RETRIES times a run; a configuration whose runs all fail
is reported with its errors, and the sitting goes on.

Before timing, each configuration must show it enforces the rule (a bjzutrecht.nl recipient
is refused; Postfix alone delivers it) and gets a warm-up run. Then, for R rounds, every size
(10 KB and 100 KB: text plus PDF attachment) runs on every configuration in rotating order:
``smtp-source -s 20 -m N -N -F msg`` with unique external-partner recipients (N = 2000 at
10 KB, half that at 100 KB). A run's rate is
N / smtp-source wall time (Postfix accepted them all); the next run starts only after the
queue is empty and smtp-sink counted all N (``delivered`` rate: N / time until then). Reported:
medians over the rounds, the ratios Postwarden/Postfix and Postwarden/Rspamd's best transport,
milter CPU per message, and busy/steal CPU of the machine during the runs.

Other work on a shared machine skews wall-clock rates, so every run also records the CPU our
processes used (smtp-source, Postfix, milter, sink: their sessions in /proc) and the CPU that
others used meanwhile ("foreign"); a run with more than FOREIGN_LIMIT_PCT foreign CPU is redone
(bounded). As the sitting is CPU-bound, ncpu / (our CPU per message) is a second, contention-
robust rate ("cpu_bound"), with its own ratios; on a quiet machine both agree.

    python -m bench.bench_e2e [--runs 7] [--messages 2000] [--sizes 10,100]   # JSON
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import grp
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from bench import servers
from bench.mime import ONE_OFF_KINDS, SENDER, build_message, one_off, realistic_mix
from bench.stats import median
from bench.variants import VARIANTS
from tests.e2e.postfix import PostfixInstance, smtp_send

SMTP_SOURCE = "/usr/sbin/smtp-source"
CONFIGS = (
    "postfix",
    "postwarden-tcp",
    "postwarden-unix",
    "rspamd-tcp",
    "rspamd-unix",
    "noop-unix",
)
# The sitting: the base configurations, Postwarden as systemd/postwarden.service runs it on
# this machine (--workers auto: one worker per core), and Postwarden without its native content
# core (POSTWARDEN_NATIVE=0: the Python scanner, as on a machine built without Rust).
SITTING = (*CONFIGS[:3], "postwarden-unix+workers2", "postwarden-unix+python", *CONFIGS[3:])
RECIPIENT = "rcpt@partner.example"  # -N prefixes a sequence number: unique recipients
RETIRED = "old-contact@bjzutrecht.nl"
DRAIN_TIMEOUT_S = 180.0
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")
FOREIGN_LIMIT_PCT = 10.0  # a run during which other work took more CPU than this is redone
QUIET_WAIT_S = float(os.environ.get("BENCH_QUIET_WAIT_S", "10"))  # ... after waiting this long
FAILED_RUN_RETRIES = 2  # a run that fails is tried again this often before it counts as lost
MIX = "mix"


@dataclass
class Target:
    """One configuration under test: its Postfix and the milter behind it (if any)."""

    name: str
    postfix: PostfixInstance
    milter: servers.Service | None = None


@dataclass
class Settings:
    runs: int = 7
    messages: int = 2000
    sessions: int = 20
    sizes_kb: tuple[int, ...] = (10, 100)
    reuse_connections: bool = False  # smtp-source -d
    configs: tuple[str, ...] = SITTING
    warmup_messages: int = 200
    mix_messages: int = 30  # of each kind of the realistic mix per run; 0: no mix

    def messages_for(self, kb: int) -> int:
        """Messages per run: half as many at 50 KB and up, to keep `make bench` near 15 min."""
        return self.messages if kb < 50 else max(1, self.messages // 2)


@dataclass
class RunResult:
    accept_msg_s: float
    delivered_msg_s: float
    milter_cpu_ms_per_msg: float | None
    cpu_busy_pct: float
    cpu_steal_pct: float
    foreign_cpu_pct: float  # other work on the machine during the run (not ours)
    cpu_ms_per_msg: float  # all our processes: smtp-source, Postfix, milter, sink
    attempts: int = 1

    @property
    def cpu_bound_msg_s(self) -> float:
        """The rate all cores would give at this CPU cost per message: a contention-robust
        estimate (the sitting is CPU-bound: ~100 % busy on a quiet machine)."""
        return (os.cpu_count() or 1) * 1000 / max(1e-9, self.cpu_ms_per_msg)


class RunFailed(RuntimeError):
    """A run that did not complete (smtp-source failed, or the sink did not get everything)."""


@dataclass
class Sitting:
    """Everything started for one sitting; stopped by PID in reverse order on exit."""

    work: Path
    sink: servers.SmtpSink
    targets: dict[str, Target] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def queued(pf: PostfixInstance) -> int:
    """Messages in the instance's queues (files under maildrop/incoming/active/deferred/hold)."""
    count = 0
    for name in QUEUES:
        for _dirpath, _dirs, files in os.walk(pf.queue_dir / name):
            count += len(files)
    return count


def rspamd_available() -> str | None:
    """None when Rspamd can be run here, else why not."""
    if shutil.which("rspamd") is None:
        return "rspamd not installed (apt-get install rspamd; make bench does it as root)"
    if not servers.RSPAMD_STOCK_CONF.exists():
        return f"{servers.RSPAMD_STOCK_CONF} missing"
    return None


def parse_config(name: str) -> tuple[str, str]:
    """'postwarden-unix+skip-body' -> ('postwarden-unix', 'skip-body'). A variant 'workersN'
    runs serve --workers N instead of a patch, 'python' runs it without the native content
    core (POSTWARDEN_NATIVE=0)."""
    base, _, variant = name.partition("+")
    if base not in CONFIGS or (variant and not base.startswith("postwarden")):
        raise ValueError(f"unknown configuration {name!r}; known: {', '.join(CONFIGS)}")
    for part in filter(None, variant.split(",")):
        if part not in VARIANTS and not re.fullmatch(r"workers[1-9]|python", part):
            raise ValueError(f"unknown variant {part!r} in {name!r}; known: {', '.join(VARIANTS)}")
    return base, variant


def _start_postwarden(
    stack: contextlib.ExitStack, work: Path, sockets: Path, name: str, transport: str, variant: str
) -> tuple[str, servers.Service]:
    """One Postwarden process for one configuration; returns its smtpd_milters spec."""
    slug = name.replace("+", "_").replace(",", "_")
    if transport == "tcp":
        spec = f"inet:{servers.LOOPBACK}:{servers.free_port()}"
        local, group = f"inet:{servers.LOOPBACK}:{servers.free_port()}", None
    else:
        spec, local = f"unix:{sockets}/{slug}.sock", f"unix:{sockets}/{slug}-local.sock"
        group = "postfix"
    parts = [p for p in variant.split(",") if p]
    workers = [int(p[len("workers") :]) for p in parts if p.startswith("workers")]
    patches = ",".join(p for p in parts if not p.startswith("workers") and p != "python")
    milter = servers.postwarden(
        work,
        slug,
        spec,
        local,
        socket_group=group,
        variant=patches,
        workers=workers[-1] if workers else None,
        env={"POSTWARDEN_NATIVE": "0"} if "python" in parts else None,
    )
    return spec, stack.enter_context(milter)


@contextlib.contextmanager
def sitting(settings: Settings) -> Iterator[Sitting]:
    """Start the sink, the milters and one Postfix per configuration; stop all at the end."""
    with servers.work_dir("e2e") as work, contextlib.ExitStack() as stack:
        sink = servers.SmtpSink(work)
        stack.enter_context(sink)
        here = Sitting(work, sink)
        sockets = work / "postwarden"  # like /run/postwarden: group postfix, 0750
        sockets.mkdir()
        os.chown(sockets, -1, grp.getgrnam("postfix").gr_gid)
        sockets.chmod(0o750)
        rspamd_specs: dict[str, str] = {}
        rspamd_service: servers.Service | None = None
        if any(name.startswith("rspamd") for name in settings.configs):
            why_not = rspamd_available()
            if why_not:
                here.skipped.update(
                    {c: why_not for c in settings.configs if c.startswith("rspamd")}
                )
            else:
                port, sock = servers.free_port(), work / "rspamd-run" / "proxy.sock"
                rspamd_service = stack.enter_context(servers.rspamd(work, port, sock))
                rspamd_specs = {"rspamd-tcp": f"inet:{servers.LOOPBACK}:{port}"}
                rspamd_specs["rspamd-unix"] = f"unix:{sock}"
        for name in settings.configs:
            if name in here.skipped:
                continue
            base, variant = parse_config(name)
            milter: servers.Service | None = None
            spec = ""
            if base.startswith("postwarden"):
                transport = base.rpartition("-")[2]
                spec, milter = _start_postwarden(stack, work, sockets, name, transport, variant)
            elif base.startswith("rspamd"):
                spec, milter = rspamd_specs[base], rspamd_service
            elif base == "noop-unix":
                spec = f"unix:{sockets}/noop.sock"
                milter = stack.enter_context(servers.noop_milter(work, spec))
            pf = PostfixInstance(
                work / f"pf-{len(here.targets)}", relay_port=sink.port, smtpd_milter=spec
            )
            pf.start()
            stack.callback(pf.stop)
            servers.SERVER_SESSIONS.add(pf.master_pid() or 0)  # master calls setsid()
            here.targets[name] = Target(name, pf, milter)
        yield here


def wait_drained(here: Sitting, target: Target, expect_received: int) -> float:
    """Wait until the sink has `expect_received` messages and the queue is empty."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while here.sink.received() < expect_received or queued(target.postfix):
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{target.name}: sink has {here.sink.received()} of {expect_received},"
                f" {queued(target.postfix)} still queued after {DRAIN_TIMEOUT_S}s"
            )
        time.sleep(0.02)
    return time.monotonic()


def check_enforcement(here: Sitting, target: Target) -> dict[str, Any]:
    """Send one message to a partner and a retired-domain address; who refused what?"""
    before = here.sink.received()
    message = build_message(2048, subject="sanity").decode()
    result = smtp_send(target.postfix.smtp_port, SENDER, ["ok@partner.example", RETIRED], message)
    retired = result.rcpt(RETIRED)
    delivered = result.delivered
    wait_drained(here, target, before + (1 if delivered else 0))
    return {
        "retired_rcpt_reply": str(retired)[:80],
        "end_of_data_reply": str(result.data)[:80] if result.data else None,
        "retired_domain_refused": not retired.ok or not delivered,
    }


def smtp_source_argv(settings: Settings, message_file: Path, port: int, count: int) -> list[str]:
    argv = [SMTP_SOURCE, "-s", str(settings.sessions), "-m", str(count), "-N"]
    argv += ["-F", str(message_file), "-f", SENDER, "-t", RECIPIENT, "-M", "client.example"]
    if settings.reuse_connections:
        argv.append("-d")
    return [*argv, f"{servers.LOOPBACK}:{port}"]


class Segment(NamedTuple):
    """A message file and how many times one run sends it (one smtp-source); a `one_off`
    kind sends that many copies that each differ (bench/mime.one_off), each its own
    smtp-source, up to `sessions` at a time."""

    path: Path
    messages: int
    one_off: bool = False


Segments = Sequence[Segment]


def send_one_offs(
    settings: Settings, segment: Segment, port: int
) -> tuple[float, subprocess.CompletedProcess[bytes] | None]:
    """Send `segment.messages` different copies; (smtp-source wall time, a failed run)."""
    source = segment.path.read_bytes().replace(b"\n", b"\r\n")
    files = []
    for n in range(segment.messages):  # made before the clock starts
        path = segment.path.with_name(f"{segment.path.stem}-{n}.eml")
        path.write_bytes(one_off(source).replace(b"\r\n", b"\n"))
        files.append(path)
    one = dataclasses.replace(settings, sessions=1)
    t0 = time.monotonic()
    failed = None
    for at in range(0, len(files), settings.sessions):
        batch = [
            subprocess.Popen(
                smtp_source_argv(one, path, port, 1),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for path in files[at : at + settings.sessions]
        ]
        for proc in batch:
            _, err = proc.communicate(timeout=600)
            if proc.returncode != 0 and failed is None:
                failed = subprocess.CompletedProcess(proc.args, proc.returncode, b"", err)
    elapsed = time.monotonic() - t0
    for path in files:
        path.unlink()
    return elapsed, failed


def one_run(here: Sitting, target: Target, settings: Settings, segments: Segments) -> RunResult:
    """smtp-source each segment's messages into the target, one segment after the other,
    waiting for the sink after each; the rates over all of them (accepted: over the summed
    smtp-source time)."""
    milter_pid = target.milter.pid if target.milter else None
    cpu0 = servers.group_cpu_seconds(milter_pid) if milter_pid else 0.0
    snap0 = servers.cpu_snapshot()
    count = sum(segment.messages for segment in segments)
    accepting = delivering = 0.0
    for message_file, n, one_off_kind in segments:
        before = here.sink.received()
        t0 = time.monotonic()
        if one_off_kind:
            sent, failed = send_one_offs(
                settings, Segment(message_file, n, True), target.postfix.smtp_port
            )
            t0, t1 = time.monotonic() - sent, time.monotonic()
            proc = failed or subprocess.CompletedProcess([], 0, b"", b"")
        else:
            proc = subprocess.run(
                smtp_source_argv(settings, message_file, target.postfix.smtp_port, n),
                capture_output=True,
                timeout=600,
            )
            t1 = time.monotonic()
        if proc.returncode != 0:
            raise RunFailed(
                f"{target.name}: smtp-source exited {proc.returncode} ({message_file.name}): "
                f"{proc.stderr.decode(errors='replace')[-500:]}"
            )
        try:
            t2 = wait_drained(here, target, before + n)
        except TimeoutError as exc:
            raise RunFailed(str(exc)) from exc
        accepting += t1 - t0
        delivering += t2 - t0
    t0, t1, t2 = 0.0, accepting, delivering
    snap1 = servers.cpu_snapshot()
    cpu = servers.group_cpu_seconds(milter_pid) - cpu0 if milter_pid else None
    span = max(1e-9, snap1.total - snap0.total)
    return RunResult(
        accept_msg_s=count / (t1 - t0),
        delivered_msg_s=count / (t2 - t0),
        milter_cpu_ms_per_msg=None if cpu is None else cpu * 1000 / count,
        cpu_busy_pct=100 * (snap1.busy - snap0.busy) / span,
        cpu_steal_pct=100 * (snap1.steal - snap0.steal) / span,
        foreign_cpu_pct=servers.foreign_cpu_pct(snap0, snap1),
        cpu_ms_per_msg=servers.our_cpu_seconds(snap0, snap1) * 1000 / count,
    )


def measured_run(
    here: Sitting,
    target: Target,
    settings: Settings,
    segments: Segments,
    budget: list[int],
    failures: list[str],
) -> RunResult | None:
    """A timed run, repeated (up to twice, within the sitting's retry budget, each time after
    waiting up to QUIET_WAIT_S for a quiet second) while other work on the machine took more
    than FOREIGN_LIMIT_PCT of its CPU.  A run that fails is recorded in `failures` and tried
    again (FAILED_RUN_RETRIES times); None when every try failed."""
    attempts = 0
    while True:
        attempts += 1
        result = None
        for _ in range(1 + FAILED_RUN_RETRIES):
            try:
                result = one_run(here, target, settings, segments)
                break
            except RunFailed as exc:
                failures.append(str(exc)[:600])
                print(f"e2e: run failed, recorded, again: {exc}"[:300], file=sys.stderr)
                with contextlib.suppress(TimeoutError):  # what is left must drain first
                    wait_drained(here, target, 0)
        if result is None:
            return None
        if result.foreign_cpu_pct <= FOREIGN_LIMIT_PCT or attempts > 2 or budget[0] <= 0:
            result.attempts = attempts
            return result
        budget[0] -= 1
        waited = servers.wait_quiet(FOREIGN_LIMIT_PCT, QUIET_WAIT_S)
        print(
            f"e2e: {target.name} disturbed ({result.foreign_cpu_pct:.0f} % foreign CPU);"
            f" waited {waited:.0f} s for a quiet second, again",
            file=sys.stderr,
        )


def _summary(runs: Sequence[RunResult], failures: Sequence[str] = ()) -> dict[str, Any]:
    if not runs:
        return {"failed_runs": len(failures), "failures": list(failures)[:5]}
    accept = [r.accept_msg_s for r in runs]
    cpu = [r.milter_cpu_ms_per_msg for r in runs if r.milter_cpu_ms_per_msg is not None]
    return {
        "median_msg_s": round(median(accept), 1),
        "min_msg_s": round(min(accept), 1),
        "max_msg_s": round(max(accept), 1),
        "runs_msg_s": [round(a, 1) for a in accept],
        "delivered_median_msg_s": round(median([r.delivered_msg_s for r in runs]), 1),
        "milter_cpu_ms_per_msg": round(median(cpu), 3) if cpu else None,
        "cpu_busy_pct_median": round(median([r.cpu_busy_pct for r in runs]), 1),
        "cpu_steal_pct_median": round(median([r.cpu_steal_pct for r in runs]), 1),
        "cpu_ms_per_msg_median": round(median([r.cpu_ms_per_msg for r in runs]), 3),
        "cpu_bound_msg_s_median": round(median([r.cpu_bound_msg_s for r in runs]), 1),
        "foreign_cpu_pct_median": round(median([r.foreign_cpu_pct for r in runs]), 1),
        "foreign_cpu_pct_max": round(max(r.foreign_cpu_pct for r in runs), 1),
        "repeated_runs": sum(r.attempts - 1 for r in runs),
        "failed_runs": len(failures),  # recorded and retried (see FAILED_RUN_RETRIES)
        **({"failures": list(failures)[:5]} if failures else {}),
    }


def ratios(results: dict[str, dict[str, Any]], key: str = "median_msg_s") -> dict[str, Any]:
    """Postwarden against Postfix alone (b/a) and against Rspamd's best transport (b/c)."""
    rate = {name: r[key] for name, r in results.items() if key in r}
    out: dict[str, Any] = {}
    rspamd = {n: v for n, v in rate.items() if n.startswith("rspamd")}
    best_rspamd = max(rspamd, key=lambda n: rspamd[n]) if rspamd else None
    out["rspamd_best_transport"] = best_rspamd
    for name in rate:
        if name == "postfix" or name.startswith(("rspamd", "noop")):
            continue
        if "postfix" in rate:
            out[f"{name}/postfix"] = round(rate[name] / rate["postfix"], 3)
        if best_rspamd:
            out[f"{name}/rspamd-best"] = round(rate[name] / rate[best_rspamd], 3)
    for name in [n for n in rate if n.startswith(("rspamd", "noop"))]:
        if "postfix" in rate:
            out[f"{name}/postfix"] = round(rate[name] / rate["postfix"], 3)
    return out


def ceilings(results: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """What the milter protocol alone leaves for any milter, from the CPU accounts.

    The no-op milter's configuration costs the machine P ms per message besides the milter's
    own CPU (Postfix talking the protocol, smtp-source, the sink). As the sitting is CPU-bound,
    a milter costing M ms gives at best cores / (P + M) msg/s, so: the ratios even a milter of
    zero cost could reach, and the milter CPU per message each target allows (negative: out of
    reach for any milter that asks for the message).
    """
    noop, base = results.get("noop-unix"), results.get("postfix")
    rspamd = {n: r for n, r in results.items() if n.startswith("rspamd")}
    rspamd = {n: r for n, r in rspamd.items() if "cpu_ms_per_msg_median" in r}
    if not noop or not base or noop.get("milter_cpu_ms_per_msg") is None:
        return None
    protocol_ms = noop["cpu_ms_per_msg_median"] - noop["milter_cpu_ms_per_msg"]
    out: dict[str, Any] = {
        "postfix_alone_cpu_ms": base["cpu_ms_per_msg_median"],
        "with_milter_protocol_cpu_ms": round(protocol_ms, 3),
        "zero_cost_milter_b_over_a": round(base["cpu_ms_per_msg_median"] / protocol_ms, 3),
        "milter_budget_ms_for_b_over_a_0.85": round(
            base["cpu_ms_per_msg_median"] / 0.85 - protocol_ms, 3
        ),
    }
    if rspamd:
        best = min(rspamd, key=lambda n: rspamd[n]["cpu_ms_per_msg_median"])
        cpu_c = rspamd[best]["cpu_ms_per_msg_median"]
        out["rspamd_cheapest_transport"] = best
        out["zero_cost_milter_b_over_c"] = round(cpu_c / protocol_ms, 3)
        out["milter_budget_ms_for_b_over_c_1.4"] = round(cpu_c / 1.4 - protocol_ms, 3)
    return out


def run(settings: Settings) -> dict[str, Any]:
    """The whole sitting; the JSON-ready result."""
    out: dict[str, Any] = {
        "settings": settings.__dict__
        | {
            "sizes_kb": list(settings.sizes_kb),
            "messages_per_run": {f"{kb}KB": settings.messages_for(kb) for kb in settings.sizes_kb},
        }
    }
    if settings.mix_messages:
        out["settings"]["messages_per_run"][MIX] = settings.mix_messages * len(realistic_mix())
    with sitting(settings) as here:
        out["skipped"] = here.skipped
        out["milters"] = {
            name: t.milter.argv if t.milter else None for name, t in here.targets.items()
        }
        out["enforcement"] = {n: check_enforcement(here, t) for n, t in here.targets.items()}
        sets: dict[str, Segments] = {}  # "10KB" / "mix" -> what one run sends
        for kb in settings.sizes_kb:
            path = here.work / f"msg-{kb}k.eml"
            path.write_bytes(build_message(kb * 1024).replace(b"\r\n", b"\n"))
            sets[f"{kb}KB"] = [Segment(path, settings.messages_for(kb))]
        if settings.mix_messages:
            mix: list[Segment] = []
            for kind, message in realistic_mix().items():
                path = here.work / f"mix-{kind}.eml"
                path.write_bytes(message.replace(b"\r\n", b"\n"))
                mix.append(Segment(path, settings.mix_messages, kind in ONE_OFF_KINDS))
            sets[MIX] = mix
        names = list(here.targets)
        failures: dict[str, dict[str, list[str]]] = {n: {s: [] for s in sets} for n in names}
        for name in names:  # warm up: Postfix daemons spawned, milter threads, Rspamd caches
            for label, segments in sets.items():
                warm = [Segment(s.path, max(1, settings.warmup_messages // len(segments)),
                                s.one_off) for s in segments]  # fmt: skip
                try:
                    one_run(here, here.targets[name], settings, warm)
                except RunFailed as exc:  # recorded; the timed runs will retry on their own
                    failures[name][label].append(f"warm-up: {exc}"[:600])
        runs: dict[str, dict[str, list[RunResult]]] = {n: {s: [] for s in sets} for n in names}
        budget = [max(2, settings.runs * len(names) * len(sets) // 10)]  # repeats allowed
        for round_no in range(settings.runs):
            order = names[round_no % len(names) :] + names[: round_no % len(names)]
            for label, segments in sets.items():
                for name in order:
                    target = here.targets[name]
                    lost = failures[name][label]
                    result = measured_run(here, target, settings, segments, budget, lost)
                    if result is None:
                        print(f"e2e round {round_no + 1} {label} {name}: lost", file=sys.stderr)
                        continue
                    runs[name][label].append(result)
                    print(
                        f"e2e round {round_no + 1}/{settings.runs} {label} {name}: "
                        f"{result.accept_msg_s:.0f} msg/s"
                        f" (foreign CPU {result.foreign_cpu_pct:.0f} %)",
                        file=sys.stderr,
                    )
        out["results"] = {
            label: {n: _summary(runs[n][label], failures[n][label]) for n in names}
            for label in sets
        }
        out["ratios"] = {size: ratios(res) for size, res in out["results"].items()}
        out["ratios_cpu_bound"] = {
            size: ratios(res, "cpu_bound_msg_s_median") for size, res in out["results"].items()
        }
        out["ceilings"] = {size: ceilings(res) for size, res in out["results"].items()}
    return out


def settings_from_env() -> Settings:
    """Defaults, overridden by BENCH_RUNS, BENCH_MESSAGES, BENCH_SESSIONS, BENCH_SIZES_KB,
    BENCH_CONFIGS (space-separated, e.g. "postfix postwarden-unix+inline-budget") and
    BENCH_REUSE_CONNECTIONS=1 (smtp-source -d)."""
    env = os.environ
    s = Settings()
    s.runs = int(env.get("BENCH_RUNS", s.runs))
    s.messages = int(env.get("BENCH_MESSAGES", s.messages))
    s.sessions = int(env.get("BENCH_SESSIONS", s.sessions))
    if "BENCH_SIZES_KB" in env:  # empty: the mix only
        s.sizes_kb = tuple(int(x) for x in env["BENCH_SIZES_KB"].split(",") if x)
    if env.get("BENCH_CONFIGS"):
        s.configs = tuple(c for c in env["BENCH_CONFIGS"].split(" ") if c)
    s.reuse_connections = env.get("BENCH_REUSE_CONNECTIONS") == "1"
    s.mix_messages = int(env.get("BENCH_MIX_MESSAGES", s.mix_messages))
    s.warmup_messages = min(s.warmup_messages, s.messages)
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int)
    parser.add_argument("--messages", type=int)
    parser.add_argument("--sizes", help="message sizes in KB, e.g. 10,100")
    parser.add_argument(
        "--configs",
        help=f"space-separated, of {' '.join(CONFIGS)}; postwarden-* may take +VARIANT[,VARIANT]",
    )
    args = parser.parse_args()
    settings = settings_from_env()
    if args.runs:
        settings.runs = args.runs
    if args.messages:
        settings.messages = args.messages
        settings.warmup_messages = min(settings.warmup_messages, args.messages)
    if args.sizes:
        settings.sizes_kb = tuple(int(x) for x in args.sizes.split(","))
    if args.configs:
        settings.configs = tuple(c for c in args.configs.split(" ") if c)
    print(json.dumps(run(settings)))


if __name__ == "__main__":
    main()
