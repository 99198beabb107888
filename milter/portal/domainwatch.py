"""The domain watch as the portal shows it: each listed domain's DNS state, read from a milter's
/metrics (``postwarden_domain_state``, 1 for the current state of each domain the policy lists).

The milter's domain watch checks the owned and retired domains' MX and NS on a timer and exports
what it found; the portal reads that export (``metrics_url`` in its configuration: a gateway's
``serve --metrics-listen``, on loopback where the portal runs on a gateway) instead of asking DNS
itself, so officers see what the gateways act on. An export that cannot be read is reported as
unreadable — never as "all ok".
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

TIMEOUT_S = 3.0
MAX_BYTES = 4 << 20
# the states that need an officer's attention: ownership lost or unknown
ATTENTION = frozenset({"drift", "nxdomain", "no_mail_host", "error"})


@dataclass(frozen=True, slots=True)
class DomainState:
    domain: str
    role: str  # owned / retired
    state: str  # ok / drift / nxdomain / no_mail_host / error / unknown

    @property
    def attention(self) -> bool:
        return self.state in ATTENTION


def parse_states(text: str) -> list[DomainState]:
    """The current state of each domain in a Prometheus text export."""
    states: list[DomainState] = []
    for family in text_string_to_metric_families(text):
        if family.name != "postwarden_domain_state":
            continue
        for sample in family.samples:
            labels = sample.labels
            if sample.value == 1 and {"domain", "role", "state"} <= labels.keys():
                states.append(DomainState(labels["domain"], labels["role"], labels["state"]))
    return sorted(set(states), key=lambda s: (s.role, s.domain))


def read_states(url: str, timeout_s: float = TIMEOUT_S) -> list[DomainState] | None:
    """The states at ``url`` (a /metrics address), or None when it cannot be read."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            text = response.read(MAX_BYTES).decode("utf-8", "replace")
        return parse_states(text)
    except (OSError, ValueError):
        return None
