"""Prometheus metrics: what each observation counts, bounded labels, and a promtool-clean scrape."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from milter.content.findings import OcrUse
from milter.core.address import parse_address
from milter.core.engine import Decision, Envelope, Facts, RecipientDecision, RuleHit, decide
from milter.core.verdict import reject
from milter.metrics.registry import (
    DECISION_BUCKETS,
    DNS_RESULTS,
    DOMAIN_STATES,
    Metrics,
)
from milter.policy import load_policy

ROOT = Path(__file__).resolve().parents[3]
POLICY = load_policy(str(ROOT / "policies" / "example.yaml"))
PROMTOOL = shutil.which("promtool")


@dataclass(frozen=True)
class FakeFinding:
    detector: str
    confidence: str
    count: int


@pytest.fixture
def metrics() -> Metrics:
    m = Metrics(CollectorRegistry())
    m.policy_loaded_now(POLICY, 1_700_000_000.0)
    return m


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


def decision(*rcpts: str, path: str = "smtp") -> Decision:
    env = Envelope(
        parse_address("tool@samen-veilig.nl"),
        tuple(parse_address(r) for r in rcpts),
        path,  # type: ignore[arg-type]
    )
    return decide(env, Facts(), POLICY)


def promtool() -> str:
    if PROMTOOL is None:
        pytest.fail("promtool is missing: apt-get install prometheus", pytrace=False)
    return PROMTOOL


class TestDecisions:
    def test_message_and_recipients_counted(self, metrics: Metrics) -> None:
        """A local message counts once by action/path and each recipient by action/rule."""
        metrics.observe(decision("a@partner.example", "b@bjzutrecht.nl", path="local"))
        assert value(metrics, "postwarden_messages_total", action="accept", path="local") == 1
        assert (
            value(
                metrics,
                "postwarden_recipients_total",
                action="remove",
                rule="retired_domain",
                path="local",
            )
            == 1
        )
        assert (
            value(
                metrics, "postwarden_recipients_total", action="accept", rule="none", path="local"
            )
            == 1
        )

    def test_rcpt_time_refusals_are_not_counted_twice(self, metrics: Metrics) -> None:
        """On the SMTP path a refused recipient is counted at RCPT, not again at EOM."""
        d = decision("a@partner.example", "b@bjzutrecht.nl")
        refused = next(rd for rd in d.recipients if rd.refused)
        metrics.observe_recipient(refused, "smtp")
        metrics.observe(d)
        labels = {"action": "reject", "rule": "retired_domain", "path": "smtp"}
        assert value(metrics, "postwarden_recipients_total", **labels) == 1

    def test_quarantine_rule_hits_and_findings(self, metrics: Metrics) -> None:
        """A quarantine counts by rule; rule hits by mode; the decision's findings by detector."""
        d = dataclasses.replace(
            decision("a@partner.example"),
            action="quarantine",
            rule="client-data-external",
            content_hits=(
                RuleHit("client-data-external", "quarantine", "enforce", "bsn"),
                RuleHit("iban-monitor", "flag", "monitor", "iban"),
            ),
            findings=(FakeFinding("bsn", "high", 3),),  # type: ignore[arg-type]
        )
        metrics.observe(d)
        assert (
            value(metrics, "postwarden_quarantines_total", rule="client-data-external", path="smtp")
            == 1
        )
        assert (
            value(
                metrics,
                "postwarden_content_rule_hits_total",
                rule="iban-monitor",
                action="flag",
                mode="monitor",
            )
            == 1
        )
        assert value(metrics, "postwarden_findings_total", detector="bsn", confidence="high") == 3

    def test_observe_findings(self, metrics: Metrics) -> None:
        """observe_findings adds each finding's count under its detector and confidence."""
        metrics.observe_findings([FakeFinding("custom:dossier", "medium", 2)] * 2)
        labels = {"detector": "custom:dossier", "confidence": "medium"}
        assert value(metrics, "postwarden_findings_total", **labels) == 4

    def test_ocr_use(self, metrics: Metrics) -> None:
        """OCR reads by result, one duration per message that OCR read, and budget stops."""
        assert value(metrics, "postwarden_ocr_reads_total", result="remembered") == 0
        metrics.observe_ocr(OcrUse(recognised=2, remembered=1, seconds=0.3, out_of_time=True))
        metrics.observe_ocr(OcrUse(recognised=0, remembered=3, seconds=0.0, out_of_time=False))
        assert value(metrics, "postwarden_ocr_reads_total", result="recognised") == 2
        assert value(metrics, "postwarden_ocr_reads_total", result="remembered") == 4
        assert value(metrics, "postwarden_ocr_duration_seconds_count") == 1
        assert value(metrics, "postwarden_ocr_duration_seconds_bucket", le="0.5") == 1
        assert value(metrics, "postwarden_ocr_budget_exceeded_total") == 1

    def test_decision_latency(self, metrics: Metrics) -> None:
        """Latency lands in a histogram with buckets from 0.1 ms to 5 s."""
        metrics.observe_decision_seconds("smtp", 0.0003)
        assert DECISION_BUCKETS[0] == 0.0001 and DECISION_BUCKETS[-1] == 5.0
        name = "postwarden_decision_duration_seconds_bucket"
        assert value(metrics, name, path="smtp", le="0.00025") == 0
        assert value(metrics, name, path="smtp", le="0.0005") == 1

    def test_internal_errors_by_path(self, metrics: Metrics) -> None:
        """Internal errors count per path."""
        metrics.internal_error("local")
        assert value(metrics, "postwarden_internal_errors_total", path="local") == 1
        assert value(metrics, "postwarden_internal_errors_total", path="smtp") == 0


