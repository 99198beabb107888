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

from milter.address import Address, Malformed
from milter.domains.dns import Observer, Resolver, check_domain
from milter.domains.model import DnsSettings, DomainFacts
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
        todo = [d for d in questions if d not in state.answers]
        if todo:
            resolver = self.resolver(settings)
            if state.deadline is None:
                state.deadline = resolver.clock() + settings.budget_ms / 1000.0
            for domain in todo:
                state.answers[domain] = check_domain(
                    domain, questions[domain], resolver, state.deadline
                )
        return state.answers
