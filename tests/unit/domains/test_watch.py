"""The domain watch: audit_domains against dnsmasq, its table and JSON, the watcher thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from milter.domains.dns import Resolver
from milter.domains.model import Expectation
from milter.domains.watch import (
    DomainStatus,
    DomainWatcher,
    audit_domains,
    has_drift,
    render_table,
    to_json,
)
from tests.support.dnsserver import DnsServer, Zone
from tests.unit.domains.conftest import OUR_MX, OURS, settings_for, start_server

# The incident organisation: two owned domains, two retired ones (one lapsed, one taken over).
WORLD = [
    Zone("samen-veilig.test", mx=OUR_MX),
    Zone("veiligthuisutrecht.test", mx=((10, "mx.partner-hoster.example"),)),
    Zone("bjzflevo.test", mx=OUR_MX),  # retired, still ours
    Zone("bjzutrecht.test", mx=((10, "mx.catchall-hoster.example"),)),  # retired, taken over
]
OWNED = {"samen-veilig.test": OURS, "veiligthuisutrecht.test": None}
RETIRED = {
    "bjzutrecht.test": OURS,
    "bjzflevo.test": OURS,
    "bjzgooi.test": None,
    "x.broken.test": None,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    """The incident organisation's DNS, served by a dnsmasq pair of this module's own."""
    server = start_server(
        tmp_path_factory.mktemp("world"), WORLD, servfail=["broken.test"], serial=2026052001
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def statuses(world: DnsServer) -> list[DomainStatus]:
    """One audit of the world."""
    return audit_domains(OWNED, RETIRED, Resolver(settings_for(world.address)))


class TestAudit:
    def test_each_domain_gets_its_state(self, statuses: list[DomainStatus]) -> None:
        """ok / drift / nxdomain / error, owned first, in the policy's order."""
        assert [(s.domain, s.role, s.state) for s in statuses] == [
            ("samen-veilig.test", "owned", "ok"),
            ("veiligthuisutrecht.test", "owned", "ok"),
            ("bjzutrecht.test", "retired", "drift"),
            ("bjzflevo.test", "retired", "ok"),
            ("bjzgooi.test", "retired", "nxdomain"),
            ("x.broken.test", "retired", "error"),
        ]

    def test_details_say_what_was_found(self, statuses: list[DomainStatus]) -> None:
        """Details tell the officer what changed, or why there is nothing to compare."""
        by_domain = {s.domain: s.detail for s in statuses}
        assert by_domain == {
            "samen-veilig.test": "MX and NS as expected",
            "veiligthuisutrecht.test": (
                "exists; no expectation in the policy to compare "
                "(mail host mx.partner-hoster.example)"
            ),
            "bjzutrecht.test": (
                "MX mx.catchall-hoster.example not in expected mx1.samen-veilig.test, "
                "mx2.samen-veilig.test"
            ),
            "bjzflevo.test": "still ours: MX and NS as expected",
            "bjzgooi.test": (
                "bjzgooi.test does not exist (NXDOMAIN): lapsed, anyone can register it"
            ),
            "x.broken.test": "MX lookup failed: SERVFAIL",
        }

    def test_records_and_soa_serial(self, statuses: list[DomainStatus]) -> None:
        """Existing domains show MX, NS and the SOA serial; failed ones the error."""
        first, *_, broken = statuses
        assert first.mx == ("mx1.samen-veilig.test", "mx2.samen-veilig.test")
        assert first.ns == ("ns1.provider.test", "ns2.provider.test")
        assert first.soa_serial == 2026052001
        assert statuses[1].ns == ("ns1.provider.test", "ns2.provider.test")  # shown, unasked
        assert (broken.error, broken.soa_serial) == ("SERVFAIL", None)

    def test_has_drift(self, statuses: list[DomainStatus]) -> None:
        """has_drift() is true when any domain drifted (the CLI exits 1)."""
        assert has_drift(statuses)
        assert not has_drift([s for s in statuses if s.state != "drift"])

    def test_audit_bypasses_and_refreshes_the_cache(self, own_dns: DnsServer) -> None:
        """A change is seen at once by the audit, and by the mail path's cache after it."""
        own_dns.start(WORLD)
        world = own_dns
        resolver = Resolver(settings_for(world.address))
        deadline = time.monotonic() + 2
        assert (
            resolver.lookup("samen-veilig.test", "MX", deadline).records[0]
            == "mx1.samen-veilig.test"
        )
        world.restart([Zone("samen-veilig.test", mx=((10, "mx.catchall-hoster.example"),))])
        [status] = audit_domains({"samen-veilig.test": OURS}, {}, resolver)
        assert status.state == "drift"
        cached = resolver.lookup("samen-veilig.test", "MX", time.monotonic() + 2)
        assert (cached.from_cache, cached.records) == (True, ("mx.catchall-hoster.example",))

    def test_nothing_to_audit(self, world: DnsServer) -> None:
        """No domains, no queries, no rows."""
        assert audit_domains({}, {}, Resolver(settings_for(world.address))) == []


