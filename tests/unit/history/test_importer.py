"""Tests for milter.history.importer and `postwarden history import`: seeding the history
from a real audit trail and a Postfix mail log, then `check` seeing it."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pytest

from milter.audit.trail import AuditLog
from milter.cli.main import main
from milter.core.engine import decide
from milter.history.model import Contact, HistoryFacts
from milter.history.store import History
from milter.policy import load_policy
from tests.unit.core.test_engine_rules import env, facts, finding
from tests.unit.policy.test_loader_refusals import VALID, append

DOSSIER = Path(__file__).resolve().parents[2] / "corpus" / "dossier_gewijzigd_extern.eml"
MAIL_LOG = "".join(
    f"Dec  1 10:00:0{n} gw postfix/{line}\n"
    for n, line in enumerate(
        [
            "smtp[1]: 4AbC1: to=<info@partner.example>, relay=mx.partner.example[192.0.2.1]:25, "
            "delay=1, status=sent (250 ok)",
            "smtp[1]: 4AbC2: to=<x@bounced.example>, relay=none, delay=1, status=bounced (Host "
            "or domain name not found)",
            "local[2]: 4AbC3: to=<jan@samen-veilig.nl>, relay=local, status=sent (delivered)",
            "smtp[1]: 4AbC4: to=<broken@>, relay=none, status=sent (odd)",
        ]
    )
)


def write_policy(tmp_path: Path) -> Path:
    text = append(
        "content:\n  rules:\n    - id: first-contact-client-data\n"
        "      when: {all: [{detector: bsn}, {first_contact: domain}]}\n"
        "      action: quarantine\n"
        f"history:\n  store: {tmp_path}/history.sqlite\n  key_file: {tmp_path}/history.key\n"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def write_audit(tmp_path: Path) -> Path:
    """A real audit trail: a delivered dossier to clinic.example, a held one to held.example,
    an ordinary delivered mail to friend.example."""
    policy = load_policy(str(write_policy(tmp_path)))
    no_history = dataclasses.replace(policy, history=None)  # decisions as before the history
    path = tmp_path / "audit.jsonl"
    trail = AuditLog(str(path), checkpoint_interval_s=None, fsync=False, witness=False)
    trail.open()
    delivered = decide(env("a@clinic.example"), facts(finding("bsn")), no_history)
    new = dataclasses.replace(facts(finding("bsn")), history=HistoryFacts())
    held = decide(env("b@held.example"), new, policy)
    ordinary = decide(env("c@friend.example"), facts(), no_history)
    assert (delivered.action, held.action, ordinary.action) == ("accept", "quarantine", "accept")
    for decision, rcpt in ((delivered, "a@clinic.example"), (held, "b@held.example")):
        trail.message(decision, env(rcpt))
    trail.message(ordinary, env("c@friend.example"))
    trail.close()
    return path


def contacts(tmp_path: Path, *names: str) -> dict[str, Contact]:
    policy = load_policy(str(tmp_path / "policy.yaml"))
    history = History(readonly=True)
    found = history.gather(policy, [env(n).recipients[0] for n in names])  # type: ignore[misc]
    history.close()
    assert found is not None and found.error is None
    return {n.partition("@")[2]: found.contact("domain", n.partition("@")[2]) for n in names}


def test_import_audit_and_mail_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Accepted messages in the audit trail (with their client_data) and status=sent lines
    in a gzip'ed mail log become contacts; held, bounced and internal ones do not. The output
    names files and counts, never an address."""
    policy = write_policy(tmp_path)
    audit = write_audit(tmp_path)
    log = tmp_path / "mail.log.1.gz"
    with gzip.open(log, "wt") as out:
        out.write(MAIL_LOG)
    argv = ["history", "import", "--policy", str(policy), "--audit-log", str(audit)]
    code = main([*argv, "--mail-log", str(log)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "2 deliveries to external recipients (1 with client data)" in out
    assert "1 deliveries to external recipients (0 with client data), 1 lines skipped" in out
    for name in ("clinic", "friend", "partner", "held", "bounced", "@"):
        assert name not in out.replace(str(tmp_path), "")
    found = contacts(
        tmp_path,
        "z@clinic.example",
        "z@friend.example",
        "z@partner.example",
        "z@held.example",
        "z@bounced.example",
    )
    assert found == {
        "clinic.example": Contact(True, True),
        "friend.example": Contact(True, False),
        "partner.example": Contact(True, False),
        "held.example": Contact(),
        "bounced.example": Contact(),
    }


def test_check_shows_history_and_first_contact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an import, `check` holds a dossier to a new domain with the first-contact
    reason, delivers one to an imported domain, and shows what the history knows."""
    policy = write_policy(tmp_path)
    main(["history", "import", "--policy", str(policy), "--audit-log", str(write_audit(tmp_path))])
    eml = DOSSIER
    base = ["check", "--policy", str(policy), "--from", "j@samen-veilig.nl"]
    capsys.readouterr()
    main([*base, "--to", "x@new.example", str(eml), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["action"] == "quarantine"
    assert doc["first_contact"] == [
        {"scope": "domain", "kind": "client_data", "domain": "new.example"}
    ]
    assert doc["history"]["recipients"][0]["domain_history"] == "never received mail"
    main([*base, "--to", "x@clinic.example", str(eml)])
    text = capsys.readouterr().out
    assert text.startswith("message: ACCEPT")
    assert "history: domain clinic.example: received client data before" in text
    main([*base, "--to", "x@new.example", str(eml), "--offline"])
    text = capsys.readouterr().out
    assert text.startswith("message: ACCEPT")
    assert "first_contact" in text and "--offline" in text


def test_import_needs_history_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A policy without a history section: exit 2, saying so."""
    path = tmp_path / "p.yaml"
    path.write_text(VALID)
    log = tmp_path / "mail.log"
    log.write_text(MAIL_LOG)
    assert main(["history", "import", "--policy", str(path), "--mail-log", str(log)]) == 2
    assert "has no history section" in capsys.readouterr().err
