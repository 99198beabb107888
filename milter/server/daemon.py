"""server.daemon -- the daemon's set-up, done once for ``serve`` and the ``--workers`` supervisor.

Like the skeleton a Postfix daemon's main hands its service to, this only assembles parts
(``Daemon``): the policy holder (reloaded on SIGHUP and when the file changes; a broken file
is refused and the old policy keeps running), the audit trail (``--audit-log FILE``:
hash-chained JSON lines, reopened on SIGUSR1 after logrotate), the structured log on stderr,
the metrics endpoint and the domain watch. ``serve_one`` runs the milter server in this
process; server.prefork runs it in workers. SIGTERM/SIGINT stop accepting and let messages in
flight finish within a grace period; the audit trail then writes a final checkpoint.

Fail closed: a decision whose audit record cannot be written raises, and the session answers
that message with tempfail, so no mail is delivered without its record.

DIAGNOSTICS
    AuditError from ``Daemon()`` when the audit file cannot be continued (its last line is
    complete but not a record): ``serve_one`` logs ``audit_refused`` and exits 2. A last line
    torn by a crash is moved aside to FILE.torn-STAMP (``audit_torn_tail_moved``, and a
    'torn_tail' record) and the chain goes on from the last whole record.
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
from prometheus_client import CollectorRegistry

import milter.protocol.native as native_wire
from milter.audit.records import AuditFinding
from milter.audit.trail import AuditError, AuditLog, AuditWriter
from milter.content.findings import OcrUse
from milter.content.native import SCANNER
from milter.core.address import Address, Malformed
from milter.core.engine import Decision, Envelope, RecipientDecision, SubmissionPath
from milter.domains.gather import DnsGatherer
from milter.domains.rdap import RdapClient
from milter.domains.watch import DomainStatus, DomainWatcher
from milter.history.released import ReleasedContacts
from milter.history.store import History
from milter.metrics.registry import Metrics
from milter.officer.notices import Notifier
from milter.policy import Policy, PolicyError, load_policy
from milter.portal.links import gateway_name
from milter.server.listeners import ListenSpec, MilterServer
from milter.server.session import PolicyHolder

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

    The audit record is written first: if it fails the exception reaches the session, which
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
                self.audit.internal_error(path)
            except (OSError, AuditError) as exc:  # the error itself is what is being reported
                log.error("audit_write_failed", path=self.audit.path, error=str(exc))

    def decision_seconds(self, path: SubmissionPath, seconds: float) -> None:
        """How long one end-of-message decision took (the session measures it)."""
        self.metrics.observe_decision_seconds(path, seconds)

    def ocr_used(self, use: OcrUse) -> None:
        """What OCR did for one message (counts and seconds)."""
        self.metrics.observe_ocr(use)


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
        audit.policy_reload(result, sha256, issues)
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
    """Open the audit trail (recovering the chain head; a line torn by a crash is moved
    aside) and tell the metrics about it."""
    audit = AuditLog(path, checkpoint_interval_s=checkpoint_interval_s, metrics=metrics)
    metrics.audit_configured(checkpoint_interval_s)
    audit.open(move_torn=True)
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


@dataclass(frozen=True, slots=True)
class DaemonOptions:
    """What ``postwarden serve`` was asked for: one value instead of a dozen parameters."""

    policy_path: str
    listen: str
    listen_local: str | None = None
    metrics_listen: str | None = None
    grace_s: float = 10.0
    socket_group: str | None = None
    audit_log: str | None = None
    audit_checkpoint_s: float = 60.0
    officer_log: str | None = None  # the officer trail: /metrics counts its steps, and the
    # recipients of released held mail become known contacts (history.released)
    gateway_name: str | None = None  # in held notices' portal links; None: the host's name
    nameservers: tuple[str, ...] = ()
    watch_interval_s: float = 300.0
    workers: int = 1

    @property
    def listeners(self) -> list[tuple[ListenSpec, SubmissionPath]]:
        return listen_specs(self.listen, self.listen_local)


class Daemon:
    """The set-up ``serve`` and the ``--workers`` supervisor share, done once: the policy in
    force (checked at start; reloaded on SIGHUP and when the file changes, one reload at a
    time, a broken file refused), the metrics, the audit trail (reopened on SIGUSR1), the
    domain watch (with a dns section) and the signals; ``close`` undoes it in order.

    Raises PolicyError when the policy does not load and AuditError when the audit trail
    cannot be continued: nothing is listening yet then."""

    def __init__(
        self,
        options: DaemonOptions,
        load: Callable[[str], Policy] = load_policy,
        on_reloaded: Callable[[Policy], None] | None = None,
    ) -> None:
        self.options = options
        self._load = load
        self._on_reloaded = on_reloaded
        policy = load(options.policy_path)
        self.holder = PolicyHolder(policy)
        self.metrics = Metrics()
        self.metrics.policy_loaded_now(policy, time.time())
        self.audit = start_audit(options.audit_log, self.metrics, options.audit_checkpoint_s)
        # Every DNS query counted and timed; the domain watch asks through it too.
        self.dns = DnsGatherer(options.nameservers, observer=self.metrics.observe_dns)
        self.metrics.track_exceptions(lambda: self.holder.current)
        self._watchers: list[DomainWatcher] = []
        self._reload_lock = threading.Lock()
        self._file_watch = PolicyFileWatch(policy.source, self.reload)
        # Released held mail's contacts are recorded through a history of the daemon's own
        # (the sessions' one lives in each worker).
        self._released_history = History(on_record=self.metrics.history_record)
        self._released: ReleasedContacts | None = None

    def observer(self) -> DecisionLog:
        """The sessions' observer: audit record, log line and metrics per decision."""
        return DecisionLog(self.metrics, self.audit, self.holder)

    def serve_metrics(self, registry: CollectorRegistry | None = None) -> None:
        """/metrics (with --metrics-listen), and the hold-queue gauge behind it."""
        if self.options.metrics_listen:
            self.metrics.watch_hold_queue()
            if self.options.officer_log:
                self.metrics.watch_officer_trail(self.options.officer_log)
            host, _, port = self.options.metrics_listen.rpartition(":")
            self.metrics.serve(host.strip("[]") or "127.0.0.1", int(port), registry=registry)

    def start(self, on_term: Callable[[int], None]) -> None:
        """Watch the policy file and DNS; SIGHUP reloads, SIGTERM/SIGINT call `on_term`."""

        def term(signum: int, _frame: FrameType | None) -> None:
            on_term(signum)

        def hup(_signum: int, _frame: FrameType | None) -> None:
            threading.Thread(target=self.reload, daemon=True).start()

        self._file_watch.start()
        self._restart_watch(self.holder.current)
        if self.options.officer_log:
            self._released = ReleasedContacts(
                self.options.officer_log, self._released_history, lambda: self.holder.current
            )
            self._released.start()
        signal.signal(signal.SIGTERM, term)
        signal.signal(signal.SIGINT, term)
        signal.signal(signal.SIGHUP, hup)

    def reload(self) -> None:
        with self._reload_lock:  # SIGHUP and the file watch never swap at the same time
            reload_policy(self.holder, self.metrics, self.audit, self._loaded, self._load)

    def _loaded(self, policy: Policy) -> None:
        if self._on_reloaded is not None:
            self._on_reloaded(policy)
        self._restart_watch(policy)

    def _restart_watch(self, policy: Policy) -> None:
        while self._watchers:
            self._watchers.pop().stop(timeout=2.0)
        if policy.dns is not None:
            watcher = _domain_watcher(policy, self.dns, self.metrics, self.options.watch_interval_s)
            self._watchers.append(watcher)
            watcher.start()

    def log_listening(self, listeners: Iterable[str], **extra: object) -> None:
        policy = self.holder.current
        log.info(
            "listening",
            listeners=list(listeners),
            metrics=self.options.metrics_listen,
            policy=policy.source,
            sha256=policy.sha256[:12],
            audit=self.options.audit_log,
            scanner=SCANNER,
            frontend=native_wire.FRONTEND,
            **extra,
        )

    def close(self) -> None:
        """After the listeners drained: no more reloads or DNS watch; the trail checkpointed."""
        self._file_watch.stop()
        self._restart_watch(dataclasses.replace(self.holder.current, dns=None))
        if self._released is not None:
            self._released.stop()
        self._released_history.close()
        if self.audit is not None:
            self.audit.close()


