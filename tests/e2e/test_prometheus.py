"""The dashboard and alerts against a real Prometheus scraping Postwarden inside a real Postfix.

One stack per module: Postfix (tests/e2e/postfix.py), the milter as its own process with
metrics, an audit trail and the example policy, and Debian's Prometheus configured from
deploy/prometheus/prometheus.yml with a 1 s scrape and evaluation interval. Mail goes through
it (refused recipients, accepted mail, a local submission, a milter internal error, an audit
rotation); then every panel query of deploy/grafana/postwarden.json and every alert
expression of deploy/prometheus/alerts.yml is evaluated through Prometheus' HTTP API. A panel
that parses but shows nothing fails.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from milter.policy import load_policy
from tests.e2e.postfix import LOOPBACK, MilterProcess, PostfixInstance, Sink, smtp_send
from tests.support.dnsserver import DnsServer, DnsServerError, Zone
from tests.support.milterclient import MilterClient
from tests.support.prometheus import (
    PROMETHEUS,
    PROMTOOL,
    PrometheusError,
    PrometheusServer,
    free_port,
    has_data,
    sample_value,
    scrape_config,
)

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "example.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "postwarden.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROM_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
SENDER = "casetool@samen-veilig.nl"
BODY = "Dit is een testbericht over niemand in het bijzonder."

# Grafana's built-in variables, as Grafana would fill them in for a 5-minute view scraped
# every 15 s; the dashboard's own $instance takes its "All" value.
GRAFANA_VARIABLES = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "5m",
    "instance": ".+",
}

# Panels that cannot have data in this stack yet, and why: they must parse and may show
# nothing or NaN. When one of them shows data, this test fails so that the entry is removed.
AWAITING_DATA: dict[str, str] = {}  # panels that cannot have data yet, and why
OUR_MX = ((10, "mx1.samen-veilig.nl"), (20, "mx2.samen-veilig.nl"))
ZONES = [
    Zone("samen-veilig.nl", mx=OUR_MX),
    Zone("veiligthuisutrecht.nl", mx=OUR_MX),
    Zone("bjzutrecht.nl", mx=OUR_MX),
    Zone("bjzflevo.nl", mx=OUR_MX),
    Zone("partner.example", mx=((10, "mx.partner.example"),)),
]


def message(subject: str, to: str = "a@partner.example") -> str:
    return (
        f"From: {SENDER}\nTo: {to}\nSubject: {subject}\n"
        f"Message-ID: <{subject}@samen-veilig.nl>\n\n{BODY}\n"
    )


def substitute(expr: str) -> str:
    """Fill in Grafana variables ($name and ${name}); an unknown one fails the test."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in GRAFANA_VARIABLES:
            pytest.fail(f"unknown dashboard variable ${name} in {expr!r}")
        return GRAFANA_VARIABLES[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


def panel_targets() -> list[tuple[str, str, str]]:
    """(panel title, refId, expression) for every query of every panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    found = []
    for panel in dashboard["panels"]:
        for nested in [panel, *panel.get("panels", [])]:
            for target in nested.get("targets", []):
                found.append((nested["title"], target["refId"], target["expr"]))
    return found


def alert_rules() -> list[tuple[str, str]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [(r["alert"], r["expr"]) for g in doc["groups"] for r in g["rules"] if "alert" in r]


@dataclass
class Observed:
    prometheus: PrometheusServer
    postfix: PostfixInstance
    milter: MilterProcess
    sink: Sink
    metrics_port: int
    audit: Path
    policy: Path

    def scrape(self) -> bytes:
        url = f"http://{LOOPBACK}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return bytes(resp.read())


def drive_traffic(obs: Observed, smtp_port: int) -> None:
    """Refusals, accepted mail, a local submission, an internal error and an audit rotation."""
    mixed = smtp_send(
        obs.postfix.smtp_port, SENDER, ["a@partner.example", "b@bjzutrecht.nl"], message("mixed")
    )
    assert mixed.delivered and mixed.rcpt("b@bjzutrecht.nl").code == 550
    only_retired = smtp_send(
        obs.postfix.smtp_port, SENDER, ["c@mail.bjzflevo.nl"], message("only-retired")
    )
    assert only_retired.data is None
    local = obs.postfix.sendmail(
        SENDER, ["a2@partner.example", "b2@bjzutrecht.nl"], message("local")
    )
    assert local.returncode == 0, local.stderr
    with MilterClient((LOOPBACK, smtp_port)) as client:  # RCPT before MAIL: an internal error
        reply = client.rcpt("x@partner.example")
        assert reply is not None and reply.text.startswith("451")
    obs.sink.wait_for(lambda m: m.header("Subject") == "mixed")
    obs.sink.wait_for(lambda m: m.header("Subject") == "local")

    # logrotate's way: rename, then SIGUSR1; the chain continues in the new file.
    obs.audit.rename(obs.audit.with_name("audit.jsonl.1"))
    assert obs.milter.pid is not None
    os.kill(obs.milter.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while not obs.audit.exists():
        assert time.monotonic() < deadline, "audit file not reopened after SIGUSR1"
        time.sleep(0.05)
    after = smtp_send(obs.postfix.smtp_port, SENDER, ["a3@partner.example"], message("after"))
    assert after.delivered
    obs.sink.wait_for(lambda m: m.header("Subject") == "after")
    obs.postfix.wait_queue_empty()


@pytest.fixture(scope="module")
def observed(
    postfix_binaries: None, sink_server: Sink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Observed]:
    for binary in (PROMETHEUS, PROMTOOL):
        if not binary.exists():
            pytest.fail(f"{binary} is missing: apt-get install prometheus", pytrace=False)
    sink_server.clear()
    smtp_port, local_port, metrics_port = free_port(), free_port(), free_port()
    base = tmp_path_factory.mktemp("observed")
    postfix = PostfixInstance(
        base / "postfix",
        relay_port=sink_server.port,
        smtpd_milter=smtp_port,
        non_smtpd_milter=local_port,
    )
    postfix.start()
    audit = base / "audit" / "audit.jsonl"
    audit.parent.mkdir()
    # DNS on loopback, so the DNS panels and the domain watch have real data: the example
    # policy plus a dns section pointing at it.
    dns = DnsServer(base / "dns")
    try:
        dns.start(ZONES, ns=("ns1.provider.example", "ns2.provider.example"), ttl=60)
    except DnsServerError as err:
        postfix.stop()
        pytest.fail(str(err), pytrace=False)
    policy = base / "policy.yaml"
    policy.write_text(
        POLICY.read_text().removesuffix("...\n")  # a section added before the end marker
        + f"dns:\n  nameservers: ['{dns.address}']\n  timeout_ms: 500\n  budget_ms: 1500\n...\n"
    )
    milter = MilterProcess(
        [
            sys.executable,
            "-m",
            "milter",
            "serve",
            "--policy",
            str(policy),
            "--watch-interval",
            "1",
            "--listen",
            f"inet:{LOOPBACK}:{smtp_port}",
            "--listen-local",
            f"inet:{LOOPBACK}:{local_port}",
            "--metrics-listen",
            f"{LOOPBACK}:{metrics_port}",
            "--audit-log",
            str(audit),
        ],
        [smtp_port, local_port, metrics_port],
        base / "milter.log",
        env={**os.environ, "MAIL_CONFIG": str(postfix.config_dir)},  # for postqueue -j
        cwd=ROOT,
    )
    config = scrape_config(PROM_CONFIG, f"{LOOPBACK}:{metrics_port}", ALERTS)
    prometheus = PrometheusServer(base / "prometheus", config)
    try:
        milter.start()
        prometheus.start()
        obs = Observed(prometheus, postfix, milter, sink_server, metrics_port, audit, policy)
        prometheus.wait_scraped_after(time.time())  # a baseline before any mail
        drive_traffic(obs, smtp_port)
        prometheus.wait_scraped_after(time.time())
        yield obs
    finally:
        prometheus.stop()
        milter.stop()
        postfix.stop()
        dns.stop()
        print(f"--- milter log:\n{milter.log_text()[-4000:]}")
        print(f"--- prometheus log:\n{prometheus.log_text()[-2000:]}")


def count(path: str) -> int:
    return len(Path(path).read_bytes().splitlines())


def values(result: list[dict[str, Any]], label: str) -> dict[str, float]:
    return {s["metric"].get(label, ""): sample_value(s) for s in result}


class TestDashboard:
    def test_every_panel_query_returns_data(self, observed: Observed) -> None:
        """Each panel query parses in Prometheus and returns data (or is in AWAITING_DATA)."""
        targets = panel_targets()
        assert len(targets) >= 20
        titles = {title for title, _, _ in targets}
        assert set(AWAITING_DATA) <= titles, "AWAITING_DATA names a panel that is gone"
        empty, wired = [], []
        for title, ref, expr in targets:
            try:
                result = observed.prometheus.query(substitute(expr))
            except PrometheusError as err:
                pytest.fail(f"panel {title} [{ref}]: {err}")
            if title in AWAITING_DATA:
                if has_data(result):
                    wired.append(title)
            elif not has_data(result):
                empty.append(f"{title} [{ref}]: {expr}")
        assert not empty, "panels without data:\n" + "\n".join(empty)
        assert not wired, f"panels now have data, remove them from AWAITING_DATA: {wired}"

    def test_panels_show_the_traffic(self, observed: Observed) -> None:
        """The traffic sent shows in the panels' numbers, not only as 'some data'."""
        by_title: dict[str, list[str]] = {}
        for title, _, expr in panel_targets():
            by_title.setdefault(title, []).append(substitute(expr))
        q = observed.prometheus.query
        assert values(q(by_title["Milter up"][0]), "instance") == {
            f"{LOOPBACK}:{observed.metrics_port}": 1.0
        }
        assert sample_value(q(by_title["Retired-domain refusals"][0])[0]) >= 2.5  # 3 recipients
        assert sample_value(q(by_title["Internal errors"][0])[0]) >= 0.5  # 1 error
        assert sample_value(q(by_title["Messages decided"][0])[0]) >= 2.5  # 3 messages
        assert values(q(by_title["Refused recipients by rule"][0]), "rule")["retired_domain"] > 0
        paths = values(q(by_title["Traffic by path"][0]), "path")
        assert paths["smtp"] > 0 and paths["local"] > 0
        assert values(q(by_title["Hold queue size"][0]), "instance")
        watch = q(by_title["Domain watch"][0])
        assert {(s["metric"]["domain"], s["metric"]["state"]) for s in watch} >= {
            ("bjzutrecht.nl", "ok"),  # still looks like ours in DNS
            ("samen-veilig.nl", "ok"),
        }
        policy = load_policy(str(observed.policy))
        assert values(q(by_title["Policy version per node"][0]), "sha256") == {policy.sha256: 1}
        age = sample_value(q(by_title["Audit checkpoint age"][0])[0])
        assert 0 <= age < 60

    def test_node_variable_lists_the_milter(self, observed: Observed) -> None:
        """The $instance variable's query lists the scraped milter."""
        dashboard = json.loads(DASHBOARD.read_text())
        variable = next(v for v in dashboard["templating"]["list"] if v["name"] == "instance")
        match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["definition"])
        assert match is not None
        found = observed.prometheus.api(
            f"label/{match.group(2)}/values", **{"match[]": match.group(1)}
        )
        assert found == [f"{LOOPBACK}:{observed.metrics_port}"]


