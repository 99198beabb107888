"""The hold-queue gauge: read in the background with postqueue -j, cached, and absent (up 0)
when postqueue fails or answers with something other than queue entries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from milter.metrics.registry import Metrics


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


class TestHoldQueue:
    def fake_postqueue(self, tmp_path: Path, body: str, code: int = 0) -> Path:
        script = tmp_path / "postqueue"
        script.write_text(
            f"#!/bin/sh\necho run >> {tmp_path}/runs\nprintf '%b' '{body}'\nexit {code}\n"
        )
        script.chmod(0o755)
        return script

    def test_gauge_is_read_in_the_background_and_cached(
        self, tmp_path: Path, metrics: Metrics
    ) -> None:
        """postqueue -j runs once at start, then only when a scrape finds the value stale."""
        body = '{"queue_name":"hold"}\\n{"queue_name":"active"}\\n'
        script = self.fake_postqueue(tmp_path, body)
        assert metrics.watch_hold_queue(str(script), ttl_s=3600)
        assert metrics.hold_queue is not None
        self.wait_read(metrics)
        assert value(metrics, "postwarden_hold_queue_messages") == 1
        assert value(metrics, "postwarden_hold_queue_up") == 1
        assert (tmp_path / "runs").read_text().count("run") == 1

    def test_stale_value_is_refreshed(self, tmp_path: Path, metrics: Metrics) -> None:
        """With the TTL passed, a scrape starts a new read; the next scrape sees it."""
        script = self.fake_postqueue(tmp_path, '{"queue_name":"hold"}\\n')
        metrics.watch_hold_queue(str(script), ttl_s=0)
        self.wait_read(metrics)
        assert metrics.hold_queue is not None
        thread = metrics.hold_queue.refresh_if_stale()
        assert thread is not None
        thread.join(5)
        assert (tmp_path / "runs").read_text().count("run") >= 2

    def test_failure_exports_up_0_and_no_size(self, tmp_path: Path, metrics: Metrics) -> None:
        """When postqueue fails, the size is absent rather than a made-up 0."""
        script = self.fake_postqueue(tmp_path, "fatal: no main.cf", code=75)
        metrics.watch_hold_queue(str(script))
        self.wait_read(metrics)
        assert value(metrics, "postwarden_hold_queue_up") == 0
        assert value(metrics, "postwarden_hold_queue_messages") is None

    def test_answer_that_is_not_queue_entries_exports_up_0(
        self, tmp_path: Path, metrics: Metrics
    ) -> None:
        """A line that is not a JSON object makes the read fail (up 0, no size), not half-count."""
        script = self.fake_postqueue(tmp_path, '{"queue_name":"hold"}\\n[1, 2]\\n')
        metrics.watch_hold_queue(str(script))
        self.wait_read(metrics)
        assert value(metrics, "postwarden_hold_queue_up") == 0
        assert value(metrics, "postwarden_hold_queue_messages") is None

    def wait_read(self, metrics: Metrics) -> None:
        collector = metrics.hold_queue
        assert collector is not None
        deadline = time.monotonic() + 10
        while collector._refreshing:
            assert time.monotonic() < deadline, "postqueue read did not finish"
            time.sleep(0.01)
