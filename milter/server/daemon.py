"""``postwarden serve``: wires policy, adapter, audit trail, logging and metrics into one daemon.

Like a Postfix daemon's main, this only assembles parts: the policy holder (reloaded on
SIGHUP; a broken file is refused and the old policy keeps running), the milter server, the
audit trail (``--audit-log FILE``: hash-chained JSON lines, reopened on SIGUSR1 after
logrotate), the structured log on stderr and the metrics endpoint. SIGTERM/SIGINT stop
accepting and let messages in flight finish within a grace period; the audit trail then
writes a final checkpoint.

Fail closed: a decision whose audit record cannot be written raises, and the adapter answers
that message with tempfail, so no mail is delivered without its record.

DIAGNOSTICS
    Exit 2 (with an ``audit_refused`` log event) when the audit file cannot be continued:
    its last line is incomplete or not a record.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType

import structlog

from milter.audit.trail import AuditError, AuditFinding, AuditLog, AuditWriter
from milter.core.address import Address, Malformed
from milter.core.engine import Decision, Envelope, RecipientDecision, SubmissionPath
from milter.domains.gather import DnsGatherer
from milter.domains.watch import DomainStatus, DomainWatcher
from milter.metrics.registry import Metrics
from milter.officer.notices import Notifier
from milter.policy import Policy, PolicyError, load_policy
from milter.server.session import ListenSpec, MilterServer, PolicyHolder

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
        # One write() per line (print() makes two): with serve --workers N several processes
        # share stderr, and a line must never be split by another process's line.
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


@dataclass
class DecisionLog:
    """Adapter observer: one audit record, log event and metric update per decision.

    The audit record is written first: if it fails the exception reaches the adapter, which
    tempfails the message (and reports an internal error), and nothing is counted as decided.
    """

    metrics: Metrics
    audit: AuditWriter | None = None
    policies: PolicyHolder | None = None

    def decision(
        self,
        decision: Decision,
        envelope: Envelope,
        message_id: str | bytes | None = None,
        findings: Iterable[AuditFinding] | None = None,
    ) -> None:
        if self.audit is not None:
            self.audit.message(decision, envelope, message_id=message_id, findings=findings)
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

    def recipient_refused(
        self,
        refusal: RecipientDecision,
        queue_id: str | None,
        sender: Address | Malformed | None = None,
        policy_sha256: str | None = None,
        client: str | None = None,
    ) -> None:
        if self.audit is not None:
            if policy_sha256 is None and self.policies is not None:
                policy_sha256 = self.policies.current.sha256
            self.audit.recipient_refused(refusal, queue_id, "smtp", sender, policy_sha256, client)
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
        self.metrics.internal_error(path)
        if self.audit is not None:
            try:
                self.audit.record("internal_error", {"path": path, "action": "tempfail"})
            except (OSError, AuditError) as exc:  # the error itself is what is being reported
                log.error("audit_write_failed", path=self.audit.path, error=str(exc))

    def decision_seconds(self, path: SubmissionPath, seconds: float) -> None:
        """How long one end-of-message decision took (the adapter measures it)."""
        self.metrics.observe_decision_seconds(path, seconds)


def reload_policy(
    holder: PolicyHolder,
    metrics: Metrics,
    audit: AuditWriter | None = None,
    on_loaded: Callable[[Policy], None] | None = None,
    load: Callable[[str], Policy] = load_policy,
) -> bool:
    """Load the policy file again, validated fully before an atomic swap; on any error keep
    the policy in force. Messages in flight finish under the snapshot they started with."""
    source = holder.current.source
    try:
        policy = load(source)
    except PolicyError as exc:
        issues = [str(issue) for issue in exc.issues]
        for issue in issues:
            log.error("policy_reload_refused", issue=issue)
        metrics.policy_reload(ok=False)
        _audit_reload(audit, "refused", holder.current.sha256, issues)
        return False
    if policy.sha256 == holder.current.sha256:
        return True  # same file: nothing to swap
    holder.replace(policy)
    metrics.policy_loaded_now(policy, time.time())
    metrics.policy_reload(ok=True)
    _audit_reload(audit, "ok", policy.sha256, [])
    log.info("policy_reloaded", policy=source, sha256=policy.sha256[:12])
    if on_loaded is not None:
        on_loaded(policy)
    return True


def _audit_reload(audit: AuditWriter | None, result: str, sha256: str, issues: list[str]) -> None:
    if audit is None:
        return
    try:
        audit.record(
            "policy_reload", {"result": result, "policy_sha256": sha256, "issues": issues[:20]}
        )
    except (OSError, AuditError) as exc:
        log.error("audit_write_failed", path=audit.path, error=str(exc))


class PolicyFileWatch:
    """Reload when the policy file changes (mtime, size or inode), checked every few seconds:
    an officer's save takes effect without a signal, and a broken save is refused."""

    def __init__(self, path: str, reload: Callable[[], object], interval_s: float = 2.0) -> None:
        self._path = path
        self._reload = reload
        self._interval = interval_s
        self._stop = threading.Event()
        self._seen = self._stamp()
        self._thread = threading.Thread(target=self._run, name="policy-watch", daemon=True)

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            stamp = self._stamp()
            if stamp is not None and stamp != self._seen:
                self._seen = stamp
                try:
                    self._reload()
                except Exception:  # the watch must outlive any bad reload
                    log.exception("policy_watch_failed")


def reopen_audit(audit: AuditLog) -> bool:
    """SIGUSR1: open the audit file again (logrotate renamed it); the chain carries on."""
    try:
        audit.reopen()
    except (OSError, AuditError) as exc:
        log.error("audit_reopen_failed", path=audit.path, error=str(exc))
        return False
    log.info("audit_reopened", path=audit.path)
    return True


