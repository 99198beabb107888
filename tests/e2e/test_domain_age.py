"""Domain age in a real Postfix: a dossier to a partner domain that was registered again 12 days
ago is held, with the RDAP facts ("registered 2026-11-25, 12 days ago") in the hold reason, the
sender's notice and the audit record; the same dossier to a long-registered domain goes out; and
with the RDAP server down the policy's on_failure (tempfail) answers 451 at end of message.

RDAP is a local server on loopback (tests/support/rdapserver.py, SIDN-shaped answers), named by
a bootstrap file in the test's directory: plain http is allowed for loopback only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.e2e.postfix import MilterFactory, PostfixFactory, PostfixInstance, Sink, smtp_send
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix, start_postwarden
from tests.e2e.test_held_notices import held_queue_id, notice
from tests.support.rdapserver import RdapServer

DOSSIER = (ROOT / "tests" / "corpus" / "dossier_gewijzigd_extern.eml").read_bytes()
SENDER = "j.jansen@samen-veilig.nl"
REREGISTERED = "jeugdarts@nieuwe-kliniek.example"
OLD = "jeugdarts@ziekenhuis.example"
TODAY = dt.datetime.now(dt.UTC).date()
AGE_RULE = """\
    - id: client-data-new-domain
      description: client data to a recently registered or changed domain
      when:
        all:
          - {detector: bsn, confidence: high}
          - any:
              - {domain_registered_within: 30d}
              - {domain_changed_within: 30d}
      action: quarantine
"""
MONITORED = "      action: quarantine\n    - id: iban-external"
MONITORED_NOW = "      action: quarantine\n      mode: monitor\n    - id: iban-external"


def start(
    postfix_factory: PostfixFactory, milter_factory: MilterFactory, tmp_path: Path, rdap: RdapServer
) -> tuple[PostfixInstance, Ports, Path]:
    """Postfix, then the milter on the example policy with its dossier rule in monitor mode, an
    RDAP age rule and an rdap section whose bootstrap names the loopback server."""
    ports = Ports.free()
    pf = start_postfix(postfix_factory, ports)
    bootstrap = rdap.write_bootstrap(tmp_path / "rdap-dns.json", ["example"])
    text = POLICY.read_text().replace("relay: 127.0.0.1:25", f"relay: 127.0.0.1:{pf.smtp_port}")
    assert text.count(MONITORED) == 1 and text.count("  rules:\n") == 1
    text = text.replace(MONITORED, MONITORED_NOW).replace("  rules:\n", "  rules:\n" + AGE_RULE)
    section = f"rdap:\n  bootstrap: {bootstrap}\n  timeout_ms: 1000\n  budget_ms: 2000\n"
    text = text.rstrip().removesuffix("...") + section + "...\n"
    policy, audit = tmp_path / "policy.yaml", tmp_path / "audit.jsonl"
    policy.write_text(text)
    start_postwarden(milter_factory, ports, policy, "--audit-log", str(audit))
    return pf, ports, audit


def test_reregistered_partner_domain_is_held_with_rdap_facts(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> None:
    """Registered 12 days ago: held with the RDAP facts in the reason (header, notice, audit);
    registered in 1999 and changed last year: delivered."""
    registered = TODAY - dt.timedelta(days=12)
    domains = {
        "nieuwe-kliniek.example": (registered.isoformat(), registered.isoformat()),
        "ziekenhuis.example": ("1999-03-01", "2025-05-02"),
    }
    with RdapServer(domains) as rdap:
        pf, ports, audit = start(postfix_factory, milter_factory, tmp_path, rdap)
        assert smtp_send(pf.smtp_port, SENDER, [REREGISTERED], DOSSIER).delivered
        qid = held_queue_id(pf)
        facts = f"nieuwe-kliniek.example registered {registered.isoformat()}, 12 days ago"
        assert facts in pf.postcat(qid)  # X-Postwarden-Quarantine
        told = sink.wait_for(notice("sender-held", SENDER), timeout=30)
        assert facts in told.message.get_body().get_content()  # type: ignore[union-attr]
        assert smtp_send(pf.smtp_port, SENDER, [OLD], DOSSIER).delivered
        sink.wait_for(lambda m: OLD in m.rcpt_tos, timeout=30)
        assert rdap.requests == ["nieuwe-kliniek.example", "ziekenhuis.example"]
        metrics = ports.metrics_text()
    held = next(
        r
        for r in map(json.loads, audit.read_text().splitlines())
        if r["kind"] == "message" and r["action"] == "quarantine"
    )
    assert held["rule"] == "client-data-new-domain"
    assert held["domain_age"][0] == {
        "domain": "nieuwe-kliniek.example",
        "event": "registration",
        "date": registered.isoformat(),
        "age_days": 12,
    }
    assert 'postwarden_rdap_queries_total{result="ok"} 2.0' in metrics


def test_rdap_down_gives_the_policys_on_failure(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> None:
    """RDAP answers 503: on_failure tempfail makes Postfix answer 451 4.4.3 at end of message
    (the client retries); nothing is delivered or held; mail without client data is not
    affected (RDAP is not asked)."""
    with RdapServer({}) as rdap:
        pf, ports, _ = start(postfix_factory, milter_factory, tmp_path, rdap)
        rdap.down = True
        result = smtp_send(pf.smtp_port, SENDER, [REREGISTERED], DOSSIER)
        assert not result.delivered
        assert result.data is not None and result.data.code == 451, result.data
        assert "rdap_failure" in result.data.text
        plain = b"From: j.jansen@samen-veilig.nl\r\nSubject: overleg\r\n\r\nTot dinsdag.\r\n"
        assert smtp_send(pf.smtp_port, SENDER, [REREGISTERED], plain).delivered
        sink.wait_for(lambda m: REREGISTERED in m.rcpt_tos, timeout=30)
        assert rdap.requests == ["nieuwe-kliniek.example"]
        assert not any(e["queue_name"] == "hold" for e in pf.postqueue_json())
        assert 'postwarden_rdap_queries_total{result="error"} 1.0' in ports.metrics_text()
