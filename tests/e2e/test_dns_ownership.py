"""Domain ownership in the mail path: real Postfix, Postwarden and dnsmasq on loopback.

The scenario of the incident: a domain we believe is ours has its MX moved to a stranger's
catch-all. Postwarden must notice in DNS and refuse at RCPT, `postwarden domains audit` must
report the drift and exit 1, and DNS trouble must never let mail through unchecked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.postfix import (
    MilterFactory,
    PostfixFactory,
    PostfixInstance,
    Sink,
    smtp_send,
)
from tests.e2e.stack import ROOT, Ports, start_postfix, start_postwarden
from tests.e2e.test_retired_domains import SENDER, message
from tests.support.dnsserver import DnsServer, DnsServerError, Zone

OUR_MX = ((10, "mx1.samen-veilig.nl"), (20, "mx2.samen-veilig.nl"))
ZONES = [
    Zone("samen-veilig.nl", mx=OUR_MX),
    Zone("veiligthuisutrecht.nl", mx=OUR_MX),
    Zone("bjzutrecht.nl", mx=((10, "mx.catchall-hoster.example"),)),
    Zone("partner.example", mx=((10, "mx.partner.example"),)),
]
MOVED = [Zone("samen-veilig.nl", mx=((10, "mx.catchall-hoster.example"),)), *ZONES[1:]]
BUDGET_MS = 1500


def policy_text(nameserver: str) -> str:
    example = (ROOT / "policies" / "example.yaml").read_text()
    head = example.split("# Domains the organisation holds today")[0]
    return (
        head
        + f"""
owned_domains:
  - domain: samen-veilig.nl
    expect: {{mx: [mx1.samen-veilig.nl, mx2.samen-veilig.nl], ns: ['ns*.provider.test']}}
  - domain: veiligthuisutrecht.nl
retired_domains:
  - domain: bjzutrecht.nl
    retired_since: 2017-12-31
    owner: Hoofd Informatiemanagement
    reply: {{nl: "Dit adres bestaat niet meer.", en: "This address no longer exists."}}
dns:
  nameservers: ['{nameserver}']
  timeout_ms: 500
  budget_ms: {BUDGET_MS}
  on_failure: tempfail
lookalikes:
  action: quarantine
  allow: [partner-veilig.nl]
