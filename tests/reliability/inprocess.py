"""A Postwarden ``MilterServer`` running in this process on a free loopback port.

Serves the example policy on two listeners (SMTP and local path) with an observer that only
counts, and routes every structlog event through ``LeakWatch``, which renders it (exceptions
included) and looks for planted client data before dropping it. Gives the measurements the
reliability tests bound: session threads, process threads and resident memory.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import structlog

from milter.policy import load_policy
from milter.server.listeners import ListenSpec, MilterServer
from milter.server.session import PolicyHolder
from tests.reliability.conversations import MilterEndpoint
from tests.reliability.sentinels import find_leaks

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "example.yaml"


def rss_bytes() -> int:
    """Resident set size of this process."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class CountingObserver:
    """Accepts whatever the adapter reports (the observer interface grows) and counts it."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def record(*_args: object, **_kwargs: object) -> None:
            self.calls[name] += 1

        return record


class LeakWatch:
    """structlog processor: render the event, remember any planted data in it, drop it."""

    def __init__(self) -> None:
        self.events = 0
        self.leaks: list[str] = []
        self._render = structlog.processors.format_exc_info
        self._lock = threading.Lock()

    def __call__(
        self, logger: object, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        rendered = self._render(logger, method, event_dict)
        leaks = find_leaks([repr(dict(rendered))])
        with self._lock:
            self.events += 1
            self.leaks.extend(leaks)
        raise structlog.DropEvent

    @contextlib.contextmanager
    def installed(self) -> Iterator[LeakWatch]:
        old = structlog.get_config()
        structlog.configure(processors=[self], cache_logger_on_first_use=False)
        try:
            yield self
        finally:
            structlog.configure(**old)


class InProcessMilter(MilterEndpoint):
    """The server, its listeners' addresses and the probes the tests need."""

    def __init__(self) -> None:
        self.observer = CountingObserver()
        self.server = MilterServer(
            [
                (ListenSpec("inet", "127.0.0.1", 0), "smtp"),
                (ListenSpec("inet", "127.0.0.1", 0), "local"),
            ],
            PolicyHolder(load_policy(POLICY)),
            self.observer,
        )
        self.server.bind()
        smtp, local = (s.getsockname()[:2] for s, _, _ in self.server.sockets)
        super().__init__(smtp, local)
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="milter-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.stop()
        self._thread.join(5)
        self.server.drain(2)

    @property
    def serving(self) -> bool:
        """The accept loop is still running."""
        return self._thread.is_alive()

    def healthy(self) -> list[str]:
        """Problems with well-formed conversations on both paths; empty when healthy."""
        if not self.serving:
            return ["the accept loop has stopped"]
        return super().healthy()

    def wait_idle(self, timeout: float = 3.0) -> int:
        """Wait until no session thread is left; return how many remain."""
        deadline = time.monotonic() + timeout
        while self.server.active_sessions and time.monotonic() < deadline:
            time.sleep(0.001)
        return self.server.active_sessions


@contextlib.contextmanager
def running_milter() -> Iterator[InProcessMilter]:
    """Start an in-process milter; stop it afterwards."""
    milter = InProcessMilter()
    try:
        milter.start()
        yield milter
    finally:
        milter.stop()
