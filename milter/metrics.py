"""Prometheus metrics: one registry, observed from decisions, served on loopback.

Labels are bounded: message and recipient actions, and rule ids (which come from the policy and
the engine, never from mail). No address, no free text ever becomes a label.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Info, start_http_server

from milter import __version__
from milter.engine import Decision, RecipientDecision
from milter.policy.model import Policy


class Metrics:
    """The process's metrics. Tests make their own instance with a fresh registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "postwarden_messages",
            "Messages decided, by final action.",
            ["action", "path"],
            registry=r,
        )
        self.recipients = Counter(
            "postwarden_recipients",
            "Recipients decided, by action and rule id.",
            ["action", "rule", "path"],
            registry=r,
        )
        self.internal_errors = Counter(
            "postwarden_internal_errors",
            "Events that failed inside Postwarden and were answered with tempfail.",
            registry=r,
        )
        self.policy_info = Gauge(
            "postwarden_policy_info", "The policy in force (value 1).", ["sha256"], registry=r
        )
        self.policy_loaded = Gauge(
            "postwarden_policy_loaded_timestamp_seconds",
            "When the policy in force was loaded (Unix time).",
            registry=r,
        )
        self.build = Info("postwarden_build", "Postwarden build information.", registry=r)
        self.build.info({"version": __version__})

    def observe_recipient(self, rd: RecipientDecision, path: str) -> None:
        self.recipients.labels(rd.action, rd.rule or "none", path).inc()

    def observe(self, decision: Decision) -> None:
        """Count a message decision. Recipients refused at RCPT are counted when refused."""
        self.messages.labels(decision.action, decision.path).inc()
        for rd in decision.recipients:
            if decision.path == "local" or not rd.refused:
                self.observe_recipient(rd, decision.path)

    def policy_loaded_now(self, policy: Policy, when: float) -> None:
        self.policy_info.clear()
        self.policy_info.labels(policy.sha256).set(1)
        self.policy_loaded.set(when)

    def serve(self, host: str, port: int) -> None:
        start_http_server(port, addr=host, registry=self.registry)
