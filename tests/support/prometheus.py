"""A private Prometheus for end-to-end tests: Debian's binary on a loopback port, storage in tmp.

SYNOPSIS
    config = scrape_config(ROOT / "deploy/prometheus/prometheus.yml", "127.0.0.1:9797",
                           ROOT / "deploy/prometheus/alerts.yml")
    with PrometheusServer(tmp_path, config) as prom:
        prom.wait_scraped_after(time.time())
        prom.query('up{job="postwarden"}')        # -> list of {"metric": {...}, "value": [t, "1"]}

DESCRIPTION
    The configuration is the deployed example (deploy/prometheus/prometheus.yml) with only the
    postwarden job's target, the rule file path and the intervals (1 s scrape and evaluation)
    replaced, so the test exercises what admins install. Prometheus runs in its own session
    with --web.listen-address=127.0.0.1:PORT and --storage.tsdb.path under the test's temp
    directory; stop() ends it by PID (SIGTERM, then SIGKILL), never by name.

    The HTTP API is read with urllib: api() raises PrometheusError with Prometheus' own
    errorType and error when a request fails (a query that does not parse, say).

Observed with prometheus 2.42.0+ds (Debian 12): ready in ~0.5 s (/-/ready answers 503 until
the TSDB is open), but the first scrape comes up to 5 s later (the scrape manager applies new
targets on a 5 s tick); timestamp(up) is a scrape's start time, while timestamp() of anything
but a plain selector (timestamp(up == 1)) is the query's evaluation time.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from tests.support.ports import free_port

PROMETHEUS = Path("/usr/bin/prometheus")
PROMTOOL = Path("/usr/bin/promtool")
LOOPBACK = "127.0.0.1"


class PrometheusError(RuntimeError):
    """The Prometheus API answered with an error (errorType: error)."""


def scrape_config(
    template: Path, target: str, rules: Path, interval: str = "1s", job: str = "postwarden"
) -> dict[str, Any]:
    """The deployed config with the test's target, rule file and intervals."""
    config: dict[str, Any] = yaml.safe_load(template.read_text())
    config["global"]["scrape_interval"] = interval
    config["global"]["evaluation_interval"] = interval
    config["rule_files"] = [str(rules)]
    scrape = next(j for j in config["scrape_configs"] if j["job_name"] == job)
    scrape["static_configs"] = [{"targets": [target]}]
    scrape["scrape_timeout"] = interval
    return config


def sample_value(sample: dict[str, Any]) -> float:
    """The float value of an instant-vector sample ("NaN" included)."""
    return float(sample["value"][1])


def has_data(result: list[dict[str, Any]]) -> bool:
    """At least one sample with a real (not NaN) value."""
    return any(not math.isnan(sample_value(s)) for s in result)


class PrometheusServer:
    """One Prometheus process; a context manager that starts and stops it."""

    def __init__(self, base_dir: Path, config: dict[str, Any], port: int | None = None) -> None:
        self.base_dir = base_dir
        self.config = config
        self.port = port or free_port()
        self.config_path = base_dir / "prometheus.yml"
        self.storage = base_dir / "tsdb"
        self.log_path = base_dir / "prometheus.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Write the config, start Prometheus, wait until /-/ready answers 200."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(PROMETHEUS),
                    f"--config.file={self.config_path}",
                    f"--storage.tsdb.path={self.storage}",
                    f"--web.listen-address={LOOPBACK}:{self.port}",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"prometheus exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"prometheus not ready after {timeout}s:\n{self.log_text()}")
            time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM by PID, SIGKILL if it does not exit in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- HTTP API -------------------------------------------------------------------------------
    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>; the 'data' member, or PrometheusError."""
        query = urllib.parse.urlencode(params)
        url = f"{self.url}/api/v1/{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as err:
            body = json.load(err)
        if body.get("status") != "success":
            raise PrometheusError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query at 'now'; the samples of the resulting vector."""
        data = self.api("query", query=expr)
        if data["resultType"] != "vector":
            raise PrometheusError(f"{expr!r} gives a {data['resultType']}, not a vector")
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait_scraped_after(self, when: float, job: str = "postwarden", timeout: float = 30) -> None:
        """Wait until a successful scrape of `job` started after `when` (Unix time)."""
        deadline = time.monotonic() + timeout
        while True:
            # timestamp() gives sample times only for a plain selector (else the query time)
            result = self.query(f'timestamp(up{{job="{job}"}})')
            up = self.query(f'up{{job="{job}"}}')
            scraped = result and all(sample_value(s) > when for s in result)
            if scraped and up and all(sample_value(s) == 1 for s in up):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no scrape of {job} after {when} within {timeout}s: {result}")
            time.sleep(0.2)

    def wait_rules_evaluated(self, timeout: float = 15) -> list[dict[str, Any]]:
        """Wait until every rule was evaluated once; return the rules."""
        deadline = time.monotonic() + timeout
        while True:
            groups = self.api("rules")["groups"]
            rules = [r for g in groups for r in g["rules"]]
            if rules and all(not r["lastEvaluation"].startswith("0001") for r in rules):
                return rules
            if time.monotonic() > deadline:
                raise TimeoutError(f"rules not evaluated within {timeout}s")
            time.sleep(0.2)

    def wait_alert(self, name: str, state: str = "firing", timeout: float = 15) -> dict[str, Any]:
        """Wait until alert `name` is in `state`; return it."""
        deadline = time.monotonic() + timeout
        while True:
            alerts = self.api("alerts")["alerts"]
            for alert in alerts:
                if alert["labels"].get("alertname") == name and alert["state"] == state:
                    return dict(alert)
            if time.monotonic() > deadline:
                raise TimeoutError(f"alert {name} not {state} within {timeout}s: {alerts}")
            time.sleep(0.2)
