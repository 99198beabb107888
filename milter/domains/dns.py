"""domains.dns -- ask DNS about recipient domains, within a time budget, with a cache.

SYNOPSIS
    resolver = Resolver(settings, clock=time.monotonic, cache_size=4096, max_ttl=300.0,
                        observer=None)
    resolver.lookup(name, rdtype, deadline, fresh=False) -> Answer
    resolver.stats() -> ResolverStats
    gather(domains, questions, resolver, settings) -> dict[domain, DomainFacts]
    check_domain(domain, expectation, resolver, deadline, fresh=False) -> DomainFacts

DESCRIPTION
    Resolver sends one query at a time to each configured nameserver with dnspython's
    dns.query (UDP, then TCP when the reply is truncated), recursion desired, so it expects
    recursive resolvers (or a local authority) as nameservers.  Each attempt waits at most
    settings.timeout_ms and never past the caller's deadline; on a timeout, SERVFAIL, REFUSED
    or network error the next nameserver is tried while time is left.  Empty
    settings.nameservers means the nameservers in /etc/resolv.conf, read once.

    Deadlines are on `clock` (time.monotonic by default); the cache uses the same clock, so a
    test can move it forward.  lookup never raises for DNS trouble: it returns an Answer whose
    status is 'timeout', 'servfail', 'refused' or 'error' with `error` saying what happened
    ('timeout', 'SERVFAIL', 'REFUSED', 'budget exhausted', 'network error', 'malformed reply',
    'no nameserver').  An attempt cut short by the deadline rather than by timeout_ms, and a
    lookup that finds no time left (or waits for a concurrency slot until the deadline),
    report 'budget exhausted'.

    The cache is shared by all threads (the milter runs one per connection), bounded
    (least recently used entries go first) and keyed by (name, type).  Positive answers live
    for the smallest TTL of the records used (CNAME chain included), negative answers
    (NXDOMAIN, NODATA) for min(SOA TTL, SOA minimum) of the SOA in the authority section
    (RFC 2308 section 5); negative answers without an SOA, and DNS trouble, are not cached.
    Every entry is capped at max_ttl (default 300 s) so that an owned domain whose MX moves
    is noticed within minutes even when its TTL is a day.  lookup(fresh=True) skips the cache
    read but stores the answer: the watch job refreshes what the mail path sees.

    At most settings.max_concurrency queries are in flight per Resolver; a query waiting for
    a slot spends its deadline.  stats() counts queries by result (ok, nxdomain, nodata,
    timeout, servfail, refused, error), cache hits and misses and lookups refused for lack of
    budget; `observer(rdtype, result, seconds)` is called after every query sent (for a
    latency histogram).

    gather looks up the domains of one message that the policy asks about (see
    domains.ownership.questions_for), concurrently, all sharing one deadline of
    settings.budget_ms; a domain whose lookups run out of budget gets state 'error' with
    error 'budget exhausted'.  Per domain: MX; A and AAAA only when there is no MX record
    (implicit MX); NS only when the expectation lists NS hosts.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset

from milter.domains.model import (
    Answer,
    AnswerStatus,
    DnsSettings,
    DomainFacts,
    Expectation,
    normalise_host,
    parse_nameserver,
)
from milter.domains.ownership import assess

__all__ = [
    "QUERY_RESULTS",
    "Observer",
    "Resolver",
    "ResolverStats",
    "check_domain",
    "gather",
]

Observer = Callable[[str, str, float], None]

QUERY_RESULTS: tuple[AnswerStatus, ...] = (
    "ok",
    "nxdomain",
    "nodata",
    "timeout",
    "servfail",
    "refused",
    "error",
)

BUDGET_EXHAUSTED = "budget exhausted"
_MAX_CNAME_HOPS = 8
_EDNS_PAYLOAD = 1232
_HOST_TYPES = frozenset({"MX", "NS", "CNAME", "PTR"})


@dataclass(frozen=True, slots=True)
class ResolverStats:
    """A snapshot of a Resolver's counters (monotonic since it was built)."""

    queries: Mapping[str, int]
    cache_hits: int
    cache_misses: int
    budget_exhausted: int
    cache_entries: int


def _system_nameservers() -> tuple[tuple[str, int], ...]:
    try:
        system = dns.resolver.Resolver(configure=True)
    except (dns.exception.DNSException, OSError):
        return ()
    port = int(system.port)
    return tuple((str(ns), port) for ns in system.nameservers)


def _rdata_text(rdtype: str, rdata: object) -> str:
    if rdtype == "MX":
        return normalise_host(rdata.exchange.to_text())  # type: ignore[attr-defined]
    if rdtype in _HOST_TYPES:
        return normalise_host(rdata.target.to_text())  # type: ignore[attr-defined]
    return str(rdata.to_text())  # type: ignore[attr-defined]


