"""`postwarden init` against a real Postfix configuration and a real DNS server.

A Postfix configuration directory written with `postconf -e` (what an admin's main.cf says:
mydestination with $myhostname and $mydomain, relay_domains naming a hash table and a domain),
dnsmasq on loopback answering MX and NS, and a gzipped mail log of a day's outgoing mail. The
draft must pass `postwarden policy check`, carry DNS's MX and NS as expect (so the domain watch
finds the owned domain as it is), and list partners, lookalikes and dead domains from the log.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from milter.policy import load_policy
from tests.e2e.stack import ROOT
from tests.support.dnsserver import BlackHole, DnsServer, DnsServerError, Zone
from tests.unit.policy.test_draft import realistic_log

NS = ("ns1.provider.test", "ns2.provider.test")
ZONES = [
    Zone("jz-noord.nl", mx=((10, "mx1.jz-noord.nl"), (20, "mx2.jz-noord.nl"))),
    Zone("jz-project.nl", mx=((10, "mx.hoster.example"),)),
    # jz-oud.nl is not there: it lapsed. verlopen-domein.nl neither.
    Zone("ziekenhuis-noord.nl", mx=((10, "mx.ziekenhuis-noord.nl"),)),
    Zone("gemeente-stad.nl", mx=((10, "mx.gemeente-stad.nl"),)),
    Zone("jz-n00rd.nl", mx=((10, "mx.catchall.example"),)),
]


def postconf(config: Path, *settings: str) -> None:
    subprocess.run(["postconf", "-c", str(config), "-e", *settings], check=True, timeout=30)


@pytest.fixture
def postfix_config(postfix_binaries: None, tmp_path: Path) -> Path:
    """A Postfix configuration directory as an admin's server might have it."""
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text("")
    relay = config / "relay_domains"
    relay.write_text("jz-project.nl OK\nsub.jz-noord.nl OK\n")
    subprocess.run(["postmap", "-c", str(config), f"hash:{relay}"], check=True, timeout=30)
    postconf(
        config,
        "myhostname=mail.jz-noord.nl",
        "mydomain=jz-noord.nl",
        "mydestination=$myhostname, $mydomain, localhost.$mydomain, localhost",
        f"relay_domains=hash:{relay}, jz-oud.nl",
    )
    return config


@pytest.fixture
def dns(tmp_path: Path) -> Iterator[DnsServer]:
    """dnsmasq with ZONES on loopback."""
    server = DnsServer(tmp_path / "dns")
    try:
        server.start(ZONES, ns=NS)
    except DnsServerError as err:
        pytest.fail(str(err), pytrace=False)
    yield server
    server.stop()


def init(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "milter", "init", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip


def policy_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "milter", "policy", "check", str(path)],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )  # fmt: skip


