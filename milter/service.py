"""``postwarden serve``: wires policy, adapter, logging and metrics into one daemon.

Like a Postfix daemon's main, this only assembles parts: the policy holder (reloaded on
SIGHUP; a broken file is refused and the old policy keeps running), the milter server, the
structured log and the metrics endpoint. SIGTERM/SIGINT stop accepting and let messages in
flight finish within a grace period.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType

import structlog

from milter.adapter import ListenSpec, MilterServer, PolicyHolder
from milter.engine import Decision, Envelope, RecipientDecision, SubmissionPath
from milter.metrics import Metrics
from milter.policy import PolicyError, load_policy

log = structlog.get_logger("postwarden")


def configure_logging() -> None:
    """JSON lines on stderr (journald keeps them); no message content is ever logged."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


@dataclass
class DecisionLog:
    """Adapter observer: one log event and metric update per decision."""

    metrics: Metrics

    def decision(self, decision: Decision, envelope: Envelope) -> None:
        self.metrics.observe(decision)
        refused = [rd for rd in decision.recipients if rd.refused]
        log.info(
            "message_decided",
            queue_id=envelope.queue_id,
            path=decision.path,
            action=decision.action,
            rules=list(decision.rules),
            recipients=len(decision.recipients),
            refused=[{"address": str(rd.address)[:200], "rule": rd.rule} for rd in refused],
            policy_sha256=decision.policy_sha256[:12],
        )

    def recipient_refused(self, refusal: RecipientDecision, queue_id: str | None) -> None:
        self.metrics.observe_recipient(refusal, "smtp")
        log.info(
            "recipient_refused",
            queue_id=queue_id,
            path="smtp",
            rule=refusal.rule,
            address=str(refusal.address)[:200],
            reason=refusal.reason,
        )

    def internal_error(self, path: SubmissionPath) -> None:
        self.metrics.internal_errors.inc()


def reload_policy(holder: PolicyHolder, metrics: Metrics) -> bool:
    """Load the policy file again; on any error keep the policy in force."""
    source = holder.current.source
    try:
        policy = load_policy(source)
    except PolicyError as exc:
        for issue in exc.issues:
            log.error("policy_reload_refused", issue=str(issue))
        return False
    except OSError as exc:
        log.error("policy_reload_refused", issue=f"{source}: {exc.strerror}")
        return False
    holder.replace(policy)
    metrics.policy_loaded_now(policy, time.time())
    log.info("policy_reloaded", policy=source, sha256=policy.sha256[:12])
    return True


def serve(
    policy_path: str,
    listen: str,
    listen_local: str | None,
    metrics_listen: str | None,
    grace_s: float = 10.0,
    socket_group: str | None = None,
) -> int:
    configure_logging()
    policy = load_policy(policy_path)
    holder = PolicyHolder(policy)
    metrics = Metrics()
    metrics.policy_loaded_now(policy, time.time())
    listeners: list[tuple[ListenSpec, SubmissionPath]] = [(ListenSpec.parse(listen), "smtp")]
    if listen_local:
        listeners.append((ListenSpec.parse(listen_local), "local"))
    server = MilterServer(listeners, holder, DecisionLog(metrics), socket_group=socket_group)
    server.bind()
    if metrics_listen:
        host, _, port = metrics_listen.rpartition(":")
        metrics.serve(host.strip("[]") or "127.0.0.1", int(port))

    def on_term(signum: int, _frame: FrameType | None) -> None:
        log.info("shutting_down", signal=signal.Signals(signum).name)
        server.stop()

    def on_hup(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=reload_policy, args=(holder, metrics), daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    log.info(
        "listening",
        listeners=[f"{spec} ({path})" for _, spec, path in server.sockets],
        metrics=metrics_listen,
        policy=policy.source,
        sha256=policy.sha256[:12],
    )
    server.serve_forever()
    server.drain(grace_s)
    log.info("stopped")
    return 0
