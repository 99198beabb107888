"""The merged /metrics of serve --workers N, over real worker processes: totals summed (dead
workers' too), connections from the live workers only, the policy gauges the supervisor's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import mark_process_dead

from milter.metrics.merge import MergedCollector
from milter.metrics.registry import Metrics

ROOT = Path(__file__).resolve().parents[3]


WORKER = """
import sys, time
from milter.metrics.registry import Metrics
m = Metrics()
m.messages.labels("accept", "smtp").inc(3)
m.observe_decision_seconds("smtp", 0.002)
m.observe_dns("MX", "ok", 0.01)
m.connections.set(2)
print("ready", flush=True)
sys.stdin.read()
"""


def sample(text: str, series: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


class TestMergedMetrics:
    def test_totals_of_the_supervisor_and_live_and_dead_workers(self, tmp_path: Path) -> None:
        """Counters and histograms are summed over the supervisor and every worker (a dead
        worker's counts stay); connections sum the live workers only; the policy gauges are
        the supervisor's alone; promtool accepts the result."""
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER],
                env=env,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            for w in workers:
                assert w.stdout is not None and w.stdout.readline().strip() == "ready"
            own = Metrics()
            own.observe_dns("MX", "ok", 0.01)
            own.policy_info.labels("a" * 64).set(1)
            registry = CollectorRegistry()
            registry.register(MergedCollector(own.registry, str(tmp_path)))
            text = generate_latest(registry).decode()
            assert sample(text, 'postwarden_messages_total{action="accept",path="smtp"}') == 6
            assert sample(text, 'postwarden_messages_total{action="reject",path="smtp"}') == 0
            assert sample(text, 'postwarden_decision_duration_seconds_count{path="smtp"}') == 2
            assert sample(text, 'postwarden_dns_queries_total{result="ok",rtype="MX"}') == 3
            assert sample(text, 'postwarden_dns_query_duration_seconds_count{rtype="MX"}') == 3
            assert sample(text, "postwarden_milter_connections") == 4
            assert text.count("postwarden_policy_info{") == 1
            assert sample(text, "postwarden_policy_last_reload_successful") == 1
            check = subprocess.run(
                ["promtool", "check", "metrics"], input=text.encode(), capture_output=True
            )
            assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), check

            workers[0].kill()
            workers[0].wait(10)
            mark_process_dead(workers[0].pid, str(tmp_path))
            text = generate_latest(registry).decode()
            assert sample(text, 'postwarden_messages_total{action="accept",path="smtp"}') == 6
            assert sample(text, "postwarden_milter_connections") == 2
        finally:
            for w in workers:
                w.kill()
                w.wait(10)