class TestRendering:
    def test_table(self, statuses: list[DomainStatus]) -> None:
        """One aligned row per domain, states in capitals, counts at the end."""
        lines = render_table(statuses).splitlines()
        assert lines[0].split() == ["DOMAIN", "ROLE", "STATE", "DETAIL"]
        role_column = lines[0].index("ROLE")
        state_column = lines[0].index("STATE")
        for line, status in zip(lines[1:-1], statuses, strict=True):
            assert line.startswith(status.domain + " ")
            assert line[role_column:].startswith(status.role)
            assert line[state_column:].startswith(status.state.upper())
            assert line.endswith(status.detail)
        assert lines[-1] == "3 ok, 1 drift, 1 nxdomain, 1 error"

    def test_json(self, statuses: list[DomainStatus]) -> None:
        """Plain dicts that json.dumps accepts, with every field."""
        data = json.loads(json.dumps(to_json(statuses)))
        assert data[2] == {
            "domain": "bjzutrecht.test",
            "role": "retired",
            "state": "drift",
            "detail": (
                "MX mx.catchall-hoster.example not in expected mx1.samen-veilig.test, "
                "mx2.samen-veilig.test"
            ),
            "mx": ["mx.catchall-hoster.example"],
            "ns": ["ns1.provider.test", "ns2.provider.test"],
            "soa_serial": 2026052001,
            "error": None,
        }


class TestDomainWatcher:
    def test_calls_back_every_interval_and_stops(self, world: DnsServer) -> None:
        """The watcher audits at once, then every interval, until stopped."""
        rounds: list[list[DomainStatus]] = []
        two = threading.Event()

        def callback(statuses: list[DomainStatus]) -> None:
            rounds.append(statuses)
            if len(rounds) >= 2:
                two.set()

        watcher = DomainWatcher(
            {"samen-veilig.test": OURS}, {}, Resolver(settings_for(world.address)), callback, 0.05
        )
        watcher.start()
        assert two.wait(5)
        watcher.stop()
        done = len(rounds)
        time.sleep(0.15)
        assert len(rounds) == done
        assert rounds[0][0].state == "ok"
        assert watcher.last is not None

    def test_errors_never_escape_the_thread(self, world: DnsServer) -> None:
        """A failing callback is logged and the next round still runs."""
        calls: list[int] = []
        again = threading.Event()

        def callback(statuses: list[DomainStatus]) -> None:
            calls.append(1)
            if len(calls) >= 2:
                again.set()
            raise RuntimeError("gauge broke")

        watcher = DomainWatcher(
            {"samen-veilig.test": OURS}, {}, Resolver(settings_for(world.address)), callback, 0.05
        )
        with capture_logs() as logs:
            watcher.start()
            assert again.wait(5)
            watcher.stop()
        assert any(e["event"] == "domains_watch_failed" for e in logs)
        assert watcher.run_once() is None

    def test_update_swaps_domains(self, world: DnsServer) -> None:
        """After update() (policy reload) the next round audits the new list."""
        watcher = DomainWatcher(
            {"samen-veilig.test": OURS}, {}, Resolver(settings_for(world.address)), lambda s: None
        )
        watcher.update({}, {"bjzutrecht.test": Expectation(mx=("mx*.samen-veilig.test",))})
        statuses = watcher.run_once()
        assert statuses is not None
        assert [(s.domain, s.role, s.state) for s in statuses] == [
            ("bjzutrecht.test", "retired", "drift")
        ]

    def test_refuses_bad_interval_and_double_start(self, world: DnsServer) -> None:
        """A zero interval or a second start() is a programming error."""
        resolver = Resolver(settings_for(world.address))
        with pytest.raises(ValueError):
            DomainWatcher({}, {}, resolver, lambda s: None, 0)
        watcher = DomainWatcher({}, {}, resolver, lambda s: None, 60)
        watcher.start()
        with pytest.raises(RuntimeError):
            watcher.start()
        watcher.stop()
