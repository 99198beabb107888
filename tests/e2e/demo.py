"""`make demo`: Postwarden inside a private Postfix, to try by hand (``python -m tests.e2e.demo``).

Stands up what the e2e tests stand up (tests/e2e/stack.py and postfix.py: the harness is the
project's one way to run a private Postfix): an SMTP sink on a free loopback port (aiosmtpd, in
this process; each message it receives is saved under the demo's directory and announced with
its envelope recipients), ``postwarden serve`` with policies/example.yaml (audit trail and
metrics on), and a Postfix instance on a free loopback port configured with deploy/postfix's
main.cf and master.cf lines. Then it prints three swaks commands (a retired address refused,
a dossier held, an ordinary mail delivered), where to look, and the PIDs it started, and waits.

The policy is a copy of policies/example.yaml with one change: notices.relay points at this
Postfix instead of 127.0.0.1:25, so the sender notices and officer alerts reach the sink too.

SIGINT (Ctrl-C) or SIGTERM stops everything it started, by PID (the milter's process group;
the Postfix master and its daemons, whose process group is the master's PID), and removes its
temporary directory. If the milter or Postfix dies on its own, the demo says so and stops
the rest (exit 1).

Refuses to run unless root (Postfix's master and postdrop need it) and the Postfix and swaks
binaries are installed: it says what is missing and exits 2.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from tests.e2e.postfix import (
    REQUIRED_BINARIES,
    MilterProcess,
    PostfixInstance,
    Sink,
    SinkMessage,
)
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix

SWAKS = shutil.which("swaks") or "/usr/bin/swaks"
DOSSIER = ROOT / "tests" / "corpus" / "dossier_gewijzigd_extern.eml"
READY = "Postwarden demo running. Press Ctrl-C to stop it."


class DemoSink(Sink):
    """The sink, also saving each message as NNNN.eml and saying so (envelope only)."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        directory.mkdir()

    def record(self, msg: SinkMessage) -> None:
        super().record(msg)
        path = self.directory / f"{len(self.messages):04d}.eml"
        path.write_bytes(msg.data)
        say(f"[sink] delivered to {', '.join(msg.rcpt_tos)} ({len(msg.data)} bytes): {path}")


def say(text: str) -> None:
    print(text, flush=True)


def missing_requirements() -> list[str]:
    """What the demo needs and does not have, as advice."""
    problems = []
    if os.geteuid() != 0:
        problems.append(
            "run as root (sudo make demo): the private Postfix's master and postdrop need it"
        )
    absent = [str(p) for p in REQUIRED_BINARIES if not p.exists()]
    if absent:
        problems.append(f"install Postfix (missing {', '.join(absent)}): apt-get install postfix")
    if not Path(SWAKS).exists():
        problems.append("install swaks (the commands to try use it): apt-get install swaks")
    return problems


def demo_policy(directory: Path, smtp_port: int) -> Path:
    """policies/example.yaml, its notices relayed through this Postfix."""
    text = POLICY.read_text()
    relayed = text.replace("  relay: 127.0.0.1:25\n", f"  relay: 127.0.0.1:{smtp_port}\n")
    if relayed == text:
        raise RuntimeError("policies/example.yaml has no 'relay: 127.0.0.1:25' line to change")
    path = directory / "policy.yaml"
    path.write_text(relayed)
    return path


def commands(smtp_port: int) -> list[tuple[str, list[str]]]:
    """The three commands to try, each with what it shows."""
    server = ["--server", f"127.0.0.1:{smtp_port}"]
    return [
        (
            "a retired address (bjzutrecht.nl, the incident's domain): refused at RCPT, 550",
            [SWAKS, *server, "--from", "medewerker@samen-veilig.nl",
             "--to", "j.jansen@bjzutrecht.nl", "--header", "Subject: demo 1, retired address"],
        ),
        (
            "a dossier extract in plain text to a hospital: accepted by Postfix, then held",
            [SWAKS, *server, "--from", "crisistool@samen-veilig.nl",
             "--to", "jeugdarts@ziekenhuis.example", "--data", f"@{DOSSIER}"],
        ),
        (
            "an ordinary mail to a partner: delivered to the sink",
            [SWAKS, *server, "--from", "medewerker@samen-veilig.nl",
             "--to", "info@partner.example", "--header", "Subject: demo 3, ordinary mail",
             "--body", "Hallo, tot morgen bij het overleg."],
        ),
    ]  # fmt: skip


