"""Fixtures for the domain tests: dnsmasq on loopback with zone data, a fake clock."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from milter.domains.dns import Resolver
from milter.domains.model import DnsSettings, Expectation
from tests.support.dnsserver import BlackHole, DnsServer, DnsServerError, Zone

OURS = Expectation(mx=("mx1.samen-veilig.test", "mx2.samen-veilig.test"), ns=("ns*.provider.test",))
OUR_MX = ((10, "mx1.samen-veilig.test"), (20, "mx2.samen-veilig.test"))

# The shared server's data: every name the read-only tests need.
ZONES = (
    Zone("samen-veilig.test", mx=OUR_MX, hosts=(("jeugd.samen-veilig.test", "192.0.2.10"),)),
    Zone("cloud.test", mx=((0, "samenveilig-test.mail.protection.outlook.com"),)),
    Zone("extra-mx.test", mx=((10, "mx1.samen-veilig.test"), (5, "mx.catchall-hoster.example"))),
    Zone("extra-ns.test", mx=OUR_MX, extra_ns=("ns1.foreign-dns.example",)),
    Zone("implicit.test", a=("192.0.2.7",)),
    Zone("implicit6.test", aaaa=("2001:db8::7",)),
    Zone("nullmx.test", mx=((0, "."),)),
    Zone("empty.test"),
    Zone("partner.test", mx=((10, "mx.partner.test"),)),
    Zone("alias.test", cname="samen-veilig.test", apex=False),
    Zone(
        "big.test",
        mx=tuple((i, f"mx{i:03d}.a-rather-long-mail-exchanger-name.example") for i in range(40)),
    ),
)


def _server(workdir: Path) -> DnsServer:
    try:
        return DnsServer(workdir)
    except DnsServerError as err:
        pytest.fail(str(err), pytrace=False)


def start_server(workdir: Path, zones: Sequence[Zone], **kwargs: Any) -> DnsServer:
    """A started dnsmasq pair; pytest.fail (never skip) when dnsmasq is missing or broken."""
    server = _server(workdir)
    try:
        server.start(zones, **kwargs)
    except DnsServerError as err:
        server.stop()
        pytest.fail(str(err), pytrace=False)
    return server


@pytest.fixture(scope="session")
def dns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    """One dnsmasq pair for read-only tests (count queries as differences, per name)."""
    server = start_server(
        tmp_path_factory.mktemp("dns"), ZONES, servfail=["broken.test"], blackhole=["slow.test"]
    )
    yield server
    server.stop()


@pytest.fixture
def own_dns(tmp_path: Path) -> Iterator[DnsServer]:
    """A dnsmasq pair of the test's own, not started: the test starts and restarts it."""
    server = _server(tmp_path / "dns")
    yield server
    server.stop()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    """A nameserver that never answers."""
    with BlackHole() as hole:
        yield hole


def settings_for(*nameservers: str, **kwargs: int) -> DnsSettings:
    """DnsSettings with short timeouts, for tests."""
    values = {"timeout_ms": 300, "budget_ms": 1000, **kwargs}
    return DnsSettings(nameservers=nameservers, **values)  # type: ignore[arg-type]


@pytest.fixture
def resolver(dns_server: DnsServer) -> Resolver:
    """A fresh resolver (empty cache) on the shared server."""
    return Resolver(settings_for(dns_server.address))


class FakeClock:
    """A monotonic clock the test moves by hand (for TTLs)."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting at the real monotonic time."""
    return FakeClock()