class TestBoundedLabels:
    def test_odd_identifiers_become_other(self, metrics: Metrics) -> None:
        """A rule id or detector that is not an identifier is counted as 'other'."""
        rd = RecipientDecision(parse_address("a@b.example"), "reject", "x y<z>", reply=reject("x"))
        metrics.observe_recipient(rd, "smtp")
        metrics.observe_findings([FakeFinding("a b", "certain", 1)])
        labels = {"action": "reject", "rule": "other", "path": "smtp"}
        assert value(metrics, "postwarden_recipients_total", **labels) == 1
        assert value(metrics, "postwarden_findings_total", detector="other", confidence="other")

    def test_no_address_ever_becomes_a_label(self, metrics: Metrics) -> None:
        """After real decisions, no recipient or sender appears in the exposition."""
        metrics.observe(decision("a@partner.example", "b@bjzutrecht.nl", path="local"))
        text = exposition(metrics)
        assert "partner.example" not in text and "tool@" not in text and "b@" not in text

    def test_zero_series_exist_before_traffic(self) -> None:
        """Known label sets start at 0, so rate() sees the first event."""
        m = Metrics(CollectorRegistry())
        for path in ("smtp", "local"):
            for action in ("accept", "reject", "quarantine", "tempfail", "discard"):
                assert value(m, "postwarden_messages_total", action=action, path=path) == 0
        labels = {"action": "reject", "rule": "retired_domain", "path": "smtp"}
        assert value(m, "postwarden_recipients_total", **labels) == 0
        assert value(m, "postwarden_policy_reloads_total", result="refused") == 0


class TestDns:
    def test_queries_by_result_and_latency(self, metrics: Metrics) -> None:
        """A query counts by type and result; cached answers add no latency sample."""
        metrics.observe_dns("mx", "timeout", 0.8)
        metrics.observe_dns("MX", "ok", None)
        assert value(metrics, "postwarden_dns_queries_total", rtype="MX", result="timeout") == 1
        assert value(metrics, "postwarden_dns_queries_total", rtype="MX", result="ok") == 1
        assert value(metrics, "postwarden_dns_query_duration_seconds_count", rtype="MX") == 1

    def test_unknown_result_is_refused(self, metrics: Metrics) -> None:
        """A result outside the documented set is a programming error."""
        with pytest.raises(ValueError, match="DNS result"):
            metrics.observe_dns("MX", "weird")