...
"""
    )


@dataclass
class DnsStack:
    postfix: PostfixInstance
    dns: DnsServer
    sink: Sink
    policy: Path
    metrics_port: int

    def domain_state(self, domain: str) -> str | None:
        """The state the running milter's domain watch exports for `domain`."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            text = resp.read().decode()
        for line in text.splitlines():
            ours = line.startswith("postwarden_domain_state{") and f'domain="{domain}"' in line
            if ours and line.endswith(" 1.0"):
                return line.split('state="')[1].split('"')[0]
        return None

    def wait_state(self, domain: str, state: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.domain_state(domain) != state and time.monotonic() < deadline:
            time.sleep(0.3)
        assert self.domain_state(domain) == state


@pytest.fixture
def stack(
    request: pytest.FixtureRequest,
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> Iterator[DnsStack]:
    """dnsmasq with ZONES, Postwarden (one process, or `--workers N` when the test is
    parametrised with N) watching every second, and Postfix in front."""
    workers = int(getattr(request, "param", 1))
    try:
        dns = DnsServer(tmp_path / "dns")
        dns.start(ZONES, blackhole=["traag.example"], ttl=1)
    except DnsServerError as err:
        pytest.fail(str(err), pytrace=False)
    try:
        policy = tmp_path / "policy.yaml"
        policy.write_text(policy_text(dns.address))
        ports = Ports.free()
        extra = ("--workers", str(workers)) if workers > 1 else ()
        start_postwarden(milter_factory, ports, policy, "--watch-interval", "1", *extra)
        pf = start_postfix(postfix_factory, ports)
        yield DnsStack(pf, dns, sink, policy, ports.metrics)
    finally:
        dns.stop()


def audit(policy: Path, nameserver: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "milter",
            "domains",
            "audit",
            "--policy",
            str(policy),
            "--nameserver",
            nameserver,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


class TestOwnershipDrift:
    @pytest.mark.parametrize("stack", [1, 2], indirect=True, ids=["one-process", "workers2"])
    def test_moved_mx_is_refused_at_rcpt_and_audit_reports_it(self, stack: DnsStack) -> None:
        """Ours: delivered. MX moved to a stranger: 550 at RCPT, and the audit exits 1; the
        same with --workers 2 (the workers look up DNS, the supervisor exports the watch)."""
        ok = smtp_send(
            stack.postfix.smtp_port, SENDER, ["collega@samen-veilig.nl"], message("before-move")
        )
        assert ok.rcpt("collega@samen-veilig.nl").code == 250 and ok.delivered
        stack.sink.wait_for(lambda m: m.header("Subject") == "before-move")
        before = audit(stack.policy, stack.dns.address)
        assert before.returncode == 0, before.stdout + before.stderr
        stack.wait_state("samen-veilig.nl", "ok")  # the running milter's own watch

        stack.dns.restart(MOVED, blackhole=["traag.example"], ttl=1)
        time.sleep(1.5)  # the resolver's cache honours the 1 s TTL
        moved = smtp_send(
            stack.postfix.smtp_port,
            SENDER,
            ["collega@samen-veilig.nl", "a@partner.example"],
            message("after-move"),
        )
        reply = moved.rcpt("collega@samen-veilig.nl")
        assert reply.code == 550, reply
        assert "ownership_drift" in reply.text and "mx.catchall-hoster.example" in reply.text
        assert moved.rcpt("a@partner.example").code == 250
        got = stack.sink.wait_for(lambda m: m.header("Subject") == "after-move")
        assert got.rcpt_tos == ["a@partner.example"]

        after = audit(stack.policy, stack.dns.address)
        assert after.returncode == 1, after.stdout + after.stderr
        states = {s["domain"]: s["state"] for s in json.loads(after.stdout)}
        assert states["samen-veilig.nl"] == "drift"
        stack.wait_state("samen-veilig.nl", "drift")  # and the gauge the alert watches


class TestWatchRunsOnce:
    @pytest.mark.parametrize("stack", [1, 2], indirect=True, ids=["one-process", "workers2"])
    def test_the_domain_watch_asks_dns_as_often_with_workers(self, stack: DnsStack) -> None:
        """With --workers 2 only the supervisor watches: in 6 s the watch (every 1 s) asks
        for samen-veilig.nl's NS records about 6 times, not once per process."""
        stack.wait_state("samen-veilig.nl", "ok")
        before = stack.dns.queries("samen-veilig.nl", "NS")
        time.sleep(6)
        asked = stack.dns.queries("samen-veilig.nl", "NS") - before
        print(f"NS queries for samen-veilig.nl in 6 s: {asked}")
        assert 2 <= asked <= 9


class TestExistenceAndTrouble:
    def test_nonexistent_domain_refused(self, stack: DnsStack) -> None:
        """A recipient domain that does not exist is refused with 5.1.2."""
        result = smtp_send(
            stack.postfix.smtp_port, SENDER, ["x@bestaat-niet.example"], message("nx")
        )
        reply = result.rcpt("x@bestaat-niet.example")
        assert (
            reply.code == 550
            and reply.text.startswith("5.1.2")
            and "nonexistent_domain" in reply.text
        )

    def test_silent_nameserver_tempfails_within_budget(self, stack: DnsStack) -> None:
        """DNS that never answers: 451 within the per-message budget, nothing delivered."""
        start = time.monotonic()
        result = smtp_send(stack.postfix.smtp_port, SENDER, ["x@traag.example"], message("slow"))
        elapsed = time.monotonic() - start
        reply = result.rcpt("x@traag.example")
        assert reply.code == 451 and reply.text.startswith("4.4.3"), reply
        assert 0.5 <= elapsed < BUDGET_MS / 1000 + 1.0, elapsed
        assert not result.delivered and stack.sink.messages == []

    def test_lookalike_is_quarantined(self, stack: DnsStack) -> None:
        """Mail to a domain that imitates ours lands in the hold queue with the reason."""
        stack.dns.restart(
            [*ZONES, Zone("samenveilig.nl", mx=((10, "mx.other.example"),))],
            blackhole=["traag.example"],
            ttl=1,
        )
        result = smtp_send(
            stack.postfix.smtp_port, SENDER, ["x@samenveilig.nl"], message("lookalike")
        )
        assert result.delivered
        held = stack.postfix.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q))
        qid = next(e["queue_id"] for e in held if e["queue_name"] == "hold")
        headers = stack.postfix.postcat(qid)
        assert "X-Postwarden-Quarantine: lookalike_domain" in headers
        assert stack.sink.messages == []
