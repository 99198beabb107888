"""Facts gathering: the I/O that happens before the pure engine decides.

The engine never looks anything up. This module asks DNS the questions the policy has about
a message's recipient domains — and nothing else: retired domains are refused whatever DNS
says, and a policy without a ``dns`` section makes no lookups at all — within the policy's
per-message budget, and hands the answers over as ``Facts.dns``.

One resolver (with its TTL-respecting cache) is kept per DNS settings, so a reloaded policy
with the same settings keeps its warm cache, and changed settings get a fresh resolver.
``--nameserver`` on the command line overrides the policy's nameservers (tests, officers on a
laptop).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from milter.core.address import Address, Malformed
from milter.domains.dns import Observer, Resolver, check_domain
from milter.domains.model import DnsSettings, DomainFacts, Expectation
from milter.domains.ownership import questions_for
from milter.policy.model import Policy


@dataclass
class MessageDns:
    """DNS answers gathered for one message so far, and its budget's deadline."""

    answers: dict[str, DomainFacts] = field(default_factory=dict)
    deadline: float | None = None


class DnsGatherer:
    """Asks DNS what the policy wants to know about recipient domains."""

    def __init__(self, nameservers: tuple[str, ...] = (), observer: Observer | None = None) -> None:
        self._override = nameservers
        self._observer = observer
        self._resolvers: dict[DnsSettings, Resolver] = {}
        self._lock = threading.Lock()

    def resolver(self, settings: DnsSettings) -> Resolver:
        if self._override:
            settings = dataclasses.replace(settings, nameservers=self._override)
        with self._lock:
            resolver = self._resolvers.get(settings)
            if resolver is None:
                resolver = Resolver(settings, observer=self._observer)
                self._resolvers = {settings: resolver}  # keep only the settings in force
            return resolver

    def _questions(
        self, policy: Policy, recipients: Iterable[Address | Malformed], state: MessageDns
    ) -> dict[str, Expectation | None]:
        """What DNS must still be asked for these recipients (not yet in `state`)."""
        settings: DnsSettings | None = policy.dns
        if settings is None:
            return {}
        domains = [
            a.domain
            for a in recipients
            if isinstance(a, Address) and not a.is_literal and not a.is_null
        ]
        owned = {o.domain: o.expect for o in policy.owned_domains}
        retired = policy.retired_names()
        questions = questions_for(
            domains, owned, retired, check_existence=settings.refuse_nonexistent
        )
        return {d: e for d, e in questions.items() if d not in state.answers}

    def answered(
        self, policy: Policy, recipients: Iterable[Address | Malformed], state: MessageDns
    ) -> bool:
        """True when gather() would send no DNS query: every answer it needs is in `state`
        or in the resolver's cache (then gathering takes microseconds and cannot stall; an
        answer expiring in between is looked up within the policy's DNS budget)."""
        todo = self._questions(policy, recipients, state)
        if not todo or policy.dns is None:
            return True
        resolver = self.resolver(policy.dns)
        for domain, expectation in todo.items():
            mx = resolver.cached_status(domain, "MX")
            if mx is None or mx == "nodata":  # nodata: A/AAAA would be asked next
                return False
            if (
                expectation is not None
                and expectation.ns
                and mx != "nxdomain"
                and resolver.cached_status(domain, "NS") is None
            ):
                return False
        return True

    def gather(
        self,
        policy: Policy,
        recipients: Iterable[Address | Malformed],
        state: MessageDns,
    ) -> dict[str, DomainFacts] | None:
        """Answers for these recipients (added to `state`); None if the policy has no DNS."""
        settings: DnsSettings | None = policy.dns
        if settings is None:
            return None
        todo = self._questions(policy, recipients, state)
        if todo:
            resolver = self.resolver(settings)
            if state.deadline is None:
                state.deadline = resolver.clock() + settings.budget_ms / 1000.0
            for domain, expectation in todo.items():
                state.answers[domain] = check_domain(domain, expectation, resolver, state.deadline)
        return state.answers