class TestAlerts:
    def test_every_alert_expression_evaluates(self, observed: Observed) -> None:
        """Each alert expression parses and evaluates; Prometheus evaluates every rule cleanly."""
        for name, expr in alert_rules():
            try:
                observed.prometheus.query(expr)
            except PrometheusError as err:
                pytest.fail(f"alert {name}: {err}")
        rules = observed.prometheus.wait_rules_evaluated()
        assert {r["name"] for r in rules} == {name for name, _ in alert_rules()}
        assert [r["name"] for r in rules if r["health"] != "ok"] == []

    def test_traffic_raises_exactly_the_expected_alerts(self, observed: Observed) -> None:
        """A retired-domain attempt (info) and the internal error (warning) fire; nothing else."""
        attempt = observed.prometheus.wait_alert("RetiredDomainAttempt")
        assert attempt["labels"]["severity"] == "info"
        error = observed.prometheus.wait_alert("PostwardenInternalErrors")
        assert error["labels"]["instance"] == f"{LOOPBACK}:{observed.metrics_port}"
        alerts = observed.prometheus.api("alerts")["alerts"]
        firing = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}
        pending = {a["labels"]["alertname"] for a in alerts if a["state"] == "pending"}
        assert firing == {"RetiredDomainAttempt", "PostwardenInternalErrors"}
        assert pending <= {"PostwardenTempfailing"}  # needs 10 minutes of errors to fire


