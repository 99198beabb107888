"""First contact in a real Postfix: the first dossier to a domain that never received client data
from the organisation is held, with the first-contact reason in the sender's notice, the audit
record and the metrics; once the history knows the domain (seeded by `postwarden history import`
from an existing audit trail) the same dossier goes out. Ordinary mail that goes out is recorded
(keyed hashes in the SQLite store) but does not make a later dossier any less "first".

The policy is the example with its own dossier rule in monitor mode, so only the first-contact
rule decides.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

from milter.audit.trail import AuditLog
from milter.core.address import parse_address
from milter.core.engine import Envelope, Facts, decide
from milter.history.model import Contact
from milter.history.store import SqliteHistory, contact_hash, load_key
from milter.policy import load_policy
from tests.e2e.postfix import MilterFactory, PostfixFactory, PostfixInstance, Sink, smtp_send
from tests.e2e.stack import (
    POLICY,
    ROOT,
    Ports,
    quarantine_cli,
    start_postfix,
    start_postwarden,
)
from tests.e2e.test_held_notices import assert_no_client_data, held_queue_id, notice

DOSSIER_PATH = ROOT / "tests" / "corpus" / "dossier_gewijzigd_extern.eml"
DOSSIER = DOSSIER_PATH.read_bytes()
ORDINARY = b"From: j.jansen@samen-veilig.nl\r\nSubject: overleg\r\n\r\nTot dinsdag.\r\n"
SENDER = "j.jansen@samen-veilig.nl"
NEW = "jeugdarts@nieuwe-kliniek.example"
KNOWN = "jeugdarts@ziekenhuis.example"
FIRST_RULE = """\
    - id: first-contact-client-data
      description: client data to a domain that never received any from us
      when:
        all:
          - {detector: bsn, confidence: high}
          - {first_contact: domain, kind: client_data}
      recipients: external
      action: quarantine