class TestVocabulary:
    def test_dns_results_and_states_match_the_dns_module(self) -> None:
        """The metrics accept exactly what milter.domains reports, plus 'unknown'."""
        from typing import get_args

        from milter.domains.model import AnswerStatus, DomainState

        assert set(DNS_RESULTS) == set(get_args(AnswerStatus))
        assert set(DOMAIN_STATES) == {*get_args(DomainState), "unknown"}


class TestDomainState:
    def states(self, m: Metrics, domain: str, role: str) -> dict[str, float | None]:
        return {
            s: value(m, "postwarden_domain_state", domain=domain, role=role, state=s)
            for s in DOMAIN_STATES
        }

    def test_policy_domains_start_unknown(self, metrics: Metrics) -> None:
        """Every policy-listed domain has a one-hot state, 'unknown' until checked."""
        for d in POLICY.owned_domains:
            assert self.states(metrics, d.domain, "owned")["unknown"] == 1
        for d in POLICY.retired_domains:
            states = self.states(metrics, d.domain, "retired")
            assert states["unknown"] == 1 and sum(v or 0 for v in states.values()) == 1

    def test_set_state_is_one_hot(self, metrics: Metrics) -> None:
        """Setting a state sets it to 1 and every other state of that domain to 0."""
        owned = POLICY.owned_domains[0].domain
        metrics.set_domain_state(owned, "owned", "drift")
        states = self.states(metrics, owned, "owned")
        assert states["drift"] == 1 and sum(v or 0 for v in states.values()) == 1

    def test_unlisted_domain_is_ignored(self, metrics: Metrics) -> None:
        """A domain the policy does not list never becomes a label."""
        metrics.set_domain_state("attacker.example", "owned", "ok")
        assert "attacker.example" not in exposition(metrics)

    def test_reload_drops_removed_domains(self, metrics: Metrics) -> None:
        """A policy without a domain removes its series."""
        gone = POLICY.retired_domains[0]
        smaller = dataclasses.replace(POLICY, retired_domains=POLICY.retired_domains[1:])
        metrics.policy_loaded_now(smaller, 1_700_000_100.0)
        assert f'domain="{gone.domain}"' not in exposition(metrics)

    def test_bad_state_is_refused(self, metrics: Metrics) -> None:
        """A state outside the documented set is a programming error."""
        with pytest.raises(ValueError, match="domain state"):
            metrics.set_domain_state(POLICY.owned_domains[0].domain, "owned", "fine")


class TestPolicy:
    def test_info_and_reload_results(self, metrics: Metrics) -> None:
        """policy_info names the sha256; reloads count by result and set the success gauge."""
        assert value(metrics, "postwarden_policy_info", sha256=POLICY.sha256) == 1
        assert value(metrics, "postwarden_policy_loaded_timestamp_seconds") == 1_700_000_000.0
        metrics.policy_reload(ok=False)
        assert value(metrics, "postwarden_policy_reloads_total", result="refused") == 1
        assert value(metrics, "postwarden_policy_last_reload_successful") == 0
        metrics.policy_reload(ok=True)
        assert value(metrics, "postwarden_policy_last_reload_successful") == 1