def _records(rdtype: str, rrset: dns.rrset.RRset) -> tuple[str, ...]:
    if rdtype == "MX":
        ordered = sorted(rrset, key=lambda r: (r.preference, r.exchange.to_text().lower()))
        return tuple(dict.fromkeys(_rdata_text(rdtype, r) for r in ordered))
    return tuple(sorted(dict.fromkeys(_rdata_text(rdtype, r) for r in rrset)))


def _negative_ttl(response: dns.message.Message) -> float:
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            minimum = min(int(r.minimum) for r in rrset)
            return float(min(int(rrset.ttl), minimum))
    return 0.0  # RFC 2308 section 5: no SOA, no negative caching


def _interpret(name: str, rdtype: str, response: dns.message.Message) -> Answer:
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return Answer(name, rdtype, "nxdomain", (), _negative_ttl(response))
    if rcode == dns.rcode.SERVFAIL:
        return Answer(name, rdtype, "servfail", error="SERVFAIL")
    if rcode == dns.rcode.REFUSED:
        return Answer(name, rdtype, "refused", error="REFUSED")
    if rcode != dns.rcode.NOERROR:
        return Answer(name, rdtype, "error", error=dns.rcode.to_text(rcode))
    wanted = dns.rdatatype.from_text(rdtype)
    owner = dns.name.from_text(name)
    ttl: float | None = None
    for _ in range(_MAX_CNAME_HOPS):
        found = response.get_rrset(response.answer, owner, dns.rdataclass.IN, wanted)
        if found is not None and len(found):
            ttl = float(found.ttl) if ttl is None else min(ttl, float(found.ttl))
            return Answer(name, rdtype, "ok", _records(rdtype, found), ttl)
        alias = response.get_rrset(response.answer, owner, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if alias is None or not len(alias):
            break
        ttl = float(alias.ttl) if ttl is None else min(ttl, float(alias.ttl))
        owner = alias[0].target
    negative = _negative_ttl(response)
    return Answer(name, rdtype, "nodata", (), negative if ttl is None else min(ttl, negative))


class Resolver:
    """A caching, budget-aware DNS client; see the module docstring.  Thread-safe."""

    def __init__(
        self,
        settings: DnsSettings,
        clock: Callable[[], float] = time.monotonic,
        *,
        cache_size: int = 4096,
        max_ttl: float = 300.0,
        observer: Observer | None = None,
    ) -> None:
        if cache_size < 0 or max_ttl < 0:
            raise ValueError("cache_size and max_ttl must not be negative")
        self.settings = settings
        self.clock = clock
        self._servers = (
            tuple(parse_nameserver(s) for s in settings.nameservers)
            if settings.nameservers
            else _system_nameservers()
        )
        self._cache_size = cache_size
        self._max_ttl = max_ttl
        self._observer = observer
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], tuple[float, Answer]] = OrderedDict()
        self._slots = threading.BoundedSemaphore(settings.max_concurrency)
        self._counts: Counter[str] = Counter()

    @property
    def nameservers(self) -> tuple[tuple[str, int], ...]:
        """The (address, port) pairs queried, in order."""
        return self._servers

    # ------------------------------------------------------------------ cache

    def _cached(self, key: tuple[str, str]) -> Answer | None:
        now = self.clock()
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                self._counts["cache_miss"] += 1
                return None
            expires, answer = entry
            if expires <= now:
                del self._cache[key]
                self._counts["cache_miss"] += 1
                return None
            self._cache.move_to_end(key)
            self._counts["cache_hit"] += 1
        return dataclasses.replace(answer, ttl=expires - now, from_cache=True)

    def _store(self, key: tuple[str, str], answer: Answer) -> None:
        if answer.is_trouble or self._cache_size == 0:
            return
        ttl = min(answer.ttl, self._max_ttl)
        if ttl <= 0:
            return
        with self._lock:
            self._cache[key] = (self.clock() + ttl, answer)
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def cached_status(self, name: str, rdtype: str) -> str | None:
        """The status of a live cached answer for (name, rdtype), None if a lookup would have
        to ask a server; counts nothing (callers decide how to run the lookup with it)."""
        key = (normalise_host(name), rdtype.upper())
        with self._lock:
            entry = self._cache.get(key)
            if entry is None or entry[0] <= self.clock():
                return None
            return entry[1].status

    def clear_cache(self) -> None:
        """Forget every cached answer (policy reload, tests)."""
        with self._lock:
            self._cache.clear()

    def stats(self) -> ResolverStats:
        """Counters so far: queries by result, cache hits/misses, budget refusals."""
        with self._lock:
            counts = Counter(self._counts)
            entries = len(self._cache)
        return ResolverStats(
            queries={r: counts[f"query_{r}"] for r in QUERY_RESULTS},
            cache_hits=counts["cache_hit"],
            cache_misses=counts["cache_miss"],
            budget_exhausted=counts["budget_exhausted"],
            cache_entries=entries,
        )

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    # ------------------------------------------------------------------ lookups

    def lookup(self, name: str, rdtype: str, deadline: float, *, fresh: bool = False) -> Answer:
        """Answer for (name, rdtype) by `deadline` (on self.clock); never raises for DNS trouble.

        `name` is a normalised domain; `rdtype` a type name such as 'MX'.
        """
        rdtype = rdtype.upper()
        key = (normalise_host(name), rdtype)
        if not fresh:
            hit = self._cached(key)
            if hit is not None:
                return hit
        if not self._servers:
            return Answer(name, rdtype, "error", error="no nameserver")
        answer = Answer(name, rdtype, "error", error=BUDGET_EXHAUSTED)
        for address, port in self._servers:
            if deadline - self.clock() <= 0:
                break
            answer = self._attempt(name, rdtype, address, port, deadline)
            if not answer.is_trouble or answer.error == BUDGET_EXHAUSTED:
                break
        if answer.error == BUDGET_EXHAUSTED and answer.status == "error":
            self._count("budget_exhausted")
        self._store(key, answer)
        return answer

    def _attempt(self, name: str, rdtype: str, address: str, port: int, deadline: float) -> Answer:
        remaining = deadline - self.clock()
        if remaining <= 0 or not self._slots.acquire(timeout=remaining):
            return Answer(name, rdtype, "error", error=BUDGET_EXHAUSTED)
        started = time.monotonic()
        try:
            # Waiting for the slot took time: recompute what is left.
            remaining = deadline - self.clock()
            wait = min(self.settings.timeout_ms / 1000.0, remaining)
            if wait <= 0:
                return Answer(name, rdtype, "error", error=BUDGET_EXHAUSTED)
            cut_short = wait < self.settings.timeout_ms / 1000.0
            answer = self._send(name, rdtype, address, port, wait, cut_short)
        finally:
            self._slots.release()
        self._count(f"query_{answer.status}")
        if self._observer is not None:
            self._observer(rdtype, answer.status, time.monotonic() - started)
        return answer

    def _send(
        self, name: str, rdtype: str, address: str, port: int, wait: float, cut_short: bool
    ) -> Answer:
        query = dns.message.make_query(name, rdtype, use_edns=0, payload=_EDNS_PAYLOAD)
        query.flags |= dns.flags.RD
        started = time.monotonic()
        try:
            response = dns.query.udp(
                query, address, timeout=wait, port=port, ignore_unexpected=True, ignore_errors=True
            )
            if response.flags & dns.flags.TC:
                left = wait - (time.monotonic() - started)
                if left <= 0:
                    raise dns.exception.Timeout
                response = dns.query.tcp(query, address, timeout=left, port=port)
        except dns.exception.Timeout:
            error = BUDGET_EXHAUSTED if cut_short else "timeout"
            return Answer(name, rdtype, "timeout", error=error)
        except OSError:
            return Answer(name, rdtype, "error", error="network error")
        except dns.exception.DNSException:
            return Answer(name, rdtype, "error", error="malformed reply")
        return _interpret(name, rdtype, response)


