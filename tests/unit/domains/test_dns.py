"""Resolver and gather() against a real DNS server (dnsmasq) on loopback."""

from __future__ import annotations

import threading
import time

import pytest

from milter.domains.dns import Resolver, gather
from milter.domains.model import DnsSettings, Expectation
from tests.support.dnsserver import BlackHole, DnsServer, Zone
from tests.unit.domains.conftest import OUR_MX, OURS, ZONES, FakeClock, settings_for

SLACK = 0.3  # scheduling slack allowed on top of a budget, in seconds


def soon(seconds: float = 2.0) -> float:
    """A deadline on the real monotonic clock."""
    return time.monotonic() + seconds


class TestResolverAnswers:
    @pytest.mark.parametrize(
        ("name", "rdtype", "status", "records"),
        [
            ("samen-veilig.test", "MX", "ok", ("mx1.samen-veilig.test", "mx2.samen-veilig.test")),
            ("samen-veilig.test", "NS", "ok", ("ns1.provider.test", "ns2.provider.test")),
            ("implicit.test", "A", "ok", ("192.0.2.7",)),
            ("implicit6.test", "AAAA", "ok", ("2001:db8::7",)),
            ("nullmx.test", "MX", "ok", (".",)),
            ("implicit.test", "MX", "nodata", ()),
            ("lapsed.test", "MX", "nxdomain", ()),
            ("nobody.samen-veilig.test", "A", "nxdomain", ()),
            ("alias.test", "MX", "ok", ("mx1.samen-veilig.test", "mx2.samen-veilig.test")),
        ],
    )
    def test_answer(
        self, resolver: Resolver, name: str, rdtype: str, status: str, records: tuple[str, ...]
    ) -> None:
        """Each kind of answer becomes a status and normalised records (MX by preference)."""
        answer = resolver.lookup(name, rdtype, soon())
        assert (answer.status, answer.records, answer.error) == (status, records, None)

    def test_soa_record_text_carries_the_serial(self, resolver: Resolver) -> None:
        """An SOA answer keeps the record text, serial included."""
        answer = resolver.lookup("samen-veilig.test", "SOA", soon())
        assert answer.status == "ok"
        assert answer.records[0].split()[2] == "2026010101"

    def test_positive_ttl_is_the_records_ttl(self, resolver: Resolver) -> None:
        """A positive answer may be cached for its records' TTL."""
        assert resolver.lookup("samen-veilig.test", "MX", soon()).ttl == 60

    @pytest.mark.parametrize(("name", "rdtype"), [("lapsed.test", "MX"), ("implicit.test", "MX")])
    def test_negative_ttl_comes_from_the_soa(
        self, resolver: Resolver, name: str, rdtype: str
    ) -> None:
        """NXDOMAIN and NODATA carry min(SOA TTL, SOA minimum) as their TTL (RFC 2308)."""
        assert resolver.lookup(name, rdtype, soon()).ttl == 60

    def test_servfail_is_an_error_not_an_answer(self, resolver: Resolver) -> None:
        """SERVFAIL from the server is DNS trouble, reported as such."""
        answer = resolver.lookup("x.broken.test", "MX", soon())
        assert (answer.status, answer.error, answer.is_trouble) == ("servfail", "SERVFAIL", True)

    def test_refused_is_an_error(self, resolver: Resolver) -> None:
        """REFUSED (a name the server does not serve) is DNS trouble too."""
        answer = resolver.lookup("example.invalid", "MX", soon())
        assert (answer.status, answer.error) == ("refused", "REFUSED")

    def test_truncated_answer_is_retried_over_tcp(
        self, resolver: Resolver, dns_server: DnsServer
    ) -> None:
        """An answer too big for UDP comes over TCP, complete."""
        before = dns_server.queries("big.test", "MX")
        answer = resolver.lookup("big.test", "MX", soon())
        assert (answer.status, len(answer.records)) == ("ok", 40)
        assert dns_server.queries("big.test", "MX") - before == 2  # UDP (TC), then TCP

    def test_empty_nameservers_mean_resolv_conf(self) -> None:
        """Without nameservers in the settings the resolver uses the system's."""
        import dns.resolver

        try:
            expected = [str(ns) for ns in dns.resolver.Resolver(configure=True).nameservers]
        except Exception:
            expected = []
        assert [a for a, _ in Resolver(DnsSettings()).nameservers] == expected