class TestInit:
    def test_draft_from_postfix_dns_and_log(
        self, postfix_config: Path, dns: DnsServer, tmp_path: Path
    ) -> None:
        """Owned domains from postconf and the hash table, MX/NS from DNS as expect, the lapsed
        one marked; partners, the lookalike and dead domains from the log; policy check passes
        and the domain watch finds the drafted domain as it is."""
        log = tmp_path / "mail.log.1.gz"
        log.write_bytes(gzip.compress(("\n".join(realistic_log()) + "\n").encode()))
        out = tmp_path / "policy.yaml"
        done = init(
            "--postfix-config", str(postfix_config), "--nameserver", dns.address,
            "--from-log", str(log), "--org", "Jeugdzorg Noord", "--output", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"postwarden policy check {out}" in done.stderr
        checked = policy_check(out)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.startswith("policy OK: Jeugdzorg Noord, 3 owned domains")

        policy = load_policy(out)
        owned = {o.domain: o.expect for o in policy.owned_domains}
        assert list(owned) == ["jz-noord.nl", "jz-project.nl", "jz-oud.nl"]
        noord, project = owned["jz-noord.nl"], owned["jz-project.nl"]
        assert noord is not None and noord.mx == ("mx1.jz-noord.nl", "mx2.jz-noord.nl")
        assert noord.ns == NS
        assert project is not None and project.mx == ("mx.hoster.example",)
        assert owned["jz-oud.nl"] is None

        text = out.read_text()
        assert "the domain does not exist in DNS" in text  # jz-oud.nl
        assert "mail.jz-noord.nl (this machine's host name)" in text
        assert "sub.jz-noord.nl (covered by its parent domain)" in text
        assert "#   - ziekenhuis-noord.nl  # 40 sent" in text
        assert "#   - gemeente-stad.nl     # 25 sent" in text
        assert "jz-n00rd.nl          # 3 sent  LOOKS LIKE OURS: jz-noord.nl" in text
        assert "#   verlopen-domein.nl  (1 deliveries; does not exist in DNS)" in text
        assert "jz-oud.nl  (1 deliveries" not in text  # ours: not a partner, not "dead"
        assert "@" not in text.split("retired_domains: []")[1].split("content:")[0]

        audit = subprocess.run(
            [sys.executable, "-m", "milter", "domains", "audit", "--policy", str(out),
             "--nameserver", dns.address, "--json"],
            capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
        )  # fmt: skip
        states = {s["domain"]: s["state"] for s in json.loads(audit.stdout)}
        assert states == {"jz-noord.nl": "ok", "jz-project.nl": "ok", "jz-oud.nl": "nxdomain"}

    def test_offline_asks_no_dns_and_still_passes_check(
        self, postfix_config: Path, dns: DnsServer, tmp_path: Path
    ) -> None:
        """--offline: not one query reaches the DNS server; MX/NS are TODOs; the draft (to
        stdout) passes policy check; the organisation defaults to mydomain."""
        before = dns.queries()
        done = init("--postfix-config", str(postfix_config), "--offline",
                    "--nameserver", dns.address)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert dns.queries() == before
        out = tmp_path / "offline.yaml"
        out.write_text(done.stdout)
        checked = policy_check(out)
        assert checked.returncode == 0, checked.stderr
        policy = load_policy(out)
        assert policy.organisation == "jz-noord.nl"
        assert all(o.expect is None for o in policy.owned_domains)
        assert done.stdout.count("# TODO: MX and NS: DNS not asked (--offline)") == 3

    def test_existing_output_needs_force(self, postfix_config: Path, tmp_path: Path) -> None:
        """An existing --output is never overwritten without --force."""
        out = tmp_path / "policy.yaml"
        out.write_text("mine\n")
        refused = init("--postfix-config", str(postfix_config), "--offline", "--output", str(out))
        assert refused.returncode == 2 and "--force" in refused.stderr
        assert out.read_text() == "mine\n"
        forced = init("--postfix-config", str(postfix_config), "--offline", "--output", str(out),
                      "--force")  # fmt: skip
        assert forced.returncode == 0, forced.stderr
        assert policy_check(out).returncode == 0

    def test_no_domain_in_postfix_exits_2_with_advice(self, tmp_path: Path) -> None:
        """A configuration with only localhost gives no draft: exit 2 naming --domain; with
        --domain the draft is made."""
        config = tmp_path / "bare"
        config.mkdir()
        (config / "main.cf").write_text("")
        postconf(config, "myhostname=mail.local.lan", "mydestination=$myhostname, localhost")
        refused = init("--postfix-config", str(config), "--offline")
        assert refused.returncode == 2 and "--domain" in refused.stderr
        assert refused.stdout == ""
        made = init("--postfix-config", str(config), "--offline", "--domain", "jz-noord.nl")
        assert made.returncode == 0 and "  - domain: jz-noord.nl    # from --domain" in made.stdout

    def test_silent_dns_leaves_todos_never_guesses(
        self, postfix_config: Path, tmp_path: Path
    ) -> None:
        """A nameserver that never answers: the draft still comes (exit 0, passes check), with
        no expect and a TODO saying DNS did not answer."""
        with BlackHole() as hole:
            done = init("--postfix-config", str(postfix_config), "--domain", "jz-noord.nl",
                        "--nameserver", hole.address)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "DNS did not answer for MX (timeout)" in done.stdout
        out = tmp_path / "silent.yaml"
        out.write_text(done.stdout)
        assert policy_check(out).returncode == 0
        assert all(o.expect is None for o in load_policy(out).owned_domains)

    def test_unreadable_log_exits_2(self, postfix_config: Path, tmp_path: Path) -> None:
        """A --from-log that cannot be read stops init: exit 2 naming the file, no draft."""
        missing = tmp_path / "mail.log"
        done = init(
            "--postfix-config", str(postfix_config), "--offline", "--from-log", str(missing)
        )
        assert done.returncode == 2 and done.stdout == ""
        assert str(missing) in done.stderr
