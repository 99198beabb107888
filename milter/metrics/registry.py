"""metrics.registry -- Prometheus metrics: one registry, observed from decisions, on loopback.

SYNOPSIS
    m = Metrics()
    m.policy_loaded_now(policy, time.time())
    m.observe(decision); m.observe_recipient(refusal, "smtp"); m.observe_findings(findings)
    m.observe_decision_seconds("smtp", 0.0012)
    m.observe_ocr(facts.ocr)                        # what OCR did for a message (if anything)
    m.observe_dns("MX", "timeout", 0.8)
    m.set_domain_state("samen-veilig.nl", "owned", "ok")
    m.internal_error("local"); m.policy_reload(ok=False)
    m.track_connections(lambda: server.active_sessions)
    m.audit_record_written(); m.audit_checkpoint(seq, when, head)
    m.watch_hold_queue()
    m.serve("127.0.0.1", 9797)

DESCRIPTION
    Every metric is named postwarden_*; counters end in _total, durations and times are in
    seconds (_seconds). The names, their labels and what to do about them are described in
    deploy/OBSERVABILITY.md.

    Labels are bounded. Their values come from the code (actions, paths, DNS results, domain
    states), from the policy (rule ids, policy-listed domains) or from registered detectors,
    never from mail: no address, no free text ever becomes a label. Values that do not look
    like an identifier are counted as "other"; a domain the policy does not list is never
    given a state series.

    Series whose label values are known in advance are created at zero, so rate() and
    increase() see the first event and dashboards show 0 rather than nothing.

    Two collectors live beside the registry: the hold-queue gauge (milter.metrics.queue,
    added by watch_hold_queue) and, for serve --workers N, the merge of the supervisor's
    metrics with its workers' (milter.metrics.merge).

DIAGNOSTICS
    ValueError for a DNS result, domain role, domain state or notice kind outside the
    documented sets:
    those are programming errors, found by the tests.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    start_http_server,
)

from milter import __version__
from milter.content.findings import OcrUse
from milter.content.native import SCANNER
from milter.core.engine import (
    NOTICE_KINDS,
    RULE_MALFORMED_RECIPIENT,
    RULE_RETIRED_DOMAIN,
    Decision,
    RecipientDecision,
)
from milter.domains.rdap import RDAP_RESULTS
from milter.history.model import CONTACT_KINDS, SCOPES
from milter.metrics.queue import HoldQueueCollector
from milter.policy.model import Policy

PATHS = ("smtp", "local")
MESSAGE_ACTIONS = ("accept", "reject", "quarantine", "tempfail", "discard")
CONFIDENCES = ("low", "medium", "high")
HISTORY_LOOKUP_RESULTS = ("ok", "error")
HISTORY_RECORD_RESULTS = ("written", "failed", "dropped")
DNS_RESULTS = ("ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "error")
DOMAIN_ROLES = ("owned", "retired")
# The domain checks' DomainState (milter.domains.model), plus "unknown": not checked yet.
#   ok            exists and matches the policy's expect (a retired domain: somebody holds it)
#   drift         an expected MX/NS condition fails: some live host is not ours
#   nxdomain      the name does not exist (it lapsed)
#   no_mail_host  exists but accepts no mail
#   error         DNS trouble: nothing is known
DOMAIN_STATES = ("ok", "drift", "nxdomain", "no_mail_host", "error", "unknown")

OCR_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0)  # the budget is at most 12 s
OCR_RESULTS = ("recognised", "remembered")
# 0.1 ms (a cached verdict) to 5 s (DNS budget plus a large attachment).
DECISION_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
DNS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")  # rule ids, detectors (custom:x)
_RTYPE = re.compile(r"[A-Z0-9]{1,10}")


def _ident(value: str | None, default: str = "none") -> str:
    """A label value from an identifier (rule id, detector name); anything else is 'other'."""
    if value is None or value == "":
        return default
    return _checked_ident(value)


@functools.lru_cache(maxsize=1024)
def _checked_ident(value: str) -> str:
    # Rule ids and detector names repeat on every message; the regex need not.
    return value if _IDENT.fullmatch(value) else "other"


NOTICE_RESULTS = ("sent", "rate_limited", "dropped", "failed")


class Finding(Protocol):
    """What the metrics need of a content finding (the content scanner's value)."""

    @property
    def detector(self) -> str: ...

    @property
    def confidence(self) -> str: ...

    @property
    def count(self) -> int: ...


class Metrics:
    """The process's metrics. Tests make their own instance with a fresh registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "postwarden_messages",
            "Messages decided at end of message, by final action and submission path.",
            ["action", "path"],
            registry=r,
        )
        self.recipients = Counter(
            "postwarden_recipients",
            "Recipients decided, by action and the rule id that decided them ('none').",
            ["action", "rule", "path"],
            registry=r,
        )
        self.quarantines = Counter(
            "postwarden_quarantines",
            "Messages put in Postfix's hold queue, by rule id and submission path.",
            ["rule", "path"],
            registry=r,
        )
        self.findings = Counter(
            "postwarden_findings",
            "Content findings: unique values found per message, summed, by detector and the"
            " best confidence reached.",
            ["detector", "confidence"],
            registry=r,
        )
        self.rule_hits = Counter(
            "postwarden_content_rule_hits",
            "Content rules that matched, by rule id, action and mode (monitor: would have).",
            ["rule", "action", "mode"],
            registry=r,
        )
        self.decision_seconds = Histogram(
            "postwarden_decision_duration_seconds",
            "Time from end of message to the verdict (facts gathering included).",
            ["path"],
            buckets=DECISION_BUCKETS,
            registry=r,
        )
        self.ocr_reads = Counter(
            "postwarden_ocr_reads",
            "Images, frames and scanned pages read by OCR (recognised), or answered from the"
            " memory of recurring images (remembered).",
            ["result"],
            registry=r,
        )
        self.ocr_seconds = Histogram(
            "postwarden_ocr_duration_seconds",
            "OCR time of one message that OCR read (waiting for a free engine included).",
            buckets=OCR_BUCKETS,
            registry=r,
        )
        self.ocr_out_of_time = Counter(
            "postwarden_ocr_budget_exceeded",
            "Messages whose OCR stopped at the time budget (the rest was left unscannable).",
            registry=r,
        )
        self.dns_queries = Counter(
            "postwarden_dns_queries",
            "DNS queries, by record type and result.",
            ["rtype", "result"],
            registry=r,
        )
        self.dns_seconds = Histogram(
            "postwarden_dns_query_duration_seconds",
            "DNS query latency (answers from the cache are not counted).",
            ["rtype"],
            buckets=DNS_BUCKETS,
            registry=r,
        )
        self.domain_state = Gauge(
            "postwarden_domain_state",
            "Domain watch state of each policy-listed domain (1 for its current state).",
            ["domain", "role", "state"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.connections = Gauge(
            "postwarden_milter_connections",
            "Milter connections from Postfix open now.",
            registry=r,
            multiprocess_mode="livesum",  # serve --workers N: the sum over live workers
        )
        self.internal_errors = Counter(
            "postwarden_internal_errors",
            "Events that failed inside Postwarden and were answered with tempfail.",
            ["path"],
            registry=r,
        )
        self.policy_info = Gauge(
            "postwarden_policy_info",
            "The policy in force (value 1).",
            ["sha256"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.policy_loaded = Gauge(
            "postwarden_policy_loaded_timestamp_seconds",
            "When the policy in force was loaded (Unix time).",
            registry=r,
            multiprocess_mode="max",
        )
        self.policy_reloads = Counter(
            "postwarden_policy_reloads",
            "Policy reloads (SIGHUP), by result: ok or refused (the old policy stays).",
            ["result"],
            registry=r,
        )
        self.policy_reload_ok = Gauge(
            "postwarden_policy_last_reload_successful",
            "1 if the last policy (re)load succeeded, 0 if the file on disk was refused.",
            registry=r,
            multiprocess_mode="livemin",
        )
        self.audit_records = Counter(
            "postwarden_audit_records",
            "Records appended to the audit trail (checkpoints included).",
            registry=r,
        )
        self.audit_write_errors = Counter(
            "postwarden_audit_write_errors",
            "Audit records that could not be written (the message was tempfailed).",
            registry=r,
        )
        self.audit_checkpoint_seq = Gauge(
            "postwarden_audit_last_checkpoint_seq",
            "Sequence number of the last audit checkpoint record.",
            registry=r,
            multiprocess_mode="max",
        )
        self.audit_checkpoint_time = Gauge(
            "postwarden_audit_last_checkpoint_timestamp_seconds",
            "When the last audit checkpoint record was written (Unix time).",
            registry=r,
            multiprocess_mode="max",
        )
        self.audit_checkpoint_hash = Gauge(
            "postwarden_audit_last_checkpoint_hash_prefix",
            "First 48 bits of the last checkpoint record's sha256, as an integer "
            "(printf %012x gives the hex for `postwarden audit verify --checkpoint`).",
            registry=r,
            multiprocess_mode="max",
        )
        self.audit_checkpoint_interval = Gauge(
            "postwarden_audit_checkpoint_interval_seconds",
            "Configured time between audit checkpoints.",
            registry=r,
            multiprocess_mode="max",
        )
        self.exceptions = Gauge(
            "postwarden_policy_exceptions",
            "Accepted risks (policy exceptions) in the policy in force, by state.",
            ["state"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.notices = Counter(
            "postwarden_notices",
            "Sender notices about retired addresses, by result.",
            ["result"],
            registry=r,
        )
        self.held_notices = Counter(
            "postwarden_quarantine_notices",
            "Notices about held mail (sender_held: to the sender or a program's owner;"
            " officer_alert: to the officers), by kind and result.",
            ["kind", "result"],
            registry=r,
        )
        self.first_contacts = Counter(
            "postwarden_first_contact",
            "Messages in which a first_contact condition made a content rule match, by what "
            "was new (scope: domain or address) and kind (client_data or any mail).",
            ["scope", "kind"],
            registry=r,
        )
        self.history_lookups = Counter(
            "postwarden_history_lookups",
            "Look-ups of recipients in the contact history, by result (ok, error).",
            ["result"],
            registry=r,
        )
        self.history_records = Counter(
            "postwarden_history_records",
            "Delivered messages' contacts written to the history, by result (written, "
            "failed, dropped).",
            ["result"],
            registry=r,
        )
        self.rdap_queries = Counter(
            "postwarden_rdap_queries",
            "RDAP look-ups of recipient domains' registration dates, by result (ok, "
            "not_found, error, timeout, cached).",
            ["result"],
            registry=r,
        )
        self.workers = Gauge(
            "postwarden_workers",
            "Worker processes serving milter connections now (serve --workers N).",
            registry=r,
            multiprocess_mode="max",
        )
        self.workers_lost = Counter(
            "postwarden_workers_lost",
            "Worker processes that ended without being asked to (crash, kill); Postfix"
            " tempfailed their connections' messages, and each was replaced.",
            registry=r,
        )
        self.build = Info("postwarden_build", "Postwarden build information.", registry=r)
        self.build.info(
            {"version": __version__, "python": ".".join(map(str, sys.version_info[:3]))}
        )
        self.scanner_info = Gauge(
            "postwarden_scanner_info",
            "The content scanner that runs (value 1): native (the Rust core) or python.",
            ["scanner"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.scanner_info.labels(SCANNER).set(1)
        self._domains: set[tuple[str, str]] = set()
        self._domain_lock = threading.Lock()
        self.hold_queue: HoldQueueCollector | None = None
        self._series_cache: dict[tuple[int, tuple[str, ...]], Any] = {}
        self._initialise()

    def _initialise(self) -> None:
        """Create the series whose labels are known, at zero."""
        for path in PATHS:
            for action in MESSAGE_ACTIONS:
                self.messages.labels(action, path)
            self.recipients.labels("accept", "none", path)
            refusal = "reject" if path == "smtp" else "remove"
            for rule in (RULE_RETIRED_DOMAIN, RULE_MALFORMED_RECIPIENT):
                self.recipients.labels(refusal, rule, path)
            self.internal_errors.labels(path)
            self.decision_seconds.labels(path)
        for result in ("ok", "refused"):
            self.policy_reloads.labels(result)
        for result in NOTICE_RESULTS:
            self.notices.labels(result)
            for kind in NOTICE_KINDS:
                self.held_notices.labels(kind, result)
        for state in ("active", "expired"):
            self.exceptions.labels(state)
        for scope in SCOPES:
            for contact in CONTACT_KINDS:
                self.first_contacts.labels(scope, contact)
        for result in HISTORY_LOOKUP_RESULTS:
            self.history_lookups.labels(result)
        for result in HISTORY_RECORD_RESULTS:
            self.history_records.labels(result)
        for result in RDAP_RESULTS:
            self.rdap_queries.labels(result)
        for result in OCR_RESULTS:
            self.ocr_reads.labels(result)
        self.policy_reload_ok.set(1)

    # -- decisions -----------------------------------------------------------------------------
    def _series(self, metric: Counter | Histogram, *values: str) -> Any:
        """The labelled series of `metric`, looked up once: prometheus_client's labels()
        validates and locks on every call (about 1 us; several per message). The label values
        are bounded (see the module docstring), and so is this cache."""
        key = (id(metric), values)
        series = self._series_cache.get(key)
        if series is None:
            series = self._series_cache.setdefault(key, metric.labels(*values))
        return series

    def observe_recipient(self, rd: RecipientDecision, path: str) -> None:
        self._series(self.recipients, rd.action, _ident(rd.rule), path).inc()

    def observe(self, decision: Decision) -> None:
        """Count a message decision with its findings, rule hits and quarantine.

        Recipients refused at RCPT time (SMTP path) are counted when refused, with
        observe_recipient; the decision at end of message no longer includes them.
        """
        series = self._series
        path = decision.path
        series(self.messages, decision.action, path).inc()
        for rd in decision.recipients:
            if path == "local" or not rd.refused:
                series(self.recipients, rd.action, _ident(rd.rule), path).inc()
        if decision.action == "quarantine":
            series(self.quarantines, _ident(decision.rule), path).inc()
        for hit in decision.content_hits:
            series(self.rule_hits, _ident(hit.rule), _ident(hit.action), _ident(hit.mode)).inc()
        self.observe_findings(decision.findings)
        for scope, kind in {(n.scope, n.kind) for n in decision.first_contact}:
            if scope in SCOPES and kind in CONTACT_KINDS:
                series(self.first_contacts, scope, kind).inc()

    def observe_findings(self, findings: Iterable[Finding]) -> None:
        """Count content findings (unique values per detector and best confidence).

        observe() already counts a decision's findings: call this only for findings that
        reach no Decision.
        """
        for f in findings:
            confidence = f.confidence if f.confidence in CONFIDENCES else "other"
            self._series(self.findings, _ident(f.detector), confidence).inc(max(0, int(f.count)))

    def observe_ocr(self, use: OcrUse) -> None:
        """Count what OCR did for one message (nothing is called when it did nothing)."""
        if use.recognised:
            self._series(self.ocr_reads, "recognised").inc(use.recognised)
            self.ocr_seconds.observe(use.seconds)
        if use.remembered:
            self._series(self.ocr_reads, "remembered").inc(use.remembered)
        if use.out_of_time:
            self.ocr_out_of_time.inc()

    def observe_decision_seconds(self, path: str, seconds: float) -> None:
        """Record how long one end-of-message decision took (the session measures it)."""
        self._series(self.decision_seconds, path).observe(seconds)

    def internal_error(self, path: str) -> None:
        self.internal_errors.labels(path).inc()

    # -- DNS and the domain watch --------------------------------------------------------------
    def observe_dns(self, rtype: str, result: str, seconds: float | None = None) -> None:
        """Count one DNS query; `seconds` is its latency (None for answers from the cache)."""
        if result not in DNS_RESULTS:
            raise ValueError(f"DNS result {result!r} is not one of {DNS_RESULTS}")
        rtype = rtype.upper() if _RTYPE.fullmatch(rtype.upper()) else "other"
        self.dns_queries.labels(rtype, result).inc()
        if seconds is not None:
            self.dns_seconds.labels(rtype).observe(seconds)

    def set_domain_state(self, domain: str, role: str, state: str) -> None:
        """Set the watch state of a policy-listed domain (one-hot over DOMAIN_STATES).

        A domain the policy in force does not list is ignored: its check may finish just
        after a reload removed it, and only listed domains may become label values.
        """
        if role not in DOMAIN_ROLES:
            raise ValueError(f"domain role {role!r} is not one of {DOMAIN_ROLES}")
        if state not in DOMAIN_STATES:
            raise ValueError(f"domain state {state!r} is not one of {DOMAIN_STATES}")
        with self._domain_lock:
            if (domain, role) not in self._domains:
                return
            for s in DOMAIN_STATES:
                self.domain_state.labels(domain, role, s).set(1 if s == state else 0)

    def _reset_domains(self, policy: Policy) -> None:
        listed = {(d.domain, "owned") for d in policy.owned_domains}
        listed |= {(d.domain, "retired") for d in policy.retired_domains}
        with self._domain_lock:
            for domain, role in self._domains - listed:
                for s in DOMAIN_STATES:
                    self.domain_state.remove(domain, role, s)
            for domain, role in listed - self._domains:
                for s in DOMAIN_STATES:
                    self.domain_state.labels(domain, role, s).set(1 if s == "unknown" else 0)
            self._domains = listed

    # -- policy --------------------------------------------------------------------------------
    def policy_loaded_now(self, policy: Policy, when: float) -> None:
        self.policy_info.clear()
        self.policy_info.labels(policy.sha256).set(1)
        self.policy_loaded.set(when)
        self._reset_domains(policy)

    def track_exceptions(self, current: Callable[[], Policy]) -> None:
        """Active and expired accepted risks of the policy in force, counted at each scrape
        (an exception expires at midnight, not at a reload)."""

        def count(active: bool) -> Callable[[], float]:
            def value() -> float:
                today = dt.date.today()
                return sum(1 for e in current().exceptions if e.active(today) is active)

            return value

        self.exceptions.labels("active").set_function(count(True))
        self.exceptions.labels("expired").set_function(count(False))

    def notice(self, result: str) -> None:
        """A sender notice was sent, rate limited, dropped or failed."""
        self.notices.labels(result if result in NOTICE_RESULTS else "failed").inc()

    def held_notice(self, kind: str, result: str) -> None:
        """A notice about held mail (``NOTICE_KINDS``) was sent, rate limited, dropped or
        failed. An unknown kind is a programming error."""
        if kind not in NOTICE_KINDS:
            raise ValueError(f"unknown notice kind {kind!r}")
        self.held_notices.labels(kind, result if result in NOTICE_RESULTS else "failed").inc()

    def history_lookup(self, result: str) -> None:
        """A contact-history look-up before deciding: ok or error."""
        self.history_lookups.labels(result if result in HISTORY_LOOKUP_RESULTS else "error").inc()

    def history_record(self, result: str) -> None:
        """A delivered message's contacts: written, failed or dropped."""
        known = result if result in HISTORY_RECORD_RESULTS else "failed"
        self.history_records.labels(known).inc()

    def rdap_query(self, result: str) -> None:
        """An RDAP look-up (``RDAP_RESULTS``); anything else counts as error."""
        self.rdap_queries.labels(result if result in RDAP_RESULTS else "error").inc()

    def policy_reload(self, ok: bool) -> None:
        self.policy_reloads.labels("ok" if ok else "refused").inc()
        self.policy_reload_ok.set(1 if ok else 0)

    # -- connections ---------------------------------------------------------------------------
    def track_connections(self, count: Callable[[], float]) -> None:
        """Report `count()` (the server's open sessions) as the connections gauge."""
        self.connections.set_function(count)

    # -- audit trail ---------------------------------------------------------------------------
    def audit_configured(self, checkpoint_interval_s: float) -> None:
        self.audit_checkpoint_interval.set(checkpoint_interval_s)

    def audit_record_written(self, count: int = 1) -> None:
        self.audit_records.inc(count)

    def audit_write_failed(self) -> None:
        self.audit_write_errors.inc()

    def audit_checkpoint(self, seq: int, when: float, head: str) -> None:
        self.audit_checkpoint_seq.set(seq)
        self.audit_checkpoint_time.set(when)
        self.audit_checkpoint_hash.set(int(head[:12], 16))

    # -- hold queue ----------------------------------------------------------------------------
    def watch_hold_queue(
        self,
        postqueue: str | None = None,
        ttl_s: float = 30.0,
        timeout_s: float = 3.0,
        env: Mapping[str, str] | None = None,
    ) -> bool:
        """Export the hold-queue size read with ``postqueue -j``; False if postqueue is absent."""
        binary = postqueue or shutil.which("postqueue", path="/usr/sbin:/usr/bin:/sbin:/bin")
        if binary is None:
            return False
        collector = HoldQueueCollector([binary, "-j"], ttl_s, timeout_s, env)
        self.registry.register(collector)
        self.hold_queue = collector
        collector.refresh_if_stale()  # the first value is ready before the first scrape
        return True

    def watch_officer_trail(self, path: str) -> None:
        """Count the held-mail steps recorded in the officer trail (milter.metrics.officer)."""
        from milter.metrics.officer import OfficerTrailCollector

        self.registry.register(OfficerTrailCollector(path))

    # -- exporter ------------------------------------------------------------------------------
    def serve(self, host: str, port: int, registry: CollectorRegistry | None = None) -> WSGIServer:
        """Serve /metrics in a background thread (process-wide: no *_created series).

        `registry` replaces this instance's own (serve --workers N exports a merged one).
        Returns the server; ``shutdown()`` stops it (tests do, the daemon never needs to).
        """
        disable_created_metrics()  # type: ignore[no-untyped-call]
        server, _thread = start_http_server(port, addr=host, registry=registry or self.registry)
        return server

    # -- worker processes (serve --workers N) ----------------------------------------------------
    def workers_running(self, count: int) -> None:
        self.workers.set(count)

    def worker_lost(self) -> None:
        self.workers_lost.inc()