class TestResolverTime:
    def test_silent_server_times_out_after_timeout_ms(self, black_hole: BlackHole) -> None:
        """A nameserver that never answers gives 'timeout' after timeout_ms, not later."""
        resolver = Resolver(settings_for(black_hole.address, timeout_ms=300, budget_ms=2000))
        started = time.monotonic()
        answer = resolver.lookup("samen-veilig.test", "MX", soon(2))
        elapsed = time.monotonic() - started
        assert (answer.status, answer.error) == ("timeout", "timeout")
        assert 0.3 <= elapsed < 0.3 + SLACK

    def test_deadline_cuts_a_query_short(self, black_hole: BlackHole) -> None:
        """A query is never waited for past the deadline: 'budget exhausted'."""
        resolver = Resolver(settings_for(black_hole.address, timeout_ms=800, budget_ms=2000))
        started = time.monotonic()
        answer = resolver.lookup("samen-veilig.test", "MX", soon(0.2))
        elapsed = time.monotonic() - started
        assert (answer.status, answer.error) == ("timeout", "budget exhausted")
        assert 0.2 <= elapsed < 0.2 + SLACK

    def test_no_time_left_sends_nothing(self, resolver: Resolver, dns_server: DnsServer) -> None:
        """With the deadline passed, no query is sent at all."""
        before = dns_server.queries("partner.test")
        answer = resolver.lookup("partner.test", "MX", time.monotonic() - 1)
        assert (answer.status, answer.error) == ("error", "budget exhausted")
        assert dns_server.queries("partner.test") == before
        assert resolver.stats().budget_exhausted == 1

    def test_next_nameserver_after_a_silent_one(
        self, black_hole: BlackHole, dns_server: DnsServer
    ) -> None:
        """When the first nameserver stays silent the next one answers, within the deadline."""
        resolver = Resolver(settings_for(black_hole.address, dns_server.address, timeout_ms=200))
        answer = resolver.lookup("samen-veilig.test", "MX", soon(1))
        assert answer.status == "ok"
        assert resolver.stats().queries["timeout"] == 1

    def test_concurrency_is_bounded(self, black_hole: BlackHole) -> None:
        """With max_concurrency=2, four silent queries take two rounds of timeout_ms."""
        resolver = Resolver(
            settings_for(black_hole.address, timeout_ms=300, budget_ms=2000, max_concurrency=2)
        )
        deadline = soon(2)
        threads = [
            threading.Thread(target=resolver.lookup, args=(f"d{i}.test", "MX", deadline))
            for i in range(4)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        assert 0.6 <= elapsed < 0.6 + SLACK
        assert resolver.stats().queries["timeout"] == 4

    def test_waiting_for_a_slot_spends_the_budget(self, black_hole: BlackHole) -> None:
        """A lookup that cannot get a slot before its deadline gives 'budget exhausted'."""
        resolver = Resolver(
            settings_for(black_hole.address, timeout_ms=500, budget_ms=500, max_concurrency=1)
        )
        deadline = soon(0.65)  # the first query times out, the second is cut short
        results = {}

        def run(name: str) -> None:
            results[name] = resolver.lookup(name, "MX", deadline)

        threads = [threading.Thread(target=run, args=(f"d{i}.test",)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        errors = sorted(str(a.error) for a in results.values())
        assert errors == ["budget exhausted", "budget exhausted", "timeout"]


class TestResolverCache:
    def test_second_lookup_is_a_cache_hit(self, resolver: Resolver, dns_server: DnsServer) -> None:
        """The second lookup is answered from the cache: the server sees one query."""
        before = dns_server.queries("partner.test", "MX")
        first = resolver.lookup("partner.test", "MX", soon())
        second = resolver.lookup("partner.test", "MX", soon())
        assert dns_server.queries("partner.test", "MX") - before == 1
        assert (first.from_cache, second.from_cache) == (False, True)
        assert second.records == first.records
        assert resolver.stats().cache_hits == 1

    @pytest.mark.parametrize(
        ("name", "status"), [("gone-1.test", "nxdomain"), ("implicit6.test", "nodata")]
    )
    def test_negative_answers_are_cached(
        self, resolver: Resolver, dns_server: DnsServer, name: str, status: str
    ) -> None:
        """NXDOMAIN and NODATA are cached too: the server sees one query."""
        before = dns_server.queries(name, "MX")
        assert resolver.lookup(name, "MX", soon()).status == status
        assert resolver.lookup(name, "MX", soon()).from_cache
        assert dns_server.queries(name, "MX") - before == 1

    def test_trouble_is_not_cached(self, resolver: Resolver, dns_server: DnsServer) -> None:
        """A SERVFAIL is asked again next time (Postfix retries; the server may recover)."""
        before = dns_server.queries("y.broken.test", "MX")
        resolver.lookup("y.broken.test", "MX", soon())
        resolver.lookup("y.broken.test", "MX", soon())
        assert dns_server.queries("y.broken.test", "MX") - before == 2

    @pytest.mark.parametrize(
        ("name", "status"), [("partner.test", "ok"), ("gone-2.test", "nxdomain")]
    )
    def test_entries_expire_with_their_ttl(
        self, dns_server: DnsServer, clock: FakeClock, name: str, status: str
    ) -> None:
        """After the TTL (60 s, fake clock) the name is asked again; before it, not."""
        resolver = Resolver(settings_for(dns_server.address), clock=clock)
        before = dns_server.queries(name, "MX")
        assert resolver.lookup(name, "MX", clock() + 1).status == status
        clock.advance(59)
        cached = resolver.lookup(name, "MX", clock() + 1)
        assert cached.from_cache
        assert cached.ttl == pytest.approx(1)
        clock.advance(1.5)
        assert not resolver.lookup(name, "MX", clock() + 1).from_cache
        assert dns_server.queries(name, "MX") - before == 2

    def test_max_ttl_caps_long_ttls(self, dns_server: DnsServer, clock: FakeClock) -> None:
        """No entry outlives max_ttl, however long its TTL: drift is noticed within it."""
        resolver = Resolver(settings_for(dns_server.address), clock=clock, max_ttl=5)
        resolver.lookup("samen-veilig.test", "MX", clock() + 1)
        clock.advance(5.5)
        assert not resolver.lookup("samen-veilig.test", "MX", clock() + 1).from_cache

    def test_cache_is_bounded_lru(self, resolver: Resolver, dns_server: DnsServer) -> None:
        """The least recently used entry goes first when the cache is full."""
        small = Resolver(settings_for(dns_server.address), cache_size=2)
        for name in ("samen-veilig.test", "partner.test", "cloud.test"):
            small.lookup(name, "MX", soon())
        assert small.stats().cache_entries == 2
        assert small.lookup("cloud.test", "MX", soon()).from_cache
        assert not small.lookup("samen-veilig.test", "MX", soon()).from_cache

    def test_fresh_skips_the_cache_but_refreshes_it(self, resolver: Resolver) -> None:
        """fresh=True asks the server, and the next normal lookup gets that answer."""
        resolver.lookup("cloud.test", "MX", soon())
        assert not resolver.lookup("cloud.test", "MX", soon(), fresh=True).from_cache
        assert resolver.lookup("cloud.test", "MX", soon()).from_cache


class TestResolverCounters:
    def test_queries_are_counted_by_result_and_observed(
        self, dns_server: DnsServer, black_hole: BlackHole
    ) -> None:
        """stats() counts each query by result; the observer sees each with its latency."""
        seen: list[tuple[str, str, float]] = []
        resolver = Resolver(
            settings_for(dns_server.address), observer=lambda *event: seen.append(event)
        )
        silent = Resolver(settings_for(black_hole.address, timeout_ms=100))
        for name, rdtype in [
            ("samen-veilig.test", "MX"),
            ("samen-veilig.test", "MX"),  # cache hit: no query
            ("lapsed.test", "MX"),
            ("implicit.test", "MX"),
            ("z.broken.test", "MX"),
        ]:
            resolver.lookup(name, rdtype, soon())
        silent.lookup("samen-veilig.test", "MX", soon())
        stats = resolver.stats()
        assert dict(stats.queries) == {
            "ok": 1, "nxdomain": 1, "nodata": 1, "timeout": 0,
            "servfail": 1, "refused": 0, "error": 0,
        }  # fmt: skip
        assert (stats.cache_hits, stats.cache_misses) == (1, 4)
        assert silent.stats().queries["timeout"] == 1
        assert [(t, r) for t, r, _ in seen] == [
            ("MX", "ok"), ("MX", "nxdomain"), ("MX", "nodata"), ("MX", "servfail"),
        ]  # fmt: skip
        assert all(0 <= s < 1 for _, _, s in seen)


class TestGather:
    @pytest.mark.parametrize(
        ("domain", "expectation", "state", "detail"),
        [
            ("samen-veilig.test", OURS, "ok", "MX and NS as expected"),
            (
                "cloud.test",
                Expectation(mx=("*.mail.protection.outlook.com",)),
                "ok",
                "MX as expected",
            ),
            (
                "extra-mx.test",
                OURS,
                "drift",
                "MX mx.catchall-hoster.example not in expected mx1.samen-veilig.test, "
                "mx2.samen-veilig.test",
            ),
            (
                "extra-ns.test",
                OURS,
                "drift",
                "NS ns1.foreign-dns.example not in expected ns*.provider.test",
            ),
            (
                "implicit.test",
                OURS,
                "drift",
                "no MX; implicit mail host implicit.test not in expected mx1.samen-veilig.test, "
                "mx2.samen-veilig.test",
            ),
            ("lapsed.test", OURS, "nxdomain", "lapsed.test does not exist (NXDOMAIN)"),
            ("lapsed.test", None, "nxdomain", "lapsed.test does not exist (NXDOMAIN)"),
            ("implicit.test", None, "ok", "mail host implicit.test"),
            ("implicit6.test", None, "ok", "mail host implicit6.test"),
            ("partner.test", None, "ok", "mail host mx.partner.test"),
            ("nullmx.test", None, "no_mail_host", "null MX (RFC 7505): accepts no mail"),
            ("empty.test", None, "no_mail_host", "no MX and no A/AAAA record"),
            ("jeugd.samen-veilig.test", None, "ok", "mail host jeugd.samen-veilig.test"),
            ("x.broken.test", None, "error", "MX lookup failed: SERVFAIL"),
        ],
    )
    def test_one_domain(
        self,
        resolver: Resolver,
        domain: str,
        expectation: Expectation | None,
        state: str,
        detail: str,
    ) -> None:
        """Each DNS situation gives the state and detail the engine and the officer see."""
        facts = gather([domain], {domain: expectation}, resolver, resolver.settings)[domain]
        assert (facts.state, facts.detail) == (state, detail)
        assert facts.expectation == expectation

    def test_facts_carry_what_was_found(self, resolver: Resolver) -> None:
        """Facts list the live MX and NS hosts and the error (none here)."""
        facts = gather(["extra-ns.test"], {"extra-ns.test": OURS}, resolver, resolver.settings)
        found = facts["extra-ns.test"]
        assert found.mx == ("mx1.samen-veilig.test", "mx2.samen-veilig.test")
        assert found.ns == ("ns1.foreign-dns.example", "ns1.provider.test", "ns2.provider.test")
        assert found.error is None

    def test_only_asked_domains_are_looked_up(
        self, resolver: Resolver, dns_server: DnsServer
    ) -> None:
        """A domain without a question is neither looked up nor in the result."""
        before = dns_server.queries("partner.test")
        facts = gather(
            ["partner.test", "samen-veilig.test"],
            {"samen-veilig.test": OURS},
            resolver,
            resolver.settings,
        )
        assert list(facts) == ["samen-veilig.test"]
        assert dns_server.queries("partner.test") == before

    def test_no_ns_lookup_without_ns_expectation(
        self, resolver: Resolver, dns_server: DnsServer
    ) -> None:
        """Existence checks ask MX only (A/AAAA only when there is no MX)."""
        before = dns_server.queries("cloud.test")
        gather(["cloud.test"], {"cloud.test": None}, resolver, resolver.settings)
        assert dns_server.queries("cloud.test") - before == 1

    def test_second_message_uses_the_cache(self, resolver: Resolver) -> None:
        """Facts built only from cached answers say so."""
        questions = {"samen-veilig.test": OURS}
        first = gather(questions, questions, resolver, resolver.settings)
        second = gather(questions, questions, resolver, resolver.settings)
        assert (first["samen-veilig.test"].from_cache, second["samen-veilig.test"].from_cache) == (
            False,
            True,
        )

    def test_silent_server_gives_error_within_budget(self, black_hole: BlackHole) -> None:
        """A nameserver that never answers: error 'timeout', measured within the budget."""
        settings = settings_for(black_hole.address, timeout_ms=300, budget_ms=500)
        resolver = Resolver(settings)
        started = time.monotonic()
        facts = gather(["a.test", "b.test"], {"a.test": OURS, "b.test": None}, resolver, settings)
        elapsed = time.monotonic() - started
        assert {d: (f.state, f.error) for d, f in facts.items()} == {
            "a.test": ("error", "timeout"),
            "b.test": ("error", "timeout"),
        }
        assert 0.3 <= elapsed < 0.5 + SLACK

    def test_budget_is_shared_by_the_domains_of_a_message(self, black_hole: BlackHole) -> None:
        """One budget for all domains: those that find it spent get 'budget exhausted'."""
        settings = settings_for(
            black_hole.address, timeout_ms=300, budget_ms=700, max_concurrency=1
        )
        resolver = Resolver(settings)
        domains = [f"d{i}.test" for i in range(4)]
        started = time.monotonic()
        facts = gather(domains, dict.fromkeys(domains), resolver, settings)
        elapsed = time.monotonic() - started
        errors = sorted(str(f.error) for f in facts.values())
        assert errors == ["budget exhausted", "budget exhausted", "timeout", "timeout"]
        assert all(f.state == "error" for f in facts.values())
        assert 0.7 <= elapsed < 0.7 + SLACK

    def test_slow_domain_does_not_hold_up_the_others(self, resolver: Resolver) -> None:
        """Domains are asked concurrently: a silent one leaves the others their answers."""
        questions = {"x.slow.test": None, "samen-veilig.test": OURS, "lapsed.test": None}
        facts = gather(questions, questions, resolver, resolver.settings)
        assert {d: f.state for d, f in facts.items()} == {
            "x.slow.test": "error",
            "samen-veilig.test": "ok",
            "lapsed.test": "nxdomain",
        }


class TestGatherWhenDnsChanges:
    def test_mx_moved_to_a_foreign_host_is_drift(self, own_dns: DnsServer) -> None:
        """The incident: ours yesterday, a catch-all hoster's MX today -> drift, with detail."""
        own_dns.start([Zone("samen-veilig.test", mx=OUR_MX)])
        settings = settings_for(own_dns.address)
        questions = {"samen-veilig.test": OURS}
        before = gather(questions, questions, Resolver(settings), settings)
        own_dns.restart([Zone("samen-veilig.test", mx=((10, "mx.catchall-hoster.example"),))])
        after = gather(questions, questions, Resolver(settings), settings)
        assert before["samen-veilig.test"].state == "ok"
        assert after["samen-veilig.test"].state == "drift"
        assert after["samen-veilig.test"].detail == (
            "MX mx.catchall-hoster.example not in expected "
            "mx1.samen-veilig.test, mx2.samen-veilig.test"
        )

    def test_ns_moved_is_drift(self, own_dns: DnsServer) -> None:
        """The zone now served by someone else's nameservers -> drift."""
        own_dns.start([Zone("samen-veilig.test", mx=OUR_MX)], ns=("ns1.foreign-dns.example",))
        settings = settings_for(own_dns.address)
        questions = {"samen-veilig.test": OURS}
        facts = gather(questions, questions, Resolver(settings), settings)["samen-veilig.test"]
        assert (facts.state, facts.detail) == (
            "drift",
            "NS ns1.foreign-dns.example not in expected ns*.provider.test",
        )

    def test_domain_that_lapsed_is_nxdomain(self, own_dns: DnsServer) -> None:
        """Gone from DNS altogether -> nxdomain."""
        own_dns.start([Zone("samen-veilig.test", mx=OUR_MX)])
        settings = settings_for(own_dns.address)
        own_dns.restart([Zone("other.test", mx=OUR_MX)])
        questions = {"samen-veilig.test": OURS}
        facts = gather(questions, questions, Resolver(settings), settings)
        assert facts["samen-veilig.test"].state == "nxdomain"


def test_zones_fixture_is_consistent() -> None:
    """The shared server's zone names are unique (a typo would shadow a zone)."""
    names = [z.name for z in ZONES]
    assert len(names) == len(set(names))