class TestExceptionsAndNotices:
    def test_exceptions_counted_active_and_expired_at_scrape_time(self, metrics: Metrics) -> None:
        """Accepted risks are counted from the policy in force, by today's date."""
        import datetime as dt

        from milter.policy.model import RiskAcceptance

        def risk(expires: dt.date) -> RiskAcceptance:
            return RiskAcceptance(
                "a@samen-veilig.nl", "r", "x.example", "FG", "why", "T-1", expires
            )

        today = dt.date.today()
        policy = dataclasses.replace(
            POLICY,
            exceptions=(
                risk(today),
                risk(today + dt.timedelta(days=9)),
                risk(today - dt.timedelta(days=1)),
            ),
        )
        metrics.track_exceptions(lambda: policy)
        assert value(metrics, "postwarden_policy_exceptions", state="active") == 2
        assert value(metrics, "postwarden_policy_exceptions", state="expired") == 1

    def test_notice_results(self, metrics: Metrics) -> None:
        """Sender notices are counted by result; an unknown result counts as failed."""
        metrics.notice("sent")
        metrics.notice("rate_limited")
        metrics.notice("nonsense")
        assert value(metrics, "postwarden_notices_total", result="sent") == 1
        assert value(metrics, "postwarden_notices_total", result="rate_limited") == 1
        assert value(metrics, "postwarden_notices_total", result="failed") == 1

    def test_held_notice_results(self, metrics: Metrics) -> None:
        """Notices about held mail are counted by kind and result, every series from zero; an
        unknown result counts as failed, an unknown kind is refused (a programming error)."""
        name = "postwarden_quarantine_notices_total"
        assert value(metrics, name, kind="officer_alert", result="dropped") == 0
        metrics.held_notice("sender_held", "sent")
        metrics.held_notice("officer_alert", "nonsense")
        assert value(metrics, name, kind="sender_held", result="sent") == 1
        assert value(metrics, name, kind="officer_alert", result="failed") == 1
        with pytest.raises(ValueError, match="unknown notice kind"):
            metrics.held_notice("someone@samen-veilig.nl", "sent")


class TestAudit:
    def test_checkpoint_gauges(self, metrics: Metrics) -> None:
        """The last checkpoint's seq, time and 48-bit hash prefix are exported."""
        head = "3fa2c9d81e07" + "0" * 52
        metrics.audit_configured(60.0)
        metrics.audit_checkpoint(42, 1_700_000_060.0, head)
        metrics.audit_record_written()
        assert value(metrics, "postwarden_audit_last_checkpoint_seq") == 42
        assert value(metrics, "postwarden_audit_last_checkpoint_timestamp_seconds") == 1.70000006e9
        prefix = value(metrics, "postwarden_audit_last_checkpoint_hash_prefix")
        assert prefix is not None and f"{int(prefix):012x}" == "3fa2c9d81e07"
        assert value(metrics, "postwarden_audit_checkpoint_interval_seconds") == 60
        assert value(metrics, "postwarden_audit_records_total") == 1


class TestConnections:
    def test_gauge_reads_the_server(self, metrics: Metrics) -> None:
        """The connections gauge asks the server at scrape time."""
        open_now = [3]
        metrics.track_connections(lambda: open_now[0])
        assert value(metrics, "postwarden_milter_connections") == 3
        open_now[0] = 1
        assert value(metrics, "postwarden_milter_connections") == 1


def exposition(m: Metrics) -> str:
    from prometheus_client import generate_latest

    return generate_latest(m.registry).decode()


class TestExposition:
    def test_real_scrape_passes_promtool(self, tmp_path: Path, metrics: Metrics) -> None:
        """A scrape of the HTTP endpoint, with every metric family in use, passes promtool."""
        metrics.observe(decision("a@partner.example", "b@bjzutrecht.nl", path="local"))
        metrics.observe_findings([FakeFinding("bsn", "high", 1)])
        metrics.observe_decision_seconds("smtp", 0.002)
        metrics.observe_dns("NS", "servfail", 0.3)
        metrics.set_domain_state(POLICY.owned_domains[0].domain, "owned", "ok")
        metrics.internal_error("smtp")
        metrics.policy_reload(ok=True)
        metrics.track_connections(lambda: 2)
        metrics.audit_configured(60)
        metrics.audit_checkpoint(1, time.time(), "ab" * 32)
        metrics.watch_hold_queue("/bin/false")
        server = metrics.serve("127.0.0.1", 0)  # port 0: no race for a free port
        port = server.server_port
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                body = r.read()
        finally:
            server.shutdown()
            server.server_close()
        check = subprocess.run(
            [promtool(), "check", "metrics"], input=body, capture_output=True, timeout=30
        )
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
        assert (check.stdout + check.stderr).strip() == b""
        text = body.decode()
        assert "_created" not in text  # no clutter series
        assert "postwarden_build_info{" in text