def check_domain(
    domain: str,
    expectation: Expectation | None,
    resolver: Resolver,
    deadline: float,
    *,
    fresh: bool = False,
) -> DomainFacts:
    """Look `domain` up (MX; A/AAAA if no MX; NS if expected) and assess it."""
    mx = resolver.lookup(domain, "MX", deadline, fresh=fresh)
    implicit: list[Answer] = []
    if mx.status == "nodata":
        for rdtype in ("A", "AAAA"):
            answer = resolver.lookup(domain, rdtype, deadline, fresh=fresh)
            implicit.append(answer)
            if answer.status in ("ok", "nxdomain") or answer.is_trouble:
                break
    ns: Answer | None = None
    # assess() stops at an NXDOMAIN or failed MX answer, so NS is only asked after a good one.
    if expectation is not None and expectation.ns and mx.status != "nxdomain" and not mx.is_trouble:
        ns = resolver.lookup(domain, "NS", deadline, fresh=fresh)
    return assess(domain, expectation, mx, implicit, ns)


def gather(
    domains: Iterable[str],
    questions: Mapping[str, Expectation | None],
    resolver: Resolver,
    settings: DnsSettings,
) -> dict[str, DomainFacts]:
    """Facts for each domain in `domains` that `questions` asks about, within one budget.

    Domains without an entry in `questions` are not looked up and not in the result.
    """
    asked = [d for d in dict.fromkeys(domains) if d in questions]
    if not asked:
        return {}
    deadline = resolver.clock() + settings.budget_ms / 1000.0
    if len(asked) == 1:
        return {asked[0]: check_domain(asked[0], questions[asked[0]], resolver, deadline)}
    workers = min(len(asked), settings.max_concurrency)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="postwarden-dns") as pool:
        futures = {d: pool.submit(check_domain, d, questions[d], resolver, deadline) for d in asked}
        return {d: f.result() for d, f in futures.items()}