class TestScrape:
    def test_live_scrape_passes_promtool(self, observed: Observed) -> None:
        """`promtool check metrics` is clean on the running milter's endpoint."""
        body = observed.scrape()
        check = subprocess.run(
            [str(PROMTOOL), "check", "metrics"], input=body, capture_output=True, timeout=30
        )
        assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), check

    def test_no_address_or_text_in_metrics(self, observed: Observed) -> None:
        """Addresses and message text never reach the metrics."""
        text = observed.scrape().decode()
        for needle in ("partner.example", "casetool", "b@bjzutrecht", "testbericht"):
            assert needle not in text


class TestAuditTrail:
    def files(self, observed: Observed) -> list[str]:
        return [str(observed.audit.with_name("audit.jsonl.1")), str(observed.audit)]

    def checkpoint(self, observed: Observed) -> str:
        """SEQ:HASH of the last checkpoint, as Prometheus recorded it."""
        q = observed.prometheus.query
        seq = int(sample_value(q("postwarden_audit_last_checkpoint_seq")[0]))
        prefix = int(sample_value(q("postwarden_audit_last_checkpoint_hash_prefix")[0]))
        return f"{seq}:{prefix:012x}"

    def verify(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "milter", "audit", "verify", *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
        )

    def test_rotated_files_verify_against_the_exported_checkpoint(self, observed: Observed) -> None:
        """Both files chain up, and hold the checkpoint Prometheus scraped."""
        done = self.verify(*self.files(observed), "--checkpoint", self.checkpoint(observed))
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("ok: ") and "in 2 files" in done.stdout

    def test_cut_tail_is_caught_with_the_exported_checkpoint(
        self, observed: Observed, tmp_path: Path
    ) -> None:
        """Removing the last checkpoint and what follows shows as truncated."""
        old, new = self.files(observed)
        lines = Path(new).read_bytes().splitlines(keepends=True)
        last_checkpoint = max(
            n for n, line in enumerate(lines) if json.loads(line)["kind"] == "checkpoint"
        )
        cut = tmp_path / "audit.jsonl"
        cut.write_bytes(b"".join(lines[:last_checkpoint]))
        checkpoint = self.checkpoint(observed)
        done = self.verify(old, str(cut), "--checkpoint", checkpoint)
        assert done.returncode == 1
        survivor = f"{cut}:{last_checkpoint}" if last_checkpoint else f"{old}:{count(old)}"
        seq = checkpoint.split(":")[0]
        assert (
            done.stdout.startswith(f"{survivor}: truncated: ") and f"seq {seq} was" in done.stdout
        )

    def test_records_hold_decisions_but_no_text(self, observed: Observed) -> None:
        """Refusals and decisions are there, with hashed Message-IDs; the body never is."""
        records = [
            json.loads(line)
            for path in self.files(observed)
            for line in Path(path).read_text().splitlines()
        ]
        kinds = [r["kind"] for r in records]
        assert kinds.count("recipient_refused") == 2
        assert kinds.count("message") == 3 and kinds.count("internal_error") == 1
        local = next(r for r in records if r["kind"] == "message" and r["path"] == "local")
        assert [(x["address"], x["action"]) for x in local["recipients"]] == [
            ("a2@partner.example", "accept"),
            ("b2@bjzutrecht.nl", "remove"),
        ]
        assert all(r["node"] and r["time"].endswith("Z") for r in records)
        text = "\n".join(Path(p).read_text() for p in self.files(observed))
        assert "testbericht" not in text and "mixed@samen-veilig.nl" not in text
        assert os.stat(observed.audit).st_mode & 0o777 == 0o640