def milter_server(
    holder: PolicyHolder,
    observer: DecisionLog,
    metrics: Metrics,
    dns: DnsGatherer,
    listeners: Iterable[tuple[ListenSpec, SubmissionPath]],
    socket_group: str | None = None,
    gateway: str | None = None,
) -> tuple[MilterServer, Notifier, History]:
    """The milter server as one process and each worker run it, with its sender notifier and
    its contact history (each closes after the server drained)."""
    history = History(on_lookup=metrics.history_lookup, on_record=metrics.history_record)
    # With a Redis history store the notice limits are shared by every gateway too.
    notifier = Notifier(
        on_result=metrics.notice,
        on_kind_result=metrics.held_notice,
        gateway=gateway or gateway_name(),
        shared=lambda: history.rate_limit(holder.current),
    )
    rdap = RdapClient(observer=metrics.rdap_query)  # one cache per process
    server = MilterServer(
        listeners,
        holder,
        observer,
        socket_group=socket_group,
        notifier=notifier,
        dns=dns,
        on_sessions=metrics.connections.set,
        history=history,
        rdap=rdap,
    )
    return server, notifier, history


def serve_one(options: DaemonOptions) -> int:
    """``postwarden serve`` in one process (``--workers 1``)."""
    try:
        daemon = Daemon(options)
    except AuditError as exc:
        log.error("audit_refused", error=str(exc))
        return 2
    server, notifier, history = milter_server(
        daemon.holder,
        daemon.observer(),
        daemon.metrics,
        daemon.dns,
        options.listeners,
        options.socket_group,
        options.gateway_name,
    )
    server.bind()
    daemon.metrics.workers_running(1)
    daemon.serve_metrics()

    def on_term(signum: int) -> None:
        log.info("shutting_down", signal=signal.Signals(signum).name)
        server.stop()

    daemon.start(on_term)
    daemon.log_listening(f"{spec} ({path})" for _, spec, path in server.sockets)
    server.serve_forever()
    server.drain(options.grace_s)
    daemon.close()
    notifier.close()
    history.close()
    log.info("stopped")
    return 0
