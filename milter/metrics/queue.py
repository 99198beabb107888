"""metrics.queue -- the hold-queue gauge: how many messages Postfix holds (quarantine).

SYNOPSIS
    metrics.watch_hold_queue()                     # registers a HoldQueueCollector
    collector = HoldQueueCollector(["/usr/sbin/postqueue", "-j"], ttl_s=30, timeout_s=3)

DESCRIPTION
    Exports postwarden_hold_queue_up (1 if the last read succeeded) and
    postwarden_hold_queue_messages (the messages on hold). The value comes from
    ``postqueue -j`` (3 s timeout), read by the hold queue's own parser
    (milter.officer.holdqueue), in a background thread at start and then at most every
    30 s, and only when a scrape finds the value stale: no scrape, no cost, and a scrape
    never waits for Postfix.

    It refuses to make up a size: when postqueue is missing, fails, times out or answers
    with something other than queue entries (or has not answered yet), up is 0 and the
    size is not exported.

DIAGNOSTICS
    None: a failed read is the up gauge at 0.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from milter.officer.holdqueue import on_hold, parse_postqueue


class HoldQueueCollector(Collector):
    """postwarden_hold_queue_messages, refreshed in the background when scrapes find it stale.

    A scrape never waits for postqueue: it gets the last value read, and if that is older
    than `ttl_s` a refresh starts in a thread (one at a time) for the next scrape.
    """

    def __init__(
        self,
        argv: list[str],
        ttl_s: float,
        timeout_s: float,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._argv = argv
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._env = dict(env) if env is not None else None
        self._lock = threading.Lock()
        self._read_at = -float("inf")
        self._refreshing = False
        self._held: int | None = None

    def _read(self) -> int | None:
        try:
            proc = subprocess.run(
                self._argv,
                capture_output=True,
                timeout=self._timeout_s,
                env=self._env if self._env is not None else os.environ.copy(),
                check=True,
            )
            return len(on_hold(parse_postqueue(proc.stdout)))
        except (OSError, subprocess.SubprocessError, ValueError):
            return None

    def _refresh(self) -> None:
        held = self._read()
        with self._lock:
            self._held = held
            self._refreshing = False

    def refresh_if_stale(self) -> threading.Thread | None:
        """Start a background read if the value is older than the TTL; return its thread."""
        with self._lock:
            now = time.monotonic()
            if self._refreshing or now - self._read_at < self._ttl_s:
                return None
            self._refreshing = True
            self._read_at = now
        thread = threading.Thread(target=self._refresh, name="hold-queue", daemon=True)
        thread.start()
        return thread

    def collect(self) -> Iterator[GaugeMetricFamily]:
        self.refresh_if_stale()
        with self._lock:
            held = self._held
        yield GaugeMetricFamily(
            "postwarden_hold_queue_up",
            "1 if the last `postqueue -j` for the hold-queue size succeeded.",
            value=0 if held is None else 1,
        )
        if held is not None:
            yield GaugeMetricFamily(
                "postwarden_hold_queue_messages",
                "Messages in Postfix's hold queue (quarantine), read with postqueue -j.",
                value=held,
            )
