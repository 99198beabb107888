"""domains.watch -- are our domains, and the ones we retired, still under our control?

SYNOPSIS
    audit_domains(owned, retired, resolver) -> list[DomainStatus]
    render_table(statuses) -> str
    to_json(statuses) -> list[dict]
    has_drift(statuses) -> bool
    watcher = DomainWatcher(owned, retired, resolver, callback, interval_s=300.0)
    watcher.start(); watcher.update(owned, retired); watcher.stop()

DESCRIPTION
    audit_domains asks DNS, bypassing the resolver's cache (and refreshing it), for the MX,
    NS and SOA of every owned and every retired domain the policy lists, and compares MX and
    NS with the domain's Expectation (see domains.ownership).  Each domain gets its own
    budget of settings.budget_ms; domains are checked concurrently.  States:

      ok        owned: exists and matches its expectation (or has none to compare).
                retired: still looks like ours -- we still hold it.  Keep it that way.
      drift     some live MX or NS host is not ours.  For a retired domain this is the
                incident itself: someone else now receives its mail.
      nxdomain  the domain does not exist: it lapsed and anyone can register it.
      error     DNS trouble (timeout, SERVFAIL...); nothing is known.

    A domain with no expectation in the policy is only checked for existence; its detail
    says so.  render_table prints one line per domain for people; to_json gives the same as
    plain dicts for scripts (and `postwarden domains audit --json`).  has_drift is what the
    CLI's exit status needs.

    DomainWatcher runs audit_domains in a daemon thread right after start() and then every
    interval_s, and hands each result to callback (the service maps it to gauges: one series
    per policy-listed domain).  Nothing raises out of the thread: errors in the audit or the
    callback are logged ('domains_watch_failed') and the next round runs as planned.
    update() swaps the domain lists for the next round (policy reload); stop() ends the
    thread and waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import structlog

from milter.domains.dns import Resolver, check_domain
from milter.domains.model import Expectation

__all__ = [
    "DomainRole",
    "DomainStatus",
    "DomainWatcher",
    "WatchState",
    "audit_domains",
    "has_drift",
    "render_table",
    "to_json",
]

DomainRole = Literal["owned", "retired"]
WatchState = Literal["ok", "drift", "nxdomain", "error"]
WATCH_STATES: tuple[WatchState, ...] = ("ok", "drift", "nxdomain", "error")

log = structlog.get_logger("postwarden.domains")


@dataclass(frozen=True, slots=True)
class DomainStatus:
    """One policy-listed domain as DNS shows it now."""

    domain: str
    role: DomainRole
    state: WatchState
    detail: str
    mx: tuple[str, ...] = ()
    ns: tuple[str, ...] = ()
    soa_serial: int | None = None
    error: str | None = None


def _soa_serial(records: Sequence[str]) -> int | None:
    for record in records:
        fields = record.split()
        if len(fields) >= 3 and fields[2].isdigit():
            return int(fields[2])
    return None


def _audit_one(
    domain: str, role: DomainRole, expectation: Expectation | None, resolver: Resolver
) -> DomainStatus:
    deadline = resolver.clock() + resolver.settings.budget_ms / 1000.0
    facts = check_domain(domain, expectation, resolver, deadline, fresh=True)
    if facts.state == "nxdomain":
        detail = f"{facts.detail}: lapsed, anyone can register it"
        return DomainStatus(domain, role, "nxdomain", detail)
    if facts.state == "error":
        return DomainStatus(domain, role, "error", facts.detail, error=facts.error)
    ns = facts.ns
    if not ns:  # not asked by check_domain: no NS expectation; the audit shows them anyway
        answer = resolver.lookup(domain, "NS", deadline, fresh=True)
        ns = answer.records if answer.status == "ok" else ()
    soa = resolver.lookup(domain, "SOA", deadline, fresh=True)
    serial = _soa_serial(soa.records) if soa.status == "ok" else None
    if facts.state == "drift":
        return DomainStatus(domain, role, "drift", facts.detail, facts.mx, ns, serial)
    detail = facts.detail
    if expectation is None or not (expectation.mx or expectation.ns):
        detail = f"exists; no expectation in the policy to compare ({facts.detail})"
    if role == "retired":
        detail = f"still ours: {detail}" if expectation is not None else detail
    return DomainStatus(domain, role, "ok", detail, facts.mx, ns, serial)


def audit_domains(
    owned: Mapping[str, Expectation | None],
    retired: Mapping[str, Expectation | None],
    resolver: Resolver,
) -> list[DomainStatus]:
    """The state of every owned, then every retired domain, in the order given."""
    jobs: list[tuple[str, DomainRole, Expectation | None]] = [
        *((d, "owned", e) for d, e in owned.items()),
        *((d, "retired", e) for d, e in retired.items()),
    ]
    if not jobs:
        return []
    workers = min(len(jobs), resolver.settings.max_concurrency)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="postwarden-audit") as pool:
        futures = [pool.submit(_audit_one, d, role, e, resolver) for d, role, e in jobs]
        return [f.result() for f in futures]


def has_drift(statuses: Sequence[DomainStatus]) -> bool:
    """True if any domain drifted (the audit command then exits 1)."""
    return any(s.state == "drift" for s in statuses)


def to_json(statuses: Sequence[DomainStatus]) -> list[dict[str, object]]:
    """Plain, JSON-serialisable dicts, one per domain."""
    return [
        {
            "domain": s.domain,
            "role": s.role,
            "state": s.state,
            "detail": s.detail,
            "mx": list(s.mx),
            "ns": list(s.ns),
            "soa_serial": s.soa_serial,
            "error": s.error,
        }
        for s in statuses
    ]


def render_table(statuses: Sequence[DomainStatus]) -> str:
    """A fixed-width table for people: DOMAIN ROLE STATE DETAIL, then the counts."""
    header = ("DOMAIN", "ROLE", "STATE", "DETAIL")
    rows = [(s.domain, s.role, s.state.upper(), s.detail) for s in statuses]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]
    counts = {state: sum(1 for s in statuses if s.state == state) for state in WATCH_STATES}
    lines.append(", ".join(f"{n} {state}" for state, n in counts.items()))
    return "\n".join(lines) + "\n"


class DomainWatcher:
    """Re-runs audit_domains in the background and reports each round to a callback."""

    def __init__(
        self,
        owned: Mapping[str, Expectation | None],
        retired: Mapping[str, Expectation | None],
        resolver: Resolver,
        callback: Callable[[list[DomainStatus]], None],
        interval_s: float = 300.0,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._domains = (dict(owned), dict(retired))
        self._resolver = resolver
        self._callback = callback
        self._interval = interval_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.last: list[DomainStatus] | None = None

    def start(self) -> None:
        """Start the thread; the first round runs at once."""
        if self._thread is not None:
            raise RuntimeError("DomainWatcher already started")
        self._thread = threading.Thread(target=self._run, name="postwarden-watch", daemon=True)
        self._thread.start()

    def update(
        self, owned: Mapping[str, Expectation | None], retired: Mapping[str, Expectation | None]
    ) -> None:
        """Use these domains from the next round on (policy reload)."""
        with self._lock:
            self._domains = (dict(owned), dict(retired))

    def run_once(self) -> list[DomainStatus] | None:
        """One round now, in this thread; None if it failed (the failure is logged)."""
        with self._lock:
            owned, retired = self._domains
        try:
            statuses = audit_domains(owned, retired, self._resolver)
            self.last = statuses
            self._callback(statuses)
        except Exception as exc:  # the watch must outlive any bug in a round
            log.error("domains_watch_failed", error=type(exc).__name__, exc_info=True)
            return None
        finally:
            self.rounds += 1
        return statuses

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self._interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the round in progress (bounded by the DNS budget); wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