def postwarden_command() -> str:
    script = Path(sys.executable).parent / "postwarden"
    return str(script) if script.exists() else f"{sys.executable} -m milter"


def banner(base: Path, pf: PostfixInstance, ports: Ports, milter: MilterProcess) -> str:
    tool = postwarden_command()
    lines = [
        "",
        f"Postfix (deploy/postfix settings) listens on 127.0.0.1:{pf.smtp_port}; Postwarden "
        f"on :{ports.smtp} (SMTP) and :{ports.local} (sendmail); the sink on :{pf.relay_port}.",
        "Policy: policies/example.yaml (notices relayed through this Postfix).",
        "",
        "Try:",
    ]
    for n, (what, argv) in enumerate(commands(pf.smtp_port), 1):
        lines += [f"  {n}. {what}", f"     {shlex.join(argv)}"]
    lines += [
        "",
        "Where to look:",
        f"  audit trail:   tail -f {base / 'audit.jsonl'}",
        f"                 {tool} audit verify {base / 'audit.jsonl'}",
        f"  metrics:       curl -s http://127.0.0.1:{ports.metrics}/metrics | grep ^postwarden_",
        f"  held mail:     {tool} quarantine --postfix-config {pf.config_dir} "
        f"--policy {base / 'policy.yaml'} --audit-log {base / 'audit.jsonl'} "
        f"--officer-log {base / 'officer.jsonl'} list",
        f"  delivered:     {base / 'sink'}/",
        f"  logs:          {pf.log_path} (Postfix), {milter.log_path} (Postwarden)",
        "",
        f"pids: postfix-master={pf.master_pid()} postwarden={milter.pid} demo={os.getpid()}",
        READY,
    ]
    return "\n".join(lines)


def run() -> int:
    problems = missing_requirements()
    if problems:
        print("make demo needs:\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return 2
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # Not under /tmp/pytest-*: Postfix's daemons (user postfix) must traverse every parent.
    base = Path(tempfile.mkdtemp(prefix="postwarden-demo-"))
    base.chmod(0o711)
    sink = DemoSink(base / "sink")
    instances: list[PostfixInstance] = []
    milter: MilterProcess | None = None
    status = 0
    try:
        sink.start()
        ports = Ports.free()

        def factory(smtpd: int, local: int, *, master_extra: str, **params: Any) -> PostfixInstance:
            instance = PostfixInstance(
                base / "postfix",
                relay_port=sink.port,
                smtpd_milter=smtpd,
                non_smtpd_milter=local,
                overrides=params,
                master_extra=master_extra,
            )
            instances.append(instance)
            return instance

        pf = start_postfix(factory, ports)  # configured; started below, after the milter
        policy = demo_policy(base, pf.smtp_port)
        milter = MilterProcess(
            [
                sys.executable,
                "-m",
                "milter",
                "serve",
                "--policy",
                str(policy),
                "--listen",
                f"inet:127.0.0.1:{ports.smtp}",
                "--listen-local",
                f"inet:127.0.0.1:{ports.local}",
                "--metrics-listen",
                f"127.0.0.1:{ports.metrics}",
                "--audit-log",
                str(base / "audit.jsonl"),
            ],
            [ports.smtp, ports.local, ports.metrics],
            base / "milter.log",
            cwd=ROOT,
        )
        milter.start()
        pf.start()
        say(banner(base, pf, ports, milter))
        while not stop.wait(1.0):
            if milter.proc is not None and milter.proc.poll() is not None:
                say(f"Postwarden exited ({milter.proc.returncode}); see {milter.log_path}")
                status = 1
                break
            if pf.master_pid() is None:
                say(f"Postfix stopped; see {pf.log_path}")
                status = 1
                break
    finally:
        say(f"stopping ({', '.join(received) or 'shutdown'}) ...")
        if milter is not None:
            milter.stop()
        for instance in instances:
            instance.stop()
        sink.stop()
        shutil.rmtree(base, ignore_errors=True)
        say(f"stopped; removed {base}")
    return status


if __name__ == "__main__":
    sys.exit(run())