"""
# The example's dossier rule ends with these lines; monitor mode is added after its action.
MONITORED = "      action: quarantine\n    - id: iban-external"
MONITORED_NOW = "      action: quarantine\n      mode: monitor\n    - id: iban-external"


def write_policy(tmp_path: Path, smtp_port: int) -> Path:
    """The example policy: notices through this Postfix, its dossier rule in monitor mode, a
    first-contact rule and a history in tmp_path."""
    text = POLICY.read_text().replace("relay: 127.0.0.1:25", f"relay: 127.0.0.1:{smtp_port}")
    assert text.count(MONITORED) == 1 and text.count("  rules:\n") == 1
    text = text.replace(MONITORED, MONITORED_NOW)
    text = text.replace("  rules:\n", "  rules:\n" + FIRST_RULE)
    history = f"history:\n  store: {tmp_path}/history.sqlite\n  key_file: {tmp_path}/history.key\n"
    assert text.rstrip().endswith("...")
    text = text.rstrip().removesuffix("...") + history + "...\n"
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def start(
    postfix_factory: PostfixFactory, milter_factory: MilterFactory, tmp_path: Path
) -> tuple[PostfixInstance, Ports, Path, Path]:
    ports = Ports.free()
    pf = start_postfix(postfix_factory, ports)
    policy = write_policy(tmp_path, pf.smtp_port)
    audit = tmp_path / "audit.jsonl"
    start_postwarden(milter_factory, ports, policy, "--audit-log", str(audit))
    return pf, ports, policy, audit


def earlier_audit_trail(policy_path: Path, path: Path) -> None:
    """An audit trail from before the history existed: the dossier delivered to KNOWN (the
    organisation's own trail format, written by its AuditLog)."""
    policy = dataclasses.replace(load_policy(str(policy_path)), history=None)
    scanner = policy.content.scanner  # type: ignore[union-attr]
    envelope = Envelope(parse_address(SENDER), (parse_address(KNOWN),), "smtp", "4Earlier1")
    decision = decide(envelope, Facts(content=scanner.scan_message(DOSSIER)), policy)
    assert decision.action == "accept" and decision.client_data
    trail = AuditLog(str(path), checkpoint_interval_s=None, fsync=False, witness=False)
    trail.open()
    trail.message(decision, envelope)
    trail.close()


def delivered_to(sink: Sink, rcpt: str) -> bool:
    return any(rcpt in m.rcpt_tos for m in sink.messages)


def test_first_dossier_to_new_domain_is_held_then_known_after_import(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> None:
    """A dossier to a domain without history is held and the sender is told it is the first
    time; after `history import` of an earlier audit trail the same dossier to the imported
    domain goes out, while the new domain is still held."""
    pf, ports, policy, audit = start(postfix_factory, milter_factory, tmp_path)
    assert smtp_send(pf.smtp_port, SENDER, [KNOWN], DOSSIER).delivered
    qid = held_queue_id(pf)
    told = sink.wait_for(notice("sender-held", SENDER), timeout=30)
    body = told.message.get_body().get_content()  # type: ignore[union-attr]
    for expected in (
        qid,
        "first-contact-client-data",
        "first time this organisation sends client data to this domain (ziekenhuis.example)",
        "stuurt voor het eerst cliëntgegevens naar dit domein (ziekenhuis.example)",
    ):
        assert expected in body, expected
    assert_no_client_data(told)
    record = next(
        r
        for r in map(json.loads, audit.read_text().splitlines())
        if r["kind"] == "message" and r["action"] == "quarantine"
    )
    assert record["rule"] == "first-contact-client-data"
    assert record["first_contact"] == [
        {"scope": "domain", "kind": "client_data", "domain": "ziekenhuis.example"}
    ]
    metrics = ports.metrics_text()
    assert 'postwarden_first_contact_total{kind="client_data",scope="domain"} 1.0' in metrics
    assert 'postwarden_history_lookups_total{result="ok"} 1.0' in metrics

    earlier = tmp_path / "earlier-audit.jsonl"
    earlier_audit_trail(policy, earlier)
    argv = [sys.executable, "-m", "milter", "history", "import", "--policy", str(policy)]
    done = subprocess.run(
        [*argv, "--audit-log", str(earlier)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1 deliveries to external recipients (1 with client data)" in done.stdout

    assert smtp_send(pf.smtp_port, SENDER, [KNOWN], DOSSIER).delivered
    sink.wait_for(lambda m: KNOWN in m.rcpt_tos, timeout=30)
    assert smtp_send(pf.smtp_port, SENDER, [NEW], DOSSIER).delivered
    pf.wait_queue(lambda q: [e["queue_name"] for e in q].count("hold") == 2, timeout=30)
    assert not delivered_to(sink, NEW)


def test_ordinary_delivery_is_recorded_but_client_data_stays_first(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> None:
    """An ordinary mail that goes out is written to the history (as keyed hashes: the store
    holds no domain in clear); a dossier to that domain afterwards is still first contact for
    client data, and is held."""
    pf, ports, _, _ = start(postfix_factory, milter_factory, tmp_path)
    assert smtp_send(pf.smtp_port, SENDER, [NEW], ORDINARY).delivered
    sink.wait_for(lambda m: NEW in m.rcpt_tos, timeout=30)
    store_path = tmp_path / "history.sqlite"
    key = load_key(str(tmp_path / "history.key"), create=False)
    wanted = contact_hash(key, "domain", "nieuwe-kliniek.example")
    store = SqliteHistory(str(store_path), readonly=True)
    deadline = time.monotonic() + 30
    while wanted not in store.lookup([wanted]) and time.monotonic() < deadline:
        time.sleep(0.1)  # written by the milter's history thread after the reply
    assert store.lookup([wanted]) == {wanted: Contact(any=True, client_data=False)}
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("history.sqlite*"))
    assert b"nieuwe-kliniek" not in raw and b"jeugdarts" not in raw

    assert smtp_send(pf.smtp_port, SENDER, [NEW], DOSSIER).delivered
    held_queue_id(pf)
    assert len([m for m in sink.messages if NEW in m.rcpt_tos]) == 1  # the ordinary mail only
    assert 'postwarden_history_records_total{result="written"} 1.0' in ports.metrics_text()


def test_released_first_contact_makes_the_partner_known(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> None:
    """A first dossier to a new partner is held; an officer releases it (`postwarden
    quarantine release`, written to the officer trail beside the audit trail); the milter reads
    the release from the trail and records the partner, so the next dossier to that partner
    goes out instead of being held as a first contact again."""
    pf, ports, policy, audit = start(postfix_factory, milter_factory, tmp_path)
    assert smtp_send(pf.smtp_port, SENDER, [NEW], DOSSIER).delivered
    qid = held_queue_id(pf)
    done = quarantine_cli(
        pf, policy, audit, tmp_path / "officer.jsonl", "release", qid, "--reason", "partner checked"
    )
    assert done.returncode == 0, done.stderr
    sink.wait_for(lambda m: NEW in m.rcpt_tos, timeout=30)  # the released dossier
    deadline = time.monotonic() + 60
    metric = 'postwarden_history_records_total{result="written"} 1.0'
    while metric not in ports.metrics_text() and time.monotonic() < deadline:
        time.sleep(0.5)  # the milter polls the officer trail every 10 s
    assert metric in ports.metrics_text()

    assert smtp_send(pf.smtp_port, SENDER, [NEW], DOSSIER).delivered
    sink.wait_for(lambda m: len([x for x in sink.messages if NEW in x.rcpt_tos]) == 2, timeout=30)
    assert [e["queue_name"] for e in pf.postqueue_json()].count("hold") == 0
    store = SqliteHistory(str(tmp_path / "history.sqlite"), readonly=True)
    key = load_key(str(tmp_path / "history.key"), create=False)
    wanted = contact_hash(key, "domain", "nieuwe-kliniek.example")
    assert store.lookup([wanted]) == {wanted: Contact(any=True, client_data=True)}
    store.close()


def test_unreadable_history_tempfails(
    postfix_factory: PostfixFactory,
    milter_factory: MilterFactory,
    sink: Sink,
    tmp_path: Path,
) -> None:
    """A history store that cannot be opened (its directory is missing): with on_failure
    tempfail (the default) a dossier gets 451 history_failure and waits; ordinary mail, whose
    rules never reach first_contact, is delivered."""
    ports = Ports.free()
    pf = start_postfix(postfix_factory, ports)
    policy = write_policy(tmp_path, pf.smtp_port)
    text = policy.read_text().replace(f"{tmp_path}/history.sqlite", f"{tmp_path}/gone/h.sqlite")
    policy.write_text(text)
    start_postwarden(milter_factory, ports, policy)
    result = smtp_send(pf.smtp_port, SENDER, [NEW], DOSSIER)
    assert not result.delivered
    assert result.data is not None and result.data.code == 451, result.data
    assert "history_failure" in result.data.text
    assert smtp_send(pf.smtp_port, SENDER, [NEW], ORDINARY).delivered
    sink.wait_for(lambda m: NEW in m.rcpt_tos, timeout=30)
    # Both messages asked the history (every scanned message to an external recipient does).
    assert 'postwarden_history_lookups_total{result="error"} 2.0' in ports.metrics_text()
