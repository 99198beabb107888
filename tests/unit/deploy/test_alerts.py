"""Alert rules, scrape config and dashboard in deploy/: promtool-checked, unit-tested, documented.

The rules are evaluated for real by `promtool test rules` (tests/prometheus/alerts_test.yml);
the end-to-end test runs them, and every dashboard query, in a real Prometheus.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROM_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
ALERT_TESTS = ROOT / "tests" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "postwarden.json"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
DOC = ROOT / "deploy" / "OBSERVABILITY.md"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is missing: apt-get install prometheus", pytrace=False)
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)


def rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [r for g in doc["groups"] for r in g["rules"]]


def anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the document's headings."""
    found = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return found


class TestAlertRules:
    def test_promtool_check_rules(self) -> None:
        """`promtool check rules` accepts the file."""
        done = promtool("check", "rules", str(ALERTS))
        assert done.returncode == 0, done.stdout + done.stderr

    def test_promtool_unit_tests(self) -> None:
        """`promtool test rules` passes: each alert fires when it should and not otherwise."""
        done = promtool("test", "rules", str(ALERT_TESTS))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout

    def test_every_alert_has_a_unit_test(self) -> None:
        """No alert without a promtool test case that expects it to fire."""
        tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
        fired = {
            case["alertname"]
            for test in tests
            for case in test.get("alert_rule_test", [])
            if case.get("exp_alerts")
        }
        assert {r["alert"] for r in rules()} == fired

    def test_alerts_are_labelled_and_documented(self) -> None:
        """Each alert has a severity and a runbook anchor that exists in OBSERVABILITY.md."""
        known = anchors(DOC.read_text())
        for rule in rules():
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
            runbook = rule["annotations"]["runbook"]
            assert runbook == f"deploy/OBSERVABILITY.md#{rule['alert'].lower()}"
            assert rule["alert"].lower() in known, f"no section for {rule['alert']}"

    def test_only_postwarden_metrics(self) -> None:
        """Alert expressions use postwarden_* series or the postwarden job's up."""
        for rule in rules():
            names = set(re.findall(r"\b([a-z_]+)(?=\{|\[)", rule["expr"]))
            assert all(n.startswith("postwarden_") or n == "up" for n in names), rule["alert"]


class TestScrapeConfig:
    def test_promtool_check_config(self, tmp_path: Path) -> None:
        """The example prometheus.yml is valid once the rule file path points at the file."""
        config = yaml.safe_load(PROM_CONFIG.read_text())
        assert [j["job_name"] for j in config["scrape_configs"]] == ["postwarden"]
        assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9797"]
        config["rule_files"] = [str(ALERTS)]
        copy = tmp_path / "prometheus.yml"
        copy.write_text(yaml.safe_dump(config))
        done = promtool("check", "config", str(copy))
        assert done.returncode == 0, done.stdout + done.stderr


class TestDashboard:
    @pytest.fixture
    def dashboard(self) -> dict[str, Any]:
        return dict(json.loads(DASHBOARD.read_text()))

    def panels(self, dashboard: dict[str, Any]) -> list[dict[str, Any]]:
        return [p for p in dashboard["panels"] if p["type"] != "row"]

    def test_datasource_is_a_variable(self, dashboard: dict[str, Any]) -> None:
        """Every panel and query uses the ${datasource} variable, so any Prometheus works."""
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for panel in self.panels(dashboard):
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}", panel["title"]

    def test_panels_are_well_formed(self, dashboard: dict[str, Any]) -> None:
        """Unique ids, a description, queries with unique refIds, filtered by $instance."""
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        for panel in self.panels(dashboard):
            assert panel["description"], panel["title"]
            refs = [t["refId"] for t in panel["targets"]]
            assert refs and len(refs) == len(set(refs)), panel["title"]
            for target in panel["targets"]:
                assert 'instance=~"$instance"' in target["expr"], panel["title"]

    def test_panels_are_documented(self, dashboard: dict[str, Any]) -> None:
        """OBSERVABILITY.md describes every panel by its title."""
        text = DOC.read_text()
        for panel in self.panels(dashboard):
            assert f"**{panel['title']}**" in text, panel["title"]

    def test_provisioning_files(self) -> None:
        """Provisioning: a file provider for the dashboard and a Prometheus data source."""
        provider = yaml.safe_load((PROVISIONING / "dashboards" / "postwarden.yaml").read_text())
        assert provider["apiVersion"] == 1 and provider["providers"][0]["type"] == "file"
        sources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yaml").read_text())
        assert sources["datasources"][0]["type"] == "prometheus"
