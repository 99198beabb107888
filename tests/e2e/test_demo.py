"""`make demo` as a newcomer runs it: start it, run the three printed commands, press Ctrl-C.

The demo (tests/e2e/demo.py) runs as a subprocess exactly as `make demo` starts it; the test
reads what it prints, runs the swaks commands as printed and checks what each promises: the
retired address refused (swaks fails, 550 at RCPT), the dossier in the hold queue (through the
printed `postwarden quarantine ... list`), the ordinary mail at the sink. Then SIGINT, and every
PID the demo named is gone and its directory removed.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.demo import READY
from tests.e2e.postfix import _group_members, _pid_alive
from tests.e2e.stack import ROOT


class DemoProcess:
    """The demo, its output collected line by line by a thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.demo"],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_line(self, predicate: Callable[[str], bool], timeout: float = 60.0) -> str:
        """The first printed line matching predicate (waiting for it)."""
        with self._cond:
            found: list[str] = []

            def match() -> bool:
                found[:] = [ln for ln in self.lines if predicate(ln)][:1]
                return bool(found) or self.proc.poll() is not None

            self._cond.wait_for(match, timeout)
            if not found:
                raise AssertionError("demo output lacks the line; got:\n" + "\n".join(self.lines))
            return found[0]


@pytest.fixture
def demo(postfix_binaries: None) -> Iterator[DemoProcess]:
    """The running demo; stopped (SIGINT, then SIGKILL) if the test did not stop it."""
    process = DemoProcess()
    yield process
    if process.proc.poll() is None:
        process.proc.send_signal(signal.SIGINT)
        try:
            process.proc.wait(30)
        except subprocess.TimeoutExpired:
            process.proc.kill()
            process.proc.wait(5)
    print("--- demo output:\n" + "\n".join(process.lines))


def swaks(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


class TestDemo:
    def test_three_commands_as_printed_then_ctrl_c_stops_everything(
        self, demo: DemoProcess
    ) -> None:
        """Refused, held and delivered as the demo says; SIGINT leaves no process or dir."""
        demo.wait_line(lambda ln: ln == READY, timeout=120)
        printed = [
            shlex.split(ln) for ln in demo.lines if ln.lstrip().startswith("/") and "swaks" in ln
        ]
        assert len(printed) == 3, demo.lines
        pids_line = demo.wait_line(lambda ln: ln.startswith("pids: "))
        pids = {k: int(v) for k, v in re.findall(r"([a-z-]+)=(\d+)", pids_line)}
        assert set(pids) == {"postfix-master", "postwarden", "demo"}
        assert pids["demo"] == demo.proc.pid
        held_cmd = demo.wait_line(lambda ln: "quarantine --postfix-config" in ln)
        quarantine = shlex.split(held_cmd.split(":", 1)[1])
        base = Path(quarantine[quarantine.index("--postfix-config") + 1]).parents[1]

        refused = swaks(printed[0])
        assert refused.returncode != 0
        assert re.search(r"<\*\* 550 5\.7\.1 .*bjzutrecht\.nl is retired", refused.stdout)

        held = swaks(printed[1])
        assert held.returncode == 0, held.stdout + held.stderr
        listing = subprocess.run(quarantine, capture_output=True, text=True, timeout=60)
        assert listing.returncode == 0, listing.stderr
        rows = [ln for ln in listing.stdout.splitlines() if "jeugdarts@ziekenhuis.example" in ln]
        assert len(rows) == 1 and "client-data-external" in rows[0], listing.stdout

        delivered = swaks(printed[2])
        assert delivered.returncode == 0, delivered.stdout + delivered.stderr
        demo.wait_line(lambda ln: ln.startswith("[sink] delivered to info@partner.example"))
        assert not any("delivered to jeugdarts@" in ln for ln in demo.lines)

        demo.proc.send_signal(signal.SIGINT)
        assert demo.proc.wait(60) == 0
        for name, pid in pids.items():
            assert not _pid_alive(pid), f"{name} (PID {pid}) still runs"
        # The Postfix master's daemons and the milter's workers share their leader's group.
        assert _group_members(pids["postfix-master"]) == []
        assert _group_members(pids["postwarden"]) == []
        assert not base.exists()
        assert demo.lines[-1] == f"stopped; removed {base}"

    def test_sigterm_stops_everything_too(self, demo: DemoProcess) -> None:
        """SIGTERM (a service manager, `kill`) stops the demo as Ctrl-C does."""
        demo.wait_line(lambda ln: ln == READY, timeout=120)
        pids_line = demo.wait_line(lambda ln: ln.startswith("pids: "))
        pids = {k: int(v) for k, v in re.findall(r"([a-z-]+)=(\d+)", pids_line)}
        demo.proc.send_signal(signal.SIGTERM)
        assert demo.proc.wait(60) == 0
        assert "stopping (SIGTERM) ..." in demo.lines
        assert [name for name, pid in pids.items() if _pid_alive(pid)] == []
        assert _group_members(pids["postfix-master"]) == []
