"""``python -m milter serve`` as a separate process, the way Postfix meets it.

``MilterService`` starts the daemon with the example policy (or another file) on free loopback
ports for both paths and metrics, and offers what the reliability tests do to it: crash it
(SIGKILL), stop it (SIGTERM), freeze it (SIGSTOP/SIGCONT), reload it (SIGHUP), read its log and
metrics, and measure its threads and resident memory. Every start is recorded so teardown can
stop it by PID.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path

from tests.e2e.postfix import MilterProcess, free_port
from tests.reliability.conversations import MilterEndpoint
from tests.reliability.inprocess import POLICY, ROOT

LOOPBACK = "127.0.0.1"


def proc_status(pid: int, field: str) -> int:
    """An integer field (``Threads``, ``VmRSS`` in kB, ...) of /proc/PID/status."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class MilterService(MilterEndpoint):
    """One Postwarden daemon; ports stay the same across restarts."""

    def __init__(self, log_path: Path, policy: Path = POLICY, *extra_args: str) -> None:
        smtp_port, local_port, self.metrics_port = free_port(), free_port(), free_port()
        super().__init__((LOOPBACK, smtp_port), (LOOPBACK, local_port))
        self.policy = policy
        argv = [
            sys.executable, "-m", "milter", "serve",
            "--policy", str(policy),
            "--listen", f"inet:{LOOPBACK}:{smtp_port}",
            "--listen-local", f"inet:{LOOPBACK}:{local_port}",
            "--metrics-listen", f"{LOOPBACK}:{self.metrics_port}",
            *extra_args,
        ]  # fmt: skip
        self.process = MilterProcess(
            argv, [smtp_port, local_port, self.metrics_port], log_path, cwd=ROOT
        )
        self.starts = 0

    @property
    def smtp_port(self) -> int:
        return self.smtp[1]

    @property
    def local_port(self) -> int:
        assert self.local is not None
        return self.local[1]

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.proc is not None and self.process.proc.poll() is None

    def start(self) -> None:
        self.process.start()
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL (a crash); the ports are free again when this returns."""
        self.process.kill()

    def terminate(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait for the exit status (SIGKILL after ``timeout``)."""
        return self.process.stop(timeout)

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.pid, sig)

    def freeze(self, timeout: float = 10.0) -> None:
        """SIGSTOP, then wait until every thread of the daemon is stopped (State T in
        /proc/PID/task/*/status): a signal is delivered asynchronously, and a thread that
        still runs could answer Postfix after the test believes the daemon frozen."""
        os.kill(self.pid, signal.SIGSTOP)
        deadline = time.monotonic() + timeout
        while True:
            states = []
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                with contextlib.suppress(FileNotFoundError):  # a thread that just ended
                    status = (task / "status").read_text()
                    states.append(status.split("State:", 1)[1].split()[0])
            if states and all(state in ("T", "t") for state in states):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"daemon not stopped after {timeout}s: {states}")
            time.sleep(0.01)

    def thaw(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def log_text(self) -> str:
        return self.process.log_text()

    def metrics(self) -> str:
        url = f"http://{LOOPBACK}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return str(resp.read().decode())

    def threads(self) -> int:
        return proc_status(self.pid, "Threads")

    def rss_bytes(self) -> int:
        return proc_status(self.pid, "VmRSS") * 1024

    def wait_threads(self, at_most: int, timeout: float = 3.0) -> int:
        """Wait until the daemon has at most ``at_most`` threads; return how many it has."""
        deadline = time.monotonic() + timeout
        while (count := self.threads()) > at_most and time.monotonic() < deadline:
            time.sleep(0.005)
        return count
