"""DnsGatherer.answered: whether gathering would send a DNS query (real dnsmasq on loopback)."""

from __future__ import annotations

import dataclasses

from milter.core.address import Address, parse_address
from milter.domains.gather import DnsGatherer, MessageDns
from milter.policy.model import OwnedDomain
from tests.support.dnsserver import DnsServer
from tests.unit.core.test_engine import POLICY
from tests.unit.domains.conftest import OURS, settings_for


def recipient(text: str) -> Address:
    address = parse_address(text)
    assert isinstance(address, Address)
    return address


class TestAnswered:
    def test_no_dns_section_needs_no_query(self) -> None:
        """A policy without a dns section never asks DNS."""
        assert DnsGatherer().answered(POLICY, [recipient("a@partner.test")], MessageDns())

    def test_cached_answers_need_no_query(self, dns_server: DnsServer) -> None:
        """Before the first lookup a query is needed; once cached, a new message needs none."""
        policy = dataclasses.replace(POLICY, dns=settings_for(dns_server.address))
        gatherer = DnsGatherer()
        rcpts = [recipient("a@partner.test")]
        assert not gatherer.answered(policy, rcpts, MessageDns())
        first = MessageDns()
        gatherer.gather(policy, rcpts, first)
        assert gatherer.answered(policy, rcpts, first)  # in the message's own answers
        assert gatherer.answered(policy, rcpts, MessageDns())  # in the resolver's cache
        assert not gatherer.answered(policy, [recipient("b@implicit.test")], MessageDns())

    def test_owned_domain_needs_its_ns_answer_too(self, dns_server: DnsServer) -> None:
        """An owned domain with expected NS is answered only when MX and NS are cached."""
        policy = dataclasses.replace(
            POLICY,
            dns=settings_for(dns_server.address),
            owned_domains=(OwnedDomain("samen-veilig.test", OURS),),
        )
        gatherer = DnsGatherer()
        rcpts = [recipient("jeugd@samen-veilig.test")]
        resolver = gatherer.resolver(settings_for(dns_server.address))
        resolver.lookup("samen-veilig.test", "MX", resolver.clock() + 2)
        assert not gatherer.answered(policy, rcpts, MessageDns())
        resolver.lookup("samen-veilig.test", "NS", resolver.clock() + 2)
        assert gatherer.answered(policy, rcpts, MessageDns())