def open_audit(path: str, metrics: Metrics, checkpoint_interval_s: float) -> AuditLog:
    """Open the audit trail (recovering the chain head) and tell the metrics about it."""
    audit = AuditLog(path, checkpoint_interval_s=checkpoint_interval_s, metrics=metrics)
    metrics.audit_configured(checkpoint_interval_s)
    audit.open()
    return audit


def start_audit(
    audit_log: str | None, metrics: Metrics, checkpoint_interval_s: float
) -> AuditLog | None:
    """The audit trail (None without --audit-log, with a warning), reopened on SIGUSR1
    (logrotate); raises AuditError when it cannot be opened or its chain not recovered."""
    if not audit_log:
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # logrotate's signal must not kill us
        log.warning("audit_disabled", hint="serve --audit-log FILE keeps the audit trail")
        return None
    trail = open_audit(audit_log, metrics, checkpoint_interval_s)

    def on_usr1(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=reopen_audit, args=(trail,), daemon=True).start()

    signal.signal(signal.SIGUSR1, on_usr1)
    return trail


def listen_specs(listen: str, listen_local: str | None) -> list[tuple[ListenSpec, SubmissionPath]]:
    """The listeners of --listen (SMTP path) and --listen-local (local submissions)."""
    specs: list[tuple[ListenSpec, SubmissionPath]] = [(ListenSpec.parse(listen), "smtp")]
    if listen_local:
        specs.append((ListenSpec.parse(listen_local), "local"))
    return specs


def _domain_watcher(
    policy: Policy, dns: DnsGatherer, metrics: Metrics, interval_s: float
) -> DomainWatcher:
    """The background domain watch: every owned and retired domain, as gauges (only when the
    policy has a dns section: without one Postwarden makes no DNS lookups at all)."""

    def report(statuses: list[DomainStatus]) -> None:
        for status in statuses:
            metrics.set_domain_state(status.domain, status.role, status.state)

    if policy.dns is None:  # the callers check; a watch without DNS settings is a bug
        raise ValueError("the domain watch needs the policy's dns section")
    return DomainWatcher(
        {o.domain: o.expect for o in policy.owned_domains},
        {r.domain: r.expect for r in policy.retired_domains},
        dns.resolver(policy.dns),
        report,
        interval_s=interval_s,
    )


def serve(
    policy_path: str,
    listen: str,
    listen_local: str | None,
    metrics_listen: str | None,
    grace_s: float = 10.0,
    socket_group: str | None = None,
    audit_log: str | None = None,
    audit_checkpoint_s: float = 60.0,
    nameservers: tuple[str, ...] = (),
    watch_interval_s: float = 300.0,
    workers: int = 1,
) -> int:
    configure_logging()
    if workers > 1:
        from milter.server.prefork import supervise

        return supervise(
            policy_path,
            listen,
            listen_local,
            metrics_listen,
            workers,
            grace_s=grace_s,
            socket_group=socket_group,
            audit_log=audit_log,
            audit_checkpoint_s=audit_checkpoint_s,
            nameservers=nameservers,
            watch_interval_s=watch_interval_s,
        )
    policy = load_policy(policy_path)
    holder = PolicyHolder(policy)
    metrics = Metrics()
    metrics.policy_loaded_now(policy, time.time())
    try:
        audit = start_audit(audit_log, metrics, audit_checkpoint_s)
    except AuditError as exc:
        log.error("audit_refused", error=str(exc))
        return 2
    listeners = listen_specs(listen, listen_local)
    observer = DecisionLog(metrics, audit, holder)
    dns = DnsGatherer(nameservers, observer=metrics.observe_dns)  # every query counted, timed
    notifier = Notifier(on_result=metrics.notice)
    metrics.track_exceptions(lambda: holder.current)
    watchers: list[DomainWatcher] = []  # the domain watch runs only with a dns section
    server = MilterServer(
        listeners, holder, observer, socket_group=socket_group, notifier=notifier, dns=dns
    )
    server.bind()
    metrics.track_connections(lambda: server.active_sessions)
    metrics.workers_running(1)
    if metrics_listen:
        metrics.watch_hold_queue()
        host, _, port = metrics_listen.rpartition(":")
        metrics.serve(host.strip("[]") or "127.0.0.1", int(port))

    def on_term(signum: int, _frame: FrameType | None) -> None:
        log.info("shutting_down", signal=signal.Signals(signum).name)
        server.stop()

    def on_loaded(new: Policy) -> None:
        while watchers:
            watchers.pop().stop(timeout=2.0)
        if new.dns is not None:
            watchers.append(_domain_watcher(new, dns, metrics, watch_interval_s))
            watchers[0].start()

    reload_lock = threading.Lock()

    def reload() -> None:
        with reload_lock:  # SIGHUP and the file watch never swap at the same time
            reload_policy(holder, metrics, audit, on_loaded)

    def on_hup(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=reload, daemon=True).start()

    file_watch = PolicyFileWatch(policy.source, reload)
    file_watch.start()
    on_loaded(policy)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    log.info(
        "listening",
        listeners=[f"{spec} ({path})" for _, spec, path in server.sockets],
        metrics=metrics_listen,
        policy=policy.source,
        sha256=policy.sha256[:12],
        audit=audit_log,
    )
    server.serve_forever()
    server.drain(grace_s)
    file_watch.stop()
    on_loaded(dataclasses.replace(policy, dns=None))  # stops the domain watch
    notifier.close()
    if audit is not None:
        audit.close()
    log.info("stopped")
    return 0
