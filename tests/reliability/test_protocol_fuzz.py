"""Protocol fuzzing (issue 8, point 3): the adapter under malformed and split milter traffic.

A real ``MilterServer`` runs in this process on loopback. Hypothesis sends it hostile byte
streams and valid Postfix-like conversations, each split at random points that the server
reads separately. After every case the server must still answer well-formed conversations on
both paths correctly and have no session thread left; over the whole run threads and resident
memory stay bounded and no planted client data appears in any log event. Seeded (derandomized)
and bounded for CI; ``make fuzz`` runs the same cases by the hundred thousand (tests/fuzz).
"""

from __future__ import annotations

import resource
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.e2e.postfix import free_port, wait_port
from tests.reliability.conversations import (
    HEALTH,
    Conversation,
    MilterEndpoint,
    negotiate_packet,
    script,
)
from tests.reliability.hostile import Case, check_hostile, check_server, hostile_case, valid_case
from tests.reliability.inprocess import (
    POLICY,
    ROOT,
    InProcessMilter,
    LeakWatch,
    rss_bytes,
    running_milter,
)

CI_HOSTILE_CASES = 400
CI_VALID_CASES = 150
MAX_EXTRA_THREADS = 4
MAX_RSS_GROWTH = 64 << 20
CI = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def leakwatch() -> Iterator[LeakWatch]:
    with LeakWatch().installed() as watch:
        yield watch


@pytest.fixture
def milter(leakwatch: LeakWatch) -> Iterator[InProcessMilter]:
    with running_milter() as running:
        assert running.healthy() == []
        yield running


def stream_until_closed(sock: socket.socket, limit: int) -> tuple[int, bool]:
    """Send up to ``limit`` bytes of filler, then wait 1 s; return (bytes sent, peer closed)."""
    sent = 0
    sock.settimeout(2.0)
    while sent < limit:
        try:
            sock.sendall(b"x" * 65536)
        except OSError:
            return sent, True
        sent += 65536
    sock.settimeout(1.0)
    try:
        while sock.recv(65536):
            pass  # a tempfail reply may come first
    except TimeoutError:
        return sent, False
    except OSError:
        pass
    return sent, True


class TestHostileStreams:
    def test_server_survives_every_case(
        self, milter: InProcessMilter, leakwatch: LeakWatch
    ) -> None:
        """Malformed/truncated/oversized/out-of-order packets: close or verdict, server fine."""
        max_threads = threading.active_count() + MAX_EXTRA_THREADS
        rss_before = rss_bytes()
        started = time.monotonic()

        @settings(CI, max_examples=CI_HOSTILE_CASES)
        @given(case=hostile_case())
        def run(case: Case) -> None:
            assert check_hostile(milter, case) + check_server(milter, max_threads) == []

        run()
        grown = rss_bytes() - rss_before
        print(
            f"{CI_HOSTILE_CASES} hostile cases in {time.monotonic() - started:.1f}s, "
            f"RSS +{grown >> 20} MiB, {leakwatch.events} log events"
        )
        assert grown < MAX_RSS_GROWTH
        assert leakwatch.leaks == []
        assert leakwatch.events > 0  # the watch did see the adapter's log events


class TestValidConversations:
    def test_random_splits_keep_the_verdicts(
        self, milter: InProcessMilter, leakwatch: LeakWatch
    ) -> None:
        """Postfix-like conversations split anywhere still get exactly the policy's replies."""

        @settings(CI, max_examples=CI_VALID_CASES)
        @given(case=valid_case())
        def run(case: tuple[Conversation, list[int]]) -> None:
            conv, cuts = case
            assert milter.converse(conv, cuts) == []

        run()
        assert leakwatch.leaks == []

    @pytest.mark.parametrize("conv", HEALTH, ids=["smtp", "local"])
    def test_every_single_split_point(self, milter: InProcessMilter, conv: Conversation) -> None:
        """Cutting the stream once, at every byte offset in turn, never changes a reply."""
        length = len(script(conv, milter.protocol)[0])
        failures = {cut: p for cut in range(1, length) if (p := milter.converse(conv, [cut]))}
        assert failures == {}


class TestOversizedPackets:
    def test_huge_declared_length_closes_the_connection(self, milter: InProcessMilter) -> None:
        """A packet header declaring 4 GiB gets the connection closed, not 4 GiB buffered."""
        with socket.create_connection(milter.smtp, timeout=5) as sock:
            sock.sendall(negotiate_packet())
            sock.recv(64)
            sock.sendall(struct.pack("!I", 0xFFFFFFFF) + b"B")
            sent, closed = stream_until_closed(sock, 8 << 20)
        assert closed, f"milter still buffering after {sent >> 20} MiB of a 4 GiB packet"

    def test_a_huge_packet_does_not_stop_other_connections(self, milter: InProcessMilter) -> None:
        """While one connection streams a 1 GiB packet, other connections are served."""
        with socket.create_connection(milter.smtp, timeout=5) as sock:
            sock.sendall(struct.pack("!I", 1 << 30) + b"B" + b"x" * (1 << 20))
            assert milter.healthy() == []


class TestAcceptLoop:
    def test_running_out_of_file_descriptors_is_survived(self, tmp_path: Path) -> None:
        """With its descriptors used up by idle connections the milter keeps running."""
        port = free_port()
        with open(tmp_path / "milter.log", "wb") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "milter",
                    "serve",
                    "--policy",
                    str(POLICY),
                    "--listen",
                    f"inet:127.0.0.1:{port}",
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        conns: list[socket.socket] = []
        try:
            wait_port("127.0.0.1", port)
            resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (64, 64))
            conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(80)]
            time.sleep(1.0)
            for conn in conns:
                conn.close()
            time.sleep(0.5)
            assert proc.poll() is None, (
                f"milter exited with {proc.returncode}: "
                + (tmp_path / "milter.log").read_text()[-300:]
            )
            assert MilterEndpoint(("127.0.0.1", port)).healthy() == []
        finally:
            for conn in conns:
                conn.close()
            proc.kill()
            proc.wait(5)
