"""Nobody held in silence, in a real Postfix: a held dossier tells its internal sender (and,
from a local program, that program's owner), an alert rule tells the officers at once, an
external sender is never told, and no notice carries the dossier's client data.

The notices go out through Postfix's own SMTP port (the policy's notices relay), with the null
sender, and arrive at the aiosmtpd sink like any delivered mail.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.postfix import (
    MilterFactory,
    PostfixFactory,
    PostfixInstance,
    Sink,
    SinkMessage,
    smtp_send,
)
from tests.e2e.stack import POLICY, ROOT, Ports, start_postfix, start_postwarden
from tests.support.noticetext import without_identifiers

CORPUS = ROOT / "tests" / "corpus"
DOSSIER = (CORPUS / "dossier_gewijzigd_extern.eml").read_bytes()
SENDER = "j.jansen@samen-veilig.nl"
EXTERNAL = "jeugdarts@ziekenhuis.example"
OFFICERS = "fg@samen-veilig.nl"
TOOL = "crisistool@samen-veilig.nl"
TOOL_OWNER = "applicatiebeheer@samen-veilig.nl"
# The client data in the dossier (tests/corpus/dossier_gewijzigd_extern.eml): BSN, date of
# birth, postcode, and words of its body that name the client or her situation.
CLIENT_DIGITS = ("001047292", "14072012", "3512")
CLIENT_WORDS = ("Sanne", "Vries", "Lindelaan", "Bakker", "Moeder", "evaluatie")


def start(
    postfix_factory: PostfixFactory, milter_factory: MilterFactory, tmp_path: Path
) -> tuple[PostfixInstance, Ports, Path]:
    """Postfix first (the notice relay is its SMTP port), then the milter on the example
    policy (its quarantine_notices section, alert: true on the dossier rule)."""
    ports = Ports.free()
    pf = start_postfix(postfix_factory, ports)
    text = POLICY.read_text().replace("relay: 127.0.0.1:25", f"relay: 127.0.0.1:{pf.smtp_port}")
    for expected in (f"officers: {OFFICERS}", f"{{program: {TOOL}, owner: {TOOL_OWNER}}}"):
        assert expected in text, expected
    policy, audit = tmp_path / "policy.yaml", tmp_path / "audit.jsonl"
    policy.write_text(text)
    start_postwarden(milter_factory, ports, policy, "--audit-log", str(audit))
    return pf, ports, audit


def notice(kind: str, to: str) -> Callable[[SinkMessage], bool]:
    """Matches a notice of `kind` (its X-Postwarden-Notice header) sent to `to`."""

    def match(m: SinkMessage) -> bool:
        return m.header("X-Postwarden-Notice") == kind and m.rcpt_tos == [to]

    return match


def held_queue_id(pf: PostfixInstance) -> str:
    queue = pf.wait_queue(lambda q: any(e["queue_name"] == "hold" for e in q))
    return str(next(e["queue_id"] for e in queue if e["queue_name"] == "hold"))


def assert_no_client_data(got: SinkMessage) -> None:
    """Neither four digits in a row of the client's numbers nor words of the body."""
    flat = got.data.decode("utf-8", "replace")
    flat = flat + "\n" + (got.message.get_body().get_content() if got.message.get_body() else "")  # type: ignore[union-attr]
    squeezed = without_identifiers(flat).replace("-", "").replace(" ", "")
    for value in CLIENT_DIGITS:
        for i in range(len(value) - 3):
            assert value[i : i + 4] not in squeezed, value[i : i + 4]
    for word in CLIENT_WORDS:
        assert word not in flat, word


class TestSenderNotice:
    def test_held_dossier_tells_the_internal_sender_and_alerts_the_officers(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """Held dossier: the sender's notice and the officers' alert arrive, without client
        data, with the null sender; the audit record notes both; the metrics count them."""
        pf, ports, audit = start(postfix_factory, milter_factory, tmp_path)
        assert smtp_send(pf.smtp_port, SENDER, [EXTERNAL], DOSSIER).delivered
        qid = held_queue_id(pf)

        told = sink.wait_for(notice("sender-held", SENDER), timeout=30)
        assert told.mail_from in ("", "<>")
        assert told.header("Auto-Submitted") == "auto-replied"
        body = told.message.get_body().get_content()  # type: ignore[union-attr]
        for expected in (qid, OFFICERS, "ziekenhuis.example", "client-data-external",
                         "Dossier gewijzigd: S. de ...", "bsn: 1"):  # fmt: skip
            assert expected in body, expected
        assert EXTERNAL not in body  # the recipients' domains only
        assert_no_client_data(told)

        alert = sink.wait_for(notice("officer-alert", OFFICERS), timeout=30)
        assert alert.mail_from in ("", "<>")
        alert_body = alert.message.get_body().get_content()  # type: ignore[union-attr]
        assert qid in alert_body and SENDER in alert_body
        assert "Dossier" not in (alert.header("Subject") or "")
        assert_no_client_data(alert)

        # The original stays held; nothing went to the external recipient.
        # (The notices went through this Postfix too: wait until their queue files are gone.)
        pf.wait_queue(lambda q: [e["queue_name"] for e in q] == ["hold"])
        assert not [m for m in sink.messages if EXTERNAL in m.rcpt_tos]
        held = [
            r for r in map(json.loads, audit.read_text().splitlines())
            if r["kind"] == "message" and r["action"] == "quarantine"
        ]  # fmt: skip
        assert held[0]["notices"] == [
            {"kind": "sender_held", "to": SENDER, "rule": "client-data-external"},
            {"kind": "officer_alert", "to": OFFICERS, "rule": "client-data-external"},
        ]
        metrics = ports.metrics_text()
        for kind in ("sender_held", "officer_alert"):
            line = f'postwarden_quarantine_notices_total{{kind="{kind}",result="sent"}} 1.0'
            assert line in metrics, line

    def test_external_sender_is_not_told(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """A dossier from an external sender is held; the officers are alerted, the sender
        never gets a notice."""
        pf, _, _ = start(postfix_factory, milter_factory, tmp_path)
        outsider = "iemand@partner.example"
        assert smtp_send(pf.smtp_port, outsider, [EXTERNAL], DOSSIER).delivered
        held_queue_id(pf)
        # The alert is queued after the sender's notice would have been: once it is here, a
        # sender's notice would be too (same relay, same thread, in order).
        sink.wait_for(notice("officer-alert", OFFICERS), timeout=30)
        time.sleep(2)  # and a late one has had time to arrive
        assert not [m for m in sink.messages if m.header("X-Postwarden-Notice") == "sender-held"]
        assert not [m for m in sink.messages if outsider in m.rcpt_tos]

    def test_local_program_mail_tells_its_owner(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
    ) -> None:
        """The case tool submits with sendmail (local path): its owner gets the notice."""
        pf, _, _ = start(postfix_factory, milter_factory, tmp_path)
        done = pf.sendmail(TOOL, [EXTERNAL], DOSSIER)
        assert done.returncode == 0, done.stderr
        qid = held_queue_id(pf)
        told = sink.wait_for(notice("sender-held", TOOL_OWNER), timeout=30)
        assert qid in told.message.get_body().get_content()  # type: ignore[union-attr]
        assert_no_client_data(told)
        assert not [m for m in sink.messages if TOOL in m.rcpt_tos]
